//! The simulated network: validators assembled as in production (`credence_node::run`), but
//! on Commonware's deterministic runtime and simulated p2p network, with faults on demand.
//!
//! A [`Simulation`] owns the network's oracle and one slot per validator. Each honest
//! validator runs under its own supervised task (`validator`), so [`Simulation::crash`]
//! aborts every task of that validator at once, as a killed process would, and drops its
//! unsynced writes; its storage stays in the runtime, and [`Simulation::restart`] opens it
//! again. A Byzantine validator runs whatever its [`ByzantineEngine`] starts, with the same
//! identity and channels. Committed blocks are copied into a [`Journal`] by a task outside
//! the validator's, so a crash loses no record of a durable commit.

use crate::{
    consortium::Consortium,
    journal::{Journal, Sent, Submission},
};
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{Clock as _, Handle, Quota, Spawner as _, Supervisor as _, deterministic};
use commonware_utils::{NZU32, NZUsize, ordered::Set, probability};
use credence_node::{
    chain::{Chain, Committed},
    consensus::{self, Channels, EngineConfig, block::BlockLimits, channels},
    mempool::MempoolLimits,
    metrics::Metrics,
    service::{Node, NodeChannels, Settings, Verifier},
};
use credence_store::StoreConfig;
use credence_types::{Digest, SignedTransaction, encode};
use futures::{
    channel::oneshot,
    future::{Either, select},
};
use std::{
    collections::{BTreeMap, BTreeSet},
    num::NonZeroUsize,
    sync::Arc,
    time::{Duration, UNIX_EPOCH},
};
use tokio::sync::broadcast;

/// The runtime context every validator runs on.
pub type Context = deterministic::Context;
/// A validator's identity on the network (its engine key).
pub type Peer = ed25519::PublicKey;
/// A simulated channel's sender.
pub type SimSender = simulated::Sender<Peer, Context>;
/// A simulated channel's receiver.
pub type SimReceiver = simulated::Receiver<Peer>;
/// A validator's six channels on the simulated network.
pub type SimChannels = Channels<SimSender, SimReceiver>;
/// A running honest validator.
pub type ValidatorNode = Arc<Node<Context>>;

/// A run longer than this (simulated time) is stuck: the runtime panics.
pub const RUNTIME_LIMIT: Duration = Duration::from_secs(3_600);
/// How long an accepted, uncommitted transaction may be missing from every mempool before
/// it counts as lost (gossip in flight takes far less).
pub const LOST_AFTER: Duration = Duration::from_secs(5);
/// An accepted transaction still uncommitted after this long, while [`STUCK_BLOCKS`] blocks
/// were committed without it, is stuck: no proposer includes it.
pub const STUCK_AFTER: Duration = Duration::from_secs(20);
/// See [`STUCK_AFTER`].
pub const STUCK_BLOCKS: u64 = 20;
/// How often waiting re-checks its condition, in simulated time.
const POLL: Duration = Duration::from_millis(50);

/// What a Byzantine validator runs in place of its node: it gets the validator's context
/// (spawn under it, so a crash stops everything) and [`ByzantineSetup`].
pub type ByzantineEngine = Arc<dyn Fn(Context, ByzantineSetup) + Send + Sync>;

/// What a Byzantine validator starts with.
pub struct ByzantineSetup {
    /// Its index.
    pub index: usize,
    /// Its consensus signing scheme (same namespace and participants as the honest ones).
    pub scheme: Scheme,
    /// Its channels, registered under its identity.
    pub channels: SimChannels,
}

