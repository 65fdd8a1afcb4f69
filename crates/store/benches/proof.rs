//! Proofs against a state of 100,000 entries: generating an inclusion proof of a key's value
//! and an exclusion proof of a key between two present ones (what a node does for a proven
//! state read), and verifying each against the state root alone with
//! `credence_store::verify` (what a client does).
//!
//! The store runs on the tokio runtime, on disk in a temporary directory, with the node's
//! settings, in a task on its own thread that times each proof and reports back. The state
//! is credit records of 300 bytes written in blocks of 5,000, a fifth of them then rewritten
//! so that the log has history. Each measurement cycles over 1,000 keys spread across the key
//! space.
#![allow(missing_docs, clippy::unwrap_used)]

use commonware_runtime::{Runner as _, Supervisor as _, tokio};
use credence_ledger::ChangeSet;
use credence_store::{StateProof, Store, StoreConfig, verify};
use credence_types::{
    BlockHeader, Digest, Height, PublicKey, RecordId, TimestampMs, codec::encode, state::StateKey,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::{StreamExt as _, channel::mpsc};
use std::{
    hint::black_box,
    sync::mpsc::{SyncSender, sync_channel},
    time::{Duration, Instant},
};

const ENTRIES: u64 = 100_000;
const PER_BLOCK: u64 = 5_000;
const REWRITE_BLOCKS: u64 = 4;
const VALUE_BYTES: usize = 300;
const SAMPLED_KEYS: u64 = 1_000;

/// A key to prove, and where to send the proof and the time it took.
type Job = (StateKey, SyncSender<(StateProof, Duration)>);

fn info(height: u64) -> BlockHeader {
    BlockHeader {
        parent: Digest::of("bench-block", &[&height.to_be_bytes()]),
        height: Height(height),
        time: TimestampMs(1_767_225_600_000 + height * 2_000),
        proposer: PublicKey::default(),
        transactions_root: Digest::default(),
        transaction_count: 0,
        state_root: Digest::default(),
    }
}

/// Present keys are the even record ids; an odd id is absent, between two present keys.
fn present(i: u64) -> StateKey {
    StateKey::record(RecordId(2 * i))
}

fn absent(i: u64) -> StateKey {
    StateKey::record(RecordId(2 * i + 1))
}

fn value(i: u64, version: u8) -> Vec<u8> {
    let mut value = vec![version; VALUE_BYTES];
    value[..8].copy_from_slice(&i.to_be_bytes());
    value
}

/// Starts the store, writes the state, reports its root, then proves each key it is sent.
fn start_store(
    dir: &std::path::Path,
) -> (
    Digest,
    mpsc::UnboundedSender<Job>,
    std::thread::JoinHandle<()>,
) {
    let config = tokio::Config::new()
        .with_worker_threads(2)
        .with_storage_directory(dir)
        .with_catch_panics(false);
    let (jobs, mut pending) = mpsc::unbounded::<Job>();
    let (root_tx, root_rx) = sync_channel(1);
    let thread = std::thread::spawn(move || {
        tokio::Runner::new(config).start(|context| async move {
            let mut store = Store::open(context.child("store"), &StoreConfig::node("bench"))
                .await
                .unwrap();
            let mut height = 0;
            for start in (0..ENTRIES).step_by(usize::try_from(PER_BLOCK).unwrap()) {
                let changes: ChangeSet = (start..start + PER_BLOCK)
                    .map(|i| (present(i), Some(value(i, 0))))
                    .collect();
                store.commit_changes(&changes, &info(height)).await.unwrap();
                height += 1;
            }
            // Rewrite a fifth of the entries, spread over the key space.
            for round in 0..REWRITE_BLOCKS {
                let changes: ChangeSet = (0..PER_BLOCK)
                    .map(|j| {
                        let i = (j * 5 + round) % ENTRIES;
                        (present(i), Some(value(i, 1)))
                    })
                    .collect();
                store.commit_changes(&changes, &info(height)).await.unwrap();
                height += 1;
            }
            root_tx.send(store.root().unwrap()).unwrap();
            while let Some((key, reply)) = pending.next().await {
                let started = Instant::now();
                let proof = store.prove(&key).await.unwrap();
                reply.send((proof, started.elapsed())).unwrap();
            }
            store.close().await.unwrap();
        });
    });
    (root_rx.recv().unwrap(), jobs, thread)
}

fn proofs(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (root, jobs, thread) = start_store(dir.path());
    let prove = |key: StateKey| {
        let (reply, proof) = sync_channel(1);
        jobs.unbounded_send((key, reply)).unwrap();
        proof.recv().unwrap()
    };
    let step = ENTRIES / SAMPLED_KEYS;
    let keys: Vec<(StateKey, StateKey)> = (0..SAMPLED_KEYS)
        .map(|k| (present(k * step + 7), absent(k * step + 7)))
        .collect();
    let (present_proofs, absent_proofs): (Vec<StateProof>, Vec<StateProof>) = keys
        .iter()
        .map(|(here, gone)| (prove(*here).0, prove(*gone).0))
        .unzip();
    assert!(matches!(present_proofs[0], StateProof::Present { .. }));
    assert!(matches!(absent_proofs[0], StateProof::Absent { .. }));
    let size = |proofs: &[StateProof]| {
        proofs.iter().map(|p| encode(p).len()).sum::<usize>() / proofs.len()
    };
    println!(
        "state: {ENTRIES} entries of {VALUE_BYTES} B, {} writes in {} blocks; mean encoded \
         proof: present {} B (with its value), absent {} B",
        ENTRIES + REWRITE_BLOCKS * PER_BLOCK,
        ENTRIES / PER_BLOCK + REWRITE_BLOCKS,
        size(&present_proofs),
        size(&absent_proofs)
    );

    let mut group = c.benchmark_group("proof");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    let mut next = 0;
    let mut cycle = || {
        next = (next + 1) % keys.len();
        next
    };
    group.bench_function("prove_present", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| prove(keys[cycle()].0).1).sum())
    });
    group.bench_function("prove_absent", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| prove(keys[cycle()].1).1).sum())
    });
    group.bench_function("verify_present", |b| {
        b.iter(|| {
            let i = cycle();
            verify(&keys[i].0, black_box(&present_proofs[i]), &root)
                .unwrap()
                .unwrap()
        })
    });
    group.bench_function("verify_absent", |b| {
        b.iter(|| {
            let i = cycle();
            assert!(
                verify(&keys[i].1, black_box(&absent_proofs[i]), &root)
                    .unwrap()
                    .is_none()
            );
        })
    });
    group.finish();
    drop(jobs);
    thread.join().unwrap();
}

criterion_group!(benches, proofs);
criterion_main!(benches);
