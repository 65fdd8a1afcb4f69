//! Fixtures for tests and benchmarks: a small consortium with deterministic keys, subjects
//! that seal and wrap with real HPKE, and an in-memory chain to apply blocks to.
//!
//! Compiled only with the `testkit` feature; nothing in a node uses it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::{BlockOutcome, apply_block, apply_changes, genesis::genesis_state};
use credence_crypto::{
    EncryptionSecret, SigningKey, VerifiedTransaction,
    sealing::{payload_context, report_key_context, seal_payload, wrap_key},
    verify_one,
};
use credence_types::{
    BlockContext, ConsentId, Digest, Height, InstitutionId, Payload, RecordId, Role, Roles,
    SubjectId, TimestampMs,
    codec::{BoundedVec, Name, Text, encode},
    genesis::{ChainId, Genesis},
    governance::{NewInstitution, Parameters},
    lending::Owner,
    metro2::{AccountStatus, Consumer, PaymentMonth, PortfolioType, Tradeline},
    money::Amount,
    receipt::Outcome,
    sealed::WrappedReportKey,
    state::{StateKey, Subject as SubjectState},
    time::{Date, MS_PER_DAY},
    transaction::{
        ConsentRewrap, Furnishing, GrantConsent, InquiryKind, KeyRotation, Purpose,
        RecordPlaintext, RegisterSubject, RevokeConsent, Transaction,
    },
};
use std::collections::BTreeMap;

/// 2026-01-01T00:00:00Z.
pub const GENESIS_TIME: TimestampMs = TimestampMs(1_767_225_600_000);

/// Someone who signs transactions, with its own nonce counter.
#[derive(Clone, Debug)]
pub struct Signer {
    pub key: SigningKey,
    pub nonce: u64,
}

impl Signer {
    pub fn from_seed(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_be_bytes());
        bytes[31] = 0x5e;
        Self {
            key: SigningKey::from_seed(&bytes),
            nonce: 0,
        }
    }

    /// Signs `payload` with the next nonce.
    pub fn sign(&mut self, chain: &ChainId, payload: Payload) -> VerifiedTransaction {
        self.nonce += 1;
        self.sign_with_nonce(chain, self.nonce, payload)
    }

    /// Signs `payload` with an explicit nonce (for replay tests).
    pub fn sign_with_nonce(
        &self,
        chain: &ChainId,
        nonce: u64,
        payload: Payload,
    ) -> VerifiedTransaction {
        let signed = self.key.sign_transaction(Transaction {
            chain_id: chain.clone(),
            signer: self.key.public_key(),
            nonce,
            payload,
        });
        verify_one(signed).unwrap()
    }
}

/// A member institution's keys.
#[derive(Clone, Debug)]
pub struct Member {
    pub id: InstitutionId,
    pub name: String,
    pub roles: Roles,
    pub signer: Signer,
    pub encryption: EncryptionSecret,
}

/// A subject with its report keys (one per epoch), all held by the subject.
#[derive(Clone, Debug)]
pub struct Borrower {
    pub signer: Signer,
    pub report_keys: Vec<EncryptionSecret>,
}

impl Borrower {
    pub fn new(seed: u64) -> Self {
        Self {
            signer: Signer::from_seed(seed.wrapping_add(1 << 40)),
            report_keys: vec![EncryptionSecret::derive(&seed.to_be_bytes().repeat(4))],
        }
    }

    pub fn id(&self) -> SubjectId {
        SubjectId::from_key(&self.signer.key.public_key())
    }

    pub fn epoch(&self) -> u32 {
        u32::try_from(self.report_keys.len() - 1).unwrap()
    }

    pub fn current_key(&self) -> &EncryptionSecret {
        self.report_keys.last().unwrap()
    }
}

/// The founding members of the test consortium, in id order.
pub const BANK_A: usize = 0;
pub const BANK_B: usize = 1;
pub const LENDER_C: usize = 2;
pub const REGULATOR: usize = 3;
pub const REGISTRAR: usize = 4;

/// A chain in memory: state, height, clock, and the consortium's keys.
pub struct Chain {
    pub genesis: Genesis,
    pub state: BTreeMap<StateKey, Vec<u8>>,
    pub height: Height,
    pub time: TimestampMs,
    pub members: Vec<Member>,
    pub audit: EncryptionSecret,
    pub proposer: SigningKey,
}

