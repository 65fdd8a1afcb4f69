//! A network of real `credence node` processes on loopback, for the tests that need one.
#![allow(dead_code, clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_client::{
    Account, NodeClient, build,
    light::{NetworkFile, Validators},
};
use credence_crypto::{EncryptionSecret, SigningKey};
use credence_devnet::{Local, Plan, layout};
use credence_node::config::NodeFile;
use credence_types::{EncryptionKey, SignedTransaction, SubjectId, genesis::ChainId};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// The binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_credence");

/// A consortium of validator processes, laid out as `credence devnet` lays one out.
pub struct Network {
    /// Its validators (stopped at drop); declared first so they stop before the scratch
    /// directory goes.
    pub local: Local,
    /// A client of each validator's API.
    pub nodes: Vec<NodeClient>,
    /// The network file all of them share.
    pub file: NetworkFile,
    /// A scratch directory (removed at drop); the network's data is in its `devnet/`.
    pub dir: tempfile::TempDir,
}

impl Network {
    /// Initialises and starts `count` validators, and waits until each has committed a block.
    pub async fn start(count: usize) -> Self {
        Self::start_with_epochs(count, layout::EPOCH_LENGTH_BLOCKS).await
    }

    /// [`Network::start`], with epochs of `epoch_length_blocks` blocks.
    pub async fn start_with_epochs(count: usize, epoch_length_blocks: u64) -> Self {
        Self::start_configured(count, epoch_length_blocks, |_| {}).await
    }

    /// [`Network::start_with_epochs`], each validator's node file changed by `configure`
    /// before it starts.
    pub async fn start_configured(
        count: usize,
        epoch_length_blocks: u64,
        configure: impl Fn(&mut NodeFile),
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let local = Local::start_configured(
            Path::new(BINARY),
            &Plan {
                dir: dir.path().join("devnet"),
                validators: count,
                chain_id: "credence-devnet".to_string(),
                base_port: 20_000 + (std::process::id() % 500) as u16 * 8,
                genesis_time: layout::now().unwrap(),
                epoch_length_blocks,
            },
            configure,
        )
        .unwrap();
        local
            .wait_for_height(2, Duration::from_secs(60))
            .await
            .unwrap();
        Self {
            // The tests observe as the regulator, which reads everything; a test of who
            // reads what signs as each reader itself.
            nodes: local.observers().unwrap(),
            file: layout::network_file(local.dir()).unwrap(),
            local,
            dir,
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

    /// The key file of validator `index`'s institution.
    pub fn institution_key(&self, index: usize) -> PathBuf {
        self.dir.path().join(format!(
            "devnet/keys/{}.json",
            layout::validator_name(index)
        ))
    }

    /// The key file of the institution named `name` (`bank-a`, `regulator`, `registry`…).
    pub fn key_of(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("devnet/keys/{name}.json"))
    }

    /// The validator set a light client trusts.
    pub fn trusted(&self) -> Validators {
        Validators::of(&self.file)
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

/// Waits until `node` has committed `target`; fails the test if it does not in time.
pub async fn wait_for_height(node: &NodeClient, target: u64, timeout: Duration) {
    if let Err(error) = node.wait_for_height(target, timeout).await {
        panic!("{error} (at {:?})", height(node).await);
    }
}
