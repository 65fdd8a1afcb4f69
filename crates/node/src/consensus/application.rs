//! The engine's view of the node: building and verifying blocks (the `Application` marshal
//! wraps), and receiving finalised blocks in height order (marshal's reporter).

use super::{
    block::{ChainBlock, to_engine},
    epochs::{self, EpochBook},
    orchestrator::Orchestrator,
    transitions::Transitions,
};
use crate::{
    chain::ChainError,
    service::{Node, wait_for_block_time},
};
use commonware_actor::Feedback;
use commonware_consensus::{
    Application, Reporter,
    marshal::{Update, ancestry::Ancestry},
    simplex::{scheme::ed25519, types::Context},
    types::{Epocher as _, Height as EngineHeight},
};
use commonware_cryptography::{Digested, Digestible as _, sha256};
use commonware_runtime::{Clock, Spawner};
use commonware_utils::{Acknowledgement as _, acknowledgement::Exact};
use credence_types::{
    Block, BlockHeader, PublicKey,
    epoch::{EpochRecord, EpochValidator, Roster},
    state::StateKey,
};
use futures::{StreamExt as _, channel::mpsc};
use std::sync::Arc;

/// The application marshal wraps: proposes and verifies blocks through the node.
pub struct App<E: commonware_storage::Context + Spawner> {
    node: Arc<Node<E>>,
    /// Where verifications run: a context that lives as long as the node, so a verification
    /// outlives consensus's interest in it (see [`App::verify`]).
    verifications: Arc<E>,
}

impl<E: commonware_storage::Context + Spawner> Clone for App<E> {
    fn clone(&self) -> Self {
        Self {
            node: Arc::clone(&self.node),
            verifications: Arc::clone(&self.verifications),
        }
    }
}

impl<E: commonware_storage::Context + Spawner> App<E> {
    /// The application for `node`, running verifications as children of `verifications`.
    pub fn new(node: Arc<Node<E>>, verifications: E) -> Self {
        Self {
            node,
            verifications: Arc::new(verifications),
        }
    }
}

/// Key bytes from an engine key.
pub(crate) fn key_bytes(key: &commonware_cryptography::ed25519::PublicKey) -> PublicKey {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(key.as_ref());
    PublicKey(bytes)
}

impl<E> App<E>
where
    E: commonware_storage::Context + Spawner,
{
    /// Walks `ancestry` back to a block this node needs not execute (executed, or at or
    /// below its committed tip) and executes the ones after it, oldest first. Returns the
    /// header of the ancestry's first block (the parent of the block being built or
    /// verified), or `None` if the ancestry ran out first.
    async fn execute_ancestry(
        &self,
        mut ancestry: impl Ancestry<ChainBlock>,
    ) -> Result<Option<BlockHeader>, ChainError> {
        let mut missing: Vec<Block> = Vec::new();
        let mut first: Option<BlockHeader> = None;
        while let Some(block) = ancestry.next().await {
            let block = block.inner().block();
            first.get_or_insert(block.header);
            if self
                .node
                .chain
                .lock()
                .await
                .needs_no_execution(&block.header)
            {
                break;
            }
            // Copied only when it must be executed: the usual ancestry is one executed parent.
            missing.push(block.clone());
        }
        if missing.is_empty() && first.is_none() {
            return Ok(None);
        }
        missing.reverse();
        self.node.catch_up(missing).await?;
        Ok(first)
    }

    /// Logs a failure this node cannot resolve by itself and stops it from voting: consensus
    /// times the view out; the operator is told why.
    async fn stall(&self, error: &ChainError) -> ! {
        tracing::error!(%error, "cannot build on this chain; abstaining");
        if matches!(
            error,
            ChainError::Diverged { .. } | ChainError::Store(_) | ChainError::Invariant(_)
        ) {
            self.node.halt(error.to_string());
        }
        match futures::future::pending::<std::convert::Infallible>().await {}
    }
}

