//! Submitting transactions to a node that may be busy, as every Credence client should.
//!
//! A busy node refuses early with a 429 (`mempool_full`, `share_exceeded`) and says in
//! `Retry-After` when to come back; it also refuses a signer's later transactions behind a
//! refused one (`nonce_gap`), since it never holds a transaction that cannot be included.
//! [`submit_all`] sends transactions in batches, in the order given (each signer's in nonce
//! order), and resubmits what was refused as busy — with the signer's later ones, in nonce
//! order — after `Retry-After`, or an exponential backoff with jitter when the node did not
//! say. A `nonce_gap` no refusal of this call explains (the predecessor is on its way from a
//! concurrent submission) is retried for [`RetryPolicy::gap_patience`]. Every transaction
//! ends accepted or explicitly refused with the node's code: nothing is dropped in between,
//! and a refusal that retrying cannot cure is never retried.

use crate::http::{ClientError, NodeClient};
use credence_types::{
    ApiErrorCode, Digest, PublicKey, SignedTransaction,
    api::{BatchItem, TransactionStatus},
};
use std::{
    collections::{BTreeSet, VecDeque},
    time::{Duration, Instant},
};

/// How [`submit_all`] batches and waits.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Most transactions in one request (at most the API's batch bound, 1,024).
    pub batch: usize,
    /// The first wait after a busy answer without `Retry-After`, or a failed request.
    pub first_wait: Duration,
    /// The longest wait between two attempts.
    pub max_wait: Duration,
    /// How long to keep retrying before refusing what is left as the node last refused it.
    pub give_up_after: Duration,
    /// How long to keep resubmitting a transaction refused as `nonce_gap` that no refusal
    /// of this call explains: its predecessor may be on its way from another submission
    /// (a concurrent one, or through another validator's gossip).
    pub gap_patience: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            batch: 512,
            first_wait: Duration::from_millis(200),
            max_wait: Duration::from_secs(10),
            give_up_after: Duration::from_secs(600),
            gap_patience: Duration::from_secs(10),
        }
    }
}

/// What became of one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Admitted to the node's mempool (or found already there, or already finalised, when
    /// an earlier attempt's answer was lost).
    Accepted(Digest),
    /// Refused for good, with the node's code.
    Refused {
        /// The API's error code.
        code: String,
        /// Why, for people.
        message: String,
    },
}

/// The answers of [`submit_all`], one per transaction in the order given, and how hard the
/// node pushed back.
#[derive(Clone, Debug, Default)]
pub struct Submitted {
    /// What became of each transaction.
    pub answers: Vec<Answer>,
    /// Busy answers (429 codes) received, over all attempts.
    pub throttled: u64,
    /// Transactions sent again after a busy answer, a gap behind one, or a failed request.
    pub retries: u64,
}

