//! The layout of ledger state: its keys and the objects stored under them.
//!
//! State is a sorted map from fixed-width [`StateKey`]s to encoded objects, committed to by
//! the state root in every block header. The client uses the same key builders to ask for,
//! and verify proofs of, any object.
//!
//! # Key layout rule
//!
//! A key is a one-byte table tag followed by big-endian parts. **Within a table, keys must
//! differ in their first eight bytes after the tag.** The authenticated store indexes keys
//! by the tag and those eight bytes (see ARCHITECTURE.md, "State store"); keys that share
//! them land in one index bucket, and every lookup or insert in a bucket reads each of its
//! keys. So:
//! - objects are keyed by their sequential id or a hash ([`RecordId`], [`SubjectId`]);
//! - per-owner listings are keyed by a short owner number and a per-owner sequence number
//!   (`subject number ‖ n`), both 32-bit, with the object's id as the value;
//! - deadline queues are keyed by the due second and the low 32 bits of the id, then the
//!   exact due time and the full id, so entries due in the same second stay apart while the
//!   table still sorts by due time (to the second).
//!
//! The test `keys_differ_in_their_indexed_bytes` checks every builder against this rule.

use crate::{
    codec::BoundedVec,
    genesis::ChainId,
    governance::{GovernanceAction, InstitutionName, Parameters},
    hash::Digest,
    ids::{
        ConsentId, DisputeId, Height, InquiryId, InstitutionId, ProposalId, RecordId, SubjectId,
    },
    keys::{EncryptionKey, PublicKey},
    limits::{ACTIVE_CONSENTS_PER_SUBJECT_MAX, REPORT_KEY_EPOCHS_MAX},
    metro2::AccountStatus,
    receipt::{BlockEvent, DisputeResolution, Outcome},
    roles::Roles,
    sealed::{SealedKey, SealedPayload, WrappedReportKey},
    time::{Date, TimestampMs},
    transaction::{DisputeReason, InquiryKind, Purpose},
};
use std::fmt;

/// Width of every state key, in bytes: a tag and up to 47 bytes of id, zero-padded.
pub const KEY_LEN: usize = 48;

/// A key in ledger state.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StateKey(pub [u8; KEY_LEN]);
crate::byte_array_newtype!(StateKey, 48);

/// The tables of ledger state, by key tag. Tags are part of the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Table {
    /// The singleton [`Meta`].
    Meta = 0x00,
    /// [`Signer`] by signing key.
    Signer = 0x01,
    /// [`Institution`] by id.
    Institution = 0x02,
    /// Institution id by name (uniqueness index).
    InstitutionName = 0x03,
    /// [`Subject`] by pseudonym.
    Subject = 0x04,
    /// [`ReportKeyEpoch`] by subject number and epoch.
    ReportKeyEpoch = 0x05,
    /// [`KycAttestation`] by subject number and institution.
    Kyc = 0x06,
    /// [`Record`] by id.
    Record = 0x10,
    /// Listing: a subject's records, by subject number and sequence.
    SubjectRecord = 0x11,
    /// Queue: records by purge date.
    PurgeQueue = 0x12,
    /// [`Consent`] by id.
    Consent = 0x20,
    /// Listing: a subject's consents.
    SubjectConsent = 0x21,
    /// Listing: a lender's consents.
    LenderConsent = 0x22,
    /// Queue: consents by expiry.
    ConsentExpiryQueue = 0x24,
    /// [`Inquiry`] by id.
    Inquiry = 0x30,
    /// Listing: a subject's inquiries.
    SubjectInquiry = 0x31,
    /// [`Dispute`] by id.
    Dispute = 0x40,
    /// Listing: a subject's disputes.
    SubjectDispute = 0x41,
    /// Queue: open disputes by answer deadline.
    DisputeDeadlineQueue = 0x42,
    /// [`Proposal`] by id.
    Proposal = 0x50,
    /// Index: who approved a proposal.
    Approval = 0x51,
    /// Queue: open proposals by expiry.
    ProposalExpiryQueue = 0x52,
    /// [`crate::lending::AssetClass`] by id.
    AssetClass = 0x60,
    /// [`crate::lending::Asset`] by id.
    Asset = 0x61,
    /// Listing: an owner's assets, by owner code and sequence (value: the asset id, or
    /// nothing once the asset left).
    OwnerAsset = 0x62,
    /// [`crate::lending::Currency`] by id.
    Currency = 0x63,
    /// Currency id by issuer and symbol (uniqueness index).
    CurrencySymbol = 0x64,
    /// [`crate::lending::Balance`] by currency and owner code.
    Balance = 0x65,
    /// [`crate::lending::Loan`] by id.
    Loan = 0x66,
    /// Queue: loans by their next time-driven check.
    LoanQueue = 0x67,
    /// [`crate::lending::LoanEvent`]s of a loan, by loan and sequence.
    LoanHistory = 0x68,
    /// Listing: the loans that have locked an asset.
    AssetLoan = 0x69,
    /// Listing: a borrower's loans, by owner code and sequence.
    BorrowerLoan = 0x6a,
    /// Listing: a lender's loans, by lender and sequence.
    LenderLoan = 0x6b,
    /// [`TransactionReceipt`] by transaction hash.
    Transaction = 0x70,
    /// The events of a block, by height.
    BlockEvents = 0x71,
}

