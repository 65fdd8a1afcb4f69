//! A bad configuration fails start-up with a message naming the file and the key at fault.
//!
//! `tests/fixtures/config/` holds one valid node file and the network file it names. Each
//! test breaks one rule by editing one value of the parsed fixtures, writes the pair to a
//! fresh directory and loads it with `NodeConfig::load`, as `credence node` does.
#![allow(clippy::unwrap_used)]

use credence_light::network::BLOCK_BYTES_MIN;
use credence_node::config::{ConfigError, NodeConfig};
use credence_types::limits::{BLOCK_BYTES_MAX, BLOCK_TRANSACTIONS_MAX};
use serde_json::json;
use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/config");

/// Which of the two files an error must name.
#[derive(Clone, Copy, Debug)]
enum File {
    Node,
    Network,
}

/// The fixtures, parsed, for a test to break.
struct Fixture {
    node: toml::Table,
    network: serde_json::Value,
}

/// A configuration written to disk and loaded.
struct Loaded {
    _dir: tempfile::TempDir,
    node_path: PathBuf,
    network_path: PathBuf,
    result: Result<NodeConfig, ConfigError>,
}

impl Fixture {
    fn good() -> Self {
        let read = |name: &str| std::fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap();
        Self {
            node: toml::from_str(&read("node.toml")).unwrap(),
            network: serde_json::from_str(&read("network.json")).unwrap(),
        }
    }

    /// Sets the node file's `key` (`section.key` for a key in a section).
    fn node(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        let (table, key) = match key.split_once('.') {
            Some((section, key)) => (
                self.node
                    .entry(section)
                    .or_insert_with(|| toml::Table::new().into())
                    .as_table_mut()
                    .unwrap(),
                key,
            ),
            None => (&mut self.node, key),
        };
        table.insert(key.to_string(), value.into());
        self
    }

    /// Edits the network file.
    fn network(mut self, edit: impl FnOnce(&mut serde_json::Value)) -> Self {
        edit(&mut self.network);
        self
    }

    fn load(&self) -> Loaded {
        let dir = tempfile::tempdir().unwrap();
        let node_path = dir.path().join("node.toml");
        let network_path = dir.path().join("network.json");
        std::fs::write(&node_path, toml::to_string(&self.node).unwrap()).unwrap();
        std::fs::write(
            &network_path,
            serde_json::to_string_pretty(&self.network).unwrap(),
        )
        .unwrap();
        let result = NodeConfig::load(&node_path);
        Loaded {
            _dir: dir,
            node_path,
            network_path,
            result,
        }
    }
}

impl Loaded {
    fn path(&self, file: File) -> &Path {
        match file {
            File::Node => &self.node_path,
            File::Network => &self.network_path,
        }
    }

    /// Asserts the load failed on `key` of `file`, with a problem that says `saying`.
    #[track_caller]
    fn invalid(&self, file: File, key: &str, saying: &str) {
        match &self.result {
            Err(
                error @ ConfigError::Invalid {
                    path,
                    key: named,
                    problem,
                },
            ) => {
                assert_eq!(path, self.path(file), "{error}");
                assert_eq!(*named, key, "{error}");
                assert!(problem.contains(saying), "{error}");
                let message = error.to_string();
                assert!(
                    message.contains(&self.path(file).display().to_string())
                        && message.contains(&format!("`{key}`")),
                    "the message must name the file and the key: {message}"
                );
            }
            other => panic!("expected `{key}` of the {file:?} file to be invalid, got {other:?}"),
        }
    }

    /// Asserts the load failed to parse `file`, naming `key`.
    #[track_caller]
    fn unparsed(&self, file: File, key: &str) {
        match &self.result {
            Err(error @ ConfigError::Parse { path, message }) => {
                assert_eq!(path, self.path(file), "{error}");
                assert!(
                    message.contains(key),
                    "the message must name `{key}`: {error}"
                );
            }
            other => panic!("expected the {file:?} file not to parse, got {other:?}"),
        }
    }
}

