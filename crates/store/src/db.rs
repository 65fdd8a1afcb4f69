//! The store: a QMDB holding ledger state, with the height and digest of the last block in
//! the metadata of each commit.

use crate::proof::{self, StateProof};
use commonware_cryptography::{Sha256, sha256};
use commonware_parallel::Sequential;
use commonware_runtime::{
    BLOB_PAGE_SIZE, Spawner,
    buffer::paged::{CacheRef, page_size},
};
use commonware_storage::{
    journal::contiguous::variable::Config as JournalConfig,
    merkle::full::Config as MerkleConfig,
    qmdb::{
        any::ordered::variable::Update,
        current::{VariableConfig, batch::MerkleizedBatch, ordered::variable::partitioned},
        floor::{Decision, Entry, Limits, Policy},
    },
    translator::EightCap,
};
use credence_ledger::ChangeSet;
use credence_types::{
    BlockHeader, Digest, Height,
    codec::{decode, encode},
    state::{KEY_LEN, StateKey},
};
use futures::StreamExt as _;
use std::{num::NonZeroUsize, sync::Arc};

// The key form, Merkle family, bitmap chunk and value bound are part of the proof format,
// which the light client defines.
pub use credence_light::proof::VALUE_BYTES_MAX;
use credence_light::proof::{CHUNK, Family, Key, to_key};

/// The database: ordered (for exclusion proofs and scans), current (proofs of current
/// values), with an index partitioned by the key's table tag.
type Db<E> = partitioned::Db<Family, E, Key, Vec<u8>, Sha256, EightCap, 1, CHUNK, Sequential>;
type Batch = MerkleizedBatch<Family, sha256::Digest, Update<Key, Vec<u8>>, CHUNK, Sequential>;

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed; the store must be reopened.
    #[error("state database: {0}")]
    Database(String),
    /// The store was lost by an earlier failure and must be reopened.
    #[error("the state store was closed by an earlier failure; reopen it")]
    Closed,
    /// The commit metadata does not decode: the store is not a Credence store, or corrupt.
    #[error("the store's commit metadata is corrupt")]
    CorruptMetadata,
    /// A block was committed out of order.
    #[error("block at height {got} does not follow committed height {committed:?}")]
    OutOfOrder {
        /// The committed height.
        committed: Option<Height>,
        /// The height offered.
        got: Height,
    },
    /// A value is larger than the store accepts (`VALUE_BYTES_MAX`). The ledger never
    /// writes one: every object fits the state's value bound.
    #[error("a value of {0} bytes is larger than the store accepts")]
    ValueTooLarge(usize),
    /// A proof is larger than a proof may be (`PROOF_BYTES_MAX`): the store holds a value
    /// larger than it accepts, so it was written by something else than this version.
    #[error("a proof of {0} bytes is larger than a proof may be")]
    ProofTooLarge(usize),
    /// Executing a block failed on a state read.
    #[error("executing the block: {0}")]
    State(#[from] credence_ledger::StateError),
}

fn database<T: std::fmt::Display>(error: T) -> StoreError {
    StoreError::Database(error.to_string())
}

/// Refuses a value larger than the store accepts: a proof beside it, or of it, would not fit
/// its bound (see [`crate::proof`]).
fn bounded(value: Option<&[u8]>) -> Result<(), StoreError> {
    match value {
        Some(value) if value.len() > VALUE_BYTES_MAX => Err(StoreError::ValueTooLarge(value.len())),
        _ => Ok(()),
    }
}

/// The commit metadata of a block: its header without the state root (the root is the
/// store's own). Everything in it is known before the block executes, so it can be
/// merkleized with the block's changes, and after a restart the store returns the whole
/// header of the last committed block.
fn metadata(header: &BlockHeader) -> Vec<u8> {
    encode(&BlockHeader {
        state_root: Digest::default(),
        ..*header
    })
}

/// How many operations a batch makes inactive for each active one its floor walk moves to
/// the tip. Part of the state root: every validator must use the same.
pub const FLOOR_STRIDE: usize = 4;

