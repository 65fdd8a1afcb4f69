//! Governance: what members vote on, and the network parameters they can change.

use crate::{
    codec::Name,
    epoch::ConsensusSeat,
    ids::InstitutionId,
    keys::{EncryptionKey, PublicKey},
    limits::INSTITUTION_NAME_BYTES_MAX,
    money::BasisPoints,
    roles::Roles,
};

/// An institution handle such as `bank-a`.
pub type InstitutionName = Name<INSTITUTION_NAME_BYTES_MAX>;

/// Network parameters, set in genesis and changed by governance.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// Days a furnisher has to answer a dispute before it lapses in the subject's favour.
    pub dispute_answer_days: u16,
    /// Years after the date of first delinquency that a negative record's payload is kept.
    pub retention_years: u8,
    /// Share of active members whose approval enacts a proposal, rounded up to whole
    /// members (6667 bp: two thirds).
    pub governance_threshold: BasisPoints,
    /// Longest a proposal may stay open, in days.
    pub proposal_lifetime_days_max: u16,
    /// Longest a consent may run, in days.
    pub consent_lifetime_days_max: u16,
    /// Blocks in an epoch: the validator set changes only between epochs. A change takes
    /// effect from the next epoch.
    #[serde(default = "default_epoch_length")]
    pub epoch_length_blocks: u64,
}
crate::codec_struct!(Parameters {
    dispute_answer_days,
    retention_years,
    governance_threshold,
    proposal_lifetime_days_max,
    consent_lifetime_days_max,
    epoch_length_blocks,
});

fn default_epoch_length() -> u64 {
    Parameters::default().epoch_length_blocks
}

/// Shortest epoch, in blocks: each boundary restarts consensus, so very short epochs would
/// spend more time handing over than voting.
pub const EPOCH_LENGTH_BLOCKS_MIN: u64 = 8;
/// Longest epoch, in blocks: a validator admitted or removed waits at most this long.
pub const EPOCH_LENGTH_BLOCKS_MAX: u64 = 1_000_000;

impl Default for Parameters {
    fn default() -> Self {
        Self {
            dispute_answer_days: 30,
            retention_years: 7,
            governance_threshold: BasisPoints(6_667),
            proposal_lifetime_days_max: 30,
            consent_lifetime_days_max: 3_660,
            // About an hour at one block a second.
            epoch_length_blocks: 3_600,
        }
    }
}

impl Parameters {
    /// Checks the parameters are within their sane ranges; names the first that is not.
    pub fn validate(&self) -> Result<(), &'static str> {
        if !(1..=365).contains(&self.dispute_answer_days) {
            return Err("dispute_answer_days must be 1..=365");
        }
        if !(1..=30).contains(&self.retention_years) {
            return Err("retention_years must be 1..=30");
        }
        // At most half would let two disjoint halves enact contradicting proposals.
        if !(5_001..=10_000).contains(&self.governance_threshold.0) {
            return Err("governance_threshold must be 5001..=10000 basis points");
        }
        if !(1..=365).contains(&self.proposal_lifetime_days_max) {
            return Err("proposal_lifetime_days_max must be 1..=365");
        }
        if !(1..=36_600).contains(&self.consent_lifetime_days_max) {
            return Err("consent_lifetime_days_max must be 1..=36600");
        }
        if !(EPOCH_LENGTH_BLOCKS_MIN..=EPOCH_LENGTH_BLOCKS_MAX).contains(&self.epoch_length_blocks)
        {
            return Err("epoch_length_blocks must be 8..=1000000");
        }
        Ok(())
    }

    /// Approvals needed among `members` active members: `ceil(members × threshold)`.
    pub fn approvals_needed(&self, members: u64) -> u64 {
        let product = u128::from(members) * u128::from(self.governance_threshold.0);
        // Rounds up: a fraction of a member is a whole member.
        let needed = product.div_ceil(10_000);
        u64::try_from(needed).unwrap_or(u64::MAX).max(1)
    }
}

/// An institution joining the network.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewInstitution {
    /// Its handle.
    pub name: InstitutionName,
    /// What it may do.
    pub roles: Roles,
    /// The key it signs transactions with.
    pub signing_key: PublicKey,
    /// The key report keys are sealed to when a subject consents to it.
    pub encryption_key: EncryptionKey,
    /// Its seat in consensus: required with the validator role, refused without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consensus: Option<ConsensusSeat>,
}
crate::codec_struct!(NewInstitution {
    name,
    roles,
    signing_key,
    encryption_key,
    consensus
});

/// New keys for an institution.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyChange {
    /// The institution.
    pub institution: InstitutionId,
    /// Its new signing key.
    pub signing_key: PublicKey,
    /// Its new encryption key.
    pub encryption_key: EncryptionKey,
}
crate::codec_struct!(KeyChange {
    institution,
    signing_key,
    encryption_key
});

/// New roles for an institution.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleChange {
    /// The institution.
    pub institution: InstitutionId,
    /// Its roles from now on.
    pub roles: Roles,
}
crate::codec_struct!(RoleChange { institution, roles });

/// A validator's new consensus seat: a new consensus key, a new address, or both.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeatChange {
    /// The institution, which holds the validator role.
    pub institution: InstitutionId,
    /// Its seat from the next epoch on.
    pub seat: ConsensusSeat,
}
crate::codec_struct!(SeatChange { institution, seat });

/// What a governance proposal does once enough members approve it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GovernanceAction {
    /// Admit an institution.
    AddInstitution(NewInstitution),
    /// Suspend an institution: it can do nothing until reinstated.
    SuspendInstitution(InstitutionId),
    /// Lift a suspension.
    ReinstateInstitution(InstitutionId),
    /// Replace an institution's keys (e.g. after a compromise).
    RotateInstitutionKeys(KeyChange),
    /// Replace an institution's roles.
    SetRoles(RoleChange),
    /// Replace the network parameters.
    SetParameters(Parameters),
    /// Give a validator a new consensus seat, from the next epoch.
    SetConsensusSeat(SeatChange),
}
crate::codec_enum!(GovernanceAction {
    1 => AddInstitution(NewInstitution),
    2 => SuspendInstitution(InstitutionId),
    3 => ReinstateInstitution(InstitutionId),
    4 => RotateInstitutionKeys(KeyChange),
    5 => SetRoles(RoleChange),
    6 => SetParameters(Parameters),
    7 => SetConsensusSeat(SeatChange),
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_rounds_up_to_whole_members() {
        let p = Parameters::default();
        assert_eq!(p.approvals_needed(4), 3); // 2.67 -> 3
        assert_eq!(p.approvals_needed(3), 3); // 2.0001 -> 3
        assert_eq!(p.approvals_needed(1), 1);
        assert_eq!(p.approvals_needed(0), 1);
        assert!(p.validate().is_ok());
    }
}
