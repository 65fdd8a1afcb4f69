//! Configuration: the node's TOML file (what this operator chooses) and the network file
//! (what every member agreed: genesis, validators and their addresses, block limits).
//!
//! Both are read leniently into plain structs, then validated into typed settings; a bad
//! value fails start-up with a message that names its key.

use crate::{consensus::block::BlockLimits, mempool::MempoolLimits};
pub use credence_light::network::NetworkFile;
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

/// A configuration problem, naming the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file does not parse (the message names the key).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A value is out of range.
    #[error("{path}: `{key}` {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
}

/// The node's configuration file.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFile {
    /// Where the node keeps its data.
    pub data_dir: PathBuf,
    /// The institution's key file (signing and encryption keys).
    pub key_file: PathBuf,
    /// This node's consensus key file: its identity to its peers, and its votes' key when
    /// the chain seats it as a validator. Never the institution's key.
    pub consensus_key_file: PathBuf,
    /// The network file every member shares.
    pub network_file: PathBuf,
    /// Where this validator listens for its peers.
    pub p2p_listen: SocketAddr,
    /// Where the API (and the console) listens.
    pub api_listen: SocketAddr,
    /// Serve the API over HTTPS with this certificate and key. Without it the API is plain
    /// HTTP, which the node serves only on a loopback address unless
    /// `insecure_plain_http` says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSection>,
    /// Serve plain HTTP on a non-loopback `api_listen` (behind a TLS-terminating proxy on the
    /// same host, or on an isolated test network). Off by default: a member's reads carry
    /// its customers' credit files.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_plain_http: bool,
    /// Where Prometheus scrapes `/metrics` (plain HTTP: counters and timings only). Without
    /// it the node serves no metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_listen: Option<SocketAddr>,
    /// Block production.
    #[serde(default)]
    pub blocks: BlocksSection,
    /// The mempool.
    #[serde(default)]
    pub mempool: MempoolSection,
    /// The state store.
    #[serde(default)]
    pub store: StoreSection,
    /// Worker threads of the runtime.
    #[serde(default = "default_threads")]
    pub worker_threads: usize,
    /// The web console.
    #[serde(default)]
    pub console: ConsoleSection,
}

/// `[tls]`: the API's certificate and private key, PEM files.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// The certificate chain, leaf first.
    pub certificate_file: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

/// `[console]`: the web console this node serves at `/`.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSection {
    /// A file holding the operator token that unlocks the lender console (the institution's
    /// staff sign in with it; the node then signs with the institution's key). Without it the
    /// explorer, borrower portal and regulator view still serve, and the lender console
    /// refuses every sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_token_file: Option<PathBuf>,
}

fn default_threads() -> usize {
    2
}

/// Most worker threads a node's runtime may have.
pub const WORKER_THREADS_MAX: usize = 64;

/// `[blocks]`: how this node builds blocks.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BlocksSection {
    /// Least time between blocks when there are transactions, in milliseconds.
    pub interval_ms: u64,
    /// Time between empty blocks when idle, in milliseconds.
    pub empty_interval_ms: u64,
    /// Most transactions this node puts in a block it proposes (at most the network's
    /// limit). Blocks other leaders propose are checked against the network's limit only.
    pub transactions_max: usize,
}

impl Default for BlocksSection {
    fn default() -> Self {
        Self {
            // Measured on the 4-validator devnet (`credence bench`): at 200 ms the per-block
            // work (execution and merkleisation on every validator) capped sustained load
            // near 4,000 tx/s with p99 under 2 s; at 500 ms, 6,500 tx/s with p99 under 1 s.
            interval_ms: 500,
            empty_interval_ms: 1_000,
            transactions_max: 10_000,
        }
    }
}

/// `[mempool]`.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolSection {
    /// Most transactions held.
    pub transactions_max: usize,
    /// Most mebibytes held.
    pub mib_max: usize,
    /// Most pending transactions per signer.
    pub per_signer_max: usize,
    /// How far ahead of a signer's last accepted nonce a new one may be.
    pub nonce_window: u64,
}

impl Default for MempoolSection {
    fn default() -> Self {
        Self {
            transactions_max: 200_000,
            mib_max: 512,
            per_signer_max: 4_096,
            nonce_window: 4_096,
        }
    }
}

/// `[store]`.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// Mebibytes of state read cache.
    pub cache_mib: usize,
}

impl Default for StoreSection {
    fn default() -> Self {
        Self { cache_mib: 256 }
    }
}

/// A validated configuration.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The file it came from.
    pub path: PathBuf,
    /// The node file, validated.
    pub node: NodeFile,
    /// The network file, validated.
    pub network: NetworkFile,
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Resolves `path` relative to the directory of `base`.
fn relative_to(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.parent().unwrap_or(Path::new(".")).join(path)
    }
}

