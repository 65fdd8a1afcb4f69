//! Deterministic blocks of raw changes shared by the store's tests.
#![allow(dead_code)]

use credence_ledger::ChangeSet;
use credence_store::CommitInfo;
use credence_types::{Digest, Height, RecordId, state::StateKey};

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

/// The commit metadata of the raw block at `height`.
pub fn info(height: u64) -> CommitInfo {
    CommitInfo {
        height: Height(height),
        block: Digest::of("test-block", &[&height.to_be_bytes()]),
    }
}
