//! The mempool: verified transactions waiting for a block.
//!
//! Invariants:
//! - every transaction here has a verified signature (it holds [`VerifiedTransaction`]s);
//! - no two transactions share a hash, nor a (signer, nonce);
//! - the pool never holds more than its configured count or bytes; when full it refuses
//!   new transactions rather than evicting (a client retries; a flood cannot push out
//!   transactions already accepted);
//! - **nothing a client submits waits behind a nonce gap**: a transaction submitted here must
//!   be its signer's next after the run of consecutive nonces pending here (from its next in
//!   committed state); one that would leave a gap is refused ([`MempoolError::NonceGap`]),
//!   so a refused transaction never strands its signer's later ones in the pool, holding
//!   room that nothing could use; the client resubmits from the refused one, in nonce order.
//!   Gossiped copies are kept past a gap (gossip can lose a message): their origin holds the
//!   run, and a block fills the gap ([`Via::Gossip`]);
//! - **fair shares**: once the pool is half full, an owner — an institution with all its
//!   keys, or the public: every key no institution owns, together — holding at least an
//!   equal share of the pool among the owners with transactions pending is refused
//!   ([`MempoolError::OverShare`]) until its share drains, so one member's month-end batch
//!   cannot crowd out everyone else's, nor one party's many fresh keys;
//! - [`Mempool::select`] returns, per signer, a run of consecutive nonces starting exactly at
//!   the signer's next nonce on the block's parent, so a block never carries a transaction
//!   before its predecessor (which the ledger would reject, and a client would have to
//!   resend), however gossip reordered them; owners take turns, and so do the signers of one
//!   owner.
//!
//! The pool remembers each pending signer's last accepted nonce and owner once known (from
//! admission, from commits, or read from the store by the proposer), so admission and
//! selection need no store read for a signer it has seen.

use credence_crypto::VerifiedTransaction;
use credence_types::{Digest, InstitutionId, PublicKey, codec::EncodeSize as _};
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
    /// The pool is at least half full and the signer's owner holds its share of it.
    #[error("the signer's institution holds its share of a busy mempool; retry later")]
    OverShare,
    /// The nonce is too far ahead of the signer's last accepted nonce: the signer has as
    /// many transactions in flight as one signer may. Busy, like a full pool.
    #[error("the nonce is more than {0} ahead of the signer's last accepted nonce; retry later")]
    NonceTooFarAhead(u64),
    /// The nonce is not the signer's next after its pending transactions: admitting it would
    /// leave a gap. Submit the signer's earlier transactions first.
    #[error("the signer's next nonce here is {expected}; submit its earlier transactions first")]
    NonceGap {
        /// The nonce the pool would take next for this signer.
        expected: u64,
    },
    /// The signer's nonce has moved past it: it can never apply.
    #[error("the signer's nonce has moved past this transaction's")]
    Stale,
}

impl MempoolError {
    /// Whether the refusal is the pool being busy: the same transaction may be admitted
    /// once blocks drain it (an HTTP 429 with `Retry-After`).
    pub fn is_busy(self) -> bool {
        matches!(
            self,
            Self::Full | Self::OverShare | Self::NonceTooFarAhead(_)
        )
    }
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

/// Whom a share of the pool belongs to: an institution, with every key it signs with; or the
/// public — every key no institution owns, together.
///
/// The public is one owner, not one owner a key: anyone can make keys, and a subject registers
/// itself, so a share a key would let one party with many fresh keys take as many shares,
/// crowding every member out of a busy pool and out of blocks. Within the public share, its
/// signers take turns in blocks and each is held to the per-signer bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// A member institution.
    Institution(InstitutionId),
    /// Every key no institution owns: subjects, keys registering themselves, and keys
    /// whose owner the pool has not read yet.
    Public,
}

/// What the committed state says of a signer: its last accepted nonce, and its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known {
    /// The nonce of its last accepted transaction (0 before the first).
    pub nonce: u64,
    /// The institution it signs for, if any.
    pub institution: Option<InstitutionId>,
}

impl Known {
    /// Whose share the signer's transactions count against.
    pub fn owner(&self) -> Owner {
        self.institution.map_or(Owner::Public, Owner::Institution)
    }
}