impl Chain {
    /// Five members: two banks that furnish and lend, a lender, a regulator and a
    /// registrar; the two banks and the lender validate.
    pub fn new() -> Self {
        Self::with_members(&[
            ("bank-a", &[Role::Validator, Role::Furnisher, Role::Lender]),
            ("bank-b", &[Role::Validator, Role::Furnisher, Role::Lender]),
            ("lender-c", &[Role::Validator, Role::Lender]),
            ("regulator", &[Role::Regulator]),
            ("registry", &[Role::Registrar]),
        ])
    }

    /// A consortium of the given members (name, roles), ids in order.
    pub fn with_members(roles: &[(&str, &[Role])]) -> Self {
        let members: Vec<Member> = roles
            .iter()
            .enumerate()
            .map(|(i, (name, roles))| Member {
                id: InstitutionId(i as u64),
                name: (*name).to_string(),
                roles: Roles::of(roles),
                signer: Signer::from_seed(i as u64 + 1),
                encryption: EncryptionSecret::derive(format!("member-{i}-encryption").as_bytes()),
            })
            .collect();
        let audit = EncryptionSecret::derive(b"the network's audit key, held in escrow");
        let genesis = Genesis {
            chain_id: ChainId::new("credence-test").unwrap(),
            genesis_time: GENESIS_TIME,
            institutions: BoundedVec::new(
                members
                    .iter()
                    .map(|m| NewInstitution {
                        name: Name::new(&m.name).unwrap(),
                        roles: m.roles,
                        signing_key: m.signer.key.public_key(),
                        encryption_key: m.encryption.public_key(),
                    })
                    .collect(),
            )
            .unwrap(),
            audit_key: audit.public_key(),
            parameters: Parameters::default(),
        };
        let mut state = BTreeMap::new();
        apply_changes(&mut state, &genesis_state(&genesis).unwrap());
        Self {
            genesis,
            state,
            height: Height(0),
            time: GENESIS_TIME,
            proposer: members[0].signer.key.clone(),
            members,
            audit,
        }
    }

    /// The first member holding `role`.
    pub fn member_with(&self, role: Role) -> usize {
        self.members
            .iter()
            .position(|m| m.roles.has(role))
            .expect("the consortium has a member with the role")
    }

    pub fn chain_id(&self) -> ChainId {
        self.genesis.chain_id.clone()
    }

    /// Signs `payload` as member `index`.
    pub fn member_tx(&mut self, index: usize, payload: Payload) -> VerifiedTransaction {
        let chain = self.chain_id();
        self.members[index].signer.sign(&chain, payload)
    }

    /// Signs `payload` as `borrower`.
    pub fn borrower_tx(&self, borrower: &mut Borrower, payload: Payload) -> VerifiedTransaction {
        borrower.signer.sign(&self.genesis.chain_id, payload)
    }

    /// Applies a block `advance_ms` after the previous one, returning what it produced.
    pub fn block(&mut self, advance_ms: u64, txs: &[VerifiedTransaction]) -> BlockOutcome {
        self.height = self.height.next().unwrap();
        self.time = TimestampMs(self.time.0 + advance_ms.max(1));
        let context = BlockContext {
            height: self.height,
            time: self.time,
            proposer: self.proposer.public_key(),
        };
        let outcome = apply_block(&self.state, &context, txs).unwrap();
        apply_changes(&mut self.state, &outcome.changes);
        outcome
    }

    /// Applies one transaction in its own block and returns its outcome.
    pub fn apply(&mut self, tx: VerifiedTransaction) -> Outcome {
        self.block(1_000, &[tx]).receipts[0].outcome
    }

    /// Applies one transaction and asserts it applied.
    pub fn ok(&mut self, tx: VerifiedTransaction) -> BlockOutcome {
        let outcome = self.block(1_000, &[tx]);
        assert_eq!(
            outcome.receipts[0].outcome,
            Outcome::Applied,
            "{outcome:#?}"
        );
        outcome
    }

    /// Moves the clock forward by whole days with an empty block.
    pub fn advance_days(&mut self, days: u64) -> BlockOutcome {
        self.block(days * MS_PER_DAY, &[])
    }

    /// Reads an object from state.
    pub fn get<T: commonware_codec::Read<Cfg = ()>>(&self, key: &StateKey) -> Option<T> {
        self.state
            .get(key)
            .map(|bytes| credence_types::codec::decode(bytes).unwrap())
    }

