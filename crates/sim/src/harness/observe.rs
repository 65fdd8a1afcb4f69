//! Observing the network: tips, heights and unfinalised transactions from the journal and
//! the running nodes, a description of the whole for failure messages, and waiting (in
//! simulated time) for a condition or for the network to settle, failing early on a stop, a
//! lost transaction or a stuck one.

use super::{LOST_AFTER, POLL, STUCK_AFTER, STUCK_BLOCKS, SimError, Simulation};
use crate::journal::Submission;
use commonware_runtime::Clock as _;
use credence_types::Digest;
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

impl Simulation {
    /// Each validator's committed tip (height and digest) as its chain reports it, for the
    /// honest running ones.
    pub async fn tips(&self) -> Vec<Option<(u64, Digest)>> {
        let mut tips = Vec::with_capacity(self.size());
        for index in 0..self.size() {
            tips.push(match self.node(index) {
                Some(node) => {
                    let tip = node.chain.lock().await.tip();
                    Some((tip.header.height.0, tip.digest))
                }
                None => None,
            });
        }
        tips
    }

    /// Each validator's highest committed height, as journaled.
    pub fn heights(&self) -> Vec<u64> {
        self.journal
            .read(|o| o.nodes.iter().map(|log| log.height()).collect())
    }

    /// The lowest committed height among running honest validators.
    pub fn min_height(&self) -> u64 {
        let heights = self.heights();
        self.running_honest()
            .into_iter()
            .filter_map(|i| heights.get(i).copied())
            .min()
            .unwrap_or(0)
    }

    /// The highest committed height of any validator.
    pub fn max_height(&self) -> u64 {
        self.heights().into_iter().max().unwrap_or(0)
    }

    /// Accepted transactions in no committed block yet.
    pub fn unfinalized(&self) -> Vec<Digest> {
        self.journal.read(|o| {
            let committed: BTreeSet<Digest> = o
                .nodes
                .iter()
                .flat_map(|log| log.commits.values())
                .flat_map(|record| record.transactions.iter().copied())
                .collect();
            o.accepted
                .keys()
                .filter(|hash| !committed.contains(hash))
                .copied()
                .collect()
        })
    }

    /// The height of the highest block holding an accepted transaction.
    fn last_transaction_height(&self) -> u64 {
        self.journal.read(|o| {
            o.nodes
                .iter()
                .flat_map(|log| log.commits.iter())
                .filter(|(_, record)| {
                    record
                        .transactions
                        .iter()
                        .any(|hash| o.accepted.contains_key(hash))
                })
                .map(|(height, _)| *height)
                .max()
                .unwrap_or(0)
        })
    }

    /// Whether every running honest validator reached `height`, every accepted transaction
    /// is in a committed block, and every running honest validator committed past the last
    /// of them.
    pub fn settled(&self, height: u64) -> bool {
        self.unfinalized().is_empty()
            && self.min_height() >= height.max(self.last_transaction_height())
    }

    /// A one-paragraph description of the network's state, for failure messages.
    pub fn describe(&self) -> String {
        let heights = self.heights();
        let mut lines = Vec::new();
        for (index, slot) in self.slots.iter().enumerate() {
            let state = match (&slot.byzantine, &slot.running) {
                (Some(_), Some(_)) => "byzantine".to_string(),
                (Some(_), None) => "byzantine (stopped)".to_string(),
                (None, None) => "crashed".to_string(),
                (None, Some(running)) => match &running.node {
                    Some(node) => format!(
                        "{}running, mempool {}, refused {}",
                        if slot.tamper.is_some() {
                            "byzantine proposer, "
                        } else {
                            ""
                        },
                        node.mempool_len(),
                        describe_refusals(node)
                    ),
                    None => "running".to_string(),
                },
            };
            let stopped = self
                .journal
                .read(|o| o.nodes.get(index).map(|l| l.stopped.clone()))
                .unwrap_or_default();
            lines.push(format!(
                "  validator {index}: height {}, {state}{}",
                heights.get(index).copied().unwrap_or(0),
                if stopped.is_empty() {
                    String::new()
                } else {
                    format!(", stopped: {stopped:?}")
                }
            ));
        }
        let unfinalized = self.unfinalized();
        let (accepted, refused) = self.journal.read(|o| {
            (
                o.accepted.len(),
                o.submissions
                    .iter()
                    .filter(|(hash, answer)| {
                        matches!(answer, Submission::Refused(_)) && !o.accepted.contains_key(*hash)
                    })
                    .count(),
            )
        });
        lines.push(format!(
            "  transactions: {accepted} accepted, {refused} refused, {} accepted but not in a committed block{}",
            unfinalized.len(),
            match unfinalized.first() {
                Some(first) => format!(" (first: {first})"),
                None => String::new(),
            }
        ));
        lines.join("\n")
    }

