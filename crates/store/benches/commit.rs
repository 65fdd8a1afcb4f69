//! A block's trip through the store, per block size: execute it against committed state
//! (loading what it reads), merkleize its changes (the state root), apply and commit them
//! durably — on the tokio runtime, to a temporary directory on disk, with the node's store
//! settings, as a validator does for every finalised block.
//!
//! The blocks are real: the testkit workload's mix (furnishing, consents, inquiries,
//! disputes, lending) over 2,000 subjects, built and applied in memory (untimed) so each one
//! applies on top of the last; the store's outcome is checked against the in-memory one. The
//! store lives in a task on its own runtime thread, which times each phase and reports back;
//! the split is printed after each size.
#![allow(missing_docs, clippy::unwrap_used)]

use commonware_runtime::{Runner as _, Supervisor as _, tokio};
use credence_ledger::{
    genesis::genesis_state,
    testkit::{Chain, RecordedBlock, Workload},
};
use credence_store::{Store, StoreConfig, execute};
use credence_types::{Block, BlockHeader, Digest, block::transactions_root, receipt::Outcome};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use futures::{StreamExt as _, channel::mpsc};
use std::{
    sync::mpsc::{SyncSender, sync_channel},
    time::{Duration, Instant},
};

const SUBJECTS: usize = 2_000;
const SIZES: [usize; 3] = [100, 1_000, 5_000];
/// Block interval of the generated chain.
const INTERVAL_MS: u64 = 2_000;

/// Where one block's time went in the store.
#[derive(Clone, Copy, Debug)]
struct Timing {
    execute: Duration,
    merkleize: Duration,
    commit: Duration,
    applied: usize,
    writes: usize,
}

impl Timing {
    fn total(&self) -> Duration {
        self.execute + self.merkleize + self.commit
    }
}

/// A block for the store task to execute and commit, and where to report.
type Job = (RecordedBlock, SyncSender<Timing>);

fn header(block: &RecordedBlock) -> BlockHeader {
    BlockHeader {
        parent: Digest::of("bench-block", &[&block.context.height.0.to_be_bytes()]),
        height: block.context.height,
        time: block.context.time,
        proposer: block.context.proposer,
        transactions_root: transactions_root(block.transactions.iter().map(|t| t.hash())),
        transaction_count: u32::try_from(block.transactions.len()).unwrap(),
        state_root: Digest::default(),
    }
}

/// Starts the store on the tokio runtime in a directory of its own, commits `genesis`, then
/// executes and commits each block it is sent, in order.
fn start_store(
    chain: &Chain,
    dir: &std::path::Path,
) -> (mpsc::UnboundedSender<Job>, std::thread::JoinHandle<()>) {
    let genesis = genesis_state(&chain.genesis).unwrap();
    let genesis_header = Block::genesis(chain.genesis.genesis_time, Digest::default()).header;
    let config = tokio::Config::new()
        .with_worker_threads(2)
        .with_storage_directory(dir)
        .with_catch_panics(false);
    let (jobs, mut pending) = mpsc::unbounded::<Job>();
    let thread = std::thread::spawn(move || {
        tokio::Runner::new(config).start(|context| async move {
            let mut store = Store::open(context.child("store"), &StoreConfig::node("bench"))
                .await
                .unwrap();
            store
                .commit_changes(&genesis, &genesis_header)
                .await
                .unwrap();
            while let Some((block, reply)) = pending.next().await {
                let header = header(&block);
                let started = Instant::now();
                let outcome = execute(&store, &[], block.context, &block.transactions)
                    .await
                    .unwrap();
                let executed = Instant::now();
                let staged = store
                    .speculate(None, &outcome.changes, &header)
                    .await
                    .unwrap();
                let merkleized = Instant::now();
                store.commit(staged).await.unwrap();
                let committed = Instant::now();
                assert_eq!(outcome, block.outcome, "the store executes as in memory");
                let applied = outcome
                    .receipts
                    .iter()
                    .filter(|r| r.outcome == Outcome::Applied)
                    .count();
                reply
                    .send(Timing {
                        execute: executed - started,
                        merkleize: merkleized - executed,
                        commit: committed - merkleized,
                        applied,
                        writes: outcome.changes.len(),
                    })
                    .unwrap();
            }
            store.close().await.unwrap();
        });
    });
    (jobs, thread)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn commit(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let mut workload = Workload::new(7, SUBJECTS);
    let (jobs, thread) = start_store(&chain, dir.path());
    let run = |block: RecordedBlock| {
        let (reply, timing) = sync_channel(1);
        jobs.unbounded_send((block, reply)).unwrap();
        timing.recv().unwrap()
    };

    // History: registrations, a lending market, then mixed blocks.
    let mut history = workload.register_all(&mut chain, 500);
    history.extend(workload.open_market(&mut chain, 500));
    for _ in 0..4 {
        history.push(workload.block(&mut chain, 1_000, INTERVAL_MS));
    }
    let blocks = history.len();
    for block in history {
        run(block);
    }
    println!(
        "store: {} state entries after {} blocks; node settings (256 MiB cache), tokio \
         runtime, on disk in {}",
        chain.state.len(),
        blocks + 1,
        dir.path().display()
    );

    let mut group = c.benchmark_group("execute_commit");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for size in SIZES {
        let mut timings = Vec::new();
        group.throughput(Throughput::Elements(size as u64));
        group.bench_function(format!("{size}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        // Untimed: the next block of the mix, applied in memory.
                        let block = workload.block(&mut chain, size, INTERVAL_MS);
                        let timing = run(block);
                        timings.push(timing);
                        timing.total()
                    })
                    .sum()
            })
        });
        let applied: usize = timings.iter().map(|t| t.applied).sum();
        let writes: usize = timings.iter().map(|t| t.writes).sum();
        let blocks = timings.len();
        println!(
            "{size} transactions a block: {blocks} blocks, {}% applied, {} writes a block; \
             median execute {:?}, merkleize {:?}, apply+commit {:?}; state now {} entries",
            applied * 100 / (blocks * size),
            writes / blocks,
            median(timings.iter().map(|t| t.execute).collect()),
            median(timings.iter().map(|t| t.merkleize).collect()),
            median(timings.iter().map(|t| t.commit).collect()),
            chain.state.len()
        );
    }
    group.finish();
    drop(jobs);
    thread.join().unwrap();
}

criterion_group!(benches, commit);
criterion_main!(benches);