    /// The state root of a plain sorted map: a stand-in digest for determinism checks.
    pub fn digest(&self) -> Digest {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        for (key, value) in &self.state {
            parts.push(key.0.to_vec());
            parts.push(encode(&u32::try_from(value.len()).unwrap()));
            parts.push(value.clone());
        }
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        Digest::of("credence/test-state", &refs)
    }

    // ----- Payload builders -----

    /// Registration for `borrower`.
    pub fn register(&self, borrower: &Borrower) -> Payload {
        let id = borrower.id();
        Payload::RegisterSubject(RegisterSubject {
            report_key: borrower.current_key().public_key(),
            audit_key_wrap: wrap_key(
                &self.audit.public_key(),
                borrower.current_key(),
                &report_key_context(&id, 0),
            )
            .unwrap(),
        })
    }

    /// A consent for member `lender`, wrapping every epoch of the borrower's report key.
    pub fn consent(&self, borrower: &Borrower, lender: usize, purpose: Purpose) -> Payload {
        let reader = self.members[lender].encryption.public_key();
        let id = borrower.id();
        let report_keys = borrower
            .report_keys
            .iter()
            .enumerate()
            .map(|(epoch, key)| {
                let epoch = u32::try_from(epoch).unwrap();
                WrappedReportKey {
                    epoch,
                    key: wrap_key(&reader, key, &report_key_context(&id, epoch)).unwrap(),
                }
            })
            .collect();
        Payload::GrantConsent(GrantConsent {
            lender: self.members[lender].id,
            purpose,
            kind: InquiryKind::Hard,
            expires_at: TimestampMs(self.time.0 + 90 * MS_PER_DAY),
            report_keys: BoundedVec::new(report_keys).unwrap(),
        })
    }

    /// A key rotation for `borrower`, re-wrapping for the consents that stay active; the
    /// borrower's new key is appended to its epochs.
    pub fn rotation(&self, borrower: &mut Borrower, keep: &[(ConsentId, usize)]) -> KeyRotation {
        let next = EncryptionSecret::derive(
            format!("{}-{}", borrower.id(), borrower.report_keys.len()).as_bytes(),
        );
        let id = borrower.id();
        let epoch = borrower.epoch() + 1;
        let context = report_key_context(&id, epoch);
        let rewraps = keep
            .iter()
            .map(|(consent, lender)| ConsentRewrap {
                consent: *consent,
                key: wrap_key(
                    &self.members[*lender].encryption.public_key(),
                    &next,
                    &context,
                )
                .unwrap(),
            })
            .collect();
        let rotation = KeyRotation {
            report_key: next.public_key(),
            audit_key_wrap: wrap_key(&self.audit.public_key(), &next, &context).unwrap(),
            rewraps: BoundedVec::new(rewraps).unwrap(),
        };
        borrower.report_keys.push(next);
        rotation
    }

    /// Revocation of `consent` with a rotation that keeps `keep`.
    pub fn revoke(
        &self,
        borrower: &mut Borrower,
        consent: ConsentId,
        keep: &[(ConsentId, usize)],
    ) -> Payload {
        let rotation = self.rotation(borrower, keep);
        Payload::RevokeConsent(RevokeConsent { consent, rotation })
    }

    /// A record about `borrower` with `status`, sealed to its current report key.
    pub fn furnishing(
        &self,
        borrower: &Borrower,
        account: &str,
        status: AccountStatus,
        supersedes: Option<RecordId>,
    ) -> Furnishing {
        let today = self.time.date();
        let first_delinquency = status
            .requires_first_delinquency()
            .then(|| Date(today.0.saturating_sub(45)));
        let plaintext = RecordPlaintext {
            tradeline: tradeline(account, status, today, first_delinquency),
            salt: Digest::of("credence/test-salt", &[account.as_bytes()]),
        };
        let id = borrower.id();
        let epoch = borrower.epoch();
        Furnishing {
            subject: id,
            account: Digest::of("credence/test-account", &[account.as_bytes()]),
            status,
            first_delinquency,
            as_of: today,
            report_key_epoch: epoch,
            payload: seal_payload(
                &borrower.current_key().public_key(),
                &encode(&plaintext),
                &payload_context(&id, epoch),
            )
            .unwrap(),
            commitment: plaintext.commitment(),
            supersedes,
        }
    }