/// Builds a key from a table tag and the big-endian parts that follow it.
struct KeyBuilder {
    bytes: [u8; KEY_LEN],
    len: usize,
}

impl KeyBuilder {
    fn new(table: Table) -> Self {
        let mut bytes = [0u8; KEY_LEN];
        bytes[0] = table as u8;
        Self { bytes, len: 1 }
    }

    fn push(mut self, part: &[u8]) -> Self {
        let end = self.len + part.len();
        assert!(end <= KEY_LEN, "key layouts must fit in {KEY_LEN} bytes");
        self.bytes[self.len..end].copy_from_slice(part);
        self.len = end;
        self
    }

    fn u64(self, value: u64) -> Self {
        self.push(&value.to_be_bytes())
    }

    fn u32(self, value: u32) -> Self {
        self.push(&value.to_be_bytes())
    }

    fn build(self) -> StateKey {
        StateKey(self.bytes)
    }
}

/// A deadline queue's key parts: the due second and the low 32 bits of the id first (the
/// indexed bytes), then the exact due time and the full id.
fn queue_key(table: Table, due: TimestampMs, id: u64) -> StateKey {
    KeyBuilder::new(table)
        .u32(seconds(due))
        .u32(low32(id))
        .u64(due.0)
        .u64(id)
        .build()
}

/// The second an instant falls in, saturating in 2106.
fn seconds(at: TimestampMs) -> u32 {
    u32::try_from(at.0 / 1000).unwrap_or(u32::MAX)
}

/// The low 32 bits of an id: the bits that vary between neighbours.
fn low32(id: u64) -> u32 {
    u32::try_from(id & u64::from(u32::MAX)).expect("masked to 32 bits")
}

/// A listing key: an owner number, then the entry's sequence number under that owner.
fn listing_key(table: Table, owner: u64, sequence: u32) -> StateKey {
    KeyBuilder::new(table)
        .u32(low32(owner))
        .u32(sequence)
        .u64(owner)
        .build()
}

impl StateKey {
    /// The table tag.
    pub fn tag(&self) -> u8 {
        self.0[0]
    }

    /// The smallest key of a table: the start of a scan over all of it.
    pub fn table_start(table: Table) -> Self {
        KeyBuilder::new(table).build()
    }

    /// The key of the singleton [`Meta`].
    pub fn meta() -> Self {
        KeyBuilder::new(Table::Meta).build()
    }

    /// The key of a [`Signer`].
    pub fn signer(key: &PublicKey) -> Self {
        KeyBuilder::new(Table::Signer).push(&key.0).build()
    }

    /// The key of an [`Institution`].
    pub fn institution(id: InstitutionId) -> Self {
        KeyBuilder::new(Table::Institution).u64(id.0).build()
    }

    /// The key of an institution-name entry (the value is the institution's id).
    pub fn institution_name(name: &InstitutionName) -> Self {
        KeyBuilder::new(Table::InstitutionName)
            .push(name.as_str().as_bytes())
            .build()
    }

