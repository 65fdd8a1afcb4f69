//! Pins ZIP-215 validation: single and batch verification accept exactly the same
//! signatures, and both agree with the reference implementation (`ed25519-consensus`), on
//! the crafted edge cases where Ed25519 implementations historically disagree: small-order
//! keys and nonces, non-canonical point encodings, and non-canonical `s`.
//!
//! If any of these ever diverged, a Byzantine client could craft a transaction that some
//! validators accept and others reject, and split the network.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use commonware_parallel::Sequential;
use credence_crypto::{SignatureError, SigningKey, signing::verify_signature, verify_batch};
use credence_types::{
    Payload, PublicKey, Signature,
    genesis::ChainId,
    ids::ProposalId,
    transaction::{SIGNING_NAMESPACE, SignedTransaction, Transaction},
};
use proptest::prelude::*;

/// Encodings of the eight small-order points, then six non-canonical encodings of small-order
/// points (y ≥ p, or x = 0 with the sign bit set). The ZIP-215 test set.
const SMALL_ORDER: [&str; 14] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

/// The group order ℓ, little-endian.
const ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn point(hex: &str) -> [u8; 32] {
    hex::decode(hex).unwrap().try_into().unwrap()
}

fn transaction(signer: PublicKey, nonce: u64) -> Transaction {
    Transaction {
        chain_id: ChainId::new("zip215").unwrap(),
        signer,
        nonce,
        payload: Payload::ApproveGovernance(ProposalId(7)),
    }
}

/// The message commonware actually signs: the namespace framed with its length.
fn framed(transaction: &Transaction) -> Vec<u8> {
    let mut message = vec![u8::try_from(SIGNING_NAMESPACE.len()).unwrap()];
    message.extend_from_slice(SIGNING_NAMESPACE);
    message.extend_from_slice(&transaction.signing_bytes());
    message
}

fn reference_accepts(key: &[u8; 32], signature: &[u8; 64], message: &[u8]) -> bool {
    let Ok(key) = ed25519_consensus::VerificationKey::try_from(*key) else {
        return false;
    };
    key.verify(&ed25519_consensus::Signature::from(*signature), message)
        .is_ok()
}

fn single_accepts(signed: &SignedTransaction) -> bool {
    verify_signature(
        &signed.transaction.signer,
        SIGNING_NAMESPACE,
        &signed.transaction.signing_bytes(),
        &signed.signature,
    )
    .is_ok()
}

fn batch_accepts(signed: &SignedTransaction) -> bool {
    verify_batch(vec![signed.clone()], &Sequential).is_ok()
}

/// Single, batch and reference verification agree on `signed`, alone and inside a batch of
/// valid signatures; returns what they agreed.
fn agree(signed: &SignedTransaction, honest: &[SignedTransaction]) -> bool {
    let reference = reference_accepts(
        &signed.transaction.signer.0,
        &signed.signature.0,
        &framed(&signed.transaction),
    );
    let single = single_accepts(signed);
    let batch = batch_accepts(signed);
    assert_eq!(
        single, reference,
        "single verification disagrees with ZIP-215 reference"
    );
    assert_eq!(
        batch, reference,
        "batch verification disagrees with ZIP-215 reference"
    );
    let mut mixed = honest.to_vec();
    mixed.insert(honest.len() / 2, signed.clone());
    assert_eq!(
        verify_batch(mixed, &Sequential).is_ok(),
        reference,
        "a batch with honest neighbours disagrees"
    );
    reference
}

fn honest_batch() -> Vec<SignedTransaction> {
    (1..=6)
        .map(|n| {
            let key = SigningKey::from_seed(&[u8::try_from(n).unwrap(); 32]);
            key.sign_transaction(transaction(key.public_key(), n))
        })
        .collect()
}

#[test]
fn small_order_and_non_canonical_encodings_all_verify_everywhere() {
    // With s = 0 and both A and R of small order, the cofactored equation
    // [8][s]B = [8]R + [8][k]A holds for any message: ZIP-215 accepts all 196 pairs, where
    // cofactorless verifiers reject some and accept others.
    let honest = honest_batch();
    let mut accepted = 0;
    for key in SMALL_ORDER {
        for nonce_point in SMALL_ORDER {
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(&point(nonce_point));
            let signed = SignedTransaction {
                transaction: transaction(PublicKey(point(key)), 1),
                signature: Signature(signature),
            };
            if agree(&signed, &honest) {
                accepted += 1;
            }
        }
    }
    assert_eq!(accepted, 196, "ZIP-215 accepts every small-order pair");
}

#[test]
fn non_canonical_s_is_rejected_everywhere() {
    let key = SigningKey::from_seed(&[42; 32]);
    let mut signed = key.sign_transaction(transaction(key.public_key(), 1));
    assert!(agree(&signed, &honest_batch()));
    // s + ℓ is the same scalar, but not its canonical encoding: ZIP-215 requires s < ℓ.
    let mut carry = 0u16;
    for (i, order_byte) in ORDER.iter().enumerate() {
        let sum = u16::from(signed.signature.0[32 + i]) + u16::from(*order_byte) + carry;
        signed.signature.0[32 + i] = sum.to_le_bytes()[0];
        carry = sum >> 8;
    }
    assert!(!agree(&signed, &honest_batch()));
    assert_eq!(
        credence_crypto::verify_one(signed),
        Err(SignatureError::Invalid)
    );
}

#[test]
fn off_curve_keys_are_rejected_everywhere() {
    // y = 2 is not on the curve.
    let mut key = [0u8; 32];
    key[0] = 2;
    let signed = SignedTransaction {
        transaction: transaction(PublicKey(key), 1),
        signature: Signature([0; 64]),
    };
    assert!(!agree(&signed, &honest_batch()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_keys_and_signatures_get_one_verdict(
        key in proptest::array::uniform32(any::<u8>()),
        r in proptest::array::uniform32(any::<u8>()),
        s in proptest::array::uniform32(any::<u8>()),
        pick_small in any::<bool>(),
    ) {
        let key = if pick_small { point(SMALL_ORDER[usize::from(key[0]) % 14]) } else { key };
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&r);
        signature[32..].copy_from_slice(&s);
        let signed = SignedTransaction {
            transaction: transaction(PublicKey(key), 1),
            signature: Signature(signature),
        };
        agree(&signed, &[]);
    }

    #[test]
    fn honest_signatures_verify_everywhere(seed in proptest::array::uniform32(any::<u8>()), nonce in 1u64..) {
        let key = SigningKey::from_seed(&seed);
        let signed = key.sign_transaction(transaction(key.public_key(), nonce));
        prop_assert!(agree(&signed, &honest_batch()));
    }
}
