//! Offers a pre-signed load to the devnet open-loop and times each transaction from its
//! intended send time to the moment its block is seen finalised, so a stalled node cannot
//! hide latency by delaying submissions.
//!
//! The generator behaves as a well-made client does ([`credence_client::submission`]): each
//! signer's transactions go to one validator (chosen by its key), in nonce order; what a
//! busy validator refuses is resubmitted, with the signer's later transactions, after its
//! `Retry-After`. Every 20 ms, everything now due joins its sender's queue (four senders a
//! validator, each serving its own signers), and each sender submits its whole queue as it
//! stands. Blocks are followed on
//! validator 0.
//!
//! Goodput counts transactions finalised within the measured window (after the warm-up);
//! latency is measured for those intended within it, from intent (the client's wait
//! included) and from admission (what the network owes once it accepted). Busy answers,
//! resubmissions and final refusals are counted apart.

use super::{percentile, usage};
use credence_client::{
    NodeClient,
    submission::{self, Answer, RetryPolicy},
};
use credence_types::{Digest, Height, SignedTransaction, api::TransactionStatus, receipt::Outcome};
use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// One second of a run, for the chart.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Second {
    /// Seconds since the load started.
    pub at: u64,
    /// Transactions finalised in this second.
    pub tps: u64,
    /// Median latency of those, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency of those, milliseconds.
    pub p99_ms: f64,
}

/// What a run of the load measured.
pub struct Measured {
    /// Goodput: finalised a second over the measured window.
    pub tps: f64,
    /// Latency from intent of the window's transactions, median, milliseconds.
    pub p50_ms: f64,
    /// The same, 99th percentile.
    pub p99_ms: f64,
    /// Latency from admission of the window's transactions, 99th percentile, milliseconds.
    pub admitted_p99_ms: f64,
    /// Of the window's transactions, not finalised by the end of the run.
    pub unfinished: usize,
    /// Of all transactions admitted by a validator, not finalised by the end of the run.
    pub admitted_unfinished: usize,
    /// Refused for good at submission (a refusal retrying cannot cure).
    pub refused: usize,
    /// Busy answers (429) received.
    pub throttled: u64,
    /// Transactions resubmitted.
    pub retries: u64,
    /// Transactions finalised in the whole run (warm-up included).
    pub finalized: usize,
    /// Each node's CPU and memory over the window.
    pub usage: Vec<usage::NodeUsage>,
    /// Each second of the run.
    pub timeline: Vec<Second>,
}

#[derive(Default)]
struct Tracking {
    /// Intended send time, by hash, until finalised.
    intended: HashMap<Digest, Instant>,
    /// Admission time, by hash, until finalised.
    admitted: HashMap<Digest, Instant>,
    /// (intended, admitted, finalised seen) of each finalised transaction.
    finalized: Vec<(Instant, Option<Instant>, Instant)>,
    refused: usize,
    refused_codes: BTreeMap<String, usize>,
    throttled: u64,
    retries: u64,
}

/// Senders per validator, each a client of its own serving its share of the signers, so a
/// validator has this many requests in flight.
const LANES: usize = 4;

/// The sender a signer's transactions go to (validator `lane % nodes`): each signer to one,
/// so its nonces arrive in order.
fn lane(transaction: &SignedTransaction, nodes: usize) -> usize {
    let key = &transaction.transaction.signer.0;
    usize::from(u16::from_le_bytes([key[0], key[1]])) % (nodes.max(1) * LANES)
}

