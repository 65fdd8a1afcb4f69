//! The mempool: verified transactions waiting for a block.
//!
//! Invariants:
//! - every transaction here has a verified signature (it holds [`VerifiedTransaction`]s);
//! - no two transactions share a hash, nor a (signer, nonce);
//! - the pool never holds more than its configured count or bytes; when full it refuses
//!   new transactions rather than evicting (a client retries; a flood cannot push out
//!   transactions already accepted);
//! - [`Mempool::select`] returns, per signer, a run of consecutive nonces starting at the
//!   lowest the pool holds for that signer, so a block never carries a transaction whose
//!   predecessor is missing.

use credence_crypto::VerifiedTransaction;
use credence_types::{Digest, PublicKey, codec::EncodeSize as _};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Why the mempool refused a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// It is already in the pool.
    #[error("the transaction is already pending")]
    Duplicate,
    /// Another pending transaction has the same signer and nonce.
    #[error("another pending transaction has the same signer and nonce")]
    NonceTaken,
    /// The pool is full.
    #[error("the mempool is full; retry later")]
    Full,
    /// The nonce is too far ahead of the signer's last accepted nonce.
    #[error("the nonce is more than {0} ahead of the signer's last accepted nonce")]
    NonceTooFarAhead(u64),
}

/// Bounds of the pool.
#[derive(Clone, Copy, Debug)]
pub struct MempoolLimits {
    /// Most transactions held.
    pub transactions_max: usize,
    /// Most encoded bytes held.
    pub bytes_max: usize,
    /// Most transactions one signer may have pending.
    pub per_signer_max: usize,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        Self {
            transactions_max: 100_000,
            bytes_max: 256 << 20,
            per_signer_max: 1_024,
        }
    }
}

/// Verified transactions awaiting inclusion.
#[derive(Debug)]
pub struct Mempool {
    limits: MempoolLimits,
    by_hash: HashMap<Digest, (PublicKey, u64)>,
    by_signer: HashMap<PublicKey, BTreeMap<u64, VerifiedTransaction>>,
    bytes: usize,
}

impl Mempool {
    /// An empty pool.
    pub fn new(limits: MempoolLimits) -> Self {
        Self {
            limits,
            by_hash: HashMap::new(),
            by_signer: HashMap::new(),
            bytes: 0,
        }
    }

    /// Transactions held.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Encoded bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether the pool holds the transaction with this hash (and so has verified it).
    pub fn contains(&self, hash: &Digest) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// The transaction with this hash, if pending.
    pub fn get(&self, hash: &Digest) -> Option<VerifiedTransaction> {
        let (signer, nonce) = self.by_hash.get(hash)?;
        self.by_signer.get(signer)?.get(nonce).cloned()
    }

    /// Adds a verified transaction.
    pub fn insert(&mut self, transaction: VerifiedTransaction) -> Result<(), MempoolError> {
        let hash = transaction.hash();
        if self.by_hash.contains_key(&hash) {
            return Err(MempoolError::Duplicate);
        }
        let size = transaction.signed().encode_size();
        if self.by_hash.len() >= self.limits.transactions_max
            || self.bytes.saturating_add(size) > self.limits.bytes_max
        {
            return Err(MempoolError::Full);
        }
        let signer = transaction.transaction().signer;
        let nonce = transaction.transaction().nonce;
        let queue = self.by_signer.entry(signer).or_default();
        if queue.contains_key(&nonce) {
            return Err(MempoolError::NonceTaken);
        }
        if queue.len() >= self.limits.per_signer_max {
            return Err(MempoolError::Full);
        }
        queue.insert(nonce, transaction);
        self.by_hash.insert(hash, (signer, nonce));
        self.bytes = self.bytes.saturating_add(size);
        Ok(())
    }

    /// Removes a transaction by hash, if present.
    pub fn remove(&mut self, hash: &Digest) {
        if let Some((signer, nonce)) = self.by_hash.remove(hash) {
            self.remove_entry(&signer, nonce);
        }
    }

    fn remove_entry(&mut self, signer: &PublicKey, nonce: u64) {
        if let Some(queue) = self.by_signer.get_mut(signer) {
            if let Some(transaction) = queue.remove(&nonce) {
                self.bytes = self
                    .bytes
                    .saturating_sub(transaction.signed().encode_size());
                self.by_hash.remove(&transaction.hash());
            }
            if queue.is_empty() {
                self.by_signer.remove(signer);
            }
        }
    }

