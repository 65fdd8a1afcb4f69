//! The validators' lifecycle: each honest validator is assembled by the node's own
//! [`credence_node::validator`] on a task of its own, journaled, crashed and restarted from
//! its storage; a Byzantine one runs its engine on the same identity and channels.

use super::{
    ByzantineSetup, Context, Peer, Running, SimChannels, SimError, Simulation, ValidatorNode,
};
use crate::{consortium::Consortium, journal::Journal};
use commonware_p2p::simulated;
use commonware_runtime::{Clock as _, Spawner as _, Supervisor as _};
use credence_node::{
    chain::Committed,
    consensus::{self, Channels, EngineConfig, block::BlockLimits},
    mempool::MempoolLimits,
    service::{Settings, Verifier},
    tamper::Tamper,
    validator::{self, Parts, Validator},
};
use credence_store::StoreConfig;
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
                let engine_config =
                    engine_config(&self.consortium, &key, index, self.config.block_limits);
                let scheme = consensus::signing_scheme(&engine_config)
                    .map_err(|e| start_error(e.to_string()))?;
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
                    parts: Parts {
                        genesis: self.consortium.genesis.clone(),
                        store: StoreConfig::small(&format!("validator-{index}-store")),
                        mempool: MempoolLimits::default(),
                        settings: self.settings(index, &key),
                        verifier: Verifier::Sequential,
                    },
                    engine: engine_config(&self.consortium, &key, index, self.config.block_limits),
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

    /// Restarts a crashed validator from its storage.
    pub async fn restart(&mut self, index: usize) -> Result<(), SimError> {
        tracing::info!(index, "restarting validator");
        self.launch(index).await
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
        .start(&context, engine, channels, peers, blocker)
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
