//! The vector `pages/crypto.test.mjs` checks `signRequest` against: a signed read made by the
//! Rust signer, exactly as the node verifies one. Ed25519 is deterministic, so the same seed
//! and message give the same signature in both; if either side changes how a read is
//! namespaced or laid out, one of the two tests fails.
#![allow(clippy::unwrap_used)]

use credence_crypto::{SigningKey, signing::verify_signature};
use credence_types::access::{READ_NAMESPACE, request_message};

/// The seed, chain, method, path and time of the vector (the same in the `.mjs` test).
const SEED: [u8; 32] = [9; 32];
const CHAIN: &str = "credence-devnet";
const PATH: &str = "/v1/subjects/eb1830ff0ad1e2d8647f43a1f5d0cda72affd37be65794bf4f61360934d39b25/records?from=0&limit=100";
const TIME_MS: u64 = 1_764_690_000_000;

/// The public key of `SEED`, and its signature over the vector's request.
const PUBLIC_KEY: &str = "fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618";
const SIGNATURE: &str = "b13fb5ad77abbaaf057ccaefa50dfd8383afa9878332171877e58a32c7b9b49d468fcdbf3f86081c5fb94051e800bbddddee83ca5d301c024fd53991dab4c607";

#[test]
fn the_console_signs_a_read_as_the_rust_signer_does() {
    let key = SigningKey::from_seed(&SEED);
    assert_eq!(hex::encode(key.public_key().0), PUBLIC_KEY);
    let message = request_message(CHAIN, "GET", PATH, TIME_MS);
    let signature = key.sign(READ_NAMESPACE, &message);
    assert_eq!(hex::encode(signature.0), SIGNATURE);
    verify_signature(&key.public_key(), READ_NAMESPACE, &message, &signature).unwrap();
    // The same bytes under the transaction namespace are another signature entirely.
    let transaction = key.sign(credence_types::transaction::SIGNING_NAMESPACE, &message);
    assert_ne!(transaction, signature);
}
