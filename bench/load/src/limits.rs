//! This machine's limits, measured before each scenario in the same run: Ed25519 verification
//! with the node's own signature code (batched on all cores, and one at a time on one core),
//! and the latency of a durable 4 KiB write in the devnet's directory.
//!
//! Every validator verifies every transaction and the validators share the cores, so the
//! batched rate divided by the validators bounds the network's throughput; the fsync latency
//! bounds how fast a block can be committed.

use super::percentile;
use anyhow::Context as _;
use credence_client::Account;
use credence_crypto::{SigningKey, verify_batch};
use credence_types::{SignedTransaction, codec::Name};
use std::{
    path::Path,
    time::{Duration, Instant},
};

/// This machine's limits, as measured just before a scenario.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Limits {
    /// Cores used for batch verification.
    pub threads: usize,
    /// Batch Ed25519 verification rate on all cores, signatures per second, for batches
    /// signed by one key (the bound's measure since it was first taken).
    pub verify_per_second: f64,
    /// The same for batches whose every signature has a signer of its own, as in a lending
    /// day's load: batch verification coalesces the terms of signatures that share a key, so
    /// one signer is its best case. Reported beside the bound, not used for it.
    pub verify_distinct_per_second: f64,
    /// One-at-a-time Ed25519 verification rate on one core, signatures per second.
    pub verify_single_per_second: f64,
    /// The throughput bound verification sets: every validator verifies every transaction
    /// and the validators share the cores, so the batch rate divided by the validators.
    pub bound_tps: f64,
    /// Latency of a 4 KiB write made durable with fsync in the devnet's directory, median,
    /// milliseconds: what bounds the latency of a block's commit.
    pub fsync_p50_ms: f64,
    /// The same, 99th percentile.
    pub fsync_p99_ms: f64,
}

/// Measures this machine's limits for a devnet of `validators` in `dir`.
pub fn measure(dir: &Path, validators: usize) -> anyhow::Result<Limits> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let verify_per_second = verification_rate(threads, &signed_sample(Signers::One)?)?;
    let verify_distinct_per_second = verification_rate(threads, &signed_sample(Signers::OneEach)?)?;
    let verify_single_per_second = single_verification_rate()?;
    let bound_tps = verify_per_second / validators as f64;
    let (fsync_p50_ms, fsync_p99_ms) = fsync_latency(dir)?;
    eprintln!(
        "  limits: {verify_per_second:.0} sig/s batched on {threads} cores \
         ({verify_single_per_second:.0}/s singly on one; {verify_distinct_per_second:.0}/s \
         batched with a signer a signature) → bound {bound_tps:.0} tx/s for {validators} \
         validators; fsync 4 KiB p50 {fsync_p50_ms:.2} ms, p99 {fsync_p99_ms:.2} ms"
    );
    Ok(Limits {
        threads,
        verify_per_second,
        verify_distinct_per_second,
        verify_single_per_second,
        bound_tps,
        fsync_p50_ms,
        fsync_p99_ms,
    })
}

/// Who signs the sample.
#[derive(Clone, Copy)]
enum Signers {
    /// One key signs every transaction.
    One,
    /// Every transaction has a key of its own.
    OneEach,
}

/// Transactions signed for measuring verification.
fn signed_sample(signers: Signers) -> anyhow::Result<Vec<SignedTransaction>> {
    let chain = Name::new("bench").map_err(anyhow::Error::msg)?;
    let account = |seed: u64| {
        let mut bytes = [9; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        Account::new(SigningKey::from_seed(&bytes), chain.clone(), 0)
    };
    let mut one = account(0);
    Ok((0..4_096u64)
        .map(|i| {
            let payload = credence_types::Payload::ApproveGovernance(credence_types::ProposalId(i));
            match signers {
                Signers::One => one.sign(payload),
                Signers::OneEach => account(i + 1).sign(payload),
            }
        })
        .collect())
}

/// One-at-a-time verification on one core with the node's signature code (what a node does
/// for a transaction submitted alone).
fn single_verification_rate() -> anyhow::Result<f64> {
    let signed = signed_sample(Signers::One)?;
    let started = Instant::now();
    let mut verified = 0usize;
    while started.elapsed() < Duration::from_secs(1) {
        for transaction in &signed {
            credence_crypto::verify_one(transaction.clone())
                .map_err(|e| anyhow::anyhow!("signature: {e}"))?;
        }
        verified += signed.len();
    }
    Ok(verified as f64 / started.elapsed().as_secs_f64())
}

/// Batch verification of `signed` on all cores with the node's signature code.
fn verification_rate(threads: usize, signed: &[SignedTransaction]) -> anyhow::Result<f64> {
    let pool = commonware_parallel::Rayon::new(
        std::num::NonZeroUsize::new(threads.max(1)).context("threads")?,
    )
    .map_err(|e| anyhow::anyhow!("thread pool: {e}"))?;
    let started = Instant::now();
    let mut verified = 0usize;
    while started.elapsed() < Duration::from_secs(2) {
        verify_batch(signed.to_vec(), &pool)
            .map_err(|(i, e)| anyhow::anyhow!("signature {i}: {e}"))?;
        verified += signed.len();
    }
    Ok(verified as f64 / started.elapsed().as_secs_f64())
}

/// The latency of durable 4 KiB writes in `dir` (write, then fsync of the data), as median
/// and 99th percentile in milliseconds.
fn fsync_latency(dir: &Path) -> anyhow::Result<(f64, f64)> {
    use std::io::Write as _;
    const WRITES: usize = 200;
    let path = dir.join(".fsync-probe");
    let mut file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let block = [0x5au8; 4096];
    let mut samples = Vec::with_capacity(WRITES);
    for _ in 0..WRITES {
        let started = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    drop(file);
    std::fs::remove_file(&path)?;
    samples.sort_by(f64::total_cmp);
    Ok((percentile(&samples, 50.0), percentile(&samples, 99.0)))
}
