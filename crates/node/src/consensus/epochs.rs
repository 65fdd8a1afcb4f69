//! What the engine knows of epochs: their heights ([`GovernedEpocher`]) and their validator
//! sets ([`EpochProvider`]), both learnt from the [`EpochRecord`]s the chain writes, one
//! epoch at a time, as the node commits the last block of each.
//!
//! An epoch the chain has not yet reached is unknown to both, and the engine treats a height
//! or a certificate of an unknown epoch as "not yet": marshal drops it and fetches it again
//! once the node has committed its way there. So a node never accepts a certificate from a
//! set its own chain did not name.

use super::{EngineError, Scheme, engine_key};
use crate::service::Node;
use commonware_consensus::types::{Epoch, EpochInfo, Epocher, Height};
use commonware_cryptography::{
    Signer as _,
    certificate::{Provider, Scoped},
    ed25519,
};
use commonware_runtime::Spawner;
use commonware_utils::ordered::Set;
use credence_types::{
    epoch::{EpochRecord, EpochValidator, Roster},
    state::{Meta, StateKey},
};
use std::{
    collections::BTreeMap,
    sync::{Arc, PoisonError, RwLock},
};

/// The epochs the chain has named so far, by number: their heights for marshal, the block
/// wrapper and the finaliser, and their validators for the [`EpochBook`].
#[derive(Clone, Debug, Default)]
pub struct GovernedEpocher {
    records: Arc<RwLock<BTreeMap<u64, EpochRecord>>>,
}

impl GovernedEpocher {
    fn learn(&self, record: &EpochRecord) {
        self.records
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(record.epoch, record.clone());
    }

    fn record(&self, epoch: u64) -> Option<EpochRecord> {
        self.records
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&epoch)
            .cloned()
    }

    fn bounds(&self, epoch: u64) -> Option<(u64, u64)> {
        self.records
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&epoch)
            .map(|r| (r.first_height.0, r.last_height.0))
    }
}

impl Epocher for GovernedEpocher {
    fn containing(&self, height: Height) -> Option<EpochInfo> {
        let records = self.records.read().unwrap_or_else(PoisonError::into_inner);
        // The epoch with the greatest first height at or below `height`, if it reaches it.
        let (&epoch, record) = records
            .iter()
            .rev()
            .find(|(_, record)| record.first_height.0 <= height.get())?;
        let (first, last) = (record.first_height.0, record.last_height.0);
        (height.get() <= last).then(|| {
            EpochInfo::new(
                Epoch::new(epoch),
                height,
                Height::new(first),
                Height::new(last),
            )
        })
    }

    fn first(&self, epoch: Epoch) -> Option<Height> {
        self.bounds(epoch.get())
            .map(|(first, _)| Height::new(first))
    }

    fn last(&self, epoch: Epoch) -> Option<Height> {
        self.bounds(epoch.get()).map(|(_, last)| Height::new(last))
    }
}

/// The consensus scheme of each epoch the chain has named: a signing one where this node's
/// consensus key is among the epoch's validators, a verifying one elsewhere. Every epoch's
/// is kept, so that old certificates (a lagging peer's backfill) still verify.
#[derive(Clone)]
pub struct EpochProvider {
    namespace: Arc<[u8]>,
    signer: ed25519::PrivateKey,
    schemes: Arc<RwLock<BTreeMap<u64, EpochScheme>>>,
}

/// One epoch's scheme, and whether this node signs with it.
#[derive(Clone)]
struct EpochScheme {
    scheme: Arc<Scheme>,
    signs: bool,
}

impl EpochProvider {
    fn new(namespace: &[u8], signer: ed25519::PrivateKey) -> Self {
        Self {
            namespace: namespace.into(),
            signer,
            schemes: Arc::default(),
        }
    }

