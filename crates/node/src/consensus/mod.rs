//! The adapter to the consensus engine: the only module that calls Commonware's consensus,
//! marshal, broadcast, resolver and p2p crates, so an engine upgrade touches this module
//! alone.
//!
//! Wiring, per validator: a broadcast buffer disseminates proposed blocks; marshal orders
//! finalised blocks, backfills the ones this node missed, and delivers them in height order
//! to the committing task ([`application::start_finalizer`]), which acknowledges each only
//! once it is durably committed; simplex (with ed25519 certificates and round-robin leaders)
//! orders blocks, asking the node to propose and verify through marshal's `Inline` wrapper
//! around [`application::App`] — inline, so a block is notarised only after a quorum
//! executed it and checked its state root.
//!
//! Epochs: the validator set is the chain's own ([`epochs`]); each epoch runs its own
//! simplex engine, started and stopped by the [`orchestrator`] when the committing task has
//! durably committed the last block of the epoch before. Marshal, the buffer and the
//! backfill run across epochs.
//!
//! Six p2p channels: votes, certificates, certificate fetches (each split into one
//! subchannel per epoch), block broadcast, block backfill, and mempool gossip.

pub mod application;
pub mod block;
pub mod epochs;
pub mod finality;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod gossip;
pub mod network;
pub mod orchestrator;
pub mod transitions;

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
    types::{Epoch, Epocher as _, Height as EngineHeight, ViewDelta},
};
use commonware_cryptography::{Digested, Sha256, ed25519, sha256};
use commonware_p2p::{
    Blocker, Provider, Receiver, Sender,
    utils::mux::{Builder as _, Muxer},
};
use commonware_parallel::Sequential;
use commonware_runtime::{
    BLOB_PAGE_SIZE, Clock, Handle, Metrics, Spawner,
    buffer::paged::{CacheRef, page_size},
};
use commonware_storage::archive::immutable;
use commonware_utils::{NZDuration, NZU64, NZUsize, ordered::Set};
use credence_crypto::VerifiedTransaction;
use credence_types::{PublicKey, limits::VALIDATORS_MAX};
use futures::channel::mpsc;
use orchestrator::{EpochStart, PeerTracker};
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

/// How long a view waits for its leader's proposal, unless a test sets otherwise: the bound
/// a proposer's pace keeps its blocks' execution well within ([`crate::pace`]).
pub const LEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// How to run the engine: everything here must be the same on every validator, except the
/// signer, the partition prefix and the cache size.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Namespace of consensus signatures (distinct from the p2p and transaction ones).
    pub namespace: Vec<u8>,
    /// This node's consensus key: it signs votes when the node is one of an epoch's
    /// validators, and is the node's identity to its peers.
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
        signer: ed25519::PrivateKey,
        partition_prefix: String,
        block_limits: BlockLimits,
    ) -> Self {
        Self {
            namespace: finality::CONSENSUS_NAMESPACE.to_vec(),
            signer,
            partition_prefix,
            block_limits,
            leader_timeout: LEADER_TIMEOUT,
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
    /// An epoch the chain names does not follow the epochs before it, or differs from what
    /// this node already learnt.
    #[error("epoch {0} does not follow on from the epochs before it")]
    EpochMismatch(u64),
    /// The last block of the epoch before the current one is missing from this node's
    /// archive: the archive was pruned or deleted, and the node cannot restart its epoch.
    #[error(
        "the last block of epoch {epoch} (height {height}) is missing from the consensus archive; \
         restore the node's data directory from a backup"
    )]
    BoundaryMissing {
        /// The epoch whose last block is missing.
        epoch: u64,
        /// Its height.
        height: u64,
    },
    /// The orchestrator of epochs stopped.
    #[error("the epoch orchestrator stopped")]
    OrchestratorStopped,
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

/// The signing scheme of `signer` among `validators`, under the consensus namespace: what
/// the simulation's Byzantine validators sign with (honest ones get theirs from the
/// [`epochs::EpochBook`]).
pub fn signing_scheme(
    validators: &[PublicKey],
    signer: &ed25519::PrivateKey,
) -> Result<Scheme, EngineError> {
    let validators: Vec<ed25519::PublicKey> = validators
        .iter()
        .map(engine_key)
        .collect::<Result<_, _>>()?;
    let participants = Set::from_iter_dedup(validators);
    Scheme::signer(finality::CONSENSUS_NAMESPACE, participants, signer.clone())
        .ok_or(EngineError::NotAValidator)
}

/// An engine key from Credence key bytes.
pub fn engine_key(key: &PublicKey) -> Result<ed25519::PublicKey, EngineError> {
    use commonware_codec::DecodeExt as _;
    ed25519::PublicKey::decode(commonware_codec::Copying(&key.0[..]))
        .map_err(|_| EngineError::BadKey(*key))
}

/// The largest message any channel carries, with up to [`VALIDATORS_MAX`] validators:
/// blocks dominate. (The per-epoch subchannels add a few bytes, inside the margin.)
pub fn max_message_size(limits: &BlockLimits) -> u32 {
    let validators = u32::try_from(VALIDATORS_MAX).unwrap_or(u32::MAX);
    let consensus = simplex::max_payload_size::<Scheme, sha256::Digest>(validators);
    let blocks = marshal::max_payload_size::<marshal::standard::Standard<ChainBlock>, Scheme>(
        validators, limits,
    );
    let largest = consensus
        .max(blocks)
        .max(gossip::GOSSIP_BATCH_BYTES_MAX + (64 << 10));
    u32::try_from(largest).unwrap_or(u32::MAX)
}

