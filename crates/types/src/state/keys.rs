//! The layout of state keys: a table tag, then big-endian parts.
//!
//! This module owns every [`StateKey`] constructor; nothing else builds a key from bytes.
//! Tags ([`Table`]) and part orders are part of the format: changing one changes every
//! state root.
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
//!   table still sorts by due time (to the second);
//! - a block's events, stored in chunks, are keyed like a listing: the low 32 bits of the
//!   height and the chunk number, then the full height.
//!
//! The test `keys_differ_in_their_indexed_bytes` checks every builder against this rule.

use crate::{
    governance::InstitutionName,
    hash::Digest,
    ids::{
        ConsentId, DisputeId, Height, InquiryId, InstitutionId, ProposalId, RecordId, SubjectId,
    },
    keys::PublicKey,
    time::{Date, TimestampMs},
};
use std::fmt;

/// Width of every state key, in bytes: a tag and up to 47 bytes of id, zero-padded.
pub const KEY_LEN: usize = 48;

/// A key in ledger state. Keys order as their bytes do, which is the store's order and
/// every range proof's.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateKey(pub [u8; KEY_LEN]);
crate::byte_array_newtype!(StateKey, 48);

const _: () = assert!(KEY_LEN.is_multiple_of(8), "a key compares as whole words");

/// Byte order, compared a word at a time. The derived order calls `memcmp` for every
/// comparison, and executing a block searches ordered maps of keys (the block's writes, the
/// state it loaded) for every read and write of every transaction.
impl Ord for StateKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let (ours, _) = self.0.as_chunks::<8>();
        let (theirs, _) = other.0.as_chunks::<8>();
        for (a, b) in ours.iter().zip(theirs) {
            let order = u64::from_be_bytes(*a).cmp(&u64::from_be_bytes(*b));
            if order.is_ne() {
                return order;
            }
        }
        std::cmp::Ordering::Equal
    }
}

impl PartialOrd for StateKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The tables of ledger state, by key tag. Tags are part of the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Table {
    /// The singleton [`Meta`](super::Meta).
    Meta = 0x00,
    /// [`Signer`](super::Signer) by signing key.
    Signer = 0x01,
    /// [`Institution`](super::Institution) by id.
    Institution = 0x02,
    /// Institution id by name (uniqueness index).
    InstitutionName = 0x03,
    /// [`Subject`](super::Subject) by pseudonym.
    Subject = 0x04,
    /// [`ReportKeyEpoch`](super::ReportKeyEpoch) by subject number and epoch.
    ReportKeyEpoch = 0x05,
    /// [`KycAttestation`](super::KycAttestation) by subject number and institution.
    Kyc = 0x06,
    /// The singleton [`Roster`](crate::epoch::Roster): who would validate if an epoch
    /// began now.
    Roster = 0x07,
    /// [`EpochRecord`](crate::epoch::EpochRecord) by epoch number.
    Epoch = 0x08,
    /// Institution id by consensus key (uniqueness index; a key once seated is never
    /// seated again).
    ConsensusKey = 0x09,
    /// [`Record`](super::Record) by id.
    Record = 0x10,
    /// Listing: a subject's records, by subject number and sequence.
    SubjectRecord = 0x11,
    /// Queue: records by purge date.
    PurgeQueue = 0x12,
    /// [`FurnishedAccount`](super::FurnishedAccount) by account reference, furnisher and
    /// subject number.
    FurnishedAccount = 0x13,
    /// [`Consent`](super::Consent) by id.
    Consent = 0x20,
    /// Listing: a subject's consents.
    SubjectConsent = 0x21,
    /// Listing: a lender's consents.
    LenderConsent = 0x22,
    /// Queue: consents by expiry.
    ConsentExpiryQueue = 0x24,
    /// [`Inquiry`](super::Inquiry) by id.
    Inquiry = 0x30,
    /// Listing: a subject's hard inquiries.
    SubjectInquiry = 0x31,
    /// Listing: a subject's soft and supervisory inquiries.
    SubjectPrivateInquiry = 0x32,
    /// [`Dispute`](super::Dispute) by id.
    Dispute = 0x40,
    /// Listing: a subject's disputes.
    SubjectDispute = 0x41,
    /// Queue: open disputes by answer deadline.
    DisputeDeadlineQueue = 0x42,
    /// Listing: the disputes a furnisher received.
    FurnisherDispute = 0x43,
    /// [`Proposal`](super::Proposal) by id.
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
    /// Asset id by identity commitment (uniqueness index: one real asset, one registration).
    AssetIdentity = 0x6c,
    /// [`TransactionReceipt`](super::TransactionReceipt) by transaction hash.
    Transaction = 0x70,
    /// The events of a block, in chunks, by height and chunk number.
    BlockEvents = 0x71,
}

