//! The centralised bureau beside Credence: the same workload on PostgreSQL (`bench/bureau`),
//! once on a single server and once on a primary with synchronous standbys, each server
//! verifying the same signatures and storing the same bytes.
//!
//! The bureau is driven closed-loop, as fast as it commits, so its figure is its capacity;
//! Credence's is what it sustained at the offered rate, so the ratio is a lower bound on
//! Credence's side unless the rate was set at its capacity.

use super::{
    Outcome, Prepare,
    world::{Target, World},
};
use credence_bureau::Bureau;
use credence_types::{PublicKey, SignedTransaction};

/// One run of a workload on the bureau, compared with Credence's.
#[derive(Debug, serde::Serialize)]
pub struct Comparison {
    /// Which bureau: single, or with standbys.
    pub name: String,
    /// PostgreSQL servers holding the data.
    pub servers: usize,
    /// Transactions committed a second.
    pub tps: f64,
    /// Latency, median, milliseconds.
    pub p50_ms: f64,
    /// The same, 99th percentile.
    pub p99_ms: f64,
    /// Credence's throughput over the bureau's.
    pub ratio: f64,
    /// Credence's throughput times its validators over the bureau's times its servers: the
    /// throughput each copy of the data sustains, relative.
    pub ratio_per_replica: f64,
    /// Growth of the primary's data directory per transaction, bytes.
    pub disk_bytes_per_tx: Option<f64>,
    /// Transactions the bureau rejected, by code.
    pub rejected: usize,
}

/// Concurrent clients of the bureau: enough for PostgreSQL's group commit to batch fsyncs
/// (measured: 16 and 48 give the same throughput here; 4 gives less).
const CONNECTIONS: usize = 32;
/// The bureau's primary listens here (standbys on the ports after), below Linux's
/// ephemeral range.
const PORT: u16 = 25_432;

/// The bureau as a [`Target`].
struct BureauTarget<'a>(&'a mut Bureau);

impl Target for BureauTarget<'_> {
    fn nonce(&mut self, _key: &PublicKey) -> anyhow::Result<u64> {
        // A fresh bureau: every signer starts at zero.
        Ok(0)
    }

    fn apply(&mut self, phase: &[SignedTransaction]) -> anyhow::Result<Vec<Option<u64>>> {
        self.0
            .apply(phase)?
            .into_iter()
            .map(|outcome| outcome.map_err(|code| anyhow::anyhow!("bureau setup rejected: {code}")))
            .collect()
    }
}

/// Runs the workload `prepare` builds on a single bureau and on one with a standby for every
/// other validator (as many copies of the data as the devnet keeps), the same number of
/// transactions as Credence was offered, and compares each with Credence's `outcome`.
pub fn compare(
    devnet: &World,
    outcome: &Outcome,
    prepare: Prepare,
) -> anyhow::Result<Vec<Comparison>> {
    if !credence_bureau::installed() {
        eprintln!("  PostgreSQL is not installed (apt-get install postgresql): no bureau baseline");
        return Ok(Vec::new());
    }
    let options = &devnet.options;
    let validators = devnet.nodes.len();
    let count = options.load_size()?;
    let warmup = options.warmup as f64 / (options.warmup + options.duration) as f64;
    let mut rows = Vec::with_capacity(2);
    for standbys in [0, validators.saturating_sub(1)] {
        let servers = standbys + 1;
        let name = if standbys == 0 {
            "bureau".to_string()
        } else {
            format!("bureau + {standbys} sync standbys")
        };
        eprintln!("  {name}: starting PostgreSQL…");
        let dir =
            std::env::temp_dir().join(format!("credence-bureau-{}-{standbys}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let mut bureau = Bureau::start(&dir, PORT, standbys)?;
        bureau.genesis(&devnet.network.genesis)?;
        let load = prepare(&mut BureauTarget(&mut bureau), devnet, count)?;
        let before = bureau.bytes_on_disk()?;
        eprintln!(
            "  {name}: {count} transactions on {CONNECTIONS} connections, as fast as it commits…"
        );
        let measured = bureau.drive(&load, CONNECTIONS, warmup)?;
        let grown = bureau.bytes_on_disk()?.saturating_sub(before);
        bureau.stop()?;
        std::fs::remove_dir_all(&dir)?;
        let rejected: usize = measured.rejected.values().sum();
        eprintln!(
            "  {name}: {:.0} tx/s, p50 {:.1} ms, p99 {:.1} ms; {} applied, rejected {:?}",
            measured.throughput_tps,
            measured.latency_ms_p50,
            measured.latency_ms_p99,
            measured.applied,
            measured.rejected
        );
        let tps = measured.throughput_tps;
        rows.push(Comparison {
            name,
            servers,
            tps,
            p50_ms: measured.latency_ms_p50,
            p99_ms: measured.latency_ms_p99,
            ratio: outcome.tps / tps,
            ratio_per_replica: outcome.tps * validators as f64 / (tps * servers as f64),
            disk_bytes_per_tx: (count > 0).then(|| grown as f64 / count as f64),
            rejected,
        });
    }
    Ok(rows)
}
