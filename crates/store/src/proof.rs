//! Making proofs that a key holds a value, or holds none, in the state committed to by a
//! root. Their format and their verification are the light client's
//! ([`credence_light::proof`]), so the producer and every verifier share one definition.
//!
//! Every proof fits [`PROOF_BYTES_MAX`] because every stored value fits
//! [`credence_light::proof::VALUE_BYTES_MAX`] (the store refuses larger ones): an absence
//! proof carries its neighbouring entry whole, and is bounded by
//! [`credence_light::proof::ABSENCE_PROOF_BYTES_MAX`]. A proof that would not fit anyway (a
//! store written by another version) is an error, never a panic.

use crate::db::StoreError;
use commonware_codec::Encode as _;
use credence_light::proof::{AbsenceProof, InclusionProof, PROOF_BYTES_MAX};
pub use credence_light::proof::{ProofError, StateProof, verify};
use credence_types::codec::BoundedBytes;

pub(crate) fn present(value: Vec<u8>, proof: &InclusionProof) -> Result<StateProof, StoreError> {
    let bytes = value.len();
    Ok(StateProof::Present {
        value: BoundedBytes::new(value).ok_or(StoreError::ValueTooLarge(bytes))?,
        proof: bounded(proof.encode().to_vec())?,
    })
}

pub(crate) fn absent(proof: &AbsenceProof) -> Result<StateProof, StoreError> {
    Ok(StateProof::Absent {
        proof: bounded(proof.encode().to_vec())?,
    })
}

fn bounded(proof: Vec<u8>) -> Result<BoundedBytes<PROOF_BYTES_MAX>, StoreError> {
    let bytes = proof.len();
    BoundedBytes::new(proof).ok_or(StoreError::ProofTooLarge(bytes))
}
