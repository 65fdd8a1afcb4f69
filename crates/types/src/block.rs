//! Blocks: what consensus orders and the state machine executes.
//!
//! A block's digest is the hash of its header, and the header commits to the transactions
//! (their hashes, in order) and to the state root after executing them. So a finalisation
//! certificate over a block digest — signed by more than two thirds of the validators —
//! certifies the state root, and any value proven against that root.

use crate::{
    codec::{BoundedVec, encode},
    hash::{DOMAIN_BLOCK, Digest},
    ids::Height,
    keys::PublicKey,
    limits::BLOCK_TRANSACTIONS_MAX,
    time::TimestampMs,
    transaction::SignedTransaction,
};

/// Domain of the hash of a block's transaction list.
pub const DOMAIN_TRANSACTIONS: &str = "credence/transactions";

/// The context of a block: the only source of time and height for the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockContext {
    /// The block's height (the first block after genesis is 1).
    pub height: Height,
    /// The block's timestamp, agreed by consensus; strictly greater than its parent's.
    pub time: TimestampMs,
    /// The validator key that proposed the block.
    pub proposer: PublicKey,
}
crate::codec_struct!(BlockContext {
    height,
    time,
    proposer
});

/// A block header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockHeader {
    /// The parent block's digest (zero for genesis).
    pub parent: Digest,
    /// The height (0 for genesis).
    pub height: Height,
    /// The timestamp: after the parent's, and at most [`MAX_TIME_STEP_MS`] after it.
    pub time: TimestampMs,
    /// The proposing validator's key (zero for genesis).
    pub proposer: PublicKey,
    /// The hash of the transactions' hashes, in order.
    pub transactions_root: Digest,
    /// How many transactions the block holds.
    pub transaction_count: u32,
    /// The state root after executing this block.
    pub state_root: Digest,
}
crate::codec_struct!(BlockHeader {
    parent,
    height,
    time,
    proposer,
    transactions_root,
    transaction_count,
    state_root
});

/// The largest step a block's time may take past its parent's. Bounds how far a Byzantine
/// proposer can push the chain's clock, which drives deadlines; a chain that was halted for
/// longer catches up over several blocks.
pub const MAX_TIME_STEP_MS: u64 = 10 * 60 * 1000;

impl BlockHeader {
    /// The block's digest: what consensus votes on.
    pub fn digest(&self) -> Digest {
        Digest::of(DOMAIN_BLOCK, &[&encode(self)])
    }

    /// The context the state machine executes the block in.
    pub fn context(&self) -> BlockContext {
        BlockContext {
            height: self.height,
            time: self.time,
            proposer: self.proposer,
        }
    }
}

/// A block: header and transactions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions, in execution order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<SignedTransaction>))]
    pub transactions: BoundedVec<SignedTransaction, BLOCK_TRANSACTIONS_MAX>,
}
crate::codec_struct!(Block {
    header,
    transactions
});

/// The root of a transaction list: the hash of the transactions' hashes, in order.
pub fn transactions_root(hashes: impl IntoIterator<Item = Digest>) -> Digest {
    let hashes: Vec<Digest> = hashes.into_iter().collect();
    let parts: Vec<&[u8]> = hashes.iter().map(|h| h.0.as_slice()).collect();
    Digest::of(DOMAIN_TRANSACTIONS, &parts)
}

impl Block {
    /// The genesis block: height 0, no transactions, the genesis state root.
    pub fn genesis(time: TimestampMs, state_root: Digest) -> Self {
        Self {
            header: BlockHeader {
                parent: Digest::default(),
                height: Height(0),
                time,
                proposer: PublicKey::default(),
                transactions_root: transactions_root([]),
                transaction_count: 0,
                state_root,
            },
            transactions: BoundedVec::empty(),
        }
    }

    /// Whether the header's transaction count and root match the transactions, given their
    /// hashes in order.
    pub fn commits_to(&self, hashes: &[Digest]) -> bool {
        u32::try_from(self.transactions.len()).is_ok_and(|n| n == self.header.transaction_count)
            && hashes.len() == self.transactions.len()
            && transactions_root(hashes.iter().copied()) == self.header.transactions_root
    }
}