/// How the simulated network is set up.
#[derive(Clone)]
pub struct Config {
    /// Every link between two validators (both directions).
    pub link: Link,
    /// Least time between blocks when there are transactions.
    pub block_interval: Duration,
    /// Time between empty blocks.
    pub empty_block_interval: Duration,
    /// The network's block bounds.
    pub block_limits: BlockLimits,
    /// Rate quota of every channel, per peer. Low quotas silently drop votes and stall views.
    pub quota: Quota,
    /// Validators that are not honest, by index.
    pub byzantine: BTreeMap<usize, ByzantineEngine>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            link: Link {
                latency: Duration::from_millis(10),
                jitter: Duration::from_millis(2),
                success_rate: probability!(1.0),
            },
            block_interval: Duration::from_millis(100),
            empty_block_interval: Duration::from_millis(400),
            block_limits: BlockLimits {
                transactions_max: 1_000,
                bytes_max: 4 << 20,
            },
            quota: Quota::per_second(NZU32!(10_000)),
            byzantine: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Links with this mean latency, jitter (standard deviation) and delivery probability.
    #[must_use]
    pub fn with_link(mut self, link: Link) -> Self {
        self.link = link;
        self
    }

    /// Validator `index` runs `engine` instead of the node.
    #[must_use]
    pub fn with_byzantine(mut self, index: usize, engine: ByzantineEngine) -> Self {
        self.byzantine.insert(index, engine);
        self
    }
}

/// Why the simulation could not do what it was asked, or what it found wrong.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The simulated network refused an operation.
    #[error("simulated network: {0}")]
    Network(String),
    /// A validator could not start.
    #[error("validator {index} could not start: {reason}")]
    Start {
        /// The validator.
        index: usize,
        /// Why.
        reason: String,
    },
    /// A crashed validator's node was still referenced after its tasks were aborted.
    #[error("validator {0}'s node outlived its aborted tasks")]
    Leak(usize),
    /// A condition did not hold in time.
    #[error("timed out after {waited:?} waiting for {what}\n{state}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// For how long (simulated time).
        waited: Duration,
        /// The network's state then.
        state: String,
    },
    /// An invariant does not hold.
    #[error("invariant violated:\n{0}")]
    Violation(String),
}

/// What the harness keeps of a running honest validator.
struct Running {
    handle: Handle<()>,
    node: Option<ValidatorNode>,
}

struct Slot {
    key: credence_crypto::SigningKey,
    peer: Peer,
    byzantine: Option<ByzantineEngine>,
    running: Option<Running>,
    incarnation: u64,
}

/// A started honest validator, as its task reports it.
struct Started {
    node: ValidatorNode,
    commits: broadcast::Receiver<Arc<Committed>>,
}

/// Everything an honest validator's task needs.
struct HonestSetup {
    index: usize,
    consortium: Consortium,
    key: credence_crypto::SigningKey,
    limits: BlockLimits,
    settings: Settings,
    channels: SimChannels,
    peers: simulated::Manager<Peer, Context>,
    blocker: simulated::Control<Peer, Context>,
    journal: Journal,
}

/// The whole network, inside one deterministic runtime.
pub struct Simulation {
    context: Context,
    config: Config,
    consortium: Consortium,
    oracle: Oracle<Peer, Context>,
    slots: Vec<Slot>,
    linked: BTreeSet<(usize, usize)>,
    journal: Journal,
    next: usize,
}

/// The runtime configuration of a simulation with `seed`: the clock starts at the testkit's
/// genesis time, so transactions generated against the reference chain carry plausible
/// dates.
pub fn runtime(seed: u64) -> deterministic::Config {
    let start = UNIX_EPOCH + Duration::from_millis(credence_ledger::testkit::GENESIS_TIME.0);
    deterministic::Config::new()
        .with_seed(seed)
        .with_start_time(start)
        .with_timeout(Some(RUNTIME_LIMIT))
}

