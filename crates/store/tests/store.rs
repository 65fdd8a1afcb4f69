//! The store on the deterministic runtime: executing against it equals executing in memory,
//! roots survive restarts, speculation matches commitment, proofs verify (and tampered ones
//! do not), and a crash at any instant recovers a whole committed block.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use commonware_runtime::{Clock as _, Runner as _, Spawner as _, Supervisor as _, deterministic};
use credence_ledger::{
    genesis::genesis_state,
    testkit::{Chain, RecordedBlock, Workload},
};
use credence_store::{ProofError, StateProof, Store, StoreConfig, execute, verify};
use credence_types::{
    Block, BlockHeader, Digest, RecordId, TimestampMs,
    codec::BoundedBytes,
    state::{KEY_LEN, StateKey},
};
use std::{collections::BTreeMap, time::Duration};

mod common;
use common::{info, raw_block, same_block};

/// The genesis state root of the testkit consortium. A change is a format change (of the
/// state layout, the encoding, or the store): update it only deliberately.
const GENESIS_ROOT: &str = "af13c28949ba6d8ba151fda8df5766f2ed2b6c3c165cf8689daa74eef2a5e750";

fn genesis_info(chain: &Chain) -> BlockHeader {
    Block::genesis(chain.genesis.genesis_time, Digest::default()).header
}

fn block_info(block: &RecordedBlock) -> BlockHeader {
    BlockHeader {
        height: block.context.height,
        time: block.context.time,
        proposer: block.context.proposer,
        ..Block::genesis(TimestampMs(0), Digest::default()).header
    }
}

/// A busy history: registrations and a lending market, then mixed blocks, with a month's
/// gap so that disputes lapse, consents near expiry and loan installments fall due.
fn history() -> (Chain, Vec<RecordedBlock>) {
    let mut chain = Chain::new();
    let mut workload = Workload::new(3, 24);
    let mut blocks = workload.register_all(&mut chain, 10);
    blocks.extend(workload.open_market(&mut chain, 10));
    for i in 0..12 {
        let advance = if i == 6 { 31 * 86_400_000 } else { 2_000 };
        blocks.push(workload.block(&mut chain, 40, advance));
    }
    (chain, blocks)
}

async fn open(
    context: &deterministic::Context,
    name: &'static str,
) -> Store<deterministic::Context> {
    Store::open(context.child(name), &StoreConfig::small("test"))
        .await
        .unwrap()
}

