//! What the validators cost the machine while a scenario is measured: CPU and resident memory
//! of each node process (read from `/proc`), and bytes on disk.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

/// Clock ticks a second in `/proc/<pid>/stat`: `USER_HZ`, 100 on every Linux architecture
/// Credence builds for.
const TICKS_PER_SECOND: f64 = 100.0;

/// One node's use of the machine over a measured window.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct NodeUsage {
    /// CPU time over wall time, percent of one core.
    pub cpu_percent: f64,
    /// Largest resident set seen, MiB.
    pub rss_mib: f64,
}

/// The process id of each validator of the devnet in `dir` (found by its configuration
/// file on its command line, resolved against the process's working directory), in
/// validator order.
pub fn node_pids(dir: &Path, validators: usize) -> Vec<Option<u32>> {
    let configs: Vec<Option<PathBuf>> = (0..validators)
        .map(|i| {
            credence_devnet::layout::node_config_path(dir, i)
                .canonicalize()
                .ok()
        })
        .collect();
    let mut pids = vec![None; validators];
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let (Ok(cmdline), Ok(cwd)) = (
            std::fs::read(entry.path().join("cmdline")),
            std::fs::read_link(entry.path().join("cwd")),
        ) else {
            continue;
        };
        let arguments: Vec<PathBuf> = cmdline
            .split(|b| *b == 0)
            .filter_map(|a| std::str::from_utf8(a).ok())
            .map(|a| cwd.join(a))
            .collect();
        if !arguments.iter().any(|a| a.ends_with("node")) {
            continue;
        }
        for (slot, config) in pids.iter_mut().zip(&configs) {
            let Some(config) = config else { continue };
            if arguments
                .iter()
                .any(|a| a.canonicalize().is_ok_and(|a| a == *config))
            {
                *slot = Some(pid);
            }
        }
    }
    pids
}

/// User plus system CPU time of `pid`, in ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces: state is
    // field 3, utime 14 and stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Resident set of `pid`, KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Samples `pids` from `from` until `until`: CPU over the whole window, resident memory
/// every half second (the largest kept).
pub async fn sample(pids: Vec<Option<u32>>, from: Instant, until: Instant) -> Vec<NodeUsage> {
    tokio::time::sleep_until(from.into()).await;
    let started: Vec<Option<u64>> = pids.iter().map(|p| p.and_then(cpu_ticks)).collect();
    let mut rss = vec![0u64; pids.len()];
    while Instant::now() < until {
        for (peak, pid) in rss.iter_mut().zip(&pids) {
            *peak = (*peak).max(pid.and_then(rss_kib).unwrap_or(0));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let seconds = Instant::now().saturating_duration_since(from).as_secs_f64();
    pids.iter()
        .zip(started)
        .zip(rss)
        .map(|((pid, started), rss)| {
            let used = match (started, pid.and_then(cpu_ticks)) {
                (Some(a), Some(b)) => b.saturating_sub(a) as f64 / TICKS_PER_SECOND,
                _ => 0.0,
            };
            NodeUsage {
                cpu_percent: 100.0 * used / seconds.max(f64::EPSILON),
                rss_mib: rss as f64 / 1024.0,
            }
        })
        .collect()
}

/// Bytes allocated on disk under `path`, recursively: the bureau's measure
/// ([`credence_bureau::allocated_bytes`]), so the two `disk B/tx` columns compare alike. A
/// directory that cannot be read counts 0.
pub fn disk_bytes(path: &Path) -> u64 {
    credence_bureau::allocated_bytes(path).unwrap_or(0)
}

/// Bytes on disk of each validator's data directory in `dir`.
pub fn node_disk_bytes(dir: &Path, validators: usize) -> Vec<u64> {
    (0..validators)
        .map(|i| disk_bytes(&dir.join(format!("node-{i}"))))
        .collect()
}
