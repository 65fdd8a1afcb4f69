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
}

criterion_group!(benches, mixed);
criterion_main!(benches);
