//! A validator assembled from its parts — chain, node, consensus — the same way on any
//! Commonware runtime and any p2p network. [`crate::run`] assembles one on the tokio runtime
//! and the authenticated network; the simulation (`credence-sim`) on the deterministic
//! runtime and the simulated network. One assembly, so a simulated network runs exactly what
//! a production process runs.
//!
//! Two steps, so that a caller can act in between (production starts its p2p network only
//! once the chain has opened; the simulation subscribes to commits before any can happen):
//! [`open`] opens the chain and builds the [`Node`]; [`Opened::start`] starts consensus on
//! the caller's channels. A [`Validator`] then runs until its node halts or an engine task
//! ends ([`Running`]).

use crate::{
    chain::{Chain, ChainError},
    consensus::{
        self, Channels, EngineConfig, EngineError, finality::Finality, orchestrator::PeerTracker,
    },
    mempool::MempoolLimits,
    metrics::Metrics,
    service::{Node, NodeChannels, Settings, Verifier},
};
use commonware_cryptography::ed25519;
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_runtime::{Clock, Handle, Spawner};
use credence_store::StoreConfig;
use credence_types::genesis::Genesis;
use futures::future::{Either, select};
use std::sync::Arc;
use tokio::sync::watch;

/// What a validator is built from, besides its runtime and its network.
#[derive(Clone, Debug)]
pub struct Parts {
    /// The genesis the chain starts from (and that a reopened store must match).
    pub genesis: Genesis,
    /// The state store.
    pub store: StoreConfig,
    /// The mempool's limits.
    pub mempool: MempoolLimits,
    /// How the node builds blocks and admits transactions.
    pub settings: Settings,
    /// How signatures are verified.
    pub verifier: Verifier,
}

/// A validator whose chain is open and whose node is built, before consensus starts.
pub struct Opened<E: commonware_storage::Context + Spawner> {
    /// The node. Subscribe to [`Node::commits`] here to see every commit from the first.
    pub node: Arc<Node<E>>,
    channels: NodeChannels,
}

/// Opens the chain on `context` (its child `chain`) and builds the node over it, with its
/// metrics under the child `credence`.
pub async fn open<E>(context: &E, parts: Parts) -> Result<Opened<E>, ChainError>
where
    E: commonware_storage::Context + Spawner,
{
    let chain = Chain::open(context.child("chain"), &parts.store, &parts.genesis).await?;
    let (node, channels) = Node::new(
        chain,
        parts.mempool,
        parts.settings,
        parts.verifier,
        Metrics::new(&context.child("credence")),
    );
    Ok(Opened {
        node: Arc::new(node),
        channels,
    })
}

impl<E> Opened<E>
where
    E: commonware_storage::Context + Spawner + Clock + rand_core::CryptoRng,
{
    /// Starts consensus (on `context`'s child `engine`) over `channels`, with `peers`,
    /// `blocker` and `tracker` from the p2p network. Returns once everything is running.
    pub async fn start<S, R, P, B, T>(
        self,
        context: &E,
        engine: EngineConfig,
        channels: Channels<S, R>,
        peers: P,
        blocker: B,
        tracker: T,
    ) -> Result<Validator<E>, EngineError>
    where
        S: Sender<PublicKey = ed25519::PublicKey>,
        R: Receiver<PublicKey = ed25519::PublicKey>,
        P: Provider<PublicKey = ed25519::PublicKey>,
        B: Blocker<PublicKey = ed25519::PublicKey>,
        T: PeerTracker,
    {
        let NodeChannels { admitted, halted } = self.channels;
        let (handles, finality) = consensus::start(
            context.child("engine"),
            engine,
            Arc::clone(&self.node),
            admitted,
            channels,
            peers,
            blocker,
            tracker,
        )
        .await?;
        Ok(Validator {
            node: self.node,
            finality,
            running: Running { handles, halted },
        })
    }
}

/// A running validator.
pub struct Validator<E: commonware_storage::Context + Spawner> {
    /// The node: submit to it, read its chain.
    pub node: Arc<Node<E>>,
    /// The reader of finalisation certificates, for the API.
    pub finality: Finality<E>,
    /// What tells when the validator stops.
    pub running: Running,
}

/// The engine's tasks and the node's halt signal: what ends a validator.
pub struct Running {
    handles: Vec<Handle<()>>,
    halted: watch::Receiver<Option<String>>,
}

/// Why a validator stopped by itself.
#[derive(Debug, thiserror::Error)]
pub enum Stopped {
    /// One of the engine's tasks ended (none ends while the engine runs).
    #[error("an engine task ended: {0:?}")]
    EngineEnded(Result<(), commonware_runtime::Error>),
    /// The node halted (see [`Node::halted`]).
    #[error("halted: {0}")]
    Halted(String),
}

impl Running {
    /// Resolves when the node halts, with the reason.
    pub async fn halted(&mut self) -> String {
        // A closed channel means the node is gone: that too is a halt.
        let _ = self.halted.changed().await;
        self.halted.borrow().clone().unwrap_or_default()
    }

    /// Resolves when the node halts or an engine task ends, saying which. Dropping the
    /// future aborts the engine's tasks.
    pub async fn stopped(mut self) -> Stopped {
        let engine_ended = Box::pin(Handle::select(std::mem::take(&mut self.handles)));
        let halted = Box::pin(async move { self.halted().await });
        match select(engine_ended, halted).await {
            Either::Left((result, _)) => Stopped::EngineEnded(result),
            Either::Right((reason, _)) => Stopped::Halted(reason),
        }
    }
}
