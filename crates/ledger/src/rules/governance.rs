//! Governance: members propose actions and enact them by a threshold of approvals.

use super::expect_object;
use crate::{
    epochs,
    exec::{Exec, Fail, RuleResult, ensure},
    state::StateRead,
};
use credence_types::{
    InstitutionId, ProposalId, Rejection, Role,
    epoch::ConsensusSeat,
    governance::GovernanceAction,
    limits::VALIDATORS_MAX,
    receipt::Event,
    state::{Institution, Meta, Principal, Proposal, ProposalStatus, Signer, StateKey},
    transaction::ProposeGovernance,
};

/// A member proposes an action; its own approval counts.
pub(crate) fn propose<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    proposer: &Institution,
    p: &ProposeGovernance,
) -> RuleResult {
    let now = exec.now();
    let meta = exec.meta()?;
    ensure(
        p.expires_at > now
            && p.expires_at <= now.plus_days(u32::from(meta.parameters.proposal_lifetime_days_max)),
        Rejection::ProposalExpiryInvalid,
    )?;
    // An action that could not be enacted now is rejected now, so members do not vote on
    // something doomed; it is checked again when enacted, as state may have moved.
    check(exec, &p.action)?;

    let id = exec.next_id(|c| &mut c.proposal, ProposalId::next)?;
    let mut proposal = Proposal {
        id,
        proposer: proposer.id,
        action: p.action.clone(),
        submitted_at: now,
        expires_at: p.expires_at,
        approvals: 1,
        status: ProposalStatus::Open,
    };
    exec.mark(StateKey::approval(id, proposer.id));
    exec.emit(Event::ProposalSubmitted {
        proposal: id,
        proposer: proposer.id,
    });
    if reached_threshold(&exec.meta()?, &proposal) {
        enact(exec, &mut proposal)?;
    } else {
        exec.mark(StateKey::proposal_expiry(p.expires_at, id));
    }
    exec.store(StateKey::proposal(id), &proposal);
    Ok(())
}

/// A member approves a proposal; the approval that reaches the threshold enacts it.
pub(crate) fn approve<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    approver: &Institution,
    id: ProposalId,
) -> RuleResult {
    let mut proposal: Proposal =
        exec.require(&StateKey::proposal(id), Rejection::ProposalUnknown)?;
    ensure(
        proposal.status == ProposalStatus::Open && exec.now() < proposal.expires_at,
        Rejection::ProposalClosed,
    )?;
    let approval = StateKey::approval(id, approver.id);
    ensure(!exec.exists(&approval)?, Rejection::AlreadyApproved)?;
    exec.mark(approval);
    proposal.approvals = proposal.approvals.saturating_add(1);
    exec.emit(Event::ProposalApproved {
        proposal: id,
        approver: approver.id,
        approvals: proposal.approvals,
    });
    if reached_threshold(&exec.meta()?, &proposal) {
        exec.remove(StateKey::proposal_expiry(proposal.expires_at, id));
        enact(exec, &mut proposal)?;
    }
    exec.store(StateKey::proposal(id), &proposal);
    Ok(())
}

fn reached_threshold(meta: &Meta, proposal: &Proposal) -> bool {
    u64::from(proposal.approvals)
        >= meta
            .parameters
            .approvals_needed(u64::from(meta.active_members))
}

/// A proposal's time ran out (begin-block).
pub(crate) fn expire<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>, id: ProposalId) -> RuleResult {
    let mut proposal: Proposal = expect_object(exec, StateKey::proposal(id))?;
    if proposal.status != ProposalStatus::Open {
        return Ok(());
    }
    proposal.status = ProposalStatus::Expired;
    exec.remove(StateKey::proposal_expiry(proposal.expires_at, id));
    exec.store(StateKey::proposal(id), &proposal);
    exec.emit(Event::ProposalExpired { proposal: id });
    Ok(())
}

fn institution<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    id: InstitutionId,
) -> RuleResult<Institution> {
    exec.require(&StateKey::institution(id), Rejection::InstitutionUnknown)
}

