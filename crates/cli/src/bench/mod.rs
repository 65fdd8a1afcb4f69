//! `credence bench`: named scenarios against a devnet (its own, or a running one), measured
//! beside this machine's limits in the same run, printed as one table (or JSON).
//!
//! 1. Measures this machine's limits: Ed25519 batch verification with the node's own signature
//!    code on all cores (and, for reference, one at a time on one core). Every validator
//!    verifies every transaction, and the validators share the cores, so `rate ÷ validators`
//!    bounds the network's throughput. Also the latency of an fsync'd 4 KiB write in the
//!    devnet's directory, which bounds how fast a block can be committed.
//! 2. Registers a population of subjects (not timed).
//! 3. Signs the whole load before the clock starts: monthly tradeline updates furnished by the
//!    validator banks (most of it), consents, and new registrations.
//! 4. Submits open-loop at the chosen rate, each transaction at its intended send time, to the
//!    validators in turn, and follows finalised blocks; a transaction's latency runs from its
//!    intended send time to the moment its block is seen committed, so a stalled node cannot
//!    hide latency by delaying submissions.
//! 5. Reports committed transactions per second over the measured window, latency p50/p99, and
//!    the ratio of throughput to the verification bound.
//!
//! That is the `furnish` scenario; [`alerts`] is the other.

// Statistics are floating point and turned into indices and counts by truncation toward zero,
// which is the rounding wanted here; nothing here is ledger state.
#![allow(clippy::cast_possible_truncation)]

pub mod alerts;

use anyhow::{Context as _, bail};
use credence_client::{Account, NodeClient, build};
use credence_crypto::{EncryptionSecret, KeyFile, SigningKey, verify_batch};
use credence_node::config::NetworkFile;
use credence_types::{
    Digest, Height, SignedTransaction, SubjectId, TimestampMs,
    api::BatchItem,
    codec::{BoundedVec, Name, Text},
    metro2::{AccountStatus, Consumer, PaymentMonth, PortfolioType, Tradeline},
    money::Amount,
    time::Date,
    transaction::{InquiryKind, Purpose},
};
use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

/// A workload `credence bench` can offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Monthly tradeline updates from the validator banks, with consents and registrations:
    /// the bureau's batch-furnishing load.
    Furnish,
    /// Adverse records, timed from submission to a monitoring lender's risk feed.
    Alerts,
}

/// Options of `credence bench`.
#[derive(Clone, Debug)]
pub struct Options {
    /// The running devnet's directory.
    pub dir: PathBuf,
    /// API port of validator 0.
    pub base_port: u16,
    /// Transactions per second to offer.
    pub rate: u64,
    /// Seconds measured.
    pub duration: u64,
    /// Seconds of load before measuring.
    pub warmup: u64,
    /// Subjects in the population.
    pub subjects: usize,
    /// Adverse records a second in the `alerts` scenario.
    pub alert_rate: u64,
}

/// This machine's limits, measured in the same run as the scenarios.
#[derive(Debug, serde::Serialize)]
pub struct Limits {
    /// Cores used for batch verification.
    pub threads: usize,
    /// Batch Ed25519 verification rate on all cores, signatures per second.
    pub verify_per_second: f64,
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

/// What one scenario measured.
#[derive(Debug, serde::Serialize)]
pub struct Outcome {
    /// The scenario.
    pub name: &'static str,
    /// Offered rate, a second.
    pub offered: u64,
    /// Committed transactions (or delivered alerts) a second over the measured window.
    pub tps: f64,
    /// Latency, median, milliseconds: submit to finalised (furnish), or to the lender's
    /// feed (alerts).
    pub p50_ms: f64,
    /// The same, 99th percentile.
    pub p99_ms: f64,
    /// `tps` over the verification bound, where the scenario is throughput-bound.
    pub bound_ratio: Option<f64>,
    /// Of the measured window: not finalised (or not delivered) by the end of the run.
    pub unfinished: usize,
    /// Transactions the nodes refused at submission.
    pub refused: usize,
}

/// A whole run: the devnet, the limits, and each scenario's outcome.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    /// Validators in the devnet.
    pub validators: usize,
    /// This machine's limits.
    pub limits: Limits,
    /// Each scenario, in the order run.
    pub scenarios: Vec<Outcome>,
}

/// Runs `scenarios` against the devnet in `options.dir`.
pub fn run(options: &Options, scenarios: &[Scenario]) -> anyhow::Result<Summary> {
    let (network, nodes) = connect(options)?;
    let validators = network.validators.len();
    let limits = limits(&options.dir, validators)?;
    let mut outcomes = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        outcomes.push(match scenario {
            Scenario::Furnish => furnish(options, &network, &nodes, &limits)?,
            Scenario::Alerts => alerts::run(options, &network, &nodes)?,
        });
    }
    Ok(Summary {
        validators,
        limits,
        scenarios: outcomes,
    })
}

