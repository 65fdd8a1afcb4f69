//! Furnishing from Metro 2 files: a month's file in (`credence furnish --metro2`), the
//! furnished book out again (`credence export --metro2`).
//!
//! - [`book`]: what the furnisher keeps on its own disk: the customer map from consumer
//!   identifiers to pseudonyms, each imported file and its journal;
//! - [`tradeline`]: a Metro 2 base segment read as the ledger's tradeline;
//! - [`import`]: the idempotent, resumable, batched import;
//! - [`export`]: the furnished records written as a Metro 2 file, with the ledger's dispute
//!   state as compliance condition codes.

pub mod book;
pub mod export;
pub mod import;
pub mod tradeline;