    /// The key of a [`Subject`].
    pub fn subject(id: &SubjectId) -> Self {
        KeyBuilder::new(Table::Subject).push(&id.0).build()
    }

    /// The key of one [`ReportKeyEpoch`] of the subject with this number.
    pub fn report_key_epoch(subject_number: u32, epoch: u32) -> Self {
        KeyBuilder::new(Table::ReportKeyEpoch)
            .u32(subject_number)
            .u32(epoch)
            .build()
    }

    /// The key of a [`KycAttestation`].
    pub fn kyc(subject_number: u32, institution: InstitutionId) -> Self {
        KeyBuilder::new(Table::Kyc)
            .u32(subject_number)
            .u32(low32(institution.0))
            .u64(institution.0)
            .build()
    }

    /// The key of a [`Record`].
    pub fn record(id: RecordId) -> Self {
        KeyBuilder::new(Table::Record).u64(id.0).build()
    }

    /// The key of the `sequence`th record of the subject with this number (value: its id).
    pub fn subject_record(subject_number: u32, sequence: u32) -> Self {
        listing_key(Table::SubjectRecord, u64::from(subject_number), sequence)
    }

    /// The key of a purge-queue entry.
    pub fn purge_queue(on: Date, record: RecordId) -> Self {
        queue_key(Table::PurgeQueue, on.start(), record.0)
    }

    /// The key of a [`Consent`].
    pub fn consent(id: ConsentId) -> Self {
        KeyBuilder::new(Table::Consent).u64(id.0).build()
    }

    /// The key of the `sequence`th consent of the subject with this number.
    pub fn subject_consent(subject_number: u32, sequence: u32) -> Self {
        listing_key(Table::SubjectConsent, u64::from(subject_number), sequence)
    }

    /// The key of the `sequence`th consent granted to a lender.
    pub fn lender_consent(lender: InstitutionId, sequence: u32) -> Self {
        listing_key(Table::LenderConsent, lender.0, sequence)
    }

    /// The key of a consent-expiry queue entry.
    pub fn consent_expiry(at: TimestampMs, consent: ConsentId) -> Self {
        queue_key(Table::ConsentExpiryQueue, at, consent.0)
    }

    /// The key of an [`Inquiry`].
    pub fn inquiry(id: InquiryId) -> Self {
        KeyBuilder::new(Table::Inquiry).u64(id.0).build()
    }

    /// The key of the `sequence`th inquiry on the subject with this number.
    pub fn subject_inquiry(subject_number: u32, sequence: u32) -> Self {
        listing_key(Table::SubjectInquiry, u64::from(subject_number), sequence)
    }

    /// The key of a [`Dispute`].
    pub fn dispute(id: DisputeId) -> Self {
        KeyBuilder::new(Table::Dispute).u64(id.0).build()
    }

    /// The key of the `sequence`th dispute of the subject with this number.
    pub fn subject_dispute(subject_number: u32, sequence: u32) -> Self {
        listing_key(Table::SubjectDispute, u64::from(subject_number), sequence)
    }

    /// The key of a dispute-deadline queue entry.
    pub fn dispute_deadline(at: TimestampMs, dispute: DisputeId) -> Self {
        queue_key(Table::DisputeDeadlineQueue, at, dispute.0)
    }

    /// The key of a [`Proposal`].
    pub fn proposal(id: ProposalId) -> Self {
        KeyBuilder::new(Table::Proposal).u64(id.0).build()
    }

    /// The key of an approval entry.
    pub fn approval(proposal: ProposalId, institution: InstitutionId) -> Self {
        KeyBuilder::new(Table::Approval)
            .u32(low32(proposal.0))
            .u32(low32(institution.0))
            .u64(proposal.0)
            .u64(institution.0)
            .build()
    }

    /// The key of a proposal-expiry queue entry.
    pub fn proposal_expiry(at: TimestampMs, proposal: ProposalId) -> Self {
        queue_key(Table::ProposalExpiryQueue, at, proposal.0)
    }

    /// The key of a transaction's [`TransactionReceipt`].
    pub fn transaction(hash: &Digest) -> Self {
        KeyBuilder::new(Table::Transaction).push(&hash.0).build()
    }

