//! The node's logic, independent of the consensus engine: admitting transactions, building
//! and checking blocks, and committing finalised ones. The [`crate::consensus`] adapter calls
//! these; nothing here names an engine type.

use crate::{
    chain::{Chain, ChainError, Committed, Executed, child_time},
    consensus::block::BlockLimits,
    mempool::{Known, Mempool, MempoolError, Via},
    metrics::Metrics,
    pace::Pace,
    refusal::{Refusal, Refusals},
};
use commonware_runtime::Clock;
use credence_crypto::{
    KeyCache, SignatureError, VerifiedTransaction, verify_batch_cached, verify_each_cached,
};
use credence_types::{
    Block, BlockHeader, Digest, PublicKey, SignedTransaction, TimestampMs,
    api::BlockSummary,
    block::{MAX_TIME_STEP_MS, transactions_root},
    codec::{BoundedVec, EncodeSize as _, decode},
    genesis::ChainId,
    limits::TRANSACTION_BYTES_MAX,
    state::{Principal, Signer as SignerState, StateKey},
};
use futures::lock::Mutex as AsyncMutex;
use std::{
    collections::{BTreeMap, BTreeSet},
    num::NonZeroUsize,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// How this node builds blocks and admits transactions.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The network's chain id.
    pub chain_id: ChainId,
    /// This validator's key.
    pub me: PublicKey,
    /// The network's bounds on a block: the same at every validator, and the only limits a
    /// proposal is checked against.
    pub block_limits: BlockLimits,
    /// Most transactions this node puts in a block it proposes: its operator's choice, which
    /// never decides whether another leader's block is valid.
    pub propose_transactions_max: usize,
    /// Least time between a block and its child when there are transactions to include.
    pub block_interval: Duration,
    /// Time between a block and an empty child: the chain keeps finalising when idle, since
    /// deadlines, expiries and purges run on block time.
    pub empty_block_interval: Duration,
    /// How far ahead of the signer's last accepted nonce a submitted nonce may be.
    pub nonce_window: u64,
}

/// Room in a block for all but its transactions (header, framing). A node fills a block with
/// at most the network's block bytes less this, so what it proposes always fits the bound
/// every verifier applies.
pub const BLOCK_OVERHEAD_BYTES: usize = 1 << 16;

impl Settings {
    /// Most transactions, and bytes of them, this node puts in a block it proposes.
    fn proposal_room(&self) -> (usize, usize) {
        (
            self.propose_transactions_max
                .clamp(1, self.block_limits.transactions_max.max(1)),
            self.block_limits
                .bytes_max
                .saturating_sub(BLOCK_OVERHEAD_BYTES),
        )
    }
}

/// Signature verification as a node does it: spread over a thread pool (or on the calling
/// task, for deterministic tests), with the signers' decompressed keys kept across batches.
#[derive(Clone, Debug)]
pub struct Verifier {
    parallelism: Parallelism,
    keys: Arc<KeyCache>,
}

#[derive(Clone, Debug)]
enum Parallelism {
    Sequential,
    Parallel(commonware_parallel::Rayon),
}

/// Signers whose decompressed keys a node keeps, a generation (two generations): a
/// consortium's institutions and its active subjects, at about 200 bytes a key.
pub const VERIFIER_KEYS_MAX: NonZeroUsize = NonZeroUsize::MIN.saturating_add(32_767);

impl Verifier {
    /// Verification on the calling task (deterministic tests).
    pub fn sequential() -> Self {
        Self::with(Parallelism::Sequential)
    }

    /// Verification spread over `pool`.
    pub fn parallel(pool: commonware_parallel::Rayon) -> Self {
        Self::with(Parallelism::Parallel(pool))
    }

    fn with(parallelism: Parallelism) -> Self {
        Self {
            parallelism,
            keys: Arc::new(KeyCache::new(VERIFIER_KEYS_MAX)),
        }
    }

    /// Verifies a batch of transactions.
    pub fn verify(
        &self,
        transactions: Vec<SignedTransaction>,
    ) -> Result<Vec<VerifiedTransaction>, (usize, credence_crypto::SignatureError)> {
        match &self.parallelism {
            Parallelism::Sequential => {
                verify_batch_cached(transactions, &commonware_parallel::Sequential, &self.keys)
            }
            Parallelism::Parallel(pool) => verify_batch_cached(transactions, pool, &self.keys),
        }
    }

    /// Verifies a batch of transactions, answering for each.
    pub fn verify_each(
        &self,
        transactions: Vec<SignedTransaction>,
    ) -> Vec<Result<VerifiedTransaction, SignatureError>> {
        match &self.parallelism {
            Parallelism::Sequential => {
                verify_each_cached(transactions, &commonware_parallel::Sequential, &self.keys)
            }
            Parallelism::Parallel(pool) => verify_each_cached(transactions, pool, &self.keys),
        }
    }
}

