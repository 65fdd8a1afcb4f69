//! The largest value every table can hold, built field by field: each bounded list full,
//! each option present, each enum at its largest variant, each name at its longest. The
//! tests check them against the bounds in [`crate::limits`] that proofs are sized by
//! ([`STATE_VALUE_BYTES_MAX`], [`BLOCK_EVENT_BYTES_MAX`]).
#![allow(clippy::unwrap_used)]

use super::*;
use crate::{
    codec::{BoundedBytes, BoundedVec, EncodeSize, Name, Write, encode},
    epoch::{
        ConsensusSeat, EpochCursor, EpochRecord, EpochValidator, PeerAddress, Roster, ValidatorList,
    },
    governance::{GovernanceAction, NewInstitution, Parameters},
    hash::Digest,
    ids::{
        AssetClassId, AssetId, ConsentId, CurrencyId, DisputeId, Height, InquiryId, InstitutionId,
        LoanId, ProposalId, RecordId, SubjectId,
    },
    keys::{EncryptionKey, PublicKey},
    lending::{
        Asset, AssetClass, Balance, Collateral, Currency, DayCount, Denomination, FundsPledge,
        Loan, LoanEvent, LoanStatus, LoanTerms, Overdue, Owner, Remedy, ScheduleKind, Valuation,
    },
    limits::{
        ACTIVE_CONSENTS_PER_SUBJECT_MAX, BLOCK_EVENT_BYTES_MAX, COLLATERAL_ITEMS_MAX,
        EVENTS_PER_CHUNK, OBJECT_FIELDS_BYTES_MAX, OVERDUE_INSTALLMENTS_MAX, REPORT_KEY_EPOCHS_MAX,
        SEALED_PAYLOAD_BYTES_MAX, STATE_VALUE_BYTES_MAX, VALIDATORS_MAX, WRAPPED_REPORT_KEY_BYTES,
    },
    metro2::{AccountStatus, ComplianceCondition},
    money::{Amount, BasisPoints},
    receipt::{BlockEvent, DeadlineQueue, DisputeResolution, Event, EventSource, Outcome},
    rejection::Rejection,
    roles::{Role, Roles},
    sealed::{SealedKey, SealedPayload, WrappedReportKey},
    time::{Date, TimestampMs},
    transaction::{DisputeReason, InquiryKind, Purpose},
};

const T: TimestampMs = TimestampMs(u64::MAX);
const D: Digest = Digest([0xff; 32]);
const S: SubjectId = SubjectId([0xff; 32]);
const I: InstitutionId = InstitutionId(u64::MAX);
const A: Amount = Amount(u64::MAX);

fn name<const MAX: usize>() -> Name<MAX> {
    Name::new(&"a".repeat(MAX)).unwrap()
}

fn full<X: Clone, const MAX: usize>(item: X) -> BoundedVec<X, MAX> {
    BoundedVec::new(vec![item; MAX]).unwrap()
}

fn owner() -> Owner {
    Owner::Subject(S)
}

fn roles() -> Roles {
    Roles::of(&Role::ALL)
}

fn wrapped() -> WrappedReportKey {
    WrappedReportKey {
        epoch: u32::MAX,
        key: SealedKey::default(),
    }
}

fn record() -> Record {
    Record {
        id: RecordId(u64::MAX),
        furnisher: I,
        subject: S,
        account: D,
        status: AccountStatus::ALL[0],
        first_delinquency: Some(Date(u32::MAX)),
        as_of: Date(u32::MAX),
        report_key_epoch: u32::MAX,
        payload: Some(SealedPayload {
            encapsulated_key: Default::default(),
            ciphertext: BoundedBytes::new(vec![0xff; SEALED_PAYLOAD_BYTES_MAX]).unwrap(),
        }),
        commitment: D,
        supersedes: Some(RecordId(u64::MAX)),
        superseded_by: Some(RecordId(u64::MAX)),
        furnished_at: T,
        purge_on: Some(Date(u32::MAX)),
        open_dispute: Some(DisputeId(u64::MAX)),
        deleted: true,
        loan: Some(LoanId(u64::MAX)),
        compliance: Some(Compliance {
            code: ComplianceCondition::Xh,
            dispute: DisputeId(u64::MAX),
        }),
    }
}