    /// The key of a block's events (a [`BlockEvents`]).
    pub fn block_events(height: Height) -> Self {
        KeyBuilder::new(Table::BlockEvents).u64(height.0).build()
    }

    /// The key of an [`crate::lending::AssetClass`].
    pub fn asset_class(id: crate::ids::AssetClassId) -> Self {
        KeyBuilder::new(Table::AssetClass).u64(id.0).build()
    }

    /// The key of an [`crate::lending::Asset`].
    pub fn asset(id: crate::ids::AssetId) -> Self {
        KeyBuilder::new(Table::Asset).u64(id.0).build()
    }

    /// The key of the `sequence`th entry of an owner's asset listing.
    pub fn owner_asset(owner: OwnerCode, sequence: u32) -> Self {
        listing_key(Table::OwnerAsset, u64::from(owner.0), sequence)
    }

    /// The key of a [`crate::lending::Currency`].
    pub fn currency(id: crate::ids::CurrencyId) -> Self {
        KeyBuilder::new(Table::Currency).u64(id.0).build()
    }

    /// The key of a currency-symbol entry.
    pub fn currency_symbol(issuer: InstitutionId, symbol: &crate::lending::Symbol) -> Self {
        KeyBuilder::new(Table::CurrencySymbol)
            .u32(low32(issuer.0))
            .push(symbol.as_str().as_bytes())
            .build()
    }

    /// The key of an account's [`crate::lending::Balance`].
    pub fn balance(currency: crate::ids::CurrencyId, owner: OwnerCode) -> Self {
        KeyBuilder::new(Table::Balance)
            .u32(low32(currency.0))
            .u32(owner.0)
            .u64(currency.0)
            .build()
    }

    /// The key of a [`crate::lending::Loan`].
    pub fn loan(id: crate::ids::LoanId) -> Self {
        KeyBuilder::new(Table::Loan).u64(id.0).build()
    }

    /// The key of a loan-queue entry.
    pub fn loan_queue(at: TimestampMs, loan: crate::ids::LoanId) -> Self {
        queue_key(Table::LoanQueue, at, loan.0)
    }

    /// The key of the `sequence`th event in a loan's history.
    pub fn loan_history(loan: crate::ids::LoanId, sequence: u32) -> Self {
        listing_key(Table::LoanHistory, loan.0, sequence)
    }

    /// The key of the `sequence`th loan to lock an asset.
    pub fn asset_loan(asset: crate::ids::AssetId, sequence: u32) -> Self {
        listing_key(Table::AssetLoan, asset.0, sequence)
    }

    /// The key of the `sequence`th loan of a borrower.
    pub fn borrower_loan(owner: OwnerCode, sequence: u32) -> Self {
        listing_key(Table::BorrowerLoan, u64::from(owner.0), sequence)
    }

    /// The key of the `sequence`th loan of a lender.
    pub fn lender_loan(lender: InstitutionId, sequence: u32) -> Self {
        listing_key(Table::LenderLoan, lender.0, sequence)
    }

    /// The first key of a queue after every entry due at or before `at`: the exclusive end
    /// of a scan for due entries (entries due later in the same second are included and
    /// must be skipped by their [`StateKey::due_ms`]).
    pub fn queue_end(table: Table, at: TimestampMs) -> Self {
        KeyBuilder::new(table)
            .u32(seconds(at).saturating_add(1))
            .build()
    }

    /// The exact due time of a queue entry.
    pub fn due_ms(&self) -> TimestampMs {
        TimestampMs(self.u64_at(offsets::QUEUE_DUE))
    }

    /// The id of a queue entry.
    pub fn queue_id(&self) -> u64 {
        self.u64_at(offsets::QUEUE_ID)
    }

    /// The big-endian u64 at byte `offset`.
    pub fn u64_at(&self, offset: usize) -> u64 {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&self.0[offset..offset + 8]);
        u64::from_be_bytes(bytes)
    }

    /// The first key of a listing: `owner`'s entries from sequence 0.
    pub fn listing_start(table: Table, owner: u64) -> Self {
        listing_key(table, owner, 0)
    }
}

