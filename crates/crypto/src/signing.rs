//! Transaction signatures: Ed25519 under ZIP-215.
//!
//! ZIP-215 fixes exactly which signatures are valid (cofactored verification, canonical `s`,
//! non-canonical point encodings accepted), and `commonware-cryptography` implements it for
//! both single and batch verification. That equality is what keeps a Byzantine client from
//! crafting a signature that some validators accept and others reject; the tests in
//! `tests/zip215.rs` pin it against the reference implementation.
//!
//! A [`VerifiedTransaction`] can only be made by verifying, so code that takes one (the state
//! machine) cannot be handed an unchecked signature by mistake.

use commonware_codec::{Copying, DecodeExt as _, Encode as _};
use commonware_cryptography::{
    BatchEntry, BatchVerifier as _, Signer as _, Verifier as _, ed25519,
};
use commonware_parallel::Strategy;
use credence_types::{
    Digest, PublicKey, Signature,
    transaction::{SIGNING_NAMESPACE, SignedTransaction, Transaction},
};
use zeroize::Zeroizing;

/// A signature did not verify.
#[derive(Clone, Copy, Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// The signer's key is not a point on the curve.
    #[error("the signer's key is not a valid Ed25519 public key")]
    MalformedKey,
    /// The signature does not verify under the signer's key.
    #[error("the signature does not verify")]
    Invalid,
}

/// An Ed25519 signing key. Its secret never leaves this type except through
/// [`SigningKey::to_seed`], which returns it in zeroizing memory for a key file.
#[derive(Clone)]
pub struct SigningKey {
    inner: ed25519::PrivateKey,
    public: PublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.public)
    }
}

impl SigningKey {
    /// A fresh key from the operating system's randomness.
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).expect("the operating system must provide randomness");
        Self::from_seed(&seed)
    }

    /// The key with this 32-byte seed (RFC 8032 private key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let inner =
            ed25519::PrivateKey::decode(Copying(&seed[..])).expect("any 32 bytes are a seed");
        let public = PublicKey(
            inner
                .public_key()
                .encode()
                .as_ref()
                .try_into()
                .expect("an Ed25519 public key is 32 bytes"),
        );
        Self { inner, public }
    }

    /// The 32-byte seed, for writing to a key file.
    pub fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        let encoded = Zeroizing::new(self.inner.encode().to_vec());
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&encoded);
        seed
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// The key as the consensus engine takes it: a validator signs its votes with the same
    /// key as its transactions, under another namespace.
    pub fn engine_key(&self) -> ed25519::PrivateKey {
        self.inner.clone()
    }

    /// Signs `message` under `namespace`.
    pub fn sign(&self, namespace: &[u8], message: &[u8]) -> Signature {
        let signature = self.inner.sign(namespace, message);
        Signature(
            signature
                .encode()
                .as_ref()
                .try_into()
                .expect("an Ed25519 signature is 64 bytes"),
        )
    }

    /// Signs a transaction. The transaction's signer must be this key.
    pub fn sign_transaction(&self, transaction: Transaction) -> SignedTransaction {
        assert_eq!(
            transaction.signer, self.public,
            "a key must only sign as itself"
        );
        let signature = self.sign(SIGNING_NAMESPACE, &transaction.signing_bytes());
        SignedTransaction {
            transaction,
            signature,
        }
    }
}

/// Whether `key` is an Ed25519 public key at all (a point's encoding): a key that is not can
/// verify no signature and sign no vote.
pub fn is_public_key(key: &PublicKey) -> bool {
    ed25519::PublicKey::decode(Copying(&key.0[..])).is_ok()
}