fn consent() -> Consent {
    Consent {
        id: ConsentId(u64::MAX),
        subject: S,
        lender: I,
        purpose: Purpose::AccountReview,
        kind: InquiryKind::Hard,
        granted_at: T,
        granted_height: Height(u64::MAX),
        expires_at: T,
        revoked_at: Some(T),
        ended_height: Some(Height(u64::MAX)),
        report_keys: full(wrapped()),
    }
}

fn loan() -> Loan {
    let terms = LoanTerms {
        borrower: owner(),
        principal: A,
        denomination: Denomination::OffLedger(name()),
        rate: BasisPoints(u32::MAX),
        day_count: DayCount::Thirty360,
        schedule: ScheduleKind::Amortizing,
        first_due: Date(u32::MAX),
        period_months: u8::MAX,
        installments: u16::MAX,
        grace_days: u16::MAX,
        late_fee: A,
        collateral: full::<_, COLLATERAL_ITEMS_MAX>(Collateral::Funds(FundsPledge {
            currency: CurrencyId(u64::MAX),
            amount: A,
        })),
        max_ltv: BasisPoints(u32::MAX),
        cure_days: u16::MAX,
        remedy: Remedy::Liquidate(I),
        offer_expires_at: T,
    };
    Loan {
        id: LoanId(u64::MAX),
        lender: I,
        terms,
        status: LoanStatus::Defaulted,
        offered_at: T,
        accepted_at: Some(T),
        installment: A,
        principal: A,
        interest: A,
        fees: A,
        accrued_to: Date(u32::MAX),
        installments_due: u16::MAX,
        overdue: full::<_, OVERDUE_INSTALLMENTS_MAX>(Overdue {
            due: Date(u32::MAX),
            amount: A,
            fee_charged: true,
        }),
        band: u16::MAX,
        next_check: Some(T),
        paid: A,
        tradeline: Some(RecordId(u64::MAX)),
        history: u32::MAX,
    }
}

/// The largest of every governance action.
fn actions() -> Vec<GovernanceAction> {
    vec![
        GovernanceAction::AddInstitution(NewInstitution {
            name: name(),
            roles: roles(),
            signing_key: PublicKey([0xff; 32]),
            encryption_key: EncryptionKey([0xff; 32]),
            consensus: Some(seat()),
        }),
        GovernanceAction::SuspendInstitution(I),
        GovernanceAction::ReinstateInstitution(I),
        GovernanceAction::RotateInstitutionKeys(crate::governance::KeyChange {
            institution: I,
            signing_key: PublicKey([0xff; 32]),
            encryption_key: EncryptionKey([0xff; 32]),
        }),
        GovernanceAction::SetRoles(crate::governance::RoleChange {
            institution: I,
            roles: roles(),
        }),
        GovernanceAction::SetParameters(Parameters::default()),
        GovernanceAction::SetConsensusSeat(crate::governance::SeatChange {
            institution: I,
            seat: seat(),
        }),
    ]
}

/// The largest consensus seat: an IPv6 address.
fn seat() -> ConsensusSeat {
    ConsensusSeat {
        key: PublicKey([0xff; 32]),
        address: PeerAddress(std::net::SocketAddr::new(
            std::net::Ipv6Addr::from([0xff; 16]).into(),
            u16::MAX,
        )),
    }
}

/// The largest validator set.
fn validators() -> ValidatorList {
    full::<_, VALIDATORS_MAX>(EpochValidator {
        institution: I,
        seat: seat(),
    })
}

/// The largest of every loan event.
fn loan_events() -> Vec<LoanEvent> {
    vec![
        LoanEvent::Accepted { at: T },
        LoanEvent::InstallmentDue {
            due: Date(u32::MAX),
            amount: A,
        },
        LoanEvent::Payment {
            at: T,
            fees: A,
            interest: A,
            principal: A,
        },
        LoanEvent::LateFee { at: T, amount: A },
        LoanEvent::Band {
            at: T,
            days: u16::MAX,
        },
        LoanEvent::Defaulted { at: T },
        LoanEvent::Liquidated {
            at: T,
            proceeds: A,
            surplus: A,
        },
        LoanEvent::Repaid { at: T },
    ]
}

