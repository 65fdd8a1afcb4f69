//! Every transaction kind against every kind of signer: the authorisation table, proven.
//!
//! For each pair the test submits a real transaction. Where the table forbids the pair, the
//! receipt must carry the authorisation rejection the table implies and state must be
//! unchanged except the nonce; where it allows it, the receipt must not be an authorisation
//! rejection (the rule itself may still refuse the sample payload).
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_ledger::{
    auth::{Requirement, requirement},
    testkit::{Borrower, Chain, Signer, changed_tables, loan_terms, rejection_footprint},
};
use credence_types::{
    AssetClassId, AssetId, ConsentId, CurrencyId, Digest, DisputeId, InstitutionId, LoanId,
    Payload, ProposalId, RecordId, Rejection, Role, TimestampMs,
    codec::Name,
    governance::{GovernanceAction, Parameters},
    lending::{
        CompleteLiquidation, DefineAssetClass, Denomination, FundsMovement, IssueCurrency,
        LoanPayment, Owner, RegisterAsset, RevalueAsset, TransferAsset,
    },
    metro2::AccountStatus,
    money::Amount,
    receipt::Outcome,
    state::{Signer as SignerState, StateKey},
    transaction::{
        AnswerDispute, AttestKyc, DisputeAnswer, DisputeReason, OpenDispute, PayloadKind,
        ProposeGovernance, Purpose, RecordAuditAccess, RecordInquiry,
    },
};

/// The kinds of signer a transaction can come from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Unregistered,
    Subject,
    Retired,
    Suspended,
    Holding(Role),
}

const MEMBERS: [(&str, &[Role]); 6] = [
    ("validator", &[Role::Validator]),
    ("furnisher", &[Role::Furnisher]),
    ("lender", &[Role::Lender]),
    ("registrar", &[Role::Registrar]),
    ("regulator", &[Role::Regulator]),
    (
        "suspended",
        &[
            Role::Validator,
            Role::Furnisher,
            Role::Lender,
            Role::Registrar,
            Role::Regulator,
        ],
    ),
];
const SUSPENDED: usize = 5;

fn member_index(role: Role) -> usize {
    MEMBERS
        .iter()
        .position(|(_, roles)| roles == &[role])
        .unwrap()
}

/// What the table says `who` gets for `kind`: `None` when allowed.
fn expected(kind: PayloadKind, who: Who) -> Option<Rejection> {
    let need = requirement(kind);
    match (who, need) {
        (Who::Unregistered, Requirement::UnregisteredKey) => None,
        (Who::Unregistered | Who::Retired, _) => Some(Rejection::SignerUnknown),
        (_, Requirement::UnregisteredKey) => Some(Rejection::SignerAlreadyRegistered),
        (Who::Subject, Requirement::Subject | Requirement::SubjectOrInstitution) => None,
        (Who::Subject, _) => Some(Rejection::SignerNotInstitution),
        (Who::Suspended, _) => Some(Rejection::SignerSuspended),
        (Who::Holding(_), Requirement::Subject) => Some(Rejection::SignerNotSubject),
        (Who::Holding(_), Requirement::AnyInstitution | Requirement::SubjectOrInstitution) => None,
        (Who::Holding(role), Requirement::InstitutionWith(needed)) => {
            (role != needed).then_some(Rejection::RoleMissing)
        }
        (Who::Holding(role), Requirement::InstitutionWithEither(a, b)) => {
            (role != a && role != b).then_some(Rejection::RoleMissing)
        }
    }
}

fn off_ledger() -> Denomination {
    Denomination::OffLedger(Name::new("usd").unwrap())
}

