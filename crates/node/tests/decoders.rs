//! Every decoder of bytes from the network or a client, fed random and mutated bytes: blocks
//! (broadcast and backfill), gossip batches, submitted transactions. None panics; anything
//! that decodes re-encodes to the same bytes.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use commonware_codec::{Decode as _, DecodeExt as _, Encode as _, Read as _};
use credence_ledger::testkit::{Chain, Signer, fixed_payloads};
use credence_node::consensus::block::{BlockLimits, ChainBlock};
use credence_types::{
    Block, BlockHeader, Digest, Height, PublicKey, SignedTransaction, TimestampMs,
    block::transactions_root,
    codec::{BoundedVec, decode, encode},
};
use proptest::prelude::*;

const LIMITS: BlockLimits = BlockLimits {
    transactions_max: 64,
    bytes_max: 1 << 20,
};

fn sample_block() -> Vec<u8> {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES
        .get_or_init(|| {
            let chain = Chain::new();
            let signer = Signer::from_seed(1);
            let transactions: Vec<SignedTransaction> = fixed_payloads()
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    signer
                        .sign_with_nonce(&chain.chain_id(), i as u64 + 1, p)
                        .into_signed()
                })
                .collect();
            let block = Block {
                header: BlockHeader {
                    parent: Digest([1; 32]),
                    height: Height(7),
                    time: TimestampMs(1_800_000_000_000),
                    proposer: PublicKey([2; 32]),
                    transactions_root: transactions_root(
                        transactions.iter().map(SignedTransaction::hash),
                    ),
                    transaction_count: transactions.len() as u32,
                    state_root: Digest([3; 32]),
                },
                transactions: BoundedVec::new(transactions).unwrap(),
            };
            encode(&block)
        })
        .clone()
}

fn decode_block(bytes: &[u8]) -> Option<ChainBlock> {
    ChainBlock::decode_cfg(commonware_codec::Copying(bytes), &LIMITS).ok()
}

#[test]
fn a_block_decodes_with_its_digest_recomputed_and_limits_enforced() {
    let bytes = sample_block();
    let block = decode_block(&bytes).unwrap();
    assert_eq!(block.id(), block.block().header.digest());
    assert_eq!(block.encode().to_vec(), bytes);
    let tight = BlockLimits {
        transactions_max: 3,
        ..LIMITS
    };
    assert!(ChainBlock::read_cfg(&mut commonware_codec::Copying(&bytes[..]), &tight).is_err());
    for len in 0..bytes.len() {
        assert!(
            ChainBlock::decode_cfg(commonware_codec::Copying(&bytes[..len]), &LIMITS).is_err(),
            "a block truncated to {len} bytes decoded"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn mutated_blocks_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
    ) {
        let mut bytes = sample_block();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(block) = ChainBlock::decode_cfg(commonware_codec::Copying(&bytes), &LIMITS) {
            prop_assert_eq!(block.encode().to_vec(), bytes);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4_096)) {
        let _ = ChainBlock::decode_cfg(commonware_codec::Copying(&bytes), &LIMITS);
        let _ = decode::<BoundedVec<SignedTransaction, 1_024>>(&bytes);
        let _ = decode::<SignedTransaction>(&bytes);
        let _ = <credence_types::api::SubmitRequest as serde::Deserialize>::deserialize(
            &mut serde_json::Deserializer::from_slice(&bytes),
        );
        let _ = SignedTransaction::decode(commonware_codec::Copying(&bytes));
    }
}