    /// The subject's state.
    pub fn subject(&self, borrower: &Borrower) -> SubjectState {
        self.get(&StateKey::subject(&borrower.id())).unwrap()
    }
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

/// A plausible Metro 2 base segment.
pub fn tradeline(
    account: &str,
    status: AccountStatus,
    as_of: Date,
    first_delinquency: Option<Date>,
) -> Tradeline {
    let late = status.is_adverse();
    Tradeline {
        account_number: Text::new(account).unwrap(),
        portfolio_type: PortfolioType::Installment,
        account_type: Text::new("00").unwrap(),
        currency: Name::new("usd").unwrap(),
        date_opened: Date(as_of.0.saturating_sub(400)),
        credit_limit: Amount(0),
        highest_credit: Amount(2_500_000),
        terms_months: 60,
        scheduled_monthly_payment: Amount(48_000),
        actual_payment: Amount(if late { 0 } else { 48_000 }),
        account_status: status,
        payment_history: BoundedVec::new(
            (0..24)
                .map(|month| match (late, month) {
                    (true, 0) => PaymentMonth::Late30,
                    _ => PaymentMonth::Current,
                })
                .collect(),
        )
        .unwrap(),
        current_balance: Amount(1_900_000),
        amount_past_due: Amount(if late { 48_000 } else { 0 }),
        original_charge_off: Amount(0),
        date_of_account_information: as_of,
        first_delinquency,
        date_closed: None,
        date_of_last_payment: Some(Date(as_of.0.saturating_sub(30))),
        consumer: Consumer {
            name: Text::new("Test Borrower").unwrap(),
            national_id: Text::new("000-00-0000").unwrap(),
            date_of_birth: Date::from_ymd(1990, 5, 17),
            address: Text::new("1 Test Street").unwrap(),
        },
    }
}

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
            metadata: Digest([0xdd; 32]),
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
        Payload::IssueCurrency(IssueCurrency {
            symbol: Name::new("cny").unwrap(),
        }),
        Payload::MintFunds(movement.clone()),
        Payload::BurnFunds(movement.clone()),
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

/// The tables whose entries differ between two states (added, changed or removed keys).
pub fn changed_tables(
    before: &BTreeMap<StateKey, Vec<u8>>,
    after: &BTreeMap<StateKey, Vec<u8>>,
) -> std::collections::BTreeSet<u8> {
    let changed = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.tag());
    let removed = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .map(StateKey::tag);
    changed.chain(removed).collect()
}

/// What a rejected transaction may write: its signer's nonce and its own receipt.
pub fn rejection_footprint() -> std::collections::BTreeSet<u8> {
    use credence_types::state::Table;
    [Table::Signer as u8, Table::Transaction as u8].into()
}

/// A small deterministic pseudo-random generator (xorshift64*), so workloads need no
/// randomness crate and replay exactly from a seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % u64::try_from(n).unwrap()).unwrap()
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// A block as executed on a [`Chain`]: its context, transactions and outcome.
#[derive(Clone, Debug)]
pub struct RecordedBlock {
    pub context: BlockContext,
    pub transactions: Vec<VerifiedTransaction>,
    pub outcome: BlockOutcome,
}

/// A realistic credit-sharing workload over a population of subjects: furnishing (most of
/// it), consents and inquiries, disputes and their answers, revocations.
pub struct Workload {
    pub rng: Rng,
    pub borrowers: Vec<Borrower>,
    registered: usize,
    /// Active consents as (consent, subject index, lender).
    consents: Vec<(ConsentId, usize, usize)>,
    next_consent: u64,
    records: Vec<(RecordId, usize)>,
    next_record: u64,
    next_dispute: u64,
    open_disputes: Vec<(credence_types::DisputeId, usize)>,
    /// The lending market, once [`Workload::open_market`] has run.
    market: Option<Market>,
}

/// What the workload knows of the lending market it opened: the currency, each asset's
/// owner and lock, and the loans by stage. Ids are predicted from the counters, as the
/// workload's transactions are built to apply.
#[derive(Debug)]
struct Market {
    currency: credence_types::CurrencyId,
    /// (asset, owning subject index, loan offered or accepted against it).
    assets: Vec<(
        credence_types::AssetId,
        usize,
        Option<credence_types::LoanId>,
    )>,
    /// Offers not yet accepted, as (loan, subject index).
    offered: Vec<(credence_types::LoanId, usize)>,
    /// Accepted loans, as (loan, subject index).
    active: Vec<(credence_types::LoanId, usize)>,
    next_loan: u64,
}

