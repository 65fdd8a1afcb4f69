//! A light client's trust anchor: the validator sets of the epochs it has followed, from
//! genesis's, and the headers it has already found finalised.
//!
//! The client trusts epoch 0's validators from the network file. It learns each later
//! epoch's from the one before ([`Validators::advance`]): the new epoch's record, proven in the
//! state of the last block of the epoch before, whose header a quorum of that epoch's
//! validators finalised. A certificate is checked only against the set of the epoch it names,
//! and only for a header inside that epoch's heights, so a certificate signed by a set the
//! chain never named is refused, whoever signed it.
//!
//! A certificate is checked once: [`Validators`] remembers the last headers it found
//! finalised with the certificate that showed it, so the many proofs of one report, all
//! against the same header and certificate, cost one check between them. Any other
//! certificate, even for a header already seen, is checked in full.

use crate::{
    certificate::{CertificateError, certificate_epoch, verify_certificate},
    network::NetworkFile,
    proof::{ProofError, StateProof},
};
use credence_types::{
    Digest, Height, PublicKey,
    api::{CertifiedHeader, EntryProof, EpochTransition, ProvenFile},
    codec::decode,
    epoch::{EpochRecord, ValidatorList},
    ids::InstitutionId,
    state::StateKey,
};
use std::{
    collections::{BTreeMap, VecDeque},
    sync::{
        Arc, Mutex, PoisonError, RwLock,
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
    /// The certificate names an epoch this client has not followed yet: fetch the epochs
    /// after `known` and [`Validators::advance`] through them, then check again.
    #[error("the certificate is of epoch {epoch}; this client knows epochs up to {known}")]
    EpochUnknown {
        /// The certificate's epoch.
        epoch: u64,
        /// The newest epoch this client knows.
        known: u64,
    },
    /// The header's height is outside the heights of the epoch its certificate names.
    #[error("the header at height {height} is not in epoch {epoch}")]
    OutsideEpoch {
        /// The header's height.
        height: u64,
        /// The certificate's epoch.
        epoch: u64,
    },
    /// An epoch transition does not lead from the newest epoch known to the next.
    #[error("the epoch transition is not valid: {0}")]
    Transition(&'static str),
}

/// Finalised headers remembered (digest and the certificate that showed it), newest last.
const REMEMBERED: usize = 64;

/// The validators a light client trusts: genesis's, then each epoch's as it follows them.
/// Clones share the epochs they learn and the headers they have verified.
#[derive(Clone, Debug)]
pub struct Validators {
    /// Every epoch followed so far, by number from 0.
    epochs: Arc<RwLock<Vec<EpochRecord>>>,
    finalised: Arc<Mutex<VecDeque<(Digest, String)>>>,
    newest: Arc<AtomicU64>,
}

impl PartialEq for Validators {
    fn eq(&self, other: &Self) -> bool {
        self.epoch(0) == other.epoch(0)
    }
}

impl Eq for Validators {}

impl Validators {
    /// The validators of a network's founding file: its genesis's, for epoch 0.
    pub fn of(network: &NetworkFile) -> Self {
        let last_height = network
            .genesis
            .parameters
            .epoch_length_blocks
            .saturating_sub(1);
        Self::starting(EpochRecord {
            epoch: 0,
            first_height: Height(0),
            last_height: Height(last_height),
            validators: ValidatorList::new(network.genesis_validators())
                .unwrap_or_else(ValidatorList::empty),
        })
    }

    /// A given set, trusted for every height (for a client configured by hand).
    pub fn new(keys: Vec<PublicKey>) -> Self {
        let validators = keys
            .into_iter()
            .zip(0u64..)
            .map(|(key, id)| credence_types::epoch::EpochValidator {
                institution: InstitutionId(id),
                seat: credence_types::epoch::ConsensusSeat {
                    key,
                    address: credence_types::epoch::PeerAddress(std::net::SocketAddr::from((
                        [0, 0, 0, 0],
                        0,
                    ))),
                },
            })
            .collect();
        Self::starting(EpochRecord {
            epoch: 0,
            first_height: Height(0),
            last_height: Height(u64::MAX),
            validators: ValidatorList::new(validators).unwrap_or_else(ValidatorList::empty),
        })
    }

    /// Validators trusting `first` as epoch 0 (for a client configured by hand, and for
    /// tests).
    pub fn starting(first: EpochRecord) -> Self {
        Self {
            epochs: Arc::new(RwLock::new(vec![first])),
            finalised: Arc::default(),
            newest: Arc::default(),
        }
    }

    /// The same validators and the headers already checked, but a freshness of its own: for
    /// a client that follows another node, whose heights it orders on their own.
    pub fn fresh_clone(&self) -> Self {
        Self {
            epochs: Arc::clone(&self.epochs),
            finalised: Arc::clone(&self.finalised),
            newest: Arc::default(),
        }
    }

    /// The record of `epoch`, if this client has followed the chain there.
    pub fn epoch(&self, epoch: u64) -> Option<EpochRecord> {
        let index = usize::try_from(epoch).ok()?;
        self.epochs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(index)
            .cloned()
    }

    /// The newest epoch this client has followed.
    pub fn newest_epoch(&self) -> u64 {
        let count = self
            .epochs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        u64::try_from(count).unwrap_or(u64::MAX).saturating_sub(1)
    }

    /// The epoch `certified`'s certificate names, without checking anything else: what a
    /// client must have followed to check it.
    pub fn epoch_of(certified: &CertifiedHeader) -> Result<u64, LightError> {
        let certificate = hex::decode(&certified.certificate)
            .map_err(|_| LightError::Malformed("certificate"))?;
        Ok(certificate_epoch(&certificate)?)
    }

    /// Follows the chain into the next epoch: checks that `transition` proves the record of
    /// the epoch after the newest known, in the state of that epoch's last block, finalised by
    /// its validators; then trusts the new record's validators for its heights.
    pub fn advance(&self, transition: &EpochTransition) -> Result<(), LightError> {
        let known = self.newest_epoch();
        if transition.epoch <= known {
            // Already followed: nothing to learn, but a different record is a lie.
            return match self.epoch(transition.epoch) {
                Some(record) if record == transition.record => Ok(()),
                _ => Err(LightError::Transition(
                    "it contradicts an epoch already followed",
                )),
            };
        }
        if transition.epoch != known + 1 {
            return Err(LightError::Transition("it skips an epoch"));
        }
        let previous = self
            .epoch(known)
            .ok_or(LightError::Transition("no epoch is known"))?;
        let header = &transition.header;
        if header.header.height != previous.last_height {
            return Err(LightError::Transition(
                "its header is not the last block of the epoch before",
            ));
        }
        self.check_certified(header)?;
        let bytes = hex::decode(&transition.proof).map_err(|_| LightError::Malformed("proof"))?;
        let proof: StateProof = decode(&bytes).map_err(|_| LightError::Malformed("proof"))?;
        let value = crate::proof::verify(
            &StateKey::epoch(transition.epoch),
            &proof,
            &header.header.state_root,
        )?
        .ok_or(LightError::Transition("the proof shows no record"))?;
        let record: EpochRecord =
            decode(&value).map_err(|_| LightError::Malformed("epoch record"))?;
        if record != transition.record {
            return Err(LightError::Transition(
                "the node's record differs from the proven one",
            ));
        }
        if record.epoch != transition.epoch
            || previous.last_height.next() != Some(record.first_height)
            || record.last_height < record.first_height
            || record.validators.is_empty()
        {
            return Err(LightError::Transition(
                "the proven record does not follow the epoch before",
            ));
        }
        let mut epochs = self.epochs.write().unwrap_or_else(PoisonError::into_inner);
        // Another clone may have advanced meanwhile, with the same (proven) record.
        if epochs.len() == usize::try_from(transition.epoch).unwrap_or(usize::MAX) {
            epochs.push(record);
        }
        Ok(())
    }

    /// Checks that `certified` is a header finalised by a quorum of these validators, and no
    /// older than the newest header these validators (and their clones) have checked: a
    /// node cannot answer with a state from before one the client has already seen.
    pub fn verify_header(&self, certified: &CertifiedHeader) -> Result<(), LightError> {
        self.check_certified(certified)?;
        self.fresh(certified.header.height.0)
    }

    /// Checks that `certified` is finalised by the validators of the epoch its certificate
    /// names, and is inside that epoch; no freshness.
    fn check_certified(&self, certified: &CertifiedHeader) -> Result<(), LightError> {
        // The header must hash to the digest every time; only a certificate's check of that
        // digest is remembered, and only for the same certificate.
        if certified.header.digest() != certified.digest {
            return Err(LightError::HeaderMismatch(certified.digest));
        }
        if !self.remembers(certified) {
            self.verify_certificate(certified)?;
        }
        Ok(())
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
        let epoch = certificate_epoch(&certificate)?;
        let record = self.epoch(epoch).ok_or(LightError::EpochUnknown {
            epoch,
            known: self.newest_epoch(),
        })?;
        if !record.contains(certified.header.height) {
            return Err(LightError::OutsideEpoch {
                height: certified.header.height.0,
                epoch,
            });
        }
        verify_certificate(&record.keys(), &certified.digest, &certificate)?;
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