/// Why a submitted transaction was refused. Each maps to a 4xx with a stable code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubmitError {
    /// The bytes are larger than a transaction may be.
    #[error("the transaction is larger than {TRANSACTION_BYTES_MAX} bytes")]
    TooLarge,
    /// The bytes do not decode as a signed transaction.
    #[error("the bytes are not a signed transaction: {0}")]
    Malformed(String),
    /// The transaction names another chain.
    #[error("the transaction is for chain {0:?}, not this one")]
    WrongChain(String),
    /// The signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// The nonce was already used.
    #[error("nonce {nonce} was already used; the signer's last accepted nonce is {last}")]
    StaleNonce {
        /// The transaction's nonce.
        nonce: u64,
        /// The signer's last accepted nonce.
        last: u64,
    },
    /// The mempool refused it.
    #[error(transparent)]
    Mempool(#[from] MempoolError),
    /// The node cannot read its state.
    #[error("the node cannot read its state: {0}")]
    Unavailable(String),
}

/// Shared state of a running node.
pub struct Node<E: commonware_storage::Context + commonware_runtime::Spawner> {
    /// The chain: committed state and pending blocks.
    pub chain: AsyncMutex<Chain<E>>,
    /// Transactions waiting for a block.
    pub mempool: Mutex<Mempool>,
    /// Settings.
    pub settings: Settings,
    /// Signature verification.
    pub verifier: Verifier,
    /// Metrics.
    pub metrics: Metrics,
    /// Committed blocks, in order, for whoever listens (the API's waiters, the event
    /// stream). Lagging listeners miss blocks and must read state instead.
    pub commits: tokio::sync::broadcast::Sender<Arc<Committed>>,
    /// Transactions admitted here, for the gossip task to send to the other validators.
    pub gossip: futures::channel::mpsc::UnboundedSender<VerifiedTransaction>,
    /// Set, with the reason, when the node must stop: its state diverged from the network's
    /// or its store failed. The process exits and the operator is told why.
    pub halted: tokio::sync::watch::Sender<Option<String>>,
    /// The most recent committed blocks, newest last, for the API.
    pub recent: Mutex<std::collections::VecDeque<BlockSummary>>,
    /// The pace of recent block executions, which bounds this node's proposals.
    pace: Mutex<Pace>,
    /// Proposals this node refused to vote for, by rule.
    pub refusals: Refusals,
    /// What this node does to its proposals as a Byzantine leader (simulation only).
    #[cfg(feature = "byzantine")]
    pub(crate) tamper: std::sync::OnceLock<Arc<dyn crate::tamper::Tamper>>,
}

/// The receiving ends of a new node's channels, for the tasks that serve them.
pub struct NodeChannels {
    /// Transactions admitted here, for the gossip task.
    pub admitted: futures::channel::mpsc::UnboundedReceiver<VerifiedTransaction>,
    /// The reason, once the node halts.
    pub halted: tokio::sync::watch::Receiver<Option<String>>,
}

/// How many committed blocks a slow listener may fall behind before it misses some.
const COMMIT_BUFFER: usize = 1_024;

impl<E: commonware_storage::Context + commonware_runtime::Spawner> Node<E> {
    /// The mempool, locked. The lock is poisoned only if a mempool operation panicked while
    /// holding it, and none does (each is map and queue bookkeeping, with checked or
    /// saturating arithmetic and no indexing); a pool such a panic left half-updated would
    /// be a broken invariant, which stops the node loudly rather than guess.
    pub fn pool(&self) -> std::sync::MutexGuard<'_, Mempool> {
        self.mempool
            .lock()
            .expect("no mempool operation panics while holding the lock")
    }

    /// The pace of recent executions, locked.
    fn pace(&self) -> std::sync::MutexGuard<'_, Pace> {
        // The pace is one number a panicking holder cannot leave half-written.
        self.pace
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records that executing a block of `transactions` ran from `executing` until now.
    fn paced(&self, clock: &impl Clock, transactions: usize, executing: SystemTime) {
        let took = clock
            .current()
            .duration_since(executing)
            .unwrap_or_default();
        self.pace().observe(transactions, took);
    }

    /// The recent committed blocks, locked. Taken over if poisoned: the queue only ever
    /// gains or loses whole block summaries.
    fn recent_blocks(&self) -> std::sync::MutexGuard<'_, std::collections::VecDeque<BlockSummary>> {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A node over `chain`, with an empty mempool.
    pub fn new(
        chain: Chain<E>,
        mempool: crate::mempool::MempoolLimits,
        settings: Settings,
        verifier: Verifier,
        metrics: Metrics,
    ) -> (Self, NodeChannels) {
        let (gossip, admitted) = futures::channel::mpsc::unbounded();
        let (commits, _) = tokio::sync::broadcast::channel(COMMIT_BUFFER);
        let (halted, halted_watch) = tokio::sync::watch::channel(None);
        let node = Self {
            chain: AsyncMutex::new(chain),
            mempool: Mutex::new(Mempool::new(mempool)),
            settings,
            verifier,
            metrics,
            commits,
            gossip,
            halted,
            recent: Mutex::new(std::collections::VecDeque::new()),
            pace: Mutex::new(Pace::default()),
            refusals: Refusals::default(),
            #[cfg(feature = "byzantine")]
            tamper: std::sync::OnceLock::new(),
        };
        (
            node,
            NodeChannels {
                admitted,
                halted: halted_watch,
            },
        )
    }
}

