//! Public key material as it appears in transactions and state.
//!
//! These are plain bytes: checking a signature or sealing to a key is the `crypto` crate's
//! job. Keeping the bytes here lets the format stay free of any cryptography library.

/// An Ed25519 verification key (32 bytes), validated under ZIP-215 when used.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey(pub [u8; 32]);
crate::byte_array_newtype!(PublicKey, 32);

/// An Ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);
crate::byte_array_newtype!(Signature, 64);

impl Default for Signature {
    fn default() -> Self {
        Self([0; 64])
    }
}

/// An X25519 public key (32 bytes) that payloads and report keys are sealed to with HPKE.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EncryptionKey(pub [u8; 32]);
crate::byte_array_newtype!(EncryptionKey, 32);
