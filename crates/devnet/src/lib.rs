//! A network on this machine.
//!
//! - [`layout`]: a network's files on disk — the network file, each institution's keys, each
//!   validator's configuration — as `credence genesis init` and `credence devnet` write them;
//! - [`processes`]: its validators as child processes of the `credence` binary: started,
//!   stopped cleanly with SIGTERM, killed with SIGKILL and restarted on the same data;
//! - [`joining`]: one more validator, admitted by the members' governance into a running
//!   network.
//!
//! The command line's `devnet`, the benchmark's own network and the tests that need real
//! validator processes all use these, so there is one way to lay out and run a network.

pub mod ceremony;
pub mod joining;
pub mod layout;
pub mod processes;

pub use layout::{LayoutError, Plan};
pub use processes::{Local, Validator};
