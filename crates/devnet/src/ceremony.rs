//! The key ceremony: how institutions that do not trust each other start a network.
//!
//! 1. Each institution, on its own machine, generates its keys ([`generate_institution`]):
//!    its signing and encryption keys, and, if it validates, its consensus key. The private
//!    files never leave that machine; it publishes one [public-key file](PublicKeyFile).
//! 2. The regulator generates the audit key the same way ([`generate_audit`]) and publishes
//!    only its public half: nobody else ever holds the private one.
//! 3. Anyone assembles the network file from the public files alone ([`assemble`]), and every
//!    institution recomputes its [`network_digest`] and compares it out of band (a call, a
//!    signed letter) before starting its node: a network file altered in transit, or
//!    assembled with a member's key swapped, has another digest.
//!
//! `credence devnet` runs the same steps for every institution on one machine.

use crate::layout::LayoutError;
use credence_crypto::{ConsensusKeyFile, EncryptionSecret, KeyFile, SigningKey};
use credence_light::NetworkFile;
use credence_types::{
    Digest, EncryptionKey, Roles, TimestampMs,
    codec::{BoundedVec, Name},
    epoch::{ConsensusSeat, PeerAddress},
    genesis::{ChainId, Genesis},
    governance::{NewInstitution, Parameters},
};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// What an institution publishes: everything genesis needs about it, and nothing secret.
/// Its JSON is the governance action's `NewInstitution`, so the same file serves to admit the
/// institution into a running network.
pub type PublicKeyFile = NewInstitution;

/// What the regulator publishes: the public half of the audit key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditPublicFile {
    /// The key every subject's report key is also sealed to, for supervisory reads.
    pub audit_key: EncryptionKey,
}

/// Where an institution's files go, in its own directory.
#[derive(Clone, Debug)]
pub struct InstitutionFiles {
    /// Its signing and encryption keys (private, 0600).
    pub keys: PathBuf,
    /// Its consensus key, if it validates (private, 0600).
    pub consensus: Option<PathBuf>,
    /// Its public-key file, to publish.
    pub public: PathBuf,
}

impl InstitutionFiles {
    /// The files of the institution `name` in `dir`: `<name>.json`,
    /// `<name>.consensus.json` and `<name>.public.json`.
    pub fn in_dir(dir: &Path, name: &str, validates: bool) -> Self {
        Self {
            keys: dir.join(format!("{name}.json")),
            consensus: validates.then(|| dir.join(format!("{name}.consensus.json"))),
            public: dir.join(format!("{name}.public.json")),
        }
    }
}

