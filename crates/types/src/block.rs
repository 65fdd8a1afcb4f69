//! What the state machine learns about the block it executes.

use crate::{ids::Height, keys::PublicKey, time::TimestampMs};

/// The context of a block: the only source of time and height for the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
