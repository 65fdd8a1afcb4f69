//! The adapter to the consensus engine: the only module that calls Commonware's consensus,
//! marshal, broadcast, resolver and p2p crates, so an engine upgrade touches this module
//! alone.
//!
//! Wiring, per validator: a broadcast buffer disseminates proposed blocks; marshal orders
//! finalised blocks, backfills the ones this node missed, and delivers them in height order
//! to the committing task ([`application::start_finalizer`]), which acknowledges each only
//! once it is durably committed; simplex (with ed25519 certificates and round-robin leaders,
//! one static epoch) orders blocks, asking the node to propose and verify through
//! marshal's `Inline` wrapper around [`application::App`] — inline, so a block is notarised
//! only after a quorum executed it and checked its state root.
//!
//! Six p2p channels: votes, certificates, certificate fetches, block broadcast, block
//! backfill, and mempool gossip.

pub mod application;
pub mod block;
pub mod finality;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod gossip;
pub mod network;

use crate::service::Node;
use block::{BlockLimits, ChainBlock, to_engine};
use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{self, Start, core::Actor as Marshal, resolver::p2p as backfill, standard::Inline},
    simplex::{
        self, Engine as Simplex,
        config::{Floor, ForwardPolicy, SkipBudget, SkipPolicy},
        elector::RoundRobin,
    },
    types::{Epoch, FixedEpocher, ViewDelta},
};
use commonware_cryptography::{Digested, Sha256, certificate::ConstantProvider, ed25519, sha256};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{
    BLOB_PAGE_SIZE, Clock, Handle, Metrics, Spawner,
    buffer::paged::{CacheRef, page_size},
};
use commonware_storage::archive::immutable;
use commonware_utils::{NZDuration, NZU64, NZUsize, ordered::Set};
use credence_crypto::VerifiedTransaction;
use credence_types::PublicKey;
use futures::channel::mpsc;
use std::{num::NonZeroUsize, sync::Arc, time::Duration};

/// Channel ids, the same on every node.
pub mod channels {
    /// Consensus votes.
    pub const VOTES: u64 = 0;
    /// Consensus certificates.
    pub const CERTIFICATES: u64 = 1;
    /// Certificate fetches for a lagging node.
    pub const RESOLVER: u64 = 2;
    /// Proposed blocks.
    pub const BROADCAST: u64 = 3;
    /// Finalised blocks a node missed.
    pub const BACKFILL: u64 = 4;
    /// Mempool gossip.
    pub const MEMPOOL: u64 = 5;
}

/// How to run the engine: everything here must be the same on every validator, except the
/// signer, the partition prefix and the cache size.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Namespace of consensus signatures (distinct from the p2p and transaction ones).
    pub namespace: Vec<u8>,
    /// The validators' keys.
    pub validators: Vec<PublicKey>,
    /// This validator's signing key.
    pub signer: ed25519::PrivateKey,
    /// Prefix of this node's consensus storage partitions.
    pub partition_prefix: String,
    /// Bounds on blocks.
    pub block_limits: BlockLimits,
    /// How long a view waits for its leader's proposal.
    pub leader_timeout: Duration,
    /// How long a view waits for a notarised proposal to be certified.
    pub certification_timeout: Duration,
    /// How often timed-out votes are retried.
    pub timeout_retry: Duration,
    /// Pages of 4 KiB in the consensus storage cache.
    pub cache_pages: NonZeroUsize,
}

impl EngineConfig {
    /// Defaults for a small consortium on a fast network.
    pub fn new(
        validators: Vec<PublicKey>,
        signer: ed25519::PrivateKey,
        partition_prefix: String,
        block_limits: BlockLimits,
    ) -> Self {
        Self {
            namespace: finality::CONSENSUS_NAMESPACE.to_vec(),
            validators,
            signer,
            partition_prefix,
            block_limits,
            leader_timeout: Duration::from_secs(2),
            certification_timeout: Duration::from_secs(3),
            timeout_retry: Duration::from_secs(2),
            cache_pages: NZUsize!(8_192),
        }
    }
}

/// The engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// This node's key is not one of the validators'.
    #[error("this node's key is not in the validator set")]
    NotAValidator,
    /// A validator key is not a valid ed25519 key.
    #[error("validator key {0} is not a valid ed25519 key")]
    BadKey(PublicKey),
    /// Storage for consensus could not be opened.
    #[error("consensus storage: {0}")]
    Storage(String),
}

