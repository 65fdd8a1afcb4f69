//! Disputes: a subject contests a record; its furnisher answers before the deadline, or the
//! dispute lapses in the subject's favour. While it is open the record's account is marked
//! disputed (see [`super::records`] for what that stops), and the furnisher finds it on its
//! own dispute listing.

use super::{expect_object, records};
use crate::{
    exec::{Exec, RuleResult, ensure},
    state::StateRead,
};
use credence_types::{
    DisputeId, Rejection,
    receipt::{DisputeResolution, Event},
    state::{Dispute, FurnishedAccount, Institution, Record, StateKey, Subject},
    transaction::{AnswerDispute, DisputeAnswer, OpenDispute},
};

/// A subject disputes one of its records.
pub(crate) fn open<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    subject: &Subject,
    o: &OpenDispute,
) -> RuleResult {
    let mut subject = subject.clone();
    let mut record: Record = exec.require(&StateKey::record(o.record), Rejection::RecordUnknown)?;
    ensure(record.subject == subject.id, Rejection::RecordNotOwn)?;
    ensure(!record.deleted, Rejection::RecordDeleted)?;
    ensure(record.superseded_by.is_none(), Rejection::RecordSuperseded)?;
    // A contract's own records carry no payload from the start; others lose it at purge.
    ensure(
        record.payload.is_some()
            || record.loan.is_some() && record.purge_on.is_none_or(|on| exec.now().date() < on),
        Rejection::RecordPurged,
    )?;
    ensure(
        record.open_dispute.is_none(),
        Rejection::RecordAlreadyDisputed,
    )?;
    let account_key = account_of(&record, subject.number);
    let mut account: FurnishedAccount = expect_object(exec, account_key)?;
    ensure(account.deleted.is_none(), Rejection::RecordDeleted)?;
    ensure(
        account.open_dispute.is_none(),
        Rejection::AccountAlreadyDisputed,
    )?;
    let mut furnisher: Institution = expect_object(exec, StateKey::institution(record.furnisher))?;

    let id = exec.next_id(|c| &mut c.dispute, DisputeId::next)?;
    let now = exec.now();
    let days = exec.meta()?.parameters.dispute_answer_days;
    let deadline = now.plus_days(u32::from(days));
    exec.store(
        StateKey::dispute(id),
        &Dispute {
            id,
            record: record.id,
            subject: subject.id,
            furnisher: record.furnisher,
            reason: o.reason,
            opened_at: now,
            deadline,
            resolution: None,
            resolved_at: None,
            correction: None,
        },
    );
    exec.store(
        StateKey::subject_dispute(subject.number, subject.listings.disputes),
        &id,
    );
    subject.listings.disputes = subject
        .listings
        .disputes
        .checked_add(1)
        .ok_or(Rejection::IdsExhausted)?;
    exec.store(StateKey::subject(&subject.id), &subject);
    let sequence = furnisher.listings.disputes_received;
    exec.store(StateKey::furnisher_dispute(furnisher.id, sequence), &id);
    furnisher.listings.disputes_received =
        sequence.checked_add(1).ok_or(Rejection::IdsExhausted)?;
    exec.store(StateKey::institution(furnisher.id), &furnisher);
    account.open_dispute = Some(id);
    exec.store(account_key, &account);
    exec.mark(StateKey::dispute_deadline(deadline, id));
    record.open_dispute = Some(id);
    exec.store(StateKey::record(record.id), &record);
    exec.emit(Event::DisputeOpened {
        dispute: id,
        record: record.id,
        subject: subject.id,
        furnisher: record.furnisher,
        deadline,
    });
    Ok(())
}

/// The key of the account a record belongs to.
fn account_of(record: &Record, subject_number: u32) -> StateKey {
    StateKey::furnished_account(record.furnisher, subject_number, &record.account)
}