impl Table {
    /// Every table, in tag order.
    pub const ALL: [Table; 43] = [
        Self::Meta,
        Self::Signer,
        Self::Institution,
        Self::InstitutionName,
        Self::Subject,
        Self::ReportKeyEpoch,
        Self::Kyc,
        Self::Roster,
        Self::Epoch,
        Self::ConsensusKey,
        Self::Record,
        Self::SubjectRecord,
        Self::PurgeQueue,
        Self::FurnishedAccount,
        Self::Consent,
        Self::SubjectConsent,
        Self::LenderConsent,
        Self::ConsentExpiryQueue,
        Self::Inquiry,
        Self::SubjectInquiry,
        Self::SubjectPrivateInquiry,
        Self::Dispute,
        Self::SubjectDispute,
        Self::DisputeDeadlineQueue,
        Self::FurnisherDispute,
        Self::Proposal,
        Self::Approval,
        Self::ProposalExpiryQueue,
        Self::AssetClass,
        Self::Asset,
        Self::OwnerAsset,
        Self::Currency,
        Self::CurrencySymbol,
        Self::Balance,
        Self::Loan,
        Self::LoanQueue,
        Self::LoanHistory,
        Self::AssetLoan,
        Self::BorrowerLoan,
        Self::LenderLoan,
        Self::AssetIdentity,
        Self::Transaction,
        Self::BlockEvents,
    ];
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

    /// The key of the singleton [`Meta`](super::Meta).
    pub fn meta() -> Self {
        KeyBuilder::new(Table::Meta).build()
    }

    /// The key of a [`Signer`](super::Signer).
    pub fn signer(key: &PublicKey) -> Self {
        KeyBuilder::new(Table::Signer).push(&key.0).build()
    }

    /// The key of an [`Institution`](super::Institution).
    pub fn institution(id: InstitutionId) -> Self {
        KeyBuilder::new(Table::Institution).u64(id.0).build()
    }

    /// The [`Roster`](crate::epoch::Roster) singleton.
    pub fn roster() -> Self {
        KeyBuilder::new(Table::Roster).build()
    }

    /// The record of epoch `number`.
    pub fn epoch(number: u64) -> Self {
        KeyBuilder::new(Table::Epoch).u64(number).build()
    }

    /// The institution a consensus key was seated for.
    pub fn consensus_key(key: &PublicKey) -> Self {
        KeyBuilder::new(Table::ConsensusKey).push(&key.0).build()
    }

    /// The key of an institution-name entry (the value is the institution's id).
    pub fn institution_name(name: &InstitutionName) -> Self {
        KeyBuilder::new(Table::InstitutionName)
            .push(name.as_str().as_bytes())
            .build()
    }

    /// The key of a [`Subject`](super::Subject).
    pub fn subject(id: &SubjectId) -> Self {
        KeyBuilder::new(Table::Subject).push(&id.0).build()
    }

    /// The key of one [`ReportKeyEpoch`](super::ReportKeyEpoch) of the subject with this
    /// number.
    pub fn report_key_epoch(subject_number: u32, epoch: u32) -> Self {
        KeyBuilder::new(Table::ReportKeyEpoch)
            .u32(subject_number)
            .u32(epoch)
            .build()
    }

    /// The key of a [`KycAttestation`](super::KycAttestation).
    pub fn kyc(subject_number: u32, institution: InstitutionId) -> Self {
        KeyBuilder::new(Table::Kyc)
            .u32(subject_number)
            .u32(low32(institution.0))
            .u64(institution.0)
            .build()
    }

    /// The key of a [`Record`](super::Record).
    pub fn record(id: RecordId) -> Self {
        KeyBuilder::new(Table::Record).u64(id.0).build()
    }

    /// The key of the `sequence`th record of the subject with this number (value: its id).
    pub fn subject_record(subject_number: u32, sequence: u32) -> Self {
        listing_key(Table::SubjectRecord, u64::from(subject_number), sequence)
    }

    /// The key of a [`FurnishedAccount`](super::FurnishedAccount): the account reference
    /// first (its bytes vary the most), then the furnisher and the subject's number.
    pub fn furnished_account(
        furnisher: InstitutionId,
        subject_number: u32,
        account: &Digest,
    ) -> Self {
        KeyBuilder::new(Table::FurnishedAccount)
            .push(&account.0)
            .u64(furnisher.0)
            .u32(subject_number)
            .build()
    }