/// The longest `Retry-After` the node asks of a client refused for a busy mempool.
pub const RETRY_AFTER_MAX_SECS: u64 = 30;

/// Whether a refusal leaves the signer's later nonces with nothing to follow: everything but
/// a transaction already pending or finalised, or a nonce another pending one took.
fn strands_later(error: &SubmitError) -> bool {
    !matches!(
        error,
        SubmitError::StaleNonce { .. }
            | SubmitError::Mempool(
                MempoolError::Duplicate | MempoolError::Stale | MempoolError::NonceTaken
            )
    )
}

/// Records, when `error` strands the signer's later nonces, that `signer` stopped at
/// `nonce` in this submission (its earliest refused nonce).
fn stop(
    stopped: &mut std::collections::HashMap<PublicKey, u64>,
    error: &SubmitError,
    signer: PublicKey,
    nonce: u64,
) {
    if strands_later(error) {
        let first = stopped.entry(signer).or_insert(nonce);
        *first = (*first).min(nonce);
    }
}

/// How many recent blocks the node keeps in memory for the API.
pub const RECENT_BLOCKS_MAX: usize = 4_096;

/// What committed state says of a signer: its last accepted nonce (0 for a key never seen)
/// and the institution it signs for.
async fn known_signer<E: commonware_storage::Context + commonware_runtime::Spawner>(
    chain: &Chain<E>,
    signer: &PublicKey,
) -> Result<Known, String> {
    let stored = chain
        .store()
        .get(&StateKey::signer(signer))
        .await
        .map_err(|e| e.to_string())?;
    Ok(match stored {
        Some(bytes) => {
            let state = decode::<SignerState>(&bytes).map_err(|e| e.to_string())?;
            Known {
                nonce: state.nonce,
                institution: match state.principal {
                    Principal::Institution(id) => Some(id),
                    Principal::Subject(_) | Principal::Retired => None,
                },
            }
        }
        None => Known {
            nonce: 0,
            institution: None,
        },
    })
}

/// Milliseconds since the Unix epoch on the runtime's clock.
pub fn now(clock: &impl Clock) -> TimestampMs {
    let elapsed = clock
        .current()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    TimestampMs(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}

/// Sleeps until the runtime's clock reads at least `at`.
pub async fn sleep_until(clock: &impl Clock, at: TimestampMs) {
    let target = UNIX_EPOCH + Duration::from_millis(at.0);
    if clock.current() < target {
        clock.sleep_until(target).await;
    }
}

/// Sleeps until `header`'s time if it is within the step a block may take after `parent`.
/// A larger step is not waited for: the block is refused for it, at once.
pub async fn wait_for_block_time(clock: &impl Clock, header: &BlockHeader, parent: &BlockHeader) {
    if header.time.0 <= parent.time.0.saturating_add(MAX_TIME_STEP_MS) {
        sleep_until(clock, header.time).await;
    }
}

/// The hashes of a block's transactions, in block order.
fn transaction_hashes(transactions: &[SignedTransaction]) -> Vec<Digest> {
    transactions.iter().map(SignedTransaction::hash).collect()
}

fn system_time(at: TimestampMs) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(at.0)
}

impl<E: commonware_storage::Context + commonware_runtime::Spawner> Node<E> {
    /// Stops the node for `reason` (see [`Node::halted`]).
    pub fn halt(&self, reason: String) {
        tracing::error!(reason, "halting");
        self.halted.send_replace(Some(reason));
    }
}

impl<E: commonware_storage::Context + commonware_runtime::Spawner> Node<E> {
    /// Admits a transaction submitted by a client (see [`Node::submit_all`]). Returns its
    /// hash. Gossiped to the other validators on success.
    pub async fn submit(&self, bytes: &[u8]) -> Result<Digest, SubmitError> {
        self.submit_all(&[bytes])
            .await
            .pop()
            .expect("one answer per transaction submitted")
    }