/// A sample payload of every kind, meaningful enough that an authorised signer gets past
/// authorisation into the rule.
fn sample(chain: &Chain, kind: PayloadKind, subject: &Borrower) -> Payload {
    let later = TimestampMs(chain.time.0 + 86_400_000);
    match kind {
        PayloadKind::RegisterSubject => chain.register(&Borrower::new(4242)),
        PayloadKind::AttestKyc => Payload::AttestKyc(AttestKyc {
            subject: subject.id(),
            commitment: Digest::default(),
        }),
        PayloadKind::RotateReportKey => {
            let mut copy = subject.clone();
            Payload::RotateReportKey(chain.rotation(&mut copy, &[]))
        }
        PayloadKind::FurnishRecord => {
            Payload::FurnishRecord(chain.furnishing(subject, "acct", AccountStatus::Current, None))
        }
        PayloadKind::GrantConsent => chain.consent(
            subject,
            member_index(Role::Lender),
            Purpose::CreditApplication,
        ),
        PayloadKind::RevokeConsent => chain.revoke(&mut subject.clone(), ConsentId(0), &[]),
        PayloadKind::RecordInquiry => Payload::RecordInquiry(RecordInquiry {
            consent: ConsentId(0),
        }),
        PayloadKind::OpenDispute => Payload::OpenDispute(OpenDispute {
            record: RecordId(0),
            reason: DisputeReason::NotMine,
        }),
        PayloadKind::AnswerDispute => Payload::AnswerDispute(AnswerDispute {
            dispute: DisputeId(0),
            answer: DisputeAnswer::Verified,
        }),
        PayloadKind::ProposeGovernance => Payload::ProposeGovernance(ProposeGovernance {
            action: GovernanceAction::SetParameters(Parameters::default()),
            expires_at: later,
        }),
        PayloadKind::ApproveGovernance => Payload::ApproveGovernance(ProposalId(0)),
        PayloadKind::RecordAuditAccess => Payload::RecordAuditAccess(RecordAuditAccess {
            subject: subject.id(),
            case: Digest::default(),
        }),
        PayloadKind::DefineAssetClass => Payload::DefineAssetClass(DefineAssetClass {
            name: Name::new("vehicle").unwrap(),
            schema: Digest::default(),
        }),
        PayloadKind::RegisterAsset => Payload::RegisterAsset(RegisterAsset {
            class: AssetClassId(0),
            owner: Owner::Subject(subject.id()),
            identity: Digest::default(),
            value: Amount(1_000),
            denomination: off_ledger(),
        }),
        PayloadKind::RevalueAsset => Payload::RevalueAsset(RevalueAsset {
            asset: AssetId(0),
            value: Amount(1_000),
            denomination: off_ledger(),
        }),
        PayloadKind::TransferAsset => Payload::TransferAsset(TransferAsset {
            asset: AssetId(0),
            to: Owner::Institution(InstitutionId(0)),
        }),
        PayloadKind::AppointAppraiser => {
            Payload::AppointAppraiser(credence_types::lending::AppointAppraiser {
                asset: AssetId(0),
                appraiser: Some(InstitutionId(0)),
            })
        }
        PayloadKind::IssueCurrency => Payload::IssueCurrency(IssueCurrency {
            symbol: Name::new("cny").unwrap(),
        }),
        PayloadKind::MintFunds | PayloadKind::TransferFunds => {
            let movement = FundsMovement {
                currency: CurrencyId(0),
                account: Owner::Subject(subject.id()),
                amount: Amount(10),
            };
            match kind {
                PayloadKind::MintFunds => Payload::MintFunds(movement),
                _ => Payload::TransferFunds(movement),
            }
        }
        PayloadKind::RedeemFunds => Payload::RedeemFunds(credence_types::lending::Redemption {
            currency: CurrencyId(0),
            amount: Amount(10),
        }),
        PayloadKind::OfferLoan => Payload::OfferLoan(loan_terms(
            Owner::Subject(subject.id()),
            1_000,
            off_ledger(),
            Vec::new(),
            chain.time.date(),
            later,
        )),
        PayloadKind::AcceptLoan => Payload::AcceptLoan(LoanId(0)),
        PayloadKind::WithdrawOffer => Payload::WithdrawOffer(LoanId(0)),
        PayloadKind::RepayLoan => Payload::RepayLoan(LoanPayment {
            loan: LoanId(0),
            amount: Amount(1),
        }),
        PayloadKind::ConfirmRepayment => Payload::ConfirmRepayment(LoanPayment {
            loan: LoanId(0),
            amount: Amount(1),
        }),
        PayloadKind::CompleteLiquidation => Payload::CompleteLiquidation(CompleteLiquidation {
            loan: LoanId(0),
            proceeds: Amount(1),
        }),
    }
}

