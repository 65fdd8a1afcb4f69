//! The `inquiry` scenario: a lender assembling credit reports. Subjects with fifty records
//! each (from every bank) consent to a lender (untimed); then readers, closed-loop, assemble
//! the report of a subject after subject through the API, each record read with its state
//! proof and checked against a header finalised by a quorum of the genesis validators, each
//! record opened with the consented key and checked against its commitment.
//!
//! `--readers` readers read at once (default: one a core), spread over the validators. What is timed is the report's assembly; recording
//! the inquiry on the ledger is a transaction like any other, measured in `mixed`.

use super::{
    Outcome, percentile, usage,
    world::{self, DevnetTarget, Target, World, accounts, now_ms, register, tradeline},
};
use anyhow::{Context as _, ensure};
use credence_client::{light::Validators, report};
use credence_types::{
    ConsentId,
    transaction::{InquiryKind, Purpose},
};
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Records on each subject's file.
pub const RECORDS: usize = 50;

/// Runs the scenario on `devnet`, with `--inquiry-subjects` subjects on file and
/// `--readers` readers.
pub fn run(devnet: &World) -> anyhow::Result<Outcome> {
    let (subjects, readers) = (
        devnet.options.inquiry_subjects,
        devnet.options.readers.max(1),
    );
    let chain = devnet.chain().clone();
    let mut target = DevnetTarget::new(devnet);
    let lending = 1 % devnet.banks.len();
    let lender = devnet.banks[lending].clone();
    eprintln!(
        "  {subjects} subjects with {RECORDS} records each consent to {}…",
        lender.id
    );
    let mut population = register(&mut target, devnet, subjects)?;
    let expires = world::in_thirty_days();
    let mut consents = Vec::with_capacity(subjects);
    for subject in &mut population {
        consents.push(subject.consent(
            &lender,
            Purpose::CreditApplication,
            InquiryKind::Hard,
            expires,
        )?);
    }
    let consents: Vec<ConsentId> = target
        .apply(&consents)?
        .into_iter()
        .map(|id| id.map(ConsentId).context("no consent created"))
        .collect::<anyhow::Result<_>>()?;
    let mut banks = accounts(&mut target, &devnet.banks, &chain)?;
    let today = now_ms().date();
    let mut records = Vec::with_capacity(subjects * RECORDS);
    for (index, subject) in population.iter().enumerate() {
        for k in 0..RECORDS {
            let bank = k % banks.len();
            let account = format!("file-{index}-{k}");
            records.push(world::furnish(
                &mut banks[bank],
                bank,
                subject,
                tradeline(&account, 1, today)?,
            )?);
        }
    }
    target.apply(&records)?;

    let validators = Validators::of(&devnet.network);
    let options = devnet.options.clone();
    let nodes = devnet.nodes.clone();
    let subjects: Arc<Vec<_>> = Arc::new(
        population
            .iter()
            .zip(&consents)
            .map(|(subject, consent)| (subject.id, *consent))
            .collect(),
    );
    eprintln!(
        "  {readers} readers assemble verified reports for {}s warm-up + {}s measured…",
        options.warmup, options.duration
    );
    let (latencies, usage) = devnet.runtime.block_on(async {
        let start = Instant::now();
        let warmup_end = start + Duration::from_secs(options.warmup);
        let end = warmup_end + Duration::from_secs(options.duration);
        let sampler = tokio::spawn(usage::sample(
            usage::node_pids(&options.dir, nodes.len()),
            warmup_end,
            end,
        ));
        let latencies = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::with_capacity(readers);
        for reader in 0..readers {
            let node = nodes[reader % nodes.len()].clone();
            // A reader's validators are its own: each follows one node's heights, which
            // only grow (another node may be a block behind).
            let (validators, subjects, latencies) = (
                validators.fresh_clone(),
                Arc::clone(&subjects),
                Arc::clone(&latencies),
            );
            let key = lender.keys.encryption.clone();
            tasks.push(tokio::spawn(async move {
                let mut turn = reader;
                while Instant::now() < end {
                    let (subject, consent) = subjects[(turn * 7) % subjects.len()];
                    turn += readers;
                    let began = Instant::now();
                    let report = report::fetch(
                        &node,
                        &validators,
                        &subject,
                        lender.id,
                        &key,
                        consent,
                        today,
                        report::Freshness::default(),
                    )
                    .await?;
                    let took = began.elapsed().as_secs_f64() * 1_000.0;
                    ensure!(
                        report.accounts.len() == RECORDS,
                        "a report showed {} accounts, not {RECORDS}",
                        report.accounts.len()
                    );
                    if began >= warmup_end && began < end {
                        latencies.lock().expect("never poisoned").push(took);
                    }
                }
                anyhow::Ok(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        let usage = sampler.await.unwrap_or_default();
        let latencies = std::mem::take(&mut *latencies.lock().expect("never poisoned"));
        anyhow::Ok((latencies, usage))
    })?;
    let mut latencies = latencies;
    latencies.sort_by(f64::total_cmp);
    Ok(Outcome {
        name: "inquiry",
        offered: 0,
        tps: latencies.len() as f64 / options.duration.max(1) as f64,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        bound_ratio: None,
        furnish_ratio: None,
        unfinished: 0,
        refused: 0,
        throttled: 0,
        retries: 0,
        admitted_p99_ms: None,
        admitted_unfinished: 0,
        audit: None,
        usage,
        disk_bytes_per_tx: None,
        limits: None,
        baseline: Vec::new(),
        timeline: Vec::new(),
    })
}
