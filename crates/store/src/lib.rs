//! Credence's authenticated state store.
//!
//! Ledger state lives in a QMDB (`commonware-storage`'s `qmdb::current::ordered`): an
//! append-only log of operations under a Merkle structure whose root authenticates every key's
//! current value. A block's changes are staged in a batch, merkleized (which yields the state
//! root the block will commit to, without applying anything), then applied and made durable
//! in one commit whose metadata records the block's header. A crash at any instant
//! therefore recovers a whole committed block, never part of one. ARCHITECTURE.md ("State
//! store") gives the measurements behind the choice.
//!
//! - [`Store`]: open or recover, read, speculate, commit, prove;
//! - [`execute`]: run the state machine against the store, loading state on demand;
//! - [`proof`]: inclusion and exclusion proofs, and their verification against a root alone.

mod db;
pub mod execute;
pub mod proof;
mod view;

pub use db::{FLOOR_STRIDE, Pending, Store, StoreConfig, StoreError};
pub use execute::execute;
pub use proof::{ProofError, StateProof, verify};
