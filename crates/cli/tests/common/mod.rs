//! A network of real `credence node` processes on loopback, for the tests that need one.
#![allow(dead_code, clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_client::{Account, NodeClient, build, light::Validators};
use credence_crypto::{EncryptionSecret, SigningKey};
use credence_node::config::NetworkFile;
use credence_types::{EncryptionKey, SignedTransaction, SubjectId, genesis::ChainId};
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_credence");

/// One validator process.
pub struct Validator {
    child: Option<Child>,
    config: PathBuf,
}

impl Validator {
    /// Starts `credence node --config config`, logging next to its config.
    pub fn start(config: &Path) -> Self {
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

    /// Kills it with SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        }
    }

    /// Kills it, then starts it again on the same data.
    pub fn restart(&mut self) {
        self.kill();
        *self = Self::start(&self.config.clone());
    }
}

impl Drop for Validator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A consortium of validator processes, from `credence genesis init`.
pub struct Network {
    /// A scratch directory (removed at drop); the network's data is in its `devnet/`, as
    /// `credence devnet` lays it out.
    pub dir: tempfile::TempDir,
    /// The validators.
    pub validators: Vec<Validator>,
    /// A client of each validator's API.
    pub nodes: Vec<NodeClient>,
    /// The network file all of them share.
    pub file: NetworkFile,
}

impl Network {
    /// Initialises and starts `count` validators, and waits until each has committed a block.
    pub async fn start(count: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("devnet");
        let base_port = 20_000 + (std::process::id() % 500) as u16 * 8;
        let status = Command::new(BINARY)
            .args([
                "genesis",
                "init",
                "--validators",
                &count.to_string(),
                "--dir",
            ])
            .arg(&root)
            .args(["--base-port", &base_port.to_string()])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let file: NetworkFile =
            serde_json::from_str(&std::fs::read_to_string(root.join("network.json")).unwrap())
                .unwrap();
        let validators = (0..count)
            .map(|i| Validator::start(&root.join(format!("node-{i}/node.toml"))))
            .collect();
        let nodes: Vec<NodeClient> = (0..count)
            .map(|i| NodeClient::new(&format!("http://127.0.0.1:{}", base_port + i as u16)))
            .collect();
        for node in &nodes {
            wait_for_height(node, 2, Duration::from_secs(60)).await;
        }
        Self {
            dir,
            validators,
            nodes,
            file,
        }
    }

    /// The chain id.
    pub fn chain(&self) -> ChainId {
        self.file.genesis.chain_id.clone()
    }

    /// The network's audit key.
    pub fn audit(&self) -> EncryptionKey {
        self.file.genesis.audit_key
    }

    /// The validator set a light client trusts.
    pub fn trusted(&self) -> Validators {
        Validators::of(&self.file)
    }

    /// The key file of validator `index`'s institution.
    pub fn institution_key(&self, index: usize) -> PathBuf {
        self.dir
            .path()
            .join(format!("keys/bank-{}.json", char::from(b'a' + index as u8)))
    }

    /// `count` new subjects' registrations, each signed by the new subject.
    pub fn registrations(&self, count: usize) -> Vec<SignedTransaction> {
        (0..count)
            .map(|_| {
                let key = SigningKey::generate();
                let id = SubjectId::from_key(&key.public_key());
                let report = EncryptionSecret::generate();
                let mut account = Account::new(key, self.chain(), 0);
                account.sign(build::register_subject(&id, &report, &self.audit()).unwrap())
            })
            .collect()
    }
}

/// The node's committed height, if it answers.
pub async fn height(node: &NodeClient) -> Option<u64> {
    node.status().await.ok().map(|s| s.height.0)
}

/// Waits until `node` has committed `target`.
pub async fn wait_for_height(node: &NodeClient, target: u64, timeout: Duration) {
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