/// Submits `transactions` (each signer's in nonce order) to `node`, retrying what a busy node
/// refused, until each is accepted or refused for good (see the module's documentation).
/// Fails only if the node cannot be reached for `policy.give_up_after`.
pub async fn submit_all(
    node: &NodeClient,
    transactions: &[SignedTransaction],
    policy: &RetryPolicy,
) -> Result<Submitted, ClientError> {
    let started = Instant::now();
    let mut answers: Vec<Option<Answer>> = vec![None; transactions.len()];
    let mut waiting: VecDeque<usize> = (0..transactions.len()).collect();
    let mut sent = vec![false; transactions.len()];
    // When each transaction was first refused as a gap no refusal of ours explains.
    let mut gapped: Vec<Option<Instant>> = vec![None; transactions.len()];
    let mut result = Submitted::default();
    let mut backoff = Backoff::new(policy);
    let batch = policy.batch.clamp(1, 1_024);
    while !waiting.is_empty() {
        let chunk: Vec<usize> = waiting.drain(..batch.min(waiting.len())).collect();
        let body: Vec<SignedTransaction> = chunk.iter().map(|&i| transactions[i].clone()).collect();
        let (items, retry_after) = match node.submit_batch(&body).await {
            Ok(answer) => (answer.items, answer.retry_after),
            Err(error) if started.elapsed() < policy.give_up_after && retryable(&error) => {
                result.retries += u64::try_from(chunk.len()).unwrap_or(u64::MAX);
                requeue(&mut waiting, &chunk);
                tokio::time::sleep(backoff.next(None)).await;
                continue;
            }
            Err(error) => return Err(error),
        };
        let giving_up = started.elapsed() >= policy.give_up_after;
        // Signers with a transaction to send again: their later ones wait behind it.
        let mut held: BTreeSet<PublicKey> = BTreeSet::new();
        let mut again = Vec::new();
        let mut busy_round = false;
        for (&index, item) in chunk.iter().zip(items) {
            let transaction = &transactions[index];
            let signer = transaction.transaction.signer;
            let answer = match item {
                BatchItem::Accepted { hash } => Answer::Accepted(hash),
                BatchItem::Refused { code, message } => {
                    let known = ApiErrorCode::from_code(&code);
                    let busy = known.is_some_and(ApiErrorCode::is_busy);
                    if busy {
                        result.throttled += 1;
                    }
                    let gap = known == Some(ApiErrorCode::NonceGap);
                    let behind = gap && held.contains(&signer);
                    let awaited = gap
                        && !behind
                        && gapped[index].get_or_insert_with(Instant::now).elapsed()
                            < policy.gap_patience;
                    let unavailable = known == Some(ApiErrorCode::NodeUnavailable);
                    if !giving_up && (busy || behind || awaited || unavailable) {
                        busy_round |= busy || unavailable;
                        held.insert(signer);
                        again.push(index);
                        continue;
                    }
                    settled(node, transaction, sent[index], known, code, message).await
                }
            };
            sent[index] = true;
            answers[index] = Some(answer);
        }
        if !again.is_empty() {
            for &index in &again {
                sent[index] = true;
            }
            result.retries += u64::try_from(again.len()).unwrap_or(u64::MAX);
            requeue(&mut waiting, &again);
            // Only awaiting predecessors in flight: they land in milliseconds, so look again
            // soon, without growing the backoff a busy node earns.
            let wait = if busy_round {
                backoff.next(retry_after)
            } else {
                policy.first_wait / 4
            };
            tokio::time::sleep(wait).await;
        } else {
            backoff.reset();
        }
    }
    result.answers = answers
        .into_iter()
        .map(|answer| answer.expect("every transaction is answered before the loop ends"))
        .collect();
    Ok(result)
}

/// Puts `indices` back at the front of `waiting`, in their order: they precede every index
/// still waiting.
fn requeue(waiting: &mut VecDeque<usize>, indices: &[usize]) {
    for &index in indices.iter().rev() {
        waiting.push_front(index);
    }
}

/// Whether a failed request may succeed if sent again: the node could not be reached, or
/// answered busy or unavailable.
fn retryable(error: &ClientError) -> bool {
    match error {
        ClientError::Transport(_) => true,
        ClientError::Refused { status, .. } => *status == 429 || *status >= 500,
        _ => false,
    }
}

/// The answer for a refusal retrying cannot cure. A transaction sent before whose answer
/// was lost can come back as `transaction_duplicate` or `nonce_stale`: it is pending or
/// final, so it was accepted.
async fn settled(
    node: &NodeClient,
    transaction: &SignedTransaction,
    sent_before: bool,
    known: Option<ApiErrorCode>,
    code: String,
    message: String,
) -> Answer {
    let hash = transaction.hash();
    match known {
        Some(ApiErrorCode::TransactionDuplicate) => Answer::Accepted(hash),
        Some(ApiErrorCode::NonceStale | ApiErrorCode::NonceTaken) if sent_before => {
            match node.transaction(&hash).await {
                Ok(TransactionStatus::Pending | TransactionStatus::Finalized { .. }) => {
                    Answer::Accepted(hash)
                }
                _ => Answer::Refused { code, message },
            }
        }
        _ => Answer::Refused { code, message },
    }
}

/// Waits between attempts: what the node asked for, else doubling from the first wait up to
/// the longest; with up to a quarter more, so clients refused together do not return
/// together.
struct Backoff {
    first: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    fn new(policy: &RetryPolicy) -> Self {
        Self {
            first: policy.first_wait,
            max: policy.max_wait.max(policy.first_wait),
            current: policy.first_wait,
        }
    }

    fn next(&mut self, asked: Option<Duration>) -> Duration {
        let base = match asked {
            Some(asked) => asked.min(self.max),
            None => {
                let base = self.current;
                self.current = (self.current * 2).min(self.max);
                base
            }
        };
        base + base.mul_f64(jitter() / 4.0)
    }

    fn reset(&mut self) {
        self.current = self.first;
    }
}

/// A number in [0, 1) that differs between processes and calls: the clock's nanoseconds,
/// mixed. Spreads retries; nothing depends on its quality.
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mixed = u64::from(nanos)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29);
    (mixed >> 11) as f64 / (1u64 << 53) as f64
}
