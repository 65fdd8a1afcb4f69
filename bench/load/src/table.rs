//! The run printed as tables: the scenarios beside the limits they ran with, then each
//! throughput scenario beside the bureau.

use crate::{Outcome, Summary, usage};

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "—".to_string())
}

/// Prints a run as tables: the scenarios with the limits they ran beside, then each
/// throughput scenario against the bureau.
pub(crate) fn print(summary: &Summary) {
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
        "  {:<8} {:>9} {:>10} {:>7} {:>7} {:>9} {:>9} {:>8} {:>10} {:>9} {:>9} {:>7} {:>10} {:>9} {:>8} {:>9}",
        "scenario",
        "offered/s",
        "goodput/s",
        "p50 ms",
        "p99 ms",
        "admit p99",
        "bound/s",
        "of bound",
        "unfinished",
        "throttled",
        "resubmit",
        "refused",
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
            "  {:<8} {:>9} {:>10.0} {:>7.0} {:>7.0} {:>9} {:>9} {:>8} {:>10} {:>9} {:>9} {:>7} {:>10} {:>9} {:>8} {:>9}",
            outcome.name,
            if outcome.offered == 0 {
                "closed".to_string()
            } else {
                outcome.offered.to_string()
            },
            outcome.tps,
            outcome.p50_ms,
            outcome.p99_ms,
            or_dash(outcome.admitted_p99_ms.map(|p| format!("{p:.0}"))),
            or_dash(
                outcome
                    .limits
                    .as_ref()
                    .map(|l| format!("{:.0}", l.bound_tps))
            ),
            or_dash(outcome.bound_ratio.map(|r| format!("{:.1}%", r * 100.0))),
            outcome.unfinished,
            outcome.throttled,
            outcome.retries,
            outcome.refused,
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
    println!();
    println!(
        "  goodput = finalised a second over the window; p50/p99 from the intended send time \
         (a retrying client's wait included); admit p99 from admission; unfinished = intended \
         in the window, not final at the end; throttled = busy (429) answers; resubmit = \
         transactions sent again; refused = refused for good"
    );
    for outcome in &summary.scenarios {
        if let Some(ratio) = outcome.furnish_ratio {
            println!();
            println!(
                "  {}: {:.0} records/s = {:.1}% of the furnish goodput of this run",
                outcome.name,
                outcome.tps,
                ratio * 100.0
            );
        }
    }
    if let Some(limits) = summary.scenarios.iter().find_map(|o| o.limits.as_ref()) {
        println!();
        println!(
            "  bound = Ed25519 batch verification on all cores ÷ validators (first scenario: \
             {:.0} sig/s batched, {:.0} singly on one core; {:.0} sig/s batched when every \
             signature has its own signer, not used for the bound)",
            limits.verify_per_second,
            limits.verify_single_per_second,
            limits.verify_distinct_per_second
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