/// Checks one signature over `message` under `namespace`.
pub fn verify_signature(
    key: &PublicKey,
    namespace: &[u8],
    message: &[u8],
    signature: &Signature,
) -> Result<(), SignatureError> {
    let key = ed25519::PublicKey::decode(Copying(&key.0[..]))
        .map_err(|_| SignatureError::MalformedKey)?;
    let signature = ed25519::Signature::decode(Copying(&signature.0[..]))
        .map_err(|_| SignatureError::Invalid)?;
    if key.verify(namespace, message, &signature) {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

/// A transaction whose signature has been checked, with its hash computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTransaction {
    transaction: SignedTransaction,
    hash: Digest,
}

impl VerifiedTransaction {
    /// The signed transaction.
    pub fn signed(&self) -> &SignedTransaction {
        &self.transaction
    }

    /// The transaction.
    pub fn transaction(&self) -> &Transaction {
        &self.transaction.transaction
    }

    /// The transaction's hash.
    pub fn hash(&self) -> Digest {
        self.hash
    }

    /// Unwraps the signed transaction.
    pub fn into_signed(self) -> SignedTransaction {
        self.transaction
    }
}

/// Verifies one transaction's signature.
pub fn verify_one(transaction: SignedTransaction) -> Result<VerifiedTransaction, SignatureError> {
    verify_signature(
        &transaction.transaction.signer,
        SIGNING_NAMESPACE,
        &transaction.transaction.signing_bytes(),
        &transaction.signature,
    )?;
    let hash = transaction.hash();
    Ok(VerifiedTransaction { transaction, hash })
}

/// Verifies many transactions at once with batch verification spread by `strategy`.
///
/// Returns every transaction verified, or the index of the first that is not (see
/// [`verify_each`]).
pub fn verify_batch(
    transactions: Vec<SignedTransaction>,
    strategy: &impl Strategy,
) -> Result<Vec<VerifiedTransaction>, (usize, SignatureError)> {
    verify_each(transactions, strategy)
        .into_iter()
        .enumerate()
        .map(|(index, result)| result.map_err(|error| (index, error)))
        .collect()
}

/// Verifies many transactions at once with batch verification spread by `strategy`, and
/// answers for each. A batch that fails is re-checked one signature at a time to find the
/// culprits; under ZIP-215 the two checks accept exactly the same signatures, so this only
/// locates the failures (if they ever disagreed, every transaction is refused: the safe
/// answer).
pub fn verify_each(
    transactions: Vec<SignedTransaction>,
    strategy: &impl Strategy,
) -> Vec<Result<VerifiedTransaction, SignatureError>> {
    let mut parsed = Vec::with_capacity(transactions.len());
    let mut errors: Vec<Option<SignatureError>> = vec![None; transactions.len()];
    for (index, signed) in transactions.iter().enumerate() {
        let key = ed25519::PublicKey::decode(Copying(&signed.transaction.signer.0[..]));
        let signature = ed25519::Signature::decode(Copying(&signed.signature.0[..]));
        match (key, signature) {
            (Ok(key), Ok(signature)) => {
                parsed.push((index, key, signature, signed.transaction.signing_bytes()));
            }
            (Err(_), _) => errors[index] = Some(SignatureError::MalformedKey),
            (_, Err(_)) => errors[index] = Some(SignatureError::Invalid),
        }
    }
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let all_valid = parsed.is_empty()
        || ed25519::PublicKey::verify_batch(
            &mut rng,
            &parsed,
            |_, (_, key, signature, message)| BatchEntry {
                namespace: SIGNING_NAMESPACE,
                message,
                public_key: key,
                signature,
            },
            strategy,
        );
    if !all_valid {
        let mut found = false;
        for (index, key, signature, message) in &parsed {
            if !key.verify(SIGNING_NAMESPACE, message, signature) {
                errors[*index] = Some(SignatureError::Invalid);
                found = true;
            }
        }
        if !found {
            errors
                .iter_mut()
                .for_each(|e| *e = Some(SignatureError::Invalid));
        }
    }
    transactions
        .into_iter()
        .zip(errors)
        .map(|(transaction, error)| match error {
            Some(error) => Err(error),
            None => {
                let hash = transaction.hash();
                Ok(VerifiedTransaction { transaction, hash })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_parallel::Sequential;
    use credence_types::{Payload, genesis::ChainId, ids::ProposalId, transaction::Transaction};

    fn transaction(key: &SigningKey, nonce: u64) -> SignedTransaction {
        key.sign_transaction(Transaction {
            chain_id: ChainId::new("test").unwrap(),
            signer: key.public_key(),
            nonce,
            payload: Payload::ApproveGovernance(ProposalId(nonce)),
        })
    }

    #[test]
    fn sign_then_verify() {
        let key = SigningKey::from_seed(&[7; 32]);
        let signed = transaction(&key, 1);
        let verified = verify_one(signed.clone()).unwrap();
        assert_eq!(verified.hash(), signed.hash());
        assert_eq!(
            SigningKey::from_seed(&key.to_seed()).public_key(),
            key.public_key()
        );
    }

    #[test]
    fn tampering_is_detected_alone_and_in_a_batch() {
        let key = SigningKey::from_seed(&[7; 32]);
        let mut batch: Vec<_> = (1..=8).map(|n| transaction(&key, n)).collect();
        assert!(verify_batch(batch.clone(), &Sequential).is_ok());
        batch[5].transaction.nonce = 99;
        assert_eq!(verify_one(batch[5].clone()), Err(SignatureError::Invalid));
        assert_eq!(
            verify_batch(batch, &Sequential).unwrap_err(),
            (5, SignatureError::Invalid)
        );
    }

    #[test]
    fn signatures_are_bound_to_their_namespace() {
        let key = SigningKey::from_seed(&[1; 32]);
        let signature = key.sign(b"credence/other", b"message");
        assert!(
            verify_signature(&key.public_key(), b"credence/other", b"message", &signature).is_ok()
        );
        assert!(
            verify_signature(&key.public_key(), SIGNING_NAMESPACE, b"message", &signature).is_err()
        );
    }
}
