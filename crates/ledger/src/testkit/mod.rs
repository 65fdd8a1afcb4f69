//! Fixtures for tests and benchmarks: a small consortium with deterministic keys, subjects
//! that seal and wrap with real HPKE, and an in-memory chain to apply blocks to.
//!
//! Compiled only with the `testkit` feature; nothing in a node uses it.
//!
//! - `members`: the consortium's members and their deterministic keys.
//! - `chain`: the in-memory [`Chain`] and its driver (blocks, time, reads, state digests).
//! - `subjects`: [`Borrower`]s and the payloads that seal and wrap to their report keys.
//! - `loans`: loan-term builders.
//! - `payloads`: one fixed payload of every kind.
//! - `workload`: a seeded, realistic [`Workload`].
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod chain;
mod loans;
mod members;
mod payloads;
mod subjects;
mod workload;

pub use chain::{Chain, changed_tables, rejection_footprint};
pub use loans::loan_terms;
pub use members::{BANK_A, BANK_B, LENDER_C, Member, REGISTRAR, REGULATOR, Signer};
pub use payloads::fixed_payloads;
pub use subjects::{Borrower, tradeline};
pub use workload::{RecordedBlock, Rng, Workload, record};

use credence_types::TimestampMs;

/// 2026-01-01T00:00:00Z.
pub const GENESIS_TIME: TimestampMs = TimestampMs(1_767_225_600_000);

/// The deterministic consensus key of validator `index`: a key of its own, apart from its
/// institution's signing key.
pub fn consensus_key(index: u64) -> credence_crypto::SigningKey {
    Signer::from_seed(10_000 + index).key
}

/// The deterministic consensus seat of validator `index`: its [`consensus_key`] and a
/// loopback address.
pub fn consensus_seat(index: u64) -> credence_types::epoch::ConsensusSeat {
    credence_types::epoch::ConsensusSeat {
        key: consensus_key(index).public_key(),
        address: credence_types::epoch::PeerAddress(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            u16::try_from(9_000 + index).unwrap(),
        ))),
    }
}

/// The state key `delta` steps from `key`, as a big-endian number (wrapping at the ends): a
/// neighbour an absence proof must cover.
pub fn key_step(
    key: &credence_types::state::StateKey,
    delta: i8,
) -> credence_types::state::StateKey {
    let mut bytes = key.0;
    for byte in bytes.iter_mut().rev() {
        let (next, carried) = if delta > 0 {
            byte.overflowing_add(delta.unsigned_abs())
        } else {
            byte.overflowing_sub(delta.unsigned_abs())
        };
        *byte = next;
        if !carried {
            break;
        }
    }
    credence_types::state::StateKey(bytes)
}