impl<E> Application<E> for App<E>
where
    E: commonware_storage::Context + Spawner + Clock,
{
    type SigningScheme = ed25519::Scheme;
    type Context = Context<sha256::Digest, commonware_cryptography::ed25519::PublicKey>;
    type Block = ChainBlock;
    type Input = ();

    async fn propose(
        &mut self,
        (runtime, _context): (E, Self::Context),
        ancestry: impl Ancestry<Self::Block>,
        (): Self::Input,
    ) -> Option<Digested<Self::Block>> {
        let parent = match self.execute_ancestry(ancestry).await {
            Ok(parent) => parent?,
            Err(error) => self.stall(&error).await,
        };
        let block = self.node.propose(&runtime, &parent).await?;
        // A Byzantine leader of the simulation rewrites its block here, before anyone sees it.
        #[cfg(feature = "byzantine")]
        let block = self.node.tamper_proposal(&parent, block).await;
        let block = ChainBlock::new(block);
        let digest = block.digest();
        Some(Digested::precomputed(block, digest))
    }

    async fn verify(
        &mut self,
        (runtime, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
    ) -> bool {
        let Some(block) = ancestry.next().await else {
            // Without the block there is no verdict to give: abstain.
            match futures::future::pending::<std::convert::Infallible>().await {}
        };
        let parent = match self.execute_ancestry(ancestry).await {
            Ok(Some(parent)) => parent,
            Ok(None) => return false,
            Err(error) => self.stall(&error).await,
        };
        let leader = key_bytes(&context.leader);
        // A timestamp ahead of this node's clock, within the step a block may take, is waited
        // out here, in the request: waiting is not work, and a proposal nobody waits for any
        // more must keep nothing alive (a Byzantine leader's blocks timed minutes ahead would
        // otherwise each hold a task, and the block, for those minutes). A larger step is
        // refused at once by the check below.
        wait_for_block_time(&runtime, &block.inner().block().header, &parent).await;
        // Then in a task of its own, which runs to the end even if consensus stops waiting for
        // the verdict: a validator that lags is told to move on once the others have
        // notarised the block, and would then verify and execute the block again to commit it
        // (the work it had done was dropped with the waiting), falling further behind.
        // Finished, the block is kept executed for its commit. The runtime of the request is
        // not used: its children end with it.
        drop(runtime);
        let node = Arc::clone(&self.node);
        let verification = self
            .verifications
            .child("verify")
            .spawn(move |runtime| async move {
                node.verify(&runtime, block.inner().block(), &parent, &leader)
                    .await
            });
        match verification.await {
            // Refusals are logged and counted by the node.
            Ok(Ok(verdict)) => verdict.is_ok(),
            Ok(Err(error)) => self.stall(&error).await,
            // Aborted: the node is stopping. No verdict to give: abstain.
            Err(_) => match futures::future::pending::<std::convert::Infallible>().await {},
        }
    }
}

/// Marshal's reporter: hands finalised blocks, in height order, to the committing task.
#[derive(Clone)]
pub struct Finalized {
    sender: mpsc::UnboundedSender<(Digested<ChainBlock>, Exact)>,
}

impl Reporter for Finalized {
    type Activity = Update<ChainBlock, Exact>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        match activity {
            // Never dropped: a dropped acknowledgement stops marshal.
            Update::Block(block, ack) => match self.sender.unbounded_send((block, ack)) {
                Ok(()) => Feedback::Ok,
                Err(_) => Feedback::Closed,
            },
            Update::Tip(..) => Feedback::Ok,
        }
    }
}

/// What the committing task does at epoch boundaries: at the last block of an epoch, it
/// learns the next epoch from the state it just committed and has the orchestrator enter it
/// before acknowledging the block; at any block that changed the roster, it has the
/// orchestrator track the newly seated validators.
pub struct Boundaries<E: commonware_storage::Context> {
    book: EpochBook,
    orchestrator: Orchestrator,
    transitions: Transitions<E>,
    roster: Vec<EpochValidator>,
}

