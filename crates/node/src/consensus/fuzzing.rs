//! Fuzz entry points for what the node decodes from its peers and what a light client reads
//! of the engine's certificates: each decoder's contract as a function that panics when it is
//! broken. They sit in the adapter because they name the engine's types.
//!
//! Called by the cargo-fuzz targets `block`, `peer_message` and `certificate` in `fuzz/`
//! and by their proptest twins in `tests/decoding_fuzz.rs`, through [`crate::fuzzing`].

use super::{
    block::{BlockLimits, ChainBlock, from_engine},
    channels,
    gossip::Batch,
};
use crate::service::Verifier;
use commonware_codec::{Copying, Decode as _, DecodeExt as _, Encode as _, Read as _};
use commonware_consensus::simplex::{
    scheme::ed25519::Scheme,
    types::{Certificate, Finalization, Notarization, Vote},
};
use commonware_cryptography::{Signer as _, certificate::Verifier as _, ed25519, sha256};
use commonware_parallel::Sequential;
use commonware_utils::ordered::Set;
use credence_crypto::verify_one;
use credence_light::{
    certificate::{CONSENSUS_NAMESPACE, Finalized, verify_certificate},
    network::BLOCK_BYTES_MIN,
};
use credence_types::{
    Digest, PublicKey,
    codec::{EncodeSize as _, decode, encode},
    fuzzing::assert_canonical,
};
use std::sync::OnceLock;

/// The block limits the fuzz targets decode with: the smallest a network may set, so that
/// inputs reach the limit checks as well as the format's.
pub const LIMITS: BlockLimits = BlockLimits {
    transactions_max: 16,
    bytes_max: BLOCK_BYTES_MIN,
};

/// Most validators of the fuzzed validator sets.
pub const VALIDATORS_MAX: usize = 7;

/// The validators of the fuzzed networks: the keys of the engine's test seeds 0 to 6, the
/// same keys the corpus generator signs with. A network of `n` has the first `n`.
pub fn validator_secrets() -> &'static [ed25519::PrivateKey] {
    static SECRETS: OnceLock<Vec<ed25519::PrivateKey>> = OnceLock::new();
    SECRETS.get_or_init(|| {
        (0..VALIDATORS_MAX as u64)
            .map(ed25519::PrivateKey::from_seed)
            .collect()
    })
}

/// The Credence form of the keys of [`validator_secrets`].
pub fn validator_keys() -> &'static [PublicKey] {
    static KEYS: OnceLock<Vec<PublicKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        validator_secrets()
            .iter()
            .map(|secret| {
                let mut key = [0u8; 32];
                key.copy_from_slice(&secret.public_key().encode());
                PublicKey(key)
            })
            .collect()
    })
}

/// The engine's verifier of a network of the first `n` validators (1 to 7).
fn scheme(n: usize) -> Scheme {
    let participants = Set::from_iter_dedup(
        validator_secrets()[..n]
            .iter()
            .map(commonware_cryptography::Signer::public_key),
    );
    Scheme::verifier(CONSENSUS_NAMESPACE, participants)
}

/// A block as a peer broadcasts or backfills it, decoded within [`LIMITS`]: never panics;
/// decodes exactly when the format's decoder does and the block is within the limits; its
/// digest is its header's, computed and never read from the wire; it re-encodes to its
/// input. Returns the block, if the bytes are one.
pub fn block(bytes: &[u8]) -> Option<ChainBlock> {
    let plain = credence_types::fuzzing::block(bytes);
    let chain = ChainBlock::decode_cfg(Copying(bytes), &LIMITS).ok();
    match (plain, chain) {
        (None, None) => None,
        (None, Some(_)) => panic!("a chain block must be a block of the format"),
        (Some(block), None) => {
            assert!(
                block.encode_size() > LIMITS.bytes_max
                    || block.transactions.len() > LIMITS.transactions_max,
                "a block within the network's limits must decode as a chain block"
            );
            None
        }
        (Some(block), Some(chain)) => {
            assert_eq!(chain.block(), &block, "a chain block is the block decoded");
            assert_eq!(chain.id(), block.header.digest(), "the digest is computed");
            assert_canonical(&chain, bytes);
            Some(chain)
        }
    }
}

