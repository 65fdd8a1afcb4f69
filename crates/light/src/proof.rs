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
    limits::STATE_VALUE_BYTES_MAX,
    state::{KEY_LEN, StateKey},
};

/// A state key as the store keeps it.
pub type Key = FixedBytes<KEY_LEN>;
/// The store's Merkle family (a Merkle mountain range).
pub type Family = mmr::Family;
/// Bytes of activity bitmap grafted per Merkle leaf: one digest's worth, which keeps proofs
/// smallest.
pub const CHUNK: usize = 32;
/// Largest value the store accepts, in bytes: the largest value ledger state holds
/// ([`STATE_VALUE_BYTES_MAX`], derived from the format's limits and checked against the
/// largest object of every table).
pub const VALUE_BYTES_MAX: usize = STATE_VALUE_BYTES_MAX;
/// Most digests a decoded proof may hold: far more than a log of 2^64 operations needs.
const PROOF_DIGESTS_MAX: usize = 256;
/// Largest encoded proof, in bytes, as the node serves it and the client decodes it.
pub const PROOF_BYTES_MAX: usize = 64 * 1024;

/// Longest varint of a `u64` (a location, a leaf count).
const VARINT_U64_BYTES_MAX: usize = 10;
/// Longest varint of a length.
const VARINT_LENGTH_BYTES_MAX: usize = 5;
/// Largest encoding of the operation proof inside every state proof: the operation's
/// location, its bitmap chunk, and the range proof (leaf count, inactive peaks, up to
/// [`PROOF_DIGESTS_MAX`] digests with their count, the pending and partial chunk digests
/// with their option tags, and the operations root).
pub const OPERATION_PROOF_BYTES_MAX: usize = VARINT_U64_BYTES_MAX
    + CHUNK
    + 2 * VARINT_U64_BYTES_MAX
    + VARINT_LENGTH_BYTES_MAX
    + PROOF_DIGESTS_MAX * DIGEST_BYTES
    + 2 * (1 + DIGEST_BYTES)
    + DIGEST_BYTES;
/// Largest encoded inclusion proof: the operation proof and the next key. (The value travels
/// beside it, bounded by [`VALUE_BYTES_MAX`].)
pub const INCLUSION_PROOF_BYTES_MAX: usize = OPERATION_PROOF_BYTES_MAX + KEY_LEN;
/// Largest encoded absence proof. It carries the neighbouring entry whole — its key, its
/// value and the next key — because the Merkle leaf commits to the encoded operation, value
/// included, so nothing less lets a verifier recompute the leaf. With every stored value at
/// most [`VALUE_BYTES_MAX`], an absence proof beside any entry stays within
/// [`PROOF_BYTES_MAX`]; the other form (an empty store's last commit, with its metadata)
/// is smaller still.
pub const ABSENCE_PROOF_BYTES_MAX: usize =
    1 + OPERATION_PROOF_BYTES_MAX + 2 * KEY_LEN + VARINT_LENGTH_BYTES_MAX + VALUE_BYTES_MAX;
const _: () = assert!(ABSENCE_PROOF_BYTES_MAX <= PROOF_BYTES_MAX);
const _: () = assert!(INCLUSION_PROOF_BYTES_MAX <= PROOF_BYTES_MAX);
const DIGEST_BYTES: usize = 32;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proof_bounds_are_the_documented_figures() {
        // ARCHITECTURE.md ("State store") quotes these.
        assert_eq!(VALUE_BYTES_MAX, 12_800);
        assert_eq!(INCLUSION_PROOF_BYTES_MAX, 8_405);
        assert_eq!(ABSENCE_PROOF_BYTES_MAX, 21_259);
    }
}