    /// Admits transactions submitted by a client, each on its own and in order (for one
    /// signer, in nonce order); answers for each with its hash or why it was refused. The
    /// admitted ones are gossiped to the other validators.
    ///
    /// The cheap checks come first, so a busy node refuses before spending work: size,
    /// decoding, chain id, then the mempool's room, the owner's share and what the pool
    /// knows of the nonce ([`Mempool::precheck`]). A signer the pool does not know is read
    /// from the store next, and refused if its owner holds its share
    /// ([`Mempool::precheck_owner`]). Only then are the survivors' signatures verified, as
    /// one batch, and their nonces checked against committed state. Once one of a signer's
    /// transactions is refused, its later ones in the same submission are refused as a
    /// [`MempoolError::NonceGap`] without any work: admitting them would leave them waiting
    /// behind the refused one.
    pub async fn submit_all<B: AsRef<[u8]>>(
        &self,
        items: &[B],
    ) -> Vec<Result<Digest, SubmitError>> {
        let mut answers: Vec<Option<Result<Digest, SubmitError>>> =
            items.iter().map(|_| None).collect();
        // The first refused nonce of each signer refused so far.
        let mut stopped: std::collections::HashMap<PublicKey, u64> =
            std::collections::HashMap::new();
        let mut candidates: Vec<(usize, SignedTransaction)> = Vec::new();
        // Signers of candidates the pool knows nothing of.
        let mut strangers = BTreeSet::new();
        {
            let pool = self.pool();
            let (mut ahead, mut ahead_bytes) = (0usize, 0usize);
            for (index, bytes) in items.iter().enumerate() {
                let bytes = bytes.as_ref();
                let checked = self.precheck(&pool, bytes, &stopped, ahead, ahead_bytes);
                match checked {
                    Ok(signed) => {
                        ahead += 1;
                        ahead_bytes = ahead_bytes.saturating_add(bytes.len());
                        let signer = signed.transaction.signer;
                        if pool.known(&signer).is_none() {
                            strangers.insert(signer);
                        }
                        candidates.push((index, signed));
                    }
                    Err((signer, error)) => {
                        if let Some((signer, nonce)) = signer {
                            stop(&mut stopped, &error, signer, nonce);
                        }
                        answers[index] = Some(Err(error));
                    }
                }
            }
        }
        // Signers the pool knows nothing of are read before their signatures are checked,
        // and refused if their owner holds its share: a party minting fresh keys costs the
        // node a read each, not a verification.
        let read = self.read_strangers(strangers).await;
        {
            let pool = self.pool();
            let mut ahead = 0usize;
            candidates.retain(|(index, signed)| {
                let (signer, nonce) = (signed.transaction.signer, signed.transaction.nonce);
                let refusal = match (stopped.get(&signer), read.get(&signer)) {
                    (Some(expected), _) if nonce > *expected => Some(
                        MempoolError::NonceGap {
                            expected: *expected,
                        }
                        .into(),
                    ),
                    (_, Some(Err(error))) => Some(SubmitError::Unavailable(error.clone())),
                    (_, Some(Ok(known))) => pool
                        .precheck_owner(known.owner(), ahead)
                        .err()
                        .map(SubmitError::from),
                    (_, None) => None,
                };
                let Some(error) = refusal else {
                    ahead += 1;
                    return true;
                };
                stop(&mut stopped, &error, signer, nonce);
                answers[*index] = Some(Err(error));
                false
            });
        }
        let (indices, signed): (Vec<usize>, Vec<SignedTransaction>) =
            candidates.into_iter().unzip();
        let verified = self.verifier.verify_each(signed);
        for (index, verified) in indices.into_iter().zip(verified) {
            let answer = match verified {
                Err(_) => Err(SubmitError::BadSignature),
                Ok(verified) => {
                    let transaction = verified.transaction();
                    let (signer, nonce) = (transaction.signer, transaction.nonce);
                    let stranger = read.get(&signer).and_then(|known| known.as_ref().ok());
                    // Stopped at an earlier nonce (the prechecks stop signers too, at any
                    // position of the batch).
                    let answer = match stopped.get(&signer) {
                        Some(expected) if nonce > *expected => Err(MempoolError::NonceGap {
                            expected: *expected,
                        }
                        .into()),
                        _ => self.admit(verified, stranger.copied()).await,
                    };
                    if let Err(error) = &answer {
                        stop(&mut stopped, error, signer, nonce);
                    }
                    answer
                }
            };
            answers[index] = Some(answer);
        }
        let mut hashes = Vec::with_capacity(answers.len());
        for answer in answers {
            let answer = answer.expect("every transaction is answered");
            if let Err(SubmitError::Mempool(error)) = &answer
                && error.is_busy()
            {
                self.metrics.busy();
            }
            hashes.push(answer);
        }
        hashes
    }