/// One validator's sender: submits what is queued for it, as a retrying client.
async fn sender(
    node: NodeClient,
    load: Arc<Vec<SignedTransaction>>,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<Vec<usize>>,
    tracking: Arc<Mutex<Tracking>>,
) {
    let policy = RetryPolicy {
        batch: 1_024,
        first_wait: Duration::from_millis(50),
        max_wait: Duration::from_secs(2),
        give_up_after: Duration::from_secs(3_600),
        ..RetryPolicy::default()
    };
    while let Some(first) = queue.recv().await {
        let mut indices = first;
        while let Ok(more) = queue.try_recv() {
            indices.extend(more);
        }
        let batch: Vec<SignedTransaction> = indices.iter().map(|&i| load[i].clone()).collect();
        let Ok(submitted) = submission::submit_all(&node, &batch, &policy).await else {
            continue;
        };
        let now = Instant::now();
        let mut tracking = tracking.lock().expect("never poisoned");
        tracking.throttled += submitted.throttled;
        tracking.retries += submitted.retries;
        for (answer, transaction) in submitted.answers.iter().zip(&batch) {
            match answer {
                Answer::Accepted(hash) => {
                    if tracking.intended.contains_key(hash) {
                        tracking.admitted.insert(*hash, now);
                    }
                }
                Answer::Refused { code, .. } => {
                    tracking.refused += 1;
                    *tracking.refused_codes.entry(code.clone()).or_default() += 1;
                    tracking.intended.remove(&transaction.hash());
                }
            }
        }
    }
}

