//! The begin-block step: rules that run on block time rather than on a transaction.
//!
//! Each queue is a table keyed by (due time, id), so the due entries are a prefix of it. A
//! block processes at most [`DEADLINES_PER_BLOCK_MAX`] entries per queue; any backlog is
//! taken up by the next block, so no burst of deadlines makes a block unbounded. A queue
//! entry is removed as it is processed, whatever the object's state, so a stale entry can
//! never pin the head of a queue.

use super::{consents, disputes, governance, loans};
use crate::{
    exec::{Exec, RuleResult},
    state::StateRead,
};
use credence_types::{
    ConsentId, DisputeId, LoanId, ProposalId, RecordId, TimestampMs,
    limits::DEADLINES_PER_BLOCK_MAX,
    receipt::Event,
    state::{Record, StateKey, Table},
};

/// Runs every time-driven rule due at the block's time.
pub(crate) fn begin_block<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>) -> RuleResult {
    let now = exec.now();
    for (key, id) in due(exec, Table::DisputeDeadlineQueue, now)? {
        exec.remove(key);
        disputes::lapse(exec, DisputeId(id))?;
    }
    for (key, id) in due(exec, Table::ConsentExpiryQueue, now)? {
        exec.remove(key);
        consents::expire(exec, ConsentId(id))?;
    }
    for (key, id) in due(exec, Table::ProposalExpiryQueue, now)? {
        exec.remove(key);
        governance::expire(exec, ProposalId(id))?;
    }
    for (key, id) in due(exec, Table::LoanQueue, now)? {
        exec.remove(key);
        loans::check(exec, LoanId(id))?;
    }
    // Purges are due from the start of their day.
    for (key, id) in due(exec, Table::PurgeQueue, now)? {
        exec.remove(key);
        purge(exec, RecordId(id))?;
    }
    Ok(())
}

/// The entries of a queue due at or before `now`, at most [`DEADLINES_PER_BLOCK_MAX`].
fn due<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    table: Table,
    now: TimestampMs,
) -> RuleResult<Vec<(StateKey, u64)>> {
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
