//! The network file: what every member agreed on — the genesis document (which names the
//! founding validators with their consensus keys and addresses) and the limits of a block.
//! Nodes run from it and light clients trust it. Later validator sets come from the chain
//! itself, epoch by epoch (see `credence_types::epoch`).

use credence_types::{
    PublicKey, Role, epoch::EpochValidator, genesis::Genesis, ids::InstitutionId, limits,
};

/// The network file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    /// The genesis document.
    pub genesis: Genesis,
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
    /// Checks what a node and a light client both rely on: valid parameters, block limits
    /// within the protocol's, and at least one (at most `VALIDATORS_MAX`) genesis validator,
    /// each with a consensus seat whose key is no other key in genesis.
    pub fn validate(&self) -> Result<(), NetworkError> {
        self.genesis
            .parameters
            .validate()
            .map_err(|problem| NetworkError::new("genesis.parameters", problem))?;
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
        let mut keys: Vec<PublicKey> = Vec::new();
        for member in self.genesis.institutions.iter() {
            if member.roles.has(Role::Validator) != member.consensus.is_some() {
                return Err(NetworkError::new(
                    "genesis.institutions.consensus",
                    format!(
                        "{:?} must have a consensus seat if, and only if, it holds the validator role",
                        member.name.as_str()
                    ),
                ));
            }
            if let Some(seat) = member.consensus {
                if crate::certificate::engine_key(&seat.key).is_none() {
                    return Err(NetworkError::new(
                        "genesis.institutions.consensus.key",
                        format!(
                            "{:?} has a consensus key that is not an Ed25519 public key",
                            member.name.as_str()
                        ),
                    ));
                }
                let clashes = keys.contains(&seat.key)
                    || self
                        .genesis
                        .institutions
                        .iter()
                        .any(|i| i.signing_key == seat.key);
                if clashes {
                    return Err(NetworkError::new(
                        "genesis.institutions.consensus.key",
                        format!(
                            "{:?} has a consensus key that is another key already",
                            member.name.as_str()
                        ),
                    ));
                }
                keys.push(seat.key);
            }
        }
        if keys.is_empty() {
            return Err(NetworkError::new(
                "genesis.institutions",
                "must name at least one validator",
            ));
        }
        if keys.len() > limits::VALIDATORS_MAX {
            return Err(NetworkError::new(
                "genesis.institutions",
                format!("must name at most {} validators", limits::VALIDATORS_MAX),
            ));
        }
        Ok(())
    }

    /// The genesis validators (epoch 0's), sorted by consensus key.
    pub fn genesis_validators(&self) -> Vec<EpochValidator> {
        let mut validators: Vec<EpochValidator> = self
            .genesis
            .institutions
            .iter()
            .zip(0u64..)
            .filter_map(|(member, id)| {
                member.consensus.map(|seat| EpochValidator {
                    institution: InstitutionId(id),
                    seat,
                })
            })
            .collect();
        validators.sort_by_key(|v| v.seat.key);
        validators
    }

    /// The genesis validators' consensus keys, sorted.
    pub fn validator_keys(&self) -> Vec<PublicKey> {
        self.genesis_validators()
            .iter()
            .map(|v| v.seat.key)
            .collect()
    }
}