/// Ends the dispute on the record's account: it is no longer disputed, its later records
/// carry the dispute as resolved (`XH`), and if the outcome deletes the record, the account
/// is deleted with it (its other records leave the report too), to come back only by
/// superseding this record.
fn settle_account<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    dispute: &Dispute,
    record: &mut Record,
    deletes: bool,
) -> RuleResult {
    let subject: Subject = expect_object(exec, StateKey::subject(&dispute.subject))?;
    let key = account_of(record, subject.number);
    let mut account: FurnishedAccount = expect_object(exec, key)?;
    if account.open_dispute == Some(dispute.id) {
        account.open_dispute = None;
    }
    account.last_dispute = Some(dispute.id);
    record.open_dispute = None;
    if deletes {
        record.deleted = true;
        account.deleted = Some(record.id);
    }
    exec.store(key, &account);
    exec.store(StateKey::record(record.id), &*record);
    Ok(())
}

/// Closes a dispute: settles its account, leaves the deadline queue, emits the event.
fn close<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    mut dispute: Dispute,
    record: &mut Record,
    resolution: DisputeResolution,
    correction: Option<credence_types::RecordId>,
) -> RuleResult {
    let deletes = matches!(
        resolution,
        DisputeResolution::Deleted | DisputeResolution::Lapsed
    );
    settle_account(exec, &dispute, record, deletes)?;
    dispute.resolution = Some(resolution);
    dispute.resolved_at = Some(exec.now());
    dispute.correction = correction;
    exec.remove(StateKey::dispute_deadline(dispute.deadline, dispute.id));
    exec.store(StateKey::dispute(dispute.id), &dispute);
    exec.emit(Event::DisputeResolved {
        dispute: dispute.id,
        record: dispute.record,
        subject: dispute.subject,
        resolution,
        correction,
    });
    Ok(())
}

/// The furnisher answers a dispute.
pub(crate) fn answer<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    furnisher: &Institution,
    a: &AnswerDispute,
) -> RuleResult {
    let dispute: Dispute =
        exec.require(&StateKey::dispute(a.dispute), Rejection::DisputeUnknown)?;
    ensure(
        dispute.furnisher == furnisher.id,
        Rejection::DisputeNotForFurnisher,
    )?;
    ensure(
        dispute.resolution.is_none() && exec.now() < dispute.deadline,
        Rejection::DisputeClosed,
    )?;
    let mut record: Record = expect_object(exec, StateKey::record(dispute.record))?;
    match &a.answer {
        DisputeAnswer::Verified => close(
            exec,
            dispute,
            &mut record,
            DisputeResolution::Verified,
            None,
        )?,
        DisputeAnswer::Deleted => {
            close(exec, dispute, &mut record, DisputeResolution::Deleted, None)?;
        }
        DisputeAnswer::Corrected(correction) => {
            ensure(
                correction.subject == record.subject
                    && correction.account == record.account
                    && correction.supersedes == Some(record.id),
                Rejection::CorrectionMismatch,
            )?;
            // Settle the account first: the correction is the one record that may supersede
            // the disputed one, and it carries the dispute as resolved.
            settle_account(exec, &dispute, &mut record, false)?;
            let corrected = records::furnish(exec, furnisher, correction)?;
            let mut record: Record = expect_object(exec, StateKey::record(record.id))?;
            close(
                exec,
                dispute,
                &mut record,
                DisputeResolution::Corrected,
                Some(corrected),
            )?;
        }
    }
    Ok(())
}

/// An unanswered dispute reached its deadline: the record is suppressed in the subject's
/// favour (begin-block).
pub(crate) fn lapse<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>, id: DisputeId) -> RuleResult {
    let dispute: Dispute = expect_object(exec, StateKey::dispute(id))?;
    if dispute.resolution.is_some() {
        return Ok(());
    }
    let mut record: Record = expect_object(exec, StateKey::record(dispute.record))?;
    close(exec, dispute, &mut record, DisputeResolution::Lapsed, None)
}
