//! The proofs a light client follows the validator set with.
//!
//! Epoch N + 1's record is in the state of epoch N's last block, and only there is it proven
//! by a certificate of epoch N's validators: the blocks after it are certified by the new set,
//! which the client does not trust yet. The store proves against its latest state only, so
//! the committing task proves the record the moment it commits that block, before
//! acknowledging it, and keeps the proof here, by epoch, for good. With the block and its
//! certificate (kept by marshal), it is the [`EpochTransition`] the API serves.
//!
//! [`EpochTransition`]: credence_types::api::EpochTransition

use super::{EngineError, archive_config};
use commonware_runtime::{
    BLOB_PAGE_SIZE, Metrics, Spawner,
    buffer::paged::{CacheRef, page_size},
};
use commonware_storage::archive::{Archive as _, Identifier, immutable};
use commonware_utils::{NZUsize, sequence::U64};
use credence_store::StateProof;
use std::sync::Arc;
use tokio::sync::Mutex;

type Proofs<E> = immutable::Archive<E, U64, StateProof>;

/// The proof of each epoch's record (from epoch 1), against the last block of the epoch
/// before. Clones share the store.
pub struct Transitions<E: commonware_storage::Context> {
    // `None` once a write failed: the archive is gone with it, and the node halts.
    proofs: Arc<Mutex<Option<Proofs<E>>>>,
}

impl<E: commonware_storage::Context> Clone for Transitions<E> {
    fn clone(&self) -> Self {
        Self {
            proofs: Arc::clone(&self.proofs),
        }
    }
}

impl<E> Transitions<E>
where
    E: commonware_storage::Context + Spawner + Metrics,
{
    /// Opens the store under `prefix`.
    pub async fn open(context: E, prefix: &str) -> Result<Self, EngineError> {
        let cache = CacheRef::new(page_size(BLOB_PAGE_SIZE), NZUsize!(64));
        let proofs =
            immutable::Archive::init(context, archive_config(prefix, "epoch-proofs", &cache, ()))
                .await
                .map_err(|e| EngineError::Storage(e.to_string()))?;
        Ok(Self {
            proofs: Arc::new(Mutex::new(Some(proofs))),
        })
    }

    /// Keeps `proof` of epoch `epoch`'s record, durably. Keeping one again does nothing.
    pub async fn keep(&self, epoch: u64, proof: &StateProof) -> Result<(), String> {
        let mut guard = self.proofs.lock().await;
        let proofs = guard.take().ok_or("the epoch proof store failed before")?;
        match proofs.put_sync(epoch, U64::new(epoch), proof).await {
            Ok(proofs) => {
                *guard = Some(proofs);
                Ok(())
            }
            Err(error) => Err(format!("cannot keep the proof of epoch {epoch}: {error}")),
        }
    }

    /// The proof of epoch `epoch`'s record, if this node has committed its way there.
    pub async fn proof(&self, epoch: u64) -> Result<Option<StateProof>, String> {
        let guard = self.proofs.lock().await;
        let proofs = guard.as_ref().ok_or("the epoch proof store failed")?;
        proofs
            .get(Identifier::Index(epoch))
            .await
            .map_err(|e| e.to_string())
    }
}