impl Simulation {
    /// Starts the network and every validator. `consortium`'s genesis must be the same on
    /// every run over the same storage (set its time once, with
    /// [`Consortium::with_genesis_time`]).
    pub async fn start(
        context: Context,
        config: Config,
        consortium: Consortium,
        journal: Journal,
    ) -> Result<Self, SimError> {
        let size = consortium.keys.len();
        let peers: Vec<Peer> = consortium
            .keys
            .iter()
            .map(|key| key.engine_key().public_key())
            .collect();
        let max_size = consensus::max_message_size(size, &config.block_limits);
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size,
                max_peers_per_set: NonZeroUsize::new(size).unwrap_or(NZUsize!(1)),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            peers.clone(),
        )
        .await;
        network.start();
        let slots = consortium
            .keys
            .iter()
            .zip(peers)
            .enumerate()
            .map(|(index, (key, peer))| Slot {
                key: key.clone(),
                peer,
                byzantine: config.byzantine.get(&index).cloned(),
                running: None,
                incarnation: 0,
            })
            .collect();
        let mut simulation = Self {
            context,
            config,
            consortium,
            oracle,
            slots,
            linked: BTreeSet::new(),
            journal,
            next: 0,
        };
        for a in 0..size {
            for b in a + 1..size {
                simulation.connect(a, b).await?;
            }
        }
        for index in 0..size {
            simulation.launch(index).await?;
        }
        Ok(simulation)
    }

    /// The runtime context.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The consortium.
    pub fn consortium(&self) -> &Consortium {
        &self.consortium
    }

    /// How many validators there are.
    pub fn size(&self) -> usize {
        self.slots.len()
    }

    /// The simulated network's oracle (links, blocks, bandwidth).
    pub fn oracle(&self) -> &Oracle<Peer, Context> {
        &self.oracle
    }

    /// Validator `index`'s network identity.
    pub fn peer(&self, index: usize) -> Option<&Peer> {
        self.slots.get(index).map(|slot| &slot.peer)
    }

    /// Whether validator `index` runs the node.
    pub fn is_honest(&self, index: usize) -> bool {
        self.slots
            .get(index)
            .is_some_and(|slot| slot.byzantine.is_none())
    }

    /// Whether validator `index` is running.
    pub fn is_running(&self, index: usize) -> bool {
        self.slots
            .get(index)
            .is_some_and(|slot| slot.running.is_some())
    }

    /// The honest validators.
    pub fn honest(&self) -> Vec<usize> {
        (0..self.size()).filter(|i| self.is_honest(*i)).collect()
    }

    /// The honest validators that are running.
    pub fn running_honest(&self) -> Vec<usize> {
        (0..self.size())
            .filter(|i| self.is_honest(*i) && self.is_running(*i))
            .collect()
    }

    /// Validator `index`'s node, if it is honest and running.
    pub fn node(&self, index: usize) -> Option<&ValidatorNode> {
        self.slots.get(index)?.running.as_ref()?.node.as_ref()
    }

    /// Sleeps for `duration` of simulated time while the network runs.
    pub async fn sleep(&self, duration: Duration) {
        self.context.sleep(duration).await;
    }

    // ----- Validators -----

    /// Starts validator `index` (again) from its storage.
    async fn launch(&mut self, index: usize) -> Result<(), SimError> {
        let start_error = |reason: String| SimError::Start { index, reason };
        let slot = self
            .slots
            .get_mut(index)
            .ok_or_else(|| start_error("no such validator".to_string()))?;
        if slot.running.is_some() {
            return Err(start_error("it is already running".to_string()));
        }
        slot.incarnation += 1;
        let incarnation = slot.incarnation;
        let peer = slot.peer.clone();
        let key = slot.key.clone();
        let byzantine = slot.byzantine.clone();

        let control = self.oracle.control(peer);
        let channels = register(&control, self.config.quota)
            .await
            .map_err(|e| start_error(e.to_string()))?;
        let context = self
            .context
            .child("validator")
            .with_attribute("index", index)
            .with_attribute("incarnation", incarnation);
        self.journal.started(index);

        let running = match byzantine {
            Some(engine) => {
                let participants = Set::from_iter_dedup(self.slots.iter().map(|s| s.peer.clone()));
                let namespace =
                    engine_config(&self.consortium, &key, index, self.config.block_limits)
                        .namespace;
                let scheme = Scheme::signer(&namespace, participants, key.engine_key())
                    .ok_or_else(|| start_error("its key is not a participant".to_string()))?;
                let setup = ByzantineSetup {
                    index,
                    scheme,
                    channels,
                };
                let handle = context.spawn(move |context| async move {
                    engine(context, setup);
                    futures::future::pending::<()>().await;
                });
                Running { handle, node: None }
            }
            None => {
                let setup = HonestSetup {
                    index,
                    consortium: self.consortium.clone(),
                    settings: self.settings(&key),
                    key,
                    limits: self.config.block_limits,
                    channels,
                    peers: self.oracle.manager(),
                    blocker: control,
                    journal: self.journal.clone(),
                };
                let (reply, started) = oneshot::channel();
                let handle = context.spawn(move |context| run_honest(context, setup, reply));
                let Started { node, commits } = started
                    .await
                    .map_err(|_| start_error("its task ended before reporting".to_string()))?
                    .map_err(start_error)?;
                let journal = self.journal.clone();
                self.context
                    .child("journal")
                    .with_attribute("index", index)
                    .with_attribute("incarnation", incarnation)
                    .spawn(move |_| record(index, commits, journal));
                Running {
                    handle,
                    node: Some(node),
                }
            }
        };
        if let Some(slot) = self.slots.get_mut(index) {
            slot.running = Some(running);
        }
        Ok(())
    }

    fn settings(&self, key: &credence_crypto::SigningKey) -> Settings {
        let limits = self.config.block_limits;
        Settings {
            chain_id: self.consortium.genesis.chain_id.clone(),
            me: key.public_key(),
            block_transactions_max: limits.transactions_max,
            block_bytes_max: limits.bytes_max.saturating_sub(1 << 16),
            block_interval: self.config.block_interval,
            empty_block_interval: self.config.empty_block_interval,
            nonce_window: 4_096,
        }
    }

    /// Crashes validator `index`: aborts all its tasks at once, losing its unsynced writes
    /// and its mempool; its storage stays. Does nothing if it is not running.
    pub async fn crash(&mut self, index: usize) -> Result<(), SimError> {
        let Some(Running { handle, node }) = self
            .slots
            .get_mut(index)
            .and_then(|slot| slot.running.take())
        else {
            return Ok(());
        };
        tracing::info!(index, "crashing validator");
        let weak = node.as_ref().map(Arc::downgrade);
        drop(node);
        handle.abort();
        let _ = handle.await;
        // Aborted tasks are dropped as the runtime gets to them; the node must go with them,
        // or its store would still be open when the validator restarts.
        if let Some(weak) = weak {
            for _ in 0..1_000 {
                if weak.strong_count() == 0 {
                    return Ok(());
                }
                self.context.sleep(Duration::from_millis(1)).await;
            }
            return Err(SimError::Leak(index));
        }
        Ok(())
    }

    /// Restarts a crashed validator from its storage.
    pub async fn restart(&mut self, index: usize) -> Result<(), SimError> {
        tracing::info!(index, "restarting validator");
        self.launch(index).await
    }

    // ----- Links -----

    async fn connect(&mut self, a: usize, b: usize) -> Result<(), SimError> {
        let (Some(pa), Some(pb)) = (self.peer(a).cloned(), self.peer(b).cloned()) else {
            return Err(SimError::Network(format!("no validator {a} or {b}")));
        };
        let link = self.config.link.clone();
        for (from, to) in [(pa.clone(), pb.clone()), (pb, pa)] {
            self.oracle
                .add_link(from, to, link.clone())
                .await
                .map_err(|e| SimError::Network(e.to_string()))?;
        }
        self.linked.insert((a.min(b), a.max(b)));
        Ok(())
    }

    async fn disconnect(&mut self, a: usize, b: usize) -> Result<(), SimError> {
        let (Some(pa), Some(pb)) = (self.peer(a).cloned(), self.peer(b).cloned()) else {
            return Err(SimError::Network(format!("no validator {a} or {b}")));
        };
        for (from, to) in [(pa.clone(), pb.clone()), (pb, pa)] {
            self.oracle
                .remove_link(from, to)
                .await
                .map_err(|e| SimError::Network(e.to_string()))?;
        }
        self.linked.remove(&(a.min(b), a.max(b)));
        Ok(())
    }

    /// Cuts every link between validators in different `groups`; links within a group stay.
    /// A validator in no group is cut from everyone.
    pub async fn partition(&mut self, groups: &[&[usize]]) -> Result<(), SimError> {
        let group_of = |i: usize| groups.iter().position(|g| g.contains(&i));
        let cut: Vec<(usize, usize)> = self
            .linked
            .iter()
            .copied()
            .filter(|&(a, b)| group_of(a).is_none() || group_of(a) != group_of(b))
            .collect();
        tracing::info!(?groups, "partitioning");
        for (a, b) in cut {
            self.disconnect(a, b).await?;
        }
        Ok(())
    }

    /// Restores every link.
    pub async fn heal(&mut self) -> Result<(), SimError> {
        tracing::info!("healing");
        let size = self.size();
        for a in 0..size {
            for b in a + 1..size {
                if !self.linked.contains(&(a, b)) {
                    self.connect(a, b).await?;
                }
            }
        }
        Ok(())
    }

    /// Replaces every link by `link`.
    pub async fn set_links(&mut self, link: Link) -> Result<(), SimError> {
        self.config.link = link;
        let linked: Vec<(usize, usize)> = self.linked.iter().copied().collect();
        for (a, b) in linked {
            self.disconnect(a, b).await?;
            self.connect(a, b).await?;
        }
        Ok(())
    }

    // ----- Clients -----

    /// The next running honest validator, round-robin.
    fn next_target(&mut self) -> Option<usize> {
        let size = self.size();
        for step in 0..size {
            let index = (self.next + step) % size;
            if self.node(index).is_some() {
                self.next = (index + 1) % size;
                return Some(index);
            }
        }
        None
    }

    /// Submits `transactions`, in order, through the API path (`Node::submit`: decode,
    /// admit, gossip), each to the next running honest validator, and journals the answers.
    pub async fn submit(&mut self, transactions: &[SignedTransaction]) {
        for transaction in transactions {
            self.submit_one(transaction, false).await;
        }
    }

    async fn submit_one(&mut self, transaction: &SignedTransaction, resubmission: bool) {
        let hash = transaction.hash();
        let sent = Sent {
            signer: transaction.transaction.signer,
            nonce: transaction.transaction.nonce,
            at: credence_node::service::now(&self.context),
        };
        let answer = match self.next_target() {
            None => Submission::Refused("no validator is running".to_string()),
            Some(index) => match self.node(index).cloned() {
                None => Submission::Refused("no validator is running".to_string()),
                Some(node) => match node.submit(&encode(transaction)).await {
                    Ok(_) => Submission::Accepted(index),
                    Err(error) => Submission::Refused(error.to_string()),
                },
            },
        };
        self.journal.submitted(hash, sent, answer, resubmission);
    }

    /// Submits `transactions` in chunks of `chunk`, one chunk every `interval`.
    pub async fn submit_paced(
        &mut self,
        transactions: &[SignedTransaction],
        chunk: usize,
        interval: Duration,
    ) {
        for batch in transactions.chunks(chunk.max(1)) {
            self.submit(batch).await;
            self.sleep(interval).await;
        }
    }

    /// As a retrying client: submits again, in order, every transaction of `transactions`
    /// that is in no committed block — accepted before (its mempool may have died in a
    /// crash) or never answered (the client may have crashed too). Returns how many were
    /// submitted.
    pub async fn resubmit_unfinalized(&mut self, transactions: &[SignedTransaction]) -> usize {
        let (answered, committed) = self.journal.read(|o| {
            let committed: BTreeSet<Digest> = o
                .nodes
                .iter()
                .flat_map(|log| log.commits.values())
                .flat_map(|record| record.transactions.iter().copied())
                .collect();
            (
                o.submissions.keys().copied().collect::<BTreeSet<_>>(),
                committed,
            )
        });
        let mut count = 0;
        for transaction in transactions {
            let hash = transaction.hash();
            if !committed.contains(&hash) {
                self.submit_one(transaction, answered.contains(&hash)).await;
                count += 1;
            }
        }
        count
    }

    // ----- Observation -----

    /// Each validator's committed tip (height and digest) as its chain reports it, for the
    /// honest running ones.
    pub async fn tips(&self) -> Vec<Option<(u64, Digest)>> {
        let mut tips = Vec::with_capacity(self.size());
        for index in 0..self.size() {
            tips.push(match self.node(index) {
                Some(node) => {
                    let tip = node.chain.lock().await.tip();
                    Some((tip.header.height.0, tip.digest))
                }
                None => None,
            });
        }
        tips
    }

    /// Each validator's highest committed height, as journaled.
    pub fn heights(&self) -> Vec<u64> {
        self.journal
            .read(|o| o.nodes.iter().map(|log| log.height()).collect())
    }

    /// The lowest committed height among running honest validators.
    pub fn min_height(&self) -> u64 {
        let heights = self.heights();
        self.running_honest()
            .into_iter()
            .filter_map(|i| heights.get(i).copied())
            .min()
            .unwrap_or(0)
    }

    /// The highest committed height of any validator.
    pub fn max_height(&self) -> u64 {
        self.heights().into_iter().max().unwrap_or(0)
    }

    /// Accepted transactions in no committed block yet.
    pub fn unfinalized(&self) -> Vec<Digest> {
        self.journal.read(|o| {
            let committed: BTreeSet<Digest> = o
                .nodes
                .iter()
                .flat_map(|log| log.commits.values())
                .flat_map(|record| record.transactions.iter().copied())
                .collect();
            o.accepted
                .keys()
                .filter(|hash| !committed.contains(hash))
                .copied()
                .collect()
        })
    }

    /// The height of the highest block holding an accepted transaction.
    fn last_transaction_height(&self) -> u64 {
        self.journal.read(|o| {
            o.nodes
                .iter()
                .flat_map(|log| log.commits.iter())
                .filter(|(_, record)| {
                    record
                        .transactions
                        .iter()
                        .any(|hash| o.accepted.contains_key(hash))
                })
                .map(|(height, _)| *height)
                .max()
                .unwrap_or(0)
        })
    }

    /// Whether every running honest validator reached `height`, every accepted transaction
    /// is in a committed block, and every running honest validator committed past the last
    /// of them.
    pub fn settled(&self, height: u64) -> bool {
        self.unfinalized().is_empty()
            && self.min_height() >= height.max(self.last_transaction_height())
    }

    /// A one-paragraph description of the network's state, for failure messages.
    pub fn describe(&self) -> String {
        let heights = self.heights();
        let mut lines = Vec::new();
        for (index, slot) in self.slots.iter().enumerate() {
            let state = match (&slot.byzantine, &slot.running) {
                (Some(_), Some(_)) => "byzantine".to_string(),
                (Some(_), None) => "byzantine (stopped)".to_string(),
                (None, None) => "crashed".to_string(),
                (None, Some(running)) => match &running.node {
                    Some(node) => format!("running, mempool {}", node.mempool_len()),
                    None => "running".to_string(),
                },
            };
            let stopped = self
                .journal
                .read(|o| o.nodes.get(index).map(|l| l.stopped.clone()))
                .unwrap_or_default();
            lines.push(format!(
                "  validator {index}: height {}, {state}{}",
                heights.get(index).copied().unwrap_or(0),
                if stopped.is_empty() {
                    String::new()
                } else {
                    format!(", stopped: {stopped:?}")
                }
            ));
        }
        let unfinalized = self.unfinalized();
        let (accepted, refused) = self.journal.read(|o| {
            (
                o.accepted.len(),
                o.submissions
                    .iter()
                    .filter(|(hash, answer)| {
                        matches!(answer, Submission::Refused(_)) && !o.accepted.contains_key(*hash)
                    })
                    .count(),
            )
        });
        lines.push(format!(
            "  transactions: {accepted} accepted, {refused} refused, {} accepted but not in a committed block{}",
            unfinalized.len(),
            match unfinalized.first() {
                Some(first) => format!(" (first: {first})"),
                None => String::new(),
            }
        ));
        lines.join("\n")
    }

    /// Waits until `condition` holds, checking every 50 ms of simulated time, for at most
    /// `timeout` of simulated time.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut condition: impl FnMut(&Self) -> bool,
    ) -> Result<(), SimError> {
        let started = self.context.current();
        loop {
            if condition(self) {
                return Ok(());
            }
            let waited = self
                .context
                .current()
                .duration_since(started)
                .unwrap_or_default();
            if waited >= timeout {
                return Err(SimError::Timeout {
                    what: what.to_string(),
                    waited,
                    state: self.describe(),
                });
            }
            self.context.sleep(POLL).await;
        }
    }

    /// Whether a running honest validator's mempool holds the transaction `hash`.
    fn pooled(&self, hash: &Digest) -> bool {
        self.running_honest().into_iter().any(|index| {
            self.node(index).is_some_and(|node| {
                node.mempool
                    .lock()
                    .map(|pool| pool.contains(hash))
                    .unwrap_or(false)
            })
        })
    }

    /// Reasons honest validators stopped by themselves.
    fn stops(&self) -> Vec<String> {
        self.journal.read(|o| {
            o.nodes
                .iter()
                .enumerate()
                .filter(|(index, _)| self.is_honest(*index))
                .flat_map(|(index, log)| {
                    log.stopped
                        .iter()
                        .map(move |reason| format!("validator {index} stopped: {reason}"))
                })
                .collect()
        })
    }

    /// Waits until [`Simulation::settled`] at `height`, for at most `timeout` of simulated
    /// time. Fails early if an honest validator stops, if an accepted transaction is lost (in
    /// no committed block and, for [`LOST_AFTER`], in no running honest validator's mempool,
    /// so no validator can ever propose it), or if one is stuck (see [`STUCK_AFTER`]).
    pub async fn settle(&self, height: u64, timeout: Duration) -> Result<(), SimError> {
        let what = format!(
            "every running honest validator at height {height} or more, with every accepted transaction committed"
        );
        let started = self.context.current();
        let mut absent: BTreeMap<Digest, std::time::SystemTime> = BTreeMap::new();
        let mut waiting: BTreeMap<Digest, (std::time::SystemTime, u64)> = BTreeMap::new();
        loop {
            if self.settled(height) {
                return Ok(());
            }
            let now = self.context.current();
            let stops = self.stops();
            if !stops.is_empty() {
                return Err(SimError::Violation(stops.join("\n")));
            }
            let unfinalized = self.unfinalized();
            absent.retain(|hash, _| unfinalized.contains(hash));
            waiting.retain(|hash, _| unfinalized.contains(hash));
            let height = self.min_height();
            for hash in &unfinalized {
                let (since, from) = *waiting.entry(*hash).or_insert((now, height));
                if now.duration_since(since).unwrap_or_default() >= STUCK_AFTER
                    && height >= from + STUCK_BLOCKS
                {
                    return Err(SimError::Timeout {
                        what,
                        waited: now.duration_since(started).unwrap_or_default(),
                        state: format!(
                            "accepted transaction {hash} is stuck: {STUCK_BLOCKS}+ blocks were committed over {STUCK_AFTER:?} without it\n{}",
                            self.describe()
                        ),
                    });
                }
            }
            for hash in unfinalized {
                if self.pooled(&hash) {
                    absent.remove(&hash);
                } else {
                    let since = *absent.entry(hash).or_insert(now);
                    if now.duration_since(since).unwrap_or_default() >= LOST_AFTER {
                        return Err(SimError::Timeout {
                            what,
                            waited: now.duration_since(started).unwrap_or_default(),
                            state: format!(
                                "accepted transaction {hash} is lost: in no committed block, and for {LOST_AFTER:?} in no running validator's mempool\n{}",
                                self.describe()
                            ),
                        });
                    }
                }
            }
            let waited = now.duration_since(started).unwrap_or_default();
            if waited >= timeout {
                return Err(SimError::Timeout {
                    what,
                    waited,
                    state: self.describe(),
                });
            }
            self.context.sleep(POLL).await;
        }
    }
}

