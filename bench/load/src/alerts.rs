//! The `alerts` scenario: how long an adverse record takes from its submission to the risk
//! feed of a lender monitoring the borrower — the promise that a default reaches every risk
//! desk at once, measured.
//!
//! Each subject of a fresh population grants the second bank an account-review consent (not
//! timed). One adverse record per subject, from the first bank, is sealed and signed before
//! the clock starts, then submitted open-loop at `--alert-rate` while the second bank's
//! feed (`/v1/events?watcher=…`) is followed on its own validator. A record's latency runs
//! from its intended send time to its alert's arrival.

use super::{
    Outcome, percentile,
    world::{
        DevnetTarget, Target, World, accounts, furnish, in_thirty_days, now_ms, register, tradeline,
    },
};
use anyhow::Context as _;
use credence_types::{
    SubjectId,
    api::EventsQuery,
    metro2::AccountStatus,
    receipt::Event,
    time::Date,
    transaction::{InquiryKind, Purpose},
};
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

/// Runs the scenario on `devnet`.
pub fn run(devnet: &World) -> anyhow::Result<Outcome> {
    let options = &devnet.options;
    let nodes = &devnet.nodes;
    anyhow::ensure!(
        nodes.len() >= 2,
        "the alerts scenario needs two validator banks"
    );
    let chain = devnet.chain();
    let runtime = &devnet.runtime;
    let lender = &devnet.banks[1];
    let mut target = DevnetTarget::new(devnet);
    let mut accounts = accounts(&mut target, &devnet.banks, chain)?;
    let count = usize::try_from(options.alert_rate * options.duration)?.max(1);
    eprintln!(
        "  registering {count} subjects who let {} monitor them…",
        lender.id
    );
    let mut population = register(&mut target, devnet, count)?;
    let expires = in_thirty_days();
    let mut consents = Vec::with_capacity(count);
    for subject in &mut population {
        consents.push(subject.consent(
            lender,
            Purpose::AccountReview,
            InquiryKind::Soft,
            expires,
        )?);
    }
    target.apply(&consents)?;
    let lender = lender.id;

    eprintln!("  sealing and signing {count} adverse records…");
    let today = now_ms().date();
    let mut load = Vec::with_capacity(count);
    for (i, subject) in population.iter().enumerate() {
        let account = format!("late-{i}");
        let mut line = tradeline(&account, 1, today)?;
        line.account_status = AccountStatus::PastDue30;
        line.first_delinquency = Some(Date(today.0.saturating_sub(35)));
        load.push((subject.id, furnish(&mut accounts[0], 0, subject, line)?));
    }

    eprintln!(
        "  submitting {} adverse records a second for {}s…",
        options.alert_rate, options.duration
    );
    let (latencies, refused) = runtime.block_on(async {
        let mut feed = nodes[1]
            .events(
                &EventsQuery {
                    kinds: Some("adverse".to_string()),
                    watcher: Some(lender),
                    ..EventsQuery::default()
                },
                None,
            )
            .await
            .context("opening the lender's risk feed")?;
        let start = Instant::now() + Duration::from_millis(500);
        let interval = Duration::from_secs_f64(1.0 / options.alert_rate as f64);
        let mut intended = HashMap::with_capacity(count);
        let submitter = {
            let nodes = nodes.to_vec();
            let load: Vec<_> = load
                .iter()
                .enumerate()
                .map(|(i, (_, tx))| {
                    (
                        start + interval * u32::try_from(i).unwrap_or(u32::MAX),
                        tx.clone(),
                    )
                })
                .collect();
            tokio::spawn(async move {
                let mut refused = 0usize;
                for (at, transaction) in load {
                    tokio::time::sleep_until(at.into()).await;
                    // Each signer's transactions to one validator, in nonce order.
                    let home = usize::from(transaction.transaction.signer.0[0]) % nodes.len();
                    if nodes[home].submit(&transaction).await.is_err() {
                        refused += 1;
                    }
                }
                refused
            })
        };
        for (i, (subject, _)) in load.iter().enumerate() {
            intended.insert(*subject, start + interval * u32::try_from(i)?);
        }
        let deadline = start + interval * u32::try_from(count)? + Duration::from_secs(15);
        let mut arrived: HashMap<SubjectId, Instant> = HashMap::with_capacity(count);
        while arrived.len() < count {
            let Ok(next) = tokio::time::timeout_at(deadline.into(), feed.next()).await else {
                break;
            };
            let Some(streamed) = next? else { break };
            if let Event::Adverse { subject, .. } = streamed.event
                && intended.contains_key(&subject)
            {
                arrived.entry(subject).or_insert_with(Instant::now);
            }
        }
        // Every submission's time has passed by now, so the submitter has finished.
        let refused = submitter.await.unwrap_or(count);
        let mut latencies: Vec<f64> = arrived
            .iter()
            .filter_map(|(subject, at)| {
                intended
                    .get(subject)
                    .map(|sent| at.saturating_duration_since(*sent).as_secs_f64() * 1_000.0)
            })
            .collect();
        latencies.sort_by(f64::total_cmp);
        anyhow::Ok((latencies, refused))
    })?;
    Ok(Outcome {
        name: "alerts",
        offered: options.alert_rate,
        tps: latencies.len() as f64 / options.duration as f64,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        bound_ratio: None,
        furnish_ratio: None,
        unfinished: count.saturating_sub(latencies.len()),
        refused,
        throttled: 0,
        retries: 0,
        admitted_p99_ms: None,
        admitted_unfinished: 0,
        audit: None,
        usage: Vec::new(),
        disk_bytes_per_tx: None,
        limits: None,
        baseline: Vec::new(),
        timeline: Vec::new(),
    })
}
