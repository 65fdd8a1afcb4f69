//! `credence-bench`, run as a user would, small: its own devnet of four real validators, the
//! `mixed` and `inquiry` scenarios, and the bureau beside `mixed` when PostgreSQL is
//! installed (`scripts/test` installs it). What it checks is that every workload measures
//! what it claims — the sampled `mixed` load applies whole on the ledger and on the bureau,
//! every report read carries its fifty records — and that the output has the shape
//! `--json` promises; the figures themselves are for `docs/benchmarks.md`, not for asserts.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::process::Command;

#[test]
fn a_small_bench_measures_every_workload_it_names() {
    let chart = tempfile::NamedTempFile::with_suffix(".svg").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_credence-bench"))
        .args([
            "--scenario",
            "mixed",
            "inquiry",
            "--rate",
            "150",
            "--warmup",
            "1",
            "--duration",
            "3",
            "--subjects",
            "40",
            "--inquiry-subjects",
            "3",
            "--readers",
            "1",
            "--base-port",
            "28080",
            "--json",
            "--chart",
        ])
        .arg(chart.path())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench failed:\n{log}");
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["validators"], 4);
    let scenarios = summary["scenarios"].as_array().unwrap();
    let names: Vec<&str> = scenarios
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mixed", "inquiry"]);
    for scenario in scenarios {
        for field in ["tps", "p50_ms", "p99_ms"] {
            assert!(
                scenario[field].as_f64().unwrap() > 0.0,
                "{field}: {scenario}"
            );
        }
        let limits = &scenario["limits"];
        assert!(limits["verify_per_second"].as_f64().unwrap() > 0.0);
        assert!(limits["fsync_p99_ms"].as_f64().unwrap() > 0.0);
        let usage = scenario["usage"].as_array().unwrap();
        assert_eq!(usage.len(), 4, "a figure for every validator");
        assert!(usage.iter().all(|u| u["rss_mib"].as_f64().unwrap() > 0.0));
    }

    let mixed = &scenarios[0];
    assert!(mixed["bound_ratio"].as_f64().unwrap() > 0.0);
    assert!(mixed["disk_bytes_per_tx"].as_f64().unwrap() > 0.0);
    let audit = &mixed["audit"];
    assert!(audit["sampled"].as_u64().unwrap() > 100);
    assert_eq!(
        audit["applied"], audit["sampled"],
        "every sampled transaction of the mix applies: {audit}"
    );
    assert!(!mixed["timeline"].as_array().unwrap().is_empty());
    let svg = std::fs::read_to_string(chart.path()).unwrap();
    assert!(svg.contains("<svg") && svg.contains("polyline"));

    if credence_bureau::installed() {
        let baseline = mixed["baseline"].as_array().unwrap();
        assert_eq!(baseline.len(), 2, "single and replicated: {baseline:?}");
        assert_eq!(baseline[0]["servers"], 1);
        assert_eq!(baseline[1]["servers"], 4);
        for row in baseline {
            assert_eq!(
                row["rejected"], 0,
                "the mix applies whole on the bureau: {row}"
            );
            assert!(row["tps"].as_f64().unwrap() > 0.0);
        }
    } else {
        assert!(log.contains("PostgreSQL is not installed"));
    }

    // The inquiry scenario fails outright if a report is short of its records; here it read
    // some.
    assert!(scenarios[1]["tps"].as_f64().unwrap() > 0.0);
}