    /// Waits until `condition` holds, checking every 50 ms of simulated time, for at most
    /// `timeout` of simulated time.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut condition: impl FnMut(&Self) -> bool,
    ) -> Result<(), SimError> {
        let started = self.context.current();
        loop {
            if condition(self) {
                return Ok(());
            }
            let waited = self
                .context
                .current()
                .duration_since(started)
                .unwrap_or_default();
            if waited >= timeout {
                return Err(SimError::Timeout {
                    what: what.to_string(),
                    waited,
                    state: self.describe(),
                });
            }
            self.context.sleep(POLL).await;
        }
    }

    /// Whether a running honest validator's mempool holds the transaction `hash`.
    fn pooled(&self, hash: &Digest) -> bool {
        self.running_honest().into_iter().any(|index| {
            self.node(index).is_some_and(|node| {
                node.mempool
                    .lock()
                    .map(|pool| pool.contains(hash))
                    .unwrap_or(false)
            })
        })
    }

    /// Reasons honest validators stopped by themselves.
    fn stops(&self) -> Vec<String> {
        self.journal.read(|o| {
            o.nodes
                .iter()
                .enumerate()
                .filter(|(index, _)| self.is_honest(*index))
                .flat_map(|(index, log)| {
                    log.stopped
                        .iter()
                        .map(move |reason| format!("validator {index} stopped: {reason}"))
                })
                .collect()
        })
    }

    /// Waits until [`Simulation::settled`] at `height`, for at most `timeout` of simulated
    /// time. Fails early if an honest validator stops, if an accepted transaction is lost (in
    /// no committed block and, for [`LOST_AFTER`], in no running honest validator's mempool,
    /// so no validator can ever propose it), or if one is stuck (see [`STUCK_AFTER`]).
    pub async fn settle(&self, height: u64, timeout: Duration) -> Result<(), SimError> {
        let what = format!(
            "every running honest validator at height {height} or more, with every accepted transaction committed"
        );
        let started = self.context.current();
        let mut absent: BTreeMap<Digest, std::time::SystemTime> = BTreeMap::new();
        let mut waiting: BTreeMap<Digest, (std::time::SystemTime, u64)> = BTreeMap::new();
        loop {
            if self.settled(height) {
                return Ok(());
            }
            let now = self.context.current();
            let stops = self.stops();
            if !stops.is_empty() {
                return Err(SimError::Violation(stops.join("\n")));
            }
            let unfinalized = self.unfinalized();
            absent.retain(|hash, _| unfinalized.contains(hash));
            waiting.retain(|hash, _| unfinalized.contains(hash));
            let height = self.min_height();
            for hash in &unfinalized {
                let (since, from) = *waiting.entry(*hash).or_insert((now, height));
                if now.duration_since(since).unwrap_or_default() >= STUCK_AFTER
                    && height >= from + STUCK_BLOCKS
                {
                    return Err(SimError::Timeout {
                        what,
                        waited: now.duration_since(started).unwrap_or_default(),
                        state: format!(
                            "accepted transaction {hash} is stuck: {STUCK_BLOCKS}+ blocks were committed over {STUCK_AFTER:?} without it\n{}",
                            self.describe()
                        ),
                    });
                }
            }
            for hash in unfinalized {
                if self.pooled(&hash) {
                    absent.remove(&hash);
                } else {
                    let since = *absent.entry(hash).or_insert(now);
                    if now.duration_since(since).unwrap_or_default() >= LOST_AFTER {
                        return Err(SimError::Timeout {
                            what,
                            waited: now.duration_since(started).unwrap_or_default(),
                            state: format!(
                                "accepted transaction {hash} is lost: in no committed block, and for {LOST_AFTER:?} in no running validator's mempool\n{}",
                                self.describe()
                            ),
                        });
                    }
                }
            }
            let waited = now.duration_since(started).unwrap_or_default();
            if waited >= timeout {
                return Err(SimError::Timeout {
                    what,
                    waited,
                    state: self.describe(),
                });
            }
            self.context.sleep(POLL).await;
        }
    }
}

/// A node's refused proposals, by rule, for failure messages.
fn describe_refusals(node: &super::ValidatorNode) -> String {
    let counts = node.refusals.snapshot();
    if counts.is_empty() {
        return "none".to_string();
    }
    counts
        .iter()
        .map(|(refusal, count)| format!("{refusal} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}
