//! A light client's trust anchor: the validator set of the network file, and the headers it
//! has already found finalised.
//!
//! A certificate is checked once: [`Validators`] remembers the last headers it found
//! finalised with the certificate that showed it, so the many proofs of one report, all
//! against the same header and certificate, cost one check between them. Any other
//! certificate, even for a header already seen, is checked in full.

use crate::{
    certificate::{CertificateError, verify_certificate},
    network::NetworkFile,
    proof::{ProofError, StateProof},
};
use credence_types::{
    Digest, PublicKey,
    api::{CertifiedHeader, EntryProof, ProvenFile},
    codec::decode,
    state::StateKey,
};
use std::{
    collections::{BTreeMap, VecDeque},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

/// Why an answer was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LightError {
    /// The node sent no proof.
    #[error("the answer carries no proof")]
    Unproven,
    /// The header does not hash to the digest it claims.
    #[error("the header does not hash to {0}")]
    HeaderMismatch(Digest),
    /// A field is not the hex it should be, or does not decode.
    #[error("the {0} is malformed")]
    Malformed(&'static str),
    /// The certificate does not finalise the header.
    #[error("certificate: {0}")]
    Certificate(#[from] CertificateError),
    /// The state proof does not lead to the header's state root.
    #[error("state proof: {0}")]
    Proof(#[from] ProofError),
    /// The proof is for another key than the one asked for.
    #[error("the proof is for another key")]
    OtherKey,
    /// The header is older than one this client has already seen finalised: an old answer
    /// replayed, or a node that fell behind.
    #[error("the answer is at height {got}, older than height {seen} already seen")]
    Stale {
        /// The newest finalised height this client has seen.
        seen: u64,
        /// The answer's height.
        got: u64,
    },
    /// The header is older than the client accepts by its own clock.
    #[error("the answer's block is {age_ms} ms old, older than the {max_ms} ms accepted")]
    TooOld {
        /// How old the answer's block is, by this machine's clock.
        age_ms: u64,
        /// The most accepted.
        max_ms: u64,
    },
    /// An entry appears twice in one answer.
    #[error("the answer holds a key twice")]
    Duplicate,
}

/// Finalised headers remembered (digest and the certificate that showed it), newest last.
const REMEMBERED: usize = 64;

/// The validators a light client trusts: those of genesis. Clones share what they have
/// verified.
#[derive(Clone, Debug)]
pub struct Validators {
    keys: Vec<PublicKey>,
    finalised: Arc<Mutex<VecDeque<(Digest, String)>>>,
    newest: Arc<AtomicU64>,
}

impl PartialEq for Validators {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys
    }
}

impl Eq for Validators {}

impl Validators {
    /// The validators of a network's founding file (its genesis and validator set).
    pub fn of(network: &NetworkFile) -> Self {
        Self::new(network.validator_keys())
    }

    /// A given set (for a client configured by hand).
    pub fn new(keys: Vec<PublicKey>) -> Self {
        Self {
            keys,
            finalised: Arc::default(),
            newest: Arc::default(),
        }
    }

    /// The same validators and the headers already checked, but a freshness of its own: for
    /// a client that follows another node, whose heights it orders on their own.
    pub fn fresh_clone(&self) -> Self {
        Self {
            keys: self.keys.clone(),
            finalised: Arc::clone(&self.finalised),
            newest: Arc::default(),
        }
    }

    /// Checks that `certified` is a header finalised by a quorum of these validators, and no
    /// older than the newest header these validators (and their clones) have checked: a
    /// node cannot answer with a state from before one the client has already seen.
    pub fn verify_header(&self, certified: &CertifiedHeader) -> Result<(), LightError> {
        // The header must hash to the digest every time; only a certificate's check of that
        // digest is remembered, and only for the same certificate.
        if certified.header.digest() != certified.digest {
            return Err(LightError::HeaderMismatch(certified.digest));
        }
        if !self.remembers(certified) {
            self.verify_certificate(certified)?;
        }
        self.fresh(certified.header.height.0)
    }

    /// Refuses a height below the newest seen; otherwise makes it the newest.
    fn fresh(&self, height: u64) -> Result<(), LightError> {
        let seen = self.newest.fetch_max(height, Ordering::AcqRel);
        if height < seen {
            return Err(LightError::Stale { seen, got: height });
        }
        Ok(())
    }

    /// The newest finalised height checked so far (0 before any).
    pub fn newest_height(&self) -> u64 {
        self.newest.load(Ordering::Acquire)
    }

    /// Refuses `certified` if its block is older than `max_age` by this machine's clock
    /// (`now_ms`, milliseconds since 1970), as a client configured to want recent answers
    /// does.
    pub fn check_age(
        certified: &CertifiedHeader,
        now_ms: u64,
        max_age: std::time::Duration,
    ) -> Result<(), LightError> {
        let age_ms = now_ms.saturating_sub(certified.header.time.0);
        let max_ms = u64::try_from(max_age.as_millis()).unwrap_or(u64::MAX);
        if age_ms > max_ms {
            return Err(LightError::TooOld { age_ms, max_ms });
        }
        Ok(())
    }

    /// Checks every entry of a proven file against its one header; returns each key's
    /// proven value (`None` for a proven absence).
    pub fn verify_file(
        &self,
        file: &ProvenFile,
    ) -> Result<BTreeMap<StateKey, Option<Vec<u8>>>, LightError> {
        self.verify_header(&file.header)?;
        let root = file.header.header.state_root;
        let mut values = BTreeMap::new();
        for entry in &file.entries {
            let key = parse_key(&entry.key)?;
            let bytes = hex::decode(&entry.proof).map_err(|_| LightError::Malformed("proof"))?;
            let proof: StateProof = decode(&bytes).map_err(|_| LightError::Malformed("proof"))?;
            let value = crate::proof::verify(&key, &proof, &root)?;
            if values.insert(key, value).is_some() {
                return Err(LightError::Duplicate);
            }
        }
        Ok(values)
    }

    fn verify_certificate(&self, certified: &CertifiedHeader) -> Result<(), LightError> {
        let certificate = hex::decode(&certified.certificate)
            .map_err(|_| LightError::Malformed("certificate"))?;
        verify_certificate(&self.keys, &certified.digest, &certificate)?;
        let mut finalised = self
            .finalised
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if finalised.len() == REMEMBERED {
            finalised.pop_front();
        }
        finalised.push_back((certified.digest, certified.certificate.clone()));
        Ok(())
    }

    fn remembers(&self, certified: &CertifiedHeader) -> bool {
        self.finalised
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|(digest, certificate)| {
                *digest == certified.digest && *certificate == certified.certificate
            })
    }

    /// Checks `proof` for the entry under `key`; returns the proven value (`None` for a
    /// proven absence).
    pub fn verify_entry(
        &self,
        key: &str,
        proof: Option<&EntryProof>,
    ) -> Result<Option<Vec<u8>>, LightError> {
        let proof = proof.ok_or(LightError::Unproven)?;
        self.verify_header(&proof.header)?;
        let key = parse_key(key)?;
        let bytes = hex::decode(&proof.proof).map_err(|_| LightError::Malformed("proof"))?;
        let state_proof: StateProof = decode(&bytes).map_err(|_| LightError::Malformed("proof"))?;
        Ok(crate::proof::verify(
            &key,
            &state_proof,
            &proof.header.header.state_root,
        )?)
    }
}

fn parse_key(key: &str) -> Result<StateKey, LightError> {
    let mut bytes = [0u8; credence_types::state::KEY_LEN];
    hex::decode_to_slice(key, &mut bytes).map_err(|_| LightError::Malformed("key"))?;
    Ok(StateKey(bytes))
}

/// Checks that the entry the node answered is for the key the client asked about.
pub fn expect_key(asked: &StateKey, answered: &str) -> Result<(), LightError> {
    if parse_key(answered)? != *asked {
        return Err(LightError::OtherKey);
    }
    Ok(())
}
