//! How a simulated network is set up: its links, block pacing and limits, channel quotas,
//! and which validators are Byzantine: those that run something else instead of the node,
//! and those that run the node but tamper with the blocks they propose.

use super::{Context, SimSender, SimSubChannel};
use commonware_p2p::simulated::Link;
use commonware_runtime::Quota;
use commonware_utils::{NZU32, probability};
use credence_node::{
    consensus::{Scheme, block::BlockLimits},
    mempool::MempoolLimits,
    tamper::Tamper,
};
use std::{collections::BTreeMap, sync::Arc, time::Duration};

/// What a Byzantine validator runs in place of its node: it gets the validator's context
/// (spawn under it, so a crash stops everything) and [`ByzantineSetup`].
pub type ByzantineEngine = Arc<dyn Fn(Context, ByzantineSetup) + Send + Sync>;

/// What a Byzantine validator starts with: epoch 0's scheme and subchannels (it never
/// follows the chain into a later epoch).
pub struct ByzantineSetup {
    /// Its index.
    pub index: usize,
    /// Its consensus signing scheme (same namespace and participants as the honest ones).
    pub scheme: Scheme,
    /// Epoch 0's votes, under its identity.
    pub votes: SimSubChannel,
    /// Epoch 0's certificates.
    pub certificates: SimSubChannel,
    /// Epoch 0's certificate fetches.
    pub resolver: SimSubChannel,
    /// Its block broadcast, backfill and mempool channels, unused by the mocks.
    pub others: [(SimSender, super::SimReceiver); 3],
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
    /// Most transactions a validator puts in a block it proposes, by index, where its
    /// operator chose less than the network allows.
    pub propose_transactions_max: BTreeMap<usize, usize>,
    /// Every validator's mempool bounds.
    pub mempool: MempoolLimits,
    /// Rate quota of every channel, per peer. Low quotas silently drop votes and stall views.
    pub quota: Quota,
    /// Validators that are not honest, by index.
    pub byzantine: BTreeMap<usize, ByzantineEngine>,
    /// Validators that run the node but rewrite every block they propose, by index: Byzantine
    /// proposers (see `crate::proposers`).
    pub tampering: BTreeMap<usize, Arc<dyn Tamper>>,
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
            propose_transactions_max: BTreeMap::new(),
            mempool: MempoolLimits::default(),
            quota: Quota::per_second(NZU32!(10_000)),
            byzantine: BTreeMap::new(),
            tampering: BTreeMap::new(),
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

    /// Validator `index` proposes blocks of at most `transactions` transactions, its
    /// operator's local setting.
    #[must_use]
    pub fn with_propose_transactions_max(mut self, index: usize, transactions: usize) -> Self {
        self.propose_transactions_max.insert(index, transactions);
        self
    }

    /// Every validator's mempool holds at most `limits`.
    #[must_use]
    pub fn with_mempool(mut self, limits: MempoolLimits) -> Self {
        self.mempool = limits;
        self
    }

    /// Validator `index` runs `engine` instead of the node.
    #[must_use]
    pub fn with_byzantine(mut self, index: usize, engine: ByzantineEngine) -> Self {
        self.byzantine.insert(index, engine);
        self
    }

    /// Validator `index` runs the node, but as a Byzantine proposer: `tamper` rewrites every
    /// block it proposes, before the other validators see it.
    #[must_use]
    pub fn with_tampering(mut self, index: usize, tamper: Arc<dyn Tamper>) -> Self {
        self.tampering.insert(index, tamper);
        self
    }
}
