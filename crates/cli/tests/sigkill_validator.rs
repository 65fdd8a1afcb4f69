//! Real processes: four `credence node` validators on loopback under load; one is killed with
//! SIGKILL mid-load; the other three keep finalising; the killed one restarts, catches up from
//! its peers, and ends with the same blocks and state root, with every accepted transaction
//! finalised exactly once.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_client::{Account, NodeClient, build};
use credence_crypto::{EncryptionSecret, SigningKey};
use credence_types::{
    Digest, Height, SubjectId,
    api::{BatchItem, TransactionStatus},
    genesis::ChainId,
};
use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const BINARY: &str = env!("CARGO_BIN_EXE_credence");

struct Validator {
    child: Option<Child>,
    config: std::path::PathBuf,
}

impl Validator {
    fn start(config: &Path) -> Self {
        let log = std::fs::File::create(config.with_file_name("test.log")).unwrap();
        let child = Command::new(BINARY)
            .args(["node", "--config"])
            .arg(config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Self {
            child: Some(child),
            config: config.to_path_buf(),
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        }
    }

    fn restart(&mut self) {
        self.kill();
        *self = Self::start(&self.config.clone());
    }
}

impl Drop for Validator {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn height(node: &NodeClient) -> Option<u64> {
    node.status().await.ok().map(|s| s.height.0)
}

async fn wait_for_height(node: &NodeClient, target: u64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        if height(node).await.is_some_and(|h| h >= target) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not reach height {target} within {timeout:?} (at {:?})",
            node.base(),
            height(node).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_validator_catches_up_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let base_port = 20_000 + (std::process::id() % 500) as u16 * 8;
    let status = Command::new(BINARY)
        .args(["genesis", "init", "--validators", "4", "--dir"])
        .arg(dir.path())
        .args(["--base-port", &base_port.to_string()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut validators: Vec<Validator> = (0..4)
        .map(|i| Validator::start(&dir.path().join(format!("node-{i}/node.toml"))))
        .collect();
    let nodes: Vec<NodeClient> = (0..4)
        .map(|i| NodeClient::new(&format!("http://127.0.0.1:{}", base_port + i)))
        .collect();
    for node in &nodes {
        wait_for_height(node, 2, Duration::from_secs(60)).await;
    }

    // Load: subjects register, in batches, to the first three validators.
    let network: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("network.json")).unwrap())
            .unwrap();
    let chain = ChainId::new(network["genesis"]["chain_id"].as_str().unwrap()).unwrap();
    let audit: credence_types::EncryptionKey = network["genesis"]["audit_key"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut accepted: Vec<Digest> = Vec::new();
    let registrations = |count: usize| -> Vec<credence_types::SignedTransaction> {
        (0..count)
            .map(|_| {
                let key = SigningKey::generate();
                let id = SubjectId::from_key(&key.public_key());
                let report = EncryptionSecret::generate();
                let mut account = Account::new(key, chain.clone(), 0);
                account.sign(build::register_subject(&id, &report, &audit).unwrap())
            })
            .collect()
    };
    for round in 0..10 {
        let batch = registrations(100);
        let node = &nodes[round % 3];
        for item in node.submit_batch(&batch).await.unwrap() {
            if let BatchItem::Accepted { hash } = item {
                accepted.push(hash);
            }
        }
        if round == 4 {
            // Mid-load: kill validator 3 without warning.
            validators[3].kill();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let killed_at = height(&nodes[0]).await.unwrap();
    // The other three keep finalising.
    for node in &nodes[..3] {
        wait_for_height(node, killed_at + 3, Duration::from_secs(60)).await;
    }

    // Restart it: it catches up to the others.
    validators[3].restart();
    let target = height(&nodes[0]).await.unwrap() + 2;
    for node in &nodes {
        wait_for_height(node, target, Duration::from_secs(120)).await;
    }

    // Every node has the same block, and so the same state root, at the target height.
    let mut headers = Vec::new();
    for node in &nodes {
        headers.push(node.block(Height(target)).await.unwrap());
    }
    for header in &headers[1..] {
        assert_eq!(header.digest, headers[0].digest);
        assert_eq!(header.header.state_root, headers[0].header.state_root);
    }
    // Every accepted transaction is finalised on the restarted node, applied exactly once.
    assert_eq!(accepted.len(), 1_000, "every registration was accepted");
    for hash in &accepted {
        let status = nodes[3].transaction(hash).await.unwrap();
        assert!(
            matches!(
                status,
                TransactionStatus::Finalized {
                    outcome: credence_types::receipt::Outcome::Applied,
                    ..
                }
            ),
            "{hash}: {status:?}"
        );
    }
}