/// How a batch advances QMDB's inactivity floor: it moves one active operation to the tip
/// for every [`FLOOR_STRIDE`] operations its writes made inactive, rounded up, and one for
/// its previous commit. QMDB's own `Proportional` moves one for each (at most about three
/// operations on disk for each active key); moving a quarter as many leaves the log about
/// five operations long for each active key and spares most of the re-hashing and re-writing
/// of old values that advancing the floor costs.
struct Floor;

impl<F: commonware_storage::merkle::Family, K, V> Policy<F, K, V> for Floor {
    fn evicts(&self) -> bool {
        false
    }

    fn limits(&self, made_inactive: usize) -> Limits {
        Limits {
            entries: made_inactive.div_ceil(FLOOR_STRIDE).saturating_add(1),
            skips: u64::MAX,
        }
    }

    /// Moves the entry to the tip.
    fn decide<'a>(&mut self, entry: Entry<'a, F, K, V>) -> Decision<'a, V> {
        entry.keep()
    }
}

/// A non-zero count. Called in `const` blocks, so a zero fails the build, not the node.
const fn non_zero(count: usize) -> NonZeroUsize {
    match NonZeroUsize::new(count) {
        Some(count) => count,
        None => panic!("store counts are not zero"),
    }
}

/// [`non_zero`] for a `u64`.
const fn non_zero_u64(count: u64) -> std::num::NonZeroU64 {
    match std::num::NonZeroU64::new(count) {
        Some(count) => count,
        None => panic!("store counts are not zero"),
    }
}

/// Tuning of the store; none of it changes what is stored, except where noted.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Prefix of the storage partitions (names may hold `[A-Za-z0-9_-]`).
    pub partition_prefix: String,
    /// Pages of 4 KiB in the read cache. Reads that miss it go to disk and are ~40× slower,
    /// so size it to the working set.
    pub cache_pages: NonZeroUsize,
    /// Bytes buffered before a journal write.
    pub write_buffer: NonZeroUsize,
    /// Operations per journal blob. Fixed for the life of the data.
    pub items_per_blob: std::num::NonZeroU64,
    /// Make the Merkle structure durable and prune inactive history every this many
    /// commits, which bounds recovery time and disk use.
    pub maintenance_interval: u64,
}

impl StoreConfig {
    /// Settings for a node: a 256 MiB read cache.
    pub fn node(partition_prefix: &str) -> Self {
        Self {
            partition_prefix: partition_prefix.to_string(),
            cache_pages: const { non_zero(65_536) },
            write_buffer: const { non_zero(2 << 20) },
            items_per_blob: const { non_zero_u64(100_000) },
            maintenance_interval: 1_000,
        }
    }

    /// Small settings for tests.
    pub fn small(partition_prefix: &str) -> Self {
        Self {
            partition_prefix: partition_prefix.to_string(),
            cache_pages: const { non_zero(1_024) },
            write_buffer: const { non_zero(64 << 10) },
            items_per_blob: const { non_zero_u64(1_000) },
            maintenance_interval: 50,
        }
    }

    fn database(&self) -> VariableConfig<EightCap, DbCodecConfig, Sequential, NonZeroUsize> {
        let prefix = &self.partition_prefix;
        let page_cache = CacheRef::new(page_size(BLOB_PAGE_SIZE), self.cache_pages);
        let replay = const { non_zero(1 << 20) };
        VariableConfig {
            merkle_config: MerkleConfig {
                journal_partition: format!("{prefix}-state-mmr"),
                // Journals derive `-metadata` and `-blobs` partitions from their own names, so no
                // partition here may be another's name plus such a suffix.
                metadata_partition: format!("{prefix}-state-mmr-pins"),
                items_per_blob: self.items_per_blob,
                write_buffer: self.write_buffer,
                replay_buffer: replay,
                strategy: Sequential,
                page_cache: page_cache.clone(),
            },
            journal_config: JournalConfig {
                partition: format!("{prefix}-state-log"),
                items_per_section: self.items_per_blob,
                compression: None,
                codec_config: ((), ((0..=VALUE_BYTES_MAX).into(), ())),
                page_cache,
                write_buffer: self.write_buffer,
                replay_buffer: replay,
            },
            grafted_metadata_partition: format!("{prefix}-state-grafted"),
            translator: EightCap,
            init_cache: Some(const { non_zero(1 << 16) }),
            init_buffer: replay,
            init_concurrency: const { non_zero(1) },
        }
    }
}

