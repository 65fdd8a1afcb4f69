//! The simulated network: validators assembled by the node's own code
//! ([`credence_node::validator`], as `credence_node::run` assembles them), but on
//! Commonware's deterministic runtime and simulated p2p network, with faults on demand.
//!
//! A [`Simulation`] owns the network's oracle and one slot per validator. Each honest
//! validator runs under its own supervised task (`validator`), so [`Simulation::crash`]
//! aborts every task of that validator at once, as a killed process would, and drops its
//! unsynced writes; its storage stays in the runtime, and [`Simulation::restart`] opens it
//! again. A Byzantine validator runs whatever its [`ByzantineEngine`] starts, with the same
//! identity and channels; a Byzantine proposer runs the node with a tamper installed
//! ([`Config::with_tampering`]). Committed blocks are copied into a [`Journal`] by a task outside
//! the validator's, so a crash loses no record of a durable commit.
//!
//! What is here is only what a simulation adds to the node:
//! - [`config`]: how the simulated network is set up, and the Byzantine validators;
//! - `validators`: starting, crashing and restarting validators;
//! - `links`: the simulated links, cut and healed;
//! - `clients`: clients submitting transactions through the API path;
//! - `observe`: reading the network's state, and waiting for it to settle.

mod clients;
pub mod config;
mod links;
mod observe;
mod validators;

pub use config::{ByzantineEngine, ByzantineSetup, Config};

use crate::{consortium::Consortium, journal::Journal};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{self, Network, Oracle};
use commonware_runtime::{Clock as _, Handle, Supervisor as _, deterministic};
use commonware_utils::NZUsize;
use credence_node::{
    consensus::{self, Channels},
    service::Node,
};
use std::{
    collections::BTreeSet,
    num::NonZeroUsize,
    sync::Arc,
    time::{Duration, UNIX_EPOCH},
};

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
/// One epoch's subchannel of a simulated channel.
pub type SimSubChannel = credence_node::consensus::orchestrator::SubChannel<SimSender>;
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
    tamper: Option<Arc<dyn credence_node::tamper::Tamper>>,
    running: Option<Running>,
    incarnation: u64,
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
    /// The next id of the simulated network's peer set (0 is the one it started with).
    peer_sets: u64,
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
        // Every slot, founders and joiners alike, is a peer of the simulated network from the
        // start; which of them vote is the chain's business.
        let size = consortium.keys.len();
        let peers: Vec<Peer> = consortium
            .keys
            .iter()
            .map(|key| key.engine_key().public_key())
            .collect();
        let max_size = consensus::max_message_size(&config.block_limits);
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
                tamper: config.tampering.get(&index).cloned(),
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
            peer_sets: 1,
        };
        for a in 0..size {
            for b in a + 1..size {
                simulation.connect(a, b).await?;
            }
        }
        for index in 0..simulation.consortium.founders {
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

    /// Whether validator `index` runs the node, untampered.
    pub fn is_honest(&self, index: usize) -> bool {
        self.slots
            .get(index)
            .is_some_and(|slot| slot.byzantine.is_none() && slot.tamper.is_none())
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

    /// Validator `index`'s node, if it runs one (honest, or a Byzantine proposer) and is
    /// running.
    pub fn node(&self, index: usize) -> Option<&ValidatorNode> {
        self.slots.get(index)?.running.as_ref()?.node.as_ref()
    }

    /// An object of ledger state as validator `index` last committed it, if it is running a
    /// node.
    pub async fn committed<T: credence_types::codec::Read<Cfg = ()>>(
        &self,
        index: usize,
        key: credence_types::state::StateKey,
    ) -> Option<T> {
        let node = self.node(index)?;
        credence_node::consensus::epochs::committed(node, key)
            .await
            .ok()
            .flatten()
    }

    /// Sleeps for `duration` of simulated time while the network runs.
    pub async fn sleep(&self, duration: Duration) {
        self.context.sleep(duration).await;
    }
}