/// One signer's pending transactions.
#[derive(Debug)]
struct Queue {
    /// The signer's last accepted nonce in committed state, once known.
    committed: Option<u64>,
    /// Whose share it counts against.
    owner: Owner,
    /// Pending transactions by nonce: consecutive once `committed` is known.
    transactions: BTreeMap<u64, VerifiedTransaction>,
}

impl Queue {
    /// The last nonce of the run of consecutive nonces after `committed`: `committed` itself
    /// when the next is missing.
    fn run_end(&self, committed: u64) -> u64 {
        let start = committed.saturating_add(1);
        let (Some((first, _)), Some((last, _))) = (
            self.transactions.first_key_value(),
            self.transactions.last_key_value(),
        ) else {
            return committed;
        };
        // Usually the whole queue is the run: no walk needed. Only when it starts at `start`:
        // a queue still holding nonces at or below `committed` (gossip kept them before the
        // committed nonce was known) counts them in its length.
        let held = u64::try_from(self.transactions.len()).unwrap_or(u64::MAX);
        if *first == start && last.saturating_sub(*first).saturating_add(1) == held {
            return *last;
        }
        self.transactions
            .range(start..)
            .zip(start..)
            .take_while(|((nonce, _), expected)| *nonce == expected)
            .last()
            .map_or(committed, |((nonce, _), _)| *nonce)
    }
}

/// How a transaction reached the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// Submitted by a client here, with what committed state says of its signer (or what
    /// the pool knew of it: [`Mempool::known`]). Its nonce must be its signer's next after
    /// the run pending here: nothing a client submits waits behind a gap.
    Client(Known),
    /// Gossiped by another validator, which checked it as a client's. Kept whatever its
    /// nonce (gossip can lose a message, so a copy can sit past a gap until a block fills
    /// it): its origin holds the run, and this copy only lets this node include it too.
    Gossip,
}

/// Verified transactions awaiting inclusion.
#[derive(Debug)]
pub struct Mempool {
    limits: MempoolLimits,
    by_hash: HashMap<Digest, (PublicKey, u64)>,
    by_signer: HashMap<PublicKey, Queue>,
    /// Transactions held per owner with any pending.
    by_owner: HashMap<Owner, usize>,
    bytes: usize,
}