/// Measures this machine's limits for a devnet of `validators` in `dir`.
pub fn limits(dir: &std::path::Path, validators: usize) -> anyhow::Result<Limits> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    eprintln!("measuring the verification limit on {threads} cores…");
    let verify_per_second = verification_rate(threads)?;
    let verify_single_per_second = single_verification_rate()?;
    let bound_tps = verify_per_second / validators as f64;
    eprintln!(
        "  {verify_per_second:.0} signatures/s batched ({verify_single_per_second:.0}/s one at a time on one core); bound {bound_tps:.0} tx/s for {validators} validators"
    );
    let (fsync_p50_ms, fsync_p99_ms) = fsync_latency(dir)?;
    eprintln!(
        "  fsync of 4 KiB in {}: p50 {fsync_p50_ms:.2} ms, p99 {fsync_p99_ms:.2} ms",
        dir.display()
    );
    Ok(Limits {
        threads,
        verify_per_second,
        verify_single_per_second,
        bound_tps,
        fsync_p50_ms,
        fsync_p99_ms,
    })
}

/// Transactions signed for measuring verification.
fn signed_sample() -> anyhow::Result<Vec<SignedTransaction>> {
    let key = SigningKey::from_seed(&[9; 32]);
    let chain = Name::new("bench").map_err(anyhow::Error::msg)?;
    let mut account = Account::new(key, chain, 0);
    Ok((0..4_096)
        .map(|i| {
            account.sign(credence_types::Payload::ApproveGovernance(
                credence_types::ProposalId(i),
            ))
        })
        .collect())
}

