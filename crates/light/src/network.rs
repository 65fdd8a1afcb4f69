//! The network file: what every member agreed on — the genesis document, the validators with
//! their addresses, and the limits of a block. Nodes run from it and light clients trust it.

use credence_types::{PublicKey, Role, genesis::Genesis, limits};
use std::net::SocketAddr;

/// A validator's entry in the network file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorEntry {
    /// The institution's name, as in genesis.
    pub name: String,
    /// Its signing key, which signs its consensus votes too.
    pub key: PublicKey,
    /// Where it listens for peers.
    pub p2p: SocketAddr,
}

/// The network file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    /// The genesis document.
    pub genesis: Genesis,
    /// The validators and their addresses.
    pub validators: Vec<ValidatorEntry>,
    /// Most transactions in a block.
    pub block_transactions_max: usize,
    /// Largest encoded block, in bytes.
    pub block_bytes_max: usize,
}

/// A network file that breaks a rule, naming the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` {problem}")]
pub struct NetworkError {
    /// The key at fault.
    pub key: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl NetworkError {
    fn new(key: &'static str, problem: impl Into<String>) -> Self {
        Self {
            key,
            problem: problem.into(),
        }
    }
}

/// Smallest block byte limit a network may set: room for one largest transaction.
pub const BLOCK_BYTES_MIN: usize = 1 << 16;

impl NetworkFile {
    /// Checks what a node and a light client both rely on: valid parameters, at least one
    /// validator, each a genesis institution holding the validator role under the key
    /// given, no key twice, and block limits within the protocol's.
    pub fn validate(&self) -> Result<(), NetworkError> {
        self.genesis
            .parameters
            .validate()
            .map_err(|problem| NetworkError::new("genesis.parameters", problem))?;
        if self.validators.is_empty() {
            return Err(NetworkError::new(
                "validators",
                "must name at least one validator",
            ));
        }
        if !(1..=limits::BLOCK_TRANSACTIONS_MAX).contains(&self.block_transactions_max) {
            return Err(NetworkError::new(
                "block_transactions_max",
                format!("must be 1..={}", limits::BLOCK_TRANSACTIONS_MAX),
            ));
        }
        if !(BLOCK_BYTES_MIN..=limits::BLOCK_BYTES_MAX).contains(&self.block_bytes_max) {
            return Err(NetworkError::new(
                "block_bytes_max",
                format!("must be {BLOCK_BYTES_MIN}..={}", limits::BLOCK_BYTES_MAX),
            ));
        }
        for (index, validator) in self.validators.iter().enumerate() {
            let member = self
                .genesis
                .institutions
                .iter()
                .find(|i| i.name.as_str() == validator.name)
                .ok_or_else(|| {
                    NetworkError::new(
                        "validators.name",
                        format!("{:?} is not a genesis institution", validator.name),
                    )
                })?;
            if !member.roles.has(Role::Validator) || member.signing_key != validator.key {
                return Err(NetworkError::new(
                    "validators.key",
                    format!(
                        "{:?} must hold the validator role with this signing key in genesis",
                        validator.name
                    ),
                ));
            }
            if self.validators[..index]
                .iter()
                .any(|earlier| earlier.key == validator.key || earlier.name == validator.name)
            {
                return Err(NetworkError::new(
                    "validators",
                    format!("{:?} is listed twice", validator.name),
                ));
            }
        }
        Ok(())
    }

    /// The validators' signing keys, in the file's order.
    pub fn validator_keys(&self) -> Vec<PublicKey> {
        self.validators.iter().map(|v| v.key).collect()
    }
}