impl NodeConfig {
    /// Reads and validates a node file and the network file it names. Relative paths in the
    /// node file are relative to the node file's directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let mut node: NodeFile = toml::from_str(&read(path)?).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        node.data_dir = relative_to(path, &node.data_dir);
        node.key_file = relative_to(path, &node.key_file);
        node.consensus_key_file = relative_to(path, &node.consensus_key_file);
        node.network_file = relative_to(path, &node.network_file);
        if let Some(token) = &mut node.console.operator_token_file {
            *token = relative_to(path, token);
        }
        if let Some(tls) = &mut node.tls {
            tls.certificate_file = relative_to(path, &tls.certificate_file);
            tls.key_file = relative_to(path, &tls.key_file);
        }
        let network_path = node.network_file.clone();
        let network: NetworkFile =
            serde_json::from_str(&read(&network_path)?).map_err(|e| ConfigError::Parse {
                path: network_path.clone(),
                message: e.to_string(),
            })?;
        let config = Self {
            path: path.to_path_buf(),
            node,
            network,
        };
        config.validate(&network_path)?;
        Ok(config)
    }

    fn validate(&self, network_path: &Path) -> Result<(), ConfigError> {
        let invalid = |path: &Path, key: &'static str, problem: &str| ConfigError::Invalid {
            path: path.to_path_buf(),
            key,
            problem: problem.to_string(),
        };
        let node = &self.node;
        let here = &self.path;
        if node.blocks.interval_ms == 0 {
            return Err(invalid(here, "blocks.interval_ms", "must be at least 1"));
        }
        if node.blocks.empty_interval_ms < node.blocks.interval_ms {
            return Err(invalid(
                here,
                "blocks.empty_interval_ms",
                "must be at least blocks.interval_ms",
            ));
        }
        if node.blocks.empty_interval_ms >= 2_000 {
            return Err(invalid(
                here,
                "blocks.empty_interval_ms",
                "must be under 2000, the consensus leader timeout",
            ));
        }
        if node.blocks.transactions_max == 0
            || node.blocks.transactions_max > self.network.block_transactions_max
        {
            return Err(invalid(
                here,
                "blocks.transactions_max",
                "must be between 1 and the network's block_transactions_max",
            ));
        }
        if node.mempool.transactions_max == 0 || node.mempool.mib_max == 0 {
            return Err(invalid(here, "mempool", "limits must be at least 1"));
        }
        if node.store.cache_mib < 4 {
            return Err(invalid(here, "store.cache_mib", "must be at least 4"));
        }
        if !(1..=WORKER_THREADS_MAX).contains(&node.worker_threads) {
            return Err(invalid(
                here,
                "worker_threads",
                &format!("must be 1..={WORKER_THREADS_MAX}"),
            ));
        }
        if node.p2p_listen == node.api_listen {
            return Err(invalid(here, "api_listen", "must differ from p2p_listen"));
        }
        if node.tls.is_none() && !node.api_listen.ip().is_loopback() && !node.insecure_plain_http {
            return Err(invalid(
                here,
                "api_listen",
                "is not a loopback address, so the API must serve TLS: add a [tls] section \
                 (or set insecure_plain_http = true behind a TLS-terminating proxy)",
            ));
        }
        if let Some(metrics) = node.metrics_listen
            && (metrics == node.api_listen || metrics == node.p2p_listen)
        {
            return Err(invalid(
                here,
                "metrics_listen",
                "must differ from api_listen and p2p_listen",
            ));
        }

        self.network
            .validate()
            .map_err(|error| ConfigError::Invalid {
                path: network_path.to_path_buf(),
                key: error.key,
                problem: error.problem,
            })?;
        Ok(())
    }

    /// Block limits of the network.
    pub fn block_limits(&self) -> BlockLimits {
        BlockLimits {
            transactions_max: self.network.block_transactions_max,
            bytes_max: self.network.block_bytes_max,
        }
    }

    /// Mempool limits.
    pub fn mempool_limits(&self) -> MempoolLimits {
        MempoolLimits {
            transactions_max: self.node.mempool.transactions_max,
            bytes_max: self.node.mempool.mib_max.saturating_mul(1 << 20),
            per_signer_max: self.node.mempool.per_signer_max,
        }
    }

    /// Block building interval when busy.
    pub fn block_interval(&self) -> Duration {
        Duration::from_millis(self.node.blocks.interval_ms)
    }

    /// Block building interval when idle.
    pub fn empty_block_interval(&self) -> Duration {
        Duration::from_millis(self.node.blocks.empty_interval_ms)
    }
}