/// Offers `load` at `rate` a second: `warmup` seconds, then `duration` measured, then up to
/// 10 seconds for what was offered to finish.
pub async fn drive(
    nodes: &[NodeClient],
    load: Vec<SignedTransaction>,
    rate: u64,
    warmup: u64,
    duration: u64,
    dir: &Path,
) -> anyhow::Result<Measured> {
    let tracking = Arc::new(Mutex::new(Tracking::default()));
    let start = Instant::now() + Duration::from_millis(200);
    let warmup_end = start + Duration::from_secs(warmup);
    let end = warmup_end + Duration::from_secs(duration);
    let grace = end + Duration::from_secs(10);
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let sampler = tokio::spawn(usage::sample(
        usage::node_pids(dir, nodes.len()),
        warmup_end,
        end,
    ));
    let lanes: Vec<usize> = load.iter().map(|t| lane(t, nodes.len())).collect();
    let load = Arc::new(load);

    // Follow finalised blocks on node 0.
    let follower = {
        let node = nodes[0].clone();
        let tracking = Arc::clone(&tracking);
        tokio::spawn(async move {
            let mut height = node.status().await.map(|s| s.height.0).unwrap_or(0) + 1;
            while Instant::now() < grace {
                match node.block(Height(height)).await {
                    Ok(block) => {
                        let seen = Instant::now();
                        let mut tracking = tracking.lock().expect("never poisoned");
                        for hash in &block.transactions {
                            if let Some(intended) = tracking.intended.remove(hash) {
                                let admitted = tracking.admitted.remove(hash);
                                tracking.finalized.push((intended, admitted, seen));
                            }
                        }
                        height += 1;
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        })
    };

    let mut queues = Vec::with_capacity(nodes.len() * LANES);
    let mut senders = Vec::with_capacity(nodes.len() * LANES);
    for index in 0..nodes.len() * LANES {
        let (queue, receiver) = tokio::sync::mpsc::unbounded_channel();
        queues.push(queue);
        senders.push(tokio::spawn(sender(
            nodes[index % nodes.len()].clone(),
            Arc::clone(&load),
            receiver,
            Arc::clone(&tracking),
        )));
    }

    let mut next = 0usize;
    let mut progress = start;
    while next < load.len() {
        let now = Instant::now();
        let due = if now < start {
            0
        } else {
            (((now - start).as_secs_f64() / interval.as_secs_f64()) as usize + 1).min(load.len())
        };
        if due > next {
            let mut by_lane: Vec<Vec<usize>> = vec![Vec::new(); queues.len()];
            {
                let mut tracking = tracking.lock().expect("never poisoned");
                for index in next..due {
                    let intended = start + interval.mul_f64(index as f64);
                    tracking.intended.insert(load[index].hash(), intended);
                    by_lane[lanes[index]].push(index);
                }
            }
            for (queue, indices) in queues.iter().zip(by_lane) {
                if !indices.is_empty() {
                    let _ = queue.send(indices);
                }
            }
            next = due;
        }
        if now >= progress + Duration::from_secs(5) {
            progress = now;
            let tracking = tracking.lock().expect("never poisoned");
            eprintln!(
                "  {:>3}s: {next} offered, {} finalised, {} throttled, {} resubmitted",
                (now - start).as_secs(),
                tracking.finalized.len(),
                tracking.throttled,
                tracking.retries,
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(queues);
    let _ = follower.await;
    // What a sender still holds after the grace period is the client's backlog.
    for sender in senders {
        sender.abort();
    }
    let usage = sampler.await.unwrap_or_default();

    let tracking = tracking.lock().expect("never poisoned");
    if !tracking.refused_codes.is_empty() {
        eprintln!("  refused for good, by code: {:?}", tracking.refused_codes);
    }
    let in_window = |at: &Instant| *at >= warmup_end && *at < end;
    let millis =
        |from: Instant, to: Instant| to.saturating_duration_since(from).as_secs_f64() * 1_000.0;
    let mut latencies: Vec<f64> = tracking
        .finalized
        .iter()
        .filter(|(intended, _, _)| in_window(intended))
        .map(|(intended, _, seen)| millis(*intended, *seen))
        .collect();
    latencies.sort_by(f64::total_cmp);
    let mut admitted_latencies: Vec<f64> = tracking
        .finalized
        .iter()
        .filter(|(intended, _, _)| in_window(intended))
        .filter_map(|(_, admitted, seen)| admitted.map(|admitted| millis(admitted, *seen)))
        .collect();
    admitted_latencies.sort_by(f64::total_cmp);
    let committed_in_window = tracking
        .finalized
        .iter()
        .filter(|(_, _, seen)| in_window(seen))
        .count();
    let unfinished = tracking
        .intended
        .values()
        .filter(|at| in_window(at))
        .count();
    let mut seconds: Vec<Vec<f64>> = Vec::new();
    for (intended, _, seen) in &tracking.finalized {
        let at = usize::try_from(seen.saturating_duration_since(start).as_secs())?;
        if seconds.len() <= at {
            seconds.resize(at + 1, Vec::new());
        }
        seconds[at].push(millis(*intended, *seen));
    }
    let timeline = seconds
        .into_iter()
        .zip(0u64..)
        .map(|(mut latencies, at)| {
            latencies.sort_by(f64::total_cmp);
            Second {
                at,
                tps: latencies.len() as u64,
                p50_ms: percentile(&latencies, 50.0),
                p99_ms: percentile(&latencies, 99.0),
            }
        })
        .collect();
    Ok(Measured {
        tps: committed_in_window as f64 / duration.max(1) as f64,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        admitted_p99_ms: percentile(&admitted_latencies, 99.0),
        unfinished,
        admitted_unfinished: tracking.admitted.len(),
        refused: tracking.refused,
        throttled: tracking.throttled,
        retries: tracking.retries,
        finalized: tracking.finalized.len(),
        usage,
        timeline,
    })
}

/// What became of a sample of a load.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Audit {
    /// Transactions sampled.
    pub sampled: usize,
    /// Of those, applied.
    pub applied: usize,
    /// Of those, rejected, by code (refused or unfinished ones are in neither).
    pub rejected: BTreeMap<&'static str, usize>,
}

/// The hashes of about `count` transactions spread evenly over `load`.
pub fn sample(load: &[SignedTransaction], count: usize) -> Vec<Digest> {
    let step = (load.len() / count.max(1)).max(1);
    load.iter()
        .step_by(step)
        .map(SignedTransaction::hash)
        .collect()
}

/// Reads what became of each sampled transaction.
pub async fn audit(node: &NodeClient, sample: &[Digest]) -> anyhow::Result<Audit> {
    let mut audit = Audit {
        sampled: sample.len(),
        applied: 0,
        rejected: BTreeMap::new(),
    };
    for hash in sample {
        match node.transaction(hash).await {
            Ok(TransactionStatus::Finalized {
                outcome: Outcome::Applied,
                ..
            }) => audit.applied += 1,
            Ok(TransactionStatus::Finalized {
                outcome: Outcome::Rejected(rejection),
                ..
            }) => *audit.rejected.entry(rejection.code()).or_default() += 1,
            Ok(TransactionStatus::Pending) | Err(_) => {}
        }
    }
    Ok(audit)
}