fn key_is_free<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    key: &credence_types::PublicKey,
) -> RuleResult {
    // A key is taken if it signs for anyone, was retired, or is a subject's pseudonym source;
    // or if it is, or was, a consensus key: the two kinds of key never meet.
    ensure(
        !exec.exists(&StateKey::signer(key))? && !exec.exists(&StateKey::consensus_key(key))?,
        Rejection::SigningKeyInUse,
    )
}

/// Checks a consensus seat for `institution` (`None` for one not yet admitted): a key never
/// seated before and never a signing key, or the institution's own current key (a move to a
/// new address).
fn seat_is_free<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    seat: &ConsensusSeat,
    institution: Option<&Institution>,
) -> RuleResult {
    // A seat no node could vote with would stop every node at the boundary that seats it.
    ensure(
        credence_crypto::is_public_key(&seat.key),
        Rejection::ConsensusKeyInvalid,
    )?;
    let current = institution.and_then(|i| i.consensus).map(|s| s.key);
    if current == Some(seat.key) {
        return Ok(());
    }
    ensure(
        !exec.exists(&StateKey::consensus_key(&seat.key))?
            && !exec.exists(&StateKey::signer(&seat.key))?,
        Rejection::ConsensusKeyInUse,
    )
}

/// Checks that one more active validator fits the set.
fn validator_fits(meta: &Meta) -> RuleResult {
    ensure(
        usize::try_from(meta.active_validators).unwrap_or(usize::MAX) < VALIDATORS_MAX,
        Rejection::ValidatorSetFull,
    )
}

/// Checks that `action` could be enacted against current state.
fn check<S: StateRead + ?Sized>(exec: &Exec<'_, S>, action: &GovernanceAction) -> RuleResult {
    let meta = exec.meta()?;
    match action {
        GovernanceAction::AddInstitution(new) => {
            ensure(!new.roles.is_empty(), Rejection::RolesEmpty)?;
            ensure(
                !exec.exists(&StateKey::institution_name(&new.name))?,
                Rejection::InstitutionNameTaken,
            )?;
            key_is_free(exec, &new.signing_key)?;
            match (new.roles.has(Role::Validator), &new.consensus) {
                (true, Some(seat)) => {
                    ensure(seat.key != new.signing_key, Rejection::ConsensusKeyInUse)?;
                    seat_is_free(exec, seat, None)?;
                    validator_fits(&meta)
                }
                (true, None) => Err(Fail::Reject(Rejection::ConsensusSeatMissing)),
                (false, Some(_)) => Err(Fail::Reject(Rejection::ConsensusSeatWithoutRole)),
                (false, None) => Ok(()),
            }
        }
        GovernanceAction::SuspendInstitution(id) => {
            let target = institution(exec, *id)?;
            ensure(!target.suspended, Rejection::InstitutionAlreadySuspended)?;
            ensure(
                !target.roles.has(Role::Validator) || meta.active_validators > 1,
                Rejection::ValidatorSetEmpty,
            )
        }
        GovernanceAction::ReinstateInstitution(id) => {
            let target = institution(exec, *id)?;
            ensure(target.suspended, Rejection::InstitutionNotSuspended)?;
            if target.roles.has(Role::Validator) {
                validator_fits(&meta)?;
            }
            Ok(())
        }
        GovernanceAction::RotateInstitutionKeys(change) => {
            institution(exec, change.institution)?;
            key_is_free(exec, &change.signing_key)
        }
        GovernanceAction::SetRoles(change) => {
            let target = institution(exec, change.institution)?;
            ensure(!change.roles.is_empty(), Rejection::RolesEmpty)?;
            let was = target.roles.has(Role::Validator);
            let will = change.roles.has(Role::Validator);
            ensure(
                !(was && !will && !target.suspended) || meta.active_validators > 1,
                Rejection::ValidatorSetEmpty,
            )?;
            if will && !was {
                ensure(target.consensus.is_some(), Rejection::ConsensusSeatMissing)?;
                if !target.suspended {
                    validator_fits(&meta)?;
                }
            }
            Ok(())
        }
        GovernanceAction::SetParameters(parameters) => parameters
            .validate()
            .map_err(|_| Fail::Reject(Rejection::ParametersInvalid)),
        GovernanceAction::SetConsensusSeat(change) => {
            let target = institution(exec, change.institution)?;
            ensure(
                target.roles.has(Role::Validator),
                Rejection::ConsensusSeatWithoutRole,
            )?;
            seat_is_free(exec, &change.seat, Some(&target))
        }
    }
}