/// The largest event of every kind.
fn events() -> Vec<Event> {
    let record = RecordId(u64::MAX);
    let consent = ConsentId(u64::MAX);
    let dispute = DisputeId(u64::MAX);
    let proposal = ProposalId(u64::MAX);
    let asset = AssetId(u64::MAX);
    let currency = CurrencyId(u64::MAX);
    let loan = LoanId(u64::MAX);
    let status = AccountStatus::ALL[0];
    vec![
        Event::SubjectRegistered { subject: S },
        Event::KycAttested {
            subject: S,
            institution: I,
        },
        Event::ReportKeyRotated {
            subject: S,
            epoch: u32::MAX,
        },
        Event::RecordFurnished {
            record,
            subject: S,
            furnisher: I,
            status,
            supersedes: Some(record),
        },
        Event::Adverse {
            subject: S,
            record,
            furnisher: I,
            status,
        },
        Event::ConsentGranted {
            consent,
            subject: S,
            lender: I,
            purpose: Purpose::AccountReview,
            inquiry_kind: InquiryKind::Hard,
            expires_at: T,
        },
        Event::ConsentRevoked {
            consent,
            subject: S,
            lender: I,
        },
        Event::ConsentExpired {
            consent,
            subject: S,
            lender: I,
        },
        Event::InquiryRecorded {
            inquiry: InquiryId(u64::MAX),
            subject: S,
            lender: I,
            consent,
            purpose: Purpose::AccountReview,
            inquiry_kind: InquiryKind::Hard,
        },
        Event::AuditAccessRecorded {
            subject: S,
            regulator: I,
        },
        Event::DisputeOpened {
            dispute,
            record,
            subject: S,
            furnisher: I,
            deadline: T,
        },
        Event::DisputeResolved {
            dispute,
            record,
            subject: S,
            resolution: DisputeResolution::Corrected,
            correction: Some(record),
        },
        Event::RecordPurged { record, subject: S },
        Event::ProposalSubmitted {
            proposal,
            proposer: I,
        },
        Event::ProposalApproved {
            proposal,
            approver: I,
            approvals: u32::MAX,
        },
        Event::ProposalEnacted { proposal },
        Event::ProposalExpired { proposal },
        Event::AssetClassDefined {
            class: AssetClassId(u64::MAX),
            registrar: I,
        },
        Event::AssetRegistered {
            asset,
            owner: owner(),
            registrar: I,
        },
        Event::AssetRevalued { asset, value: A },
        Event::AssetTransferred {
            asset,
            from: owner(),
            to: owner(),
        },
        Event::CurrencyIssued {
            currency,
            issuer: I,
        },
        Event::FundsMinted {
            currency,
            account: owner(),
            amount: A,
        },
        Event::FundsRedeemed {
            currency,
            holder: owner(),
            amount: A,
        },
        Event::FundsTransferred {
            currency,
            from: owner(),
            to: owner(),
            amount: A,
        },
        Event::LoanOffered {
            loan,
            lender: I,
            borrower: owner(),
        },
        Event::OfferClosed {
            loan,
            borrower: owner(),
            withdrawn: true,
        },
        Event::LoanAccepted {
            loan,
            lender: I,
            borrower: owner(),
        },
        Event::LoanPaid {
            loan,
            borrower: owner(),
            amount: A,
        },
        Event::LoanBand {
            loan,
            borrower: owner(),
            days_past_due: u16::MAX,
        },
        Event::LoanRepaid {
            loan,
            borrower: owner(),
        },
        Event::LoanDefaulted {
            loan,
            lender: I,
            borrower: owner(),
        },
        Event::LiquidationCompleted {
            loan,
            borrower: owner(),
            proceeds: A,
            surplus: A,
        },
        Event::DeadlineFailed {
            queue: DeadlineQueue::Purge,
            id: u64::MAX,
            code: Rejection::ChainIdMismatch,
        },
        Event::AppraiserAppointed {
            asset,
            owner: owner(),
            appraiser: Some(I),
        },
        Event::AccountReinstated {
            record,
            subject: S,
            furnisher: I,
            reinstates: record,
        },
    ]
}

/// The largest block event: the largest event from the largest source.
fn largest_block_event() -> BlockEvent {
    let event = events()
        .into_iter()
        .max_by_key(EncodeSize::encode_size)
        .unwrap();
    BlockEvent {
        source: EventSource::Transaction(u32::MAX),
        event,
    }
}

fn sizes<X: Write + EncodeSize>(values: impl IntoIterator<Item = X>) -> Vec<usize> {
    values
        .into_iter()
        .map(|value| encode(&value).len())
        .collect()
}

fn one<X: Write + EncodeSize>(value: X) -> Vec<usize> {
    sizes([value])
}