/// The six channels, as (sender, receiver) pairs.
pub struct Channels<S, R> {
    /// Votes.
    pub votes: (S, R),
    /// Certificates.
    pub certificates: (S, R),
    /// Certificate fetches.
    pub resolver: (S, R),
    /// Block broadcast.
    pub broadcast: (S, R),
    /// Block backfill.
    pub backfill: (S, R),
    /// Mempool gossip.
    pub mempool: (S, R),
}

impl<S, R> Channels<S, R> {
    /// The six channels, each registered by `register` from its id (one at a time, in the
    /// order of the fields), for networks whose registration is asynchronous.
    pub async fn register<F, Fut, Err>(mut register: F) -> Result<Self, Err>
    where
        F: FnMut(u64) -> Fut,
        Fut: Future<Output = Result<(S, R), Err>>,
    {
        Ok(Self {
            votes: register(channels::VOTES).await?,
            certificates: register(channels::CERTIFICATES).await?,
            resolver: register(channels::RESOLVER).await?,
            broadcast: register(channels::BROADCAST).await?,
            backfill: register(channels::BACKFILL).await?,
            mempool: register(channels::MEMPOOL).await?,
        })
    }
}

/// The consensus signing scheme: ed25519 votes and certificates over the validator set.
pub type Scheme = simplex::scheme::ed25519::Scheme;

/// The signing scheme of the validator `config` describes: its key, among the validators',
/// under the consensus namespace. Honest engines and the simulation's Byzantine validators
/// sign with it alike.
pub fn signing_scheme(config: &EngineConfig) -> Result<Scheme, EngineError> {
    let validators: Vec<ed25519::PublicKey> = config
        .validators
        .iter()
        .map(engine_key)
        .collect::<Result<_, _>>()?;
    let participants = Set::from_iter_dedup(validators);
    Scheme::signer(&config.namespace, participants, config.signer.clone())
        .ok_or(EngineError::NotAValidator)
}

/// An engine key from Credence key bytes.
pub fn engine_key(key: &PublicKey) -> Result<ed25519::PublicKey, EngineError> {
    use commonware_codec::DecodeExt as _;
    ed25519::PublicKey::decode(commonware_codec::Copying(&key.0[..]))
        .map_err(|_| EngineError::BadKey(*key))
}

/// The largest message any channel carries: blocks dominate.
pub fn max_message_size(validators: usize, limits: &BlockLimits) -> u32 {
    let validators = u32::try_from(validators).unwrap_or(u32::MAX);
    let consensus = simplex::max_payload_size::<Scheme, sha256::Digest>(validators);
    let blocks = marshal::max_payload_size::<marshal::standard::Standard<ChainBlock>, Scheme>(
        validators, limits,
    );
    let largest = consensus
        .max(blocks)
        .max(gossip::GOSSIP_BATCH_BYTES_MAX + (64 << 10));
    u32::try_from(largest).unwrap_or(u32::MAX)
}

fn archive_config<C>(
    prefix: &str,
    name: &str,
    cache: &CacheRef,
    codec_config: C,
) -> immutable::Config<C> {
    let partition = |part: &str| format!("{prefix}-{name}-{part}");
    immutable::Config {
        metadata_partition: partition("metadata"),
        freezer_table_partition: partition("freezer-table"),
        freezer_table_initial_size: 1 << 16,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 1 << 16,
        freezer_key_partition: partition("freezer-key"),
        freezer_key_page_cache: cache.clone(),
        freezer_value_partition: partition("freezer-value"),
        freezer_value_target_size: 1 << 28,
        freezer_value_compression: None,
        ordinal_partition: partition("ordinal"),
        items_per_section: NZU64!(65_536),
        freezer_key_write_buffer: NZUsize!(1 << 20),
        freezer_value_write_buffer: NZUsize!(1 << 20),
        ordinal_write_buffer: NZUsize!(1 << 20),
        replay_buffer: NZUsize!(4 << 20),
        codec_config,
    }
}

