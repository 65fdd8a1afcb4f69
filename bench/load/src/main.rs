//! `credence-bench`: named scenarios against a devnet (its own, or a running one), each
//! measured beside this machine's limits taken just before it, printed as one table (or
//! JSON).
//!
//! Its own devnet's validators are this binary run as `credence-bench node`: the same
//! node and the same code path as `credence node` (without the web console, which the load
//! never touches), so the benchmark needs no other binary built beside it.
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

mod alerts;
mod baseline;
mod chart;
mod epochs;
mod furnish;
mod inquiry;
mod limits;
mod metro2_import;
mod mixed;
mod open_loop;
mod table;
mod usage;
mod world;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use credence_devnet::{Local, Plan, layout};
use limits::Limits;
use std::{path::PathBuf, time::Duration};
use world::{Target, World};

/// jemalloc, not the system's allocator: a validator allocates and frees small buffers on
/// every thread for every transaction, which glibc's `malloc` served with about a tenth of the
/// node's CPU (ARCHITECTURE.md, "Memory allocation").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Benchmark Credence beside this machine's limits and a centralised bureau.
///
/// Example: `credence-bench --quick` (under 3 minutes), or `credence-bench --scenario
/// furnish --rate 4000 --dir devnet` against a running `credence devnet`.
#[derive(Parser)]
#[command(name = "credence-bench", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    bench: BenchArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run one validator of the bench's own devnet (what `credence node` runs).
    #[command(hide = true)]
    Node {
        /// The node's configuration file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// What an epoch boundary costs, and how fast a validator behind catches up, on a
    /// devnet of its own with short epochs and fast empty blocks.
    ///
    /// Example: `credence-bench epochs --behind 3000`
    Epochs {
        /// Validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Blocks per epoch.
        #[arg(long, default_value_t = 20)]
        epoch_length: u64,
        /// Epoch boundaries to measure.
        #[arg(long, default_value_t = 10)]
        epochs: u64,
        /// Blocks the stopped validator falls behind.
        #[arg(long, default_value_t = 2_000)]
        behind: u64,
        /// API port of validator 0.
        #[arg(long, default_value_t = 18_080)]
        base_port: u16,
    },
}

