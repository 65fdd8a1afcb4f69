//! The mempool: verified transactions waiting for a block.
//!
//! Invariants:
//! - every transaction here has a verified signature (it holds [`VerifiedTransaction`]s);
//! - no two transactions share a hash, nor a (signer, nonce);
//! - the pool never holds more than its configured count or bytes; when full it refuses
//!   new transactions rather than evicting (a client retries; a flood cannot push out
//!   transactions already accepted);
//! - [`Mempool::select`] returns, per signer, a run of consecutive nonces starting exactly at
//!   the signer's next nonce on the block's parent, so a block never carries a transaction
//!   before its predecessor (which the ledger would reject, and a client would have to
//!   resend), however gossip reordered them.
//!
//! The pool remembers each pending signer's last accepted nonce once known (from admission,
//! from commits, or read from the store by the proposer), so selection needs no store read
//! for a signer it has seen.

use credence_crypto::VerifiedTransaction;
use credence_types::{Digest, PublicKey, codec::EncodeSize as _};
use std::collections::{BTreeMap, HashMap};

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
    /// The signer's nonce has moved past it: it can never apply.
    #[error("the signer's nonce has moved past this transaction's")]
    Stale,
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

/// One signer's pending transactions.
#[derive(Debug, Default)]
struct Queue {
    /// The signer's last accepted nonce in committed state, once known.
    committed: Option<u64>,
    /// Pending transactions by nonce.
    transactions: BTreeMap<u64, VerifiedTransaction>,
}

