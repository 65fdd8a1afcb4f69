//! A quick measurement of the baseline, not a timed test: run with
//! `cargo test -p credence-bureau --release --test measure -- --ignored --nocapture`.
//! Environment: `BUREAU_RECORDS` (default 3000), `BUREAU_CONNECTIONS` (default 16),
//! `BUREAU_STANDBYS` (default `0,3`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use credence_bureau::Bureau;
use credence_ledger::testkit::{BANK_A, BANK_B, Borrower, Chain};
use credence_types::{Payload, SignedTransaction, metro2::AccountStatus};
use std::{
    net::TcpListener,
    time::{SystemTime, UNIX_EPOCH},
};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

#[test]
#[ignore = "a measurement: run by hand with --ignored --nocapture"]
fn measure_register_and_furnish() {
    let records: usize = env("BUREAU_RECORDS", "3000").parse().unwrap();
    let connections: usize = env("BUREAU_CONNECTIONS", "16").parse().unwrap();
    let subjects = 200;
    let mut chain = Chain::new();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    chain.time = credence_types::TimestampMs(u64::try_from(now.as_millis()).unwrap());
    let mut borrowers: Vec<Borrower> = (0..subjects).map(|i| Borrower::new(i as u64)).collect();
    let chain_id = chain.chain_id();
    let registrations: Vec<SignedTransaction> = (0..subjects)
        .map(|i| {
            let payload = chain.register(&borrowers[i]);
            borrowers[i].signer.sign(&chain_id, payload).into_signed()
        })
        .collect();
    let furnishings: Vec<SignedTransaction> = (0..records)
        .map(|i| {
            let subject = i % subjects;
            let furnisher = [BANK_A, BANK_B][i % 2];
            let furnishing = chain.furnishing(
                &borrowers[subject],
                &format!("acct-{subject}-{furnisher}"),
                AccountStatus::Current,
                None,
            );
            chain
                .member_tx(furnisher, Payload::FurnishRecord(furnishing))
                .into_signed()
        })
        .collect();
    for standbys in env("BUREAU_STANDBYS", "0,3").split(',') {
        let standbys: usize = standbys.trim().parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let count = u16::try_from(standbys).unwrap();
        let port = (24_000..30_000)
            .step_by(16)
            .find(|base: &u16| {
                (*base..=base + count).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok())
            })
            .unwrap();
        let mut bureau = Bureau::start(dir.path(), port, standbys).unwrap();
        bureau.genesis(&chain.genesis).unwrap();
        let registered = bureau.drive(&registrations, connections, 0.0).unwrap();
        assert_eq!(registered.applied, subjects, "{registered:#?}");
        let before = bureau.bytes_on_disk().unwrap();
        let measured = bureau.drive(&furnishings, connections, 0.1).unwrap();
        assert_eq!(measured.applied, records, "{measured:#?}");
        let after = bureau.bytes_on_disk().unwrap();
        println!(
            "standbys {standbys}, connections {connections}: register {:.0} tx/s; furnish \
             {:.0} tx/s, p50 {:.2} ms, p99 {:.2} ms, retries {}; data dir {:.1} MiB (+{:.0} B \
             per record)",
            registered.throughput_tps,
            measured.throughput_tps,
            measured.latency_ms_p50,
            measured.latency_ms_p99,
            measured.retries,
            after as f64 / (1 << 20) as f64,
            after.saturating_sub(before) as f64 / records as f64,
        );
        bureau.stop().unwrap();
    }
}
