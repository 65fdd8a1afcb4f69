//! The JSON shapes of the node API, shared by the node that serves them and the clients that
//! read them, so the two cannot drift.

use crate::{Digest, Height, TimestampMs, block::BlockHeader, receipt::Outcome};

/// An error: a stable code and a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// The stable code (snake_case).
    pub code: String,
    /// What was wrong.
    pub message: String,
}

/// `POST /v1/transactions`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The encoded signed transaction, hex.
    pub transaction: String,
}

/// A submitted transaction's hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Submitted {
    /// The hash.
    pub hash: Digest,
}

/// `POST /v1/transactions/batch`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The encoded signed transactions, hex, in order.
    pub transactions: Vec<String>,
}

/// The result of one transaction of a batch.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum BatchItem {
    /// Accepted.
    Accepted {
        /// Its hash.
        hash: Digest,
    },
    /// Refused.
    Refused {
        /// The stable error code.
        code: String,
        /// Why.
        message: String,
    },
}

/// A transaction's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum TransactionStatus {
    /// Waiting in the node's mempool.
    Pending,
    /// In a finalised block.
    Finalized {
        /// The block's height.
        height: Height,
        /// Its position in the block.
        index: u32,
        /// Applied, or rejected with a code.
        outcome: Outcome,
    },
}

/// The node's view of the chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Status {
    /// The chain id.
    pub chain_id: String,
    /// Height of the last finalised and committed block.
    pub height: Height,
    /// Its digest.
    pub block: Digest,
    /// Its state root.
    pub state_root: Digest,
    /// Its time.
    pub time: TimestampMs,
    /// Transactions in the node's mempool.
    pub mempool: usize,
}

/// A committed block as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlockSummary {
    /// Its digest.
    pub digest: Digest,
    /// Its header.
    pub header: BlockHeader,
    /// Its transactions' hashes, in order.
    pub transactions: Vec<Digest>,
}

/// `GET /v1/accounts/{key}`: a signing key's owner and last accepted nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountView {
    /// Who the key belongs to.
    pub principal: crate::state::Principal,
    /// The nonce of its last accepted transaction (0 before the first).
    pub nonce: u64,
}
