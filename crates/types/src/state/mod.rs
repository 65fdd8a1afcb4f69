//! The layout of ledger state: its keys and the objects stored under them.
//!
//! State is a sorted map from fixed-width [`StateKey`]s to encoded objects, committed to by
//! the state root in every block header. The client uses the same key builders to ask for,
//! and verify proofs of, any object.
//!
//! - [`keys`]: the key layout — table tags, one constructor per key, and the rule that keeps
//!   neighbouring keys in different index buckets.
//! - [`objects`]: the stored objects (institutions, subjects, records, consents, inquiries,
//!   disputes, proposals, receipts, a block's events in chunks) and their canonical
//!   encodings; every one fits [`crate::limits::STATE_VALUE_BYTES_MAX`] (checked by the
//!   `largest` tests).
//!
//! Both are re-exported here: callers name `state::StateKey`, `state::Record`, and so on.

pub mod keys;
#[cfg(test)]
mod largest;
pub mod objects;

pub use keys::{KEY_LEN, OwnerCode, StateKey, Table, offsets};
pub use objects::{
    BlockEventsChunk, Compliance, Consent, ConsentInquiry, Counters, Dispute, EVENTS_PER_BLOCK_MAX,
    EventsChunkError, FurnishedAccount, Inquiry, InquiryBasis, Institution, InstitutionListings,
    KycAttestation, ListingCounts, Meta, Principal, Proposal, ProposalStatus, Record,
    ReportKeyEpoch, Signer, Subject, TransactionReceipt,
};