pub(crate) fn archive_config<C>(
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

/// Starts consensus for `node`: buffer, marshal, the epochs' orchestrator with the current
/// epoch's engine, mempool gossip. Returns when everything is running, with the handles (they
/// end if the engine stops) and the reader of finalisation certificates.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
pub async fn start<E, S, R, P, B, T>(
    runtime: E,
    config: EngineConfig,
    node: Arc<Node<E>>,
    admitted: mpsc::UnboundedReceiver<VerifiedTransaction>,
    channels: Channels<S, R>,
    peers: P,
    blocker: B,
    tracker: T,
) -> Result<(Vec<Handle<()>>, finality::Finality<E>), EngineError>
where
    E: commonware_storage::Context + Spawner + Clock + Metrics + rand_core::CryptoRng,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    T: PeerTracker,
{
    use commonware_cryptography::Signer as _;
    let me = config.signer.public_key();
    let prefix = config.partition_prefix.clone();
    let cache = CacheRef::new(page_size(BLOB_PAGE_SIZE), config.cache_pages);
    let limits = config.block_limits;

    // The epochs the chain has named, from its committed state.
    let book = epochs::EpochBook::new(&config.namespace, config.signer.clone());
    tracing::debug!("loading epochs");
    let (records, roster) = epochs::load(&node).await?;
    tracing::debug!(epochs = records.len(), "loaded epochs");
    for record in &records {
        book.learn(record)?;
    }
    let current = records
        .last()
        .cloned()
        .ok_or(EngineError::EpochMismatch(0))?;

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

    // Finalised blocks and their certificates. Nothing here is ever pruned: the last block
    // of every epoch must stay, as the genesis of the next (see `BoundaryMissing`).
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
            provider: book.provider.clone(),
            epocher: book.epocher.clone(),
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
    tracing::debug!("marshal initialised");

    // Votes, certificates and certificate fetches, one subchannel per epoch. A vote for an
    // epoch not yet entered lands in `ahead`: a sign that this node is behind.
    let (votes_mux, votes, ahead) = Muxer::builder(
        runtime.child("votes_mux"),
        channels.votes.0,
        channels.votes.1,
    )
    .with_backup()
    .build();
    let (certificates_mux, certificates) = Muxer::new(
        runtime.child("certificates_mux"),
        channels.certificates.0,
        channels.certificates.1,
    );
    let (resolver_mux, resolver) = Muxer::new(
        runtime.child("resolver_mux"),
        channels.resolver.0,
        channels.resolver.1,
    );
    let muxes = [
        votes_mux.start(),
        certificates_mux.start(),
        resolver_mux.start(),
    ]
    .map(|mux| {
        runtime
            .child("mux")
            .spawn(move |_| async move { drop(mux.await) })
    });

    let wrapper = Inline::new(
        runtime.child("application"),
        application::App::new(Arc::clone(&node), runtime.child("verification")),
        marshal_mailbox.clone(),
        book.epocher.clone(),
    );
    let factory: orchestrator::EngineFactory<E, S> = {
        let blocker = blocker.clone();
        let prefix = prefix.clone();
        let cache = cache.clone();
        let config = config.clone();
        Box::new(move |context: E, start: EpochStart<S>| {
            let engine = Simplex::new(
                context,
                simplex::Config {
                    scheme: start.scheme,
                    elector: RoundRobin::<Sha256>::default(),
                    blocker: blocker.clone(),
                    automaton: wrapper.clone(),
                    relay: wrapper.clone(),
                    reporter: wrapper.clone(),
                    track_historical_votes: false,
                    strategy: Sequential,
                    partition: format!("{prefix}-simplex-{}", start.epoch.get()),
                    mailbox_size: NZUsize!(4_096),
                    epoch: start.epoch,
                    floor: Floor::Genesis(start.floor),
                    replay_buffer: NZUsize!(4 << 20),
                    write_buffer: NZUsize!(1 << 20),
                    page_cache: cache.clone(),
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
            engine.start(start.votes, start.certificates, start.resolver)
        })
    };
    let (orchestrator, orchestrating) = orchestrator::start(orchestrator::Parts {
        context: runtime.child("epochs"),
        book: book.clone(),
        factory,
        votes,
        certificates,
        resolver,
        ahead,
        tracker,
        marshal: marshal_mailbox.clone(),
        roster: roster.clone(),
    });

    let transitions =
        transitions::Transitions::open(runtime.child("epoch_proofs"), &prefix).await?;
    let finality = finality::Finality::new(marshal_mailbox.clone(), transitions.clone());
    let finalized = application::start_finalizer(
        runtime.child("finalizer"),
        Arc::clone(&node),
        application::Boundaries::new(book.clone(), orchestrator.clone(), transitions, roster),
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

    // The current epoch starts on the last block of the one before.
    let floor = match current.epoch.checked_sub(1) {
        None => genesis_digest,
        Some(previous) => {
            let height = book
                .epocher
                .last(Epoch::new(previous))
                .ok_or(EngineError::EpochMismatch(previous))?;
            let block = marshal_mailbox
                .get_block(EngineHeight::new(height.get()))
                .await
                .ok_or(EngineError::BoundaryMissing {
                    epoch: previous,
                    height: height.get(),
                })?;
            to_engine(&block.inner().id())
        }
    };
    tracing::debug!(epoch = current.epoch, "entering the current epoch");
    if !orchestrator.enter(current.epoch, floor).await {
        return Err(EngineError::OrchestratorStopped);
    }
    let mut handles = vec![buffer, marshal, orchestrating];
    handles.extend(muxes);
    Ok((handles, finality))
}