impl Mempool {
    /// An empty pool.
    pub fn new(limits: MempoolLimits) -> Self {
        Self {
            limits,
            by_hash: HashMap::new(),
            by_signer: HashMap::new(),
            by_owner: HashMap::new(),
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

    /// Its bounds.
    pub fn limits(&self) -> MempoolLimits {
        self.limits
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

    /// What the pool knows of `signer` without a store read: its committed nonce and owner,
    /// while it has transactions pending and its committed nonce has been read.
    pub fn known(&self, signer: &PublicKey) -> Option<Known> {
        let queue = self.by_signer.get(signer)?;
        Some(Known {
            nonce: queue.committed?,
            institution: match queue.owner {
                Owner::Institution(id) => Some(id),
                Owner::Public => None,
            },
        })
    }

    /// The cheap checks of [`Mempool::insert`] that need neither the signature nor the
    /// store — room, share, the signer's count, and a nonce already used —
    /// with `ahead` more transactions and `ahead_bytes` more bytes of this batch assumed
    /// admitted before it: the API runs them before verifying a signature, so a busy node
    /// refuses without spending the work.
    pub fn precheck(
        &self,
        signer: &PublicKey,
        nonce: u64,
        size: usize,
        ahead: usize,
        ahead_bytes: usize,
    ) -> Result<(), MempoolError> {
        let held = self.len().saturating_add(ahead);
        if !self.has_room(held, self.bytes.saturating_add(ahead_bytes), size) {
            return Err(MempoolError::Full);
        }
        let Some(queue) = self.by_signer.get(signer) else {
            return Ok(());
        };
        if queue.transactions.len() >= self.limits.per_signer_max {
            return Err(MempoolError::Full);
        }
        self.precheck_owner(queue.owner, ahead)?;
        // A nonce already pending is left to `insert`, which tells the same transaction
        // again (a client's retry) from another one.
        if queue.committed.is_some_and(|last| nonce <= last) {
            return Err(MempoolError::Stale);
        }
        Ok(())
    }

    /// The share check of [`Mempool::precheck`] for a signer the pool holds nothing of (or
    /// holds under another owner), once what committed state says of it is read: the API
    /// runs it before verifying the signature, so a party minting fresh keys is refused for
    /// the price of a read, not of a verification. `ahead` is as for `precheck`.
    pub fn precheck_owner(&self, owner: Owner, ahead: usize) -> Result<(), MempoolError> {
        if self.over_share(owner, self.len().saturating_add(ahead)) {
            return Err(MempoolError::OverShare);
        }
        Ok(())
    }

    /// Whether a pool holding `held` transactions of `bytes` has room for one more of
    /// `size` bytes.
    fn has_room(&self, held: usize, bytes: usize, size: usize) -> bool {
        held < self.limits.transactions_max && bytes.saturating_add(size) <= self.limits.bytes_max
    }

    /// Whether `owner` holds its share of a pool holding `held` transactions: the pool is at
    /// least half full, and the owner holds at least the pool's bound divided among the
    /// owners with transactions pending.
    fn over_share(&self, owner: Owner, held: usize) -> bool {
        if held < self.limits.transactions_max / 2 {
            return false;
        }
        let holds = self.by_owner.get(&owner).copied().unwrap_or(0);
        let owners = self.by_owner.len() + usize::from(holds == 0);
        // Rounded up, so that the shares cover the whole pool.
        holds >= self.limits.transactions_max.div_ceil(owners.max(1))
    }

    /// Adds a verified transaction that arrived `via` a client or gossip.
    pub fn insert(
        &mut self,
        transaction: VerifiedTransaction,
        via: Via,
    ) -> Result<(), MempoolError> {
        let hash = transaction.hash();
        if self.by_hash.contains_key(&hash) {
            return Err(MempoolError::Duplicate);
        }
        let size = transaction.signed().encode_size();
        if !self.has_room(self.len(), self.bytes, size) {
            return Err(MempoolError::Full);
        }
        let signer = transaction.transaction().signer;
        let nonce = transaction.transaction().nonce;
        if let Via::Client(known) = via {
            self.settle(&signer, known.nonce);
            if let Some(id) = known.institution {
                self.own(&signer, Owner::Institution(id));
            }
        }
        let (committed, owner) = match self.by_signer.get(&signer) {
            Some(queue) => {
                if queue.transactions.contains_key(&nonce) {
                    return Err(MempoolError::NonceTaken);
                }
                if queue.transactions.len() >= self.limits.per_signer_max {
                    return Err(MempoolError::Full);
                }
                (queue.committed, queue.owner)
            }
            None => match via {
                Via::Client(known) => (Some(known.nonce), known.owner()),
                Via::Gossip => (None, Owner::Public),
            },
        };
        if committed.is_some_and(|last| nonce <= last) {
            return Err(MempoolError::Stale);
        }
        if self.over_share(owner, self.len()) {
            return Err(MempoolError::OverShare);
        }
        if let (Via::Client(_), Some(committed)) = (via, committed) {
            let expected = self
                .by_signer
                .get(&signer)
                .map_or(committed, |queue| queue.run_end(committed))
                .saturating_add(1);
            if nonce > expected {
                return Err(MempoolError::NonceGap { expected });
            }
        }
        self.by_signer
            .entry(signer)
            .or_insert_with(|| Queue {
                committed,
                owner,
                transactions: BTreeMap::new(),
            })
            .transactions
            .insert(nonce, transaction);
        *self.by_owner.entry(owner).or_insert(0) += 1;
        self.by_hash.insert(hash, (signer, nonce));
        self.bytes = self.bytes.saturating_add(size);
        Ok(())
    }

    /// Removes a transaction by hash, if present.
    pub fn remove(&mut self, hash: &Digest) {
        if let Some((signer, nonce)) = self.by_hash.get(hash).copied() {
            self.remove_entry(&signer, nonce);
        }
    }

    fn remove_entry(&mut self, signer: &PublicKey, nonce: u64) {
        let Some(queue) = self.by_signer.get_mut(signer) else {
            return;
        };
        if let Some(transaction) = queue.transactions.remove(&nonce) {
            self.bytes = self
                .bytes
                .saturating_sub(transaction.signed().encode_size());
            self.by_hash.remove(&transaction.hash());
            if let Some(count) = self.by_owner.get_mut(&queue.owner) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.by_owner.remove(&queue.owner);
                }
            }
        }
        if queue.transactions.is_empty() {
            self.by_signer.remove(signer);
        }
    }

    /// Records that `signer` signs for `owner`, moving its pending transactions to that
    /// owner's share.
    pub fn own(&mut self, signer: &PublicKey, owner: Owner) {
        let Some(queue) = self.by_signer.get_mut(signer) else {
            return;
        };
        if queue.owner == owner {
            return;
        }
        let count = queue.transactions.len();
        let previous = std::mem::replace(&mut queue.owner, owner);
        if let Some(held) = self.by_owner.get_mut(&previous) {
            *held = held.saturating_sub(count);
            if *held == 0 {
                self.by_owner.remove(&previous);
            }
        }
        *self.by_owner.entry(owner).or_insert(0) += count;
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
    /// blocks between the tip and the parent used up. Owners are served in turn, and within
    /// an owner its signers, so one busy member or key cannot crowd out the rest. Signers not
    /// yet settled are skipped.
    pub fn select(
        &self,
        count: usize,
        bytes: usize,
        pending: &BTreeMap<PublicKey, u64>,
    ) -> Vec<VerifiedTransaction> {
        // Each owner's signers' runs of consecutive nonces, from their next; in key order,
        // not the hash map's, so every node selects alike.
        let mut owners: BTreeMap<Owner, Vec<Vec<&VerifiedTransaction>>> = BTreeMap::new();
        let signers: BTreeMap<&PublicKey, &Queue> = self.by_signer.iter().collect();
        for (signer, queue) in signers {
            let last = match (queue.committed, pending.get(signer)) {
                (_, Some(pending)) => *pending,
                (Some(committed), None) => committed,
                (None, None) => continue,
            };
            let run: Vec<&VerifiedTransaction> = queue
                .transactions
                .range(last.saturating_add(1)..)
                .zip(last.saturating_add(1)..)
                .take_while(|((nonce, _), expected)| *nonce == expected)
                .map(|((_, transaction), _)| transaction)
                .take(count)
                .collect();
            if !run.is_empty() {
                owners.entry(queue.owner).or_default().push(run);
            }
        }
        let turns: Vec<Vec<&VerifiedTransaction>> = owners
            .into_values()
            .map(|runs| interleave(runs, count))
            .collect();
        let mut selected = Vec::new();
        let mut used = 0usize;
        for transaction in interleave(turns, count) {
            let size = transaction.signed().encode_size();
            if used.saturating_add(size) > bytes {
                break;
            }
            used = used.saturating_add(size);
            selected.push(transaction.clone());
        }
        selected
    }
}

/// The first `count` items of `lists` taken in turn: the first of each, then the second of
/// each, and so on.
fn interleave<T>(lists: Vec<Vec<T>>, count: usize) -> Vec<T> {
    let mut iterators: Vec<_> = lists.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::new();
    while out.len() < count && !iterators.is_empty() {
        iterators.retain_mut(|items| match items.next() {
            Some(item) if out.len() < count => {
                out.push(item);
                true
            }
            _ => false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use credence_ledger::testkit::Signer;
    use credence_types::{Payload, ProposalId, codec::Name};
    use proptest::prelude::*;

    fn tx(signer: &Signer, nonce: u64) -> VerifiedTransaction {
        signer.sign_with_nonce(
            &Name::new("test").unwrap(),
            nonce,
            Payload::ApproveGovernance(ProposalId(nonce)),
        )
    }

    fn at(nonce: u64) -> Via {
        Via::Client(Known {
            nonce,
            institution: None,
        })
    }

    fn of(institution: u64) -> Via {
        Via::Client(Known {
            nonce: 0,
            institution: Some(InstitutionId(institution)),
        })
    }

    const GOSSIP: Via = Via::Gossip;

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

    /// How many of `block`'s transactions `signer` signed.
    fn signed_by(block: &[VerifiedTransaction], signer: &Signer) -> usize {
        block
            .iter()
            .filter(|t| t.transaction().signer == signer.key.public_key())
            .count()
    }

    #[test]
    fn selection_starts_at_each_signers_next_nonce_round_robin() {
        let (a, b) = (Signer::from_seed(1), Signer::from_seed(2));
        let mut pool = Mempool::new(MempoolLimits::default());
        for n in 1..=3 {
            pool.insert(tx(&a, n), at(0)).unwrap();
        }
        for n in [1, 2] {
            pool.insert(tx(&b, n), at(0)).unwrap();
        }
        let none = BTreeMap::new();
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
        // Committing a's 1..3 drops them.
        pool.settle(&a.key.public_key(), 3);
        assert_eq!(picked(&pool, &a, &none), vec![(false, 1), (false, 2)]);
        // A transaction whose nonce was already used is refused.
        assert_eq!(pool.insert(tx(&a, 3), at(3)), Err(MempoolError::Stale));
    }

    /// A refused transaction must not strand its signer's later ones in the pool: they are
    /// refused too, until it is resubmitted.
    #[test]
    fn nonce_gap_is_refused_not_held() {
        let a = Signer::from_seed(1);
        let mut pool = Mempool::new(MempoolLimits::default());
        pool.insert(tx(&a, 1), at(0)).unwrap();
        assert_eq!(
            pool.insert(tx(&a, 3), at(0)),
            Err(MempoolError::NonceGap { expected: 2 })
        );
        // A signer seen for the first time, from the store: its next is committed + 1.
        let b = Signer::from_seed(2);
        assert_eq!(
            pool.insert(tx(&b, 2), at(0)),
            Err(MempoolError::NonceGap { expected: 1 })
        );
        assert_eq!(pool.known(&a.key.public_key()).map(|k| k.nonce), Some(0));
        assert_eq!(pool.known(&b.key.public_key()), None);
    }

    /// Gossip can lose a message: a copy past a gap is kept (its origin holds the run), is
    /// not selected until the gap fills, and does not let a client skip the gap either.
    #[test]
    fn gossiped_copies_past_a_gap_wait_for_a_block() {
        let c = Signer::from_seed(3);
        let mut pool = Mempool::new(MempoolLimits::default());
        pool.insert(tx(&c, 3), GOSSIP).unwrap();
        pool.insert(tx(&c, 4), GOSSIP).unwrap();
        assert_eq!(pool.unsettled(), vec![c.key.public_key()]);
        pool.settle(&c.key.public_key(), 0);
        assert!(pool.select(10, usize::MAX, &BTreeMap::new()).is_empty());
        // A client's 5 would extend the run past the missing 1 and 2.
        assert_eq!(
            pool.insert(tx(&c, 5), at(0)),
            Err(MempoolError::NonceGap { expected: 1 })
        );
        // A block took 1 and 2: the copies are next.
        pool.settle(&c.key.public_key(), 2);
        assert_eq!(pool.select(10, usize::MAX, &BTreeMap::new()).len(), 2);
        pool.insert(tx(&c, 5), at(2)).unwrap();
    }

    /// A queue that gossip filled before its signer's committed nonce was known can still
    /// hold nonces at or below it; the run after the committed nonce must not count them,
    /// or a client would be told its next nonce lies past a gap (found by the proptest
    /// below: gossiped 1, 3 and 5 with 2 committed made the run end at 5, not 3).
    #[test]
    fn a_stale_gossiped_nonce_does_not_lengthen_the_run() {
        let c = Signer::from_seed(3);
        let mut pool = Mempool::new(MempoolLimits::default());
        for nonce in [1, 3, 5] {
            pool.insert(tx(&c, nonce), GOSSIP).unwrap();
        }
        let queue = &pool.by_signer[&c.key.public_key()];
        assert_eq!(queue.run_end(2), 3);
        assert_eq!(queue.run_end(0), 1);
        assert_eq!(queue.run_end(4), 5);
        assert_eq!(queue.run_end(5), 5);
        pool.insert(tx(&c, 4), at(2)).unwrap();
        assert_eq!(pool.select(10, usize::MAX, &BTreeMap::new()).len(), 3);
    }

    #[test]
    fn duplicates_conflicts_and_bounds_are_refused() {
        let a = Signer::from_seed(1);
        let mut pool = Mempool::new(MempoolLimits {
            transactions_max: 2,
            ..MempoolLimits::default()
        });
        pool.insert(tx(&a, 1), GOSSIP).unwrap();
        assert_eq!(pool.insert(tx(&a, 1), GOSSIP), Err(MempoolError::Duplicate));
        let other = a.sign_with_nonce(
            &Name::new("test").unwrap(),
            1,
            Payload::ApproveGovernance(ProposalId(99)),
        );
        assert_eq!(pool.insert(other, GOSSIP), Err(MempoolError::NonceTaken));
        pool.insert(tx(&a, 2), GOSSIP).unwrap();
        assert_eq!(pool.insert(tx(&a, 3), GOSSIP), Err(MempoolError::Full));
        assert_eq!(
            pool.precheck(&a.key.public_key(), 3, 100, 0, 0),
            Err(MempoolError::Full)
        );
        pool.settle(&a.key.public_key(), 1);
        assert_eq!(pool.len(), 1);
        pool.remove(&tx(&a, 2).hash());
        assert!(pool.is_empty() && pool.bytes() == 0);
    }

    /// One institution flooding the pool from many keys stops at its share once the pool
    /// is busy; another institution still gets in, and blocks serve both in turn.
    #[test]
    fn flooding_member_is_held_to_its_share() {
        let mut pool = Mempool::new(MempoolLimits {
            transactions_max: 40,
            ..MempoolLimits::default()
        });
        let flooder: Vec<Signer> = (10..20).map(Signer::from_seed).collect();
        let mut refused = 0;
        for key in &flooder {
            for n in 1..=4 {
                match pool.insert(tx(key, n), of(1)) {
                    Ok(()) => {}
                    Err(MempoolError::OverShare | MempoolError::NonceGap { .. }) => refused += 1,
                    Err(other) => panic!("unexpected refusal {other}"),
                }
            }
        }
        // Alone, it may fill the pool up to its bound.
        assert_eq!((pool.len(), refused), (40, 0));
        let other = Signer::from_seed(99);
        assert_eq!(pool.insert(tx(&other, 1), of(2)), Err(MempoolError::Full));
        // Drain half of it: the flooder is now over its half share, the other is not.
        for key in &flooder[..5] {
            pool.settle(&key.key.public_key(), 4);
        }
        pool.insert(tx(&other, 1), of(2)).unwrap();
        let late = Signer::from_seed(50);
        assert_eq!(
            pool.insert(tx(&late, 1), of(1)),
            Err(MempoolError::OverShare)
        );
        assert_eq!(
            pool.precheck(&flooder[9].key.public_key(), 5, 100, 0, 0),
            Err(MempoolError::OverShare)
        );
        for n in 2..=5 {
            pool.insert(tx(&other, n), of(2)).unwrap();
        }
        // Blocks alternate between the two members, however many keys the first uses.
        let block = pool.select(6, usize::MAX, &BTreeMap::new());
        assert_eq!(signed_by(&block, &other), 3);
    }

    /// A party with many fresh keys (anyone can make them; a subject registers itself) takes
    /// one share of a busy pool, the public's, however many keys it uses: a member still
    /// fills its own share, and blocks serve the member and the public in turn.
    #[test]
    fn a_sybil_with_many_fresh_keys_takes_one_share() {
        let mut pool = Mempool::new(MempoolLimits {
            transactions_max: 40,
            ..MempoolLimits::default()
        });
        let member = Signer::from_seed(1);
        for n in 1..=10 {
            pool.insert(tx(&member, n), of(1)).unwrap();
        }
        let sybils: Vec<Signer> = (100..160).map(Signer::from_seed).collect();
        let admitted = sybils
            .iter()
            .filter(|key| match pool.insert(tx(key, 1), at(0)) {
                Ok(()) => true,
                Err(MempoolError::OverShare) => false,
                Err(other) => panic!("unexpected refusal {other}"),
            })
            .count();
        // Two owners are pending, so each has half of the pool.
        assert_eq!(admitted, 20);
        assert_eq!(
            pool.precheck(&sybils[59].key.public_key(), 1, 100, 0, 0),
            Ok(()),
            "a key holding nothing passes the cheap checks; its owner's share refuses it"
        );
        for n in 11..=20 {
            pool.insert(tx(&member, n), of(1)).unwrap();
        }
        assert_eq!(pool.len(), 40);
        let block = pool.select(8, usize::MAX, &BTreeMap::new());
        assert_eq!(signed_by(&block, &member), 4);
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// Submit (through the API: committed nonce known) signer's next or another nonce.
        Submit { signer: u8, skip: u8 },
        /// Gossip: a nonce of the signer's, the committed one unknown.
        Gossip { signer: u8, nonce: u8 },
        /// A block commits the signer's transactions up to its run's `take`th.
        Commit { signer: u8, take: u8 },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..4, 0u8..3).prop_map(|(signer, skip)| Op::Submit { signer, skip }),
            (0u8..4, 1u8..12).prop_map(|(signer, nonce)| Op::Gossip { signer, nonce }),
            (0u8..4, 0u8..4).prop_map(|(signer, take)| Op::Commit { signer, take }),
        ]
    }

    proptest! {
        /// Against a model of committed nonces: whatever arrives in whatever order, every
        /// transaction a client got admitted had each earlier nonce of its signer pending or
        /// committed (nothing a client submits waits behind a gap); the counts agree; and
        /// selection only takes runs from the signer's next.
        #[test]
        fn client_transactions_never_wait_behind_a_gap(ops in proptest::collection::vec(op(), 1..80)) {
            let signers: Vec<Signer> = (0..4).map(Signer::from_seed).collect();
            let mut committed = [0u64; 4];
            let mut pool = Mempool::new(MempoolLimits { transactions_max: 24, per_signer_max: 8, ..MempoolLimits::default() });
            for op in ops {
                match op {
                    Op::Submit { signer, skip } => {
                        let i = usize::from(signer);
                        let key = signers[i].key.public_key();
                        let run_end = pool.by_signer.get(&key).map_or(committed[i], |q| q.run_end(committed[i]));
                        let nonce = run_end + 1 + u64::from(skip);
                        let known = pool.known(&key).unwrap_or(Known { nonce: committed[i], institution: None });
                        let held = pool.by_signer.get(&key).is_some_and(|q| q.transactions.contains_key(&nonce));
                        let result = pool.insert(tx(&signers[i], nonce), Via::Client(known));
                        if result.is_ok() {
                            let queue = &pool.by_signer[&key];
                            prop_assert!((committed[i] + 1..nonce).all(|n| queue.transactions.contains_key(&n)));
                        } else if skip == 0 {
                            prop_assert!(matches!(result, Err(MempoolError::Full | MempoolError::OverShare)), "{result:?}");
                        }
                        if skip > 0 && !held {
                            let gap = Err(MempoolError::NonceGap { expected: run_end + 1 });
                            prop_assert!(result == gap || matches!(result, Err(MempoolError::Full | MempoolError::OverShare)), "{result:?}");
                        }
                    }
                    Op::Gossip { signer, nonce } => {
                        let i = usize::from(signer);
                        let _ = pool.insert(tx(&signers[i], u64::from(nonce)), Via::Gossip);
                    }
                    Op::Commit { signer, take } => {
                        let i = usize::from(signer);
                        let key = signers[i].key.public_key();
                        pool.settle(&key, committed[i]);
                        let run = pool.select(usize::MAX, usize::MAX, &BTreeMap::new());
                        let mine: Vec<u64> = run.iter().filter(|t| t.transaction().signer == key).map(|t| t.transaction().nonce).collect();
                        prop_assert!(mine.iter().zip(committed[i] + 1..).all(|(n, e)| *n == e), "not a run from the next: {mine:?}");
                        if let Some(last) = mine.iter().take(usize::from(take)).next_back() {
                            committed[i] = *last;
                        }
                        pool.settle(&key, committed[i]);
                    }
                }
                let mut total = 0;
                for (i, signer) in signers.iter().enumerate() {
                    let Some(queue) = pool.by_signer.get(&signer.key.public_key()) else { continue };
                    prop_assert!(!queue.transactions.is_empty());
                    total += queue.transactions.len();
                    if let Some(known) = queue.committed {
                        prop_assert_eq!(known, committed[i]);
                        prop_assert!(queue.transactions.keys().all(|n| *n > known));
                    }
                }
                prop_assert_eq!(total, pool.len());
                prop_assert_eq!(pool.by_owner.values().sum::<usize>(), pool.len());
                prop_assert!(pool.len() <= 24);
            }
        }
    }
}