/// Measures one-at-a-time verification on one core with the node's signature code (what a
/// node does for a transaction submitted alone).
pub fn single_verification_rate() -> anyhow::Result<f64> {
    let signed = signed_sample()?;
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

/// Measures the latency of durable 4 KiB writes in `dir` (write, then fsync of the data),
/// as median and 99th percentile in milliseconds.
pub fn fsync_latency(dir: &std::path::Path) -> anyhow::Result<(f64, f64)> {
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

/// The `p`th percentile of `sorted` samples, by nearest rank (rounded up); NaN for none.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.saturating_sub(1).min(sorted.len() - 1)]
}

/// Measures batch verification on all cores with the node's signature code.
pub fn verification_rate(threads: usize) -> anyhow::Result<f64> {
    let signed = signed_sample()?;
    let pool = commonware_parallel_rayon(threads)?;
    let started = Instant::now();
    let mut verified = 0usize;
    while started.elapsed() < Duration::from_secs(2) {
        verify_batch(signed.clone(), &pool)
            .map_err(|(i, e)| anyhow::anyhow!("signature {i}: {e}"))?;
        verified += signed.len();
    }
    Ok(verified as f64 / started.elapsed().as_secs_f64())
}

fn commonware_parallel_rayon(threads: usize) -> anyhow::Result<commonware_parallel::Rayon> {
    commonware_parallel::Rayon::new(std::num::NonZeroUsize::new(threads.max(1)).context("threads")?)
        .map_err(|e| anyhow::anyhow!("thread pool: {e}"))
}

struct Population {
    subjects: Vec<(SubjectId, EncryptionSecret, Account)>,
}

fn tradeline(account: &str, month: u64, as_of: Date) -> anyhow::Result<Tradeline> {
    let text = |s: &str| Text::new(s).map_err(anyhow::Error::msg);
    Ok(Tradeline {
        account_number: text(account)?,
        portfolio_type: PortfolioType::Installment,
        account_type: Text::new("00").map_err(anyhow::Error::msg)?,
        currency: Name::new("usd").map_err(anyhow::Error::msg)?,
        date_opened: Date(as_of.0.saturating_sub(400)),
        credit_limit: Amount(0),
        highest_credit: Amount(2_500_000),
        terms_months: 60,
        scheduled_monthly_payment: Amount(48_000),
        actual_payment: Amount(48_000),
        account_status: AccountStatus::Current,
        payment_history: BoundedVec::new(vec![PaymentMonth::Current; 24]).context("history")?,
        current_balance: Amount(2_500_000u64.saturating_sub(month * 40_000)),
        amount_past_due: Amount(0),
        original_charge_off: Amount(0),
        date_of_account_information: as_of,
        first_delinquency: None,
        date_closed: None,
        date_of_last_payment: Some(as_of),
        consumer: Consumer {
            name: text("Bench Subject")?,
            national_id: text("000-00-0000")?,
            date_of_birth: None,
            address: text("1 Bench Street")?,
        },
    })
}

fn now_ms() -> TimestampMs {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    TimestampMs(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}

/// The `furnish` scenario.
fn furnish(
    options: &Options,
    network: &NetworkFile,
    nodes: &[NodeClient],
    limits: &Limits,
) -> anyhow::Result<Outcome> {
    let chain = network.genesis.chain_id.clone();
    let audit_key = network.genesis.audit_key;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    let status = runtime.block_on(nodes[0].status())?;
    eprintln!("devnet at height {}", status.height.0);
    let banks = banks(network, options)?;
    let mut bank_accounts = runtime.block_on(bank_accounts(&nodes[0], &banks, &chain))?;
    let mut population = runtime.block_on(register(nodes, options.subjects, &chain, &audit_key))?;

    // Pre-sign the load.
    let total = usize::try_from(options.rate * (options.warmup + options.duration))?;
    eprintln!("signing {total} transactions…");
    let today = now_ms().date();
    let mut load = Vec::with_capacity(total);
    let mut month = 0u64;
    for i in 0..total {
        let roll = i % 20;
        let subject = i % population.subjects.len();
        let transaction = if roll == 0 {
            // A consent to a random bank.
            let (id, report, account) = &mut population.subjects[subject];
            let (keys, lender) = &banks[i % banks.len()];
            account.sign(build::grant_consent(
                id,
                std::slice::from_ref(report),
                credence_types::InstitutionId(u64::try_from(*lender)?),
                &keys.encryption.public_key(),
                Purpose::AccountReview,
                InquiryKind::Soft,
                TimestampMs(now_ms().0 + 30 * 86_400_000),
            )?)
        } else {
            if subject == 0 {
                month += 1;
            }
            let bank = i % bank_accounts.len();
            let (id, report, _) = &population.subjects[subject];
            let account = format!("loan-{subject}-{bank}");
            let reference = build::account_reference(&[u8::try_from(bank)?; 32], &account);
            bank_accounts[bank].sign(build::furnish(
                id,
                &report.public_key(),
                0,
                reference,
                tradeline(&account, month, today)?,
                None,
            )?)
        };
        load.push(transaction);
    }

    eprintln!(
        "offering {} tx/s for {}s warm-up + {}s measured…",
        options.rate, options.warmup, options.duration
    );
    let outcome = runtime.block_on(drive(nodes, load, options))?;
    Ok(Outcome {
        bound_ratio: Some(outcome.tps / limits.bound_tps),
        ..outcome
    })
}

/// The devnet's network file and a client of each validator's API.
fn connect(options: &Options) -> anyhow::Result<(NetworkFile, Vec<NodeClient>)> {
    let network_path = options.dir.join("network.json");
    let network: NetworkFile = serde_json::from_str(
        &std::fs::read_to_string(&network_path)
            .with_context(|| format!("reading {}; is a devnet there?", network_path.display()))?,
    )?;
    let nodes = (0..network.validators.len())
        .map(|i| {
            crate::layout::api_address(options.base_port, i)
                .map(|a| NodeClient::new(&format!("http://{a}")))
        })
        .collect::<Result<_, _>>()?;
    Ok((network, nodes))
}

/// The validator banks' keys, with each bank's institution id.
fn banks(network: &NetworkFile, options: &Options) -> anyhow::Result<Vec<(KeyFile, usize)>> {
    let mut banks = Vec::new();
    for validator in &network.validators {
        let keys = KeyFile::read(
            &options
                .dir
                .join("keys")
                .join(format!("{}.json", validator.name)),
        )?;
        let institution = network
            .genesis
            .institutions
            .iter()
            .position(|i| i.name.as_str() == validator.name)
            .context("validator not in genesis")?;
        banks.push((keys, institution));
    }
    Ok(banks)
}

/// An account for each bank, its nonce continuing from what the chain holds.
async fn bank_accounts(
    node: &NodeClient,
    banks: &[(KeyFile, usize)],
    chain: &credence_types::genesis::ChainId,
) -> anyhow::Result<Vec<Account>> {
    let mut accounts = Vec::with_capacity(banks.len());
    for (keys, _) in banks {
        let nonce = last_nonce(node, &keys.signing.public_key()).await?;
        accounts.push(Account::new(keys.signing.clone(), chain.clone(), nonce));
    }
    Ok(accounts)
}

/// Registers `count` new subjects (not timed) and returns them.
async fn register(
    nodes: &[NodeClient],
    count: usize,
    chain: &credence_types::genesis::ChainId,
    audit_key: &credence_types::EncryptionKey,
) -> anyhow::Result<Population> {
    eprintln!("registering {count} subjects…");
    let mut population = Population {
        subjects: Vec::with_capacity(count),
    };
    let mut registrations = Vec::with_capacity(count);
    for _ in 0..count {
        let key = SigningKey::generate();
        let id = SubjectId::from_key(&key.public_key());
        let report = EncryptionSecret::generate();
        let mut account = Account::new(key, chain.clone(), 0);
        registrations.push(account.sign(build::register_subject(&id, &report, audit_key)?));
        population.subjects.push((id, report, account));
    }
    submit_and_wait(nodes, &registrations).await?;
    Ok(population)
}

async fn last_nonce(node: &NodeClient, key: &credence_types::PublicKey) -> anyhow::Result<u64> {
    Ok(node.account(key).await?.map_or(0, |account| account.nonce))
}

/// Submits `transactions` in batches and waits until all are finalised.
async fn submit_and_wait(
    nodes: &[NodeClient],
    transactions: &[SignedTransaction],
) -> anyhow::Result<()> {
    let mut hashes = Vec::new();
    for (i, chunk) in transactions.chunks(512).enumerate() {
        let node = &nodes[i % nodes.len()];
        for item in node.submit_batch(chunk).await? {
            match item {
                BatchItem::Accepted { hash } => hashes.push(hash),
                BatchItem::Refused { code, message } => bail!("setup refused: {code}: {message}"),
            }
        }
    }
    for hash in hashes {
        nodes[0]
            .wait_finalized(&hash, Duration::from_millis(100), Duration::from_secs(120))
            .await?;
    }
    Ok(())
}

struct Tracking {
    intended: HashMap<Digest, Instant>,
    finalized: Vec<(Instant, Instant)>,
}

async fn drive(
    nodes: &[NodeClient],
    load: Vec<SignedTransaction>,
    options: &Options,
) -> anyhow::Result<Outcome> {
    let tracking = Arc::new(Mutex::new(Tracking {
        intended: HashMap::new(),
        finalized: Vec::new(),
    }));
    let start = Instant::now() + Duration::from_millis(200);
    let warmup_end = start + Duration::from_secs(options.warmup);
    let end = warmup_end + Duration::from_secs(options.duration);
    let interval = Duration::from_secs_f64(1.0 / options.rate as f64);
    let refused = Arc::new(Mutex::new(0usize));

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

    // Submit open-loop: every 20 ms, everything now due, to the next validator.
    let mut next = 0usize;
    let mut turn = 0usize;
    let mut inflight = Vec::new();
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
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for task in inflight {
        let _ = task.await;
    }
    let _ = follower.await;

    let tracking = tracking.lock().expect("never poisoned");
    let mut latencies: Vec<f64> = tracking
        .finalized
        .iter()
        .filter(|(intended, _)| *intended >= warmup_end && *intended < end)
        .map(|(intended, seen)| seen.saturating_duration_since(*intended).as_secs_f64() * 1_000.0)
        .collect();
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
    latencies.sort_by(f64::total_cmp);
    Ok(Outcome {
        name: "furnish",
        offered: options.rate,
        tps: committed_in_window as f64 / options.duration as f64,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        bound_ratio: None,
        unfinished,
        refused: *refused.lock().expect("never poisoned"),
    })
}

/// Prints a run as a table.
pub fn print(summary: &Summary) {
    let limits = &summary.limits;
    println!();
    println!(
        "  {} validators · verification {:.0} sig/s batched on {} cores ({:.0} singly on one) · \
         bound {:.0} tx/s · fsync (4 KiB) p50 {:.2} ms, p99 {:.2} ms",
        summary.validators,
        limits.verify_per_second,
        limits.threads,
        limits.verify_single_per_second,
        limits.bound_tps,
        limits.fsync_p50_ms,
        limits.fsync_p99_ms
    );
    println!();
    println!(
        "  {:<10} {:>9} {:>11} {:>9} {:>9} {:>10} {:>12}",
        "scenario", "offered/s", "achieved/s", "p50 ms", "p99 ms", "of bound", "unfinished"
    );
    for outcome in &summary.scenarios {
        println!(
            "  {:<10} {:>9} {:>11.0} {:>9.0} {:>9.0} {:>10} {:>12}",
            outcome.name,
            outcome.offered,
            outcome.tps,
            outcome.p50_ms,
            outcome.p99_ms,
            outcome
                .bound_ratio
                .map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0)),
            outcome.unfinished + outcome.refused
        );
    }
}
