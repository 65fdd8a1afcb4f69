//! State proofs: that a key holds a value, or holds none, in the state a root commits to.
//!
//! The store (`credence-store`) produces them; anyone verifies them with the root from a
//! header the validators signed, the key and the proof, trusting nothing else from the node
//! that answered. The proof format is defined here, once, for both sides.

use commonware_codec::{Decode as _, RangeCfg};
use commonware_cryptography::{Sha256, sha256};
use commonware_storage::{
    merkle::mmr,
    qmdb::{
        any::value::VariableEncoding,
        current::ordered::proof::constant::{ExclusionProof, KeyValueProof},
    },
};
use commonware_utils::sequence::FixedBytes;
use credence_types::{
    Digest,
    codec::BoundedBytes,
    state::{KEY_LEN, StateKey},
};

/// A state key as the store keeps it.
pub type Key = FixedBytes<KEY_LEN>;
/// The store's Merkle family (a Merkle mountain range).
pub type Family = mmr::Family;
/// Bytes of activity bitmap grafted per Merkle leaf: one digest's worth, which keeps proofs
/// smallest.
pub const CHUNK: usize = 32;
/// Largest value the store accepts, in bytes.
pub const VALUE_BYTES_MAX: usize = 16 << 20;
/// Most digests a decoded proof may hold: far more than a log of 2^64 operations needs.
const PROOF_DIGESTS_MAX: usize = 256;
/// Largest encoded proof, in bytes.
pub const PROOF_BYTES_MAX: usize = 64 * 1024;

/// The store's proof that a key holds a value.
pub type InclusionProof = KeyValueProof<Family, Key, sha256::Digest, CHUNK>;
/// The store's proof that a key holds nothing.
pub type AbsenceProof =
    ExclusionProof<Family, Key, VariableEncoding<Vec<u8>>, sha256::Digest, CHUNK>;

/// A key's value with a proof that it is current, or a proof that the key has no value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum StateProof {
    /// The key holds `value`.
    Present {
        /// The value.
        value: BoundedBytes<VALUE_BYTES_MAX>,
        /// The encoded inclusion proof.
        proof: BoundedBytes<PROOF_BYTES_MAX>,
    },
    /// The key holds nothing.
    Absent {
        /// The encoded exclusion proof.
        proof: BoundedBytes<PROOF_BYTES_MAX>,
    },
}
credence_types::codec_tagged!(StateProof {
    1 => Present { value, proof },
    2 => Absent { proof },
});

/// A proof did not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// The proof bytes do not decode.
    #[error("the proof is malformed")]
    Malformed,
    /// The proof does not lead to the root.
    #[error("the proof does not match the state root")]
    Mismatch,
}

/// The store's form of a state key.
pub fn to_key(key: &StateKey) -> Key {
    FixedBytes::new(key.0)
}

/// Verifies `proof` for `key` against `state_root`; returns the proven value, or `None` for
/// a proven absence.
pub fn verify(
    key: &StateKey,
    proof: &StateProof,
    state_root: &Digest,
) -> Result<Option<Vec<u8>>, ProofError> {
    let stored = to_key(key);
    let root = sha256::Digest::from(state_root.0);
    match proof {
        StateProof::Present { value, proof } => {
            let decoded =
                InclusionProof::decode_cfg(proof.as_slice().to_vec(), &(PROOF_DIGESTS_MAX, ()))
                    .map_err(|_| ProofError::Malformed)?;
            if decoded.verify::<Sha256, VariableEncoding<Vec<u8>>>(
                stored,
                value.as_slice().to_vec(),
                &root,
            ) {
                Ok(Some(value.as_slice().to_vec()))
            } else {
                Err(ProofError::Mismatch)
            }
        }
        StateProof::Absent { proof } => {
            let values = (RangeCfg::new(0..=VALUE_BYTES_MAX), ());
            let decoded = AbsenceProof::decode_cfg(
                proof.as_slice().to_vec(),
                &(PROOF_DIGESTS_MAX, ((), values), values),
            )
            .map_err(|_| ProofError::Malformed)?;
            if decoded.verify::<Sha256>(&stored, &root) {
                Ok(None)
            } else {
                Err(ProofError::Mismatch)
            }
        }
    }
}