#[derive(clap::Args)]
struct BenchArgs {
    /// A running devnet's directory; without it, the bench starts (and afterwards
    /// removes) a devnet of its own.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Validators of the bench's own devnet.
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// `blocks.interval_ms` of the bench's own devnet: how long a busy chain waits between
    /// blocks (default: the node's, 500).
    #[arg(long)]
    block_interval_ms: Option<u64>,
    /// `blocks.transactions_max` of the bench's own devnet: the most transactions a validator
    /// puts in a block it proposes (default: the node's, 10,000).
    #[arg(long)]
    block_transactions_max: Option<usize>,
    /// API port of validator 0 (default: 8080 with `--dir`, else 18080).
    #[arg(long)]
    base_port: Option<u16>,
    /// The scenarios to run, in order.
    #[arg(long, value_enum, num_args = 1.., default_values_t = [
        Scenario::Furnish,
        Scenario::Mixed,
        Scenario::Inquiry,
        Scenario::Alerts,
    ])]
    scenario: Vec<Scenario>,
    /// Transactions a second to offer in `furnish` and `mixed` (default 2,000; 1,000 with
    /// `--quick`).
    #[arg(long)]
    rate: Option<u64>,
    /// Adverse records a second in `alerts`.
    #[arg(long, default_value_t = 20)]
    alert_rate: u64,
    /// Seconds each scenario is measured.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// Subjects in the `furnish` and `mixed` populations.
    #[arg(long, default_value_t = 2_000)]
    subjects: usize,
    /// Subjects with 50 records each in `inquiry`.
    #[arg(long, default_value_t = 100)]
    inquiry_subjects: usize,
    /// Readers assembling reports at once in `inquiry` (default: one a core).
    #[arg(long)]
    readers: Option<usize>,
    /// Skip the centralised PostgreSQL bureau (run beside `furnish` and `mixed` when
    /// PostgreSQL is installed).
    #[arg(long)]
    no_baseline: bool,
    /// Keep the bench's own devnet's directory (each validator's `node.log` and data)
    /// after the run instead of removing it, and print where it is: what a run's latency
    /// spikes are read from.
    #[arg(long, conflicts_with = "dir")]
    keep: bool,
    /// Draw the `mixed` run over time to this SVG file.
    #[arg(long)]
    chart: Option<PathBuf>,
    /// Accounts in the `metro2-import` scenario's file.
    #[arg(long, default_value_t = 100_000)]
    import_accounts: usize,
    /// A short run: 10 s per scenario after 3 s of warm-up, 500 subjects (20 in
    /// `inquiry`).
    #[arg(long)]
    quick: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> anyhow::Result<()> {
    credence_node::run::init_logging();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Node { config }) => {
            let config = credence_node::config::NodeConfig::load(&config)?;
            credence_node::run::run(config, axum::Router::new())?;
            return Ok(());
        }
        Some(Command::Epochs {
            validators,
            epoch_length,
            epochs,
            behind,
            base_port,
        }) => {
            let dir = std::env::temp_dir().join(format!("credence-epochs-{}", std::process::id()));
            let binary = std::env::current_exe().context("locating this binary")?;
            let report = epochs::run(
                &binary,
                &dir,
                &epochs::Options {
                    validators,
                    base_port,
                    epoch_length,
                    epochs,
                    behind,
                },
            )?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            return Ok(());
        }
        None => {}
    }
    let args = cli.bench;
    let (rate, duration, warmup, subjects, inquiry_subjects) = if args.quick {
        (args.rate.unwrap_or(1_000), 10, 3, 500, 20)
    } else {
        (
            args.rate.unwrap_or(2_000),
            args.duration,
            args.warmup,
            args.subjects,
            args.inquiry_subjects,
        )
    };
    // The bench's own devnet lives until the run ends, then stops and is removed (kept
    // with `--keep`).
    let (dir, base_port, _own) = match args.dir {
        Some(dir) => (dir, args.base_port.unwrap_or(8080), None),
        None => {
            let dir = std::env::temp_dir().join(format!("credence-bench-{}", std::process::id()));
            let base_port = args.base_port.unwrap_or(18_080);
            let mut own = start_devnet(&dir, args.validators, base_port, &args)?;
            own.keep = args.keep;
            (dir, base_port, Some(own))
        }
    };
    let kept = args.keep.then(|| dir.clone());
    let summary = run(
        &Options {
            dir,
            base_port,
            rate,
            duration,
            warmup,
            subjects,
            inquiry_subjects,
            readers: args
                .readers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from)),
            alert_rate: args.alert_rate,
            baseline: !args.no_baseline,
            chart: args.chart,
            import_accounts: args.import_accounts,
        },
        &args.scenario,
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        table::print(&summary);
    }
    if let Some(dir) = kept {
        eprintln!("kept the devnet's directory: {}", dir.display());
    }
    Ok(())
}

/// Starts a fresh devnet of `validators` in `dir` from this binary, and waits until it has
/// finalised a block.
fn start_devnet(
    dir: &std::path::Path,
    validators: usize,
    base_port: u16,
    args: &BenchArgs,
) -> anyhow::Result<Local> {
    let binary = std::env::current_exe().context("locating this binary")?;
    let local = Local::start_configured(
        &binary,
        &Plan {
            dir: dir.to_path_buf(),
            validators,
            chain_id: "credence-bench".to_string(),
            base_port,
            genesis_time: layout::now()?,
            epoch_length_blocks: layout::EPOCH_LENGTH_BLOCKS,
        },
        |node| {
            if let Some(interval) = args.block_interval_ms {
                node.blocks.interval_ms = interval;
                node.blocks.empty_interval_ms = node.blocks.empty_interval_ms.max(interval);
            }
            if let Some(most) = args.block_transactions_max {
                node.blocks.transactions_max = most;
            }
        },
    )?;
    eprintln!("started {validators} validators in {}", dir.display());
    let node =
        credence_client::NodeClient::new(&format!("http://{}", layout::api_address(base_port, 0)?));
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(node.wait_for_height(1, Duration::from_secs(60)))?;
    Ok(local)
}

