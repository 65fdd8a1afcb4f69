//! Whole-network tests of Credence validators in Commonware's deterministic runtime.
//!
//! Each scenario runs a network of real validators — chain, store, mempool, gossip, and the
//! simplex + marshal engine exactly as `credence_node::run` assembles them — over
//! Commonware's simulated p2p network, inside one deterministic runtime: one thread, a
//! simulated clock, in-memory storage that loses unsynced writes on a crash, and every
//! random choice drawn from the seed. A failing seed therefore replays exactly.
//!
//! - [`consortium`]: the members, their keys, and a realistic transaction workload.
//! - [`harness`]: the [`Simulation`]: start validators, submit transactions, cut and heal
//!   links, crash and restart validators, run Byzantine ones.
//! - [`journal`]: what was observed (commits, submissions), as plain data that outlives a
//!   runtime crash.
//! - [`check`]: the invariants every scenario ends by checking.
//! - [`proposers`]: Byzantine proposers, leaders that rewrite the blocks they propose.
//! - [`seeds`]: seed sweeps, `SEED=<n>` to replay one, the seed in every failure.
//!
//! The scenarios themselves are in `tests/`: `healthy.rs` (4 and 7 validators, lossy and
//! reordering links, same seed ⇒ same run), `faults.rs` (an isolated validator catching up,
//! a 2/2 split, crashes and restarts of up to f validators, whole-runtime crashes),
//! `byzantine.rs` (simplex's nuller, conflicter and equivocator mocks as one of four
//! validators, and two of seven), `byzantine_proposers.rs` (one leader of four proposing a
//! wrong root, a forged signature, a bad time, an oversized block, another chain's
//! transaction, a duplicate or replayed transaction, a nonce gap).
//!
//! # Running
//!
//! ```text
//! cargo test -p credence-sim                           # every scenario, a small sweep of seeds
//! SEED=7 cargo test -p credence-sim --test faults      # exactly seed 7, for every test run
//! cargo test -p credence-sim -- --ignored              # the larger sweeps only
//! RUST_LOG=info,credence_node=debug cargo test -p credence-sim --test healthy
//! ```
//!
//! A failure panics with the scenario's name, its seed and the command that replays it,
//! followed by every violated invariant and the state of each validator.

pub mod check;
pub mod consortium;
pub mod harness;
pub mod journal;
pub mod proposers;
pub mod seeds;

pub use check::Summary;
pub use consortium::{Consortium, Reference, transactions};
pub use harness::{
    ByzantineEngine, ByzantineSetup, Config, Context, SimError, Simulation, runtime,
};
pub use journal::Journal;
pub use proposers::{Attack, ByzantineProposer};
pub use seeds::{for_each_seed, seeds};

/// Unwraps a simulation result, panicking with the error's readable form (the seed is
/// added by [`for_each_seed`]).
pub trait OrFail<T> {
    /// The value, or a panic that shows the error.
    fn or_fail(self) -> T;
}

impl<T, E: std::fmt::Display> OrFail<T> for Result<T, E> {
    #[track_caller]
    fn or_fail(self) -> T {
        match self {
            Ok(value) => value,
            Err(error) => panic!("{error}"),
        }
    }
}
