//! How the state machine reads and writes state.
//!
//! The ledger reads committed state through [`StateRead`] and never writes to it: executing a
//! block yields a [`ChangeSet`] that the store commits atomically with the block's height.
//! Within a block, writes go to an [`Overlay`] with two layers — the block's accepted changes
//! and the current transaction's — so a rejected transaction is dropped whole.

use credence_types::state::StateKey;
use std::collections::BTreeMap;

/// The writes a block makes: a new value, or `None` for a deletion, per key, in key order.
pub type ChangeSet = BTreeMap<StateKey, Option<Vec<u8>>>;

/// Reading committed state failed. This is never the transaction's fault: the block cannot
/// be executed until the store recovers.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StateError {
    /// The store could not read.
    #[error("state read failed: {0}")]
    Read(String),
    /// A stored value does not decode: the store is corrupt.
    #[error("state value under {key} does not decode")]
    Corrupt {
        /// The key whose value is corrupt.
        key: StateKey,
    },
    /// A rule found state that breaks an invariant the ledger itself keeps (a bug, or
    /// corruption): the block cannot be executed, and the node stops rather than guess.
    #[error("a ledger invariant is broken: {0}")]
    Invariant(&'static str),
    /// The store has not loaded this key yet (stores that load on demand ask the executor to
    /// fetch it and retry).
    #[error("state key {0} is not loaded")]
    NotLoaded(StateKey),
    /// The store has not loaded this range yet.
    #[error("state range {start}..{end} (limit {limit}) is not loaded")]
    RangeNotLoaded {
        /// First key.
        start: StateKey,
        /// Exclusive end.
        end: StateKey,
        /// Most entries.
        limit: usize,
    },
}

/// Read access to committed state.
pub trait StateRead {
    /// Calls `read` with the value under `key` (`None`: nothing is stored there), borrowed
    /// from where it is kept: the rules decode values in place instead of copying them out.
    /// `read` runs while the value is borrowed (for the store's loaded state, under its
    /// lock), so it must not read this state again.
    fn read<R>(
        &self,
        key: &StateKey,
        read: impl FnOnce(Option<&[u8]>) -> R,
    ) -> Result<R, StateError>;

    /// The value under `key`, copied out.
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StateError> {
        self.read(key, |value| value.map(<[u8]>::to_vec))
    }

    /// Up to `limit` entries with `start <= key < end`, in key order.
    fn range(
        &self,
        start: &StateKey,
        end: &StateKey,
        limit: usize,
    ) -> Result<Vec<(StateKey, Vec<u8>)>, StateError>;
}

/// Decodes the object `stored` under `key`, if any: bytes that do not decode are corrupt state.
pub fn decode_stored<T: commonware_codec::Read<Cfg = ()>>(
    key: &StateKey,
    stored: Option<&[u8]>,
) -> Result<Option<T>, StateError> {
    stored
        .map(|bytes| {
            credence_types::codec::decode(bytes).map_err(|_| StateError::Corrupt { key: *key })
        })
        .transpose()
}

/// Reads and decodes the object under `key` in `state`.
pub fn load<T: commonware_codec::Read<Cfg = ()>, S: StateRead + ?Sized>(
    state: &S,
    key: &StateKey,
) -> Result<Option<T>, StateError> {
    state.read(key, |stored| decode_stored(key, stored))?
}

/// In-memory state: what tests and the reference model use, and the shape of a snapshot.
impl StateRead for BTreeMap<StateKey, Vec<u8>> {
    fn read<R>(
        &self,
        key: &StateKey,
        read: impl FnOnce(Option<&[u8]>) -> R,
    ) -> Result<R, StateError> {
        Ok(read(BTreeMap::get(self, key).map(Vec::as_slice)))
    }

    fn range(
        &self,
        start: &StateKey,
        end: &StateKey,
        limit: usize,
    ) -> Result<Vec<(StateKey, Vec<u8>)>, StateError> {
        if start >= end {
            return Ok(Vec::new());
        }
        Ok(BTreeMap::range(self, start..end)
            .take(limit)
            .map(|(k, v)| (*k, v.clone()))
            .collect())
    }
}

/// Applies a change set to an in-memory state.
pub fn apply_changes(state: &mut BTreeMap<StateKey, Vec<u8>>, changes: &ChangeSet) {
    for (key, value) in changes {
        match value {
            Some(value) => {
                state.insert(*key, value.clone());
            }
            None => {
                state.remove(key);
            }
        }
    }
}

