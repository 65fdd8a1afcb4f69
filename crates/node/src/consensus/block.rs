//! Credence's block as the engine sees it: a [`Block`] with its digest computed once, at
//! construction or decoding (never taken from the wire), and the engine's block traits.

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, Write};
use commonware_consensus::{Heightable, types::Height as EngineHeight};
use commonware_cryptography::{Digestible, sha256};
use credence_types::{Block, Digest};

/// Bounds on blocks: part of the network's configuration, the same on every node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockLimits {
    /// Most transactions in a block.
    pub transactions_max: usize,
    /// Largest encoded block, in bytes.
    pub bytes_max: usize,
}

/// A block with its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBlock {
    block: Block,
    digest: Digest,
}

impl ChainBlock {
    /// Wraps a block, computing its digest.
    pub fn new(block: Block) -> Self {
        let digest = block.header.digest();
        Self { block, digest }
    }

    /// The block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// Its digest.
    pub fn id(&self) -> Digest {
        self.digest
    }
}

/// An engine digest from a Credence digest.
pub fn to_engine(digest: &Digest) -> sha256::Digest {
    sha256::Digest::from(digest.0)
}

/// A Credence digest from an engine digest.
pub fn from_engine(digest: &sha256::Digest) -> Digest {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(digest.as_ref());
    Digest(bytes)
}

impl Write for ChainBlock {
    fn write(&self, buf: &mut impl BufMut) {
        self.block.write(buf);
    }
}

impl EncodeSize for ChainBlock {
    fn encode_size(&self) -> usize {
        self.block.encode_size()
    }
}

impl Read for ChainBlock {
    type Cfg = BlockLimits;

    fn read_cfg(buf: &mut impl Buf, limits: &BlockLimits) -> Result<Self, Error> {
        // The transport bounds the bytes a decoder sees; the block's own bounds are checked
        // once it is decoded.
        let block = Block::read_cfg(buf, &())?;
        if block.encode_size() > limits.bytes_max {
            return Err(Error::Invalid(
                "ChainBlock",
                "block larger than the network allows",
            ));
        }
        if block.transactions.len() > limits.transactions_max {
            return Err(Error::Invalid(
                "ChainBlock",
                "more transactions than the network allows",
            ));
        }
        Ok(Self::new(block))
    }
}

impl Digestible for ChainBlock {
    type Digest = sha256::Digest;

    fn digest(&self) -> sha256::Digest {
        to_engine(&self.digest)
    }
}

impl Heightable for ChainBlock {
    fn height(&self) -> EngineHeight {
        EngineHeight::new(self.block.header.height.0)
    }
}

impl commonware_consensus::Block for ChainBlock {
    fn parent(&self) -> sha256::Digest {
        to_engine(&self.block.header.parent)
    }
}

impl commonware_consensus::BoundedBlock for ChainBlock {
    fn max_encode_size(limits: &BlockLimits) -> usize {
        limits.bytes_max
    }
}