    /// The checks of a submitted transaction that need no signature check and no store
    /// read. A refusal names the signer and nonce when the bytes got that far.
    #[allow(clippy::type_complexity)]
    fn precheck(
        &self,
        pool: &Mempool,
        bytes: &[u8],
        stopped: &std::collections::HashMap<PublicKey, u64>,
        ahead: usize,
        ahead_bytes: usize,
    ) -> Result<SignedTransaction, (Option<(PublicKey, u64)>, SubmitError)> {
        if bytes.len() > TRANSACTION_BYTES_MAX {
            return Err((None, SubmitError::TooLarge));
        }
        let signed: SignedTransaction =
            decode(bytes).map_err(|e| (None, SubmitError::Malformed(e.source.to_string())))?;
        let (signer, nonce) = (signed.transaction.signer, signed.transaction.nonce);
        let named = |error: SubmitError| (Some((signer, nonce)), error);
        if signed.transaction.chain_id != self.settings.chain_id {
            return Err(named(SubmitError::WrongChain(
                signed.transaction.chain_id.as_str().to_string(),
            )));
        }
        if let Some(expected) = stopped.get(&signer)
            && nonce > *expected
        {
            return Err(named(
                MempoolError::NonceGap {
                    expected: *expected,
                }
                .into(),
            ));
        }
        pool.precheck(&signer, nonce, bytes.len(), ahead, ahead_bytes)
            .map_err(|error| named(error.into()))?;
        Ok(signed)
    }

    /// The recent committed block at `height`, if still kept.
    pub fn recent_block(&self, height: credence_types::Height) -> Option<BlockSummary> {
        let recent = self.recent_blocks();
        let newest = recent.back()?.header.height.0;
        let back = usize::try_from(newest.checked_sub(height.0)?).ok()?;
        let index = recent.len().checked_sub(back.checked_add(1)?)?;
        recent.get(index).cloned()
    }

    /// How many seconds a client refused for a busy mempool should wait before retrying:
    /// the time recent blocks would take to drain the pool to half, at least 1 and at most
    /// [`RETRY_AFTER_MAX_SECS`].
    pub fn retry_after_secs(&self) -> u64 {
        let held = u64::try_from(self.mempool_len()).unwrap_or(u64::MAX);
        let recent = self.recent_blocks();
        let window = recent.len().min(32);
        let blocks = recent.iter().skip(recent.len() - window);
        let (first, last) = match (recent.get(recent.len() - window), recent.back()) {
            (Some(first), Some(last)) => (first.header.time.0, last.header.time.0),
            _ => return 1,
        };
        let finalised: u64 = blocks
            .skip(1)
            .map(|block| u64::try_from(block.transactions.len()).unwrap_or(u64::MAX))
            .sum();
        let span_ms = last.saturating_sub(first);
        if finalised == 0 || span_ms == 0 {
            return RETRY_AFTER_MAX_SECS.min(5);
        }
        // Seconds to finalise half the pool at the recent rate, rounded up.
        (held / 2)
            .saturating_mul(span_ms)
            .div_ceil(finalised.saturating_mul(1_000))
            .clamp(1, RETRY_AFTER_MAX_SECS)
    }

    /// What committed state says of each of `strangers`, signers the pool does not know (the
    /// chain locked for each read in turn, so block execution is not held up by a large
    /// batch): a store failure is answered for that signer alone.
    async fn read_strangers(
        &self,
        strangers: BTreeSet<PublicKey>,
    ) -> BTreeMap<PublicKey, Result<Known, String>> {
        let mut read = BTreeMap::new();
        for signer in strangers {
            let known = known_signer(&*self.chain.lock().await, &signer).await;
            read.insert(signer, known);
        }
        read
    }

    /// Checks a verified transaction's nonce and adds it to the mempool. The signer's
    /// committed nonce is the pool's if it knows it, else `read` (what the batch read before
    /// verifying), else read from the store now.
    async fn admit(
        &self,
        verified: VerifiedTransaction,
        read: Option<Known>,
    ) -> Result<Digest, SubmitError> {
        let transaction = verified.transaction();
        let (signer, nonce) = (transaction.signer, transaction.nonce);
        let pooled = self.pool().known(&signer).or(read);
        let known = match pooled {
            Some(known) => known,
            None => {
                let chain = self.chain.lock().await;
                known_signer(&chain, &signer)
                    .await
                    .map_err(SubmitError::Unavailable)?
            }
        };
        if nonce <= known.nonce {
            return Err(SubmitError::StaleNonce {
                nonce,
                last: known.nonce,
            });
        }
        if nonce - known.nonce > self.settings.nonce_window {
            return Err(MempoolError::NonceTooFarAhead(self.settings.nonce_window).into());
        }
        let hash = verified.hash();
        let gossiped = verified.clone();
        {
            let mut pool = self.pool();
            pool.insert(verified, Via::Client(known))?;
            self.metrics.mempool_size(pool.len());
        }
        let _ = self.gossip.unbounded_send(gossiped);
        Ok(hash)
    }

