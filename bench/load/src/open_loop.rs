//! Offers a pre-signed load to the devnet open-loop and times each transaction from its
//! intended send time to the moment its block is seen finalised, so a stalled node cannot
//! hide latency by delaying submissions.
//!
//! Every 20 ms, everything now due goes to the next validator in turn; blocks are followed
//! on validator 0. Throughput counts transactions finalised within the measured window
//! (after the warm-up), latency those intended within it.

use super::{percentile, usage};
use credence_client::NodeClient;
use credence_types::{
    Digest, Height, SignedTransaction,
    api::{BatchItem, TransactionStatus},
    receipt::Outcome,
};
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
    /// Finalised a second over the measured window.
    pub tps: f64,
    /// Latency of the window's transactions, median, milliseconds.
    pub p50_ms: f64,
    /// The same, 99th percentile.
    pub p99_ms: f64,
    /// Of the window's transactions, not finalised by the end of the run.
    pub unfinished: usize,
    /// Refused by the nodes at submission.
    pub refused: usize,
    /// Transactions finalised in the whole run (warm-up included).
    pub finalized: usize,
    /// Each node's CPU and memory over the window.
    pub usage: Vec<usage::NodeUsage>,
    /// Each second of the run.
    pub timeline: Vec<Second>,
}

struct Tracking {
    intended: HashMap<Digest, Instant>,
    finalized: Vec<(Instant, Instant)>,
}

/// Offers `load` at `rate` a second: `warmup` seconds, then `duration` measured.
pub async fn drive(
    nodes: &[NodeClient],
    load: Vec<SignedTransaction>,
    rate: u64,
    warmup: u64,
    duration: u64,
    dir: &Path,
) -> anyhow::Result<Measured> {
    let tracking = Arc::new(Mutex::new(Tracking {
        intended: HashMap::with_capacity(load.len()),
        finalized: Vec::with_capacity(load.len()),
    }));
    let start = Instant::now() + Duration::from_millis(200);
    let warmup_end = start + Duration::from_secs(warmup);
    let end = warmup_end + Duration::from_secs(duration);
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let refused = Arc::new(Mutex::new(0usize));
    let sampler = tokio::spawn(usage::sample(
        usage::node_pids(dir, nodes.len()),
        warmup_end,
        end,
    ));

    // Follow finalised blocks on node 0.
    let follower = {
        let node = nodes[0].clone();
        let tracking = Arc::clone(&tracking);
        tokio::spawn(async move {
            let mut height = node.status().await.map(|s| s.height.0).unwrap_or(0) + 1;
            let grace = end + Duration::from_secs(10);
            while Instant::now() < grace {
                match node.block(Height(height)).await {
                    Ok(block) => {
                        let seen = Instant::now();
                        let mut tracking = tracking.lock().expect("never poisoned");
                        for hash in &block.transactions {
                            if let Some(intended) = tracking.intended.remove(hash) {
                                tracking.finalized.push((intended, seen));
                            }
                        }
                        height += 1;
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        })
    };

    let mut next = 0usize;
    let mut turn = 0usize;
    let mut inflight = Vec::new();
    let mut progress = start;
    while next < load.len() {
        let now = Instant::now();
        let due = if now < start {
            0
        } else {
            (((now - start).as_secs_f64() / interval.as_secs_f64()) as usize + 1).min(load.len())
        };
        if due > next {
            let batch: Vec<SignedTransaction> = load[next..due].to_vec();
            {
                let mut tracking = tracking.lock().expect("never poisoned");
                for (offset, transaction) in batch.iter().enumerate() {
                    let intended = start + interval.mul_f64((next + offset) as f64);
                    tracking.intended.insert(transaction.hash(), intended);
                }
            }
            next = due;
            let node = nodes[turn % nodes.len()].clone();
            turn += 1;
            let refused = Arc::clone(&refused);
            let tracking = Arc::clone(&tracking);
            inflight.push(tokio::spawn(async move {
                for chunk in batch.chunks(1_024) {
                    if let Ok(items) = node.submit_batch(chunk).await {
                        for (item, transaction) in items.iter().zip(chunk) {
                            if let BatchItem::Refused { .. } = item {
                                *refused.lock().expect("never poisoned") += 1;
                                tracking
                                    .lock()
                                    .expect("never poisoned")
                                    .intended
                                    .remove(&transaction.hash());
                            }
                        }
                    }
                }
            }));
        }
        if now >= progress + Duration::from_secs(5) {
            progress = now;
            let done = tracking.lock().expect("never poisoned").finalized.len();
            eprintln!(
                "  {:>3}s: {next} offered, {done} finalised",
                (now - start).as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for task in inflight {
        let _ = task.await;
    }
    let _ = follower.await;
    let usage = sampler.await.unwrap_or_default();

    let tracking = tracking.lock().expect("never poisoned");
    let latency = |(intended, seen): &(Instant, Instant)| {
        seen.saturating_duration_since(*intended).as_secs_f64() * 1_000.0
    };
    let mut latencies: Vec<f64> = tracking
        .finalized
        .iter()
        .filter(|(intended, _)| *intended >= warmup_end && *intended < end)
        .map(latency)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let committed_in_window = tracking
        .finalized
        .iter()
        .filter(|(_, seen)| *seen >= warmup_end && *seen < end)
        .count();
    let unfinished = tracking
        .intended
        .values()
        .filter(|intended| **intended >= warmup_end && **intended < end)
        .count();
    let mut seconds: Vec<Vec<f64>> = Vec::new();
    for pair in &tracking.finalized {
        let at = usize::try_from(pair.1.saturating_duration_since(start).as_secs())?;
        if seconds.len() <= at {
            seconds.resize(at + 1, Vec::new());
        }
        seconds[at].push(latency(pair));
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
        unfinished,
        refused: *refused.lock().expect("never poisoned"),
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
