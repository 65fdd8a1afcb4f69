//! The README's walk-through, run as a user would: its shell block, verbatim, through the
//! built binary, against four real validators. If the README drifts from what the binary
//! does, this fails.
#![allow(clippy::unwrap_used)]

mod common;

use common::Network;
use std::process::Command;

/// The shell code between the walk-through markers of the README.
fn walkthrough() -> String {
    let readme = include_str!("../../../README.md");
    let begin = readme.find("<!-- walkthrough:begin -->").unwrap();
    let end = readme.find("<!-- walkthrough:end -->").unwrap();
    let section = &readme[begin..end];
    let mut script = String::new();
    let mut inside = false;
    for line in section.lines() {
        match line.trim() {
            "```sh" => inside = true,
            "```" => inside = false,
            _ if inside => {
                script.push_str(line);
                script.push('\n');
            }
            _ => {}
        }
    }
    assert!(!script.is_empty(), "the README has a walk-through");
    script
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_works_verbatim() {
    let network = Network::start(4).await;
    let binary_dir = std::path::Path::new(common::BINARY).parent().unwrap();
    let path = format!(
        "{}:{}",
        binary_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = walkthrough();
    let output = tokio::task::spawn_blocking({
        let dir = network.dir.path().to_path_buf();
        let node = network.nodes[0].base().to_string();
        move || {
            Command::new("bash")
                .args(["-euo", "pipefail", "-c", &script])
                .current_dir(dir)
                .env("PATH", path)
                .env("CREDENCE_NODE", node)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // What a user would have seen (shown with --nocapture).
    println!("{stderr}\n{stdout}");
    assert!(
        output.status.success(),
        "the walk-through failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );

    // The report shows both furnishers' accounts, a score and its reasons.
    assert!(stdout.contains("CREDIT REPORT"), "{stdout}");
    // The month's Metro 2 file furnished its one record once, twice run, and went out again.
    assert!(
        stdout.contains("furnished: 1 (0 by an earlier run)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("furnished: 1 (1 by an earlier run)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 record(s) written to bank-a.m2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("bank-a.m2: valid (1 account record(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("bank-a") && stdout.contains("bank-c"),
        "{stdout}"
    );
    let score_line = stdout.lines().find(|l| l.starts_with("SCORE")).unwrap();
    let score: u16 = score_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!((300..=850).contains(&score), "{score_line}");
    assert!(stdout.contains("  R"), "reason codes are listed: {stdout}");
    // After the key rotation, the machine-readable report still opens both accounts, the
    // newer card record sealed to the new key.
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(network.dir.path().join("report.json")).unwrap(),
    )
    .unwrap();
    let accounts = report["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{report}");
    assert!(
        accounts.iter().all(|a| a["tradeline"].is_object()),
        "{report}"
    );
    assert_eq!(report["inquiries"].as_array().unwrap().len(), 2, "{report}");
    // Pledged, then released by the contract; the loan closed as repaid.
    let locks: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("\"lock\""))
        .collect();
    assert_eq!(locks.len(), 2, "{stdout}");
    assert!(
        locks[0].contains('0') && locks[1].contains("null"),
        "{locks:?}"
    );
    assert!(stdout.contains("\"status\": \"repaid\""), "{stdout}");
    // The consent ended, revoked, at a height.
    assert!(
        stdout.contains("\"ended_height\": ") && !stdout.contains("\"ended_height\": null"),
        "{stdout}"
    );
    // While it ran, the schedule showed twelve installments and the payoff.
    assert!(stdout.contains("\"payoff\": "), "{stdout}");
    assert_eq!(stdout.matches("\"due\":").count(), 12, "{stdout}");
    assert_eq!(
        stderr.matches("verified: value proven").count(),
        2,
        "both reads were verified: {stderr}"
    );
    // The furnisher listed the open dispute, and its correction resolved it.
    assert!(
        stdout.lines().any(|l| l.starts_with("dsp-0")
            && l.contains("inaccurate_amount")
            && l.contains("open")),
        "{stdout}"
    );
    assert!(stdout.contains("\"resolution\": \"corrected\""), "{stdout}");
}
