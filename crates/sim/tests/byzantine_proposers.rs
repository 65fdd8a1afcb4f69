//! One Byzantine validator of four (f = 1) that runs the node and votes like the others, but
//! rewrites every block it proposes as leader ([`credence_sim::proposers`]). Each test is
//! named after the attack, and checks that:
//!
//! - the attacker led and proposed a tampered block at least [`TAMPERED_MIN`] times;
//! - every honest validator refused it, under the rule it broke, and refused nothing else
//!   (so the new rules never refuse an honest block); a block beyond the network's bounds
//!   does not even decode, so no honest validator gets to verify it;
//! - no tampered block was finalised, by anyone;
//! - the chain kept finalising past the attacks, and every honest validator ends with one
//!   history, equal state roots, and every accepted transaction committed exactly once (the
//!   harness's `settle_and_verify`).
#![allow(clippy::unwrap_used)]

use commonware_runtime::{Runner as _, deterministic};
use credence_node::{consensus::block::BlockLimits, refusal::Refusal};
use credence_sim::{Attack, ByzantineProposer, Config, OrFail as _, for_each_seed, runtime};
use credence_types::Digest;
use std::{collections::BTreeSet, sync::Arc, time::Duration};

mod common;

/// Tampered proposals each scenario waits for before it lets the network settle.
const TAMPERED_MIN: usize = 3;
/// Validators.
const VALIDATORS: usize = 4;
/// Transactions the clients send (after the subjects' registrations).
const TRANSACTIONS: usize = 16;
/// Simulated time allowed for each phase.
const PHASE: Duration = Duration::from_secs(120);

/// Runs four validators, one of them (chosen by the seed) proposing blocks rewritten by
/// `attack`, and checks that honest validators refuse them as `refused` (`None`: they never
/// get to verify them) and that the chain goes on.
fn scenario(name: &str, seed: u64, attack: Attack, refused: Option<Refusal>, config: Config) {
    let (consortium, workload) = common::workload(VALIDATORS, seed, TRANSACTIONS);
    let byzantine = usize::try_from(seed).unwrap() % VALIDATORS;
    let proposer = Arc::new(ByzantineProposer::new(
        attack,
        consortium.genesis.chain_id.clone(),
    ));
    let config = config.with_tampering(byzantine, proposer.clone());
    let summary = deterministic::Runner::new(runtime(seed)).start(|context| async move {
        let mut sim = common::start(context, consortium, config).await;
        sim.submit_paced(&workload, 8, Duration::from_millis(150))
            .await;
        sim.wait_until(
            &format!("{TAMPERED_MIN} tampered proposals by validator {byzantine}"),
            PHASE,
            |_| proposer.proposed().len() >= TAMPERED_MIN,
        )
        .await
        .or_fail();
        // Past the last attack, with everything accepted committed.
        let height = sim.max_height() + 2;
        let summary = sim.settle_and_verify(height, PHASE).await.or_fail();

        let tampered: BTreeSet<Digest> = proposer.proposed().into_iter().collect();
        let finalised: BTreeSet<Digest> = sim.journal().read(|o| {
            o.nodes
                .iter()
                .flat_map(|log| log.commits.values().map(|record| record.digest))
                .collect()
        });
        let slipped: Vec<&Digest> = tampered.intersection(&finalised).collect();
        assert!(
            slipped.is_empty(),
            "{attack:?}: tampered blocks were finalised: {slipped:?}"
        );

        for honest in sim.honest() {
            let refusals = sim.node(honest).unwrap().refusals.snapshot();
            let others: Vec<_> = refusals
                .keys()
                .filter(|refusal| Some(**refusal) != refused)
                .collect();
            assert!(
                others.is_empty(),
                "{attack:?}: honest validator {honest} refused blocks for other rules: {refusals:?}"
            );
            if let Some(refusal) = refused {
                assert!(
                    refusals.get(&refusal).copied().unwrap_or(0) >= 1,
                    "{attack:?}: honest validator {honest} never refused a block as {refusal}: {refusals:?}"
                );
            }
        }
        (summary, tampered.len())
    });
    let (summary, tampered) = summary;
    common::report(
        &format!("{name} ({tampered} tampered proposals)"),
        seed,
        &summary,
    );
}

/// Runs `attack` over the CI seeds.
fn run(name: &str, attack: Attack, refused: Option<Refusal>, config: impl Fn() -> Config) {
    // Two seeds: the attacker is validator 0, then validator 1.
    for_each_seed(name, 0..2, |seed| {
        scenario(name, seed, attack, refused, config());
    });
}