    fn learn(&self, record: &EpochRecord) -> Result<(), EngineError> {
        let keys: Vec<ed25519::PublicKey> = record
            .keys()
            .iter()
            .map(engine_key)
            .collect::<Result<_, _>>()?;
        let participants = Set::from_iter_dedup(keys);
        let me = self.signer.public_key();
        let scheme = if participants.position(&me).is_some() {
            let scheme = Scheme::signer(&self.namespace, participants, self.signer.clone())
                .ok_or(EngineError::NotAValidator)?;
            EpochScheme {
                scheme: Arc::new(scheme),
                signs: true,
            }
        } else {
            EpochScheme {
                scheme: Arc::new(Scheme::verifier(&self.namespace, participants)),
                signs: false,
            }
        };
        self.schemes
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(record.epoch, scheme);
        Ok(())
    }

    /// The scheme an engine of `epoch` runs with: signing where this node is seated,
    /// verifying (following the epoch) elsewhere.
    pub fn engine_scheme(&self, epoch: u64) -> Option<Scheme> {
        self.schemes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&epoch)
            .map(|epoch| (*epoch.scheme).clone())
    }
}

impl Provider for EpochProvider {
    type Scope = Epoch;
    type Scheme = Scheme;

    fn scoped(&self, scope: Epoch) -> Option<Scoped<Scheme>> {
        let schemes = self.schemes.read().unwrap_or_else(PoisonError::into_inner);
        let EpochScheme { scheme, signs } = schemes.get(&scope.get())?.clone();
        Some(if signs {
            Scoped::scheme(scheme)
        } else {
            Scoped::verifier(scheme)
        })
    }

    fn scheme(&self, scope: Epoch) -> Option<Arc<Scheme>> {
        self.scoped(scope).and_then(Scoped::into_scheme)
    }
}

/// Every epoch the node knows: records (with their heights) and schemes, learnt together.
#[derive(Clone)]
pub struct EpochBook {
    /// Heights, for the engine.
    pub epocher: GovernedEpocher,
    /// Schemes, for the engine.
    pub provider: EpochProvider,
}

impl EpochBook {
    /// An empty book for a node signing with `signer` under `namespace`.
    pub fn new(namespace: &[u8], signer: ed25519::PrivateKey) -> Self {
        Self {
            epocher: GovernedEpocher::default(),
            provider: EpochProvider::new(namespace, signer),
        }
    }

    /// Learns an epoch the chain named. Epochs are learnt in order, each starting right
    /// after the one before; anything else means the chain and the node disagree.
    pub fn learn(&self, record: &EpochRecord) -> Result<(), EngineError> {
        if let Some(known) = self.record(record.epoch) {
            return if known == *record {
                Ok(())
            } else {
                Err(EngineError::EpochMismatch(record.epoch))
            };
        }
        let follows = match record.epoch.checked_sub(1) {
            None => record.first_height.0 == 0,
            Some(previous) => self
                .record(previous)
                .is_some_and(|p| p.last_height.next() == Some(record.first_height)),
        };
        if !follows || record.last_height < record.first_height {
            return Err(EngineError::EpochMismatch(record.epoch));
        }
        self.provider.learn(record)?;
        self.epocher.learn(record);
        Ok(())
    }

    /// The record of `epoch`, if learnt.
    pub fn record(&self, epoch: u64) -> Option<EpochRecord> {
        self.epocher.record(epoch)
    }
}

/// Reads a committed object of ledger state from the node's store.
pub async fn committed<T, E>(node: &Node<E>, key: StateKey) -> Result<Option<T>, EngineError>
where
    T: commonware_codec::Read<Cfg = ()>,
    E: commonware_storage::Context + Spawner,
{
    let stored = node
        .chain
        .lock()
        .await
        .store()
        .get(&key)
        .await
        .map_err(|e| EngineError::Storage(e.to_string()))?;
    credence_ledger::state::decode_stored(&key, stored.as_deref())
        .map_err(|e| EngineError::Storage(e.to_string()))
}

