//! `credence bench`: named scenarios against a devnet (its own, or a running one), each
//! measured beside this machine's limits taken just before it, printed as one table (or
//! JSON).
//!
//! - [`furnish`]: the bureau's batch-furnishing load; [`mixed`]: a lending day. Both are
//!   signed before the clock starts and offered open-loop at `--rate` ([`open_loop`]), and
//!   both run again on the centralised bureau of `bench/bureau` when PostgreSQL is installed
//!   ([`baseline`]), single and with synchronous standbys.
//! - [`inquiry`]: verified credit reports assembled through the API, closed-loop.
//! - [`alerts`]: an adverse record's way from submission to a monitoring lender's feed.
//!
//! [`limits`] measures the machine; [`usage`] what the validators cost it; [`chart`] draws
//! the `mixed` run over time.

// Statistics are floating point and turned into indices and counts by truncation toward zero,
// which is the rounding wanted here; nothing here is ledger state.
#![allow(clippy::cast_possible_truncation)]

pub mod alerts;
pub mod baseline;
pub mod chart;
pub mod furnish;
pub mod inquiry;
pub mod limits;
pub mod mixed;
pub mod open_loop;
pub mod usage;
pub mod world;

use anyhow::Context as _;
use limits::Limits;
use std::path::PathBuf;
use world::{Devnet, Target};

/// A workload `credence bench` can offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Monthly tradeline updates from the validator banks, with consents: the bureau's
    /// batch-furnishing load.
    Furnish,
    /// A lending day: furnishing, consents and inquiries, repayments, asset transfers, loan
    /// offers and acceptances.
    Mixed,
    /// Credit reports of 50 records assembled through the API with every proof checked.
    Inquiry,
    /// Adverse records, timed from submission to a monitoring lender's risk feed.
    Alerts,
}

impl Scenario {
    /// How the throughput scenarios' workload is prepared on a target (the devnet, then the
    /// bureau); `None` for the others.
    fn workload(self) -> Option<Prepare> {
        match self {
            Self::Furnish => Some(furnish::prepare),
            Self::Mixed => Some(mixed::prepare),
            Self::Inquiry | Self::Alerts => None,
        }
    }

    /// Its name on the command line and in the table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Furnish => "furnish",
            Self::Mixed => "mixed",
            Self::Inquiry => "inquiry",
            Self::Alerts => "alerts",
        }
    }
}

/// Options of `credence bench`.
#[derive(Clone, Debug)]
pub struct Options {
    /// The running devnet's directory.
    pub dir: PathBuf,
    /// API port of validator 0.
    pub base_port: u16,
    /// Transactions per second to offer in `furnish` and `mixed`.
    pub rate: u64,
    /// Seconds measured.
    pub duration: u64,
    /// Seconds of load before measuring.
    pub warmup: u64,
    /// Subjects in the `furnish` and `mixed` populations.
    pub subjects: usize,
    /// Subjects on file in `inquiry`.
    pub inquiry_subjects: usize,
    /// Readers assembling reports at once in `inquiry`.
    pub readers: usize,
    /// Adverse records a second in the `alerts` scenario.
    pub alert_rate: u64,
    /// Run the PostgreSQL bureau beside `furnish` and `mixed`.
    pub baseline: bool,
    /// Where to draw the `mixed` run's chart (SVG), if anywhere.
    pub chart: Option<PathBuf>,
}

impl Options {
    /// Transactions in a throughput scenario's load: warm-up and measured window at `rate`.
    pub fn load_size(&self) -> anyhow::Result<usize> {
        Ok(usize::try_from(self.rate * (self.warmup + self.duration))?)
    }
}

