//! One simplex engine per epoch, and the hand-over between them.
//!
//! The orchestrator owns the engines. The finaliser tells it to [`Orchestrator::enter`] an
//! epoch once the node has durably committed the last block of the one before (whose state
//! named the new set); the orchestrator then tells the p2p network whom to connect to,
//! opens the epoch's subchannels of the vote, certificate and resolver channels, starts the
//! epoch's engine on its own journal partition with the previous epoch's last block as its
//! genesis, and only then stops the previous epoch's engine. Votes and certificates carry
//! their epoch, and each engine verifies with its own epoch's set, so no vote of one epoch
//! ever counts in another.
//!
//! A message for an epoch this node has not entered yet means a peer is ahead: the
//! orchestrator asks marshal for the finalisation of its own epoch's last block from that
//! peer, so a lagging node catches up epoch by epoch instead of waiting to stumble on it.

use super::{Scheme, block::ChainBlock, epochs::EpochBook};
use commonware_consensus::{
    marshal::{core::Mailbox, standard::Standard},
    types::{Epoch, Epocher as _},
};
use commonware_cryptography::{ed25519, sha256};
use commonware_p2p::{
    Sender,
    utils::mux::{MuxHandle, SubReceiver, SubSender},
};
use commonware_runtime::{Handle, IoBuf, Metrics, Spawner};
use commonware_utils::{
    channel::{mpsc, oneshot},
    vec::NonEmptyVec,
};
use credence_types::epoch::EpochValidator;

/// Tells the p2p network whom to keep connections with: the validators of the epoch being
/// entered (`primary`), and those seated to vote in a later one (`secondary`), so that a
/// joining validator is connected, and catching up, before its first epoch begins.
pub trait PeerTracker: Send + 'static {
    /// Tracks peer set `id` (strictly increasing).
    fn track(&mut self, id: u64, primary: &[EpochValidator], secondary: &[EpochValidator]);
}

/// A pair of one epoch's subchannel.
pub type SubChannel<S> = (SubSender<S>, SubReceiver<ed25519::PublicKey>);

/// What an epoch's engine is started with.
pub struct EpochStart<S: Sender> {
    /// The epoch.
    pub epoch: Epoch,
    /// Its genesis: the digest of the previous epoch's last block (genesis's for epoch 0).
    pub floor: sha256::Digest,
    /// This node's scheme for the epoch: signing if it is a validator of it, verifying if
    /// not.
    pub scheme: Scheme,
    /// The epoch's votes.
    pub votes: SubChannel<S>,
    /// The epoch's certificates.
    pub certificates: SubChannel<S>,
    /// The epoch's certificate fetches.
    pub resolver: SubChannel<S>,
}

/// Starts an epoch's engine on the given context and returns its handle; aborting the
/// handle stops the engine and everything it spawned.
pub type EngineFactory<E, S> = Box<dyn FnMut(E, EpochStart<S>) -> Handle<()> + Send>;

enum Command {
    Enter {
        epoch: u64,
        floor: sha256::Digest,
        done: oneshot::Sender<()>,
    },
    Roster(Vec<EpochValidator>),
}

/// What woke the orchestrator.
enum Event {
    Command(Option<Command>),
    Ahead(Option<(u64, (ed25519::PublicKey, IoBuf))>),
    Ended(u64),
}

/// Resolves with the current engine's epoch when that engine ends; never without one.
async fn engine_end(current: &mut Option<(u64, Handle<()>)>) -> u64 {
    match current {
        Some((epoch, handle)) => {
            let _ = handle.await;
            *epoch
        }
        None => std::future::pending().await,
    }
}

/// The finaliser's handle on the orchestrator.
#[derive(Clone)]
pub struct Orchestrator {
    commands: mpsc::UnboundedSender<Command>,
}

impl Orchestrator {
    /// Enters `epoch` (which the epoch book must know), with `floor` its genesis, and
    /// resolves once its engine runs and the previous one is stopped. Entering the current
    /// epoch again does nothing. Returns `false` if the orchestrator is gone.
    pub async fn enter(&self, epoch: u64, floor: sha256::Digest) -> bool {
        let (done, entered) = oneshot::channel();
        if self
            .commands
            .send(Command::Enter { epoch, floor, done })
            .is_err()
        {
            return false;
        }
        entered.await.is_ok()
    }

    /// The roster changed: validators seated for a later epoch are tracked as secondary
    /// peers from now on.
    pub fn roster(&self, validators: Vec<EpochValidator>) {
        let _ = self.commands.send(Command::Roster(validators));
    }
}

/// Everything the orchestrator runs with.
pub struct Parts<E, S: Sender, T> {
    /// Where epochs' engines are spawned.
    pub context: E,
    /// The epochs the chain has named.
    pub book: EpochBook,
    /// Starts one epoch's engine.
    pub factory: EngineFactory<E, S>,
    /// The vote channel's subchannels.
    pub votes: MuxHandle<S>,
    /// The certificate channel's subchannels.
    pub certificates: MuxHandle<S>,
    /// The resolver channel's subchannels.
    pub resolver: MuxHandle<S>,
    /// Messages for subchannels nobody opened: (epoch, (sender, message)).
    pub ahead: mpsc::Receiver<(u64, (ed25519::PublicKey, IoBuf))>,
    /// The p2p network's peer sets.
    pub tracker: T,
    /// Marshal, to ask a peer that is ahead for the finalisation of this epoch's end.
    pub marshal: Mailbox<Scheme, Standard<ChainBlock>>,
    /// The roster at start-up.
    pub roster: Vec<EpochValidator>,
}

