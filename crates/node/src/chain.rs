//! The chain as this node knows it: the committed tip in the store, and the blocks executed
//! on top of it that consensus has not finalised yet.
//!
//! Blocks are executed when this node proposes or verifies them, on top of their parent's
//! state — committed, or itself pending — and kept with their change set and their staged
//! (merkleized, unapplied) batch. When consensus finalises a block, the same staged batch is
//! committed, so each block executes once. Pending blocks on forks that lose are dropped when
//! a block at their height is committed.
//!
//! Invariants:
//! - the committed tip only advances by one block, the child of the current tip;
//! - a block is committed only if executing it gives the state root in its header; if it
//!   does not, this node has diverged from the network and refuses to go on.

use credence_crypto::VerifiedTransaction;
use credence_ledger::{BlockOutcome, ChangeSet, genesis::genesis_state};
use credence_store::{Pending, Store, StoreConfig, StoreError, execute};
use credence_types::{
    Block, BlockHeader, Digest, Height, PublicKey, SignedTransaction, TimestampMs, genesis::Genesis,
};
use std::{collections::BTreeMap, sync::Arc};

/// Why the chain could not execute or commit a block.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The block's parent has not been executed here.
    #[error("parent block {0} has not been executed")]
    UnknownParent(Digest),
    /// Executing a finalised block gave another state root than its header: this node's
    /// state has diverged from the network's.
    #[error(
        "state diverged at height {height}: executed root {executed}, finalised header says {expected}"
    )]
    Diverged {
        /// The block's height.
        height: Height,
        /// The root this node computed.
        executed: Digest,
        /// The root in the finalised header.
        expected: Digest,
    },
    /// A finalised block holds a transaction whose signature does not verify.
    #[error("finalised block at height {0} holds an invalid signature")]
    InvalidFinalized(Height),
    /// This node broke one of its own invariants (a bug): it stops rather than guess.
    #[error("a node invariant is broken: {0}")]
    Invariant(&'static str),
    /// A finalised block does not follow the committed tip.
    #[error("finalised block at height {got} does not follow the committed tip {tip}")]
    OutOfOrder {
        /// The tip.
        tip: Height,
        /// The block's height.
        got: Height,
    },
}

/// The last committed block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tip {
    /// Its header.
    pub header: BlockHeader,
    /// Its digest.
    pub digest: Digest,
}

/// A block executed on top of its parent, not yet committed.
#[derive(Clone, Debug)]
pub struct Executed {
    /// The block's header (its state root is the executed root).
    pub header: BlockHeader,
    /// What execution produced.
    pub outcome: Arc<BlockOutcome>,
    /// Its transactions, in order.
    pub transactions: Arc<Vec<VerifiedTransaction>>,
    pending: Pending,
}

/// What committing a finalised block produced: for subscribers and the mempool.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The block's header.
    pub header: BlockHeader,
    /// Its digest.
    pub digest: Digest,
    /// Receipts and events.
    pub outcome: Arc<BlockOutcome>,
    /// The transactions, in order.
    pub transactions: Arc<Vec<VerifiedTransaction>>,
    /// Whether the block was executed by the commit itself: this node had not executed it
    /// before it was finalised (it never saw the proposal, or its verification was cut short),
    /// so its signatures were checked and its rules run a second time on the commit's path.
    pub executed_at_commit: bool,
}

/// The chain: committed state and pending blocks.
pub struct Chain<E: commonware_storage::Context + commonware_runtime::Spawner> {
    store: Store<E>,
    genesis: Block,
    tip: Tip,
    pending: BTreeMap<Digest, Executed>,
}