#[test]
fn the_fixtures_load_with_paths_relative_to_the_node_file() {
    let loaded = Fixture::good().load();
    let config = loaded.result.as_ref().unwrap();
    let dir = loaded.node_path.parent().unwrap();
    assert_eq!(config.node.network_file, loaded.network_path);
    assert_eq!(config.node.data_dir, dir.join("data"));
    assert_eq!(config.node.key_file, dir.join("keys/bank-a.json"));
    assert_eq!(
        config.node.consensus_key_file,
        dir.join("keys/bank-a.consensus.json")
    );
    assert_eq!(config.network.genesis_validators().len(), 2);
    assert_eq!(config.block_limits().transactions_max, 20_000);
}

#[test]
fn an_unknown_node_key_is_named() {
    Fixture::good()
        .node("colour", "blue")
        .load()
        .unparsed(File::Node, "colour");
    Fixture::good()
        .node("blocks.interval", 500)
        .load()
        .unparsed(File::Node, "interval");
    Fixture::good()
        .node("store.cache_gib", 1)
        .load()
        .unparsed(File::Node, "cache_gib");
}

#[test]
fn an_unknown_network_key_is_named() {
    Fixture::good()
        .network(|n| n["block_gas_max"] = json!(1))
        .load()
        .unparsed(File::Network, "block_gas_max");
    Fixture::good()
        .network(|n| n["genesis"]["institutions"][0]["consensus"]["weight"] = json!(1))
        .load()
        .unparsed(File::Network, "weight");
}

#[test]
fn a_missing_network_file_is_named() {
    let loaded = Fixture::good()
        .node("network_file", "elsewhere.json")
        .load();
    match &loaded.result {
        Err(ConfigError::Read { path, .. }) => {
            assert_eq!(path, &loaded.node_path.with_file_name("elsewhere.json"));
        }
        other => panic!("expected the network file to be unreadable, got {other:?}"),
    }
}

#[test]
fn blocks_interval_ms_must_be_at_least_1() {
    Fixture::good()
        .node("blocks.interval_ms", 0)
        .load()
        .invalid(File::Node, "blocks.interval_ms", "at least 1");
}

#[test]
fn blocks_empty_interval_ms_must_not_be_below_interval_ms() {
    Fixture::good()
        .node("blocks.interval_ms", 500)
        .node("blocks.empty_interval_ms", 499)
        .load()
        .invalid(
            File::Node,
            "blocks.empty_interval_ms",
            "at least blocks.interval_ms",
        );
}

#[test]
fn blocks_empty_interval_ms_must_be_under_the_leader_timeout() {
    for empty_interval_ms in [2_000, 60_000] {
        Fixture::good()
            .node("blocks.empty_interval_ms", empty_interval_ms)
            .load()
            .invalid(File::Node, "blocks.empty_interval_ms", "under 2000");
    }
}

#[test]
fn blocks_transactions_max_must_be_within_the_networks() {
    for transactions_max in [0, 20_001] {
        Fixture::good()
            .node("blocks.transactions_max", transactions_max)
            .load()
            .invalid(
                File::Node,
                "blocks.transactions_max",
                "the network's block_transactions_max",
            );
    }
}

#[test]
fn mempool_limits_must_be_at_least_1() {
    for key in ["mempool.transactions_max", "mempool.mib_max"] {
        Fixture::good()
            .node(key, 0)
            .load()
            .invalid(File::Node, "mempool", "at least 1");
    }
}

#[test]
fn store_cache_mib_must_be_at_least_4() {
    Fixture::good().node("store.cache_mib", 3).load().invalid(
        File::Node,
        "store.cache_mib",
        "at least 4",
    );
}

#[test]
fn worker_threads_must_be_1_to_64() {
    for threads in [0, 65] {
        Fixture::good()
            .node("worker_threads", threads)
            .load()
            .invalid(File::Node, "worker_threads", "1..=64");
    }
}

#[test]
fn api_listen_must_differ_from_p2p_listen() {
    Fixture::good()
        .node("api_listen", "127.0.0.1:9080")
        .load()
        .invalid(File::Node, "api_listen", "p2p_listen");
}