/// Counts an institution in or out of the active member and validator tallies.
fn tally(meta: &mut Meta, institution: &Institution, joining: bool) {
    let change = |count: u32| {
        if joining {
            count.saturating_add(1)
        } else {
            count.saturating_sub(1)
        }
    };
    meta.active_members = change(meta.active_members);
    if institution.roles.has(Role::Validator) {
        meta.active_validators = change(meta.active_validators);
    }
}

/// Applies a proposal's action.
fn enact<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>, proposal: &mut Proposal) -> RuleResult {
    check(exec, &proposal.action)?;
    match &proposal.action {
        GovernanceAction::AddInstitution(new) => {
            let id = exec.next_id(|c| &mut c.institution, InstitutionId::next)?;
            let institution = Institution {
                id,
                name: new.name.clone(),
                roles: new.roles,
                signing_key: new.signing_key,
                encryption_key: new.encryption_key,
                consensus: new.consensus,
                suspended: false,
                admitted_at: exec.now(),
                consents_received: 0,
                listings: Default::default(),
            };
            exec.store(StateKey::institution(id), &institution);
            exec.store(StateKey::institution_name(&new.name), &id);
            exec.store(
                StateKey::signer(&new.signing_key),
                &Signer {
                    principal: Principal::Institution(id),
                    nonce: 0,
                },
            );
            if let Some(seat) = new.consensus {
                exec.store(StateKey::consensus_key(&seat.key), &id);
            }
            let mut meta = exec.meta()?;
            tally(&mut meta, &institution, true);
            exec.store_meta(&meta);
            epochs::update_roster(exec, &institution)?;
        }
        GovernanceAction::SuspendInstitution(id) | GovernanceAction::ReinstateInstitution(id) => {
            let mut target = institution(exec, *id)?;
            let suspend = matches!(proposal.action, GovernanceAction::SuspendInstitution(_));
            target.suspended = suspend;
            let mut meta = exec.meta()?;
            tally(&mut meta, &target, !suspend);
            exec.store_meta(&meta);
            exec.store(StateKey::institution(*id), &target);
            epochs::update_roster(exec, &target)?;
        }
        GovernanceAction::RotateInstitutionKeys(change) => {
            let mut target = institution(exec, change.institution)?;
            let old_key = StateKey::signer(&target.signing_key);
            let mut old: Signer = expect_object(exec, old_key)?;
            old.principal = Principal::Retired;
            exec.store(old_key, &old);
            exec.store(
                StateKey::signer(&change.signing_key),
                &Signer {
                    principal: Principal::Institution(target.id),
                    nonce: 0,
                },
            );
            target.signing_key = change.signing_key;
            target.encryption_key = change.encryption_key;
            exec.store(StateKey::institution(target.id), &target);
        }
        GovernanceAction::SetRoles(change) => {
            let mut target = institution(exec, change.institution)?;
            if !target.suspended {
                let mut meta = exec.meta()?;
                tally(&mut meta, &target, false);
                target.roles = change.roles;
                tally(&mut meta, &target, true);
                exec.store_meta(&meta);
            }
            target.roles = change.roles;
            exec.store(StateKey::institution(target.id), &target);
            epochs::update_roster(exec, &target)?;
        }
        GovernanceAction::SetParameters(parameters) => {
            let mut meta = exec.meta()?;
            meta.parameters = parameters.clone();
            exec.store_meta(&meta);
        }
        GovernanceAction::SetConsensusSeat(change) => {
            let mut target = institution(exec, change.institution)?;
            exec.store(StateKey::consensus_key(&change.seat.key), &target.id);
            target.consensus = Some(change.seat);
            exec.store(StateKey::institution(target.id), &target);
            epochs::update_roster(exec, &target)?;
        }
    }
    proposal.status = ProposalStatus::Enacted;
    exec.emit(Event::ProposalEnacted {
        proposal: proposal.id,
    });
    Ok(())
}
