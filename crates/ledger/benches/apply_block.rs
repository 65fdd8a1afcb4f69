//! `apply_block` on a realistic mixed block — mostly furnishing, with consents, inquiries,
//! disputes and a fifth lending (loan offers, acceptances and repayments, asset transfers,
//! payments) — in memory, with the machine's single-core signature verification rate over the
//! same transactions measured beside it: the state machine's cost is read as a ratio to the
//! cost of merely checking the block's signatures.
#![allow(missing_docs, clippy::unwrap_used)]

use commonware_parallel::Sequential;
use credence_crypto::verify_batch;
use credence_ledger::{
    apply_block,
    testkit::{Chain, Workload},
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const SUBJECTS: usize = 2_000;
const BLOCK: usize = 1_000;

fn mixed(c: &mut Criterion) {
    let mut chain = Chain::new();
    let mut workload = Workload::new(7, SUBJECTS);
    workload.register_all(&mut chain, 500);
    workload.open_market(&mut chain, 500);
    // Build up history: records, consents, disputes.
    for _ in 0..8 {
        workload.block(&mut chain, BLOCK, 60_000);
    }
    let state = chain.state.clone();
    let block = workload.block(&mut chain, BLOCK, 60_000);
    let mut kinds =
        std::collections::BTreeMap::<credence_types::transaction::PayloadKind, usize>::new();
    for (tx, receipt) in block.transactions.iter().zip(&block.outcome.receipts) {
        if receipt.outcome == credence_types::receipt::Outcome::Applied {
            *kinds.entry(tx.transaction().payload.kind()).or_default() += 1;
        }
    }
    let applied: usize = kinds.values().sum();
    println!(
        "mixed block: {BLOCK} transactions, {applied} applied, over {} state entries: {kinds:?}",
        state.len()
    );

    let mut group = c.benchmark_group("mixed_block");
    group.throughput(Throughput::Elements(BLOCK as u64));
    group.sample_size(20);
    group.bench_function("apply_block", |b| {
        b.iter(|| {
            apply_block(
                black_box(&state),
                &block.context,
                black_box(&block.transactions),
            )
            .unwrap()
        })
    });
    let signed: Vec<_> = block
        .transactions
        .iter()
        .map(|t| t.signed().clone())
        .collect();
    group.bench_function("limit_ed25519_batch_verify_one_core", |b| {
        b.iter(|| verify_batch(black_box(signed.clone()), &Sequential).unwrap())
    });
    group.finish();

    // The ratio, measured in this run: the state machine's cost against the cost of merely
    // checking the same block's signatures on one core.
    let apply = median_nanos(|| {
        apply_block(&state, &block.context, &block.transactions).unwrap();
    });
    let verify = median_nanos(|| {
        verify_batch(signed.clone(), &Sequential).unwrap();
    });
    println!(
        "apply_block: {apply} ns per block; one-core signature check: {verify} ns per block; \
         ratio verify / apply = {}.{:02} (above 1: applying costs less than verifying)",
        verify / apply.max(1),
        verify * 100 / apply.max(1) % 100
    );
}

/// The median of 21 timed runs of `f`, in nanoseconds. (A benchmark measures the wall clock;
/// the ledger's ban on clocks is for the state machine, which this is not.)
#[allow(clippy::disallowed_methods, clippy::disallowed_types)]
fn median_nanos(mut f: impl FnMut()) -> u128 {
    let mut times: Vec<u128> = (0..21)
        .map(|_| {
            let started = std::time::Instant::now();
            f();
            started.elapsed().as_nanos()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

criterion_group!(benches, mixed);
criterion_main!(benches);
