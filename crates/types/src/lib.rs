//! Credence's domain types and their canonical binary encoding.
//!
//! Everything that is signed, hashed or stored by the ledger is defined here, with one
//! encoding each (the `commonware-codec` wire format; see ARCHITECTURE.md, "Canonical
//! encoding"). This crate does no I/O, holds no clock and reads no randomness: it is the
//! vocabulary shared by the state machine, the node, the client and the tools.
//!
//! Invariants every type here keeps:
//! - decoding never panics, whatever the bytes, and rejects trailing bytes;
//! - every variable-length field has a named bound in [`limits`], enforced while decoding,
//!   so a decoder never allocates more than its input justifies;
//! - `decode(encode(x)) == x`, and `encode` is a function of the value alone, so two
//!   nodes hashing the same value get the same digest (pinned by fixture tests).
#![deny(clippy::float_arithmetic)]

pub mod access;
pub mod api;
pub mod api_error;
pub mod block;
pub mod codec;
pub mod epoch;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod genesis;
pub mod governance;
pub mod hash;
pub mod ids;
pub mod keys;
pub mod lending;
pub mod limits;
pub mod metro2;
pub mod money;
#[cfg(feature = "openapi")]
pub(crate) mod openapi;
pub mod receipt;
pub mod rejection;
pub mod roles;
pub mod sealed;
pub mod state;
pub mod time;
pub mod transaction;

pub use api_error::ApiErrorCode;
pub use block::{Block, BlockContext, BlockHeader};
pub use codec::{BoundedBytes, BoundedVec, DecodeError, Name, decode, encode};
pub use hash::Digest;
pub use ids::{
    AssetClassId, AssetId, ConsentId, CurrencyId, DisputeId, Height, InquiryId, InstitutionId,
    LoanId, ProposalId, RecordId, SubjectId,
};
pub use keys::{EncryptionKey, PublicKey, Signature};
pub use receipt::{Event, Outcome, Receipt};
pub use rejection::Rejection;
pub use roles::{Role, Roles};
pub use time::{Date, TimestampMs};
pub use transaction::{Payload, SignedTransaction, Transaction};

/// Crates the codec macros expand to, so downstream crates need not depend on them.
#[doc(hidden)]
pub mod __private {
    pub use bytes;
    pub use commonware_codec;
    pub use hex;
    pub use serde;
}