/// Generates the keys of the institution `name` with `roles` into `dir` (its own machine's),
/// and writes its public-key file beside them. A validator needs the address its peers reach
/// it at. Refuses to overwrite any file.
pub fn generate_institution(
    dir: &Path,
    name: &str,
    roles: Roles,
    p2p: Option<SocketAddr>,
) -> Result<(InstitutionFiles, PublicKeyFile), LayoutError> {
    let validates = roles.has(credence_types::Role::Validator);
    let consensus_address = match (validates, p2p) {
        (true, None) => {
            return Err(LayoutError::Invalid(
                "a validator needs the p2p address its peers reach it at".to_string(),
            ));
        }
        (true, Some(address)) => Some(PeerAddress(address)),
        (false, Some(_)) => {
            return Err(LayoutError::Invalid(
                "only a validator has a p2p address".to_string(),
            ));
        }
        (false, None) => None,
    };
    std::fs::create_dir_all(dir).map_err(|source| LayoutError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let files = InstitutionFiles::in_dir(dir, name, validates);
    if files.public.exists() {
        return Err(LayoutError::Exists(files.public));
    }
    let keys = KeyFile::generate();
    keys.write(&files.keys)?;
    let consensus = match (&files.consensus, consensus_address) {
        (Some(path), Some(address)) => {
            let key = ConsensusKeyFile::generate();
            key.write(path)?;
            Some(ConsensusSeat {
                key: key.key.public_key(),
                address,
            })
        }
        _ => None,
    };
    let public = NewInstitution {
        name: Name::new(name).map_err(LayoutError::Invalid)?,
        roles,
        signing_key: keys.signing.public_key(),
        encryption_key: keys.encryption.public_key(),
        consensus,
    };
    write_json(&files.public, &public)?;
    Ok((files, public))
}

/// Generates the audit key into `dir` (the regulator's own machine): `audit.json` (private,
/// 0600) and `audit.public.json`. Refuses to overwrite either.
pub fn generate_audit(dir: &Path) -> Result<(PathBuf, AuditPublicFile), LayoutError> {
    std::fs::create_dir_all(dir).map_err(|source| LayoutError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let private = dir.join("audit.json");
    let public_path = dir.join("audit.public.json");
    if public_path.exists() {
        return Err(LayoutError::Exists(public_path));
    }
    // Only the encryption half is the audit key; the file format carries a signing key too,
    // which signs nothing.
    let audit = KeyFile {
        signing: SigningKey::generate(),
        encryption: EncryptionSecret::generate(),
    };
    audit.write(&private)?;
    let public = AuditPublicFile {
        audit_key: audit.encryption.public_key(),
    };
    write_json(&public_path, &public)?;
    Ok((public_path, public))
}

/// What a network starts with, besides its members.
#[derive(Clone, Debug)]
pub struct Founding {
    /// The chain id.
    pub chain_id: String,
    /// Genesis time.
    pub genesis_time: TimestampMs,
    /// Blocks in an epoch.
    pub epoch_length_blocks: u64,
}

/// Most transactions in a block of an assembled network.
pub const BLOCK_TRANSACTIONS_MAX: usize = 20_000;
/// Largest encoded block of an assembled network.
pub const BLOCK_BYTES_MAX: usize = 16 << 20;

/// The network file of `members` (in the order given: the first is institution 0) and the
/// audit key, as published. Checks it as every node will.
pub fn assemble(
    founding: &Founding,
    members: Vec<PublicKeyFile>,
    audit: &AuditPublicFile,
) -> Result<NetworkFile, LayoutError> {
    let genesis = Genesis {
        chain_id: ChainId::new(&founding.chain_id).map_err(LayoutError::Invalid)?,
        genesis_time: founding.genesis_time,
        institutions: BoundedVec::new(members)
            .ok_or_else(|| LayoutError::Invalid("too many institutions".to_string()))?,
        audit_key: audit.audit_key,
        parameters: Parameters {
            epoch_length_blocks: founding.epoch_length_blocks,
            ..Parameters::default()
        },
    };
    let network = NetworkFile {
        genesis,
        block_transactions_max: BLOCK_TRANSACTIONS_MAX,
        block_bytes_max: BLOCK_BYTES_MAX,
    };
    network
        .validate()
        .map_err(|error| LayoutError::Invalid(error.to_string()))?;
    Ok(network)
}

/// The digest every institution compares out of band before it starts: of the genesis (the
/// chain's first block commits to it) and the block limits, so two network files with one
/// digest start the same chain.
pub fn network_digest(network: &NetworkFile) -> Digest {
    let transactions = u64::try_from(network.block_transactions_max).unwrap_or(u64::MAX);
    let bytes = u64::try_from(network.block_bytes_max).unwrap_or(u64::MAX);
    Digest::of(
        "credence/network-file",
        &[
            network.genesis.digest().0.as_slice(),
            &transactions.to_be_bytes(),
            &bytes.to_be_bytes(),
        ],
    )
}

/// Reads a JSON file of type `T`.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, LayoutError> {
    let text = std::fs::read_to_string(path).map_err(|source| LayoutError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| LayoutError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Writes `value` as pretty JSON into a new file.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), LayoutError> {
    use std::io::Write as _;
    let text = serde_json::to_string_pretty(value).expect("public files serialise") + "\n";
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| LayoutError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    file.write_all(text.as_bytes())
        .map_err(|source| LayoutError::Io {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use credence_types::Role;

    fn founding() -> Founding {
        Founding {
            chain_id: "ceremony-test".to_string(),
            genesis_time: TimestampMs(1_700_000_000_000),
            epoch_length_blocks: 600,
        }
    }

    #[test]
    fn a_network_is_assembled_from_public_files_alone_and_any_swap_changes_its_digest() {
        let dir = std::env::temp_dir().join(format!("ceremony-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let validator = Roles::of(&[Role::Validator, Role::Lender]);
        let mut published = Vec::new();
        for (i, name) in ["bank-a", "bank-b", "bank-c", "bank-d"].iter().enumerate() {
            // Each institution in a directory of its own: only the public file is read back.
            let address: SocketAddr = format!("10.0.0.{}:9000", i + 1).parse().unwrap();
            let (files, _) =
                generate_institution(&dir.join(name), name, validator, Some(address)).unwrap();
            published.push(read_json::<PublicKeyFile>(&files.public).unwrap());
        }
        let (audit_path, _) = generate_audit(&dir.join("regulator")).unwrap();
        let audit: AuditPublicFile = read_json(&audit_path).unwrap();
        let network = assemble(&founding(), published.clone(), &audit).unwrap();
        let digest = network_digest(&network);

        // The same public files give the same digest, whoever assembles them.
        assert_eq!(
            network_digest(&assemble(&founding(), published.clone(), &audit).unwrap()),
            digest
        );
        // A member's key swapped (a man in the middle, or a dishonest assembler) does not.
        let mut swapped = published.clone();
        swapped[2].signing_key = KeyFile::generate().signing.public_key();
        assert_ne!(
            network_digest(&assemble(&founding(), swapped, &audit).unwrap()),
            digest
        );
        // Nor does another audit key, which would let its holder read every file.
        let (other, _) = generate_audit(&dir.join("impostor")).unwrap();
        let other: AuditPublicFile = read_json(&other).unwrap();
        assert_ne!(
            network_digest(&assemble(&founding(), published, &other).unwrap()),
            digest
        );
        // Generating again into the same place never overwrites a key.
        assert!(matches!(
            generate_institution(
                &dir.join("bank-a"),
                "bank-a",
                validator,
                Some("10.0.0.1:9000".parse().unwrap())
            ),
            Err(LayoutError::Exists(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_validator_needs_an_address_and_only_a_validator_has_one() {
        let dir = std::env::temp_dir().join(format!("ceremony-roles-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(generate_institution(&dir, "v", Roles::of(&[Role::Validator]), None).is_err());
        assert!(
            generate_institution(
                &dir,
                "l",
                Roles::of(&[Role::Lender]),
                Some("10.0.0.9:9000".parse().unwrap())
            )
            .is_err()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
