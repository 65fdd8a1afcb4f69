//! Parse throughput on a generated 100,000-account file.
//!
//! `cargo bench -p credence-metro2 --bench parse` reports bytes per second for reading the
//! file in the character and packed formats, and for writing and validating it, so each can be
//! compared against the 100 MB/s floor in the same run.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use credence_metro2::{Layout, generate, read, validate, write};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ACCOUNTS: usize = 100_000;
const SEED: u64 = 2024;

fn parse(c: &mut Criterion) {
    for (name, layout) in [
        ("character_fixed", Layout::character_fixed()),
        (
            "character_variable_blocked",
            Layout::character_variable_blocked(),
        ),
        ("packed", Layout::packed()),
    ] {
        let file = generate::file(ACCOUNTS, SEED, layout);
        let bytes = write(&file).expect("a generated file writes");
        let mut group = c.benchmark_group(format!("metro2_{name}"));
        group.throughput(Throughput::Bytes(
            u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        ));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(8));
        group.bench_function("read", |b| {
            b.iter(|| read(black_box(&bytes)).expect("reads"))
        });
        if name == "character_fixed" {
            group.bench_function("write", |b| {
                b.iter(|| write(black_box(&file)).expect("writes"))
            });
            group.bench_function("validate", |b| b.iter(|| validate(black_box(&file))));
        }
        group.finish();
    }
}

criterion_group!(benches, parse);
criterion_main!(benches);
