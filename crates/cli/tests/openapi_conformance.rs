//! The OpenAPI document says exactly what the API accepts and returns: Schemathesis generates
//! requests from the document the node serves and sends them to a real validator. Every
//! request valid by the document must be accepted (or refused for its content, 422, never as
//! malformed); every request the document rules out must get a 4xx; no answer may be a 500
//! or break the document's schemas. `scripts/test` installs Schemathesis (PyPI, pinned).
#![allow(clippy::unwrap_used)]

mod common;

use common::Network;
use std::process::Command;

/// Schemathesis's executable, as `scripts/test` installs it.
const SCHEMATHESIS: &str = "schemathesis";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_generated_from_the_document_meet_the_api_it_describes() {
    let installed = Command::new(SCHEMATHESIS).arg("--version").output();
    assert!(
        installed.is_ok_and(|o| o.status.success()),
        "{SCHEMATHESIS} is missing: pip install schemathesis (scripts/test does)"
    );
    let network = Network::start(1).await;
    let node = network.nodes[0].base().to_string();
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/schemathesis.toml"
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new(SCHEMATHESIS)
            .args(["--config-file", config, "run"])
            .arg(format!("{node}/v1/openapi.json"))
            // The event stream never ends, so it cannot be fuzzed request by request; its
            // parameters are checked by the same patterns as every other route's.
            .args(["--exclude-path", "/v1/events"])
            .args(["--checks", "all", "--max-examples", "30", "--seed", "7"])
            // One worker: CPython 3.11 (this machine's) keeps the AST builder's recursion
            // counter in shared state, so two Hypothesis threads describing strategies at
            // once fail spuriously with "AST constructor recursion depth mismatch"
            // (python/cpython#106905, fixed in later CPython releases).
            .args(["--generation-deterministic", "--workers", "1", "--no-color"])
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the API disagrees with its document\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
}
