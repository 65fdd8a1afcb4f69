//! The last few finalised blocks, as the per-transaction reads need them.
//!
//! `GET /v1/transactions/{hash}` decides who may read a finalised transaction by its signer,
//! which only its block holds, and `GET /v1/transactions/{hash}/events` picks its events out
//! of its block's. Decoding a block of thousands of transactions for each such read made a
//! client that follows thousands of its own transactions (a furnisher settling a Metro 2
//! import) decode every block thousands of times: the import ran at 8% of the network's
//! furnishing capacity, the node's CPU spent in copying and decoding blocks. A committed
//! block never changes, so the signers and the events of the last [`HEIGHTS`] read are kept
//! here, decoded, by height.

use credence_types::{Height, PublicKey, api::StreamedEvent};
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
};

/// Heights kept of each.
pub const HEIGHTS: usize = 16;

/// The signers and events of recently read committed blocks.
#[derive(Default)]
pub struct RecentBlocks {
    signers: Mutex<Cache<Arc<Vec<PublicKey>>>>,
    events: Mutex<Cache<Arc<Vec<StreamedEvent>>>>,
}

impl RecentBlocks {
    /// The signers of the committed block at `height`, in block order, if kept.
    pub fn signers(&self, height: Height) -> Option<Arc<Vec<PublicKey>>> {
        lock(&self.signers).get(height)
    }

    /// Keeps the signers of the committed block at `height`.
    pub fn keep_signers(&self, height: Height, signers: Arc<Vec<PublicKey>>) {
        lock(&self.signers).put(height, signers);
    }

    /// The events of the committed block at `height`, if kept.
    pub fn events(&self, height: Height) -> Option<Arc<Vec<StreamedEvent>>> {
        lock(&self.events).get(height)
    }

    /// Keeps the events of the committed block at `height`.
    pub fn keep_events(&self, height: Height, events: Arc<Vec<StreamedEvent>>) {
        lock(&self.events).put(height, events);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // What is kept is only ever whole values: a panic elsewhere leaves nothing half-written.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The values of the last [`HEIGHTS`] heights put, oldest first.
struct Cache<T> {
    entries: VecDeque<(Height, T)>,
}

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Self {
            entries: VecDeque::with_capacity(HEIGHTS + 1),
        }
    }
}

impl<T: Clone> Cache<T> {
    fn get(&self, height: Height) -> Option<T> {
        self.entries
            .iter()
            .find(|(kept, _)| *kept == height)
            .map(|(_, value)| value.clone())
    }

    fn put(&mut self, height: Height, value: T) {
        if self.entries.iter().any(|(kept, _)| *kept == height) {
            return;
        }
        self.entries.push_back((height, value));
        if self.entries.len() > HEIGHTS {
            self.entries.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_heights_put_and_no_more() {
        let recent = RecentBlocks::default();
        for height in 0..u64::try_from(HEIGHTS).unwrap() + 4 {
            recent.keep_signers(
                Height(height),
                Arc::new(vec![PublicKey([u8::try_from(height).unwrap(); 32])]),
            );
        }
        assert!(
            recent.signers(Height(3)).is_none(),
            "the oldest are dropped"
        );
        assert_eq!(recent.signers(Height(4)).unwrap()[0], PublicKey([4; 32]));
        assert!(recent.events(Height(4)).is_none(), "events are kept apart");
        // A height kept twice keeps its first value (a committed block never changes).
        recent.keep_signers(Height(5), Arc::new(Vec::new()));
        assert_eq!(recent.signers(Height(5)).unwrap().len(), 1);
    }
}
