//! Light verification: check a node's answer against the validators, trusting no single node.
//!
//! An answer is accepted when (1) the header it comes with hashes to the digest it claims,
//! (2) a certificate holds the signatures of more than two thirds of the validators
//! finalising that digest, and (3) the state proof leads from the key and value to the
//! header's state root. A node that lies about any of the three is caught.
//!
//! - [`network`]: the network file every member shares (genesis, validators, block limits);
//! - [`certificate`]: finalisation certificates, decoded and checked with the consensus
//!   engine's signature scheme but without the engine itself;
//! - [`proof`]: the state proofs the store produces, and their verification against a root;
//! - [`validators`]: a light client's trust anchor, which remembers what it has checked.
//!
//! This crate is what a client needs to believe an answer and nothing more: it builds no
//! consensus engine, no HTTP server and no database, so a light client stays light. The
//! node's consensus adapter checks, in a test, that the certificates it archives are
//! accepted here exactly when the engine accepts them.

pub mod certificate;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod network;
pub mod proof;
pub mod validators;

pub use certificate::{CertificateError, verify_certificate};
pub use network::{NetworkError, NetworkFile};
pub use proof::{ProofError, StateProof, verify};
pub use validators::{LightError, Validators, expect_key};