/// A message from a peer, on the channel its first byte names (modulo the six channels),
/// decoded with the type and configuration the node's engine uses for that channel, for a
/// network of four validators:
///
/// - votes: a simplex vote; certificates, and the certificate fetches of a lagging node: a
///   simplex certificate;
/// - block broadcast: a block (see [`block`]);
/// - backfill: a finalisation or notarisation followed by its block, as marshal reads a
///   response;
/// - mempool gossip: a batch of transactions, each with the transaction's contract, and
///   whose batch verification agrees with verifying each signature alone (a peer is
///   blocked when it disagrees, so a disagreement would block an honest peer or admit a
///   forgery).
///
/// Never panics; whatever decodes re-encodes to its input. Returns whether it decoded.
pub fn peer_message(bytes: &[u8]) -> bool {
    let Some((&channel, message)) = bytes.split_first() else {
        return false;
    };
    let certificates = scheme(4).certificate_codec_config();
    match u64::from(channel) % 6 {
        channels::VOTES => Vote::<Scheme, sha256::Digest>::decode(Copying(message))
            .is_ok_and(|vote| canonical_engine(&vote, message)),
        channels::CERTIFICATES | channels::RESOLVER => {
            Certificate::<Scheme, sha256::Digest>::decode_cfg(Copying(message), &certificates)
                .is_ok_and(|certificate| canonical_engine(&certificate, message))
        }
        channels::BROADCAST => block(message).is_some(),
        channels::BACKFILL => {
            let mut rest = Copying(message);
            let finalized =
                Finalization::<Scheme, sha256::Digest>::read_cfg(&mut rest, &certificates)
                    .ok()
                    .and_then(|finalization| Some((finalization.encode(), block(rest.0)?)));
            let mut rest = Copying(message);
            let notarized =
                Notarization::<Scheme, sha256::Digest>::read_cfg(&mut rest, &certificates)
                    .ok()
                    .and_then(|notarization| Some((notarization.encode(), block(rest.0)?)));
            let mut any = false;
            for (certificate, block) in [finalized, notarized].into_iter().flatten() {
                let mut whole = certificate.to_vec();
                whole.extend_from_slice(&encode(&block));
                assert!(
                    whole == message,
                    "a backfill response re-encodes to its input"
                );
                any = true;
            }
            any
        }
        channels::MEMPOOL => gossip(message),
        _ => false,
    }
}

/// Asserts that an engine value re-encodes to its input; true.
fn canonical_engine(value: &impl commonware_codec::Encode, bytes: &[u8]) -> bool {
    assert!(
        value.encode().as_ref() == bytes,
        "a decoded engine message must re-encode to its input"
    );
    true
}

/// A mempool gossip message (see [`peer_message`]).
fn gossip(bytes: &[u8]) -> bool {
    let Ok(batch) = decode::<Batch>(bytes) else {
        return false;
    };
    assert_canonical(&batch, bytes);
    for signed in &batch {
        assert!(
            credence_types::fuzzing::transaction(&encode(signed)).is_some(),
            "a gossiped transaction must decode on its own"
        );
    }
    let alone = batch
        .iter()
        .all(|signed| verify_one(signed.clone()).is_ok());
    let together = Verifier::sequential().verify(batch.into_inner()).is_ok();
    assert_eq!(
        together, alone,
        "batch verification must accept exactly what single verification accepts"
    );
    true
}

/// A finalisation certificate as a node serves it to a light client: `bytes` is the size
/// of the validator set (its first byte, 1 to 7 modulo 7), the digest of the block the
/// client asks about (32 bytes), then the certificate.
///
/// The light client's reader, which does not use the engine, never panics and accepts
/// exactly the certificates the engine accepts for that block and set; what it accepts
/// finalises that block. Returns what the certificate finalised, if it is valid.
pub fn certificate(bytes: &[u8]) -> Option<Finalized> {
    let (&size, rest) = bytes.split_first()?;
    let (block, certificate) = rest.split_first_chunk::<32>()?;
    let block = Digest(*block);
    let n = 1 + usize::from(size) % VALIDATORS_MAX;
    let light = verify_certificate(&validator_keys()[..n], &block, certificate);
    let scheme = scheme(n);
    let engine = Finalization::<Scheme, sha256::Digest>::decode_cfg(
        Copying(certificate),
        &scheme.certificate_codec_config(),
    )
    .is_ok_and(|finalization| {
        from_engine(&finalization.proposal.payload) == block
            && finalization.verify(
                &mut rand_core::UnwrapErr(getrandom::SysRng),
                &scheme,
                &Sequential,
            )
    });
    assert_eq!(
        light.is_ok(),
        engine,
        "the light client must accept exactly the certificates the engine accepts: {light:?}"
    );
    let finalized = light.ok()?;
    assert_eq!(
        finalized.block, block,
        "a certificate finalises the block asked"
    );
    Some(finalized)
}
