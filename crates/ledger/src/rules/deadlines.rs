//! The begin-block step: rules that run on block time rather than on a transaction.
//!
//! Each queue is a table keyed by (due time, id), so the due entries are a prefix of it. A
//! block processes at most [`DEADLINES_PER_BLOCK_MAX`] entries per queue; any backlog is
//! taken up by the next block, so no burst of deadlines makes a block unbounded.
//!
//! Every entry runs as a step of its own ([`crate::BlockExecutor::begin_block`]): it is taken
//! off its queue whatever happens, and when its rule cannot apply (an object the ledger
//! cannot carry forward, as a loan whose figures overflow), its writes are dropped and a
//! `deadline_failed` event reports it. No entry can pin the head of a queue, be retried
//! forever, or keep the entries behind it from running: no one can stop the ledger's clock.

use super::{consents, disputes, governance, loans};
use crate::{
    exec::{Exec, RuleResult},
    state::{StateError, StateRead},
};
use credence_types::{
    ConsentId, DisputeId, LoanId, ProposalId, RecordId, TimestampMs,
    limits::DEADLINES_PER_BLOCK_MAX,
    receipt::{DeadlineQueue, Event},
    state::{Record, StateKey, Table},
};

/// The table a queue's entries live in.
pub(crate) fn table(queue: DeadlineQueue) -> Table {
    match queue {
        DeadlineQueue::DisputeDeadline => Table::DisputeDeadlineQueue,
        DeadlineQueue::ConsentExpiry => Table::ConsentExpiryQueue,
        DeadlineQueue::ProposalExpiry => Table::ProposalExpiryQueue,
        DeadlineQueue::LoanCheck => Table::LoanQueue,
        DeadlineQueue::Purge => Table::PurgeQueue,
    }
}

/// The entries of `queue` due at or before `now`, at most [`DEADLINES_PER_BLOCK_MAX`], in
/// due order.
pub(crate) fn due<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    queue: DeadlineQueue,
    now: TimestampMs,
) -> Result<Vec<(StateKey, u64)>, StateError> {
    let table = table(queue);
    let start = StateKey::table_start(table);
    let end = StateKey::queue_end(table, now);
    Ok(exec
        .scan(&start, &end, DEADLINES_PER_BLOCK_MAX)?
        .into_iter()
        // The scan runs to the end of the current second; later entries wait.
        .filter(|(key, _)| key.due_ms() <= now)
        .map(|(key, _)| (key, key.queue_id()))
        .collect())
}

/// Runs the rule of one due entry of `queue`.
pub(crate) fn run<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    queue: DeadlineQueue,
    id: u64,
) -> RuleResult {
    match queue {
        DeadlineQueue::DisputeDeadline => disputes::lapse(exec, DisputeId(id)),
        DeadlineQueue::ConsentExpiry => consents::expire(exec, ConsentId(id)),
        DeadlineQueue::ProposalExpiry => governance::expire(exec, ProposalId(id)),
        DeadlineQueue::LoanCheck => loans::check(exec, LoanId(id)),
        DeadlineQueue::Purge => purge(exec, RecordId(id)),
    }
}

/// Reports a deadline whose rule could not apply.
pub(crate) fn failed<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    queue: DeadlineQueue,
    id: u64,
    code: credence_types::Rejection,
) {
    exec.emit(Event::DeadlineFailed { queue, id, code });
}

/// Drops a record's payload at the end of its retention period, keeping its commitment.
fn purge<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>, id: RecordId) -> RuleResult {
    let mut record: Record = super::expect_object(exec, StateKey::record(id))?;
    if record.payload.take().is_some() {
        exec.store(StateKey::record(id), &record);
        exec.emit(Event::RecordPurged {
            record: id,
            subject: record.subject,
        });
    }
    Ok(())
}
