//! A network on disk: the shared network file, each institution's keys, and each validator
//! node's configuration. `credence genesis init` writes one; `credence devnet` runs one.
//!
//! ```text
//! <dir>/network.json            genesis (with the validators' seats), block limits
//! <dir>/keys/<name>.json        each institution's keys (0600)
//! <dir>/keys/<name>.consensus.json  each validator's consensus key (0600)
//! <dir>/keys/<name>.public.json each institution's public-key file (the ceremony's output)
//! <dir>/keys/audit.json         the network's audit key (the regulator's escrow)
//! <dir>/keys/audit.public.json  its public half
//! <dir>/node-<i>/node.toml      validator i's configuration
//! <dir>/node-<i>/data/          validator i's state, blocks and consensus journal
//! <dir>/node-<i>/node.log       validator i's log (under devnet)
//! ```

use crate::ceremony;
use credence_crypto::KeyFileError;
use credence_light::NetworkFile;
use credence_node::config::{ConsoleSection, NodeFile};
use credence_types::{Role, Roles, TimestampMs, governance::NewInstitution};
use std::{
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
};

/// Why a network could not be laid out or read.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A key file could not be written.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// The plan asks for something no network can be.
    #[error("{0}")]
    Invalid(String),
    /// There is a network here already.
    #[error("{0} already exists")]
    Exists(PathBuf),
    /// The network file on disk does not parse.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// This machine's clock is before 1970.
    #[error("this machine's clock is before 1970")]
    Clock,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LayoutError + '_ {
    move |source| LayoutError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Directory to write into.
    pub dir: PathBuf,
    /// Number of validators.
    pub validators: usize,
    /// Chain id.
    pub chain_id: String,
    /// API port of validator 0; validator i's API is `base_port + i` and its p2p port
    /// `base_port + 1000 + i`.
    pub base_port: u16,
    /// Genesis time.
    pub genesis_time: TimestampMs,
    /// Blocks in an epoch (governance can change it later).
    pub epoch_length_blocks: u64,
}

/// Blocks in a generated network's epochs: ten minutes at the idle pace of a block a second,
/// so a validator admitted on a devnet votes within minutes.
pub const EPOCH_LENGTH_BLOCKS: u64 = 600;

/// The name of validator `i`: `bank-a`, `bank-b`, …, then `bank-27`, ….
pub fn validator_name(i: usize) -> String {
    match u8::try_from(i) {
        Ok(n) if n < 26 => format!("bank-{}", char::from(b'a' + n)),
        _ => format!("bank-{i}"),
    }
}

/// Institutions in every generated network besides the validators.
const OTHERS: [(&str, &[Role]); 2] = [
    ("regulator", &[Role::Regulator]),
    ("registry", &[Role::Registrar]),
];

/// Where a validator's API listens.
pub fn api_address(base_port: u16, i: usize) -> Result<SocketAddr, LayoutError> {
    loopback(base_port, i, "API")
}

fn p2p_address(base_port: u16, i: usize) -> Result<SocketAddr, LayoutError> {
    loopback(base_port, 1_000 + i, "p2p")
}

fn loopback(base_port: u16, offset: usize, what: &str) -> Result<SocketAddr, LayoutError> {
    let port = usize::from(base_port)
        .checked_add(offset)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| LayoutError::Invalid(format!("the {what} port is out of range")))?;
    Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

/// Where the consensus key of the validator named `name` is kept.
pub fn consensus_key_path(dir: &Path, name: &str) -> PathBuf {
    dir.join("keys").join(format!("{name}.consensus.json"))
}

/// The configuration file of validator `i`.
pub fn node_config_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("node-{i}")).join("node.toml")
}

/// Writes a new network. Refuses to overwrite an existing one.
pub fn write(plan: &Plan) -> Result<(), LayoutError> {
    if plan.validators == 0 || plan.validators > VALIDATORS_MAX {
        return Err(LayoutError::Invalid(format!(
            "a network has 1..={VALIDATORS_MAX} validators"
        )));
    }
    let network_path = plan.dir.join("network.json");
    if network_path.exists() {
        return Err(LayoutError::Exists(network_path));
    }
    // The key ceremony, every institution on this machine: each generates its keys and
    // publishes a public-key file, the regulator generates the audit key, and the network
    // file is assembled from the public files alone, as institutions on their own machines
    // would (see `ceremony`).
    let keys_dir = plan.dir.join("keys");
    let validator_roles = Roles::of(&[Role::Validator, Role::Furnisher, Role::Lender]);
    let names: Vec<(String, Roles)> = (0..plan.validators)
        .map(|i| (validator_name(i), validator_roles))
        .chain(OTHERS.iter().map(|(n, r)| ((*n).to_string(), Roles::of(r))))
        .collect();
    let mut published = Vec::new();
    for (i, (name, roles)) in names.iter().enumerate() {
        let p2p = roles
            .has(Role::Validator)
            .then(|| p2p_address(plan.base_port, i))
            .transpose()?;
        let (files, _) = ceremony::generate_institution(&keys_dir, name, *roles, p2p)?;
        published.push(ceremony::read_json(&files.public)?);
    }
    let (audit, _) = ceremony::generate_audit(&keys_dir)?;
    let network = ceremony::assemble(
        &ceremony::Founding {
            chain_id: plan.chain_id.clone(),
            genesis_time: plan.genesis_time,
            epoch_length_blocks: plan.epoch_length_blocks,
        },
        published,
        &ceremony::read_json(&audit)?,
    )?;
    ceremony::write_json(&network_path, &network)?;

    for i in 0..plan.validators {
        write_node(&plan.dir, i, plan.base_port, plan.validators)?;
    }
    Ok(())
}

