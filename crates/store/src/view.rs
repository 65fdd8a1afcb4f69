//! The state the executor sees: what has been loaded from the store and the pending blocks
//! beneath the one executing, answering [`StateError::NotLoaded`] for anything else so the
//! executor can load it and retry.

use crate::db::{Store, StoreError};
use commonware_runtime::Spawner;
use credence_ledger::{ChangeSet, StateError, StateRead, state::merge_range, state::widened_limit};
use credence_types::state::StateKey;
use std::{
    collections::BTreeMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

type Range = (StateKey, StateKey, usize);
type Entries = Vec<(StateKey, Vec<u8>)>;

/// Locks one of the loaded maps. A poisoned lock is taken over as it is: the maps only ever
/// gain whole entries (each an insert of a value read from the store), so a panic elsewhere
/// while one was held cannot have left a half-written entry behind.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Loaded state. Interior mutability lets the executor hold a shared borrow while the
/// driver loads more.
#[derive(Default)]
pub(crate) struct Loaded {
    keys: Mutex<BTreeMap<StateKey, Option<Vec<u8>>>>,
    ranges: Mutex<BTreeMap<Range, Entries>>,
}

impl Loaded {
    /// Loads `keys` (those not loaded yet) from the pending blocks, newest first, then the
    /// store.
    pub(crate) async fn load<E: commonware_storage::Context + Spawner>(
        &self,
        store: &Store<E>,
        pending: &[&ChangeSet],
        keys: impl IntoIterator<Item = StateKey>,
    ) -> Result<(), StoreError> {
        let mut missing = Vec::new();
        {
            let mut loaded = lock(&self.keys);
            for key in keys {
                if loaded.contains_key(&key) {
                    continue;
                }
                match pending.iter().rev().find_map(|changes| changes.get(&key)) {
                    Some(value) => {
                        loaded.insert(key, value.clone());
                    }
                    None => missing.push(key),
                }
            }
        }
        missing.sort();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        let values = store.get_many(&missing).await?;
        let mut loaded = lock(&self.keys);
        for (key, value) in missing.into_iter().zip(values) {
            loaded.insert(key, value);
        }
        Ok(())
    }

    /// Loads one range, merging the pending blocks over the store.
    pub(crate) async fn load_range<E: commonware_storage::Context + Spawner>(
        &self,
        store: &Store<E>,
        pending: &[&ChangeSet],
        (start, end, limit): Range,
    ) -> Result<(), StoreError> {
        let wide = widened_limit(pending, &start, &end, limit);
        let base = store.range(&start, &end, wide).await?;
        let merged = merge_range(base, pending, &start, &end, limit);
        lock(&self.ranges).insert((start, end, limit), merged);
        Ok(())
    }
}

impl StateRead for Loaded {
    fn read<R>(
        &self,
        key: &StateKey,
        read: impl FnOnce(Option<&[u8]>) -> R,
    ) -> Result<R, StateError> {
        let loaded = lock(&self.keys);
        loaded
            .get(key)
            .map(|value| read(value.as_deref()))
            .ok_or(StateError::NotLoaded(*key))
    }

    fn range(
        &self,
        start: &StateKey,
        end: &StateKey,
        limit: usize,
    ) -> Result<Vec<(StateKey, Vec<u8>)>, StateError> {
        let ranges = lock(&self.ranges);
        ranges
            .get(&(*start, *end, limit))
            .cloned()
            .ok_or(StateError::RangeNotLoaded {
                start: *start,
                end: *end,
                limit,
            })
    }
}