/// Starts consensus for `node`: buffer, marshal, simplex, mempool gossip. Returns when
/// everything is running, with the handles (they end if the engine stops) and the reader of
/// finalisation certificates.
#[allow(clippy::too_many_arguments)]
pub async fn start<E, S, R, P, B>(
    runtime: E,
    config: EngineConfig,
    node: Arc<Node<E>>,
    admitted: mpsc::UnboundedReceiver<VerifiedTransaction>,
    channels: Channels<S, R>,
    peers: P,
    blocker: B,
) -> Result<(Vec<Handle<()>>, finality::Finality), EngineError>
where
    E: commonware_storage::Context + Spawner + Clock + Metrics + rand_core::CryptoRng,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    use commonware_cryptography::Signer as _;
    let me = config.signer.public_key();
    let scheme = signing_scheme(&config)?;
    let prefix = config.partition_prefix.clone();
    let cache = CacheRef::new(page_size(BLOB_PAGE_SIZE), config.cache_pages);
    let limits = config.block_limits;
    let epocher = FixedEpocher::new(NZU64!(u64::MAX));

    // Genesis: the same block on every node.
    let genesis = ChainBlock::new(node.chain.lock().await.genesis().clone());
    let genesis_digest = to_engine(&genesis.id());
    let genesis = Digested::precomputed(genesis, genesis_digest);

    // Blocks in flight.
    let (buffer, buffer_mailbox) = buffered::Engine::new(
        runtime.child("buffer"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size: NZUsize!(4_096),
            deque_size: 16,
            priority: false,
            codec_config: limits,
            peer_provider: peers.clone(),
            strategy: Sequential,
        },
    );
    let (backfill_handler, backfill_mailbox) = backfill::init(
        runtime.child("backfill"),
        backfill::Config {
            public_key: me.clone(),
            peer_provider: peers.clone(),
            blocker: blocker.clone(),
            mailbox_size: NZUsize!(4_096),
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );

    // Finalised blocks and their certificates.
    let finalizations = immutable::Archive::init(
        runtime.child("finalizations"),
        archive_config(
            &prefix,
            "finalizations",
            &cache,
            <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded(),
        ),
    )
    .await
    .map_err(|e| EngineError::Storage(e.to_string()))?;
    let blocks = immutable::Archive::init(
        runtime.child("blocks"),
        archive_config(&prefix, "blocks", &cache, limits),
    )
    .await
    .map_err(|e| EngineError::Storage(e.to_string()))?;
    let (marshal, marshal_mailbox, _floor) = Marshal::init(
        runtime.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: ConstantProvider::new(scheme.clone()),
            epocher: epocher.clone(),
            start: Start::Genesis(genesis),
            partition_prefix: format!("{prefix}-marshal"),
            mailbox_size: NZUsize!(4_096),
            view_retention: ViewDelta::new(2_560),
            prunable_items_per_section: NZU64!(4_096),
            page_cache: cache.clone(),
            replay_buffer: NZUsize!(4 << 20),
            key_write_buffer: NZUsize!(1 << 20),
            value_write_buffer: NZUsize!(1 << 20),
            block_codec_config: limits,
            max_repair: NZUsize!(20),
            max_pending_acks: NZUsize!(16),
            strategy: Sequential,
        },
    )
    .await;

    let finality = finality::Finality::new(marshal_mailbox.clone());
    let finalized = application::start_finalizer(runtime.child("finalizer"), Arc::clone(&node));
    let wrapper = Inline::new(
        runtime.child("application"),
        application::App::new(Arc::clone(&node)),
        marshal_mailbox,
        epocher,
    );
    let simplex = Simplex::new(
        runtime.child("simplex"),
        simplex::Config {
            scheme,
            elector: RoundRobin::<Sha256>::default(),
            blocker: blocker.clone(),
            automaton: wrapper.clone(),
            relay: wrapper.clone(),
            reporter: wrapper,
            track_historical_votes: false,
            strategy: Sequential,
            partition: format!("{prefix}-simplex"),
            mailbox_size: NZUsize!(4_096),
            epoch: Epoch::zero(),
            floor: Floor::Genesis(genesis_digest),
            replay_buffer: NZUsize!(4 << 20),
            write_buffer: NZUsize!(1 << 20),
            page_cache: cache,
            leader_timeout: config.leader_timeout,
            certification_timeout: config.certification_timeout,
            timeout_retry: config.timeout_retry,
            view_retention: ViewDelta::new(256),
            skip: SkipPolicy::Enabled {
                timeout: config.certification_timeout + config.timeout_retry,
                budget: SkipBudget::Participants,
            },
            fetch_timeout: NZDuration!(Duration::from_secs(1)),
            fetch_retry_delay: Duration::from_millis(100),
            forward: ForwardPolicy::Disabled,
        },
    );

    gossip::start(
        runtime.child("gossip"),
        Arc::clone(&node),
        admitted,
        channels.mempool,
        blocker,
    );
    // Marshal before consensus, so replayed consensus events have a consumer.
    let buffer = buffer.start(channels.broadcast);
    let marshal = marshal.start(
        finalized,
        buffer_mailbox,
        (backfill_handler, backfill_mailbox),
    );
    let simplex = simplex.start(channels.votes, channels.certificates, channels.resolver);
    Ok((vec![buffer, marshal, simplex], finality))
}
