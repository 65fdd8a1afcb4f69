//! The client's history: every request the workload made, with the node it went to and what
//! the client saw come of it, interleaved with what the nemesis did, in the order it began.

use credence_types::{Digest, Payload, PublicKey, SignedTransaction, receipt::Outcome};
use std::{
    fmt,
    sync::Mutex,
    time::{Duration, Instant},
};

/// What the client saw come of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Not answered yet.
    InFlight,
    /// The node refused it at submission, with this code.
    Refused(String),
    /// A node said it was finalised.
    Finalized {
        /// The node that said so.
        node: usize,
        /// The block's height.
        height: u64,
        /// Its place in the block.
        index: u32,
        /// Its receipt's outcome.
        outcome: Outcome,
    },
    /// Neither refused nor seen finalised in time: it may or may not be on the chain.
    Unknown(String),
}

impl Seen {
    /// Whether a node said it applied.
    pub fn applied(&self) -> bool {
        matches!(
            self,
            Self::Finalized {
                outcome: Outcome::Applied,
                ..
            }
        )
    }
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InFlight => write!(f, "in flight"),
            Self::Refused(code) => write!(f, "refused: {code}"),
            Self::Finalized {
                node,
                height,
                index,
                outcome,
            } => write!(
                f,
                "finalised at {height}#{index} ({outcome:?}, per n{node})"
            ),
            Self::Unknown(why) => write!(f, "unknown: {why}"),
        }
    }
}

/// One request.
#[derive(Clone, Debug)]
pub struct Op {
    /// When it began, since the history's start.
    pub at: Duration,
    /// When the client stopped waiting for it.
    pub done: Duration,
    /// Who signed it.
    pub actor: String,
    /// The node it was submitted to.
    pub node: usize,
    /// What it does, for a reader.
    pub what: String,
    /// The transaction.
    pub transaction: SignedTransaction,
    /// Its hash.
    pub hash: Digest,
    /// What the client saw.
    pub seen: Seen,
}

impl Op {
    /// Its signer.
    pub fn signer(&self) -> PublicKey {
        self.transaction.transaction.signer
    }

    /// Its nonce.
    pub fn nonce(&self) -> u64 {
        self.transaction.transaction.nonce
    }

    /// Its payload.
    pub fn payload(&self) -> &Payload {
        &self.transaction.transaction.payload
    }
}

/// An entry of the history.
#[derive(Clone, Debug)]
pub enum Entry {
    /// A request.
    Op(Box<Op>),
    /// Something the nemesis did.
    Nemesis {
        /// When.
        at: Duration,
        /// What.
        what: String,
    },
}

/// The history, appended to by every actor at once.
pub struct History {
    start: Instant,
    entries: Mutex<Vec<Entry>>,
}

impl Default for History {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            entries: Mutex::new(Vec::new()),
        }
    }
}

impl History {
    /// Records the start of a request; returns its place, for [`History::end`].
    pub fn begin(
        &self,
        actor: &str,
        node: usize,
        what: String,
        transaction: &SignedTransaction,
    ) -> usize {
        let mut entries = self.entries.lock().unwrap();
        entries.push(Entry::Op(Box::new(Op {
            at: self.start.elapsed(),
            done: Duration::ZERO,
            actor: actor.to_string(),
            node,
            what,
            transaction: transaction.clone(),
            hash: transaction.hash(),
            seen: Seen::InFlight,
        })));
        entries.len() - 1
    }

    /// Records what came of the request at `place`.
    pub fn end(&self, place: usize, seen: Seen) {
        let done = self.start.elapsed();
        if let Entry::Op(op) = &mut self.entries.lock().unwrap()[place] {
            op.seen = seen;
            op.done = done;
        }
    }

    /// Records what the nemesis did.
    pub fn nemesis(&self, what: String) {
        let at = self.start.elapsed();
        eprintln!("[{:>7.1} s] nemesis: {what}", at.as_secs_f64());
        self.entries
            .lock()
            .unwrap()
            .push(Entry::Nemesis { at, what });
    }

    /// Every request so far.
    pub fn ops(&self) -> Vec<Op> {
        self.entries
            .lock()
            .unwrap()
            .iter()
            .filter_map(|entry| match entry {
                Entry::Op(op) => Some(op.as_ref().clone()),
                Entry::Nemesis { .. } => None,
            })
            .collect()
    }

    /// Prints the whole history to stderr.
    pub fn print(&self) {
        let entries = self.entries.lock().unwrap();
        eprintln!("---- history: {} entries ----", entries.len());
        for entry in entries.iter() {
            match entry {
                Entry::Op(op) => eprintln!(
                    "{:>8.3} {:>8.3}  {:<10} -> n{}  nonce {:<4} {}  {}  => {}",
                    op.at.as_secs_f64(),
                    op.done.as_secs_f64(),
                    op.actor,
                    op.node,
                    op.nonce(),
                    &op.hash.to_string()[..12],
                    op.what,
                    op.seen
                ),
                Entry::Nemesis { at, what } => {
                    eprintln!("{:>8.3}           nemesis        {what}", at.as_secs_f64());
                }
            }
        }
        eprintln!("---- end of history ----");
    }
}