    /// Adds transactions gossiped by a peer. Returns false if any signature is invalid (the
    /// peer is misbehaving); the valid ones are kept regardless.
    pub fn admit_gossip(&self, transactions: Vec<SignedTransaction>) -> bool {
        let chain_id = &self.settings.chain_id;
        let fresh: Vec<SignedTransaction> = {
            let pool = self.pool();
            transactions
                .into_iter()
                .filter(|t| &t.transaction.chain_id == chain_id && !pool.contains(&t.hash()))
                .collect()
        };
        if fresh.is_empty() {
            return true;
        }
        // Verified before the pool is locked again: a large batch must not hold up
        // submissions and the proposer for the length of its verification.
        let verified = self.verifier.verify_each(fresh);
        let mut honest = true;
        let mut pool = self.pool();
        for verified in verified {
            match verified {
                // Duplicates, conflicts, gaps, stale nonces and a full pool are normal under
                // gossip.
                Ok(transaction) => {
                    let _ = pool.insert(transaction, Via::Gossip);
                }
                Err(_) => honest = false,
            }
        }
        self.metrics.mempool_size(pool.len());
        honest
    }

    /// Transactions waiting.
    pub fn mempool_len(&self) -> usize {
        self.pool().len()
    }

    /// Executes `blocks` (oldest first; each the parent of the next, the first a child of an
    /// executed block) that this node has not executed yet, checking each against its
    /// header. They are notarised or finalised, so a mismatch means this node diverged.
    pub async fn catch_up(&self, blocks: Vec<Block>) -> Result<(), ChainError> {
        for block in blocks {
            // Committed meanwhile (the walk that found it missing raced a commit): neither
            // verified nor executed again.
            if self.chain.lock().await.needs_no_execution(&block.header) {
                continue;
            }
            let hashes = transaction_hashes(block.transactions.as_slice());
            let transactions = self
                .verified_transactions(block.transactions.as_slice(), &hashes)?
                .ok_or(ChainError::InvalidFinalized(block.header.height))?;
            let mut chain = self.chain.lock().await;
            if chain.needs_no_execution(&block.header) {
                continue;
            }
            let executed = chain.execute(&block.header, &transactions).await?;
            if executed.header.state_root != block.header.state_root {
                return Err(ChainError::Diverged {
                    height: block.header.height,
                    executed: executed.header.state_root,
                    expected: block.header.state_root,
                });
            }
            chain.keep(executed);
        }
        Ok(())
    }

    /// Builds a block on `parent` (already executed here), waiting for the block interval
    /// first. Returns `None` if the parent is no longer buildable (it was pruned).
    pub async fn propose(&self, clock: &impl Clock, parent: &BlockHeader) -> Option<Block> {
        let parent_digest = parent.digest();
        // Pace: a busy chain makes a block every `block_interval`; an idle one an empty
        // block every `empty_block_interval`, sooner if a transaction arrives meanwhile.
        let busy_at = TimestampMs(
            parent.time.0
                + u64::try_from(self.settings.block_interval.as_millis()).unwrap_or(u64::MAX),
        );
        let idle_at = TimestampMs(
            parent.time.0
                + u64::try_from(self.settings.empty_block_interval.as_millis()).unwrap_or(u64::MAX),
        );
        loop {
            let now = now(clock);
            let target = if self.mempool_len() > 0 {
                busy_at
            } else {
                idle_at
            };
            if now >= target {
                break;
            }
            let step = Duration::from_millis((target.0 - now.0).min(20));
            clock.sleep_until(system_time(now) + step).await;
        }
        let started = clock.current();
        let chain = self.chain.lock().await;
        // Each signer's transactions continue from its next nonce on the parent. Signers
        // known only from gossip have their committed nonce read once.
        let unsettled = self.pool().unsettled();
        for signer in unsettled {
            match known_signer(&chain, &signer).await {
                Ok(known) => {
                    let mut pool = self.pool();
                    pool.settle(&signer, known.nonce);
                    if let Some(id) = known.institution {
                        pool.own(&signer, crate::mempool::Owner::Institution(id));
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "could not read a signer's nonce");
                    return None;
                }
            }
        }
        let pending = chain.pending_nonces(&parent_digest).ok()?;
        let (transactions_max, bytes_max) = self.settings.proposal_room();
        let transactions_max = self.pace().cap(transactions_max);
        let mut transactions = self.pool().select(transactions_max, bytes_max, &pending);
        let time = child_time(parent, now(clock));
        let executing = clock.current();
        let mut executed = self
            .execute_proposal(&chain, parent, time, &transactions)
            .await?;
        // The pace is of execution alone: waiting for the chain (a commit holding it) or
        // reading signers' nonces is not what a bigger block makes longer.
        self.paced(clock, transactions.len(), executing);
        // A transaction that would use up no nonce (not its signer's next, or for another
        // chain) changes nothing and makes the block refused: leave it out. Leaving out
        // transactions that changed nothing leaves every other one the same state, so the
        // second execution has none.
        if executed
            .outcome
            .receipts
            .iter()
            .any(|receipt| Refusal::of_outcome(receipt.outcome).is_some())
        {
            let kept: Vec<VerifiedTransaction> = transactions
                .iter()
                .zip(&executed.outcome.receipts)
                .filter(|(_, receipt)| Refusal::of_outcome(receipt.outcome).is_none())
                .map(|(transaction, _)| transaction.clone())
                .collect();
            tracing::warn!(
                left_out = transactions.len() - kept.len(),
                "proposal left out transactions that could not apply"
            );
            transactions = kept;
            executed = self
                .execute_proposal(&chain, parent, time, &transactions)
                .await?;
            assert!(
                executed
                    .outcome
                    .receipts
                    .iter()
                    .all(|receipt| Refusal::of_outcome(receipt.outcome).is_none()),
                "leaving out transactions that changed nothing must not change the others"
            );
        }
        drop(chain);
        let header = executed.header;
        self.keep(executed).await;
        self.metrics
            .executed(clock.current().duration_since(started).unwrap_or_default());
        // The selection is bounded by the block limits, which configuration bounds by the
        // format's; a selection beyond them is this node's bug: propose nothing, say why.
        let Some(transactions) = BoundedVec::new(
            transactions
                .into_iter()
                .map(VerifiedTransaction::into_signed)
                .collect(),
        ) else {
            tracing::error!("the mempool selected more transactions than a block holds");
            return None;
        };
        Some(Block {
            header,
            transactions,
        })
    }