/// The encoded sizes of the largest values `table` holds (several when the value is an enum
/// whose variants differ in size).
fn largest(table: Table) -> Vec<usize> {
    match table {
        Table::Meta => one(Meta {
            chain_id: name(),
            genesis: D,
            audit_key: EncryptionKey([0xff; 32]),
            parameters: Parameters::default(),
            counters: Counters::default(),
            active_members: u32::MAX,
            active_validators: u32::MAX,
            epoch: EpochCursor {
                number: u64::MAX,
                last_height: Height(u64::MAX),
            },
        }),
        Table::Signer => one(Signer {
            principal: Principal::Institution(I),
            nonce: u64::MAX,
        }),
        Table::Institution => one(Institution {
            id: I,
            name: name(),
            roles: roles(),
            signing_key: PublicKey([0xff; 32]),
            encryption_key: EncryptionKey([0xff; 32]),
            consensus: Some(seat()),
            suspended: true,
            admitted_at: T,
            consents_received: u32::MAX,
            listings: InstitutionListings {
                loans_made: u32::MAX,
                assets: u32::MAX,
                loans_borrowed: u32::MAX,
                disputes_received: u32::MAX,
            },
        }),
        Table::InstitutionName | Table::ConsensusKey => one(I),
        Table::Roster => one(Roster {
            validators: validators(),
        }),
        Table::Epoch => one(EpochRecord {
            epoch: u64::MAX,
            first_height: Height(u64::MAX),
            last_height: Height(u64::MAX),
            validators: validators(),
        }),
        Table::Subject => one(Subject {
            id: S,
            number: u32::MAX,
            signing_key: PublicKey([0xff; 32]),
            report_key: EncryptionKey([0xff; 32]),
            report_key_epoch: u32::MAX,
            active_consents: full::<_, ACTIVE_CONSENTS_PER_SUBJECT_MAX>(ConsentId(u64::MAX)),
            listings: ListingCounts::default(),
            registered_at: T,
        }),
        Table::ReportKeyEpoch => one(ReportKeyEpoch {
            report_key: EncryptionKey([0xff; 32]),
            audit_key_wrap: SealedKey::default(),
            since: T,
        }),
        Table::Kyc => one(KycAttestation {
            commitment: D,
            at: T,
        }),
        Table::Record => one(record()),
        Table::SubjectRecord => one(RecordId(u64::MAX)),
        Table::FurnishedAccount => one(FurnishedAccount {
            furnisher: I,
            subject: S,
            account: D,
            latest: RecordId(u64::MAX),
            records: u32::MAX,
            open_dispute: Some(DisputeId(u64::MAX)),
            last_dispute: Some(DisputeId(u64::MAX)),
            deleted: Some(RecordId(u64::MAX)),
        }),
        Table::Consent => one(consent()),
        Table::SubjectConsent | Table::LenderConsent => one(ConsentId(u64::MAX)),
        Table::Inquiry => sizes(
            [
                InquiryBasis::Consent(ConsentInquiry {
                    consent: ConsentId(u64::MAX),
                    purpose: Purpose::AccountReview,
                    kind: InquiryKind::Hard,
                }),
                InquiryBasis::Supervisory(D),
            ]
            .map(|basis| Inquiry {
                id: InquiryId(u64::MAX),
                subject: S,
                institution: I,
                basis,
                at: T,
            }),
        ),
        Table::SubjectInquiry | Table::SubjectPrivateInquiry => one(InquiryId(u64::MAX)),
        Table::Dispute => one(Dispute {
            id: DisputeId(u64::MAX),
            record: RecordId(u64::MAX),
            subject: S,
            furnisher: I,
            reason: DisputeReason::NotMine,
            opened_at: T,
            deadline: T,
            resolution: Some(DisputeResolution::Corrected),
            resolved_at: Some(T),
            correction: Some(RecordId(u64::MAX)),
        }),
        Table::SubjectDispute | Table::FurnisherDispute => one(DisputeId(u64::MAX)),
        Table::Proposal => sizes(actions().into_iter().map(|action| Proposal {
            id: ProposalId(u64::MAX),
            proposer: I,
            action,
            submitted_at: T,
            expires_at: T,
            approvals: u32::MAX,
            status: ProposalStatus::Open,
        })),
        // Queue and index entries are marks: present, with no value.
        Table::PurgeQueue
        | Table::ConsentExpiryQueue
        | Table::DisputeDeadlineQueue
        | Table::Approval
        | Table::ProposalExpiryQueue
        | Table::LoanQueue => vec![0],
        Table::AssetClass => one(AssetClass {
            id: AssetClassId(u64::MAX),
            registrar: I,
            name: name(),
            schema: D,
        }),
        Table::Asset => one(Asset {
            id: AssetId(u64::MAX),
            class: AssetClassId(u64::MAX),
            owner: owner(),
            identity: D,
            registrar: I,
            appraiser: Some(I),
            valuation: Valuation {
                value: A,
                denomination: Denomination::OffLedger(name()),
                at: T,
                registrar: I,
            },
            lock: Some(LoanId(u64::MAX)),
            liquidation: Some(I),
            listing: u32::MAX,
            loans: u32::MAX,
        }),
        Table::OwnerAsset | Table::AssetIdentity => one(AssetId(u64::MAX)),
        Table::Currency => one(Currency {
            id: CurrencyId(u64::MAX),
            symbol: name(),
            issuer: I,
            supply: A,
        }),
        Table::CurrencySymbol => one(CurrencyId(u64::MAX)),
        Table::Balance => one(Balance {
            available: A,
            locked: A,
        }),
        Table::Loan => one(loan()),
        Table::LoanHistory => sizes(loan_events()),
        Table::AssetLoan | Table::BorrowerLoan | Table::LenderLoan => one(LoanId(u64::MAX)),
        Table::Transaction => sizes(
            [
                Outcome::Applied,
                Outcome::Rejected(Rejection::ChainIdMismatch),
            ]
            .map(|outcome| TransactionReceipt {
                height: Height(u64::MAX),
                index: u32::MAX,
                outcome,
            }),
        ),
        Table::BlockEvents => one(BlockEventsChunk {
            total: u32::MAX,
            events: full::<_, EVENTS_PER_CHUNK>(largest_block_event()),
        }),
    }
}

