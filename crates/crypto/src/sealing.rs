//! Sealing with HPKE (RFC 9180, base mode): X25519 key encapsulation, HKDF-SHA256, and
//! AES-128-GCM — a suite a browser computes with WebCrypto alone, so the borrower portal
//! wraps report keys with no third-party cryptography in the page.
//!
//! Three things are sealed:
//! - a credit payload, to the subject's current report key ([`seal_payload`]);
//! - a report private key, to a lender's or the audit key's encryption key ([`wrap_key`]);
//! - a file a furnisher keeps for itself (its book's copy of an imported Metro 2 file), to its
//!   own encryption key ([`seal_to_self`]), so the copy at rest names nobody to whoever
//!   copies the directory without the key.
//!
//! Each seal binds its context in the AEAD's associated data — the subject and report-key
//! epoch — so a ciphertext moved to another subject's file, or presented as another epoch,
//! fails to open instead of opening as something else.

use credence_types::{
    EncryptionKey, SubjectId,
    codec::BoundedBytes,
    limits::SEALED_PAYLOAD_BYTES_MAX,
    sealed::{EncapsulatedKey, KeyCiphertext, SealedKey, SealedPayload},
};
use hpke::{
    Deserializable as _, Kem as _, OpModeR, OpModeS, Serializable as _, aead::AesGcm128,
    kdf::HkdfSha256, kem::X25519HkdfSha256,
};
use zeroize::Zeroizing;

type Kem = X25519HkdfSha256;
type Kdf = HkdfSha256;
type Aead = AesGcm128;

const INFO_PAYLOAD: &[u8] = b"credence/payload/v1";
const INFO_REPORT_KEY: &[u8] = b"credence/report-key/v1";
const INFO_OWN_FILE: &[u8] = b"credence/own-file/v1";

/// Bytes of an X25519 encapsulated key, which [`seal_to_self`]'s output starts with.
const ENCAPSULATED_BYTES: usize = 32;

/// Sealing or opening failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// The recipient key is not a valid X25519 public key.
    #[error("the recipient's encryption key is not a valid X25519 key")]
    BadRecipient,
    /// The ciphertext does not open with this key and context: wrong key, wrong subject or
    /// epoch, or tampered bytes.
    #[error("the ciphertext does not open with this key")]
    CannotOpen,
    /// The plaintext is larger than a sealed payload may be.
    #[error("the payload is larger than {SEALED_PAYLOAD_BYTES_MAX} bytes once sealed")]
    TooLarge,
}

/// The associated data binding a sealed payload to its subject and report-key epoch.
pub fn payload_context(subject: &SubjectId, epoch: u32) -> Vec<u8> {
    let mut aad = subject.0.to_vec();
    aad.extend_from_slice(&epoch.to_be_bytes());
    aad
}

/// The associated data binding a wrapped report key to its subject and epoch.
pub fn report_key_context(subject: &SubjectId, epoch: u32) -> Vec<u8> {
    payload_context(subject, epoch)
}

/// An X25519 private key: a subject's report key, an institution's encryption key, or the
/// network's audit key.
#[derive(Clone)]
pub struct EncryptionSecret {
    secret: <Kem as hpke::Kem>::PrivateKey,
    public: EncryptionKey,
}

impl std::fmt::Debug for EncryptionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EncryptionSecret({})", self.public)
    }
}

impl EncryptionSecret {
    /// A fresh key from the operating system's randomness.
    pub fn generate() -> Self {
        let mut ikm = Zeroizing::new([0u8; 32]);
        getrandom::fill(ikm.as_mut()).expect("the operating system must provide randomness");
        Self::derive(ikm.as_ref())
    }

    /// The key derived from input keying material (RFC 9180 `DeriveKeyPair`).
    pub fn derive(ikm: &[u8]) -> Self {
        let (secret, public) = Kem::derive_keypair(ikm);
        let public = EncryptionKey(public.to_bytes().into());
        Self { secret, public }
    }