impl<E: commonware_storage::Context + commonware_runtime::Spawner> Chain<E> {
    /// Opens the chain's store, writing the genesis state if it is empty.
    pub async fn open(
        context: E,
        config: &StoreConfig,
        genesis: &Genesis,
    ) -> Result<Self, ChainError> {
        let changes = genesis_state(genesis)
            .map_err(|e| StoreError::Database(format!("genesis is invalid: {e}")))?;
        let stub = Block::genesis(genesis.genesis_time, Digest::default());
        let mut store = Store::open(context.child("store"), config).await?;
        let genesis_root = match store.committed() {
            None => {
                let pending = store.speculate(None, &changes, &stub.header).await?;
                store.commit(pending).await?
            }
            Some(header) if header.height == Height(0) => header.state_root,
            Some(_) => {
                Store::root_of_first(context.child("genesis"), config, &changes, &stub.header)
                    .await?
            }
        };
        let genesis_block = Block::genesis(genesis.genesis_time, genesis_root);
        let header = store.committed().ok_or(ChainError::Invariant(
            "an opened chain has committed genesis",
        ))?;
        tracing::info!(height = header.height.0, "chain opened");
        Ok(Self {
            store,
            genesis: genesis_block,
            tip: Tip {
                header,
                digest: header.digest(),
            },
            pending: BTreeMap::new(),
        })
    }

    /// The genesis block.
    pub fn genesis(&self) -> &Block {
        &self.genesis
    }

    /// The committed tip.
    pub fn tip(&self) -> Tip {
        self.tip
    }

    /// The store, for reads and proofs.
    pub fn store(&self) -> &Store<E> {
        &self.store
    }

    /// Whether the block with this digest has been executed here (or is the tip).
    pub fn is_executed(&self, digest: &Digest) -> bool {
        *digest == self.tip.digest || self.pending.contains_key(digest)
    }

    /// Whether the block of `header` needs no executing here: it is pending, or at or below
    /// the committed tip's height (the tip itself, one of its ancestors, or on a fork
    /// finality has abandoned). A walk back through a block's ancestry stops at the first
    /// such block; checking only [`Chain::is_executed`] let a walk that a commit overtook
    /// (the tip moving past the block it had just looked at) run on to genesis.
    pub fn needs_no_execution(&self, header: &BlockHeader) -> bool {
        header.height <= self.tip.header.height || self.pending.contains_key(&header.digest())
    }

    /// The pending blocks from the tip (exclusive) to `parent` (inclusive), oldest first.
    fn lineage(&self, parent: &Digest) -> Result<Vec<&Executed>, ChainError> {
        let mut chain = Vec::new();
        let mut cursor = *parent;
        while cursor != self.tip.digest {
            let executed = self
                .pending
                .get(&cursor)
                .ok_or(ChainError::UnknownParent(cursor))?;
            chain.push(executed);
            cursor = executed.header.parent;
        }
        chain.reverse();
        Ok(chain)
    }

    /// The last nonce each signer used up in the pending blocks from the tip to `parent`: a
    /// proposer continues each signer's transactions from there.
    pub fn pending_nonces(&self, parent: &Digest) -> Result<BTreeMap<PublicKey, u64>, ChainError> {
        let mut nonces = BTreeMap::new();
        for executed in self.lineage(parent)? {
            for (transaction, receipt) in
                executed.transactions.iter().zip(&executed.outcome.receipts)
            {
                if receipt.outcome.consumes_nonce() {
                    let transaction = transaction.transaction();
                    nonces.insert(transaction.signer, transaction.nonce);
                }
            }
        }
        Ok(nonces)
    }

    /// Executes `transactions` as the block `header` (whose state root is ignored) on top of
    /// its parent, returning the header with the resulting root and what execution
    /// produced. Nothing is kept until [`Chain::keep`].
    pub async fn execute(
        &self,
        header: &BlockHeader,
        transactions: &[VerifiedTransaction],
    ) -> Result<Executed, ChainError> {
        let lineage = self.lineage(&header.parent)?;
        let changes: Vec<&ChangeSet> = lineage.iter().map(|e| &e.outcome.changes).collect();
        let outcome = execute(&self.store, &changes, header.context(), transactions).await?;
        let pending = self
            .store
            .speculate(lineage.last().map(|e| &e.pending), &outcome.changes, header)
            .await?;
        Ok(Executed {
            header: pending.header,
            outcome: Arc::new(outcome),
            transactions: Arc::new(transactions.to_vec()),
            pending,
        })
    }

    /// Keeps an executed block as pending under its digest.
    pub fn keep(&mut self, executed: Executed) -> Digest {
        let digest = executed.header.digest();
        self.pending.insert(digest, executed);
        digest
    }

