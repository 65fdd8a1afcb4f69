//! The state a network starts from.

use crate::{epochs, state::ChangeSet};
use credence_types::{
    InstitutionId, Role,
    codec::encode,
    epoch::{Roster, ValidatorList},
    genesis::Genesis,
    limits::VALIDATORS_MAX,
    state::{Counters, Institution, Meta, Principal, Signer, StateKey},
};
use std::collections::BTreeSet;

/// A genesis document that cannot start a network.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GenesisError {
    /// A parameter is out of range.
    #[error("genesis parameters: {0}")]
    Parameters(&'static str),
    /// There are no institutions, or none is a validator.
    #[error("genesis must name at least one validator institution")]
    NoValidator,
    /// Two institutions share a name.
    #[error("genesis names institution {0:?} twice")]
    DuplicateName(String),
    /// Two institutions share a signing key.
    #[error("genesis gives institution {0:?} a signing key another institution already has")]
    DuplicateKey(String),
    /// An institution has no role.
    #[error("genesis institution {0:?} has no role")]
    NoRoles(String),
    /// A validator has no consensus seat, or a non-validator has one.
    #[error(
        "genesis institution {0:?} must have a consensus seat if, and only if, it holds the validator role"
    )]
    Seat(String),
    /// A consensus key is used twice, or is also a signing key.
    #[error("genesis gives institution {0:?} a consensus key that is already in use")]
    DuplicateConsensusKey(String),
    /// A consensus key is not an Ed25519 public key.
    #[error("genesis gives institution {0:?} a consensus key that is not an Ed25519 public key")]
    ConsensusKeyInvalid(String),
    /// More validators than one epoch may hold.
    #[error("genesis names more than {VALIDATORS_MAX} validators")]
    TooManyValidators,
}

/// The state written at height 0.
pub fn genesis_state(genesis: &Genesis) -> Result<ChangeSet, GenesisError> {
    genesis
        .parameters
        .validate()
        .map_err(GenesisError::Parameters)?;
    let mut names = BTreeSet::new();
    let mut keys = BTreeSet::new();
    let mut changes = ChangeSet::new();
    let mut validators = 0u32;
    let mut members = 0u32;
    let mut seated = Vec::new();
    for (index, new) in genesis.institutions.iter().enumerate() {
        let name = new.name.as_str().to_string();
        if new.roles.is_empty() {
            return Err(GenesisError::NoRoles(name));
        }
        if !names.insert(new.name.clone()) {
            return Err(GenesisError::DuplicateName(name));
        }
        if !keys.insert(new.signing_key) {
            return Err(GenesisError::DuplicateKey(name));
        }
        if new.roles.has(Role::Validator) != new.consensus.is_some() {
            return Err(GenesisError::Seat(name));
        }
        let id = InstitutionId(u64::try_from(index).expect("genesis lists are bounded"));
        let institution = Institution {
            id,
            name: new.name.clone(),
            roles: new.roles,
            signing_key: new.signing_key,
            encryption_key: new.encryption_key,
            consensus: new.consensus,
            suspended: false,
            admitted_at: genesis.genesis_time,
            consents_received: 0,
            listings: Default::default(),
        };
        changes.insert(StateKey::institution(id), Some(encode(&institution)));
        changes.insert(StateKey::institution_name(&new.name), Some(encode(&id)));
        changes.insert(
            StateKey::signer(&new.signing_key),
            Some(encode(&Signer {
                principal: Principal::Institution(id),
                nonce: 0,
            })),
        );
        if let Some(seat) = new.consensus {
            changes.insert(StateKey::consensus_key(&seat.key), Some(encode(&id)));
            seated = epochs::reseat(&seated, &institution)
                .map_err(|_| GenesisError::TooManyValidators)?;
        }
        members = members.saturating_add(1);
        if new.roles.has(Role::Validator) {
            validators = validators.saturating_add(1);
        }
    }
    if validators == 0 {
        return Err(GenesisError::NoValidator);
    }
    // Consensus keys are apart from signing keys, and from each other.
    let mut consensus_keys = BTreeSet::new();
    for new in genesis.institutions.iter() {
        let Some(seat) = new.consensus else { continue };
        let name = new.name.as_str().to_string();
        if !credence_crypto::is_public_key(&seat.key) {
            return Err(GenesisError::ConsensusKeyInvalid(name));
        }
        if keys.contains(&seat.key) || !consensus_keys.insert(seat.key) {
            return Err(GenesisError::DuplicateConsensusKey(name));
        }
    }
    let roster = Roster {
        validators: ValidatorList::new(seated).ok_or(GenesisError::TooManyValidators)?,
    };
    let (first, cursor) = epochs::first_epoch(&roster, genesis.parameters.epoch_length_blocks);
    changes.insert(StateKey::roster(), Some(encode(&roster)));
    changes.insert(StateKey::epoch(0), Some(encode(&first)));
    let meta = Meta {
        chain_id: genesis.chain_id.clone(),
        genesis: genesis.digest(),
        audit_key: genesis.audit_key,
        parameters: genesis.parameters.clone(),
        counters: Counters {
            institution: InstitutionId(u64::from(members)),
            ..Counters::default()
        },
        active_members: members,
        active_validators: validators,
        epoch: cursor,
    };
    changes.insert(StateKey::meta(), Some(encode(&meta)));
    Ok(changes)
}
