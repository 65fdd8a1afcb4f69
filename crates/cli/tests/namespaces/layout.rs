//! The network on disk, laid out as `credence devnet` lays one out but at the namespaces'
//! addresses: four validator banks, a regulator and a registrar in genesis; each validator's
//! node.toml written as TOML text, so that keys added to the node's configuration later do
//! not break this test.

use credence_client::light::NetworkFile;
use credence_crypto::{ConsensusKeyFile, EncryptionSecret, KeyFile, SigningKey};
use credence_types::{
    Role, Roles, TimestampMs,
    codec::{BoundedVec, Name},
    epoch::{ConsensusSeat, PeerAddress},
    genesis::{ChainId, Genesis},
    governance::{NewInstitution, Parameters},
};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// Blocks per epoch: short, so the validators cross epoch boundaries under faults.
const EPOCH_LENGTH_BLOCKS: u64 = 50;

/// A member institution whose keys the test holds.
pub struct Member {
    /// Its name in genesis.
    pub name: String,
    /// Its keys.
    pub keys: KeyFile,
}

/// What the test knows of the network it laid out.
pub struct Layout {
    /// The network file every node shares.
    pub network: NetworkFile,
    /// The validator banks (furnishers and lenders), in validator order.
    pub banks: Vec<Member>,
    /// The regulator: it reads everything.
    pub regulator: Member,
    /// The registrar of assets.
    pub registry: Member,
    /// Each validator's node.toml, in validator order.
    pub configs: Vec<PathBuf>,
}

impl Layout {
    /// The chain id.
    pub fn chain(&self) -> ChainId {
        self.network.genesis.chain_id.clone()
    }
}

/// Writes a network of validators at `p2p` (their peer addresses) with APIs at `api` into
/// `dir`, genesis at `genesis_time`.
pub fn write(
    dir: &Path,
    p2p: &[SocketAddr],
    api: &[SocketAddr],
    genesis_time: TimestampMs,
) -> Layout {
    let keys_dir = dir.join("keys");
    std::fs::create_dir_all(&keys_dir).unwrap();
    let validator_roles = Roles::of(&[Role::Validator, Role::Furnisher, Role::Lender]);
    let mut names: Vec<(String, Roles, Option<SocketAddr>)> = p2p
        .iter()
        .enumerate()
        .map(|(i, address)| {
            (
                credence_devnet::layout::validator_name(i),
                validator_roles,
                Some(*address),
            )
        })
        .collect();
    names.push(("regulator".into(), Roles::of(&[Role::Regulator]), None));
    names.push(("registry".into(), Roles::of(&[Role::Registrar]), None));

    let mut institutions = Vec::new();
    let mut members = Vec::new();
    for (name, roles, address) in names {
        let keys = KeyFile::generate();
        keys.write(&keys_dir.join(format!("{name}.json"))).unwrap();
        let consensus = address.map(|address| {
            let consensus = ConsensusKeyFile::generate();
            consensus
                .write(&keys_dir.join(format!("{name}.consensus.json")))
                .unwrap();
            ConsensusSeat {
                key: consensus.key.public_key(),
                address: PeerAddress(address),
            }
        });
        institutions.push(NewInstitution {
            name: Name::new(&name).unwrap(),
            roles,
            signing_key: keys.signing.public_key(),
            encryption_key: keys.encryption.public_key(),
            consensus,
        });
        members.push(Member { name, keys });
    }
    let audit = KeyFile {
        signing: SigningKey::generate(),
        encryption: EncryptionSecret::generate(),
    };
    audit.write(&keys_dir.join("audit.json")).unwrap();
    let network = NetworkFile {
        genesis: Genesis {
            chain_id: ChainId::new("credence-namespaces").unwrap(),
            genesis_time,
            institutions: BoundedVec::new(institutions).unwrap(),
            audit_key: audit.encryption.public_key(),
            parameters: Parameters {
                epoch_length_blocks: EPOCH_LENGTH_BLOCKS,
                ..Parameters::default()
            },
        },
        block_transactions_max: 20_000,
        block_bytes_max: 16 << 20,
    };
    std::fs::write(
        dir.join("network.json"),
        serde_json::to_string_pretty(&network).unwrap() + "\n",
    )
    .unwrap();

    let configs = (0..p2p.len())
        .map(|i| write_node(dir, i, &members[i].name, p2p[i], api[i]))
        .collect();
    let registry = members.pop().unwrap();
    let regulator = members.pop().unwrap();
    Layout {
        network,
        banks: members,
        regulator,
        registry,
        configs,
    }
}

/// Writes validator `i`'s node.toml; returns its path.
fn write_node(dir: &Path, i: usize, name: &str, p2p: SocketAddr, api: SocketAddr) -> PathBuf {
    let node_dir = dir.join(format!("node-{i}"));
    std::fs::create_dir_all(&node_dir).unwrap();
    // The API is plain HTTP on the namespace's own address, which the node serves only when
    // told: the test network is isolated. Busy blocks every 200 ms and an empty one every
    // second, under the 2 s leader timeout.
    let text = format!(
        r#"data_dir = "data"
key_file = "../keys/{name}.json"
consensus_key_file = "../keys/{name}.consensus.json"
network_file = "../network.json"
p2p_listen = "{p2p}"
api_listen = "{api}"
insecure_plain_http = true
worker_threads = 2

[blocks]
interval_ms = 200
empty_interval_ms = 1000

[store]
cache_mib = 32
"#
    );
    let path = node_dir.join("node.toml");
    std::fs::write(&path, text).unwrap();
    path
}
