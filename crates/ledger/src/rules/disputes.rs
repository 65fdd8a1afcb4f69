//! Disputes: a subject contests a record; its furnisher answers before the deadline, or the
//! dispute lapses in the subject's favour.

use super::{expect_object, records};
use crate::{
    exec::{Exec, RuleResult, ensure},
    state::StateRead,
};
use credence_types::{
    DisputeId, Rejection,
    receipt::{DisputeResolution, Event},
    state::{Dispute, Institution, Record, StateKey, Subject},
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

/// Closes a dispute: clears the record's flag, leaves the deadline queue, emits the event.
fn close<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    mut dispute: Dispute,
    record: &mut Record,
    resolution: DisputeResolution,
    correction: Option<credence_types::RecordId>,
) {
    dispute.resolution = Some(resolution);
    dispute.resolved_at = Some(exec.now());
    dispute.correction = correction;
    record.open_dispute = None;
    exec.remove(StateKey::dispute_deadline(dispute.deadline, dispute.id));
    exec.store(StateKey::dispute(dispute.id), &dispute);
    exec.emit(Event::DisputeResolved {
        dispute: dispute.id,
        record: dispute.record,
        subject: dispute.subject,
        resolution,
        correction,
    });
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
        DisputeAnswer::Verified => {
            close(
                exec,
                dispute,
                &mut record,
                DisputeResolution::Verified,
                None,
            );
            exec.store(StateKey::record(record.id), &record);
        }
        DisputeAnswer::Deleted => {
            record.deleted = true;
            close(exec, dispute, &mut record, DisputeResolution::Deleted, None);
            exec.store(StateKey::record(record.id), &record);
        }
        DisputeAnswer::Corrected(correction) => {
            ensure(
                correction.subject == record.subject
                    && correction.account == record.account
                    && correction.supersedes == Some(record.id),
                Rejection::CorrectionMismatch,
            )?;
            // Clear the dispute first: furnishing the correction rewrites the record's
            // supersession link and must see it closed.
            let record_id = record.id;
            let dispute_id = dispute.id;
            record.open_dispute = None;
            exec.store(StateKey::record(record_id), &record);
            let corrected = records::furnish(exec, furnisher, correction)?;
            let mut record: Record = expect_object(exec, StateKey::record(record_id))?;
            let dispute: Dispute = expect_object(exec, StateKey::dispute(dispute_id))?;
            close(
                exec,
                dispute,
                &mut record,
                DisputeResolution::Corrected,
                Some(corrected),
            );
            exec.store(StateKey::record(record.id), &record);
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
    record.deleted = true;
    close(exec, dispute, &mut record, DisputeResolution::Lapsed, None);
    exec.store(StateKey::record(record.id), &record);
    Ok(())
}
