//! Fuzz entry points: the contract of the state-proof decoder and verifier, which read a
//! node's untrusted answer, as a function that panics when the contract is broken.
//!
//! The cargo-fuzz target `proof` in `fuzz/` and the proptest twin in `tests/decoding_fuzz.rs`
//! call the same function. Built only with the `fuzzing` feature.

use crate::proof::{StateProof, verify};
use credence_types::{
    Digest,
    codec::{BoundedBytes, decode},
    fuzzing::assert_canonical,
    state::{KEY_LEN, StateKey},
};

/// A state proof as a node sends it, checked for a key against a root: `bytes` is the key
/// (48 bytes), the root (32 bytes) and the encoded [`StateProof`].
///
/// Decoding and verifying never panic; a proof that decodes re-encodes to its input; a
/// proof that verifies proves what its kind says (the value it carries, or an absence), and
/// is for that root only and, when it proves a value, for that key and value only. Returns
/// the verified value (`None` for a proven absence), if the proof verifies.
pub fn proof(bytes: &[u8]) -> Option<Option<Vec<u8>>> {
    let (key, rest) = bytes.split_first_chunk::<KEY_LEN>()?;
    let (root, encoded) = rest.split_first_chunk::<32>()?;
    let key = StateKey(*key);
    let root = Digest(*root);
    let proof = decode::<StateProof>(encoded).ok()?;
    assert_canonical(&proof, encoded);
    let verified = verify(&key, &proof, &root).ok()?;
    match (&proof, &verified) {
        (StateProof::Present { value, .. }, Some(proven)) => {
            assert_eq!(
                value.as_slice(),
                proven,
                "the proven value is the one carried"
            );
        }
        (StateProof::Absent { .. }, None) => {}
        (StateProof::Present { .. }, None) | (StateProof::Absent { .. }, Some(_)) => {
            panic!("a proof must prove what its kind says")
        }
    }
    let mut other_root = root;
    other_root.0[31] ^= 1;
    assert!(
        verify(&key, &proof, &other_root).is_err(),
        "a proof that verifies must be for its root only"
    );
    if let StateProof::Present { value, proof: path } = &proof {
        let mut other_key = key;
        other_key.0[KEY_LEN - 1] ^= 1;
        assert!(
            verify(&other_key, &proof, &root).is_err(),
            "an inclusion proof must be for its key only"
        );
        let mut forged = value.as_slice().to_vec();
        match forged.last_mut() {
            Some(last) => *last ^= 1,
            None => forged.push(0),
        }
        if let Some(forged) = BoundedBytes::new(forged) {
            let forged = StateProof::Present {
                value: forged,
                proof: path.clone(),
            };
            assert!(
                verify(&key, &forged, &root).is_err(),
                "an inclusion proof must be for its value only"
            );
        }
    }
    Some(verified)
}
