//! A Credence validator node.
//!
//! Transactions arrive through the API ([`api`]) or from peers, are checked ([`service`]) and
//! wait in the [`mempool`]. Consensus — Commonware's simplex with marshal, reached only
//! through the [`consensus`] adapter — asks this node to propose and to verify blocks; both
//! execute the block against the [`chain`] (committed state plus blocks not finalised yet).
//! Finalised blocks arrive in height order; each is committed durably and only then
//! acknowledged, so a node killed at any instant re-executes what it had not committed.
//!
//! [`validator`] assembles these parts on any runtime and p2p network: [`run`] on tokio and
//! the validators' network, the simulation crate on the deterministic runtime.

pub mod api;
pub mod chain;
pub mod config;
pub mod consensus;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod mempool;
pub mod metrics;
pub mod pace;
pub mod refusal;
pub mod run;
pub mod service;
#[cfg(feature = "byzantine")]
pub mod tamper;
pub mod tls;
pub mod validator;
