//! The Credence client library: build and sign transactions, seal what they carry, and talk
//! to a node's API.
//!
//! - [`account`]: a signer with its nonce;
//! - [`build`]: payloads, with the sealing and key wrapping each needs done here, on the
//!   client, so that no node ever sees a credit payload or a subject's key in clear;
//! - [`disputes`]: a furnisher's disputes and its answers to them;
//! - [`events`]: following a node's event stream, resumably;
//! - [`http`]: the node API over HTTP;
//! - [`light`]: checking an answer against the validators, trusting no single node (the
//!   `credence-light` crate);
//! - [`report`]: the credit report a consenting lender reads;
//! - [`score`]: the credit score of a file;
//! - [`submission`]: submitting through a busy node: batches, `Retry-After`, backoff, and a
//!   signer's refused transactions resubmitted in nonce order;
//! - [`session`]: what a member or a borrower does — register, grant, revoke, rotate,
//!   furnish, report, repay, any transaction — each signed here and followed to finality.

pub mod account;
pub mod build;
pub mod disputes;
pub mod events;
pub mod furnishing;
pub mod governance;
pub mod http;
pub mod report;
pub mod score;
pub mod session;
pub mod submission;

pub use account::Account;
pub use credence_light as light;
pub use http::{ClientError, NodeClient};
pub use session::{Finalised, Session, SessionError};