/// Every key and value in the store, by scanning the whole key space.
async fn dump(store: &Store<deterministic::Context>) -> BTreeMap<StateKey, Vec<u8>> {
    let end = StateKey([0xff; KEY_LEN]);
    store
        .range(&StateKey([0; KEY_LEN]), &end, usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

#[test]
fn executing_against_the_store_equals_executing_in_memory() {
    let (chain, blocks) = history();
    deterministic::Runner::seeded(1).start(|context| async move {
        let mut store = open(&context, "store").await;
        store
            .commit_changes(
                &genesis_state(&chain.genesis).unwrap(),
                &genesis_info(&chain),
            )
            .await
            .unwrap();
        for block in &blocks {
            let outcome = execute(&store, &[], block.context, &block.transactions)
                .await
                .unwrap();
            assert_eq!(outcome, block.outcome, "block {:?}", block.context.height);
            store
                .commit_changes(&outcome.changes, &block_info(block))
                .await
                .unwrap();
        }
        assert_eq!(
            dump(&store).await,
            chain.state,
            "the store holds exactly the state"
        );
    });
}

#[test]
fn roots_survive_a_restart_and_match_an_uninterrupted_run() {
    let (chain, blocks) = history();
    let run = |restart_at: Option<usize>| {
        let (chain, blocks) = (&chain, &blocks);
        deterministic::Runner::seeded(2).start(|context| async move {
            let mut store = open(&context, "first").await;
            store
                .commit_changes(
                    &genesis_state(&chain.genesis).unwrap(),
                    &genesis_info(chain),
                )
                .await
                .unwrap();
            let mut roots = Vec::new();
            for (i, block) in blocks.iter().enumerate() {
                if restart_at == Some(i) {
                    store.close().await.unwrap();
                    store = open(&context, "second").await;
                    assert_eq!(store.committed().unwrap().height.0, i as u64);
                }
                let outcome = execute(&store, &[], block.context, &block.transactions)
                    .await
                    .unwrap();
                roots.push(
                    store
                        .commit_changes(&outcome.changes, &block_info(block))
                        .await
                        .unwrap(),
                );
            }
            roots
        })
    };
    let straight = run(None);
    let restarted = run(Some(blocks.len() / 2));
    assert_eq!(straight, restarted);
}

#[test]
fn the_genesis_root_is_pinned() {
    let chain = Chain::new();
    deterministic::Runner::seeded(3).start(|context| async move {
        let mut store = open(&context, "store").await;
        let root = store
            .commit_changes(
                &genesis_state(&chain.genesis).unwrap(),
                &genesis_info(&chain),
            )
            .await
            .unwrap();
        assert_eq!(root.to_string(), GENESIS_ROOT);
    });
}

/// The `n`th key the floor tests write: a record's, laid out like every state key so that
/// keys do not share an index bucket (the values are not records; the store does not care).
fn synthetic_key(n: u64) -> StateKey {
    StateKey::record(RecordId(n))
}

/// Block `height` of a synthetic stream over `keys` keys: `updates` keys drawn from a hash
/// (so some stay live for many blocks) written, and every seventh drawn deleted instead.
fn synthetic_block(height: u64, keys: u64, updates: u64) -> credence_ledger::ChangeSet {
    (0..updates)
        .map(|i| {
            let draw = Digest::of("floor", &[&height.to_be_bytes(), &i.to_be_bytes()]);
            let n = u64::from_be_bytes(draw.0[..8].try_into().unwrap()) % keys;
            let value = (i % 7 != 6).then(|| height.to_be_bytes().repeat(8));
            (synthetic_key(n), value)
        })
        .collect()
}

/// Commits `blocks` synthetic blocks over `keys` keys on a fresh store, calling `each` with
/// the store and the height after each commit; returns the last root.
async fn synthetic_chain(
    context: &deterministic::Context,
    config: &StoreConfig,
    (keys, updates, blocks): (u64, u64, u64),
    mut each: impl FnMut(&Store<deterministic::Context>, u64),
) -> Digest {
    let mut store = Store::open(context.child("store"), config).await.unwrap();
    let genesis: credence_ledger::ChangeSet = (0..keys)
        .map(|n| (synthetic_key(n), Some(vec![0; 64])))
        .collect();
    let mut header = Block::genesis(TimestampMs(0), Digest::default()).header;
    let mut root = store.commit_changes(&genesis, &header).await.unwrap();
    for height in 1..=blocks {
        header.height = credence_types::Height(height);
        root = store
            .commit_changes(&synthetic_block(height, keys, updates), &header)
            .await
            .unwrap();
        each(&store, height);
    }
    root
}

/// The state root after 40 blocks that update, create and delete keys: it pins what the
/// genesis root cannot, how each batch advances the inactivity floor
/// (`credence_store::FLOOR_STRIDE`). A change is a protocol change: validators that differ
/// in it disagree on every root. (The ledger's own workload cannot pin it: its sealed
/// payloads are encrypted afresh each run.)
const FLOOR_ROOT: &str = "2bf5888279b59ede51c75dd494a4c76f01a00de0ae7ccfef5a0cab3069e6ec49";

#[test]
fn the_floor_policy_is_pinned_by_the_root_of_a_busy_history() {
    deterministic::Runner::seeded(5).start(|context| async move {
        let config = StoreConfig::small("test");
        let root = synthetic_chain(&context, &config, (200, 30, 40), |_, _| {}).await;
        assert_eq!(root.to_string(), FLOOR_ROOT);
    });
}

/// Disk stays proportional to the live state however long the chain runs: under a stream
/// of blocks that update scattered keys (the floor must move every key still live to pass
/// it), the log the store retains stays within a fixed multiple of the keys it holds.
#[test]
fn disk_stays_proportional_to_the_live_state() {
    const KEYS: u64 = 1_000;
    const UPDATES: u64 = 60;
    const BLOCKS: u64 = 600;
    deterministic::Runner::seeded(6).start(|context| async move {
        let config = StoreConfig::small("test");
        let mut most = 0;
        synthetic_chain(
            &context,
            &config,
            (KEYS, UPDATES, BLOCKS),
            |store, height| {
                if height % config.maintenance_interval == 0 {
                    most = most.max(store.operations().unwrap());
                }
            },
        )
        .await;
        // At most KEYS live: about FLOOR_STRIDE + 1 operations a live key once the floor
        // keeps pace, plus what one maintenance interval appends, plus one blob that
        // pruning keeps whole.
        let stride = credence_store::FLOOR_STRIDE as u64;
        let bound = (stride + 2) * KEYS
            + config.maintenance_interval * (UPDATES + UPDATES.div_ceil(stride) + 2)
            + config.items_per_blob.get();
        assert!(
            most <= bound,
            "the store kept {most} operations for {KEYS} keys at most (bound {bound})"
        );
        // And it did prune: without a floor, the log would hold every update.
        assert!(most < BLOCKS * UPDATES / 4, "{most}");
    });
}

#[test]
fn speculation_on_pending_blocks_gives_the_committed_roots() {
    deterministic::Runner::seeded(4).start(|context| async move {
        let mut store = open(&context, "store").await;
        store.commit_changes(&raw_block(0), &info(0)).await.unwrap();
        let first = store
            .speculate(None, &raw_block(1), &info(1))
            .await
            .unwrap();
        let second = store
            .speculate(Some(&first), &raw_block(2), &info(2))
            .await
            .unwrap();
        // A sibling of the second on the same parent gets its own root.
        let sibling = store
            .speculate(Some(&first), &raw_block(7), &info(2))
            .await
            .unwrap();
        assert_ne!(sibling.root, second.root);
        let (first_root, second_root) = (first.root, second.root);
        assert_eq!(store.commit(first).await.unwrap(), first_root);
        assert_eq!(store.commit(second).await.unwrap(), second_root);
        assert!(same_block(&store.committed().unwrap(), &info(2)));
        // Out of order is refused.
        let stale = store
            .speculate(None, &raw_block(9), &info(9))
            .await
            .unwrap();
        assert!(store.commit(stale).await.is_err());
    });
}

#[test]
fn proofs_verify_present_and_absent_keys_and_reject_tampering() {
    deterministic::Runner::seeded(5).start(|context| async move {
        let mut store = open(&context, "store").await;
        for height in 0..5 {
            store
                .commit_changes(&raw_block(height), &info(height))
                .await
                .unwrap();
        }
        let root = store.root().unwrap();
        let mut present = 0;
        let mut absent = 0;
        for id in 0..500 {
            let key = StateKey::record(RecordId(id));
            let proof = store.prove(&key).await.unwrap();
            let value = verify(&key, &proof, &root).unwrap();
            assert_eq!(value, store.get(&key).await.unwrap());
            match value {
                Some(_) => present += 1,
                None => absent += 1,
            }
            // An inclusion proof is for this key only (an exclusion proof covers the gap
            // between two keys, so it also proves its neighbours in that gap absent), and
            // every proof is for this root only.
            if matches!(proof, StateProof::Present { .. }) {
                let other = StateKey::record(RecordId(id + 1));
                assert!(verify(&other, &proof, &root).is_err());
            }
            assert!(verify(&key, &proof, &Digest([1; 32])).is_err());
            if let StateProof::Present { value, proof } = &proof {
                let mut forged = value.as_slice().to_vec();
                forged.push(b'!');
                let forged = StateProof::Present {
                    value: BoundedBytes::new(forged).unwrap(),
                    proof: proof.clone(),
                };
                assert_eq!(verify(&key, &forged, &root), Err(ProofError::Mismatch));
                let mut bytes = proof.as_slice().to_vec();
                let middle = bytes.len() / 2;
                bytes[middle] ^= 1;
                let flipped = StateProof::Present {
                    value: value.clone(),
                    proof: BoundedBytes::new(bytes).unwrap(),
                };
                assert!(verify(&key, &flipped, &root).is_err());
            }
        }
        assert!(
            present > 50 && absent > 50,
            "{present} present, {absent} absent"
        );
        // Keys outside any table are provably absent too.
        let beyond = StateKey([0xfe; KEY_LEN]);
        let proof = store.prove(&beyond).await.unwrap();
        assert_eq!(verify(&beyond, &proof, &root), Ok(None));
    });
}

/// Commits raw blocks until stopped; returns nothing (the runtime drops it mid-flight).
async fn write_forever(context: deterministic::Context, mut store: Store<deterministic::Context>) {
    let mut height = store.committed().map_or(0, |c| c.height.0 + 1);
    loop {
        store
            .commit_changes(&raw_block(height), &info(height))
            .await
            .unwrap();
        height += 1;
        context.sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn a_crash_at_any_instant_recovers_a_whole_committed_block() {
    // Reference roots from an uninterrupted run.
    let reference: Vec<Digest> = deterministic::Runner::seeded(6).start(|context| async move {
        let mut store = open(&context, "store").await;
        let mut roots = Vec::new();
        for height in 0..400 {
            roots.push(
                store
                    .commit_changes(&raw_block(height), &info(height))
                    .await
                    .unwrap(),
            );
        }
        roots
    });

    let mut recovered_heights = std::collections::BTreeSet::new();
    for seed in 0..12u64 {
        // Crash after a seed-chosen stretch of simulated time, then recover and crash again.
        let mut checkpoint = None;
        let mut last = None;
        for round in 0..4u64 {
            let runner = match checkpoint.take() {
                None => deterministic::Runner::seeded(100 + seed),
                Some(checkpoint) => deterministic::Runner::from(checkpoint),
            };
            let crash_after =
                Duration::from_micros(1_500 + (seed * 7_919 + round * 104_729) % 40_000);
            let reference = &reference;
            let (recovered, next) = runner.start_and_recover(|context| async move {
                let store = open(&context, "store").await;
                let recovered = store.committed();
                if let Some(commit) = recovered {
                    let height = commit.height.0 as usize;
                    assert!(
                        same_block(&commit, &info(commit.height.0)),
                        "seed {seed}: metadata is the block's"
                    );
                    assert_eq!(commit.state_root, reference[height]);
                    assert_eq!(
                        store.root().unwrap(),
                        reference[height],
                        "seed {seed}: root of height {height}"
                    );
                }
                let writer = context.child("writer");
                let task = writer.spawn(move |context| write_forever(context, store));
                context.sleep(crash_after).await;
                drop(task);
                recovered.map(|c| c.height.0)
            });
            recovered_heights.extend(recovered);
            checkpoint = Some(next);
            last = Some(round);
        }
        // A final clean recovery checks the last crash.
        let runner = deterministic::Runner::from(checkpoint.unwrap());
        let reference = &reference;
        runner.start(|context| async move {
            let store = open(&context, "store").await;
            if let Some(commit) = store.committed() {
                assert_eq!(store.root().unwrap(), reference[commit.height.0 as usize]);
            }
        });
        assert_eq!(last, Some(3));
    }
    // The crashes landed at many different points of the history.
    assert!(
        recovered_heights.len() > 10,
        "recovered heights {recovered_heights:?}"
    );
}