/// An owner as keys name it: a subject's number, or an institution's id with the top bit
/// set, so the two never collide and both fit the indexed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OwnerCode(pub u32);

impl OwnerCode {
    /// The code of a subject with this number.
    pub fn subject(number: u32) -> Self {
        Self(number & 0x7fff_ffff)
    }

    /// The code of an institution.
    pub fn institution(id: InstitutionId) -> Self {
        Self(0x8000_0000 | (low32(id.0) & 0x7fff_ffff))
    }
}

/// Byte offsets of the parts of composite keys.
pub mod offsets {
    /// The exact due time in a queue key.
    pub const QUEUE_DUE: usize = 9;
    /// The full id in a queue key.
    pub const QUEUE_ID: usize = 17;
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Counters that hand out sequential ids.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counters {
    /// Next institution id.
    pub institution: InstitutionId,
    /// Next subject number.
    pub subject: u32,
    /// Next record id.
    pub record: RecordId,
    /// Next consent id.
    pub consent: ConsentId,
    /// Next inquiry id.
    pub inquiry: InquiryId,
    /// Next dispute id.
    pub dispute: DisputeId,
    /// Next proposal id.
    pub proposal: ProposalId,
    /// Next asset class id.
    pub asset_class: crate::ids::AssetClassId,
    /// Next asset id.
    pub asset: crate::ids::AssetId,
    /// Next currency id.
    pub currency: crate::ids::CurrencyId,
    /// Next loan id.
    pub loan: crate::ids::LoanId,
}
crate::codec_struct!(Counters {
    institution,
    subject,
    record,
    consent,
    inquiry,
    dispute,
    proposal,
    asset_class,
    asset,
    currency,
    loan
});

/// Network-wide state: one per chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Meta {
    /// The chain id.
    pub chain_id: ChainId,
    /// The genesis digest.
    pub genesis: Digest,
    /// The audit key.
    pub audit_key: EncryptionKey,
    /// Current parameters.
    pub parameters: Parameters,
    /// Id counters.
    pub counters: Counters,
    /// Institutions that are not suspended: the governance electorate.
    pub active_members: u32,
    /// Active institutions holding the validator role.
    pub active_validators: u32,
}
crate::codec_struct!(Meta {
    chain_id,
    genesis,
    audit_key,
    parameters,
    counters,
    active_members,
    active_validators
});

/// Who a signing key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Principal {
    /// A member institution.
    Institution(InstitutionId),
    /// A subject.
    Subject(SubjectId),
    /// A key an institution rotated away from: it can sign nothing, and is never reused,
    /// so its old transactions can never be replayed.
    Retired,
}
crate::codec_enum!(Principal {
    1 => Institution(InstitutionId),
    2 => Subject(SubjectId),
    3 => Retired,
});

/// A signing key's owner and its replay counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signer {
    /// The owner.
    pub principal: Principal,
    /// The nonce of the key's last accepted transaction (0 before the first).
    pub nonce: u64,
}
crate::codec_struct!(Signer { principal, nonce });

/// A member institution.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Institution {
    /// Its id.
    pub id: InstitutionId,
    /// Its handle.
    pub name: InstitutionName,
    /// What it may do.
    pub roles: Roles,
    /// Its current signing key.
    pub signing_key: PublicKey,
    /// Its current encryption key.
    pub encryption_key: EncryptionKey,
    /// Whether it is suspended.
    pub suspended: bool,
    /// When it joined (genesis time for founders).
    pub admitted_at: TimestampMs,
    /// Consents granted to it so far: the next sequence number of its consent listing.
    pub consents_received: u32,
    /// Entries in its listings of loans made, assets and loans borrowed.
    pub listings: InstitutionListings,
}

/// How many entries an institution has in each of its listings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstitutionListings {
    /// Loans it offered.
    pub loans_made: u32,
    /// Assets it has owned.
    pub assets: u32,
    /// Loans it borrowed.
    pub loans_borrowed: u32,
}
crate::codec_struct!(InstitutionListings {
    loans_made,
    assets,
    loans_borrowed
});
crate::codec_struct!(Institution {
    id,
    name,
    roles,
    signing_key,
    encryption_key,
    suspended,
    admitted_at,
    consents_received,
    listings
});

