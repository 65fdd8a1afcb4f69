//! The validators' network: `p2p::authenticated::lookup`, the validators the chain names at
//! the addresses it names, connections authenticated by consensus key (Sake handshake,
//! ChaCha20-Poly1305 transport), connections from keys the chain does not name refused, and
//! per-channel rate limits. Whom to connect to follows the epochs: the orchestrator tracks
//! each epoch's validators, and those seated for a later one (see
//! [`super::orchestrator::PeerTracker`]).

use super::{Channels, channels, orchestrator::PeerTracker};
use commonware_cryptography::{ChaCha20Poly1305, ed25519};
use commonware_p2p::{
    Address, AddressableTrackedPeers,
    authenticated::lookup::{self, Network},
};
use commonware_runtime::{Handle, Quota};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{NZU32, NZUsize, ordered::Map};
use credence_types::{epoch::EpochValidator, limits::VALIDATORS_MAX};
use std::{net::SocketAddr, num::NonZeroUsize, time::Duration};

/// Namespace of p2p handshakes (distinct from consensus and transaction signatures).
pub const P2P_NAMESPACE: &[u8] = b"credence/p2p";

/// The lookup network's sender and receiver types.
pub type LookupSender<E> = lookup::Sender<ed25519::PublicKey, E>;
/// See [`LookupSender`].
pub type LookupReceiver = lookup::Receiver<ed25519::PublicKey>;

/// Quotas per channel and peer. Simplex sends a few votes and certificates per view per
/// peer; too low a quota silently drops votes and stalls views, so these are generous (a
/// hundred times what a view at the fastest block pace needs). Mempool gossip sends batches.
///
/// Each channel's inbound mailbox holds one second's burst from every peer the node may
/// track ([`PEERS_PER_SET_MAX`] × [`TRACKED_PEER_SETS`]), allocated when the network starts:
/// the quotas and the peer bound together set the node's memory and start-up time.
fn quotas() -> [(u64, Quota); 6] {
    [
        (channels::VOTES, Quota::per_second(NZU32!(1_000))),
        (channels::CERTIFICATES, Quota::per_second(NZU32!(1_000))),
        (channels::RESOLVER, Quota::per_second(NZU32!(1_000))),
        (channels::BROADCAST, Quota::per_second(NZU32!(1_000))),
        (channels::BACKFILL, Quota::per_second(NZU32!(1_000))),
        (channels::MEMPOOL, Quota::per_second(NZU32!(2_000))),
    ]
}

/// Most peers in one tracked set: an epoch's validators and those seated for the next.
pub const PEERS_PER_SET_MAX: usize = 2 * VALIDATORS_MAX;
/// Peer sets kept at once: the current epoch's, and the one before while the node hands
/// over (or the roster changes).
pub const TRACKED_PEER_SETS: usize = 2;

/// A started network: its channels, its oracle (peer provider and blocker), its handle.
pub type Started<E> = (
    Channels<LookupSender<E>, LookupReceiver>,
    lookup::Oracle<ed25519::PublicKey>,
    Handle<()>,
);

/// Starts the network: listens on `listen`; whom it dials is tracked later, epoch by epoch.
pub fn start<E>(
    runtime: E,
    signer: &ed25519::PrivateKey,
    listen: SocketAddr,
    max_message_size: u32,
) -> Started<E>
where
    E: commonware_runtime::Spawner
        + commonware_runtime::Clock
        + rand_core::CryptoRng
        + commonware_runtime::Network
        + commonware_runtime::Resolver
        + commonware_runtime::Metrics,
{
    let handshake = Cups::<_, ChaCha20Poly1305>::new(
        Sake {
            signer: signer.clone(),
            synchrony_bound: Duration::from_secs(5),
            max_handshake_age: Duration::from_secs(10),
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let peers_max = NonZeroUsize::new(PEERS_PER_SET_MAX).unwrap_or(NonZeroUsize::MIN);
    let mut config = lookup::Config::local(
        handshake,
        P2P_NAMESPACE,
        listen,
        peers_max,
        max_message_size,
        NZUsize!(4_096),
    );
    config.tracked_peer_sets = NonZeroUsize::new(TRACKED_PEER_SETS).unwrap_or(NonZeroUsize::MIN);
    let (mut network, oracle) = Network::new(runtime, config);
    let [votes, certificates, resolver, broadcast, backfill, mempool] =
        quotas().map(|(channel, quota)| network.register(channel, quota));
    let handle = network.start();
    (
        Channels {
            votes,
            certificates,
            resolver,
            broadcast,
            backfill,
            mempool,
        },
        oracle,
        handle,
    )
}

/// The address book of `validators`; a key that is not an ed25519 key is left out (the
/// chain checks keys at the door, so there is none).
fn address_book(validators: &[EpochValidator]) -> Map<ed25519::PublicKey, Address> {
    Map::from_iter_dedup(validators.iter().filter_map(|v| {
        let key = super::engine_key(&v.seat.key).ok()?;
        Some((key, Address::from(v.seat.address.0)))
    }))
}

impl PeerTracker for lookup::Oracle<ed25519::PublicKey> {
    fn track(&mut self, id: u64, primary: &[EpochValidator], secondary: &[EpochValidator]) {
        let peers = AddressableTrackedPeers::new(address_book(primary), address_book(secondary));
        let _ = commonware_p2p::AddressableManager::track(self, id, peers);
    }
}
