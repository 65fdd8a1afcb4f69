//! One payload of every kind, from fixed bytes: inputs for fixture and decoder tests, with
//! no sealing randomness, so their encodings can be pinned.

use super::loan_terms;
use credence_types::{
    ConsentId, Digest, InstitutionId, Payload, RecordId, SubjectId, TimestampMs,
    codec::{BoundedVec, Name},
    governance::Parameters,
    lending::Owner,
    metro2::AccountStatus,
    money::Amount,
    sealed::WrappedReportKey,
    time::Date,
    transaction::{
        ConsentRewrap, Furnishing, GrantConsent, InquiryKind, KeyRotation, Purpose,
        RegisterSubject, RevokeConsent,
    },
};

/// One payload of every kind, built from fixed bytes (no sealing randomness), in
/// [`credence_types::transaction::PayloadKind::ALL`] order: for fixture and decoder tests.
pub fn fixed_payloads() -> Vec<Payload> {
    use credence_types::{
        DisputeId, ProposalId,
        governance::GovernanceAction,
        sealed::{EncapsulatedKey, KeyCiphertext, SealedKey, SealedPayload},
        transaction::{
            AnswerDispute, AttestKyc, DisputeAnswer, DisputeReason, OpenDispute, ProposeGovernance,
            RecordAuditAccess, RecordInquiry,
        },
    };
    let sealed_key = SealedKey {
        encapsulated_key: EncapsulatedKey([0x11; 32]),
        ciphertext: KeyCiphertext([0x22; 48]),
    };
    let subject = SubjectId([0x33; 32]);
    let furnishing = Furnishing {
        subject,
        account: Digest([0x44; 32]),
        status: AccountStatus::PastDue60,
        first_delinquency: Date::from_ymd(2026, 3, 1),
        as_of: Date::from_ymd(2026, 5, 1).unwrap(),
        report_key_epoch: 2,
        payload: SealedPayload {
            encapsulated_key: EncapsulatedKey([0x55; 32]),
            ciphertext: credence_types::BoundedBytes::new(vec![0x66; 400]).unwrap(),
        },
        commitment: Digest([0x77; 32]),
        supersedes: Some(RecordId(9)),
    };
    let rotation = KeyRotation {
        report_key: credence_types::EncryptionKey([0x88; 32]),
        audit_key_wrap: sealed_key,
        rewraps: BoundedVec::new(vec![ConsentRewrap {
            consent: ConsentId(3),
            key: sealed_key,
        }])
        .unwrap(),
    };
    vec![
        Payload::RegisterSubject(RegisterSubject {
            report_key: credence_types::EncryptionKey([0x99; 32]),
            audit_key_wrap: sealed_key,
        }),
        Payload::AttestKyc(AttestKyc {
            subject,
            commitment: Digest([0xaa; 32]),
        }),
        Payload::RotateReportKey(rotation.clone()),
        Payload::FurnishRecord(furnishing.clone()),
        Payload::GrantConsent(GrantConsent {
            lender: InstitutionId(2),
            purpose: Purpose::CreditApplication,
            kind: InquiryKind::Soft,
            expires_at: TimestampMs(1_800_000_000_000),
            report_keys: BoundedVec::new(vec![WrappedReportKey {
                epoch: 0,
                key: sealed_key,
            }])
            .unwrap(),
        }),
        Payload::RevokeConsent(RevokeConsent {
            consent: ConsentId(4),
            rotation,
        }),
        Payload::RecordInquiry(RecordInquiry {
            consent: ConsentId(5),
        }),
        Payload::OpenDispute(OpenDispute {
            record: RecordId(6),
            reason: DisputeReason::InaccurateAmount,
        }),
        Payload::AnswerDispute(AnswerDispute {
            dispute: DisputeId(7),
            answer: DisputeAnswer::Corrected(Box::new(furnishing)),
        }),
        Payload::ProposeGovernance(ProposeGovernance {
            action: GovernanceAction::SetParameters(Parameters::default()),
            expires_at: TimestampMs(1_800_000_000_000),
        }),
        Payload::ApproveGovernance(ProposalId(8)),
        Payload::RecordAuditAccess(RecordAuditAccess {
            subject,
            case: Digest([0xbb; 32]),
        }),
    ]
    .into_iter()
    .chain(fixed_lending_payloads(subject))
    .collect()
}

fn fixed_lending_payloads(subject: SubjectId) -> Vec<Payload> {
    use credence_types::{
        AssetClassId, AssetId, CurrencyId, LoanId,
        lending::{
            Collateral, CompleteLiquidation, DefineAssetClass, Denomination, FundsMovement,
            FundsPledge, IssueCurrency, LoanPayment, RegisterAsset, RevalueAsset, TransferAsset,
        },
    };
    let movement = FundsMovement {
        currency: CurrencyId(1),
        account: Owner::Subject(subject),
        amount: Amount(12_345),
    };
    let payment = LoanPayment {
        loan: LoanId(4),
        amount: Amount(6_789),
    };
    let mut terms = loan_terms(
        Owner::Subject(subject),
        1_000_000,
        Denomination::OnLedger(CurrencyId(1)),
        vec![
            Collateral::Asset(AssetId(2)),
            Collateral::Funds(FundsPledge {
                currency: CurrencyId(1),
                amount: Amount(50_000),
            }),
        ],
        Date::from_ymd(2026, 5, 1).unwrap(),
        TimestampMs(1_800_000_000_000),
    );
    terms.remedy = credence_types::lending::Remedy::Liquidate(InstitutionId(4));
    vec![
        Payload::DefineAssetClass(DefineAssetClass {
            name: Name::new("vehicle").unwrap(),
            schema: Digest([0xcc; 32]),
        }),
        Payload::RegisterAsset(RegisterAsset {
            class: AssetClassId(1),
            owner: Owner::Subject(subject),
            identity: Digest([0xdd; 32]),
            value: Amount(2_000_000),
            denomination: Denomination::OffLedger(Name::new("usd").unwrap()),
        }),
        Payload::RevalueAsset(RevalueAsset {
            asset: AssetId(2),
            value: Amount(1_900_000),
            denomination: Denomination::OnLedger(CurrencyId(1)),
        }),
        Payload::TransferAsset(TransferAsset {
            asset: AssetId(2),
            to: Owner::Institution(InstitutionId(3)),
        }),
        Payload::AppointAppraiser(credence_types::lending::AppointAppraiser {
            asset: AssetId(2),
            appraiser: Some(InstitutionId(4)),
        }),
        Payload::IssueCurrency(IssueCurrency {
            symbol: Name::new("cny").unwrap(),
        }),
        Payload::MintFunds(movement.clone()),
        Payload::RedeemFunds(credence_types::lending::Redemption {
            currency: movement.currency,
            amount: movement.amount,
        }),
        Payload::TransferFunds(movement),
        Payload::OfferLoan(terms),
        Payload::AcceptLoan(LoanId(4)),
        Payload::WithdrawOffer(LoanId(5)),
        Payload::RepayLoan(payment.clone()),
        Payload::ConfirmRepayment(payment),
        Payload::CompleteLiquidation(CompleteLiquidation {
            loan: LoanId(4),
            proceeds: Amount(2_500_000),
        }),
    ]
}
