//! Faults: a validator cut off and reconnected (it catches up by backfill), a 2/2 split (no
//! finalisation while split, progress after healing, no fork), random crashes and restarts
//! of up to f validators, and a crash of the whole runtime that loses unsynced writes. Every
//! scenario ends with the same invariants as a healthy network.
#![allow(clippy::unwrap_used)]

use commonware_runtime::{Clock as _, Runner as _, Supervisor as _, deterministic};
use credence_ledger::testkit::{GENESIS_TIME, Rng};
use credence_sim::{Config, Journal, OrFail as _, Simulation, for_each_seed, runtime};
use futures::future::{Either, select};
use std::time::Duration;

mod common;

const PACE: Duration = Duration::from_millis(150);

fn index(seed: u64, validators: usize) -> usize {
    usize::try_from(seed).unwrap() % validators
}

/// One validator is cut off from the others while they keep finalising and clients keep
/// submitting (some to it); once reconnected it backfills what it missed and the network
/// finalises everything, with no fork.
fn isolated(seed: u64, validators: usize) {
    let (consortium, workload) = common::workload(validators, seed, 40);
    let summary = deterministic::Runner::new(runtime(seed)).start(|context| async move {
        let mut sim = common::start(context, consortium, Config::default()).await;
        let isolated = index(seed, validators);
        let others: Vec<usize> = (0..validators).filter(|i| *i != isolated).collect();
        let (before, during) = workload.split_at(workload.len() / 2);

        sim.submit_paced(before, 8, PACE).await;
        sim.wait_until("first blocks", Duration::from_secs(30), |s| s.min_height() >= 3)
            .await
            .or_fail();
        sim.partition(&[&others]).await.or_fail();
        sim.submit_paced(during, 8, PACE).await;
        let target = sim.max_height() + 10;
        sim.wait_until(
            "the others finalising without the isolated validator",
            Duration::from_secs(60),
            |s| others.iter().all(|i| s.heights()[*i] >= target),
        )
        .await
        .or_fail();
        let behind = sim.heights()[isolated];
        assert!(
            behind + 5 < target,
            "validator {isolated} kept committing while cut off: height {behind}, the others {target}"
        );

        sim.heal().await.or_fail();
        let caught = sim.max_height();
        sim.wait_until(
            "the isolated validator catching up",
            Duration::from_secs(60),
            |s| s.heights()[isolated] >= caught,
        )
        .await
        .or_fail();
        sim.settle_and_verify(caught + 2, Duration::from_secs(60))
            .await
            .or_fail()
    });
    common::report("isolated_validator_catches_up", seed, &summary);
}

#[test]
fn isolated_validator_catches_up() {
    for_each_seed("isolated_validator_catches_up", 0..2, |seed| {
        isolated(seed, 4)
    });
}

#[test]
fn isolated_validator_catches_up_seven() {
    for_each_seed("isolated_validator_catches_up_seven", 0..1, |seed| {
        isolated(seed, 7);
    });
}

/// Four validators split 2/2: neither half has a quorum, so nothing is finalised while
/// split; after healing the network finalises again, on one chain.
fn split(seed: u64) {
    let (consortium, workload) = common::workload(4, seed, 36);
    let summary = deterministic::Runner::new(runtime(seed)).start(|context| async move {
        let mut sim = common::start(context, consortium, Config::default()).await;
        let thirds: Vec<_> = workload.chunks(workload.len().div_ceil(3)).collect();

        sim.submit_paced(thirds[0], 8, PACE).await;
        sim.wait_until("first blocks", Duration::from_secs(30), |s| {
            s.min_height() >= 3
        })
        .await
        .or_fail();
        sim.partition(&[&[0, 1], &[2, 3]]).await.or_fail();
        // Blocks finalised just before the split may still be committing.
        sim.sleep(Duration::from_secs(2)).await;
        let frozen = sim.max_height();
        sim.submit_paced(thirds[1], 8, PACE).await;
        sim.sleep(Duration::from_secs(10)).await;
        assert_eq!(
            sim.max_height(),
            frozen,
            "a block was finalised while the network was split 2/2: heights {:?}",
            sim.heights()
        );

        sim.heal().await.or_fail();
        sim.wait_until("progress after healing", Duration::from_secs(60), |s| {
            s.min_height() >= frozen + 3
        })
        .await
        .or_fail();
        sim.submit_paced(thirds.get(2).copied().unwrap_or_default(), 8, PACE)
            .await;
        sim.settle_and_verify(frozen + 5, Duration::from_secs(60))
            .await
            .or_fail()
    });
    common::report("split_brain_halts_then_recovers", seed, &summary);
}

#[test]
fn split_brain_halts_then_recovers() {
    for_each_seed("split_brain_halts_then_recovers", 0..2, split);
}

