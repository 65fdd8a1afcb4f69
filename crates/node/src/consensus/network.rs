//! The validators' network: `p2p::authenticated::lookup`, a fixed set of known validators at
//! known addresses, connections authenticated by key (Sake handshake, ChaCha20-Poly1305
//! transport), connections from unknown keys refused, and per-channel rate limits.

use super::{Channels, channels};
use commonware_cryptography::{ChaCha20Poly1305, ed25519};
use commonware_p2p::{
    Address,
    authenticated::lookup::{self, Network},
};
use commonware_runtime::{Handle, Quota};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{NZU32, NZUsize, ordered::Map};
use credence_types::PublicKey;
use std::{net::SocketAddr, num::NonZeroUsize, time::Duration};

/// Namespace of p2p handshakes (distinct from consensus and transaction signatures).
pub const P2P_NAMESPACE: &[u8] = b"credence/p2p";

/// The lookup network's sender and receiver types.
pub type LookupSender<E> = lookup::Sender<ed25519::PublicKey, E>;
/// See [`LookupSender`].
pub type LookupReceiver = lookup::Receiver<ed25519::PublicKey>;

/// Quotas per channel and peer. Simplex sends a few votes and certificates per view per
/// peer; too low a quota silently drops votes and stalls views, so these are generous.
fn quotas() -> [(u64, Quota); 6] {
    [
        (channels::VOTES, Quota::per_second(NZU32!(10_000))),
        (channels::CERTIFICATES, Quota::per_second(NZU32!(10_000))),
        (channels::RESOLVER, Quota::per_second(NZU32!(1_000))),
        (channels::BROADCAST, Quota::per_second(NZU32!(1_000))),
        (channels::BACKFILL, Quota::per_second(NZU32!(1_000))),
        (channels::MEMPOOL, Quota::per_second(NZU32!(10_000))),
    ]
}

/// A started network: its channels, its oracle (peer provider and blocker), its handle.
pub type Started<E> = (
    Channels<LookupSender<E>, LookupReceiver>,
    lookup::Oracle<ed25519::PublicKey>,
    Handle<()>,
);

/// Starts the network: listens on `listen`, dials the other validators at their addresses.
pub fn start<E>(
    runtime: E,
    signer: &ed25519::PrivateKey,
    listen: SocketAddr,
    validators: &[(PublicKey, SocketAddr)],
    max_message_size: u32,
) -> Result<Started<E>, super::EngineError>
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
    let peers_max = NonZeroUsize::new(validators.len()).unwrap_or(NonZeroUsize::MIN);
    let config = lookup::Config::local(
        handshake,
        P2P_NAMESPACE,
        listen,
        peers_max,
        max_message_size,
        NZUsize!(4_096),
    );
    let (mut network, mut oracle) = Network::new(runtime, config);
    let mut book = Vec::with_capacity(validators.len());
    for (key, address) in validators {
        book.push((super::engine_key(key)?, Address::from(*address)));
    }
    let book: Map<ed25519::PublicKey, Address> = Map::from_iter_dedup(book);
    use commonware_p2p::AddressableManager as _;
    let _ = oracle.track(0, book);
    let [votes, certificates, resolver, broadcast, backfill, mempool] =
        quotas().map(|(channel, quota)| network.register(channel, quota));
    let handle = network.start();
    Ok((
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
    ))
}