/// What the node's committed state says of epochs: every epoch named so far, in order, and
/// the roster.
pub(crate) async fn load<E>(
    node: &Node<E>,
) -> Result<(Vec<EpochRecord>, Vec<EpochValidator>), EngineError>
where
    E: commonware_storage::Context + Spawner,
{
    let missing = |key: StateKey| EngineError::Storage(format!("state has no {key:?}"));
    let meta: Meta = committed(node, StateKey::meta())
        .await?
        .ok_or_else(|| missing(StateKey::meta()))?;
    let mut records = Vec::new();
    for number in 0..=meta.epoch.number {
        let key = StateKey::epoch(number);
        records.push(committed(node, key).await?.ok_or_else(|| missing(key))?);
    }
    let roster: Roster = committed(node, StateKey::roster())
        .await?
        .ok_or_else(|| missing(StateKey::roster()))?;
    Ok((records, roster.validators.iter().copied().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use credence_types::{
        Height as LedgerHeight, InstitutionId,
        epoch::{ConsensusSeat, PeerAddress, ValidatorList},
    };

    fn record(epoch: u64, first: u64, last: u64, seeds: &[u64]) -> EpochRecord {
        let validators = seeds
            .iter()
            .map(|&seed| EpochValidator {
                institution: InstitutionId(seed),
                seat: ConsensusSeat {
                    key: super::super::application::key_bytes(
                        &ed25519::PrivateKey::from_seed(seed).public_key(),
                    ),
                    address: PeerAddress(([127, 0, 0, 1], 9_000).into()),
                },
            })
            .collect();
        EpochRecord {
            epoch,
            first_height: LedgerHeight(first),
            last_height: LedgerHeight(last),
            validators: ValidatorList::new(validators).unwrap(),
        }
    }

    #[test]
    fn heights_map_to_the_epochs_learnt_and_no_further() {
        let book = EpochBook::new(b"test", ed25519::PrivateKey::from_seed(1));
        book.learn(&record(0, 0, 9, &[1, 2, 3])).unwrap();
        book.learn(&record(1, 10, 29, &[1, 2, 4])).unwrap();
        let epoch_of = |h: u64| {
            book.epocher
                .containing(Height::new(h))
                .map(|info| info.epoch().get())
        };
        assert_eq!(epoch_of(0), Some(0));
        assert_eq!(epoch_of(9), Some(0));
        assert_eq!(epoch_of(10), Some(1));
        assert_eq!(epoch_of(29), Some(1));
        // Beyond what the chain has named: not yet.
        assert_eq!(epoch_of(30), None);
        assert_eq!(book.epocher.last(Epoch::new(1)), Some(Height::new(29)));
        assert_eq!(book.epocher.first(Epoch::new(2)), None);
    }

    #[test]
    fn a_node_signs_only_in_the_epochs_that_seat_it() {
        let book = EpochBook::new(b"test", ed25519::PrivateKey::from_seed(3));
        book.learn(&record(0, 0, 9, &[1, 2, 3])).unwrap();
        book.learn(&record(1, 10, 19, &[1, 2, 4])).unwrap();
        assert!(book.provider.scheme(Epoch::new(0)).is_some());
        assert!(book.provider.scheme(Epoch::new(1)).is_none());
        assert!(
            book.provider.scoped(Epoch::new(1)).is_some(),
            "still verifies"
        );
        assert!(book.provider.scoped(Epoch::new(2)).is_none(), "never named");
    }

    #[test]
    fn epochs_that_do_not_follow_on_are_refused() {
        let book = EpochBook::new(b"test", ed25519::PrivateKey::from_seed(1));
        assert!(book.learn(&record(1, 10, 19, &[1])).is_err(), "no epoch 0");
        book.learn(&record(0, 0, 9, &[1])).unwrap();
        assert!(book.learn(&record(1, 11, 19, &[1])).is_err(), "a gap");
        assert!(book.learn(&record(0, 0, 9, &[2])).is_err(), "rewritten");
        book.learn(&record(0, 0, 9, &[1])).unwrap();
    }
}