/// A workload `credence-bench` can offer.

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
    /// A generated month's Metro 2 file imported by one furnisher (`credence furnish
    /// --metro2`), beside the `furnish` goodput of the same run.
    #[value(name = "metro2-import")]
    Metro2Import,
}

impl Scenario {
    /// How the throughput scenarios' workload is prepared on a target (the devnet, then the
    /// bureau); `None` for the others.
    fn workload(self) -> Option<Prepare> {
        match self {
            Self::Furnish => Some(furnish::prepare),
            Self::Mixed => Some(mixed::prepare),
            Self::Inquiry | Self::Alerts | Self::Metro2Import => None,
        }
    }

    /// Its name on the command line and in the table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Furnish => "furnish",
            Self::Mixed => "mixed",
            Self::Inquiry => "inquiry",
            Self::Alerts => "alerts",
            Self::Metro2Import => "metro2-import",
        }
    }
}

/// Options of a run.
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
    /// Accounts in the `metro2-import` file.
    pub import_accounts: usize,
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
    /// Goodput: committed transactions (reports read, alerts delivered) a second over the
    /// measured window.
    pub tps: f64,
    /// Latency, median, milliseconds: submit to finalised (furnish, mixed), report assembled
    /// (inquiry), or submit to the lender's feed (alerts).
    pub p50_ms: f64,
    /// The same, 99th percentile.
    pub p99_ms: f64,
    /// `tps` over the verification bound, where the scenario is throughput-bound.
    pub bound_ratio: Option<f64>,
    /// `tps` over the `furnish` goodput of the same run (`metro2-import`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub furnish_ratio: Option<f64>,
    /// Of the measured window: not finalised (or not delivered) by the end of the run.
    pub unfinished: usize,
    /// Transactions the nodes refused for good at submission.
    pub refused: usize,
    /// Busy answers (429) the load's clients received.
    pub throttled: u64,
    /// Transactions the load's clients resubmitted after a busy answer.
    pub retries: u64,
    /// Latency from admission to finalised, 99th percentile, milliseconds (throughput
    /// scenarios): what the network owes once it accepted, without the client's wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admitted_p99_ms: Option<f64>,
    /// Transactions a validator admitted that were not finalised by the end of the run.
    pub admitted_unfinished: usize,
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
    let devnet = World::connect(options)?;
    let validators = devnet.nodes.len();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        eprintln!("{}:", scenario.name());
        let limits = limits::measure(&options.dir, validators)?;
        let mut outcome = match scenario {
            Scenario::Furnish | Scenario::Mixed => throughput(&devnet, *scenario, &limits)?,
            Scenario::Inquiry => inquiry::run(&devnet)?,
            Scenario::Alerts => alerts::run(&devnet)?,
            Scenario::Metro2Import => {
                let furnish = outcomes.iter().find(|o| o.name == "furnish").map(|o| o.tps);
                metro2_import::run(&devnet, furnish)?
            }
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
    fn(&mut dyn Target, &World, usize) -> anyhow::Result<Vec<credence_types::SignedTransaction>>;

/// Runs a throughput scenario: prepares `rate × (warm-up + duration)` transactions, offers
/// them open-loop, and measures.
fn throughput(devnet: &World, scenario: Scenario, limits: &Limits) -> anyhow::Result<Outcome> {
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
        furnish_ratio: None,
        unfinished: measured.unfinished,
        refused: measured.refused,
        throttled: measured.throttled,
        retries: measured.retries,
        admitted_p99_ms: Some(measured.admitted_p99_ms),
        admitted_unfinished: measured.admitted_unfinished,
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

pub(crate) use credence_bureau::percentile;