impl Workload {
    pub fn new(seed: u64, subjects: usize) -> Self {
        Self {
            rng: Rng::new(seed),
            borrowers: (0..subjects)
                .map(|i| Borrower::new(seed.wrapping_mul(1_000_003) + i as u64))
                .collect(),
            registered: 0,
            consents: Vec::new(),
            next_consent: 0,
            records: Vec::new(),
            next_record: 0,
            next_dispute: 0,
            open_disputes: Vec::new(),
            market: None,
        }
    }

    /// Opens a lending market, so that the mix includes loan offers, acceptances and
    /// repayments, asset transfers and payments: the registrar defines a vehicle class and
    /// registers one vehicle per subject, and `bank-a` issues `usd`, minting to every lender
    /// and subject. Call after [`Workload::register_all`], on a chain with no assets yet.
    pub fn open_market(&mut self, chain: &mut Chain, per_block: usize) -> Vec<RecordedBlock> {
        use credence_types::{
            AssetClassId, AssetId, CurrencyId,
            lending::{
                DefineAssetClass, Denomination, FundsMovement, IssueCurrency, RegisterAsset,
            },
        };
        let usd = CurrencyId(0);
        let registrar = chain.member_with(Role::Registrar);
        let mut setup = vec![
            chain.member_tx(
                registrar,
                Payload::DefineAssetClass(DefineAssetClass {
                    name: Name::new("vehicle").unwrap(),
                    schema: Digest::of("schema", &[b"vin, make, model, year"]),
                }),
            ),
            chain.member_tx(
                BANK_A,
                Payload::IssueCurrency(IssueCurrency {
                    symbol: Name::new("usd").unwrap(),
                }),
            ),
        ];
        for lender in [BANK_A, BANK_B, LENDER_C] {
            setup.push(chain.member_tx(
                BANK_A,
                Payload::MintFunds(FundsMovement {
                    currency: usd,
                    account: Owner::Institution(InstitutionId(lender as u64)),
                    amount: Amount(1_000_000_000_000),
                }),
            ));
        }
        let mut blocks = vec![record(chain, 1_000, setup)];
        let mut assets = Vec::new();
        for chunk in (0..self.registered)
            .collect::<Vec<_>>()
            .chunks(per_block.max(2) / 2)
        {
            let mut txs = Vec::new();
            for &i in chunk {
                let owner = Owner::Subject(self.borrowers[i].id());
                txs.push(chain.member_tx(
                    registrar,
                    Payload::RegisterAsset(RegisterAsset {
                        class: AssetClassId(0),
                        owner,
                        metadata: Digest::of("vin", &[&(i as u64).to_be_bytes()]),
                        value: Amount(2_000_000),
                        denomination: Denomination::OnLedger(usd),
                    }),
                ));
                txs.push(chain.member_tx(
                    BANK_A,
                    Payload::MintFunds(FundsMovement {
                        currency: usd,
                        account: owner,
                        amount: Amount(5_000_000),
                    }),
                ));
                assets.push((AssetId(assets.len() as u64), i, None));
            }
            blocks.push(record(chain, 1_000, txs));
        }
        self.market = Some(Market {
            currency: usd,
            assets,
            offered: Vec::new(),
            active: Vec::new(),
            next_loan: 0,
        });
        blocks
    }