#[test]
fn every_stored_objects_largest_encoding_fits_the_value_bound() {
    for table in Table::ALL {
        for size in largest(table) {
            assert!(
                size <= STATE_VALUE_BYTES_MAX,
                "{table}: {size} bytes, more than STATE_VALUE_BYTES_MAX ({STATE_VALUE_BYTES_MAX})"
            );
        }
    }
}

#[test]
fn objects_are_their_large_field_and_at_most_the_fields_bound_besides() {
    // The three large fields the value bound is made of, each measured as stored.
    let record = encode(&record()).len();
    let consent = encode(&consent()).len();
    assert!(record <= SEALED_PAYLOAD_BYTES_MAX + OBJECT_FIELDS_BYTES_MAX);
    assert!(consent <= REPORT_KEY_EPOCHS_MAX * WRAPPED_REPORT_KEY_BYTES + OBJECT_FIELDS_BYTES_MAX);
    assert_eq!(encode(&wrapped()).len(), WRAPPED_REPORT_KEY_BYTES);
    let chunk = largest(Table::BlockEvents)[0];
    assert!(chunk <= EVENTS_PER_CHUNK * BLOCK_EVENT_BYTES_MAX + OBJECT_FIELDS_BYTES_MAX);
    // Every other object is small enough to need no large field at all.
    for table in Table::ALL {
        if matches!(table, Table::Record | Table::Consent | Table::BlockEvents) {
            continue;
        }
        for size in largest(table) {
            assert!(size <= OBJECT_FIELDS_BYTES_MAX, "{table}: {size} bytes");
        }
    }
}

#[test]
fn the_largest_values_are_what_the_bounds_say() {
    // Printed with `--nocapture`, for the figures in ARCHITECTURE.md.
    for table in Table::ALL {
        println!("{table}: {:?}", largest(table));
    }
    println!(
        "largest block event: {}",
        encode(&largest_block_event()).len()
    );
    assert_eq!(STATE_VALUE_BYTES_MAX, 12_800);
}

#[test]
fn every_event_kind_fits_the_event_bound() {
    let events = events();
    let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
    assert_eq!(kinds, Event::KINDS, "the largest of every kind, in order");
    for event in events {
        let sourced = BlockEvent {
            source: EventSource::Transaction(u32::MAX),
            event,
        };
        let size = encode(&sourced).len();
        assert!(size <= BLOCK_EVENT_BYTES_MAX, "{sourced:?}: {size} bytes");
    }
}
