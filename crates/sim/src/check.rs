//! The invariants every scenario ends by checking, over the journal and the running
//! validators' stores:
//!
//! - **agreement**: at every height, every honest validator that committed a block committed
//!   the same one (same digest, hence the same state root), and each validator's blocks chain
//!   by parent digest;
//! - **liveness of the chain**: the blocks seen form one chain from height 1 with no gap;
//! - **exactly once**: no transaction hash is in two committed blocks (nor twice in one), and
//!   every transaction a validator's API accepted is in a committed block; none that was
//!   accepted after all its signer's earlier nonces is rejected for its nonce
//!   (`nonce_not_next`), since clients send each signer's nonces in order;
//! - **state**: every running honest validator's store holds, for every accepted
//!   transaction, a receipt naming the height of the block that holds it; its committed
//!   root equals the state root of its tip in the agreed chain;
//! - **no stops**: no honest validator halted or lost an engine task, and no honest
//!   validator blocked another on the network.
//!
//! All violations are collected and reported together, so one failure shows the whole
//! picture.

use crate::{
    harness::{SimError, Simulation},
    journal::Submission,
};
use credence_types::{
    Digest, Outcome, Rejection, decode,
    state::{StateKey, TransactionReceipt},
};
use std::collections::{BTreeMap, BTreeSet};

/// What a checked run amounted to.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Each validator's highest committed height.
    pub heights: Vec<u64>,
    /// Blocks in the agreed chain.
    pub blocks: u64,
    /// Transactions in those blocks.
    pub transactions: usize,
    /// Transactions accepted by an API.
    pub accepted: usize,
    /// Transactions refused and never accepted, by the reason of their last refusal.
    pub refused: BTreeMap<String, usize>,
    /// Resubmissions by a retrying client.
    pub resubmissions: usize,
    /// Outcomes of the accepted transactions: applied, or the rejection's code.
    pub outcomes: BTreeMap<String, usize>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "heights {:?}; {} blocks, {} transactions; {} accepted, {} resubmitted, refused {:?}; outcomes {:?}",
            self.heights,
            self.blocks,
            self.transactions,
            self.accepted,
            self.resubmissions,
            self.refused,
            self.outcomes
        )
    }
}

/// Whether every transaction `sent`'s signer sent with a lower nonce was accepted.
fn earlier_all_accepted(
    observed: &crate::journal::Observations,
    sent: &crate::journal::Sent,
) -> bool {
    let earlier: BTreeSet<u64> = observed
        .sent
        .iter()
        .filter(|(hash, other)| {
            other.signer == sent.signer
                && other.nonce < sent.nonce
                && observed.accepted.contains_key(hash)
        })
        .map(|(_, other)| other.nonce)
        .collect();
    (1..sent.nonce).all(|nonce| earlier.contains(&nonce))
}

/// The fate of every transaction `sent`'s signer sent, in nonce order, to explain a lost
/// one.
fn signer_history(
    observed: &crate::journal::Observations,
    sent: &crate::journal::Sent,
    placed: &BTreeMap<Digest, u64>,
    outcomes: &BTreeMap<Digest, Outcome>,
) -> String {
    let mut history: Vec<(u64, String)> = observed
        .sent
        .iter()
        .filter(|(_, other)| other.signer == sent.signer)
        .map(|(hash, other)| {
            let fate = match (placed.get(hash), outcomes.get(hash)) {
                (Some(height), Some(outcome)) => {
                    format!("height {height}, {}", outcome_name(outcome))
                }
                _ => "in no block".to_string(),
            };
            let to = match observed.accepted.get(hash) {
                Some(validator) => format!("accepted by {validator}"),
                None => "refused".to_string(),
            };
            (
                other.nonce,
                format!(
                    "nonce {} sent at {} ms, {to}: {fate}",
                    other.nonce, other.at.0
                ),
            )
        })
        .collect();
    history.sort();
    let lines: Vec<String> = history.into_iter().map(|(_, line)| line).collect();
    format!(
        " (signer {} nonce {}; the signer's transactions: {})",
        sent.signer,
        sent.nonce,
        lines.join("; ")
    )
}

fn outcome_name(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Applied => "applied".to_string(),
        Outcome::Rejected(rejection) => rejection.code().to_string(),
    }
}