impl<E> Boundaries<E>
where
    E: commonware_storage::Context + Spawner + commonware_runtime::Metrics,
{
    /// Boundaries of the epochs in `book`, starting from `roster`; the proofs of the epochs'
    /// records are kept in `transitions`.
    pub fn new(
        book: EpochBook,
        orchestrator: Orchestrator,
        transitions: Transitions<E>,
        roster: Vec<EpochValidator>,
    ) -> Self {
        Self {
            book,
            orchestrator,
            transitions,
            roster,
        }
    }

    /// After `block` was durably committed.
    async fn committed(&mut self, node: &Node<E>, block: &Block) -> Result<(), String> {
        let roster: Roster = epochs::committed(node, StateKey::roster())
            .await
            .map_err(|e| e.to_string())?
            .ok_or("state has no roster")?;
        if roster.validators.as_slice() != self.roster.as_slice() {
            self.roster = roster.validators.iter().copied().collect();
            self.orchestrator.roster(self.roster.clone());
        }
        let height = block.header.height.0;
        let info = self
            .book
            .epocher
            .containing(EngineHeight::new(height))
            .ok_or_else(|| format!("committed height {height} is in no epoch this node knows"))?;
        if info.last().get() != height {
            return Ok(());
        }
        let next = info.epoch().get() + 1;
        let record: EpochRecord = epochs::committed(node, StateKey::epoch(next))
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the last block of epoch {} named no epoch {next}", next - 1))?;
        self.book.learn(&record).map_err(|e| e.to_string())?;
        // Proven now, while the store's state is this block's: the only state a light client
        // trusting epoch N's validators can check the record against. A block delivered
        // again after a restart was proven before it was acknowledged the first time; by
        // then the store may have moved on, so it is not proven again.
        if self.transitions.proof(next).await?.is_none() {
            let proof = node
                .chain
                .lock()
                .await
                .store()
                .prove(&StateKey::epoch(next))
                .await
                .map_err(|e| e.to_string())?;
            self.transitions.keep(next, &proof).await?;
        }
        if !self
            .orchestrator
            .enter(next, to_engine(&block.header.digest()))
            .await
        {
            return Err("the epoch orchestrator stopped".to_string());
        }
        Ok(())
    }
}

