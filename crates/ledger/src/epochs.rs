//! The validator set in state: the roster governance keeps current, and the epoch boundary
//! that copies it into the next epoch's record.
//!
//! Consensus reads only [`EpochRecord`]s: the one for epoch N + 1 is written by the last
//! block of epoch N, from the [`Roster`] as that block leaves it, with the epoch length then
//! in force. A change governance makes in epoch N therefore takes effect at N + 1 on every
//! node alike, and a record, once written, never changes.

use crate::{
    exec::{Exec, Fail, RuleResult, ensure},
    state::{StateError, StateRead},
};
use credence_types::{
    Height, Rejection, Role,
    epoch::{EpochCursor, EpochRecord, EpochValidator, Roster, ValidatorList},
    limits::VALIDATORS_MAX,
    state::{Institution, StateKey},
};

/// The roster's validators as `institution` now stands: out if it is suspended, lacks the
/// validator role or has no seat; in, with its current seat, otherwise. Kept sorted by
/// consensus key.
pub(crate) fn reseat(
    validators: &[EpochValidator],
    institution: &Institution,
) -> Result<Vec<EpochValidator>, Rejection> {
    let mut next: Vec<EpochValidator> = validators
        .iter()
        .filter(|v| v.institution != institution.id)
        .copied()
        .collect();
    if let (true, Some(seat)) = (
        institution.may_act_as(Role::Validator),
        institution.consensus,
    ) {
        next.push(EpochValidator {
            institution: institution.id,
            seat,
        });
    }
    next.sort_by_key(|v| v.seat.key);
    if next.len() > VALIDATORS_MAX {
        return Err(Rejection::ValidatorSetFull);
    }
    Ok(next)
}

/// Updates the roster after governance changed `institution`.
pub(crate) fn update_roster<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    institution: &Institution,
) -> RuleResult {
    let roster: Roster = exec.load(&StateKey::roster())?.ok_or(StateError::Corrupt {
        key: StateKey::roster(),
    })?;
    let next = reseat(roster.validators.as_slice(), institution).map_err(Fail::Reject)?;
    ensure(!next.is_empty(), Rejection::ValidatorSetEmpty)?;
    let validators = ValidatorList::new(next).ok_or(Fail::Reject(Rejection::ValidatorSetFull))?;
    exec.store(StateKey::roster(), &Roster { validators });
    Ok(())
}

/// The record of epoch 0 and the cursor genesis starts with: heights 0 (genesis) to
/// `length - 1`, voted by the genesis roster.
pub fn first_epoch(roster: &Roster, length: u64) -> (EpochRecord, EpochCursor) {
    let last_height = Height(length.saturating_sub(1));
    let record = EpochRecord {
        epoch: 0,
        first_height: Height(0),
        last_height,
        validators: roster.validators.clone(),
    };
    let cursor = EpochCursor {
        number: 0,
        last_height,
    };
    (record, cursor)
}

/// At the last block of an epoch, writes the next epoch's record from the roster and moves
/// the cursor on; at any other block, does nothing. Writes nothing if it fails.
pub(crate) fn end_block<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>) -> Result<(), StateError> {
    let mut meta = exec.meta()?;
    if exec.height() != meta.epoch.last_height {
        return Ok(());
    }
    let roster: Roster = exec.load(&StateKey::roster())?.ok_or(StateError::Corrupt {
        key: StateKey::roster(),
    })?;
    // Governance refuses any action that would empty the roster, so an empty one is
    // corruption: no epoch may be without voters.
    if roster.validators.is_empty() {
        return Err(StateError::Invariant("the roster is never empty"));
    }
    let number = meta
        .epoch
        .number
        .checked_add(1)
        .ok_or(StateError::Invariant("epoch numbers fit u64"))?;
    let first_height = exec
        .height()
        .next()
        .ok_or(StateError::Invariant("heights fit u64"))?;
    // Parameters bound the length to at least the minimum, so `first + length - 1 >= first`.
    let last_height = first_height
        .0
        .checked_add(meta.parameters.epoch_length_blocks - 1)
        .map(Height)
        .ok_or(StateError::Invariant("heights fit u64"))?;
    let record = EpochRecord {
        epoch: number,
        first_height,
        last_height,
        validators: roster.validators,
    };
    exec.store(StateKey::epoch(number), &record);
    meta.epoch = EpochCursor {
        number,
        last_height,
    };
    exec.store_meta(&meta);
    Ok(())
}
