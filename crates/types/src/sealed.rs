//! Ciphertexts as the ledger stores them. The ledger orders and keeps these bytes; it cannot
//! open them (see docs/DESIGN.md §4 and the `crypto` crate, which seals and opens).

use crate::{codec::BoundedBytes, limits::SEALED_PAYLOAD_BYTES_MAX};

/// An HPKE encapsulated key (an ephemeral X25519 public key).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EncapsulatedKey(pub [u8; 32]);
crate::byte_array_newtype!(EncapsulatedKey, 32);

/// Length of a sealed report key: a 32-byte X25519 secret plus a 16-byte AEAD tag.
pub const SEALED_KEY_CIPHERTEXT_BYTES: usize = 48;

/// The AEAD ciphertext of a sealed report key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyCiphertext(pub [u8; SEALED_KEY_CIPHERTEXT_BYTES]);
crate::byte_array_newtype!(KeyCiphertext, 48);

impl Default for KeyCiphertext {
    fn default() -> Self {
        Self([0; SEALED_KEY_CIPHERTEXT_BYTES])
    }
}

/// A credit payload sealed with HPKE to a subject's report key.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SealedPayload {
    /// The sender's ephemeral key.
    pub encapsulated_key: EncapsulatedKey,
    /// The ciphertext, with its tag.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sealed_ciphertext))]
    pub ciphertext: BoundedBytes<SEALED_PAYLOAD_BYTES_MAX>,
}
crate::codec_struct!(SealedPayload {
    encapsulated_key,
    ciphertext
});

/// A report private key sealed with HPKE to someone's encryption key (a lender's, or the
/// network's audit key).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SealedKey {
    /// The sender's ephemeral key.
    pub encapsulated_key: EncapsulatedKey,
    /// The sealed 32-byte secret with its tag.
    pub ciphertext: KeyCiphertext,
}
crate::codec_struct!(SealedKey {
    encapsulated_key,
    ciphertext
});

/// One epoch of a subject's report key, sealed for one reader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WrappedReportKey {
    /// Which report-key epoch this is (0 is the key the subject registered with).
    pub epoch: u32,
    /// The epoch's private key, sealed to the reader.
    pub key: SealedKey,
}
crate::codec_struct!(WrappedReportKey { epoch, key });
