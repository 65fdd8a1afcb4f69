//! Admitting one transaction: decode its canonical bytes (with the size limits of
//! `types::limits`) and verify its signature (ZIP-215, one at a time, hashing it as
//! `verify_one` does), per payload kind — the work a node does for every transaction a client
//! submits or a peer gossips, before the mempool. The payloads are the testkit's fixed ones
//! (the furnishing carries a 400-byte sealed payload), so the sizes are stable from run to run.
#![allow(missing_docs, clippy::unwrap_used)]

use credence_crypto::verify_one;
use credence_ledger::testkit::{Signer, fixed_payloads};
use credence_types::{
    SignedTransaction,
    codec::{decode, encode},
    genesis::ChainId,
    transaction::PayloadKind,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::{hint::black_box, time::Duration};

/// The kinds measured: the ones a busy network admits most, and the largest.
const KINDS: [PayloadKind; 8] = [
    PayloadKind::RegisterSubject,
    PayloadKind::FurnishRecord,
    PayloadKind::GrantConsent,
    PayloadKind::RecordInquiry,
    PayloadKind::OfferLoan,
    PayloadKind::RepayLoan,
    PayloadKind::TransferAsset,
    PayloadKind::TransferFunds,
];

fn transactions(c: &mut Criterion) {
    let chain = ChainId::new("credence-bench").unwrap();
    let mut signer = Signer::from_seed(42);
    let encoded: Vec<(PayloadKind, Vec<u8>)> = fixed_payloads()
        .into_iter()
        .filter(|payload| KINDS.contains(&payload.kind()))
        .map(|payload| {
            let kind = payload.kind();
            (kind, encode(signer.sign(&chain, payload).signed()))
        })
        .collect();
    assert_eq!(encoded.len(), KINDS.len(), "every kind has a fixed payload");
    let sizes: Vec<String> = encoded
        .iter()
        .map(|(kind, bytes)| format!("{kind:?} {} B", bytes.len()))
        .collect();
    println!("signed transaction sizes: {}", sizes.join(", "));

    let mut group = c.benchmark_group("decode_verify");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_millis(1_500));
    for (kind, bytes) in &encoded {
        group.bench_function(format!("{kind:?}"), |b| {
            b.iter(|| {
                let signed: SignedTransaction = decode(black_box(bytes)).unwrap();
                verify_one(signed).unwrap()
            })
        });
    }
    group.finish();

    // Decoding alone, to show how little of admission it is.
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_millis(1_000));
    for (kind, bytes) in &encoded {
        group.bench_function(format!("{kind:?}"), |b| {
            b.iter(|| decode::<SignedTransaction>(black_box(bytes)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, transactions);
criterion_main!(benches);