    /// The key with these 32 secret bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, SealError> {
        let secret =
            <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes).map_err(|_| SealError::CannotOpen)?;
        let public = EncryptionKey(Kem::sk_to_pk(&secret).to_bytes().into());
        Ok(Self { secret, public })
    }

    /// The 32 secret bytes, for a key file or for wrapping.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret.to_bytes().into())
    }

    /// The public key.
    pub fn public_key(&self) -> EncryptionKey {
        self.public
    }

    /// Opens a payload sealed to this key under `context` (see [`payload_context`]).
    pub fn open_payload(
        &self,
        sealed: &SealedPayload,
        context: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        self.open(
            INFO_PAYLOAD,
            &sealed.encapsulated_key,
            sealed.ciphertext.as_slice(),
            context,
        )
    }

    /// Opens a report key wrapped to this key under `context` (see
    /// [`report_key_context`]).
    pub fn unwrap_key(
        &self,
        sealed: &SealedKey,
        context: &[u8],
    ) -> Result<EncryptionSecret, SealError> {
        let bytes = self.open(
            INFO_REPORT_KEY,
            &sealed.encapsulated_key,
            &sealed.ciphertext.0,
            context,
        )?;
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| SealError::CannotOpen)?;
        let bytes = Zeroizing::new(bytes);
        EncryptionSecret::from_bytes(&bytes)
    }

    /// Opens what [`seal_to_self`] sealed to this key under `context`.
    pub fn open_own(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let (encapsulated, ciphertext) = sealed
            .split_at_checked(ENCAPSULATED_BYTES)
            .ok_or(SealError::CannotOpen)?;
        let encapsulated: [u8; ENCAPSULATED_BYTES] =
            encapsulated.try_into().map_err(|_| SealError::CannotOpen)?;
        self.open(
            INFO_OWN_FILE,
            &EncapsulatedKey(encapsulated),
            ciphertext,
            context,
        )
    }

    fn open(
        &self,
        info: &[u8],
        encapsulated: &EncapsulatedKey,
        ciphertext: &[u8],
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let encapsulated = <Kem as hpke::Kem>::EncappedKey::from_bytes(&encapsulated.0)
            .map_err(|_| SealError::CannotOpen)?;
        hpke::single_shot_open::<Aead, Kdf, Kem>(
            &OpModeR::Base,
            &self.secret,
            &encapsulated,
            info,
            ciphertext,
            aad,
        )
        .map(Zeroizing::new)
        .map_err(|_| SealError::CannotOpen)
    }
}