/// Starts the task that commits finalised blocks, acknowledging each to marshal only once
/// it is durable (and, at the end of an epoch, once the next epoch's engine runs). Returns
/// the reporter to give marshal.
pub fn start_finalizer<E>(
    runtime: E,
    node: Arc<Node<E>>,
    mut boundaries: Boundaries<E>,
) -> Finalized
where
    E: commonware_storage::Context + Spawner + Clock + commonware_runtime::Metrics,
{
    let (sender, mut receiver) = mpsc::unbounded::<(Digested<ChainBlock>, Exact)>();
    runtime.child("commit").spawn(move |runtime| async move {
        while let Some((block, ack)) = receiver.next().await {
            let block = block.inner().block();
            let outcome = match node.finalize(&runtime, block).await {
                Ok(()) => boundaries.committed(&node, block).await,
                Err(error) => Err(error.to_string()),
            };
            match outcome {
                Ok(()) => ack.acknowledge(),
                Err(error) => {
                    // Unacknowledged, the block is redelivered after a restart.
                    tracing::error!(%error, "cannot commit a finalised block; stopping");
                    node.halt(error);
                    return;
                }
            }
        }
    });
    Finalized { sender }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        consensus::block::BlockLimits,
        mempool::MempoolLimits,
        service::{self, Settings, Verifier},
        validator::{self, Parts},
    };
    use commonware_consensus::types::{Epoch, Round, View};
    use commonware_cryptography::{Signer as _, ed25519};
    use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
    use credence_store::StoreConfig;
    use credence_types::{
        TimestampMs,
        block::{MAX_TIME_STEP_MS, transactions_root},
    };
    use futures::Stream;
    use std::{
        collections::VecDeque,
        pin::Pin,
        task::{Context as TaskContext, Poll},
        time::Duration,
    };

    /// An ancestry as marshal hands one over: the block, then its ancestors, newest first.
    #[derive(Clone)]
    struct Blocks(VecDeque<Digested<ChainBlock>>);

    impl Stream for Blocks {
        type Item = Digested<ChainBlock>;

        fn poll_next(
            mut self: Pin<&mut Self>,
            _: &mut TaskContext<'_>,
        ) -> Poll<Option<Self::Item>> {
            Poll::Ready(self.0.pop_front())
        }
    }

    impl Ancestry<ChainBlock> for Blocks {
        fn peek(&self) -> Option<&Digested<ChainBlock>> {
            self.0.front()
        }
    }

    fn digested(block: Block) -> Digested<ChainBlock> {
        let block = ChainBlock::new(block);
        let digest = block.digest();
        Digested::precomputed(block, digest)
    }

    /// A node over a fresh chain, and proposals on its tip by one leader.
    struct Harness {
        context: deterministic::Context,
        node: Arc<Node<deterministic::Context>>,
        leader: ed25519::PublicKey,
        made: std::cell::Cell<u64>,
    }

    impl Harness {
        async fn new(context: deterministic::Context) -> Self {
            let genesis = credence_ledger::testkit::Chain::new().genesis;
            let leader = ed25519::PrivateKey::from_seed(7).public_key();
            let parts = Parts {
                genesis: genesis.clone(),
                store: StoreConfig::small("app"),
                mempool: MempoolLimits::default(),
                settings: Settings {
                    chain_id: genesis.chain_id.clone(),
                    me: key_bytes(&leader),
                    block_limits: BlockLimits {
                        transactions_max: 100,
                        bytes_max: 1 << 20,
                    },
                    propose_transactions_max: 100,
                    block_interval: Duration::from_millis(500),
                    empty_block_interval: Duration::from_secs(1),
                    nonce_window: 16,
                },
                verifier: Verifier::sequential(),
            };
            let node = validator::open(&context, parts).await.unwrap().node;
            Self {
                context,
                node,
                leader,
                made: std::cell::Cell::new(0),
            }
        }

        /// An empty proposal on the tip, timed `ahead` of the node's clock (each a
        /// millisecond later than the last, so no two are the same block), with its ancestry
        /// as marshal hands it over.
        async fn proposal(&self, ahead: Duration) -> (Block, Blocks) {
            let tip = self.node.chain.lock().await.tip();
            let ahead = u64::try_from(ahead.as_millis()).unwrap();
            let now = service::now(&self.context).0.saturating_add(ahead);
            self.made.set(self.made.get() + 1);
            let time = now.max(tip.header.time.0) + self.made.get();
            let stub = BlockHeader {
                parent: tip.digest,
                height: tip.header.height.next().unwrap(),
                time: TimestampMs(time),
                proposer: key_bytes(&self.leader),
                transactions_root: transactions_root(std::iter::empty()),
                transaction_count: 0,
                ..tip.header
            };
            let executed = self
                .node
                .chain
                .lock()
                .await
                .execute(&stub, &[])
                .await
                .unwrap();
            let block = Block {
                header: executed.header,
                transactions: Default::default(),
            };
            let parent = Block {
                header: tip.header,
                transactions: Default::default(),
            };
            let ancestry = Blocks(VecDeque::from([digested(block.clone()), digested(parent)]));
            (block, ancestry)
        }

        /// What consensus passes with a verification request of a proposal on the tip.
        async fn request(&self) -> Context<sha256::Digest, ed25519::PublicKey> {
            let tip = self.node.chain.lock().await.tip();
            Context {
                round: Round::new(Epoch::new(0), View::new(1)),
                leader: self.leader.clone(),
                parent: (View::new(0), to_engine(&tip.digest)),
            }
        }

        /// Sleeps until the node's clock has reached `block`'s time.
        async fn reach(&self, block: &Block) {
            service::sleep_until(&self.context, block.header.time).await;
        }

        async fn is_executed(&self, block: &Block) -> bool {
            self.node
                .chain
                .lock()
                .await
                .is_executed(&block.header.digest())
        }
    }

    /// A validator whose consensus moved on while it was still verifying a proposal (the
    /// others notarised it first, so marshal stopped waiting and dropped the verification)
    /// must still end with the block executed: otherwise committing it verifies and executes
    /// it a second time, and a validator that lags falls further behind. Before the fix, a
    /// lagging validator executed 1 to 4 of about 90 blocks twice in a 20-second `mixed` run
    /// at 9,500/s (the metric `executed_at_commit`). Here the verification is held up on the
    /// chain's lock, as by a commit in progress, when consensus gives up on it.
    #[test]
    fn a_verification_consensus_stopped_waiting_for_still_leaves_its_block_executed() {
        deterministic::Runner::seeded(1).start(|context| async move {
            let h = Harness::new(context.child("harness")).await;
            let request = h.request().await;
            let pause = || context.sleep(Duration::from_millis(10));

            // The hazard: the node's own verification, dropped while it waits for the chain,
            // leaves nothing executed.
            let (block, ancestry) = h.proposal(Duration::ZERO).await;
            h.reach(&block).await;
            let parent = ancestry.0[1].inner().block().header;
            let held = h.node.chain.lock().await;
            let mut direct =
                Box::pin(
                    h.node
                        .verify(&context, &block, &parent, &block.header.proposer),
                );
            assert!(
                futures::poll!(&mut direct).is_pending(),
                "waits for the chain"
            );
            drop(direct);
            drop(held);
            pause().await;
            assert!(!h.is_executed(&block).await);

            // Through the application, as consensus asks: the verification finishes anyway.
            let (block, ancestry) = h.proposal(Duration::ZERO).await;
            h.reach(&block).await;
            let mut app = App::new(Arc::clone(&h.node), context.child("verification"));
            let mut asked =
                Box::pin(app.verify((context.child("request"), request.clone()), ancestry));
            assert!(
                futures::poll!(&mut asked).is_pending(),
                "handed to its task"
            );
            let held = h.node.chain.lock().await;
            pause().await;
            drop(asked);
            drop(held);
            pause().await;
            assert!(h.is_executed(&block).await);

            // And a verification consensus waits for is answered as before.
            let (block, ancestry) = h.proposal(Duration::ZERO).await;
            h.reach(&block).await;
            assert!(
                app.verify((context.child("again"), request), ancestry)
                    .await
            );
        });
    }

    /// A Byzantine leader may time its block up to `MAX_TIME_STEP_MS` ahead; a verifier
    /// waits that out rather than refuse it. The wait must end with consensus's interest: if
    /// it ran in the verification's own task, every such proposal would keep a task and its
    /// block alive for minutes after its view was over.
    #[test]
    fn a_proposal_timed_ahead_keeps_nothing_alive_once_consensus_stops_waiting() {
        deterministic::Runner::seeded(1).start(|context| async move {
            let h = Harness::new(context.child("harness")).await;
            let request = h.request().await;
            let ahead = Duration::from_millis(MAX_TIME_STEP_MS / 2);
            let (block, ancestry) = h.proposal(ahead).await;
            let mut app = App::new(Arc::clone(&h.node), context.child("verification"));
            let mut asked = Box::pin(app.verify(
                (context.child("request"), request.clone()),
                ancestry.clone(),
            ));
            assert!(futures::poll!(&mut asked).is_pending());
            context.sleep(Duration::from_millis(10)).await;
            drop(asked);
            h.reach(&block).await;
            context.sleep(Duration::from_secs(1)).await;
            assert!(!h.is_executed(&block).await, "nothing went on verifying it");

            // Asked again once its time has come, it verifies.
            assert!(
                app.verify((context.child("again"), request), ancestry)
                    .await
            );
            assert!(h.is_executed(&block).await);
        });
    }
}
