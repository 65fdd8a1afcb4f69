//! The web console in a real browser: four validator processes, then the lender, borrower,
//! explorer and regulator pages driven in Debian's headless Chromium by
//! `tests/browser/console.mjs` (playwright-core). `scripts/test` installs Chromium and the
//! script's one npm dependency; this test fails, saying what is missing, without them.
//!
//! Screenshots of every page land in `target/tmp/console-screenshots/`.
#![allow(clippy::unwrap_used)]

mod common;

use common::Network;
use std::{path::Path, process::Command};

const CHROMIUM: &str = "/usr/bin/chromium";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_in_a_real_browser() {
    let browser_tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install Debian's chromium (scripts/test does)"
    );
    assert!(
        browser_tests.join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run `npm ci` in {} (scripts/test does)",
        browser_tests.display()
    );
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let network = Network::start(4).await;
    let nodes: Vec<String> = network.nodes.iter().map(|n| n.base().to_string()).collect();
    let output = tokio::task::spawn_blocking({
        let devnet = network.dir.path().join("devnet");
        let screenshots = screenshots.clone();
        move || {
            Command::new("node")
                .arg("console.mjs")
                .current_dir(&browser_tests)
                .env("CREDENCE_BIN", common::BINARY)
                .env("NETWORK_DIR", devnet)
                .env("NODE_URLS", nodes.join(","))
                .env("SCREENSHOTS", screenshots)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    assert!(
        output.status.success(),
        "the browser test failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    for page in [
        "explorer.png",
        "report.png",
        "loan-book.png",
        "borrower.png",
        "alerts.png",
        "regulator.png",
    ] {
        assert!(
            screenshots.join(page).exists(),
            "no screenshot of {page} in {}",
            screenshots.display()
        );
    }
}
