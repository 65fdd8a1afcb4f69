//! Credence's cryptography, built from well-kept crates; no primitive is written here.
//!
//! - [`signing`]: Ed25519 transaction signatures, validated under ZIP-215 by
//!   `commonware-cryptography` (the same implementation the consensus engine uses), so a
//!   signature is accepted alone exactly when it is accepted in a batch, on every node.
//! - [`sealing`]: HPKE (RFC 9180; X25519, HKDF-SHA256, AES-128-GCM) to seal credit
//!   payloads to a subject's report key and to wrap report keys for lenders and the audit key.
//! - [`identity`]: keyed commitments to real assets' public identifiers (HMAC-SHA256 under
//!   a secret the registrars of one kind of asset share), unique on the ledger and not
//!   reversible from a list of identifiers.
//! - [`keyfile`]: key files on disk, created owner-read-only and refused when others can read
//!   them.

pub mod identity;
pub mod key_cache;
pub mod keyfile;
pub mod sealing;
pub mod signing;

pub use identity::IdentitySecret;
pub use key_cache::KeyCache;
pub use keyfile::{ConsensusKeyFile, KeyFile, KeyFileError};
pub use sealing::{EncryptionSecret, SealError};
pub use signing::{
    SignatureError, SigningKey, VerifiedTransaction, is_public_key, verify_batch,
    verify_batch_cached, verify_each, verify_each_cached, verify_one,
};

/// 32 bytes from the operating system's randomness: salts and tokens.
pub fn random_bytes() -> zeroize::Zeroizing<[u8; 32]> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).expect("the operating system must provide randomness");
    bytes
}