impl Institution {
    /// Whether it is active and holds `role`.
    pub fn may_act_as(&self, role: crate::roles::Role) -> bool {
        !self.suspended && self.roles.has(role)
    }
}

/// How many entries a subject has in each of its listings: the next sequence numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListingCounts {
    /// Records furnished about it.
    pub records: u32,
    /// Consents it granted.
    pub consents: u32,
    /// Inquiries on its file.
    pub inquiries: u32,
    /// Disputes it opened.
    pub disputes: u32,
    /// Assets it has owned.
    pub assets: u32,
    /// Loans it borrowed.
    pub loans: u32,
}
crate::codec_struct!(ListingCounts {
    records,
    consents,
    inquiries,
    disputes,
    assets,
    loans
});

/// A subject (borrower): a pseudonym with keys, and nothing that identifies a person.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subject {
    /// Its pseudonym.
    pub id: SubjectId,
    /// Its number, in registration order: the owner part of its listing keys.
    pub number: u32,
    /// Its signing key.
    pub signing_key: PublicKey,
    /// Its current report key; records are sealed to it.
    pub report_key: EncryptionKey,
    /// The current report key's epoch.
    pub report_key_epoch: u32,
    /// Its consents that have not ended, in ascending order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<ConsentId>))]
    pub active_consents: BoundedVec<ConsentId, ACTIVE_CONSENTS_PER_SUBJECT_MAX>,
    /// The sizes of its listings.
    pub listings: ListingCounts,
    /// When it registered.
    pub registered_at: TimestampMs,
}
crate::codec_struct!(Subject {
    id,
    number,
    signing_key,
    report_key,
    report_key_epoch,
    active_consents,
    listings,
    registered_at
});

/// One epoch of a subject's report key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportKeyEpoch {
    /// The public key of the epoch.
    pub report_key: EncryptionKey,
    /// Its private key sealed to the audit key.
    pub audit_key_wrap: SealedKey,
    /// When the epoch began.
    pub since: TimestampMs,
}
crate::codec_struct!(ReportKeyEpoch {
    report_key,
    audit_key_wrap,
    since
});

/// An institution's KYC attestation for a subject.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KycAttestation {
    /// The salted commitment to the verified identity.
    pub commitment: Digest,
    /// When it was attested.
    pub at: TimestampMs,
}
crate::codec_struct!(KycAttestation { commitment, at });

/// A credit record. Never edited in place: corrections are new records that supersede it;
/// the only changes are the links and flags the rules set (superseded, disputed, deleted,
/// purged).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Record {
    /// Its id.
    pub id: RecordId,
    /// Who furnished it.
    pub furnisher: InstitutionId,
    /// Who it is about.
    pub subject: SubjectId,
    /// Salted hash of the account number.
    pub account: Digest,
    /// Metro 2 account status.
    pub status: AccountStatus,
    /// Date of first delinquency.
    pub first_delinquency: Option<Date>,
    /// As-of date.
    pub as_of: Date,
    /// The report-key epoch the payload is sealed to.
    pub report_key_epoch: u32,
    /// The sealed payload; `None` once purged.
    pub payload: Option<SealedPayload>,
    /// Commitment to the plaintext; kept after purge.
    pub commitment: Digest,
    /// The record this one supersedes.
    pub supersedes: Option<RecordId>,
    /// The record that superseded this one.
    pub superseded_by: Option<RecordId>,
    /// When it was furnished.
    pub furnished_at: TimestampMs,
    /// When its payload is purged, for negative records.
    pub purge_on: Option<Date>,
    /// Its open dispute, if any.
    pub open_dispute: Option<DisputeId>,
    /// Whether it was deleted (by its furnisher, a deletion code, or a lapsed dispute).
    pub deleted: bool,
    /// The loan contract that furnished it by itself, if any; such records carry only
    /// cleartext metadata (no payload), since the state machine cannot seal.
    pub loan: Option<crate::ids::LoanId>,
}
crate::codec_struct!(Record {
    id,
    furnisher,
    subject,
    account,
    status,
    first_delinquency,
    as_of,
    report_key_epoch,
    payload,
    commitment,
    supersedes,
    superseded_by,
    furnished_at,
    purge_on,
    open_dispute,
    deleted,
    loan,
});

