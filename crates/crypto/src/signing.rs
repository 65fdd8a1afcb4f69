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

use crate::KeyCache;
use commonware_codec::{Copying, DecodeExt as _, Encode as _};
use commonware_cryptography::{
    BatchEntry, BatchVerifier as _, Signer as _, Verifier as _, ed25519,
};
use commonware_parallel::Strategy;
use credence_types::{
    Digest, PublicKey, Signature,
    transaction::{SIGNING_NAMESPACE, SignedTransaction, Transaction},
};
use std::sync::Arc;
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

/// A transaction whose signature has been checked, with its hash computed once. Shared, not
/// copied: the mempool, the blocks built and verified from it, and the chain's pending and
/// committed blocks all hold the same allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTransaction {
    transaction: Arc<SignedTransaction>,
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

    /// Unwraps the signed transaction (copying it if it is shared).
    pub fn into_signed(self) -> SignedTransaction {
        Arc::unwrap_or_clone(self.transaction)
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
    Ok(VerifiedTransaction {
        transaction: Arc::new(transaction),
        hash,
    })
}

/// Verifies many transactions at once with batch verification spread by `strategy`.
///
/// Returns every transaction verified, or the index of the first that is not (see
/// [`verify_each`]).
pub fn verify_batch(
    transactions: Vec<SignedTransaction>,
    strategy: &impl Strategy,
) -> Result<Vec<VerifiedTransaction>, (usize, SignatureError)> {
    first_failure(verify_each(transactions, strategy))
}

/// [`verify_batch`] with the signers' keys taken from (and kept in) `keys`.
pub fn verify_batch_cached(
    transactions: Vec<SignedTransaction>,
    strategy: &impl Strategy,
    keys: &KeyCache,
) -> Result<Vec<VerifiedTransaction>, (usize, SignatureError)> {
    first_failure(verify_each_cached(transactions, strategy, keys))
}

fn first_failure(
    results: Vec<Result<VerifiedTransaction, SignatureError>>,
) -> Result<Vec<VerifiedTransaction>, (usize, SignatureError)> {
    results
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
    verify_each_with(transactions, strategy, |signers| {
        signers
            .iter()
            .map(|key| ed25519::PublicKey::decode(Copying(&key.0[..])).ok())
            .collect()
    })
}

/// [`verify_each`] with the signers' keys taken from (and kept in) `keys`: the same verdicts,
/// one point decompression a signature fewer for a signer seen before.
pub fn verify_each_cached(
    transactions: Vec<SignedTransaction>,
    strategy: &impl Strategy,
    keys: &KeyCache,
) -> Vec<Result<VerifiedTransaction, SignatureError>> {
    verify_each_with(transactions, strategy, |signers| keys.decode(signers))
}

/// [`verify_each`], the signers' keys decoded by `decode_keys` (one answer a signer, in order;
/// `None` for bytes that are not a key).
fn verify_each_with(
    transactions: Vec<SignedTransaction>,
    strategy: &impl Strategy,
    decode_keys: impl FnOnce(&[&PublicKey]) -> Vec<Option<ed25519::PublicKey>>,
) -> Vec<Result<VerifiedTransaction, SignatureError>> {
    let signers: Vec<&PublicKey> = transactions
        .iter()
        .map(|signed| &signed.transaction.signer)
        .collect();
    // A signer the decoder gave no answer for counts as a key that does not decode: every
    // transaction is answered, none by default.
    let mut keys = decode_keys(&signers).into_iter();
    let mut parsed = Vec::with_capacity(transactions.len());
    let mut errors: Vec<Option<SignatureError>> = vec![None; transactions.len()];
    for (index, signed) in transactions.iter().enumerate() {
        let key = keys.next().flatten();
        let signature = ed25519::Signature::decode(Copying(&signed.signature.0[..]));
        match (key, signature) {
            (Some(key), Ok(signature)) => {
                parsed.push((index, key, signature, signed.transaction.signing_bytes()));
            }
            (None, _) => errors[index] = Some(SignatureError::MalformedKey),
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
                Ok(VerifiedTransaction {
                    transaction: Arc::new(transaction),
                    hash,
                })
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

    /// What an attacker who keeps every transaction it ever saw can send: valid ones, their
    /// tampered copies, signers whose bytes are no key, a known signer's key under another's
    /// signature. A cached key must never turn a verdict: cold or warm, the cache answers
    /// exactly as decoding every key afresh does.
    #[test]
    fn a_signer_seen_before_is_judged_as_a_stranger_would_be() {
        use proptest::{collection::vec, prelude::*, test_runner::TestRunner};
        let keys: Vec<SigningKey> = (0..4u8).map(|n| SigningKey::from_seed(&[n; 32])).collect();
        let cache = KeyCache::new(std::num::NonZeroUsize::new(2).unwrap());
        let mut runner = TestRunner::default();
        runner
            .run(&vec((0..4usize, 1..50u64, 0..4u8), 1..24), |picks| {
                let batch: Vec<SignedTransaction> = picks
                    .iter()
                    .map(|&(signer, nonce, mischief)| {
                        let mut signed = transaction(&keys[signer], nonce);
                        match mischief {
                            1 => signed.transaction.nonce += 1,
                            2 => signed.transaction.signer = PublicKey([2; 32]),
                            3 => {
                                signed.transaction.signer =
                                    keys[(signer + 1) % keys.len()].public_key();
                            }
                            _ => {}
                        }
                        signed
                    })
                    .collect();
                let fresh = verify_each(batch.clone(), &Sequential);
                for _ in 0..2 {
                    prop_assert_eq!(
                        &verify_each_cached(batch.clone(), &Sequential, &cache),
                        &fresh
                    );
                }
                Ok(())
            })
            .unwrap();
        assert!(cache.len() <= 4);
    }

    #[test]
    fn a_signer_the_key_decoder_left_unanswered_is_refused() {
        let key = SigningKey::from_seed(&[9; 32]);
        let batch: Vec<_> = (1..=3).map(|n| transaction(&key, n)).collect();
        let answers = verify_each_with(batch, &Sequential, |_| Vec::new());
        assert!(
            answers
                .iter()
                .all(|answer| answer == &Err(SignatureError::MalformedKey))
        );
    }
}
