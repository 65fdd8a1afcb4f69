//! Deterministic blocks of raw changes shared by the store's tests.
#![allow(dead_code)]

use credence_ledger::ChangeSet;
use credence_types::{
    BlockHeader, Digest, Height, PublicKey, RecordId, TimestampMs, state::StateKey,
};

/// A deterministic block of raw changes: upserts of records and some deletions.
pub fn raw_block(height: u64) -> ChangeSet {
    let mut changes = ChangeSet::new();
    for i in 0..40u64 {
        let id = (height * 37 + i * 11) % 500;
        let value = format!("value {id} at {height}").into_bytes();
        changes.insert(StateKey::record(RecordId(id)), Some(value));
    }
    for i in 0..5u64 {
        changes.insert(StateKey::record(RecordId((height * 13 + i) % 500)), None);
    }
    changes
}

/// The header of the raw block at `height` (its state root is the store's to fill).
pub fn info(height: u64) -> BlockHeader {
    BlockHeader {
        parent: Digest::of("test-block", &[&height.to_be_bytes()]),
        height: Height(height),
        time: TimestampMs(1_000 + height),
        proposer: PublicKey::default(),
        transactions_root: Digest::default(),
        transaction_count: 0,
        state_root: Digest::default(),
    }
}

/// Whether two headers are the same block but for the state root.
pub fn same_block(a: &BlockHeader, b: &BlockHeader) -> bool {
    BlockHeader {
        state_root: Digest::default(),
        ..*a
    } == BlockHeader {
        state_root: Digest::default(),
        ..*b
    }
}