/// A consent a subject gave a lender.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consent {
    /// Its id.
    pub id: ConsentId,
    /// The subject.
    pub subject: SubjectId,
    /// The lender.
    pub lender: InstitutionId,
    /// Why.
    pub purpose: Purpose,
    /// Hard or soft.
    pub kind: InquiryKind,
    /// When granted.
    pub granted_at: TimestampMs,
    /// When it ends (exclusive).
    pub expires_at: TimestampMs,
    /// When revoked, if it was.
    pub revoked_at: Option<TimestampMs>,
    /// Whether it has ended (revoked or expired).
    pub ended: bool,
    /// The report keys sealed to the lender, one per epoch while the consent was active.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<WrappedReportKey>))]
    pub report_keys: BoundedVec<WrappedReportKey, REPORT_KEY_EPOCHS_MAX>,
}
crate::codec_struct!(Consent {
    id,
    subject,
    lender,
    purpose,
    kind,
    granted_at,
    expires_at,
    revoked_at,
    ended,
    report_keys
});

impl Consent {
    /// Whether the consent allows reads at `now`.
    pub fn is_active_at(&self, now: TimestampMs) -> bool {
        !self.ended && now < self.expires_at
    }
}

/// On what basis a file was read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InquiryBasis {
    /// A lender read under a consent.
    Consent(ConsentInquiry),
    /// The regulator read through the audit key for a supervisory case.
    Supervisory(Digest),
}
crate::codec_enum!(InquiryBasis {
    1 => Consent(ConsentInquiry),
    2 => Supervisory(Digest),
});

/// The consent a lender read under.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentInquiry {
    /// The consent.
    pub consent: ConsentId,
    /// Its purpose.
    pub purpose: Purpose,
    /// Hard or soft.
    pub kind: InquiryKind,
}
crate::codec_struct!(ConsentInquiry {
    consent,
    purpose,
    kind
});

/// A read of a subject's file, visible to the subject.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inquiry {
    /// Its id.
    pub id: InquiryId,
    /// The subject.
    pub subject: SubjectId,
    /// Who read.
    pub institution: InstitutionId,
    /// On what basis.
    pub basis: InquiryBasis,
    /// When.
    pub at: TimestampMs,
}
crate::codec_struct!(Inquiry {
    id,
    subject,
    institution,
    basis,
    at
});

/// A subject's dispute of a record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dispute {
    /// Its id.
    pub id: DisputeId,
    /// The disputed record.
    pub record: RecordId,
    /// The subject.
    pub subject: SubjectId,
    /// The furnisher that must answer.
    pub furnisher: InstitutionId,
    /// Why.
    pub reason: DisputeReason,
    /// When opened.
    pub opened_at: TimestampMs,
    /// The answer deadline.
    pub deadline: TimestampMs,
    /// How it ended, once it has.
    pub resolution: Option<DisputeResolution>,
    /// When it ended.
    pub resolved_at: Option<TimestampMs>,
    /// The correcting record, when corrected.
    pub correction: Option<RecordId>,
}
crate::codec_struct!(Dispute {
    id,
    record,
    subject,
    furnisher,
    reason,
    opened_at,
    deadline,
    resolution,
    resolved_at,
    correction
});

/// Where a proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    /// Collecting approvals.
    Open,
    /// Took effect.
    Enacted,
    /// Lapsed.
    Expired,
}
crate::codec_enum!(ProposalStatus {
    1 => Open,
    2 => Enacted,
    3 => Expired,
});

/// A governance proposal.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proposal {
    /// Its id.
    pub id: ProposalId,
    /// Who proposed it.
    pub proposer: InstitutionId,
    /// What it does.
    pub action: GovernanceAction,
    /// When submitted.
    pub submitted_at: TimestampMs,
    /// When it lapses.
    pub expires_at: TimestampMs,
    /// Approvals so far (the proposer's included).
    pub approvals: u32,
    /// Where it stands.
    pub status: ProposalStatus,
}
crate::codec_struct!(Proposal {
    id,
    proposer,
    action,
    submitted_at,
    expires_at,
    approvals,
    status
});