/// What one scenario measured.
#[derive(Debug, serde::Serialize)]
pub struct Outcome {
    /// The scenario.
    pub name: &'static str,
    /// Offered rate, a second (0 for a closed loop).
    pub offered: u64,
    /// Committed transactions (reports read, alerts delivered) a second over the measured
    /// window.
    pub tps: f64,
    /// Latency, median, milliseconds: submit to finalised (furnish, mixed), report assembled
    /// (inquiry), or submit to the lender's feed (alerts).
    pub p50_ms: f64,
    /// The same, 99th percentile.
    pub p99_ms: f64,
    /// `tps` over the verification bound, where the scenario is throughput-bound.
    pub bound_ratio: Option<f64>,
    /// Of the measured window: not finalised (or not delivered) by the end of the run.
    pub unfinished: usize,
    /// Transactions the nodes refused at submission.
    pub refused: usize,
    /// Of a sample of the load checked after the run, how many applied and which rejection
    /// codes the rest got: a load that is mostly rejected measures the wrong thing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<open_loop::Audit>,
    /// Each validator's CPU and memory over the measured window.
    pub usage: Vec<usage::NodeUsage>,
    /// Growth of a validator's data directory per transaction finalised (averaged over the
    /// validators), bytes.
    pub disk_bytes_per_tx: Option<f64>,
    /// This machine's limits, measured just before the scenario.
    pub limits: Option<Limits>,
    /// The same workload on the centralised bureau.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub baseline: Vec<baseline::Comparison>,
    /// Each second of the run (kept for `mixed`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<open_loop::Second>,
}

/// A whole run: the devnet and each scenario's outcome.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    /// Validators in the devnet.
    pub validators: usize,
    /// Each scenario, in the order run.
    pub scenarios: Vec<Outcome>,
}

/// Runs `scenarios` against the devnet in `options.dir`.
pub fn run(options: &Options, scenarios: &[Scenario]) -> anyhow::Result<Summary> {
    let devnet = Devnet::connect(options)?;
    let validators = devnet.nodes.len();
    let mut outcomes = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        eprintln!("{}:", scenario.name());
        let limits = limits::measure(&options.dir, validators)?;
        let mut outcome = match scenario {
            Scenario::Furnish | Scenario::Mixed => throughput(&devnet, *scenario, &limits)?,
            Scenario::Inquiry => inquiry::run(&devnet)?,
            Scenario::Alerts => alerts::run(&devnet)?,
        };
        if let (true, Some(prepare)) = (options.baseline, scenario.workload()) {
            outcome.baseline = baseline::compare(&devnet, &outcome, prepare)?;
        }
        if let (Scenario::Mixed, Some(path)) = (scenario, &options.chart) {
            chart::draw(path, &outcome)?;
            eprintln!("  chart drawn to {}", path.display());
        }
        outcome.limits = Some(limits);
        outcomes.push(outcome);
    }
    Ok(Summary {
        validators,
        scenarios: outcomes,
    })
}

/// A workload's preparation on a target: its setup applied, its load signed.
pub type Prepare =
    fn(&mut dyn Target, &Devnet, usize) -> anyhow::Result<Vec<credence_types::SignedTransaction>>;

/// Runs a throughput scenario: prepares `rate × (warm-up + duration)` transactions, offers
/// them open-loop, and measures.
fn throughput(devnet: &Devnet, scenario: Scenario, limits: &Limits) -> anyhow::Result<Outcome> {
    let prepare = scenario.workload().context("not a throughput scenario")?;
    let options = devnet.options.clone();
    let count = options.load_size()?;
    let load = prepare(&mut world::DevnetTarget::new(devnet), devnet, count)?;
    eprintln!(
        "  offering {} tx/s for {}s warm-up + {}s measured…",
        options.rate, options.warmup, options.duration
    );
    let sample = open_loop::sample(&load, 500);
    let validators = devnet.nodes.len();
    let disk_before = usage::node_disk_bytes(&options.dir, validators);
    let measured = devnet.runtime.block_on(open_loop::drive(
        &devnet.nodes,
        load,
        options.rate,
        options.warmup,
        options.duration,
        &options.dir,
    ))?;
    let disk_after = usage::node_disk_bytes(&options.dir, validators);
    let audit = devnet
        .runtime
        .block_on(open_loop::audit(&devnet.nodes[0], &sample))?;
    eprintln!(
        "  of {} transactions sampled, {} applied; rejected: {:?}",
        audit.sampled, audit.applied, audit.rejected
    );
    let grown: u64 = disk_after
        .iter()
        .zip(&disk_before)
        .map(|(after, before)| after.saturating_sub(*before))
        .sum();
    let disk_bytes_per_tx = (measured.finalized > 0)
        .then(|| grown as f64 / validators as f64 / measured.finalized as f64);
    Ok(Outcome {
        name: scenario.name(),
        offered: options.rate,
        tps: measured.tps,
        p50_ms: measured.p50_ms,
        p99_ms: measured.p99_ms,
        bound_ratio: Some(measured.tps / limits.bound_tps),
        unfinished: measured.unfinished,
        refused: measured.refused,
        audit: Some(audit),
        usage: measured.usage,
        disk_bytes_per_tx,
        limits: None,
        baseline: Vec::new(),
        timeline: if scenario == Scenario::Mixed {
            measured.timeline
        } else {
            Vec::new()
        },
    })
}