impl Simulation {
    /// Waits until the network [settled](Simulation::settled) at `height` (at most `timeout`
    /// of simulated time), then checks every invariant. If it does not settle, the error
    /// carries the invariants' findings too, which usually say why.
    pub async fn settle_and_verify(
        &self,
        height: u64,
        timeout: std::time::Duration,
    ) -> Result<Summary, SimError> {
        match self.settle(height, timeout).await {
            Ok(()) => self.verify().await,
            Err(timeout) => Err(match self.verify().await {
                Ok(summary) => SimError::Violation(format!(
                    "{timeout}
summary: {summary}"
                )),
                Err(found) => SimError::Violation(format!(
                    "{timeout}
{found}"
                )),
            }),
        }
    }

    /// Checks every invariant (see the module docs) and summarises the run.
    pub async fn verify(&self) -> Result<Summary, SimError> {
        let observed = self.journal().snapshot();
        let honest = self.honest();
        let mut violations: Vec<String> = Vec::new();

        // No honest validator stopped by itself.
        for &index in &honest {
            let Some(log) = observed.nodes.get(index) else {
                continue;
            };
            for reason in &log.stopped {
                violations.push(format!("validator {index} stopped: {reason}"));
            }
            for conflict in &log.conflicts {
                violations.push(format!(
                    "validator {index} committed two blocks at {conflict}"
                ));
            }
            if log.lagged > 0 {
                violations.push(format!(
                    "validator {index}'s journal missed {} announced commits",
                    log.lagged
                ));
            }
        }

        // Agreement, and each validator's blocks chain by parent.
        let mut agreed: BTreeMap<u64, (usize, &crate::journal::CommitRecord)> = BTreeMap::new();
        for &index in &honest {
            let Some(log) = observed.nodes.get(index) else {
                continue;
            };
            let mut previous: Option<(u64, Digest)> = None;
            for (&height, record) in &log.commits {
                if let Some((h, digest)) = previous
                    && h + 1 == height
                    && record.parent != digest
                {
                    violations.push(format!(
                        "validator {index}: block {} at height {height} has parent {}, but its block at {h} is {digest}",
                        record.digest, record.parent
                    ));
                }
                previous = Some((height, record.digest));
                match agreed.get(&height) {
                    None => {
                        agreed.insert(height, (index, record));
                    }
                    Some((other, theirs)) if theirs.digest != record.digest => {
                        violations.push(format!(
                            "fork at height {height}: validator {other} committed {} (root {}), validator {index} committed {} (root {})",
                            theirs.digest, theirs.state_root, record.digest, record.state_root
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        let top = agreed.keys().next_back().copied().unwrap_or(0);
        let missing: Vec<u64> = (1..=top).filter(|h| !agreed.contains_key(h)).collect();
        if !missing.is_empty() {
            violations.push(format!(
                "no validator journaled a block at heights {missing:?}"
            ));
        }
        for (height, (_, record)) in &agreed {
            if let Some(below) = height.checked_sub(1)
                && let Some((_, parent)) = agreed.get(&below)
                && parent.digest != record.parent
            {
                violations.push(format!(
                    "the agreed block at {height} does not extend the agreed block at {below}"
                ));
            }
        }

        // Exactly once.
        let mut placed: BTreeMap<Digest, u64> = BTreeMap::new();
        let mut outcomes_of: BTreeMap<Digest, Outcome> = BTreeMap::new();
        let mut transactions = 0;
        for (height, (_, record)) in &agreed {
            transactions += record.transactions.len();
            for (position, hash) in record.transactions.iter().enumerate() {
                if let Some(first) = placed.insert(*hash, *height) {
                    violations.push(format!(
                        "transaction {hash} is in the blocks at heights {first} and {height}"
                    ));
                    // Keep the first placement: that is where its receipt points.
                    placed.insert(*hash, first);
                } else if let Some(outcome) = record.outcomes.get(position) {
                    outcomes_of.insert(*hash, *outcome);
                }
            }
        }
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        for (hash, validator) in &observed.accepted {
            match outcomes_of.get(hash) {
                Some(outcome) => {
                    *outcomes.entry(outcome_name(outcome)).or_default() += 1;
                    // Clients send each signer's nonces in order; if every earlier one was
                    // accepted, a block that rejects this one for its nonce carried it
                    // before its predecessor.
                    if *outcome == Outcome::Rejected(Rejection::NonceNotNext)
                        && let Some(sent) = observed.sent.get(hash)
                        && earlier_all_accepted(&observed, sent)
                    {
                        violations.push(format!(
                            "transaction {hash} (signer {} nonce {}), accepted by validator {validator} after all the signer's earlier transactions, was committed at height {} rejected as nonce_not_next{}",
                            sent.signer,
                            sent.nonce,
                            placed.get(hash).copied().unwrap_or_default(),
                            signer_history(&observed, sent, &placed, &outcomes_of)
                        ));
                    }
                }
                None => violations.push(format!(
                    "transaction {hash}, accepted by validator {validator}, is in no committed block{}",
                    observed
                        .sent
                        .get(hash)
                        .map(|sent| signer_history(&observed, sent, &placed, &outcomes_of))
                        .unwrap_or_default()
                )),
            }
        }

        // State of the running honest validators.
        for index in self.running_honest() {
            let Some(node) = self.node(index) else {
                continue;
            };
            let chain = node.chain.lock().await;
            let tip = chain.tip();
            match chain.store().root() {
                Ok(root) if root != tip.header.state_root => violations.push(format!(
                    "validator {index}: store root {root} differs from its tip's state root {}",
                    tip.header.state_root
                )),
                Ok(_) => {}
                Err(error) => violations.push(format!("validator {index}: store root: {error}")),
            }
            match agreed.get(&tip.header.height.0) {
                Some((_, record)) if record.digest != tip.digest => violations.push(format!(
                    "validator {index}: tip {} at height {} is not the agreed block {}",
                    tip.digest, tip.header.height.0, record.digest
                )),
                None if tip.header.height.0 > 0 => violations.push(format!(
                    "validator {index}: tip at height {} was never journaled",
                    tip.header.height.0
                )),
                _ => {}
            }
            let mut missing_receipts = Vec::new();
            for hash in observed.accepted.keys() {
                let Some(&height) = placed.get(hash) else {
                    continue;
                };
                if height > tip.header.height.0 {
                    continue;
                }
                match chain.store().get(&StateKey::transaction(hash)).await {
                    Ok(Some(bytes)) => match decode::<TransactionReceipt>(&bytes) {
                        Ok(receipt) if receipt.height.0 != height => violations.push(format!(
                            "validator {index}: receipt of {hash} names height {}, but the transaction is in the block at {height}",
                            receipt.height.0
                        )),
                        Ok(_) => {}
                        Err(error) => violations.push(format!(
                            "validator {index}: receipt of {hash} does not decode: {error}"
                        )),
                    },
                    Ok(None) => missing_receipts.push(*hash),
                    Err(error) => violations.push(format!(
                        "validator {index}: reading the receipt of {hash}: {error}"
                    )),
                }
            }
            if !missing_receipts.is_empty() {
                violations.push(format!(
                    "validator {index}: no receipt for {} committed transactions (first {})",
                    missing_receipts.len(),
                    missing_receipts[0]
                ));
            }
        }

        // No honest validator blocked another.
        match self.oracle().blocked().await {
            Ok(blocked) => {
                let index_of = |peer: &_| (0..self.size()).find(|i| self.peer(*i) == Some(peer));
                for (from, to) in blocked {
                    if let (Some(a), Some(b)) = (index_of(&from), index_of(&to))
                        && self.is_honest(a)
                        && self.is_honest(b)
                    {
                        violations
                            .push(format!("honest validator {a} blocked honest validator {b}"));
                    }
                }
            }
            Err(error) => violations.push(format!("reading blocked peers: {error}")),
        }

        // Refusals of transactions never accepted (a retry refused as already pending is not
        // one).
        let mut refused: BTreeMap<String, usize> = BTreeMap::new();
        for (hash, answer) in &observed.submissions {
            if let Submission::Refused(reason) = answer
                && !observed.accepted.contains_key(hash)
            {
                *refused.entry(reason.clone()).or_default() += 1;
            }
        }
        let summary = Summary {
            heights: observed.nodes.iter().map(|log| log.height()).collect(),
            blocks: top,
            transactions,
            accepted: observed.accepted.len(),
            refused,
            resubmissions: observed.resubmissions,
            outcomes,
        };
        if violations.is_empty() {
            Ok(summary)
        } else {
            let unique: BTreeSet<String> = violations.into_iter().collect();
            let mut report: Vec<String> = unique.into_iter().take(40).collect();
            report.push(format!("summary: {summary}"));
            report.push(self.describe());
            Err(SimError::Violation(report.join("\n")))
        }
    }
}