    /// Commits a finalised block, which must be the child of the tip. Executes it first if
    /// this node has not (it may have missed the proposal), its transactions verified by
    /// `verify` (`None`: a signature does not verify).
    pub async fn commit(
        &mut self,
        block: &Block,
        verify: impl FnOnce(
            &[SignedTransaction],
        ) -> Result<Option<Vec<VerifiedTransaction>>, ChainError>,
    ) -> Result<Committed, ChainError> {
        let digest = block.header.digest();
        if block.header.height.0 != self.tip.header.height.0.saturating_add(1)
            || block.header.parent != self.tip.digest
        {
            return Err(ChainError::OutOfOrder {
                tip: self.tip.header.height,
                got: block.header.height,
            });
        }
        let (executed, executed_at_commit) = match self.pending.remove(&digest) {
            Some(executed) => (executed, false),
            None => {
                let transactions = verify(block.transactions.as_slice())?
                    .ok_or(ChainError::InvalidFinalized(block.header.height))?;
                (self.execute(&block.header, &transactions).await?, true)
            }
        };
        if executed.header.state_root != block.header.state_root {
            return Err(ChainError::Diverged {
                height: block.header.height,
                executed: executed.header.state_root,
                expected: block.header.state_root,
            });
        }
        self.store.commit(executed.pending).await?;
        self.tip = Tip {
            header: block.header,
            digest,
        };
        // Pending blocks at or below the new tip are now on dead forks.
        let height = block.header.height;
        self.pending.retain(|_, e| e.header.height > height);
        Ok(Committed {
            header: block.header,
            digest,
            outcome: executed.outcome,
            transactions: executed.transactions,
            executed_at_commit,
        })
    }
}

/// The time of a new child of `parent`: now, but after the parent and not too far past it.
pub fn child_time(parent: &BlockHeader, now: TimestampMs) -> TimestampMs {
    let earliest = parent.time.0.saturating_add(1);
    let latest = parent
        .time
        .0
        .saturating_add(credence_types::block::MAX_TIME_STEP_MS);
    TimestampMs(now.0.clamp(earliest, latest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
    use credence_types::block::transactions_root;

    /// An empty block on `parent`, a second later, with the root execution gives it.
    async fn empty_child(
        chain: &Chain<deterministic::Context>,
        parent: &BlockHeader,
    ) -> (Block, Executed) {
        let header = BlockHeader {
            parent: parent.digest(),
            height: parent.height.next().unwrap(),
            time: TimestampMs(parent.time.0 + 1_000),
            transactions_root: transactions_root(std::iter::empty()),
            transaction_count: 0,
            ..*parent
        };
        let executed = chain.execute(&header, &[]).await.unwrap();
        let block = Block {
            header: executed.header,
            transactions: Default::default(),
        };
        (block, executed)
    }

    /// A leader walking back through its parent's ancestry while commits land: the blocks
    /// the walk saw as not yet executed are committed by the time it executes them, and the
    /// first of them is no longer the tip. Executing it again fails (its parent is neither
    /// the tip nor pending: the "parent block 000…0 has not been executed" that made
    /// leaders abstain), so the walk must count it as done.
    #[test]
    fn blocks_a_commit_overtook_need_no_execution() {
        let genesis = credence_ledger::testkit::Chain::new().genesis;
        deterministic::Runner::seeded(1).start(|context| async move {
            let mut chain = Chain::open(
                context.child("chain"),
                &StoreConfig::small("chain"),
                &genesis,
            )
            .await
            .unwrap();
            let tip = chain.tip().header;
            let (first, executed) = empty_child(&chain, &tip).await;
            chain.keep(executed);
            let (second, executed) = empty_child(&chain, &first.header).await;
            chain.keep(executed);
            let (third, _) = empty_child(&chain, &second.header).await;
            assert!(chain.needs_no_execution(&first.header));
            assert!(!chain.needs_no_execution(&third.header), "not kept");

            chain.commit(&first, |_| Ok(None)).await.unwrap();
            chain.commit(&second, |_| Ok(None)).await.unwrap();
            assert!(!chain.is_executed(&first.header.digest()));
            assert!(matches!(
                chain.execute(&first.header, &[]).await,
                Err(ChainError::UnknownParent(_))
            ));
            assert!(chain.needs_no_execution(&first.header));
            assert!(chain.needs_no_execution(&second.header));
            assert!(!chain.needs_no_execution(&third.header));
        });
    }
}