    /// The key of the `sequence`th dispute a furnisher received (value: its id).
    pub fn furnisher_dispute(furnisher: InstitutionId, sequence: u32) -> Self {
        listing_key(Table::FurnisherDispute, furnisher.0, sequence)
    }

    /// The key of a purge-queue entry.
    pub fn purge_queue(on: Date, record: RecordId) -> Self {
        queue_key(Table::PurgeQueue, on.start(), record.0)
    }

    /// The key of a [`Consent`](super::Consent).
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

    /// The key of an [`Inquiry`](super::Inquiry).
    pub fn inquiry(id: InquiryId) -> Self {
        KeyBuilder::new(Table::Inquiry).u64(id.0).build()
    }

    /// The key of the `sequence`th hard inquiry on the subject with this number.
    pub fn subject_inquiry(subject_number: u32, sequence: u32) -> Self {
        listing_key(Table::SubjectInquiry, u64::from(subject_number), sequence)
    }

    /// The key of the `sequence`th soft or supervisory inquiry on the subject with this
    /// number.
    pub fn subject_private_inquiry(subject_number: u32, sequence: u32) -> Self {
        listing_key(
            Table::SubjectPrivateInquiry,
            u64::from(subject_number),
            sequence,
        )
    }

    /// The key of a [`Dispute`](super::Dispute).
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

    /// The key of a [`Proposal`](super::Proposal).
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

    /// The key of a transaction's [`TransactionReceipt`](super::TransactionReceipt).
    pub fn transaction(hash: &Digest) -> Self {
        KeyBuilder::new(Table::Transaction).push(&hash.0).build()
    }

    /// The key of chunk `chunk` of a block's events (a
    /// [`BlockEventsChunk`](super::BlockEventsChunk)). Laid out as a listing (the height
    /// as owner, the chunk as sequence), so every chunk of every block has its own index
    /// bucket; readers ask for a block's chunks by key, never by scanning across heights.
    pub fn block_events(height: Height, chunk: u32) -> Self {
        listing_key(Table::BlockEvents, height.0, chunk)
    }

    /// The key of an [`crate::lending::AssetClass`].
    pub fn asset_class(id: crate::ids::AssetClassId) -> Self {
        KeyBuilder::new(Table::AssetClass).u64(id.0).build()
    }

    /// The key of an [`crate::lending::Asset`].
    pub fn asset(id: crate::ids::AssetId) -> Self {
        KeyBuilder::new(Table::Asset).u64(id.0).build()
    }

    /// The key of the asset registered under an identity commitment.
    pub fn asset_identity(identity: &crate::Digest) -> Self {
        KeyBuilder::new(Table::AssetIdentity)
            .push(&identity.0)
            .build()
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Keys of a few tables whose bytes often agree for a long prefix, so that every word
    /// of the comparison decides some pairs.
    fn key() -> impl Strategy<Value = StateKey> {
        (
            proptest::sample::select(vec![0x00u8, 0x11, 0x7f, 0x80, 0xff]),
            proptest::collection::vec(proptest::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff]), 47),
        )
            .prop_map(|(tag, rest)| {
                let mut bytes = [0u8; KEY_LEN];
                bytes[0] = tag;
                bytes[1..].copy_from_slice(&rest);
                StateKey(bytes)
            })
    }

    proptest! {
        /// The store, range proofs and the ledger's maps must agree on the order of keys:
        /// the word-wise comparison is byte order, exactly.
        #[test]
        fn keys_order_as_their_bytes(a in key(), b in key(), shared in 0usize..=KEY_LEN) {
            // Share a prefix of random length, so that equal words are common.
            let mut b = b;
            b.0[..shared].copy_from_slice(&a.0[..shared]);
            prop_assert_eq!(a.cmp(&b), a.0.cmp(&b.0));
            prop_assert_eq!(a.partial_cmp(&b), Some(a.0.cmp(&b.0)));
            prop_assert_eq!(a.cmp(&b) == std::cmp::Ordering::Equal, a == b);
        }
    }

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
            (StateKey::epoch(1), StateKey::epoch(2)),
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
                StateKey::block_events(Height(1), 0),
                StateKey::block_events(Height(2), 0),
            ),
            (
                StateKey::block_events(Height(1), 0),
                StateKey::block_events(Height(1), 1),
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
    fn every_table_is_listed_once_in_tag_order() {
        assert!(
            Table::ALL
                .windows(2)
                .all(|pair| (pair[0] as u8) < (pair[1] as u8))
        );
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
