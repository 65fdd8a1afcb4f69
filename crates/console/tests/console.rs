//! The web console in a real browser: four validator processes, then the lender, borrower,
//! explorer and regulator pages driven in Debian's headless Chromium by
//! `tests/browser/console.mjs` (playwright-core), each signed in as its reader would be (the
//! lender with its node's operator token, the borrower with her own key, the regulator with
//! its key file), and the explorer once more anonymously, which must show nothing about any
//! subject. `scripts/test` installs Chromium and the
//! script's one npm dependency; this test fails, saying what is missing, without them.
//!
//! Screenshots of every page land in `target/tmp/console-screenshots/`.
#![allow(clippy::unwrap_used)]

use credence_devnet::{Local, Plan, layout};
use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

const CHROMIUM: &str = "/usr/bin/chromium";

/// The `credence` binary the console ships in, beside this test's own directory in the
/// target tree; built here when missing (`cargo test --workspace` has built it already).
fn credence_binary() -> PathBuf {
    let test = std::env::current_exe().unwrap();
    let profile = test.parent().and_then(Path::parent).unwrap();
    let binary = profile.join("credence");
    if !binary.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--package", "credence-cli", "--bin", "credence"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "building the credence binary failed");
    }
    binary
}

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
    let binary = credence_binary();
    let scratch = tempfile::tempdir().unwrap();
    let base_port = 21_000 + u16::try_from(std::process::id() % 500).unwrap() * 8;
    let network = Local::start(
        &binary,
        &Plan {
            dir: scratch.path().join("devnet"),
            validators: 4,
            chain_id: "credence-console".to_string(),
            base_port,
            genesis_time: layout::now().unwrap(),
            epoch_length_blocks: layout::EPOCH_LENGTH_BLOCKS,
        },
    )
    .unwrap();
    let nodes: Vec<credence_client::NodeClient> = (0..4)
        .map(|i| {
            credence_client::NodeClient::new(&format!(
                "http://{}",
                layout::api_address(base_port, i).unwrap()
            ))
        })
        .collect();
    for node in &nodes {
        node.wait_for_height(2, Duration::from_secs(60))
            .await
            .unwrap();
    }
    a_bad_faith_uploader_gets_typed_refusals_and_the_node_carries_on(
        nodes[1].base(),
        &network
            .dir()
            .join("node-1")
            .join(layout::OPERATOR_TOKEN_FILE),
    )
    .await;
    let urls: Vec<String> = nodes.iter().map(|n| n.base().to_string()).collect();
    let output = tokio::task::spawn_blocking({
        let devnet = network.dir().to_path_buf();
        let screenshots = screenshots.clone();
        move || {
            Command::new("node")
                .arg("console.mjs")
                .current_dir(&browser_tests)
                .env("CREDENCE_BIN", &binary)
                .env("NETWORK_DIR", devnet)
                .env("NODE_URLS", urls.join(","))
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
        "explorer-anonymous.png",
        "metro2-import.png",
    ] {
        assert!(
            screenshots.join(page).exists(),
            "no screenshot of {page} in {}",
            screenshots.display()
        );
    }
}

/// The status and code of a Metro 2 upload to the console at `base`.
async fn upload(base: &str, token: Option<&str>, query: &str, body: Vec<u8>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/console/api/imports{query}"))
        .body(body);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let code = text
        .split("\"code\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string();
    (status, code)
}

/// Whoever reaches the console's upload with no token, or with the token and garbage, a
/// file past the bound or a malformed query, gets a typed 4xx: never a 500, a dropped
/// connection or a node that stops. Without the token the body is not even read.
async fn a_bad_faith_uploader_gets_typed_refusals_and_the_node_carries_on(
    base: &str,
    token_file: &Path,
) {
    let token = std::fs::read_to_string(token_file).unwrap();
    let token = token.trim();
    let garbage: Vec<u8> = (0..70_000u32)
        .map(|i| i.wrapping_mul(2_654_435_761).to_be_bytes()[1])
        .collect();
    let too_large = vec![b'0'; credence_console::UPLOAD_BYTES_MAX + 1];
    for (who, token, query, body, expected) in [
        (
            "no token",
            None,
            "",
            garbage.clone(),
            (401, "operator_token_invalid"),
        ),
        (
            "a wrong token",
            Some("not-the-token-of-this-node-at-all-0000"),
            "",
            garbage.clone(),
            (401, "operator_token_invalid"),
        ),
        (
            "garbage",
            Some(token),
            "",
            garbage.clone(),
            (422, "metro2_unreadable"),
        ),
        (
            "an empty body",
            Some(token),
            "",
            Vec::new(),
            (422, "metro2_unreadable"),
        ),
        (
            "a truncated header",
            Some(token),
            "",
            b"0426HEADER".to_vec(),
            (422, "metro2_unreadable"),
        ),
        (
            "past the bound",
            Some(token),
            "",
            too_large,
            (413, "body_too_large"),
        ),
        (
            "a malformed query",
            Some(token),
            "?strict=perhaps",
            garbage.clone(),
            (400, "query_malformed"),
        ),
        (
            "an unknown parameter",
            Some(token),
            "?dry_run=true",
            garbage,
            (400, "query_malformed"),
        ),
    ] {
        let (status, code) = upload(base, token, query, body).await;
        assert_eq!((status, code.as_str()), expected, "an upload with {who}");
    }
    let health = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200, "the node still serves");
}