    /// The next lending transaction, for a roll in `0..20`, if the market is open and the
    /// roll's kind has something to act on.
    fn next_lending(&mut self, chain: &mut Chain, roll: usize) -> Option<VerifiedTransaction> {
        use credence_types::{
            LoanId,
            lending::{Collateral, Denomination, FundsMovement, LoanPayment, TransferAsset},
        };
        let market = self.market.as_mut()?;
        let tx = match roll {
            // A lender offers a loan against a subject's unpledged vehicle.
            0..4 => {
                let free: Vec<usize> = (0..market.assets.len())
                    .filter(|&a| market.assets[a].2.is_none())
                    .collect();
                if free.is_empty() {
                    return None;
                }
                let slot = free[self.rng.below(free.len())];
                let (asset, owner, _) = market.assets[slot];
                let lender = [BANK_A, BANK_B, LENDER_C][self.rng.below(3)];
                let loan = LoanId(market.next_loan);
                market.next_loan += 1;
                market.assets[slot].2 = Some(loan);
                market.offered.push((loan, owner));
                let terms = loan_terms(
                    Owner::Subject(self.borrowers[owner].id()),
                    1_000_000,
                    Denomination::OnLedger(market.currency),
                    vec![Collateral::Asset(asset)],
                    chain.time.date(),
                    TimestampMs(chain.time.0 + 7 * MS_PER_DAY),
                );
                chain.member_tx(lender, Payload::OfferLoan(terms))
            }
            // The borrower accepts an offer: collateral locked, principal disbursed.
            4..8 => {
                if market.offered.is_empty() {
                    return None;
                }
                let (loan, owner) = market
                    .offered
                    .swap_remove(self.rng.below(market.offered.len()));
                market.active.push((loan, owner));
                let mut borrower = self.borrowers[owner].clone();
                let tx = chain.borrower_tx(&mut borrower, Payload::AcceptLoan(loan));
                self.borrowers[owner] = borrower;
                tx
            }
            // The borrower pays something towards a running loan.
            8..14 => {
                if market.active.is_empty() {
                    return None;
                }
                let (loan, owner) = market.active[self.rng.below(market.active.len())];
                let mut borrower = self.borrowers[owner].clone();
                let tx = chain.borrower_tx(
                    &mut borrower,
                    Payload::RepayLoan(LoanPayment {
                        loan,
                        amount: Amount(10_000),
                    }),
                );
                self.borrowers[owner] = borrower;
                tx
            }
            // An owner sells an unpledged vehicle to another subject.
            14..17 => {
                let free: Vec<usize> = (0..market.assets.len())
                    .filter(|&a| market.assets[a].2.is_none())
                    .collect();
                if free.is_empty() {
                    return None;
                }
                let slot = free[self.rng.below(free.len())];
                let (asset, owner, _) = market.assets[slot];
                let buyer = self.rng.below(self.registered);
                market.assets[slot].1 = buyer;
                let mut borrower = self.borrowers[owner].clone();
                let tx = chain.borrower_tx(
                    &mut borrower,
                    Payload::TransferAsset(TransferAsset {
                        asset,
                        to: Owner::Subject(self.borrowers[buyer].id()),
                    }),
                );
                self.borrowers[owner] = borrower;
                tx
            }
            // One subject pays another.
            _ => {
                let (payer, payee) = (
                    self.rng.below(self.registered),
                    self.rng.below(self.registered),
                );
                let mut borrower = self.borrowers[payer].clone();
                let tx = chain.borrower_tx(
                    &mut borrower,
                    Payload::TransferFunds(FundsMovement {
                        currency: market.currency,
                        account: Owner::Subject(self.borrowers[payee].id()),
                        amount: Amount(1_000),
                    }),
                );
                self.borrowers[payer] = borrower;
                tx
            }
        };
        Some(tx)
    }

    /// Registers every subject not registered yet, in blocks of `per_block`.
    pub fn register_all(&mut self, chain: &mut Chain, per_block: usize) -> Vec<RecordedBlock> {
        let mut blocks = Vec::new();
        while self.registered < self.borrowers.len() {
            let end = (self.registered + per_block).min(self.borrowers.len());
            let txs: Vec<_> = (self.registered..end)
                .map(|i| {
                    let payload = chain.register(&self.borrowers[i]);
                    let mut borrower = self.borrowers[i].clone();
                    let tx = chain.borrower_tx(&mut borrower, payload);
                    self.borrowers[i] = borrower;
                    tx
                })
                .collect();
            self.registered = end;
            blocks.push(record(chain, 1_000, txs));
        }
        blocks
    }

