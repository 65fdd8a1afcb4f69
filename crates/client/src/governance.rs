//! Governance from a member's side: propose an action, approve a proposal, and see when a
//! validator set change takes effect.

use crate::session::{Finalised, Session, SessionError};
use credence_crypto::KeyFile;
use credence_types::{
    Payload, ProposalId, PublicKey, TimestampMs,
    epoch::EpochRecord,
    governance::GovernanceAction,
    receipt::Event,
    state::{Meta, StateKey},
    transaction::ProposeGovernance,
};

/// Milliseconds in a day.
const DAY_MS: u64 = 86_400_000;

/// What a governance transaction did.
#[derive(Clone, Debug)]
pub struct Voted {
    /// The proposal.
    pub proposal: ProposalId,
    /// Whether this transaction's approval enacted it.
    pub enacted: bool,
    /// The transaction, finalised.
    pub finalised: Finalised,
}

impl Session {
    /// Proposes `action`, signed with `key` (a member's), open for `lifetime_days` from the
    /// chain's latest block time; the proposer's approval counts.
    pub async fn propose(
        &self,
        key: &KeyFile,
        action: GovernanceAction,
        lifetime_days: u32,
    ) -> Result<Voted, SessionError> {
        let now = self.node.status().await?.time;
        let expires_at = TimestampMs(now.0.saturating_add(u64::from(lifetime_days) * DAY_MS));
        let finalised = self
            .transact(
                key,
                Payload::ProposeGovernance(ProposeGovernance { action, expires_at }),
            )
            .await?;
        let proposal = finalised
            .events
            .iter()
            .find_map(|event| match event {
                Event::ProposalSubmitted { proposal, .. } => Some(*proposal),
                _ => None,
            })
            .ok_or(SessionError::EventMissing(finalised.hash))?;
        Ok(voted(proposal, finalised))
    }

    /// Approves `proposal`, signed with `key` (a member's).
    pub async fn approve(
        &self,
        key: &KeyFile,
        proposal: ProposalId,
    ) -> Result<Voted, SessionError> {
        let finalised = self
            .transact(key, Payload::ApproveGovernance(proposal))
            .await?;
        Ok(voted(proposal, finalised))
    }

    /// The newest epoch the chain has named so far whose validators include (`seated`) or
    /// leave out (`!seated`) the consensus key `key`, each record proven against a header
    /// this session's validators finalised.
    pub async fn newest_epoch_where(
        &self,
        key: &PublicKey,
        seated: bool,
    ) -> Result<Option<EpochRecord>, SessionError> {
        let meta: Meta = self
            .node
            .entry::<Meta>("meta")
            .await?
            .value
            .ok_or(SessionError::Malformed("the node has no meta"))?;
        for number in (0..=meta.epoch.number).rev() {
            let record: EpochRecord = self
                .node
                .proven(
                    &format!("state/{}", hex::encode(StateKey::epoch(number).0)),
                    &StateKey::epoch(number),
                    &self.validators,
                )
                .await?
                .ok_or(SessionError::Malformed("a named epoch without its record"))?;
            if record.keys().contains(key) == seated {
                return Ok(Some(record));
            }
            if number == 0 {
                break;
            }
        }
        Ok(None)
    }
}

fn voted(proposal: ProposalId, finalised: Finalised) -> Voted {
    let enacted = finalised
        .events
        .iter()
        .any(|event| matches!(event, Event::ProposalEnacted { proposal: p } if *p == proposal));
    Voted {
        proposal,
        enacted,
        finalised,
    }
}