#[test]
fn the_network_must_name_a_validator() {
    Fixture::good()
        .network(|n| {
            for i in [0, 1] {
                n["genesis"]["institutions"][i]["roles"] = json!(["lender"]);
                n["genesis"]["institutions"][i]
                    .as_object_mut()
                    .unwrap()
                    .remove("consensus");
            }
        })
        .load()
        .invalid(
            File::Network,
            "genesis.institutions",
            "at least one validator",
        );
}

#[test]
fn a_validator_must_have_a_consensus_seat() {
    Fixture::good()
        .network(|n| {
            n["genesis"]["institutions"][1]
                .as_object_mut()
                .unwrap()
                .remove("consensus");
        })
        .load()
        .invalid(
            File::Network,
            "genesis.institutions.consensus",
            "if, and only if",
        );
}

#[test]
fn only_a_validator_may_have_a_consensus_seat() {
    Fixture::good()
        .network(|n| n["genesis"]["institutions"][1]["roles"] = json!(["furnisher", "lender"]))
        .load()
        .invalid(
            File::Network,
            "genesis.institutions.consensus",
            "validator role",
        );
}

#[test]
fn a_consensus_key_that_is_not_a_public_key_is_named() {
    Fixture::good()
        .network(|n| {
            let not_a_point = (0u8..=255)
                .map(|b| credence_types::PublicKey([b; 32]))
                .find(|key| !credence_crypto::is_public_key(key))
                .unwrap();
            n["genesis"]["institutions"][0]["consensus"]["key"] = json!(not_a_point.to_string());
        })
        .load()
        .invalid(
            File::Network,
            "genesis.institutions.consensus.key",
            "not an Ed25519 public key",
        );
}

#[test]
fn a_consensus_key_is_no_other_key() {
    Fixture::good()
        .network(|n| {
            let signing = n["genesis"]["institutions"][0]["signing_key"].clone();
            n["genesis"]["institutions"][0]["consensus"]["key"] = signing;
        })
        .load()
        .invalid(
            File::Network,
            "genesis.institutions.consensus.key",
            "another key",
        );
    Fixture::good()
        .network(|n| {
            let first = n["genesis"]["institutions"][0]["consensus"]["key"].clone();
            n["genesis"]["institutions"][1]["consensus"]["key"] = first;
        })
        .load()
        .invalid(
            File::Network,
            "genesis.institutions.consensus.key",
            "another key",
        );
}

#[test]
fn block_transactions_max_must_be_within_the_protocols() {
    // Zero is caught by the node file's own limit first (it may not exceed the network's).
    Fixture::good()
        .network(|n| n["block_transactions_max"] = json!(BLOCK_TRANSACTIONS_MAX + 1))
        .load()
        .invalid(
            File::Network,
            "block_transactions_max",
            &format!("1..={BLOCK_TRANSACTIONS_MAX}"),
        );
}

#[test]
fn block_bytes_max_must_be_within_the_protocols() {
    for bytes_max in [BLOCK_BYTES_MIN - 1, BLOCK_BYTES_MAX + 1] {
        Fixture::good()
            .network(|n| n["block_bytes_max"] = json!(bytes_max))
            .load()
            .invalid(
                File::Network,
                "block_bytes_max",
                &format!("{BLOCK_BYTES_MIN}..={BLOCK_BYTES_MAX}"),
            );
    }
}

#[test]
fn genesis_parameters_must_be_valid() {
    let cases = [
        ("dispute_answer_days", 0, "dispute_answer_days"),
        ("retention_years", 31, "retention_years"),
        ("governance_threshold", 5_000, "governance_threshold"),
        (
            "proposal_lifetime_days_max",
            366,
            "proposal_lifetime_days_max",
        ),
        ("consent_lifetime_days_max", 0, "consent_lifetime_days_max"),
    ];
    for (parameter, value, saying) in cases {
        Fixture::good()
            .network(|n| n["genesis"]["parameters"][parameter] = json!(value))
            .load()
            .invalid(File::Network, "genesis.parameters", saying);
    }
}
