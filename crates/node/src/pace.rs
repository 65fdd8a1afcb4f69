//! How many transactions a block this node proposes may hold: as many as it can execute
//! within a time budget, at the pace its recent blocks were executed.
//!
//! A leader's block must reach the others, and be executed by each of them, before
//! consensus times the view out (the leader timeout, 2 s). Past capacity the mempool holds
//! far more than a block, so a proposer filling blocks up to the count limit alone builds
//! blocks that take longer to execute than the view lasts: the view is skipped, the next
//! leader builds an equally large block, and the chain finalises nothing while the load
//! lasts (measured: 7 validators on two cores, offered 4,000/s, finalised nothing for ten
//! seconds). So the proposer also bounds its block by time: it keeps the execution time per
//! transaction of recent blocks (its own proposals and the blocks it verified, as wall time,
//! so a busy machine counts as slow; execution alone, not waiting for the chain) and takes no more than fits [`PROPOSAL_BUDGET`].
//!
//! Which transactions a leader proposes is its own choice, never part of validity: the
//! verifiers check the network's bounds only, so this cannot split the network.

use crate::consensus::LEADER_TIMEOUT;
use std::time::Duration;

/// The time a proposal's execution may take, a quarter of the leader timeout: the block
/// must still travel, be executed by every validator (on a busy machine, more slowly than
/// by its proposer), be voted on, and be committed.
pub const PROPOSAL_BUDGET: Duration = match LEADER_TIMEOUT.checked_div(4) {
    Some(budget) => budget,
    None => panic!("a quarter of the leader timeout"),
};

/// A block is never capped below this many transactions by its pace: one slow block (a
/// pause, a cold cache) must not starve the next.
pub const PACE_FLOOR: usize = 500;

/// Blocks with fewer transactions say little of the pace (their fixed costs dominate).
const SAMPLE_TRANSACTIONS_MIN: usize = 64;

/// The pace of recent executions.
#[derive(Debug, Default)]
pub struct Pace {
    /// Nanoseconds a transaction, smoothed over recent blocks (each new block a quarter).
    nanos_per_transaction: Option<u64>,
}

impl Pace {
    /// Records that executing `transactions` took `took`.
    pub fn observe(&mut self, transactions: usize, took: Duration) {
        if transactions < SAMPLE_TRANSACTIONS_MIN || took.is_zero() {
            return;
        }
        let count = u64::try_from(transactions).unwrap_or(u64::MAX);
        let sample = u64::try_from(took.as_nanos())
            .unwrap_or(u64::MAX)
            .div_ceil(count);
        self.nanos_per_transaction = Some(match self.nanos_per_transaction {
            None => sample,
            // Three quarters the old pace, one the new, each rounded down.
            Some(old) => (old / 4).saturating_mul(3).saturating_add(sample / 4),
        });
    }

    /// The most transactions to propose, given the count limit `most`: what executes within
    /// [`PROPOSAL_BUDGET`] at the recent pace (rounded down), at least [`PACE_FLOOR`], at
    /// most `most`.
    pub fn cap(&self, most: usize) -> usize {
        let Some(nanos) = self.nanos_per_transaction.filter(|nanos| *nanos > 0) else {
            return most;
        };
        let budget = u64::try_from(PROPOSAL_BUDGET.as_nanos()).unwrap_or(u64::MAX);
        let fits = usize::try_from(budget / nanos).unwrap_or(usize::MAX);
        fits.max(PACE_FLOOR).min(most)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_without_a_pace_proposes_up_to_its_limit() {
        let mut pace = Pace::default();
        assert_eq!(pace.cap(10_000), 10_000);
        // Small blocks and blocks executed in no time (a simulated clock) set no pace.
        pace.observe(10, Duration::from_secs(1));
        pace.observe(5_000, Duration::ZERO);
        assert_eq!(pace.cap(10_000), 10_000);
    }

    #[test]
    fn slow_blocks_shrink_proposals_to_the_budget_and_fast_ones_let_them_grow() {
        let mut pace = Pace::default();
        // 10,000 transactions in 2 s: 200 µs each, so 2,500 fit the budget.
        pace.observe(10_000, Duration::from_secs(2));
        assert_eq!(pace.cap(10_000), 2_500);
        // A machine so busy that a block crawls: never below the floor.
        pace.observe(1_000, Duration::from_secs(60));
        assert_eq!(pace.cap(10_000), PACE_FLOOR);
        // Fast blocks bring the cap back up to the limit within a few blocks.
        for _ in 0..40 {
            pace.observe(2_500, Duration::from_millis(50));
        }
        assert_eq!(pace.cap(10_000), 10_000);
        assert_eq!(pace.cap(300), 300);
    }
}
