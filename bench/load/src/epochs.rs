//! `credence-bench epochs`: what an epoch boundary costs, and how fast a node behind catches
//! up, on a devnet of its own with short epochs and fast (empty) blocks.
//!
//! - **Boundary latency.** The gap between the last block of an epoch and the first of the
//!   next (both header times, set by their proposers on this one machine), beside the median
//!   gap between blocks of one epoch: the boundary's extra latency, in views (one view is
//!   one block here).
//! - **Catch-up.** One validator is stopped, the others go on for `--behind` blocks, and it
//!   is started again: its rate (blocks a second, from stop height to the others' height
//!   when it was restarted) beside the rate the network produced them at, which bounds it
//!   from below for a node to ever catch up. Its blocks are empty, so this is the fetch,
//!   verify, execute and commit path's rate without transaction execution; the figures
//!   extrapolate it to a node 100,000 blocks behind and to one a day behind at the devnet's
//!   idle pace (one block a second).

use anyhow::Context as _;
use credence_client::NodeClient;
use credence_devnet::{Local, Plan, layout};
use credence_types::api::BlockSummary;
use std::time::{Duration, Instant};

/// What `epochs` is run with.
#[derive(Clone, Debug)]
pub struct Options {
    /// Validators.
    pub validators: usize,
    /// API port of validator 0.
    pub base_port: u16,
    /// Blocks per epoch.
    pub epoch_length: u64,
    /// Epochs whose boundaries are measured.
    pub epochs: u64,
    /// Blocks the stopped validator falls behind.
    pub behind: u64,
}

/// What `epochs` measured.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    /// Median gap between consecutive blocks of one epoch, ms.
    pub block_gap_ms: f64,
    /// Median gap from an epoch's last block to the next epoch's first, ms.
    pub boundary_gap_ms: f64,
    /// Largest such gap, ms.
    pub boundary_gap_max_ms: f64,
    /// The median boundary's extra latency, in views (block gaps).
    pub boundary_extra_views: f64,
    /// Boundaries measured.
    pub boundaries: usize,
    /// Blocks a second the network produced while the validator was stopped.
    pub production_per_s: f64,
    /// Blocks a second the restarted validator caught up at.
    pub catch_up_per_s: f64,
    /// `catch_up_per_s` over `production_per_s`.
    pub catch_up_ratio: f64,
    /// Blocks the validator caught up.
    pub caught_up: u64,
    /// Time to catch up 100,000 blocks at that rate, s.
    pub hundred_thousand_s: f64,
    /// Time to catch up a day of the devnet's idle pace (86,400 blocks), s.
    pub one_day_s: f64,
}

async fn height(node: &NodeClient) -> u64 {
    node.status().await.map_or(0, |s| s.height.0)
}

async fn block_time(node: &NodeClient, height: u64) -> anyhow::Result<f64> {
    let block: BlockSummary =
        serde_json::from_value(node.json(&format!("blocks/{height}")).await?)?;
    Ok(block.header.time.0 as f64)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Runs the measurement on a devnet of its own in `dir`, started with `binary`.
pub fn run(
    binary: &std::path::Path,
    dir: &std::path::Path,
    options: &Options,
) -> anyhow::Result<Report> {
    let plan = Plan {
        dir: dir.to_path_buf(),
        validators: options.validators,
        chain_id: "credence-bench".to_string(),
        base_port: options.base_port,
        genesis_time: layout::now()?,
        epoch_length_blocks: options.epoch_length,
    };
    layout::write(&plan)?;
    // Fast empty blocks, so that many boundaries and many blocks pass in minutes.
    for index in 0..options.validators {
        let config = layout::node_config_path(dir, index);
        let text = std::fs::read_to_string(&config)?
            .replace("interval_ms = 500", "interval_ms = 50")
            .replace("empty_interval_ms = 1000", "empty_interval_ms = 100");
        std::fs::write(&config, text)?;
    }
    let mut local = Local::start_laid_out(binary, dir, options.base_port)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(&mut local, options))
}

async fn measure(local: &mut Local, options: &Options) -> anyhow::Result<Report> {
    let nodes = local.observers()?;
    let first = nodes.first().context("no validator")?;
    let last = options.validators - 1;
    let patience = Duration::from_secs(600);

    // Boundaries.
    let measured = options.epochs * options.epoch_length;
    first.wait_for_height(measured + 1, patience).await?;
    let mut times = Vec::new();
    for height in 1..=measured + 1 {
        times.push(block_time(first, height).await?);
    }
    let (mut inside, mut across) = (Vec::new(), Vec::new());
    for height in 2..=measured + 1 {
        let gap = times[(height - 1) as usize] - times[(height - 2) as usize];
        if height % options.epoch_length == 0 {
            across.push(gap);
        } else {
            inside.push(gap);
        }
    }
    let block_gap_ms = median(&mut inside);
    let boundary_gap_max_ms = across.iter().copied().fold(0.0, f64::max);
    let boundaries = across.len();
    let boundary_gap_ms = median(&mut across);

    // Catch-up.
    let stopped_at = height(&nodes[last]).await;
    local.validators[last].kill();
    let stopped = Instant::now();
    let target = stopped_at + options.behind;
    first.wait_for_height(target, patience).await?;
    let production_per_s =
        (height(first).await - stopped_at) as f64 / stopped.elapsed().as_secs_f64();
    let goal = height(first).await;
    local.validators[last].restart()?;
    let restarted = Instant::now();
    nodes[last].wait_for_height(goal, patience).await?;
    let elapsed = restarted.elapsed().as_secs_f64();
    let caught_up = goal - stopped_at;
    let catch_up_per_s = caught_up as f64 / elapsed;
    Ok(Report {
        block_gap_ms,
        boundary_gap_ms,
        boundary_gap_max_ms,
        boundary_extra_views: (boundary_gap_ms - block_gap_ms) / block_gap_ms.max(1.0),
        boundaries,
        production_per_s,
        catch_up_per_s,
        catch_up_ratio: catch_up_per_s / production_per_s.max(f64::MIN_POSITIVE),
        caught_up,
        hundred_thousand_s: 100_000.0 / catch_up_per_s,
        one_day_s: 86_400.0 / catch_up_per_s,
    })
}
