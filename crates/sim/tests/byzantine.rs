//! One Byzantine validator of four (and two of seven), running simplex's Byzantine mocks in
//! place of their nodes on their own identities: the honest validators keep finalising,
//! agree on every block and state root, and finalise every accepted transaction exactly
//! once. Where
//! the misbehaviour is attributable from votes alone, every honest validator blocks it.
#![allow(clippy::unwrap_used)]

use commonware_consensus::{
    simplex::{
        elector::RoundRobin,
        mocks::{conflicter, equivocator, nuller, relay::Relay},
    },
    types::Epoch,
};
use commonware_cryptography::Sha256;
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use credence_sim::{ByzantineEngine, Config, OrFail as _, for_each_seed, runtime};
use std::{sync::Arc, time::Duration};

mod common;

/// Sends nullify and finalize for every view it sees notarised.
fn nuller() -> ByzantineEngine {
    Arc::new(|context, setup| {
        let engine = nuller::Nuller::<_, _, Sha256>::new(
            context.child("nuller"),
            nuller::Config {
                scheme: setup.scheme,
            },
        );
        // The task runs under the validator's context; dropping its handle does not stop it.
        drop(engine.start(setup.votes));
    })
}

/// Notarises and finalises a random digest as well as every one it sees.
fn conflicter() -> ByzantineEngine {
    Arc::new(|context, setup| {
        let engine = conflicter::Conflicter::<_, _, Sha256>::new(
            context.child("conflicter"),
            conflicter::Config {
                scheme: setup.scheme,
            },
        );
        // The task runs under the validator's context; dropping its handle does not stop it.
        drop(engine.start(setup.votes));
    })
}

/// When leader, proposes two payloads, notarising one to a victim and the other to the rest.
fn equivocator() -> ByzantineEngine {
    Arc::new(|context, setup| {
        let engine = equivocator::Equivocator::<_, _, RoundRobin<Sha256>, Sha256>::new(
            context.child("equivocator"),
            equivocator::Config {
                scheme: setup.scheme,
                elector: RoundRobin::<Sha256>::default(),
                epoch: Epoch::zero(),
                relay: Arc::new(Relay::new()),
            },
        );
        drop(engine.start(setup.votes, setup.certificates));
    })
}

/// Runs `validators` validators, `byzantine` of them (indices chosen by the seed) running
/// the given engines; where `blocked`, every honest validator must have blocked each of
/// them.
fn scenario(name: &str, seed: u64, validators: usize, byzantine: Vec<(ByzantineEngine, bool)>) {
    let (consortium, workload) = common::workload(validators, seed, 32);
    let first = usize::try_from(seed).unwrap() % validators;
    let mut config = Config::default();
    let mut culprits = Vec::new();
    for (offset, (engine, blocked)) in byzantine.into_iter().enumerate() {
        // Three apart, so that two Byzantine validators are not consecutive leaders.
        let index = (first + 3 * offset) % validators;
        config = config.with_byzantine(index, engine);
        culprits.push((index, blocked));
    }
    let summary = deterministic::Runner::new(runtime(seed)).start(|context| async move {
        let mut sim = common::start(context, consortium, config).await;
        sim.submit_paced(&workload, 8, Duration::from_millis(150))
            .await;
        let summary = sim
            .settle_and_verify(10, Duration::from_secs(120))
            .await
            .or_fail();
        let pairs = sim.oracle().blocked().await.unwrap();
        for (byzantine, blocked) in culprits {
            if !blocked {
                continue;
            }
            let culprit = sim.peer(byzantine).unwrap().clone();
            for honest in sim.honest() {
                let peer = sim.peer(honest).unwrap();
                assert!(
                    pairs.iter().any(|(from, to)| from == peer && *to == culprit),
                    "honest validator {honest} did not block Byzantine validator {byzantine}; blocked pairs: {pairs:?}"
                );
            }
        }
        summary
    });
    common::report(name, seed, &summary);
}

#[test]
fn byzantine_nuller() {
    for_each_seed("byzantine_nuller", 0..2, |seed| {
        scenario("byzantine_nuller", seed, 4, vec![(nuller(), true)]);
    });
}

#[test]
fn byzantine_conflicter() {
    for_each_seed("byzantine_conflicter", 0..2, |seed| {
        scenario("byzantine_conflicter", seed, 4, vec![(conflicter(), true)]);
    });
}

#[test]
fn byzantine_equivocator() {
    for_each_seed("byzantine_equivocator", 0..2, |seed| {
        scenario(
            "byzantine_equivocator",
            seed,
            4,
            vec![(equivocator(), false)],
        );
    });
}

/// Seven validators, two of them Byzantine (f = 2): a nuller and a conflicter.
#[test]
fn byzantine_two_of_seven() {
    for_each_seed("byzantine_two_of_seven", 0..1, |seed| {
        scenario(
            "byzantine_two_of_seven",
            seed,
            7,
            vec![(nuller(), true), (conflicter(), true)],
        );
    });
}

#[test]
#[ignore = "larger sweep: run with --ignored"]
fn byzantine_sweep() {
    for_each_seed("byzantine_sweep", 100..112, |seed| {
        scenario("byzantine_sweep (nuller)", seed, 4, vec![(nuller(), true)]);
        scenario(
            "byzantine_sweep (conflicter)",
            seed,
            4,
            vec![(conflicter(), true)],
        );
        scenario(
            "byzantine_sweep (equivocator)",
            seed,
            4,
            vec![(equivocator(), false)],
        );
        scenario(
            "byzantine_sweep (two of seven)",
            seed,
            7,
            vec![(nuller(), true), (equivocator(), false)],
        );
    });
}