/// How many entries to read from below `layers` so that, after their deletions hide some,
/// `limit` live entries remain: each deletion hides at most one entry.
pub fn widened_limit(
    layers: &[&ChangeSet],
    start: &StateKey,
    end: &StateKey,
    limit: usize,
) -> usize {
    let hidden = layers
        .iter()
        .map(|layer| layer.range(start..end).filter(|(_, v)| v.is_none()).count())
        .sum::<usize>();
    limit.saturating_add(hidden)
}

/// Merges entries read from below (with [`widened_limit`]) with `layers` of changes, later
/// layers winning, and keeps the first `limit` live entries of `start..end`.
pub fn merge_range(
    base: Vec<(StateKey, Vec<u8>)>,
    layers: &[&ChangeSet],
    start: &StateKey,
    end: &StateKey,
    limit: usize,
) -> Vec<(StateKey, Vec<u8>)> {
    let mut merged: BTreeMap<StateKey, Vec<u8>> = base.into_iter().collect();
    for layer in layers {
        for (key, value) in layer.range(start..end) {
            match value {
                Some(value) => merged.insert(*key, value.clone()),
                None => merged.remove(key),
            };
        }
    }
    merged.into_iter().take(limit).collect()
}

/// Committed state with a block's writes layered on top.
pub(crate) struct Overlay<'s, S: StateRead + ?Sized> {
    base: &'s S,
    block: ChangeSet,
    transaction: ChangeSet,
}

impl<'s, S: StateRead + ?Sized> Overlay<'s, S> {
    pub(crate) fn new(base: &'s S) -> Self {
        Self {
            base,
            block: ChangeSet::new(),
            transaction: ChangeSet::new(),
        }
    }

    pub(crate) fn put(&mut self, key: StateKey, value: Vec<u8>) {
        self.transaction.insert(key, Some(value));
    }

    pub(crate) fn delete(&mut self, key: StateKey) {
        self.transaction.insert(key, None);
    }

    /// Keeps the current transaction's writes.
    pub(crate) fn commit_transaction(&mut self) {
        let writes = std::mem::take(&mut self.transaction);
        self.block.extend(writes);
    }

    /// Drops the current transaction's writes.
    pub(crate) fn rollback_transaction(&mut self) {
        self.transaction.clear();
    }

    pub(crate) fn into_changes(mut self) -> ChangeSet {
        self.commit_transaction();
        self.block
    }
}

/// The block's state as its rules see it: each layer hides what lies below it.
impl<S: StateRead + ?Sized> StateRead for Overlay<'_, S> {
    /// The value from the newest layer that has one.
    fn read<R>(
        &self,
        key: &StateKey,
        read: impl FnOnce(Option<&[u8]>) -> R,
    ) -> Result<R, StateError> {
        match self.transaction.get(key).or_else(|| self.block.get(key)) {
            Some(value) => Ok(read(value.as_deref())),
            None => self.base.read(key, read),
        }
    }

    /// Up to `limit` live entries with `start <= key < end`, merging the layers.
    fn range(
        &self,
        start: &StateKey,
        end: &StateKey,
        limit: usize,
    ) -> Result<Vec<(StateKey, Vec<u8>)>, StateError> {
        if start >= end || limit == 0 {
            return Ok(Vec::new());
        }
        let layers = [&self.block, &self.transaction];
        let base = self
            .base
            .range(start, end, widened_limit(&layers, start, end, limit))?;
        Ok(merge_range(base, &layers, start, end, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credence_types::ids::RecordId;

    fn key(n: u64) -> StateKey {
        StateKey::record(RecordId(n))
    }

    #[test]
    fn overlay_range_merges_layers_and_hides_deletions() {
        let base: BTreeMap<StateKey, Vec<u8>> =
            (0..10u8).map(|n| (key(u64::from(n)), vec![n])).collect();
        let mut overlay = Overlay::new(&base);
        overlay.delete(key(1));
        overlay.delete(key(2));
        overlay.commit_transaction();
        overlay.put(key(20), vec![20]);
        overlay.delete(key(3));
        overlay.put(key(4), vec![44]);
        let got: Vec<_> = overlay
            .range(&key(0), &key(100), 4)
            .unwrap()
            .into_iter()
            .map(|(_, v)| v[0])
            .collect();
        assert_eq!(got, vec![0, 44, 5, 6]);
        overlay.rollback_transaction();
        let get = |n| {
            overlay
                .read(&key(n), |value| value.map(<[u8]>::to_vec))
                .unwrap()
        };
        assert_eq!(get(3), Some(vec![3]));
        assert_eq!(get(2), None);
        let changes = overlay.into_changes();
        assert_eq!(changes.len(), 2);
    }
}
