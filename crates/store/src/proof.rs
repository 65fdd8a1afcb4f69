//! Proofs that a key holds a value, or holds none, in the state committed to by a root.
//!
//! A verifier needs only the root (from a header the validators signed), the key and the
//! proof: it trusts nothing else from the node that answered.

use crate::db::{CHUNK, Family, Key, VALUE_BYTES_MAX, to_key};
use commonware_codec::{Decode as _, Encode as _, RangeCfg};
use commonware_cryptography::{Sha256, sha256};
use commonware_storage::qmdb::{
    any::value::VariableEncoding,
    current::ordered::proof::constant::{ExclusionProof, KeyValueProof},
};
use credence_types::{Digest, codec::BoundedBytes, state::StateKey};

/// Most digests a decoded proof may hold: far more than a log of 2^64 operations needs.
const PROOF_DIGESTS_MAX: usize = 256;
/// Largest encoded proof, in bytes.
pub const PROOF_BYTES_MAX: usize = 64 * 1024;

type InclusionProof = KeyValueProof<Family, Key, sha256::Digest, CHUNK>;
type AbsenceProof = ExclusionProof<Family, Key, VariableEncoding<Vec<u8>>, sha256::Digest, CHUNK>;

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

pub(crate) fn present(value: Vec<u8>, proof: &InclusionProof) -> StateProof {
    StateProof::Present {
        value: BoundedBytes::new(value).expect("stored values are bounded"),
        proof: BoundedBytes::new(proof.encode().to_vec()).expect("proofs are small"),
    }
}

pub(crate) fn absent(proof: &AbsenceProof) -> StateProof {
    StateProof::Absent {
        proof: BoundedBytes::new(proof.encode().to_vec()).expect("proofs are small"),
    }
}

fn root(digest: &Digest) -> sha256::Digest {
    sha256::Digest::from(digest.0)
}

/// Verifies `proof` for `key` against `state_root`; returns the proven value, or `None` for
/// a proven absence.
pub fn verify(
    key: &StateKey,
    proof: &StateProof,
    state_root: &Digest,
) -> Result<Option<Vec<u8>>, ProofError> {
    let stored = to_key(key);
    let root = root(state_root);
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