/// The engine configuration of validator `index`.
fn engine_config(
    consortium: &Consortium,
    key: &credence_crypto::SigningKey,
    index: usize,
    limits: BlockLimits,
) -> EngineConfig {
    EngineConfig::new(
        consortium.validators(),
        key.engine_key(),
        format!("validator-{index}-consensus"),
        limits,
    )
}

/// Registers the six channels of a validator.
async fn register(
    control: &simulated::Control<Peer, Context>,
    quota: Quota,
) -> Result<SimChannels, simulated::Error> {
    Ok(Channels {
        votes: control.register(channels::VOTES, quota).await?,
        certificates: control.register(channels::CERTIFICATES, quota).await?,
        resolver: control.register(channels::RESOLVER, quota).await?,
        broadcast: control.register(channels::BROADCAST, quota).await?,
        backfill: control.register(channels::BACKFILL, quota).await?,
        mempool: control.register(channels::MEMPOOL, quota).await?,
    })
}

/// An honest validator's task: opens its chain, starts consensus (as `credence_node::run`
/// does), reports the node, then runs until an engine task ends or the node halts — as the
/// production process would exit — journaling why.
async fn run_honest(
    context: Context,
    setup: HonestSetup,
    reply: oneshot::Sender<Result<Started, String>>,
) {
    let HonestSetup {
        index,
        consortium,
        key,
        limits,
        settings,
        channels,
        peers,
        blocker,
        journal,
    } = setup;
    let store = StoreConfig::small(&format!("validator-{index}-store"));
    let chain = match Chain::open(context.child("chain"), &store, &consortium.genesis).await {
        Ok(chain) => chain,
        Err(error) => {
            let _ = reply.send(Err(format!("chain: {error}")));
            return;
        }
    };
    let (
        node,
        NodeChannels {
            admitted,
            halted: mut halted_watch,
        },
    ) = Node::new(
        chain,
        MempoolLimits::default(),
        settings,
        Verifier::Sequential,
        Metrics::new(&context.child("credence")),
    );
    let announced = node.commits.subscribe();
    let node = Arc::new(node);
    let engine = engine_config(&consortium, &key, index, limits);
    let handles = match consensus::start(
        context.child("engine"),
        engine,
        Arc::clone(&node),
        admitted,
        channels,
        peers,
        blocker,
    )
    .await
    {
        Ok((handles, _finality)) => handles,
        Err(error) => {
            let _ = reply.send(Err(format!("consensus: {error}")));
            return;
        }
    };
    if reply
        .send(Ok(Started {
            node,
            commits: announced,
        }))
        .is_err()
    {
        return;
    }
    let engine_ended = Box::pin(Handle::select(handles));
    let halted = Box::pin(async move {
        let _ = halted_watch.changed().await;
        halted_watch.borrow().clone().unwrap_or_default()
    });
    let reason = match select(engine_ended, halted).await {
        Either::Left((result, _)) => format!("an engine task ended: {result:?}"),
        Either::Right((reason, _)) => format!("halted: {reason}"),
    };
    tracing::error!(index, reason, "validator stopped");
    journal.stopped(index, reason);
}

/// Copies a validator's announced commits into the journal until the validator is gone.
async fn record(index: usize, mut commits: broadcast::Receiver<Arc<Committed>>, journal: Journal) {
    loop {
        match commits.recv().await {
            Ok(committed) => journal.committed(index, &committed),
            Err(broadcast::error::RecvError::Lagged(missed)) => journal.lagged(index, missed),
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
