//! A network on disk: the shared network file, each institution's keys, and each validator
//! node's configuration. `credence genesis init` writes one; `credence devnet` runs one.
//!
//! ```text
//! <dir>/network.json            genesis, validators and their addresses, block limits
//! <dir>/keys/<name>.json        each institution's keys (0600)
//! <dir>/keys/audit.json         the network's audit key (the regulator's escrow)
//! <dir>/node-<i>/node.toml      validator i's configuration
//! <dir>/node-<i>/data/          validator i's state, blocks and consensus journal
//! <dir>/node-<i>/node.log       validator i's log (under devnet)
//! ```

use anyhow::{Context as _, bail};
use credence_crypto::{EncryptionSecret, KeyFile};
use credence_node::config::{ConsoleSection, NetworkFile, NodeFile, ValidatorEntry};
use credence_types::{
    Role, Roles, TimestampMs,
    codec::{BoundedVec, Name},
    genesis::{ChainId, Genesis},
    governance::{NewInstitution, Parameters},
};
use std::{
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
};

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
}

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
pub fn api_address(base_port: u16, i: usize) -> anyhow::Result<SocketAddr> {
    let port = usize::from(base_port)
        .checked_add(i)
        .and_then(|p| u16::try_from(p).ok())
        .context("API port out of range")?;
    Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

fn p2p_address(base_port: u16, i: usize) -> anyhow::Result<SocketAddr> {
    let port = usize::from(base_port)
        .checked_add(1_000 + i)
        .and_then(|p| u16::try_from(p).ok())
        .context("p2p port out of range")?;
    Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

/// The configuration file of validator `i`.
pub fn node_config_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("node-{i}")).join("node.toml")
}

/// Writes a new network. Refuses to overwrite an existing one.
pub fn write(plan: &Plan) -> anyhow::Result<()> {
    if plan.validators == 0 || plan.validators > 64 {
        bail!("--validators must be 1..=64");
    }
    let network_path = plan.dir.join("network.json");
    if network_path.exists() {
        bail!("{} already exists", network_path.display());
    }
    let keys_dir = plan.dir.join("keys");
    std::fs::create_dir_all(&keys_dir)
        .with_context(|| format!("creating {}", keys_dir.display()))?;

    let mut institutions = Vec::new();
    let mut validators = Vec::new();
    let validator_roles = Roles::of(&[Role::Validator, Role::Furnisher, Role::Lender]);
    let names: Vec<(String, Roles)> = (0..plan.validators)
        .map(|i| (validator_name(i), validator_roles))
        .chain(OTHERS.iter().map(|(n, r)| ((*n).to_string(), Roles::of(r))))
        .collect();
    for (i, (name, roles)) in names.iter().enumerate() {
        let keys = KeyFile::generate();
        let key_path = keys_dir.join(format!("{name}.json"));
        keys.write(&key_path)?;
        institutions.push(NewInstitution {
            name: Name::new(name).map_err(anyhow::Error::msg)?,
            roles: *roles,
            signing_key: keys.signing.public_key(),
            encryption_key: keys.encryption.public_key(),
        });
        if roles.has(Role::Validator) {
            validators.push(ValidatorEntry {
                name: name.clone(),
                key: keys.signing.public_key(),
                p2p: p2p_address(plan.base_port, i)?,
            });
        }
    }
    // The audit key's private half goes to the regulator, in escrow.
    let audit = KeyFile {
        signing: credence_crypto::SigningKey::generate(),
        encryption: EncryptionSecret::generate(),
    };
    audit.write(&keys_dir.join("audit.json"))?;

    let genesis = Genesis {
        chain_id: ChainId::new(&plan.chain_id).map_err(anyhow::Error::msg)?,
        genesis_time: plan.genesis_time,
        institutions: BoundedVec::new(institutions).context("too many institutions")?,
        audit_key: audit.encryption.public_key(),
        parameters: Parameters::default(),
    };
    let network = NetworkFile {
        genesis,
        validators,
        block_transactions_max: 20_000,
        block_bytes_max: 16 << 20,
    };
    std::fs::write(
        &network_path,
        serde_json::to_string_pretty(&network)? + "\n",
    )
    .with_context(|| format!("writing {}", network_path.display()))?;

    for i in 0..plan.validators {
        let node_dir = plan.dir.join(format!("node-{i}"));
        std::fs::create_dir_all(&node_dir)?;
        let node = NodeFile {
            data_dir: PathBuf::from("data"),
            key_file: PathBuf::from(format!("../keys/{}.json", validator_name(i))),
            network_file: PathBuf::from("../network.json"),
            p2p_listen: p2p_address(plan.base_port, i)?,
            api_listen: api_address(plan.base_port, i)?,
            blocks: Default::default(),
            mempool: Default::default(),
            store: credence_node::config::StoreSection { cache_mib: 64 },
            worker_threads: 2,
            console: ConsoleSection {
                operator_token_file: Some(PathBuf::from(OPERATOR_TOKEN_FILE)),
            },
        };
        write_operator_token(&node_dir.join(OPERATOR_TOKEN_FILE))?;
        std::fs::write(
            node_config_path(&plan.dir, i),
            toml::to_string_pretty(&node)?,
        )?;
    }
    Ok(())
}

/// This machine's time, as a genesis time.
pub fn now() -> anyhow::Result<TimestampMs> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?;
    Ok(TimestampMs(u64::try_from(now.as_millis())?))
}

/// The operator token's file name, in each node's directory.
pub const OPERATOR_TOKEN_FILE: &str = "operator-token";

/// Writes a fresh operator token, readable by its owner only.
fn write_operator_token(path: &Path) -> anyhow::Result<()> {
    use std::{io::Write as _, os::unix::fs::OpenOptionsExt as _};
    let token = hex::encode(credence_crypto::random_bytes().as_ref());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{token}")?;
    Ok(())
}

/// How many validators an existing network on disk has.
pub fn validators_in(dir: &Path) -> anyhow::Result<usize> {
    let path = dir.join("network.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let network: NetworkFile =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(network.validators.len())
}