fn seal(
    recipient: &EncryptionKey,
    info: &[u8],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<(EncapsulatedKey, Vec<u8>), SealError> {
    let recipient = <Kem as hpke::Kem>::PublicKey::from_bytes(&recipient.0)
        .map_err(|_| SealError::BadRecipient)?;
    let (encapsulated, ciphertext) =
        hpke::single_shot_seal::<Aead, Kdf, Kem>(&OpModeS::Base, &recipient, info, plaintext, aad)
            .map_err(|_| SealError::BadRecipient)?;
    Ok((EncapsulatedKey(encapsulated.to_bytes().into()), ciphertext))
}

/// Seals a credit payload to a subject's report key under `context` (see
/// [`payload_context`]).
pub fn seal_payload(
    report_key: &EncryptionKey,
    plaintext: &[u8],
    context: &[u8],
) -> Result<SealedPayload, SealError> {
    let (encapsulated_key, ciphertext) = seal(report_key, INFO_PAYLOAD, plaintext, context)?;
    Ok(SealedPayload {
        encapsulated_key,
        ciphertext: BoundedBytes::new(ciphertext).ok_or(SealError::TooLarge)?,
    })
}

/// Seals `plaintext` to its owner's own encryption key under `context` (for a book's file,
/// its digest): the encapsulated key, then the ciphertext. Only the owner's secret opens it
/// ([`EncryptionSecret::open_own`]); moved under another context it does not open.
pub fn seal_to_self(
    owner: &EncryptionKey,
    plaintext: &[u8],
    context: &[u8],
) -> Result<Vec<u8>, SealError> {
    let (encapsulated, ciphertext) = seal(owner, INFO_OWN_FILE, plaintext, context)?;
    let mut sealed = Vec::with_capacity(ENCAPSULATED_BYTES + ciphertext.len());
    sealed.extend_from_slice(&encapsulated.0);
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

/// Wraps a report private key for a reader (a lender or the audit key) under `context` (see
/// [`report_key_context`]).
pub fn wrap_key(
    reader: &EncryptionKey,
    key: &EncryptionSecret,
    context: &[u8],
) -> Result<SealedKey, SealError> {
    let secret = key.to_bytes();
    let (encapsulated_key, ciphertext) = seal(reader, INFO_REPORT_KEY, secret.as_ref(), context)?;
    let ciphertext: [u8; 48] = ciphertext
        .try_into()
        .expect("a sealed 32-byte key is 48 bytes with its tag");
    Ok(SealedKey {
        encapsulated_key,
        ciphertext: KeyCiphertext(ciphertext),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_open_only_with_the_right_key_and_context() {
        let subject = SubjectId([3; 32]);
        let report = EncryptionSecret::generate();
        let sealed = seal_payload(
            &report.public_key(),
            b"tradeline",
            &payload_context(&subject, 0),
        )
        .unwrap();
        assert_eq!(
            report
                .open_payload(&sealed, &payload_context(&subject, 0))
                .unwrap()
                .as_slice(),
            b"tradeline"
        );
        assert_eq!(
            report.open_payload(&sealed, &payload_context(&subject, 1)),
            Err(SealError::CannotOpen)
        );
        assert_eq!(
            report.open_payload(&sealed, &payload_context(&SubjectId([4; 32]), 0)),
            Err(SealError::CannotOpen)
        );
        let other = EncryptionSecret::generate();
        assert_eq!(
            other.open_payload(&sealed, &payload_context(&subject, 0)),
            Err(SealError::CannotOpen)
        );
    }

    #[test]
    fn wrapped_keys_unwrap_for_the_reader() {
        let subject = SubjectId([3; 32]);
        let report = EncryptionSecret::generate();
        let lender = EncryptionSecret::generate();
        let context = report_key_context(&subject, 2);
        let wrapped = wrap_key(&lender.public_key(), &report, &context).unwrap();
        let unwrapped = lender.unwrap_key(&wrapped, &context).unwrap();
        assert_eq!(unwrapped.public_key(), report.public_key());
        assert!(report.unwrap_key(&wrapped, &context).is_err());
    }

    #[test]
    fn own_files_open_only_for_their_owner_under_their_context() {
        let owner = EncryptionSecret::generate();
        let file = b"HEADER... 123456789 ...".repeat(1000);
        let sealed = seal_to_self(&owner.public_key(), &file, b"digest-1").unwrap();
        assert!(!sealed.windows(9).any(|w| w == b"123456789"));
        assert_eq!(
            owner.open_own(&sealed, b"digest-1").unwrap().as_slice(),
            &file[..]
        );
        assert_eq!(
            owner.open_own(&sealed, b"digest-2"),
            Err(SealError::CannotOpen)
        );
        let thief = EncryptionSecret::generate();
        assert_eq!(
            thief.open_own(&sealed, b"digest-1"),
            Err(SealError::CannotOpen)
        );
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(
            owner.open_own(&tampered, b"digest-1"),
            Err(SealError::CannotOpen)
        );
        assert_eq!(
            owner.open_own(&sealed[..31], b"digest-1"),
            Err(SealError::CannotOpen)
        );
        // A payload sealed to the same key is not an own file, nor the other way round.
        let payload = seal_payload(&owner.public_key(), b"x", b"digest-1").unwrap();
        let mut as_own = payload.encapsulated_key.0.to_vec();
        as_own.extend_from_slice(payload.ciphertext.as_slice());
        assert_eq!(
            owner.open_own(&as_own, b"digest-1"),
            Err(SealError::CannotOpen)
        );
    }

    #[test]
    fn derivation_is_deterministic_and_round_trips() {
        let a = EncryptionSecret::derive(b"seed material that is long enough");
        let b = EncryptionSecret::derive(b"seed material that is long enough");
        assert_eq!(a.public_key(), b.public_key());
        let c = EncryptionSecret::from_bytes(&a.to_bytes()).unwrap();
        assert_eq!(c.public_key(), a.public_key());
    }
}
