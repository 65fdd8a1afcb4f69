//! What the simulation observed, as plain data: every block each validator committed, the
//! transactions clients got accepted or refused, and any validator that stopped on its own.
//!
//! A [`Journal`] holds no runtime handle, so it outlives a runtime: a test that crashes the
//! whole runtime ([`commonware_runtime::deterministic::Runner::start_and_recover`]) keeps one
//! journal across the runs. Only durable commits are recorded (a node announces a block only
//! after committing it), so what a journal holds survives any crash.

use credence_node::chain::Committed;
use credence_types::{Digest, Outcome, PublicKey, TimestampMs};
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

/// A block as one validator committed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitRecord {
    /// The block's digest.
    pub digest: Digest,
    /// Its parent's digest.
    pub parent: Digest,
    /// The state root after it.
    pub state_root: Digest,
    /// Its time.
    pub time: TimestampMs,
    /// Its proposer.
    pub proposer: PublicKey,
    /// Its transactions' hashes, in order.
    pub transactions: Vec<Digest>,
    /// Their outcomes, in order.
    pub outcomes: Vec<Outcome>,
}

impl CommitRecord {
    /// The record of a committed block.
    pub fn of(committed: &Committed) -> Self {
        Self {
            digest: committed.digest,
            parent: committed.header.parent,
            state_root: committed.header.state_root,
            time: committed.header.time,
            proposer: committed.header.proposer,
            transactions: committed
                .transactions
                .iter()
                .map(credence_crypto::VerifiedTransaction::hash)
                .collect(),
            outcomes: committed
                .outcome
                .receipts
                .iter()
                .map(|receipt| receipt.outcome)
                .collect(),
        }
    }
}

/// What one validator did.
#[derive(Clone, Debug, Default)]
pub struct NodeLog {
    /// Its committed blocks, by height.
    pub commits: BTreeMap<u64, CommitRecord>,
    /// Blocks it announced twice at one height with different digests.
    pub conflicts: Vec<String>,
    /// Commits its announcements skipped because the journal lagged behind.
    pub lagged: u64,
    /// Why it stopped, if it stopped without being crashed on purpose (a halt, an engine
    /// task ending).
    pub stopped: Vec<String>,
    /// How many times it was started.
    pub starts: u32,
}

impl NodeLog {
    /// Its highest committed height (0 before its first block).
    pub fn height(&self) -> u64 {
        self.commits.keys().next_back().copied().unwrap_or(0)
    }
}

/// A transaction a client sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submission {
    /// Accepted by this validator.
    Accepted(usize),
    /// Refused, with the reason.
    Refused(String),
}

/// Everything observed.
#[derive(Clone, Debug, Default)]
pub struct Observations {
    /// Per validator.
    pub nodes: Vec<NodeLog>,
    /// The last answer each transaction got, by hash.
    pub submissions: BTreeMap<Digest, Submission>,
    /// Every hash ever accepted (a later refusal of a resubmission does not unaccept it).
    pub accepted: BTreeMap<Digest, usize>,
    /// How many submissions were resubmissions by a retrying client.
    pub resubmissions: usize,
    /// Every transaction sent, by hash: its signer, nonce, and when it was first sent
    /// (simulated milliseconds since the Unix epoch).
    pub sent: BTreeMap<Digest, Sent>,
}

/// A transaction a client sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Its signer.
    pub signer: PublicKey,
    /// Its nonce.
    pub nonce: u64,
    /// When it was first sent.
    pub at: TimestampMs,
}

/// A shared, cloneable journal.
#[derive(Clone, Debug, Default)]
pub struct Journal(Arc<Mutex<Observations>>);

impl Journal {
    /// A journal for `validators` validators.
    pub fn new(validators: usize) -> Self {
        Self(Arc::new(Mutex::new(Observations {
            nodes: vec![NodeLog::default(); validators],
            ..Observations::default()
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Observations> {
        // A panic elsewhere must not hide what was observed.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn node(&self, index: usize, update: impl FnOnce(&mut NodeLog)) {
        if let Some(log) = self.lock().nodes.get_mut(index) {
            update(log);
        }
    }

    /// A copy of everything observed so far.
    pub fn snapshot(&self) -> Observations {
        self.lock().clone()
    }

    /// Reads the observations without copying them.
    pub fn read<T>(&self, read: impl FnOnce(&Observations) -> T) -> T {
        read(&self.lock())
    }

    /// Validator `index` committed `committed`.
    pub fn committed(&self, index: usize, committed: &Committed) {
        let record = CommitRecord::of(committed);
        let height = committed.header.height.0;
        self.node(index, |log| match log.commits.get(&height) {
            Some(previous) if previous.digest != record.digest => log.conflicts.push(format!(
                "height {height}: committed {} and later {}",
                previous.digest, record.digest
            )),
            Some(_) => {}
            None => {
                log.commits.insert(height, record);
            }
        });
    }

    /// Validator `index`'s announcements skipped `missed` commits.
    pub fn lagged(&self, index: usize, missed: u64) {
        self.node(index, |log| log.lagged = log.lagged.saturating_add(missed));
    }

    /// Validator `index` stopped by itself, for `reason`.
    pub fn stopped(&self, index: usize, reason: String) {
        self.node(index, |log| log.stopped.push(reason));
    }

    /// Validator `index` was started.
    pub fn started(&self, index: usize) {
        self.node(index, |log| log.starts = log.starts.saturating_add(1));
    }

    /// A client's transaction got `answer`.
    pub fn submitted(&self, hash: Digest, sent: Sent, answer: Submission, resubmission: bool) {
        let mut observations = self.lock();
        observations.sent.entry(hash).or_insert(sent);
        if let Submission::Accepted(index) = answer {
            observations.accepted.entry(hash).or_insert(index);
        }
        if resubmission {
            observations.resubmissions += 1;
        }
        observations.submissions.insert(hash, answer);
    }
}