    /// The next transaction of the mix. Call [`Workload::register_all`] first. With the
    /// market open, a fifth of the mix is lending.
    pub fn next_transaction(&mut self, chain: &mut Chain) -> VerifiedTransaction {
        let subjects = self.borrowers.len();
        let roll = self.rng.below(100);
        if roll >= 80
            && let Some(tx) = self.next_lending(chain, roll - 80)
        {
            return tx;
        }
        let subject = self.rng.below(subjects);
        let lender = [BANK_A, BANK_B, LENDER_C][self.rng.below(3)];
        if roll < 15 || self.records.is_empty() && roll < 85 {
            // A consent, then (below) inquiries under it.
            if chain
                .subject(&self.borrowers[subject])
                .active_consents
                .len()
                < 8
            {
                let payload =
                    chain.consent(&self.borrowers[subject], lender, Purpose::AccountReview);
                let mut borrower = self.borrowers[subject].clone();
                let tx = chain.borrower_tx(&mut borrower, payload);
                self.borrowers[subject] = borrower;
                self.consents
                    .push((ConsentId(self.next_consent), subject, lender));
                self.next_consent += 1;
                return tx;
            }
        }
        if roll < 30 && !self.consents.is_empty() {
            let (consent, _, lender) = self.consents[self.rng.below(self.consents.len())];
            return chain.member_tx(
                lender,
                Payload::RecordInquiry(credence_types::transaction::RecordInquiry { consent }),
            );
        }
        if roll < 33 && !self.records.is_empty() {
            let (record, owner) = self.records[self.rng.below(self.records.len())];
            let mut borrower = self.borrowers[owner].clone();
            let tx = chain.borrower_tx(
                &mut borrower,
                Payload::OpenDispute(credence_types::transaction::OpenDispute {
                    record,
                    reason: credence_types::transaction::DisputeReason::InaccurateStatus,
                }),
            );
            self.borrowers[owner] = borrower;
            self.open_disputes
                .push((credence_types::DisputeId(self.next_dispute), owner));
            self.next_dispute += 1;
            return tx;
        }
        if roll < 35 && !self.open_disputes.is_empty() {
            let (dispute, _) = self
                .open_disputes
                .swap_remove(self.rng.below(self.open_disputes.len()));
            let furnisher = [BANK_A, BANK_B][self.rng.below(2)];
            return chain.member_tx(
                furnisher,
                Payload::AnswerDispute(credence_types::transaction::AnswerDispute {
                    dispute,
                    answer: credence_types::transaction::DisputeAnswer::Verified,
                }),
            );
        }
        // Furnishing: monthly tradeline updates, a tenth of them adverse.
        let furnisher = [BANK_A, BANK_B][self.rng.below(2)];
        let status = if self.rng.chance(10) {
            AccountStatus::PastDue30
        } else {
            AccountStatus::Current
        };
        let account = format!("acct-{subject}-{furnisher}");
        let furnishing = chain.furnishing(&self.borrowers[subject], &account, status, None);
        self.records.push((RecordId(self.next_record), subject));
        self.next_record += 1;
        chain.member_tx(furnisher, Payload::FurnishRecord(furnishing))
    }

    /// `count` transactions of the mix, as one block applied to `chain`.
    pub fn block(&mut self, chain: &mut Chain, count: usize, advance_ms: u64) -> RecordedBlock {
        let txs: Vec<_> = (0..count).map(|_| self.next_transaction(chain)).collect();
        record(chain, advance_ms, txs)
    }
}

/// Applies a block to `chain`, recording it.
pub fn record(
    chain: &mut Chain,
    advance_ms: u64,
    transactions: Vec<VerifiedTransaction>,
) -> RecordedBlock {
    let outcome = chain.block(advance_ms, &transactions);
    RecordedBlock {
        context: BlockContext {
            height: chain.height,
            time: chain.time,
            proposer: chain.proposer.public_key(),
        },
        transactions,
        outcome,
    }
}

// ----- Lending fixtures -----

/// Terms of a monthly amortising loan to `borrower`, first due a month from `today`.
pub fn loan_terms(
    borrower: credence_types::lending::Owner,
    principal: u64,
    denomination: credence_types::lending::Denomination,
    collateral: Vec<credence_types::lending::Collateral>,
    today: Date,
    offer_expires_at: TimestampMs,
) -> credence_types::lending::LoanTerms {
    use credence_types::lending::{DayCount, LoanTerms, Remedy, ScheduleKind};
    LoanTerms {
        borrower,
        principal: Amount(principal),
        denomination,
        rate: credence_types::money::BasisPoints(1_200),
        day_count: DayCount::Actual365Fixed,
        schedule: ScheduleKind::Amortizing,
        first_due: Date(today.0 + 30),
        period_months: 1,
        installments: 12,
        grace_days: 10,
        late_fee: Amount(2_500),
        collateral: BoundedVec::new(collateral).unwrap(),
        max_ltv: credence_types::money::BasisPoints(8_000),
        cure_days: 120,
        remedy: Remedy::TransferToLender,
        offer_expires_at,
    }
}