    /// Executes `transactions` as this node's child of `parent` at `time`.
    async fn execute_proposal(
        &self,
        chain: &Chain<E>,
        parent: &BlockHeader,
        time: TimestampMs,
        transactions: &[VerifiedTransaction],
    ) -> Option<Executed> {
        let stub = BlockHeader {
            parent: parent.digest(),
            height: parent.height.next()?,
            time,
            proposer: self.settings.me,
            transactions_root: transactions_root(
                transactions.iter().map(VerifiedTransaction::hash),
            ),
            transaction_count: u32::try_from(transactions.len()).ok()?,
            state_root: Digest::default(),
        };
        match chain.execute(&stub, transactions).await {
            Ok(executed) => Some(executed),
            Err(error) => {
                tracing::error!(%error, "could not execute own proposal");
                None
            }
        }
    }

    /// A block's transactions (`hashes` theirs), verified: those this node verified on
    /// admission are taken from its mempool, and only the others are verified here, as one
    /// batch. `None` if a signature does not verify. Every path that executes a block takes
    /// its signatures from here: proposals checked, ancestors caught up, and finalised blocks
    /// this node had not executed.
    fn verified_transactions(
        &self,
        transactions: &[SignedTransaction],
        hashes: &[Digest],
    ) -> Result<Option<Vec<VerifiedTransaction>>, ChainError> {
        let mut verified = Vec::with_capacity(transactions.len());
        let mut unverified = Vec::new();
        {
            let pool = self.pool();
            for (index, (signed, hash)) in transactions.iter().zip(hashes).enumerate() {
                match pool.get(hash) {
                    Some(transaction) => verified.push(Some(transaction)),
                    None => {
                        verified.push(None);
                        unverified.push((index, signed.clone()));
                    }
                }
            }
        }
        if !unverified.is_empty() {
            let (indices, signed): (Vec<usize>, Vec<SignedTransaction>) =
                unverified.into_iter().unzip();
            let Ok(checked) = self.verifier.verify(signed) else {
                return Ok(None);
            };
            for (index, transaction) in indices.into_iter().zip(checked) {
                if let Some(slot) = verified.get_mut(index) {
                    *slot = Some(transaction);
                }
            }
        }
        // Batch verification answers every transaction it is given, and `hashes` are the
        // block's own, so every slot is filled; one left empty is this node's bug, not the
        // block's fault.
        match verified.into_iter().collect::<Option<Vec<_>>>() {
            Some(verified) if verified.len() == transactions.len() => Ok(Some(verified)),
            _ => Err(ChainError::Invariant(
                "signature verification answers every transaction of a block",
            )),
        }
    }

    async fn keep(&self, executed: Executed) {
        self.chain.lock().await.keep(executed);
    }

    /// Checks a proposed block whose parent (`parent`) is executed here: structure, time,
    /// signatures, and execution — every transaction must use up its nonce, and the state
    /// root must be the header's. A timestamp ahead of this node's clock is waited out, so
    /// validity never depends on whose clock is right. A refusal is logged with its rule and
    /// counted in [`Node::refusals`].
    pub async fn verify(
        &self,
        clock: &impl Clock,
        block: &Block,
        parent: &BlockHeader,
        leader: &PublicKey,
    ) -> Result<Result<(), Refusal>, ChainError> {
        let verdict = self.check(clock, block, parent, leader).await?;
        if let Err(refusal) = verdict {
            tracing::warn!(
                height = block.header.height.0,
                proposer = %block.header.proposer,
                reason = refusal.code(),
                "proposal refused"
            );
            self.refusals.count(refusal);
            self.metrics.refused();
        }
        Ok(verdict)
    }