/// The `p`th percentile of `sorted` samples, by nearest rank (rounded up); NaN for none.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.saturating_sub(1).min(sorted.len() - 1)]
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "—".to_string())
}

/// Prints a run as tables: the scenarios with the limits they ran beside, then each
/// throughput scenario against the bureau.
pub fn print(summary: &Summary) {
    println!();
    println!(
        "  {} validators on {} cores",
        summary.validators,
        summary
            .scenarios
            .iter()
            .find_map(|o| o.limits.as_ref().map(|l| l.threads))
            .unwrap_or(0)
    );
    println!();
    println!(
        "  {:<8} {:>9} {:>10} {:>7} {:>7} {:>9} {:>8} {:>10} {:>10} {:>9} {:>8} {:>9}",
        "scenario",
        "offered/s",
        "achieved/s",
        "p50 ms",
        "p99 ms",
        "bound/s",
        "of bound",
        "unfinished",
        "CPU%/node",
        "RSS MiB",
        "disk B/tx",
        "fsync p99"
    );
    for outcome in &summary.scenarios {
        let usage = &outcome.usage;
        let mean = |f: fn(&usage::NodeUsage) -> f64| {
            (!usage.is_empty()).then(|| usage.iter().map(f).sum::<f64>() / usage.len() as f64)
        };
        println!(
            "  {:<8} {:>9} {:>10.0} {:>7.0} {:>7.0} {:>9} {:>8} {:>10} {:>10} {:>9} {:>8} {:>9}",
            outcome.name,
            if outcome.offered == 0 {
                "closed".to_string()
            } else {
                outcome.offered.to_string()
            },
            outcome.tps,
            outcome.p50_ms,
            outcome.p99_ms,
            or_dash(
                outcome
                    .limits
                    .as_ref()
                    .map(|l| format!("{:.0}", l.bound_tps))
            ),
            or_dash(outcome.bound_ratio.map(|r| format!("{:.1}%", r * 100.0))),
            outcome.unfinished + outcome.refused,
            or_dash(mean(|u| u.cpu_percent).map(|c| format!("{c:.0}"))),
            or_dash(mean(|u| u.rss_mib).map(|r| format!("{r:.0}"))),
            or_dash(outcome.disk_bytes_per_tx.map(|b| format!("{b:.0}"))),
            or_dash(
                outcome
                    .limits
                    .as_ref()
                    .map(|l| format!("{:.2} ms", l.fsync_p99_ms))
            ),
        );
    }
    if let Some(limits) = summary.scenarios.iter().find_map(|o| o.limits.as_ref()) {
        println!();
        println!(
            "  bound = Ed25519 batch verification on all cores ÷ validators (first scenario: \
             {:.0} sig/s batched, {:.0} singly on one core)",
            limits.verify_per_second, limits.verify_single_per_second
        );
    }
    let compared: Vec<&Outcome> = summary
        .scenarios
        .iter()
        .filter(|o| !o.baseline.is_empty())
        .collect();
    if compared.is_empty() {
        return;
    }
    println!();
    println!(
        "  {:<8} {:<22} {:>7} {:>8} {:>7} {:>7} {:>10} {:>12} {:>9}",
        "scenario",
        "centralised bureau",
        "servers",
        "tx/s",
        "p50 ms",
        "p99 ms",
        "Credence ×",
        "per replica ×",
        "disk B/tx"
    );
    for outcome in compared {
        for row in &outcome.baseline {
            println!(
                "  {:<8} {:<22} {:>7} {:>8.0} {:>7.1} {:>7.1} {:>10.2} {:>12.2} {:>9}",
                outcome.name,
                row.name,
                row.servers,
                row.tps,
                row.p50_ms,
                row.p99_ms,
                row.ratio,
                row.ratio_per_replica,
                or_dash(row.disk_bytes_per_tx.map(|b| format!("{b:.0}"))),
            );
        }
    }
    println!();
    println!(
        "  Credence × = Credence tx/s ÷ the bureau's; per replica × = (Credence tx/s × \
         validators) ÷ (the bureau's tx/s × its servers)"
    );
}
