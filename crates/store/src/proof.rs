//! Making proofs that a key holds a value, or holds none, in the state committed to by a
//! root. Their format and their verification are the light client's
//! ([`credence_light::proof`]), so the producer and every verifier share one definition.

use commonware_codec::Encode as _;
use credence_light::proof::{AbsenceProof, InclusionProof, PROOF_BYTES_MAX};
pub use credence_light::proof::{ProofError, StateProof, verify};
use credence_types::codec::BoundedBytes;

pub(crate) fn present(value: Vec<u8>, proof: &InclusionProof) -> StateProof {
    StateProof::Present {
        value: BoundedBytes::new(value).expect("stored values are bounded"),
        proof: bounded(proof.encode().to_vec()),
    }
}

pub(crate) fn absent(proof: &AbsenceProof) -> StateProof {
    StateProof::Absent {
        proof: bounded(proof.encode().to_vec()),
    }
}

fn bounded(proof: Vec<u8>) -> BoundedBytes<PROOF_BYTES_MAX> {
    BoundedBytes::new(proof).expect("proofs are small")
}