/// A chain with one member per role, a suspended member, a subject, and a retired key.
fn setup() -> (Chain, Borrower, Signer) {
    let mut chain = Chain::with_members(&MEMBERS);
    let mut subject = Borrower::new(1);
    let register = chain.register(&subject);
    let tx = chain.borrower_tx(&mut subject, register);
    chain.ok(tx);

    // Suspend the all-roles member (six members: ceil(6 × 2/3) = five approvals).
    let suspend = Payload::ProposeGovernance(ProposeGovernance {
        action: GovernanceAction::SuspendInstitution(InstitutionId(SUSPENDED as u64)),
        expires_at: TimestampMs(chain.time.0 + 86_400_000),
    });
    let tx = chain.member_tx(0, suspend);
    chain.ok(tx);
    for member in 1..5 {
        let tx = chain.member_tx(member, Payload::ApproveGovernance(ProposalId(0)));
        chain.ok(tx);
    }
    let suspended: credence_types::state::Institution = chain
        .get(&StateKey::institution(InstitutionId(SUSPENDED as u64)))
        .unwrap();
    assert!(
        suspended.suspended,
        "the setup must suspend the all-roles member"
    );

    // A retired key: write it directly, as a key rotation would leave it.
    let retired = Signer::from_seed(31337);
    let key = StateKey::signer(&retired.key.public_key());
    chain.state.insert(
        key,
        credence_types::codec::encode(&SignerState {
            principal: credence_types::state::Principal::Retired,
            nonce: 0,
        }),
    );
    (chain, subject, retired)
}

#[test]
fn every_kind_against_every_signer() {
    let whos = [
        Who::Unregistered,
        Who::Subject,
        Who::Retired,
        Who::Suspended,
        Who::Holding(Role::Validator),
        Who::Holding(Role::Furnisher),
        Who::Holding(Role::Lender),
        Who::Holding(Role::Registrar),
        Who::Holding(Role::Regulator),
    ];
    let auth_codes = [
        Rejection::SignerUnknown,
        Rejection::SignerAlreadyRegistered,
        Rejection::SignerNotInstitution,
        Rejection::SignerNotSubject,
        Rejection::SignerSuspended,
        Rejection::RoleMissing,
    ];
    let mut checked = 0;
    for kind in PayloadKind::ALL {
        for who in whos {
            let (mut chain, mut subject, retired) = setup();
            let payload = sample(&chain, kind, &subject);
            let chain_id = chain.chain_id();
            let tx = match who {
                Who::Unregistered => Borrower::new(4242).signer.sign(&chain_id, payload),
                Who::Subject => subject.signer.sign(&chain_id, payload),
                Who::Retired => retired.sign_with_nonce(&chain_id, 1, payload),
                Who::Suspended => chain.member_tx(SUSPENDED, payload),
                Who::Holding(role) => chain.member_tx(member_index(role), payload),
            };
            let before = chain.state.clone();
            let outcome = chain.apply(tx);
            match expected(kind, who) {
                Some(rejection) => {
                    assert_eq!(outcome, Outcome::Rejected(rejection), "{kind:?} by {who:?}");
                    // Nothing but the signer's nonce and the receipt may change.
                    let changed = changed_tables(&before, &chain.state);
                    assert!(
                        changed.is_subset(&rejection_footprint()),
                        "{kind:?} by {who:?} changed state beyond the nonce: tables {changed:?}"
                    );
                }
                None => assert!(
                    !matches!(outcome, Outcome::Rejected(r) if auth_codes.contains(&r)),
                    "{kind:?} by {who:?} should pass authorisation, got {outcome:?}"
                ),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, PayloadKind::ALL.len() * whos.len());
}