/// Rounds of crashing up to f random validators (all their tasks aborted at once, unsynced
/// writes lost), running without them, and restarting them from their storage, while
/// clients submit. A retrying client resubmits what a crash lost from a mempool.
fn crashes(seed: u64, validators: usize, rounds: usize) {
    let faults = (validators - 1) / 3;
    let (consortium, workload) = common::workload(validators, seed, 16 * rounds);
    let summary = deterministic::Runner::new(runtime(seed)).start(|context| async move {
        let mut rng = Rng::new(seed);
        let mut sim = common::start(context, consortium, Config::default()).await;
        let chunks: Vec<_> = workload
            .chunks(workload.len().div_ceil(2 * rounds))
            .collect();
        let mut chunks = chunks.into_iter();
        sim.wait_until("first blocks", Duration::from_secs(30), |s| {
            s.min_height() >= 2
        })
        .await
        .or_fail();
        for _ in 0..rounds {
            let mut down: Vec<usize> = Vec::new();
            while down.len() < 1 + rng.below(faults) {
                let victim = rng.below(validators);
                if !down.contains(&victim) {
                    down.push(victim);
                }
            }
            for victim in &down {
                sim.crash(*victim).await.or_fail();
            }
            sim.submit_paced(chunks.next().unwrap_or_default(), 8, PACE)
                .await;
            sim.sleep(Duration::from_millis(1_000 + 500 * rng.below(6) as u64))
                .await;
            for victim in &down {
                sim.restart(*victim).await.or_fail();
            }
            sim.submit_paced(chunks.next().unwrap_or_default(), 8, PACE)
                .await;
            sim.sleep(Duration::from_millis(1_000 + 500 * rng.below(4) as u64))
                .await;
        }
        // A client retries what it has no receipt for after a while.
        sim.sleep(Duration::from_secs(3)).await;
        sim.resubmit_unfinalized(&workload).await;
        let height = sim.max_height() + 3;
        sim.settle_and_verify(height, Duration::from_secs(90))
            .await
            .or_fail()
    });
    common::report("crashes_and_restarts", seed, &summary);
}

#[test]
fn crashes_and_restarts_four() {
    for_each_seed("crashes_and_restarts_four", 0..3, |seed| {
        crashes(seed, 4, 3)
    });
}

#[test]
fn crashes_and_restarts_seven() {
    for_each_seed("crashes_and_restarts_seven", 0..2, |seed| {
        crashes(seed, 7, 2)
    });
}

/// The whole runtime crashes at random instants (every task dropped, unsynced writes
/// lost) and recovers from its storage, several times; each validator recovers at least
/// every block it had announced as committed, and the network then finalises everything.
fn whole_runtime(seed: u64, crashes: usize) {
    let (consortium, workload) = common::workload(4, seed, 32);
    // The runtime starts at the testkit's genesis time (see `runtime`): genesis is now.
    let consortium = consortium.with_genesis_time(GENESIS_TIME);
    let journal = Journal::new(4);
    let mut rng = Rng::new(seed);
    let chunks: Vec<Vec<_>> = workload
        .chunks(workload.len().div_ceil(crashes + 1))
        .map(<[_]>::to_vec)
        .collect();
    let mut checkpoint = None;
    for run in 0..=crashes {
        let runner = match checkpoint.take() {
            None => deterministic::Runner::new(runtime(seed)),
            Some(checkpoint) => deterministic::Runner::from(checkpoint),
        };
        // Crash anywhere from mid-submission (losing mempools) to after it.
        let crash_after =
            (run < crashes).then(|| Duration::from_millis(100 + 50 * rng.below(30) as u64));
        let sent: Vec<_> = chunks[..run.min(chunks.len())].concat();
        let chunk = chunks.get(run).cloned().unwrap_or_default();
        let (consortium, journal) = (consortium.clone(), journal.clone());
        let (outcome, recovered) = runner.start_and_recover(|context| async move {
            common::logging();
            let timer = context.child("crash");
            let mut sim = Simulation::start(context, Config::default(), consortium, journal)
                .await
                .or_fail();
            // Durability: every block a validator announced survived the crash.
            let heights = sim.heights();
            for (index, tip) in sim.tips().await.into_iter().enumerate() {
                let (height, _) = tip.unwrap();
                assert!(
                    height >= heights[index],
                    "run {run}: validator {index} recovered at height {height}, but had announced {}",
                    heights[index]
                );
            }
            let work = async {
                // Mempools died with the runtime, and the client may have crashed before
                // sending everything: it sends again whatever is not committed.
                sim.resubmit_unfinalized(&sent).await;
                sim.submit_paced(&chunk, 8, PACE).await;
                match crash_after {
                    Some(_) => futures::future::pending().await,
                    None => {
                        let height = sim.max_height() + 3;
                        sim.settle_and_verify(height, Duration::from_secs(90))
                            .await
                            .or_fail()
                    }
                }
            };
            match crash_after {
                None => Some(work.await),
                Some(after) => match select(Box::pin(work), Box::pin(timer.sleep(after))).await {
                    Either::Left((summary, _)) => Some(summary),
                    Either::Right(((), _)) => None,
                },
            }
        });
        checkpoint = Some(recovered);
        if let Some(summary) = outcome {
            common::report("whole_runtime_crashes_recover", seed, &summary);
        }
    }
}

#[test]
fn whole_runtime_crashes_recover() {
    for_each_seed("whole_runtime_crashes_recover", 0..2, |seed| {
        whole_runtime(seed, 3)
    });
}

#[test]
#[ignore = "larger sweep: run with --ignored"]
fn faults_sweep() {
    for_each_seed("faults_sweep", 100..110, |seed| {
        isolated(seed, 4);
        isolated(seed, 7);
        split(seed);
        crashes(seed, 4, 5);
        crashes(seed, 7, 4);
        whole_runtime(seed, 5);
    });
}