/// Writes validator `i`'s directory: its configuration and its operator token. `sharing` is
/// how many validators this machine runs, this one included.
fn write_node(dir: &Path, i: usize, base_port: u16, sharing: usize) -> Result<(), LayoutError> {
    let node_dir = dir.join(format!("node-{i}"));
    std::fs::create_dir_all(&node_dir).map_err(io(&node_dir))?;
    let node = NodeFile {
        data_dir: PathBuf::from("data"),
        key_file: PathBuf::from(format!("../keys/{}.json", validator_name(i))),
        consensus_key_file: PathBuf::from(format!("../keys/{}.consensus.json", validator_name(i))),
        network_file: PathBuf::from("../network.json"),
        p2p_listen: p2p_address(base_port, i)?,
        api_listen: api_address(base_port, i)?,
        tls: None,
        insecure_plain_http: false,
        metrics_listen: Some(loopback(base_port, 2_000 + i, "metrics")?),
        blocks: Default::default(),
        mempool: Default::default(),
        store: Default::default(),
        worker_threads: shared_worker_threads(sharing),
        console: ConsoleSection {
            operator_token_file: Some(PathBuf::from(OPERATOR_TOKEN_FILE)),
        },
    };
    write_operator_token(&node_dir.join(OPERATOR_TOKEN_FILE))?;
    write_node_file(&node_config_path(dir, i), &node)
}

/// Writes a node's configuration file.
pub fn write_node_file(path: &Path, node: &NodeFile) -> Result<(), LayoutError> {
    let text = toml::to_string_pretty(node).expect("a node file serialises");
    std::fs::write(path, text).map_err(io(path))
}

/// How many validator directories (`node-0`, `node-1`, …) the network in `dir` has: its
/// founders and the validators added since.
pub fn node_count(dir: &Path) -> usize {
    (0..)
        .take_while(|i| node_config_path(dir, *i).exists())
        .count()
}

/// A validator laid out to join a running network: its keys and configuration are written;
/// governance has yet to admit it.
#[derive(Clone, Debug)]
pub struct Joiner {
    /// Its index: its directory is `node-<index>`.
    pub index: usize,
    /// Its institution, with its consensus seat, as governance will admit it.
    pub institution: NewInstitution,
}

/// Lays out the next validator of the network in `dir` (whose validator 0's API port is
/// `base_port`): its institution's keys, its own consensus key, and its node's
/// configuration, at the next index's ports.
pub fn add_validator(dir: &Path, base_port: u16) -> Result<Joiner, LayoutError> {
    let index = node_count(dir);
    if index >= VALIDATORS_MAX {
        return Err(LayoutError::Invalid(format!(
            "a network has at most {VALIDATORS_MAX} validators"
        )));
    }
    let name = validator_name(index);
    let (_, institution) = ceremony::generate_institution(
        &dir.join("keys"),
        &name,
        Roles::of(&[Role::Validator, Role::Furnisher, Role::Lender]),
        Some(p2p_address(base_port, index)?),
    )?;
    write_node(dir, index, base_port, index + 1)?;
    Ok(Joiner { index, institution })
}

/// Worker threads for each of `sharing` validators run on this machine: its cores divided
/// between them, rounded down, and at least one each.
///
/// A node's default (two, for a validator on its own 2-core host) would give four devnet
/// validators on two cores sixteen busy threads (each node's runtime workers and as many
/// verification threads), and the switching between them cost about a twentieth of the
/// devnet's capacity (measured in ARCHITECTURE.md, "A devnet shares one machine").
pub fn shared_worker_threads(sharing: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    (cores / sharing.max(1)).clamp(1, credence_node::config::WORKER_THREADS_MAX)
}

/// Most validators a generated network has: the protocol's bound.
pub const VALIDATORS_MAX: usize = credence_types::limits::VALIDATORS_MAX;

/// This machine's time, as a genesis time.
pub fn now() -> Result<TimestampMs, LayoutError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| LayoutError::Clock)?;
    Ok(TimestampMs(
        u64::try_from(now.as_millis()).map_err(|_| LayoutError::Clock)?,
    ))
}

/// The operator token's file name, in each node's directory.
pub const OPERATOR_TOKEN_FILE: &str = "operator-token";

/// Writes a fresh operator token, readable by its owner only.
fn write_operator_token(path: &Path) -> Result<(), LayoutError> {
    use std::{io::Write as _, os::unix::fs::OpenOptionsExt as _};
    let token = hex::encode(credence_crypto::random_bytes().as_ref());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io(path))?;
    writeln!(file, "{token}").map_err(io(path))
}

/// The network file of a network on disk.
pub fn network_file(dir: &Path) -> Result<NetworkFile, LayoutError> {
    let path = dir.join("network.json");
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|e| LayoutError::Parse {
        path,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_sharing_a_machine_split_its_cores() {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let most = credence_node::config::WORKER_THREADS_MAX;
        assert_eq!(shared_worker_threads(1), cores.min(most));
        for sharing in 1..=VALIDATORS_MAX {
            let threads = shared_worker_threads(sharing);
            assert!(
                (1..=most).contains(&threads),
                "{sharing} validators: {threads}"
            );
            // Never more threads than cores, unless there are more validators than cores.
            assert!(
                threads * sharing <= cores.max(sharing),
                "{sharing}: {threads}"
            );
        }
    }
}
