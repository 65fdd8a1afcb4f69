//! The genesis document: who the founding members are and the rules they start with.

use crate::{
    codec::{BoundedVec, Name, encode},
    governance::{NewInstitution, Parameters},
    hash::{DOMAIN_GENESIS, Digest},
    keys::EncryptionKey,
    limits::{CHAIN_ID_BYTES_MAX, GENESIS_INSTITUTIONS_MAX},
    time::TimestampMs,
};

/// A chain id, e.g. `credence-devnet`. Every signed transaction names it, so a signature
/// made for one network is worthless on another.
pub type ChainId = Name<CHAIN_ID_BYTES_MAX>;

/// The founding state of a Credence network.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The network's chain id.
    pub chain_id: ChainId,
    /// The instant the network starts; the first block is after it.
    pub genesis_time: TimestampMs,
    /// The founding institutions; ids are assigned in this order from 0.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<NewInstitution>))]
    pub institutions: BoundedVec<NewInstitution, GENESIS_INSTITUTIONS_MAX>,
    /// The network's audit key: every subject seals its report keys to it too, and the
    /// regulator holds the private half in escrow.
    pub audit_key: EncryptionKey,
    /// Starting parameters.
    pub parameters: Parameters,
}
crate::codec_struct!(Genesis {
    chain_id,
    genesis_time,
    institutions,
    audit_key,
    parameters
});

impl Genesis {
    /// The digest of the canonical encoding; nodes refuse peers with another genesis.
    pub fn digest(&self) -> Digest {
        Digest::of(DOMAIN_GENESIS, &[&encode(self)])
    }
}