type DbCodecConfig = ((), (commonware_codec::RangeCfg<usize>, ()));

/// A block's changes staged and merkleized on top of the committed state (or on top of
/// another pending block): its root is known, nothing is written.
#[derive(Clone)]
pub struct Pending {
    batch: Arc<Batch>,
    /// The block's header, with the state root the changes lead to.
    pub header: BlockHeader,
    /// The state root once they are committed.
    pub root: Digest,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("height", &self.header.height)
            .field("root", &self.root)
            .finish()
    }
}

/// The authenticated state store.
pub struct Store<E: commonware_storage::Context + Spawner> {
    db: Option<Db<E>>,
    committed: Option<BlockHeader>,
    maintenance_interval: u64,
}

fn from_key(key: &Key) -> StateKey {
    let mut bytes = [0u8; KEY_LEN];
    bytes.copy_from_slice(key.as_ref());
    StateKey(bytes)
}

pub(crate) fn to_digest(digest: &sha256::Digest) -> Digest {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(digest.as_ref());
    Digest(bytes)
}

impl<E: commonware_storage::Context + Spawner> Store<E> {
    /// Opens the store, recovering the last committed block after a crash.
    pub async fn open(context: E, config: &StoreConfig) -> Result<Self, StoreError> {
        let db = Db::init(context, config.database(), None)
            .await
            .map_err(database)?;
        let committed = match db.get_metadata().await.map_err(database)? {
            None => None,
            Some(bytes) => {
                let stub =
                    decode::<BlockHeader>(&bytes).map_err(|_| StoreError::CorruptMetadata)?;
                Some(BlockHeader {
                    state_root: to_digest(&db.root()),
                    ..stub
                })
            }
        };
        tracing::info!(height = ?committed.map(|c| c.height), "state store opened");
        Ok(Self {
            db: Some(db),
            committed,
            maintenance_interval: config.maintenance_interval.max(1),
        })
    }

    fn db(&self) -> Result<&Db<E>, StoreError> {
        self.db.as_ref().ok_or(StoreError::Closed)
    }

    /// The header of the last committed block, or `None` for an empty store.
    pub fn committed(&self) -> Option<BlockHeader> {
        self.committed
    }

    /// The state root of the committed state.
    pub fn root(&self) -> Result<Digest, StoreError> {
        Ok(to_digest(&self.db()?.root()))
    }

    /// How many operations the state's log retains on disk (pruning keeps those at and above
    /// the inactivity floor, rounded down to a blob): what disk use grows with.
    pub fn operations(&self) -> Result<u64, StoreError> {
        let bounds = self.db()?.bounds();
        Ok(*bounds.end - *bounds.start)
    }

