//! Key files: a node's or a user's keys on disk.
//!
//! A key file holds one Ed25519 signing seed and one X25519 encryption secret, as JSON with
//! hex fields. It is created with mode 0600 and never overwritten, and reading refuses a
//! file that group or others can read: a key that may have leaked is not a key to sign with.

use crate::{sealing::EncryptionSecret, signing::SigningKey};
use credence_types::{EncryptionKey, PublicKey};
use std::{
    fs,
    io::Write as _,
    path::{Path, PathBuf},
};
use zeroize::Zeroizing;

/// A key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file system refused.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is readable by group or others.
    #[error("key file {path} is readable by others (mode {mode:o}); run chmod 600 on it")]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not a key file.
    #[error("key file {path} is malformed: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDisk {
    /// Public halves, for people reading the file; checked against the secrets on load.
    signing_public_key: PublicKey,
    encryption_public_key: EncryptionKey,
    signing_seed: String,
    encryption_secret: String,
}

/// A signing key and an encryption key, as kept in one file.
#[derive(Clone, Debug)]
pub struct KeyFile {
    /// Signs transactions (never consensus messages: see [`ConsensusKeyFile`]).
    pub signing: SigningKey,
    /// Opens what is sealed to this holder.
    pub encryption: EncryptionSecret,
}

impl KeyFile {
    /// Fresh keys.
    pub fn generate() -> Self {
        Self {
            signing: SigningKey::generate(),
            encryption: EncryptionSecret::generate(),
        }
    }

    /// Writes the keys to a new file at `path`, readable by its owner only. Refuses to
    /// overwrite an existing file.
    pub fn write(&self, path: &Path) -> Result<(), KeyFileError> {
        let on_disk = OnDisk {
            signing_public_key: self.signing.public_key(),
            encryption_public_key: self.encryption.public_key(),
            signing_seed: hex::encode(self.signing.to_seed().as_ref()),
            encryption_secret: hex::encode(self.encryption.to_bytes().as_ref()),
        };
        write_private_json(path, &on_disk)
    }

    /// Reads keys from `path`, refusing a file that others can read.
    pub fn read(path: &Path) -> Result<Self, KeyFileError> {
        let malformed = |reason: String| malformed(path, reason);
        let on_disk: OnDisk = read_private_json(path)?;
        let seed = decode_secret(&on_disk.signing_seed).map_err(malformed)?;
        let secret = decode_secret(&on_disk.encryption_secret).map_err(malformed)?;
        let signing = SigningKey::from_seed(&seed);
        let encryption = EncryptionSecret::from_bytes(&secret)
            .map_err(|_| malformed("encryption_secret is not an X25519 key".into()))?;
        if signing.public_key() != on_disk.signing_public_key {
            return Err(malformed(
                "signing_public_key does not match signing_seed".into(),
            ));
        }
        if encryption.public_key() != on_disk.encryption_public_key {
            return Err(malformed(
                "encryption_public_key does not match encryption_secret".into(),
            ));
        }
        Ok(Self {
            signing,
            encryption,
        })
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsensusOnDisk {
    consensus_public_key: PublicKey,
    consensus_seed: String,
}

/// A validator's consensus key, in a file of its own: it signs votes and identifies the node
/// to its peers, and nothing else. It is never the institution's transaction key, so either
/// can be rotated without touching the other.
#[derive(Clone, Debug)]
pub struct ConsensusKeyFile {
    /// The consensus key.
    pub key: SigningKey,
}

impl ConsensusKeyFile {
    /// A fresh key.
    pub fn generate() -> Self {
        Self {
            key: SigningKey::generate(),
        }
    }

    /// Writes the key to a new file at `path`, readable by its owner only. Refuses to
    /// overwrite an existing file.
    pub fn write(&self, path: &Path) -> Result<(), KeyFileError> {
        let on_disk = ConsensusOnDisk {
            consensus_public_key: self.key.public_key(),
            consensus_seed: hex::encode(self.key.to_seed().as_ref()),
        };
        write_private_json(path, &on_disk)
    }

    /// Reads the key from `path`, refusing a file that others can read.
    pub fn read(path: &Path) -> Result<Self, KeyFileError> {
        let on_disk: ConsensusOnDisk = read_private_json(path)?;
        let seed = decode_secret(&on_disk.consensus_seed).map_err(|e| malformed(path, e))?;
        let key = SigningKey::from_seed(&seed);
        if key.public_key() != on_disk.consensus_public_key {
            return Err(malformed(
                path,
                "consensus_public_key does not match consensus_seed".into(),
            ));
        }
        Ok(Self { key })
    }
}

/// A file at `path` whose content breaks its format, for `reason`.
pub(crate) fn malformed(path: &Path, reason: String) -> KeyFileError {
    KeyFileError::Malformed {
        path: path.to_path_buf(),
        reason,
    }
}

/// Writes `value` as JSON to a new private file ([`write_private`]); the text is zeroed
/// after.
pub(crate) fn write_private_json(
    path: &Path,
    value: &impl serde::Serialize,
) -> Result<(), KeyFileError> {
    let text = Zeroizing::new(
        serde_json::to_string_pretty(value).expect("secret files are plain JSON objects"),
    );
    write_private(path, &text)
}

/// Reads a private file ([`read_private`]) as JSON.
pub(crate) fn read_private_json<T: serde::de::DeserializeOwned>(
    path: &Path,
) -> Result<T, KeyFileError> {
    let text = read_private(path)?;
    serde_json::from_str(&text).map_err(|e| malformed(path, e.to_string()))
}

/// Writes `text` (and a newline) to a new file at `path`, readable by its owner only, and
/// syncs it. Refuses to overwrite an existing file.
fn write_private(path: &Path, text: &str) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.write_all(b"\n").map_err(io)?;
    file.sync_all().map_err(io)
}

/// Reads a secret file, refusing one that group or others can read.
fn read_private(path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(path).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Permissions {
                path: path.to_path_buf(),
                mode: mode & 0o777,
            });
        }
    }
    Ok(Zeroizing::new(fs::read_to_string(path).map_err(io)?))
}

pub(crate) fn decode_secret(text: &str) -> Result<Zeroizing<[u8; 32]>, String> {
    let bytes = Zeroizing::new(hex::decode(text).map_err(|e| e.to_string())?);
    let mut secret = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return Err("a secret must be 32 hex-encoded bytes".into());
    }
    secret.copy_from_slice(&bytes);
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        let keys = KeyFile::generate();
        keys.write(&path).unwrap();
        let read = KeyFile::read(&path).unwrap();
        assert_eq!(read.signing.public_key(), keys.signing.public_key());
        assert_eq!(read.encryption.public_key(), keys.encryption.public_key());
        assert!(
            matches!(keys.write(&path), Err(KeyFileError::Io { .. })),
            "no overwrite"
        );
    }

    #[test]
    fn a_consensus_key_file_is_written_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("consensus.json");
        let key = ConsensusKeyFile::generate();
        key.write(&path).unwrap();
        let read = ConsensusKeyFile::read(&path).unwrap();
        assert_eq!(read.key.public_key(), key.key.public_key());
        assert!(matches!(key.write(&path), Err(KeyFileError::Io { .. })));
        // An institution's key file is not a consensus key file.
        let other = dir.path().join("institution.json");
        KeyFile::generate().write(&other).unwrap();
        assert!(matches!(
            ConsensusKeyFile::read(&other),
            Err(KeyFileError::Malformed { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn files_readable_by_others_are_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        KeyFile::generate().write(&path).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            KeyFile::read(&path),
            Err(KeyFileError::Permissions { .. })
        ));
    }
}