#[test]
fn a_leader_proposing_a_wrong_root_is_not_finalised() {
    run(
        "a_leader_proposing_a_wrong_root_is_not_finalised",
        Attack::WrongRoot,
        Some(Refusal::StateRootMismatch),
        Config::default,
    );
}

#[test]
fn a_leader_proposing_a_forged_signature_is_not_finalised() {
    run(
        "a_leader_proposing_a_forged_signature_is_not_finalised",
        Attack::ForgedSignature,
        Some(Refusal::SignatureInvalid),
        Config::default,
    );
}

#[test]
fn a_leader_proposing_a_time_before_its_parent_is_not_finalised() {
    run(
        "a_leader_proposing_a_time_before_its_parent_is_not_finalised",
        Attack::TimeBeforeParent,
        Some(Refusal::TimeNotAfterParent),
        Config::default,
    );
}

#[test]
fn a_leader_proposing_a_time_far_ahead_is_not_finalised() {
    run(
        "a_leader_proposing_a_time_far_ahead_is_not_finalised",
        Attack::TimeFarAhead,
        Some(Refusal::TimeStepTooLarge),
        Config::default,
    );
}

/// Blocks of at most 32 transactions, so the oversized block stays small.
fn small_blocks() -> Config {
    Config {
        block_limits: BlockLimits {
            transactions_max: 32,
            bytes_max: 4 << 20,
        },
        ..Config::default()
    }
}

#[test]
fn a_leader_proposing_an_oversized_block_is_not_finalised() {
    // Honest validators' decoders refuse the block before any verification.
    run(
        "a_leader_proposing_an_oversized_block_is_not_finalised",
        Attack::Oversized {
            transactions_max: 32,
        },
        None,
        small_blocks,
    );
}

#[test]
fn a_leader_proposing_another_chains_transaction_is_not_finalised() {
    run(
        "a_leader_proposing_another_chains_transaction_is_not_finalised",
        Attack::AnotherChainsTransaction,
        Some(Refusal::TransactionForAnotherChain),
        Config::default,
    );
}

#[test]
fn a_leader_proposing_a_transaction_twice_is_not_finalised() {
    run(
        "a_leader_proposing_a_transaction_twice_is_not_finalised",
        Attack::DuplicateInBlock,
        Some(Refusal::DuplicateTransaction),
        Config::default,
    );
}

#[test]
fn a_leader_replaying_a_finalised_transaction_is_not_finalised() {
    run(
        "a_leader_replaying_a_finalised_transaction_is_not_finalised",
        Attack::ReplayFinalised,
        Some(Refusal::NonceNotNext),
        Config::default,
    );
}

#[test]
fn a_leader_proposing_a_nonce_gap_is_not_finalised() {
    run(
        "a_leader_proposing_a_nonce_gap_is_not_finalised",
        Attack::NonceGap,
        Some(Refusal::NonceNotNext),
        Config::default,
    );
}

#[test]
#[ignore = "larger sweep: run with --ignored"]
fn byzantine_proposers_sweep() {
    for_each_seed("byzantine_proposers_sweep", 100..108, |seed| {
        for (attack, refused, config) in [
            (
                Attack::WrongRoot,
                Some(Refusal::StateRootMismatch),
                Config::default(),
            ),
            (
                Attack::ForgedSignature,
                Some(Refusal::SignatureInvalid),
                Config::default(),
            ),
            (
                Attack::TimeBeforeParent,
                Some(Refusal::TimeNotAfterParent),
                Config::default(),
            ),
            (
                Attack::TimeFarAhead,
                Some(Refusal::TimeStepTooLarge),
                Config::default(),
            ),
            (
                Attack::Oversized {
                    transactions_max: 32,
                },
                None,
                small_blocks(),
            ),
            (
                Attack::AnotherChainsTransaction,
                Some(Refusal::TransactionForAnotherChain),
                Config::default(),
            ),
            (
                Attack::DuplicateInBlock,
                Some(Refusal::DuplicateTransaction),
                Config::default(),
            ),
            (
                Attack::ReplayFinalised,
                Some(Refusal::NonceNotNext),
                Config::default(),
            ),
            (
                Attack::NonceGap,
                Some(Refusal::NonceNotNext),
                Config::default(),
            ),
        ] {
            scenario("byzantine_proposers_sweep", seed, attack, refused, config);
        }
    });
}
