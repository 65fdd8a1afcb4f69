//! The node's Prometheus metrics, registered with the runtime (which also exposes the
//! engine's own: peers connected, views, nullifications, backfill).

use crate::chain::Committed;
use commonware_runtime::telemetry::metrics::{Counter, Gauge, Histogram, MetricsExt as _};
use credence_types::receipt::Event;
use std::time::Duration;

/// Latency buckets, in seconds.
const SECONDS: [f64; 12] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The node's metrics.
pub struct Metrics {
    finalized_height: Gauge,
    finalized_transactions: Counter,
    block_transactions: Gauge,
    mempool_transactions: Gauge,
    execution_seconds: Histogram,
    commit_seconds: Histogram,
    executed_at_commit: Counter,
    deadlines_failed: Counter,
    proposals_refused: Counter,
    submissions_busy: Counter,
}

impl Metrics {
    /// Registers the metrics with `context`.
    pub fn new(context: &impl commonware_runtime::Metrics) -> Self {
        Self {
            finalized_height: context
                .gauge("finalized_height", "height of the last block committed"),
            finalized_transactions: context
                .counter("finalized_transactions", "transactions in committed blocks"),
            block_transactions: context.gauge(
                "block_transactions",
                "transactions in the last committed block",
            ),
            mempool_transactions: context.gauge("mempool_transactions", "transactions waiting"),
            execution_seconds: context.histogram(
                "execution_seconds",
                "time to execute a block (proposing or verifying)",
                SECONDS,
            ),
            commit_seconds: context.histogram(
                "commit_seconds",
                "time to commit a finalised block durably",
                SECONDS,
            ),
            executed_at_commit: context.counter(
                "executed_at_commit",
                "finalised blocks this node had not executed before committing them (executed twice over the network's work)",
            ),
            deadlines_failed: context.counter(
                "deadlines_failed",
                "deadline entries whose rule failed and were taken off their queue",
            ),
            proposals_refused: context.counter(
                "proposals_refused",
                "proposed blocks this node refused to vote for (the log names each rule)",
            ),
            submissions_busy: context.counter(
                "submissions_busy",
                "submitted transactions refused because the mempool was busy (429: full, or the owner's share held)",
            ),
        }
    }

    /// Records a submission refused as busy.
    pub fn busy(&self) {
        self.submissions_busy.inc();
    }

    /// Records a refused proposal.
    pub fn refused(&self) {
        self.proposals_refused.inc();
    }

    /// Records the mempool's size.
    pub fn mempool_size(&self, transactions: usize) {
        self.mempool_transactions
            .set(i64::try_from(transactions).unwrap_or(i64::MAX));
    }

    /// Records a block execution.
    pub fn executed(&self, elapsed: Duration) {
        self.execution_seconds.observe(elapsed.as_secs_f64());
    }

    /// Records a commit.
    pub fn committed(&self, committed: &Committed, elapsed: Duration) {
        let count = committed.transactions.len();
        self.finalized_height
            .set(i64::try_from(committed.header.height.0).unwrap_or(i64::MAX));
        self.block_transactions
            .set(i64::try_from(count).unwrap_or(i64::MAX));
        self.finalized_transactions
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
        self.commit_seconds.observe(elapsed.as_secs_f64());
        if committed.executed_at_commit {
            self.executed_at_commit.inc();
        }
        let failed = committed
            .outcome
            .events
            .iter()
            .filter(|e| matches!(e.event, Event::DeadlineFailed { .. }))
            .count();
        self.deadlines_failed
            .inc_by(u64::try_from(failed).unwrap_or(u64::MAX));
    }
}
