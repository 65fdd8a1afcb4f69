//! The validators' lifecycle: each honest validator is assembled by the node's own
//! [`credence_node::validator`] on a task of its own, journaled, crashed and restarted from
//! its storage; a Byzantine one runs its engine on the same identity and channels.

use super::{
    ByzantineSetup, Context, Peer, Running, SimChannels, SimError, Simulation, ValidatorNode,
};
use crate::journal::Journal;
use commonware_p2p::simulated;
use commonware_p2p::utils::mux::{Builder as _, Muxer};
use commonware_runtime::{Clock as _, Spawner as _, Supervisor as _};
use credence_node::{
    chain::Committed,
    consensus::{self, Channels, EngineConfig, orchestrator::PeerTracker},
    service::{Settings, Verifier},
    tamper::Tamper,
    validator::{self, Parts, Validator},
};
use credence_store::StoreConfig;
use credence_types::epoch::EpochValidator;
use futures::channel::oneshot;
use std::{sync::Arc, time::Duration};
use tokio::sync::broadcast;

/// A started honest validator, as its task reports it.
struct Started {
    node: ValidatorNode,
    commits: broadcast::Receiver<Arc<Committed>>,
}

/// Everything an honest validator's task needs.
struct HonestSetup {
    index: usize,
    parts: Parts,
    engine: EngineConfig,
    channels: SimChannels,
    peers: simulated::Manager<Peer, Context>,
    blocker: simulated::Control<Peer, Context>,
    journal: Journal,
    tamper: Option<Arc<dyn Tamper>>,
}

/// The simulated network's peer set is the simulation's own: every slot, founders and
/// joiners, tracked once when the network starts (see `Simulation::start`). So the epochs'
/// peer sets a production node tracks ([`PeerTracker`]) are already there: there is nothing
/// for a simulated validator to track, and the simulation checks who votes by the chain's
/// certificates, not by who is connected.
struct SimulatedPeers;

impl PeerTracker for SimulatedPeers {
    fn track(&mut self, _id: u64, _primary: &[EpochValidator], _secondary: &[EpochValidator]) {}
}

impl Simulation {
    /// Starts validator `index` (again) from its storage.
    pub(super) async fn launch(&mut self, index: usize) -> Result<(), SimError> {
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
        let tamper = slot.tamper.clone();

        let control = self.oracle.control(peer);
        let quota = self.config.quota;
        let channels = Channels::register(|channel| control.register(channel, quota))
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
                let scheme =
                    consensus::signing_scheme(&self.consortium.validators(), &key.engine_key())
                        .map_err(|e| start_error(e.to_string()))?;
                let handle = context.spawn(move |context| async move {
                    // Epoch 0's subchannels, as an honest validator's engine gets them.
                    let mut epoch_zero = Vec::new();
                    for (name, (sender, receiver)) in [
                        ("votes", channels.votes),
                        ("certificates", channels.certificates),
                        ("resolver", channels.resolver),
                    ] {
                        let (mux, mut handle) =
                            Muxer::builder(context.child(name), sender, receiver).build();
                        drop(mux.start());
                        match handle.register(0).await {
                            Ok(subchannel) => epoch_zero.push(subchannel),
                            Err(_) => return,
                        }
                    }
                    let (Some(resolver), Some(certificates), Some(votes)) =
                        (epoch_zero.pop(), epoch_zero.pop(), epoch_zero.pop())
                    else {
                        return;
                    };
                    let setup = ByzantineSetup {
                        index,
                        scheme,
                        votes,
                        certificates,
                        resolver,
                        others: [channels.broadcast, channels.backfill, channels.mempool],
                    };
                    engine(context, setup);
                    futures::future::pending::<()>().await;
                });
                Running { handle, node: None }
            }
            None => {
                let setup = HonestSetup {
                    index,
                    parts: Parts {
                        genesis: self.consortium.genesis.clone(),
                        store: StoreConfig::small(&format!("validator-{index}-store")),
                        mempool: self.config.mempool,
                        settings: self.settings(index, &key),
                        verifier: Verifier::sequential(),
                    },
                    engine: EngineConfig::new(
                        key.engine_key(),
                        format!("validator-{index}-consensus"),
                        self.config.block_limits,
                    ),
                    channels,
                    peers: self.oracle.manager(),
                    blocker: control,
                    journal: self.journal.clone(),
                    tamper,
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

    fn settings(&self, index: usize, key: &credence_crypto::SigningKey) -> Settings {
        let limits = self.config.block_limits;
        Settings {
            chain_id: self.consortium.genesis.chain_id.clone(),
            me: key.public_key(),
            block_limits: limits,
            propose_transactions_max: self
                .config
                .propose_transactions_max
                .get(&index)
                .copied()
                .unwrap_or(limits.transactions_max),
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

    /// Gives validator `index` a new consensus key, as its operator does once governance
    /// seated the key: stops it, makes the key its identity on the simulated network (linked
    /// to every other validator), and starts it again from its storage.
    pub async fn rekey(
        &mut self,
        index: usize,
        key: credence_crypto::SigningKey,
    ) -> Result<(), SimError> {
        use commonware_cryptography::Signer as _;
        use commonware_p2p::Manager as _;
        self.crash(index).await?;
        let slot = self
            .slots
            .get_mut(index)
            .ok_or_else(|| SimError::Network(format!("no validator {index}")))?;
        slot.peer = key.engine_key().public_key();
        slot.key = key;
        let peers = commonware_utils::ordered::Set::from_iter_dedup(
            self.slots.iter().map(|slot| slot.peer.clone()),
        );
        let _ = self.oracle.manager().track(self.peer_sets, peers);
        self.peer_sets += 1;
        let linked: Vec<(usize, usize)> = self
            .linked
            .iter()
            .copied()
            .filter(|&(a, b)| a == index || b == index)
            .collect();
        for (a, b) in linked {
            self.linked.remove(&(a, b));
            self.connect(a, b).await?;
        }
        self.launch(index).await
    }

    /// Restarts a crashed validator from its storage.
    pub async fn restart(&mut self, index: usize) -> Result<(), SimError> {
        tracing::info!(index, "restarting validator");
        self.launch(index).await
    }
}

/// An honest validator's task: opens its chain and starts consensus through the node's own
/// assembly (as `credence_node::run` does), reports the node, then runs until an engine task
/// ends or the node halts — as the production process would exit — journaling why.
async fn run_honest(
    context: Context,
    setup: HonestSetup,
    reply: oneshot::Sender<Result<Started, String>>,
) {
    let HonestSetup {
        index,
        parts,
        engine,
        channels,
        peers,
        blocker,
        journal,
        tamper,
    } = setup;
    let opened = match validator::open(&context, parts).await {
        Ok(opened) => opened,
        Err(error) => {
            let _ = reply.send(Err(format!("chain: {error}")));
            return;
        }
    };
    if let Some(tamper) = tamper {
        opened.node.install_tamper(tamper);
    }
    // Before consensus starts, so that no commit goes unjournaled.
    let commits = opened.node.commits.subscribe();
    let Validator { node, running, .. } = match opened
        .start(&context, engine, channels, peers, blocker, SimulatedPeers)
        .await
    {
        Ok(validator) => validator,
        Err(error) => {
            let _ = reply.send(Err(format!("consensus: {error}")));
            return;
        }
    };
    if reply.send(Ok(Started { node, commits })).is_err() {
        return;
    }
    let reason = running.stopped().await.to_string();
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
