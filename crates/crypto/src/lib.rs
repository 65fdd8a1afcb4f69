//! Credence's cryptography, built from well-kept crates; no primitive is written here.
//!
//! - [`signing`]: Ed25519 transaction signatures, validated under ZIP-215 by
//!   `commonware-cryptography` (the same implementation the consensus engine uses), so a
//!   signature is accepted alone exactly when it is accepted in a batch, on every node.
//! - [`sealing`]: HPKE (RFC 9180; X25519, HKDF-SHA256, ChaCha20-Poly1305) to seal credit
//!   payloads to a subject's report key and to wrap report keys for lenders and the audit key.
//! - [`keyfile`]: key files on disk, created owner-read-only and refused when others can read
//!   them.

pub mod keyfile;
pub mod sealing;
pub mod signing;

pub use keyfile::{KeyFile, KeyFileError};
pub use sealing::{EncryptionSecret, SealError};
pub use signing::{SignatureError, SigningKey, VerifiedTransaction, verify_batch, verify_one};