    async fn check(
        &self,
        clock: &impl Clock,
        block: &Block,
        parent: &BlockHeader,
        leader: &PublicKey,
    ) -> Result<Result<(), Refusal>, ChainError> {
        let header = &block.header;
        if header.parent != parent.digest() {
            return Ok(Err(Refusal::ParentMismatch));
        }
        if header.height.0 != parent.height.0.saturating_add(1) {
            return Ok(Err(Refusal::HeightNotNext));
        }
        if header.time <= parent.time {
            return Ok(Err(Refusal::TimeNotAfterParent));
        }
        if header.time.0 > parent.time.0.saturating_add(MAX_TIME_STEP_MS) {
            return Ok(Err(Refusal::TimeStepTooLarge));
        }
        if &header.proposer != leader {
            return Ok(Err(Refusal::ProposerNotLeader));
        }
        // The network's bounds, never this node's own proposing limit: validators whose
        // operators chose different limits still agree on every block.
        if block.transactions.len() > self.settings.block_limits.transactions_max {
            return Ok(Err(Refusal::TooManyTransactions));
        }
        if block.encode_size() > self.settings.block_limits.bytes_max {
            return Ok(Err(Refusal::BlockTooLarge));
        }
        let hashes = transaction_hashes(block.transactions.as_slice());
        let unique: BTreeSet<&Digest> = hashes.iter().collect();
        if unique.len() != hashes.len() {
            return Ok(Err(Refusal::DuplicateTransaction));
        }
        if !block.commits_to(&hashes) {
            return Ok(Err(Refusal::TransactionsRootMismatch));
        }
        wait_for_block_time(clock, header, parent).await;

        let Some(transactions) =
            self.verified_transactions(block.transactions.as_slice(), &hashes)?
        else {
            return Ok(Err(Refusal::SignatureInvalid));
        };

        let started = clock.current();
        let chain = self.chain.lock().await;
        if chain.is_executed(&header.digest()) {
            return Ok(Ok(()));
        }
        let executing = clock.current();
        let executed = chain.execute(header, &transactions).await?;
        drop(chain);
        self.paced(clock, transactions.len(), executing);
        if let Some(refusal) = executed
            .outcome
            .receipts
            .iter()
            .find_map(|receipt| Refusal::of_outcome(receipt.outcome))
        {
            return Ok(Err(refusal));
        }
        if executed.header.state_root != header.state_root {
            return Ok(Err(Refusal::StateRootMismatch));
        }
        self.keep(executed).await;
        self.metrics
            .executed(clock.current().duration_since(started).unwrap_or_default());
        Ok(Ok(()))
    }

    /// Commits a finalised block (the child of the tip) and tells listeners. Blocks at or
    /// below the tip were committed before (a redelivery after a restart) and are skipped.
    pub async fn finalize(&self, clock: &impl Clock, block: &Block) -> Result<(), ChainError> {
        let started = clock.current();
        let committed = {
            let mut chain = self.chain.lock().await;
            if block.header.height <= chain.tip().header.height {
                return Ok(());
            }
            let committed = chain
                .commit(block, |signed| {
                    self.verified_transactions(signed, &transaction_hashes(signed))
                })
                .await?;
            // Settle the mempool before a proposer can see the new tip, so it never selects
            // a transaction this block used up.
            let mut pool = self.pool();
            for (transaction, receipt) in committed
                .transactions
                .iter()
                .zip(&committed.outcome.receipts)
            {
                // A transaction that did not use up its nonce may still apply later.
                if receipt.outcome.consumes_nonce() {
                    let transaction = transaction.transaction();
                    pool.settle(&transaction.signer, transaction.nonce);
                }
            }
            self.metrics.mempool_size(pool.len());
            committed
        };
        self.metrics.committed(
            &committed,
            clock.current().duration_since(started).unwrap_or_default(),
        );
        for event in &committed.outcome.events {
            if let credence_types::receipt::Event::DeadlineFailed { queue, id, code } = &event.event
            {
                // Ids and codes only: nothing personal. The entry is off its queue for good.
                tracing::warn!(
                    height = committed.header.height.0,
                    ?queue,
                    id,
                    code = code.code(),
                    "a deadline's rule failed; its entry was taken off the queue"
                );
            }
        }
        {
            let mut recent = self.recent_blocks();
            if recent.len() >= RECENT_BLOCKS_MAX {
                recent.pop_front();
            }
            recent.push_back(BlockSummary {
                digest: committed.digest,
                header: committed.header,
                transactions: committed
                    .transactions
                    .iter()
                    .map(VerifiedTransaction::hash)
                    .collect(),
            });
        }
        #[cfg(feature = "byzantine")]
        if let Some(tamper) = self.tamper.get() {
            tamper.observe(&committed);
        }
        let _ = self.commits.send(Arc::new(committed));
        Ok(())
    }
}