    /// Drops a signer's transactions with nonces at or below `nonce`: they can no longer
    /// apply once a transaction with that nonce was included.
    pub fn prune_signer(&mut self, signer: &PublicKey, nonce: u64) {
        let stale: Vec<u64> = match self.by_signer.get(signer) {
            Some(queue) => queue.range(..=nonce).map(|(n, _)| *n).collect(),
            None => return,
        };
        for n in stale {
            self.remove_entry(signer, n);
        }
    }

    /// Picks transactions for a block: at most `count` and `bytes`, skipping those in
    /// `exclude` (already in a pending ancestor), taking each signer's run of consecutive
    /// nonces from its lowest, signers served in turn so one busy signer cannot crowd out
    /// the rest.
    pub fn select(
        &self,
        count: usize,
        bytes: usize,
        exclude: &HashSet<Digest>,
    ) -> Vec<VerifiedTransaction> {
        // Each signer's queue as an iterator over its consecutive nonces.
        let mut queues: Vec<Vec<&VerifiedTransaction>> = Vec::new();
        let signers: BTreeSet<&PublicKey> = self.by_signer.keys().collect();
        for signer in signers {
            let queue = &self.by_signer[signer];
            let mut run = Vec::new();
            let mut expected: Option<u64> = None;
            for (nonce, transaction) in queue {
                if exclude.contains(&transaction.hash()) {
                    // Included in an ancestor: the run continues after it.
                    expected = Some(nonce.saturating_add(1));
                    continue;
                }
                if expected.is_some_and(|e| e != *nonce) {
                    break;
                }
                run.push(transaction);
                expected = Some(nonce.saturating_add(1));
            }
            if !run.is_empty() {
                queues.push(run);
            }
        }
        let mut selected = Vec::new();
        let mut used = 0usize;
        let mut depth = 0;
        loop {
            let mut progressed = false;
            for run in &queues {
                let Some(transaction) = run.get(depth) else {
                    continue;
                };
                progressed = true;
                let size = transaction.signed().encode_size();
                if selected.len() >= count || used.saturating_add(size) > bytes {
                    return selected;
                }
                used = used.saturating_add(size);
                selected.push((*transaction).clone());
            }
            if !progressed {
                return selected;
            }
            depth += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credence_ledger::testkit::Signer;
    use credence_types::{Payload, ProposalId, codec::Name};

    fn tx(signer: &Signer, nonce: u64) -> VerifiedTransaction {
        signer.sign_with_nonce(
            &Name::new("test").unwrap(),
            nonce,
            Payload::ApproveGovernance(ProposalId(nonce)),
        )
    }

    #[test]
    fn selection_takes_consecutive_nonces_round_robin() {
        let (a, b) = (Signer::from_seed(1), Signer::from_seed(2));
        let mut pool = Mempool::new(MempoolLimits::default());
        for n in [1, 2, 3, 5] {
            pool.insert(tx(&a, n)).unwrap();
        }
        for n in [1, 2] {
            pool.insert(tx(&b, n)).unwrap();
        }
        let picked: Vec<_> = pool
            .select(10, usize::MAX, &HashSet::new())
            .iter()
            .map(|t| {
                (
                    t.transaction().signer == a.key.public_key(),
                    t.transaction().nonce,
                )
            })
            .collect();
        // a's 5 waits for its missing 4; signers alternate.
        assert_eq!(picked.len(), 5);
        assert!(!picked.contains(&(true, 5)));
        let excluded: HashSet<_> = [tx(&a, 1).hash(), tx(&a, 2).hash()].into();
        let after = pool.select(10, usize::MAX, &excluded);
        assert!(after.iter().all(|t| t.transaction().nonce != 1 || t.transaction().signer != a.key.public_key()));
        assert_eq!(pool.select(2, usize::MAX, &HashSet::new()).len(), 2);
    }

    #[test]
    fn duplicates_conflicts_and_bounds_are_refused() {
        let a = Signer::from_seed(1);
        let mut pool = Mempool::new(MempoolLimits {
            transactions_max: 2,
            ..MempoolLimits::default()
        });
        pool.insert(tx(&a, 1)).unwrap();
        assert_eq!(pool.insert(tx(&a, 1)), Err(MempoolError::Duplicate));
        let other = a.sign_with_nonce(
            &Name::new("test").unwrap(),
            1,
            Payload::ApproveGovernance(ProposalId(99)),
        );
        assert_eq!(pool.insert(other), Err(MempoolError::NonceTaken));
        pool.insert(tx(&a, 2)).unwrap();
        assert_eq!(pool.insert(tx(&a, 3)), Err(MempoolError::Full));
        pool.prune_signer(&a.key.public_key(), 1);
        assert_eq!(pool.len(), 1);
        pool.remove(&tx(&a, 2).hash());
        assert!(pool.is_empty() && pool.bytes() == 0);
    }
}