/// Verified transactions awaiting inclusion.
#[derive(Debug)]
pub struct Mempool {
    limits: MempoolLimits,
    by_hash: HashMap<Digest, (PublicKey, u64)>,
    by_signer: HashMap<PublicKey, Queue>,
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
        self.by_signer.get(signer)?.transactions.get(nonce).cloned()
    }

    /// Adds a verified transaction. `committed` is its signer's last accepted nonce in
    /// committed state, if the caller read it.
    pub fn insert(
        &mut self,
        transaction: VerifiedTransaction,
        committed: Option<u64>,
    ) -> Result<(), MempoolError> {
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
        if committed.is_some_and(|last| nonce <= last) {
            return Err(MempoolError::Stale);
        }
        let queue = self.by_signer.entry(signer).or_default();
        if queue.transactions.contains_key(&nonce) {
            return Err(MempoolError::NonceTaken);
        }
        if queue.transactions.len() >= self.limits.per_signer_max {
            return Err(MempoolError::Full);
        }
        if committed.is_some() {
            queue.committed = committed.max(queue.committed);
        }
        queue.transactions.insert(nonce, transaction);
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
            if let Some(transaction) = queue.transactions.remove(&nonce) {
                self.bytes = self
                    .bytes
                    .saturating_sub(transaction.signed().encode_size());
                self.by_hash.remove(&transaction.hash());
            }
            if queue.transactions.is_empty() {
                self.by_signer.remove(signer);
            }
        }
    }

    /// Records that `signer`'s last accepted nonce in committed state is `nonce`, dropping
    /// its transactions at or below it: they can no longer apply.
    pub fn settle(&mut self, signer: &PublicKey, nonce: u64) {
        let stale: Vec<u64> = match self.by_signer.get_mut(signer) {
            Some(queue) => {
                queue.committed = Some(nonce).max(queue.committed);
                queue
                    .transactions
                    .range(..=nonce)
                    .map(|(n, _)| *n)
                    .collect()
            }
            None => return,
        };
        for n in stale {
            self.remove_entry(signer, n);
        }
    }

    /// Pending signers whose committed nonce the pool does not know yet: the proposer reads
    /// them from the store and [`Mempool::settle`]s them before selecting.
    pub fn unsettled(&self) -> Vec<PublicKey> {
        self.by_signer
            .iter()
            .filter(|(_, queue)| queue.committed.is_none())
            .map(|(signer, _)| *signer)
            .collect()
    }

    /// Picks transactions for a block on a parent: at most `count` and `bytes`, taking each
    /// signer's run of consecutive nonces from its next on the parent — after its committed
    /// nonce, or after `pending[signer]`, the last nonce its transactions in the pending
    /// blocks between the tip and the parent used up — signers served in turn so one busy
    /// signer cannot crowd out the rest. Signers not yet settled are skipped.
    pub fn select(
        &self,
        count: usize,
        bytes: usize,
        pending: &BTreeMap<PublicKey, u64>,
    ) -> Vec<VerifiedTransaction> {
        // Each signer's run of consecutive nonces, from its next.
        let mut queues: Vec<Vec<&VerifiedTransaction>> = Vec::new();
        // In key order, not the hash map's, so every node selects alike.
        let signers: BTreeMap<&PublicKey, &Queue> = self.by_signer.iter().collect();
        for (signer, queue) in signers {
            let last = match (queue.committed, pending.get(signer)) {
                (_, Some(pending)) => *pending,
                (Some(committed), None) => committed,
                (None, None) => continue,
            };
            let mut run = Vec::new();
            let mut expected = last.saturating_add(1);
            while let Some(transaction) = queue.transactions.get(&expected) {
                run.push(transaction);
                expected = expected.saturating_add(1);
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

    /// What `select` picks, as (whether signed by `a`, nonce), sorted: the order between
    /// signers depends on their keys.
    fn picked(pool: &Mempool, a: &Signer, pending: &BTreeMap<PublicKey, u64>) -> Vec<(bool, u64)> {
        let mut picked: Vec<_> = pool
            .select(10, usize::MAX, pending)
            .iter()
            .map(|t| {
                (
                    t.transaction().signer == a.key.public_key(),
                    t.transaction().nonce,
                )
            })
            .collect();
        picked.sort_unstable();
        picked
    }

    #[test]
    fn selection_starts_at_each_signers_next_nonce_round_robin() {
        let (a, b, c) = (
            Signer::from_seed(1),
            Signer::from_seed(2),
            Signer::from_seed(3),
        );
        let mut pool = Mempool::new(MempoolLimits::default());
        for n in [1, 2, 3, 5] {
            pool.insert(tx(&a, n), Some(0)).unwrap();
        }
        for n in [1, 2] {
            pool.insert(tx(&b, n), Some(0)).unwrap();
        }
        // c's 2 arrived by gossip before its 1: it must wait, not go first.
        pool.insert(tx(&c, 2), None).unwrap();
        assert_eq!(pool.unsettled(), vec![c.key.public_key()]);
        pool.settle(&c.key.public_key(), 0);
        let none = BTreeMap::new();
        // a's 5 waits for its missing 4; c's 2 for its 1.
        assert_eq!(
            picked(&pool, &a, &none),
            vec![(false, 1), (false, 2), (true, 1), (true, 2), (true, 3)]
        );
        // Signers take turns: two picks come from two signers.
        let two = pool.select(2, usize::MAX, &none);
        assert_ne!(two[0].transaction().signer, two[1].transaction().signer);
        // With a's 1 and 2 in a pending ancestor, a's run starts at 3.
        let pending: BTreeMap<_, _> = [(a.key.public_key(), 2)].into();
        assert_eq!(
            picked(&pool, &a, &pending),
            vec![(false, 1), (false, 2), (true, 3)]
        );
        // Committing a's 1..3 drops them; its 5 still waits for 4.
        pool.settle(&a.key.public_key(), 3);
        assert_eq!(picked(&pool, &a, &none), vec![(false, 1), (false, 2)]);
        pool.insert(tx(&a, 4), None).unwrap();
        assert_eq!(
            picked(&pool, &a, &none),
            vec![(false, 1), (false, 2), (true, 4), (true, 5)]
        );
        // A transaction whose nonce was already used is refused.
        assert_eq!(pool.insert(tx(&a, 3), Some(3)), Err(MempoolError::Stale));
    }

    #[test]
    fn duplicates_conflicts_and_bounds_are_refused() {
        let a = Signer::from_seed(1);
        let mut pool = Mempool::new(MempoolLimits {
            transactions_max: 2,
            ..MempoolLimits::default()
        });
        pool.insert(tx(&a, 1), None).unwrap();
        assert_eq!(pool.insert(tx(&a, 1), None), Err(MempoolError::Duplicate));
        let other = a.sign_with_nonce(
            &Name::new("test").unwrap(),
            1,
            Payload::ApproveGovernance(ProposalId(99)),
        );
        assert_eq!(pool.insert(other, None), Err(MempoolError::NonceTaken));
        pool.insert(tx(&a, 2), None).unwrap();
        assert_eq!(pool.insert(tx(&a, 3), None), Err(MempoolError::Full));
        pool.settle(&a.key.public_key(), 1);
        assert_eq!(pool.len(), 1);
        pool.remove(&tx(&a, 2).hash());
        assert!(pool.is_empty() && pool.bytes() == 0);
    }
}