struct Actor<E, S: Sender, T> {
    parts: Parts<E, S, T>,
    commands: mpsc::UnboundedReceiver<Command>,
    current: Option<(u64, Handle<()>)>,
    peer_sets: u64,
}

/// Starts the orchestrator. Its handle ends if an epoch's engine ends by itself (which it
/// never does while the node runs) or everything holding an [`Orchestrator`] is gone.
pub fn start<E, S, T>(parts: Parts<E, S, T>) -> (Orchestrator, Handle<()>)
where
    E: Spawner + Metrics,
    S: Sender<PublicKey = ed25519::PublicKey>,
    T: PeerTracker,
{
    let (sender, commands) = mpsc::unbounded_channel();
    let context = parts.context.child("orchestrator");
    let actor = Actor {
        parts,
        commands,
        current: None,
        peer_sets: 0,
    };
    let handle = context.spawn(move |_| actor.run());
    (Orchestrator { commands: sender }, handle)
}

impl<E, S, T> Actor<E, S, T>
where
    E: Spawner + Metrics,
    S: Sender<PublicKey = ed25519::PublicKey>,
    T: PeerTracker,
{
    async fn run(mut self) {
        loop {
            let event = tokio::select! {
                biased;
                command = self.commands.recv() => Event::Command(command),
                epoch = engine_end(&mut self.current) => Event::Ended(epoch),
                ahead = self.parts.ahead.recv() => Event::Ahead(ahead),
            };
            match event {
                Event::Command(Some(Command::Enter { epoch, floor, done })) => {
                    if let Err(error) = self.enter(epoch, floor).await {
                        tracing::error!(epoch, %error, "cannot enter the epoch; stopping consensus");
                        return;
                    }
                    let _ = done.send(());
                }
                Event::Command(Some(Command::Roster(validators))) => {
                    self.parts.roster = validators;
                    self.track();
                }
                // Every handle on the orchestrator is gone: the node is stopping.
                Event::Command(None) => return,
                Event::Ended(epoch) => {
                    tracing::error!(epoch, "the epoch's engine ended; stopping consensus");
                    return;
                }
                Event::Ahead(Some((epoch, (from, _)))) => self.hint(epoch, from),
                // The vote channel's muxer is gone: the network stopped.
                Event::Ahead(None) => return,
            }
        }
    }

    /// Tracks the current epoch's validators, and the roster's others as secondary.
    fn track(&mut self) {
        let Some(record) = self
            .current
            .as_ref()
            .and_then(|(epoch, _)| self.parts.book.record(*epoch))
        else {
            return;
        };
        let primary: Vec<EpochValidator> = record.validators.iter().copied().collect();
        let secondary: Vec<EpochValidator> = self
            .parts
            .roster
            .iter()
            .filter(|v| !primary.iter().any(|p| p.seat.key == v.seat.key))
            .copied()
            .collect();
        self.parts
            .tracker
            .track(self.peer_sets, &primary, &secondary);
        self.peer_sets += 1;
    }

    async fn enter(&mut self, epoch: u64, floor: sha256::Digest) -> Result<(), String> {
        if self
            .current
            .as_ref()
            .is_some_and(|(current, _)| *current >= epoch)
        {
            return Ok(());
        }
        let scope = Epoch::new(epoch);
        let scheme = self
            .parts
            .book
            .provider
            .engine_scheme(epoch)
            .ok_or_else(|| format!("epoch {epoch} is not in the book"))?;
        let subchannel = |handle: &mut MuxHandle<S>| {
            let mut handle = handle.clone();
            async move { handle.register(epoch).await }
        };
        let votes = subchannel(&mut self.parts.votes)
            .await
            .map_err(|e| e.to_string())?;
        let certificates = subchannel(&mut self.parts.certificates)
            .await
            .map_err(|e| e.to_string())?;
        let resolver = subchannel(&mut self.parts.resolver)
            .await
            .map_err(|e| e.to_string())?;
        let start = EpochStart {
            epoch: scope,
            floor,
            scheme,
            votes,
            certificates,
            resolver,
        };
        let context = self
            .parts
            .context
            .child("epoch")
            .with_attribute("epoch", epoch);
        let handle = (self.parts.factory)(context, start);
        let previous = self.current.replace((epoch, handle));
        self.track();
        if let Some((old, handle)) = previous {
            handle.abort();
            tracing::info!(from = old, to = epoch, "entered epoch");
        } else {
            tracing::info!(epoch, "entered epoch");
        }
        Ok(())
    }

    /// A peer sent a message for `epoch`: if it is ahead of us, ask it for the
    /// finalisation of our epoch's last block.
    fn hint(&self, epoch: u64, from: ed25519::PublicKey) {
        let Some((current, _)) = self.current.as_ref() else {
            return;
        };
        if epoch <= *current {
            return;
        }
        if let Some(last) = self.parts.book.epocher.last(Epoch::new(*current)) {
            self.parts
                .marshal
                .hint_finalized(last, NonEmptyVec::new(from));
        }
    }
}