/// Where a transaction landed and how it fared: its receipt, kept in state so that a light
/// client can verify a transaction's outcome against a signed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransactionReceipt {
    /// The block it is in.
    pub height: Height,
    /// Its position in the block.
    pub index: u32,
    /// Whether it applied.
    pub outcome: Outcome,
}
crate::codec_struct!(TransactionReceipt {
    height,
    index,
    outcome
});

/// Most events one block may hold: a bound for decoding [`BlockEvents`]. Each transaction
/// emits at most a handful, and blocks are bounded in transactions.
pub const EVENTS_PER_BLOCK_MAX: usize = 1 << 20;

/// The events of one block, in the order emitted: what the event stream replays.
pub type BlockEvents = BoundedVec<BlockEvent, EVENTS_PER_BLOCK_MAX>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes the store's index keys on: the tag and the next eight.
    fn indexed(key: &StateKey) -> [u8; 9] {
        key.0[..9].try_into().unwrap()
    }

    #[test]
    fn keys_differ_in_their_indexed_bytes() {
        let subject = SubjectId([7; 32]);
        let due = TimestampMs(1_800_000_000_123);
        // Neighbouring objects of every table must not share the indexed bytes.
        let pairs: Vec<(StateKey, StateKey)> = vec![
            (StateKey::record(RecordId(1)), StateKey::record(RecordId(2))),
            (
                StateKey::subject_record(3, 0),
                StateKey::subject_record(3, 1),
            ),
            (
                StateKey::subject_record(3, 0),
                StateKey::subject_record(4, 0),
            ),
            (
                StateKey::lender_consent(InstitutionId(2), 9),
                StateKey::lender_consent(InstitutionId(2), 10),
            ),
            (
                StateKey::report_key_epoch(3, 0),
                StateKey::report_key_epoch(3, 1),
            ),
            (
                StateKey::kyc(3, InstitutionId(0)),
                StateKey::kyc(3, InstitutionId(1)),
            ),
            (
                StateKey::consent_expiry(due, ConsentId(1)),
                StateKey::consent_expiry(due, ConsentId(2)),
            ),
            (
                StateKey::dispute_deadline(due, DisputeId(1)),
                StateKey::dispute_deadline(due, DisputeId(2)),
            ),
            (
                StateKey::purge_queue(Date(20_000), RecordId(5)),
                StateKey::purge_queue(Date(20_000), RecordId(6)),
            ),
            (
                StateKey::approval(ProposalId(1), InstitutionId(0)),
                StateKey::approval(ProposalId(1), InstitutionId(1)),
            ),
            (
                StateKey::block_events(Height(1)),
                StateKey::block_events(Height(2)),
            ),
            (
                StateKey::subject(&subject),
                StateKey::subject(&SubjectId([8; 32])),
            ),
        ];
        for (a, b) in pairs {
            assert_ne!(
                indexed(&a),
                indexed(&b),
                "{a:?} and {b:?} share an index bucket"
            );
        }
    }

    #[test]
    fn queues_sort_by_due_second_and_keep_the_exact_time() {
        let early = StateKey::dispute_deadline(TimestampMs(5_000), DisputeId(9));
        let late = StateKey::dispute_deadline(TimestampMs(6_000), DisputeId(1));
        assert!(early < late);
        assert_eq!(late.queue_id(), 1);
        assert_eq!(late.due_ms(), TimestampMs(6_000));
        let end = StateKey::queue_end(Table::DisputeDeadlineQueue, TimestampMs(5_999));
        assert!(early < end && late >= end);
        // An entry due later in the same second sorts before the end: scans must check it.
        let same_second = StateKey::dispute_deadline(TimestampMs(5_999), DisputeId(3));
        assert!(same_second < end);
    }

    #[test]
    fn listings_sort_by_owner_then_sequence() {
        assert!(StateKey::subject_record(3, 7) < StateKey::subject_record(3, 8));
        assert!(StateKey::subject_record(3, u32::MAX) < StateKey::subject_record(4, 0));
        assert_eq!(
            StateKey::listing_start(Table::SubjectRecord, 3),
            StateKey::subject_record(3, 0)
        );
    }
}