    /// The value under `key`.
    pub async fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.db()?.get(&to_key(key)).await.map_err(database)
    }

    /// The values under `keys`, in order.
    pub async fn get_many(&self, keys: &[StateKey]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let keys: Vec<Key> = keys.iter().map(to_key).collect();
        let refs: Vec<&Key> = keys.iter().collect();
        self.db()?.get_many(&refs).await.map_err(database)
    }

    /// Up to `limit` entries with `start <= key < end`, in key order.
    pub async fn range(
        &self,
        start: &StateKey,
        end: &StateKey,
        limit: usize,
    ) -> Result<Vec<(StateKey, Vec<u8>)>, StoreError> {
        if start >= end || limit == 0 {
            return Ok(Vec::new());
        }
        let db = self.db()?;
        let stream = db.stream_range(to_key(start)..to_key(end)).take(limit);
        futures::pin_mut!(stream);
        let mut entries = Vec::new();
        while let Some(item) = stream.next().await {
            let (key, value) = item.map_err(database)?;
            entries.push((from_key(&key), value));
        }
        Ok(entries)
    }

    /// Stages `changes` for the block `header` (whose state root is ignored) on top of
    /// `parent` (a pending block not yet committed) or of the committed state, and computes
    /// the resulting root.
    pub async fn speculate(
        &self,
        parent: Option<&Pending>,
        changes: &ChangeSet,
        header: &BlockHeader,
    ) -> Result<Pending, StoreError> {
        let db = self.db()?;
        let mut batch = match parent {
            Some(parent) => parent.batch.new_batch::<Sha256>(),
            None => db.new_batch(),
        };
        for (key, value) in changes {
            bounded(value.as_deref())?;
            batch = batch.write(to_key(key), value.clone());
        }
        let batch = batch
            .merkleize(db, Some(metadata(header)), &mut Floor)
            .await
            .map_err(database)?;
        let root = to_digest(&batch.root());
        let header = BlockHeader {
            state_root: root,
            ..*header
        };
        Ok(Pending {
            batch,
            header,
            root,
        })
    }

    /// Applies a pending block and makes it durable. Blocks must be committed in height
    /// order, each on top of the last.
    pub async fn commit(&mut self, pending: Pending) -> Result<Digest, StoreError> {
        let expected = self.committed.map_or(Height(0), |c| Height(c.height.0 + 1));
        if pending.header.height != expected {
            return Err(StoreError::OutOfOrder {
                committed: self.committed.map(|c| c.height),
                got: pending.header.height,
            });
        }
        let db = self.db.take().ok_or(StoreError::Closed)?;
        let db = db.apply_batch(pending.batch).await.map_err(database)?;
        let mut db = db.commit().await.map_err(database)?;
        let height = pending.header.height.0;
        if height > 0 && height.is_multiple_of(self.maintenance_interval) {
            db = Self::maintain(db).await?;
        }
        let root = to_digest(&db.root());
        debug_assert_eq!(
            root, pending.root,
            "the applied root must be the speculated one"
        );
        self.db = Some(db);
        self.committed = Some(pending.header);
        Ok(root)
    }

    /// Commits `changes` as the next block: [`Store::speculate`] then [`Store::commit`].
    pub async fn commit_changes(
        &mut self,
        changes: &ChangeSet,
        header: &BlockHeader,
    ) -> Result<Digest, StoreError> {
        let pending = self.speculate(None, changes, header).await?;
        self.commit(pending).await
    }

    /// The state root `changes` would give as the first block of an empty store, computed
    /// in a scratch database that is destroyed afterwards: how a node that has moved past
    /// genesis learns the genesis root again.
    pub async fn root_of_first(
        context: E,
        config: &StoreConfig,
        changes: &ChangeSet,
        header: &BlockHeader,
    ) -> Result<Digest, StoreError> {
        let scratch = StoreConfig {
            partition_prefix: format!("{}-scratch", config.partition_prefix),
            ..config.clone()
        };
        let db = Db::init(context, scratch.database(), None)
            .await
            .map_err(database)?;
        let mut batch = db.new_batch();
        for (key, value) in changes {
            bounded(value.as_deref())?;
            batch = batch.write(to_key(key), value.clone());
        }
        let root = batch
            .merkleize(&db, Some(metadata(header)), &mut Floor)
            .await
            .map_err(database)?
            .root();
        db.destroy().await.map_err(database)?;
        Ok(to_digest(&root))
    }

    /// Makes the Merkle structure durable (bounding recovery) and prunes history below the
    /// inactivity floor (bounding disk).
    async fn maintain(db: Db<E>) -> Result<Db<E>, StoreError> {
        let db = db.sync().await.map_err(database)?;
        let boundary = db.sync_boundary();
        db.prune(boundary).await.map_err(database)
    }

    /// Proves the current value of `key`, or its absence, against [`Store::root`].
    pub async fn prove(&self, key: &StateKey) -> Result<StateProof, StoreError> {
        let db = self.db()?;
        let stored = to_key(key);
        match db.get(&stored).await.map_err(database)? {
            Some(value) => {
                let proof = db.key_value_proof(stored).await.map_err(database)?;
                proof::present(value, &proof)
            }
            None => {
                let proof = db.exclusion_proof(&stored).await.map_err(database)?;
                proof::absent(&proof)
            }
        }
    }

    /// Makes everything durable and closes the store cleanly (recovery on the next open is
    /// then immediate).
    pub async fn close(mut self) -> Result<(), StoreError> {
        if let Some(db) = self.db.take() {
            db.sync().await.map_err(database)?;
        }
        Ok(())
    }
}
