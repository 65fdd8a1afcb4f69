//! A consortium that changes while it runs, over lossy links: validators admitted, suspended
//! and re-keyed by governance, each change taking effect at the next epoch boundary.
//!
//! Each test checks, besides its own claim:
//! - safety: every honest validator commits one history, with equal state roots, and every
//!   accepted transaction exactly once (`settle_and_verify`);
//! - liveness: finalisation goes on across every boundary it crosses;
//! - that the chain's epoch records say what governance decided.
//!
//! A validator "votes" in an epoch when it proposes blocks there: round-robin leadership
//! gives each validator of the epoch's set its turns, and a block proposed by a key outside
//! the set is refused by every honest validator.
#![allow(clippy::unwrap_used)]

use commonware_runtime::{Runner as _, deterministic};
use commonware_utils::probability;
use credence_ledger::testkit::Signer;
use credence_sim::{
    Attack, ByzantineProposer, Config, Consortium, OrFail as _, Reference, Simulation,
    for_each_seed, runtime,
};
use credence_types::{
    Digest, InstitutionId, Payload, ProposalId, PublicKey, Role, Roles, SignedTransaction,
    TimestampMs,
    codec::Name,
    epoch::{ConsensusSeat, EpochRecord},
    governance::{GovernanceAction, NewInstitution, SeatChange},
    state::{Meta, StateKey},
    transaction::ProposeGovernance,
};
use std::{sync::Arc, time::Duration};

mod common;

/// Founding validators.
const FOUNDERS: usize = 4;
/// Blocks per epoch: short, so that a run crosses several boundaries.
const EPOCH: u64 = 24;
/// Simulated time allowed for each phase.
const PHASE: Duration = Duration::from_secs(300);
/// The consortium's members besides the validators: the regulator, then the registry.
const REGULATOR: usize = FOUNDERS;
const REGISTRY: usize = FOUNDERS + 1;

/// Links that lose one message in twenty and jitter.
fn lossy() -> Config {
    Config::default().with_link(commonware_p2p::simulated::Link {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(10),
        success_rate: probability!(0.95),
    })
}

/// A governance action, proposed by `proposer` and approved by `approvers` (signed on the
/// reference chain, whose nonces follow the real one's), as proposal `id`: the proposal
/// first, then the approvals.
fn governance(
    reference: &mut Reference,
    id: u64,
    action: GovernanceAction,
    proposer: usize,
    approvers: &[usize],
) -> Vec<SignedTransaction> {
    let expires_at = TimestampMs(reference.time.0 + 7 * 86_400_000);
    let mut transactions = vec![
        reference
            .member_tx(
                proposer,
                Payload::ProposeGovernance(ProposeGovernance { action, expires_at }),
            )
            .into_signed(),
    ];
    for &approver in approvers {
        transactions.push(
            reference
                .member_tx(approver, Payload::ApproveGovernance(ProposalId(id)))
                .into_signed(),
        );
    }
    transactions
}

/// Submits a governance action's transactions: the proposal, and once it is committed the
/// approvals (sent at once, they could land in a block before the proposal).
async fn enact(sim: &mut Simulation, id: u64, transactions: &[SignedTransaction]) {
    let (proposal, approvals) = transactions.split_first().unwrap();
    sim.submit(std::slice::from_ref(proposal)).await;
    for _ in 0..PHASE.as_secs() * 4 {
        if sim
            .committed::<credence_types::state::Proposal>(0, StateKey::proposal(ProposalId(id)))
            .await
            .is_some()
        {
            sim.submit(approvals).await;
            return;
        }
        sim.sleep(Duration::from_millis(250)).await;
    }
    panic!("proposal {id} was never committed\n{}", sim.describe());
}

/// The admission of joiner `index` as a validator with its seat.
fn admit(consortium: &Consortium, index: usize) -> GovernanceAction {
    GovernanceAction::AddInstitution(NewInstitution {
        name: Name::new(&format!("validator-{index}")).unwrap(),
        roles: Roles::of(&[Role::Validator]),
        signing_key: Signer::from_seed(900 + index as u64).key.public_key(),
        encryption_key: Default::default(),
        consensus: Some(consortium.joiner_seat(index)),
    })
}

/// The first epoch, as validator `index` has committed so far, whose set does (`true`) or
/// does not (`false`) hold `key`.
async fn epoch_where(
    sim: &Simulation,
    index: usize,
    key: PublicKey,
    holds: bool,
) -> Option<EpochRecord> {
    let meta: Meta = sim.committed(index, StateKey::meta()).await?;
    for number in 0..=meta.epoch.number {
        let record: EpochRecord = sim.committed(index, StateKey::epoch(number)).await?;
        if record.keys().contains(&key) == holds {
            return Some(record);
        }
    }
    None
}

/// Waits until validator `index` has committed an epoch record whose set does (or does not)
/// hold `key`, and returns it.
async fn wait_for_epoch(
    sim: &Simulation,
    index: usize,
    key: PublicKey,
    holds: bool,
) -> EpochRecord {
    let mut found = None;
    for _ in 0..PHASE.as_secs() * 4 {
        found = epoch_where(sim, index, key, holds).await;
        if found.is_some() {
            break;
        }
        sim.sleep(Duration::from_millis(250)).await;
    }
    found.unwrap_or_else(|| {
        let outcomes: Vec<String> = sim.journal().read(|o| {
            o.nodes
                .first()
                .map(|log| {
                    log.commits
                        .values()
                        .flat_map(|c| c.outcomes.iter().map(|x| format!("{x:?}")))
                        .collect()
                })
                .unwrap_or_default()
        });
        panic!(
            "no epoch {} {key} in time; outcomes {outcomes:?}\n{}",
            if holds { "seating" } else { "without" },
            sim.describe()
        )
    })
}

/// The proposers of the blocks every honest validator agreed on at heights in `range`.
fn proposers(sim: &Simulation, range: std::ops::RangeInclusive<u64>) -> Vec<(u64, PublicKey)> {
    sim.journal().read(|o| {
        let mut seen = std::collections::BTreeMap::new();
        for log in &o.nodes {
            for (height, record) in log.commits.range(range.clone()) {
                seen.insert(*height, record.proposer);
            }
        }
        seen.into_iter().collect()
    })
}

/// 4 → 5 → 4: a joiner admitted while a founder is offline votes from the next epoch; a
/// founder suspended (while another is offline) stops counting from the epoch after, and
/// once it is killed the other four keep finalising. Returns the history validator 0 committed: (height, digest, state
/// root).
fn join_and_leave(seed: u64, config: Config) -> Vec<(u64, Digest, Digest)> {
    let (consortium, mut reference) = Consortium::new(FOUNDERS).unwrap();
    let consortium = consortium.with_joiners(1).with_epoch_length(EPOCH);
    let joiner = FOUNDERS;
    let joiner_key = consortium.keys[joiner].public_key();
    let leaver = 1;
    let leaver_key = consortium.keys[leaver].public_key();
    let admit = governance(
        &mut reference,
        0,
        admit(&consortium, joiner),
        0,
        &[1, 2, REGULATOR, REGISTRY],
    );
    // Six members, then seven once the joiner is in: five approvals either way
    // (ceil(6 × 2/3 + ε) = ceil(7 × 2/3) = 5).
    let suspend = governance(
        &mut reference,
        1,
        GovernanceAction::SuspendInstitution(InstitutionId(leaver as u64)),
        0,
        &[2, 3, REGULATOR, REGISTRY],
    );
    deterministic::Runner::new(runtime(seed)).start(|context| async move {
        let mut sim = common::start(context, consortium, config).await;
        sim.wait_until("height 4", PHASE, |sim| sim.min_height() >= 4)
            .await
            .or_fail();

        // The change happens while founder 3 is offline.
        sim.crash(3).await.or_fail();
        enact(&mut sim, 0, &admit).await;
        sim.restart(joiner).await.or_fail();
        let seated = wait_for_epoch(&sim, 0, joiner_key, true).await;
        sim.restart(3).await.or_fail();
        assert!(seated.epoch >= 1 && seated.validators.len() == FOUNDERS + 1);

        // The joiner leads blocks in its first epoch, across the boundary.
        sim.wait_until("the joiner proposes a block", PHASE, |sim| {
            proposers(sim, seated.first_height.0..=u64::MAX)
                .iter()
                .any(|(_, key)| *key == joiner_key)
        })
        .await
        .or_fail();
        let before = proposers(&sim, 1..=seated.first_height.0 - 1);
        assert!(
            before.iter().all(|(_, key)| *key != joiner_key),
            "the joiner proposed before its epoch"
        );

        // The leaver is suspended while founder 3 is offline again, then killed once its
        // last epoch is over.
        sim.crash(3).await.or_fail();
        enact(&mut sim, 1, &suspend).await;
        let without = wait_for_epoch(&sim, 0, leaver_key, false).await;
        sim.restart(3).await.or_fail();
        assert!(without.epoch > seated.epoch);
        sim.wait_until("the leaver's last epoch is over", PHASE, |sim| {
            sim.min_height() >= without.first_height.0 + 2
        })
        .await
        .or_fail();
        sim.crash(leaver).await.or_fail();
        let target = without.last_height.0 + EPOCH / 2;
        let summary = sim.settle_and_verify(target, PHASE).await.or_fail();

        let after = proposers(&sim, without.first_height.0..=target);
        assert!(
            after.iter().all(|(_, key)| *key != leaver_key),
            "a suspended validator proposed after its last epoch"
        );
        assert!(after.iter().any(|(_, key)| *key == joiner_key));
        common::report("validators_join_and_leave_by_governance", seed, &summary);
        sim.journal().read(|o| {
            o.nodes[0]
                .commits
                .iter()
                .map(|(height, c)| (*height, c.digest, c.state_root))
                .collect()
        })
    })
}

#[test]
fn validators_join_and_leave_by_governance() {
    for_each_seed("validators_join_and_leave_by_governance", 0..1, |seed| {
        let _ = join_and_leave(seed, lossy());
    });
}

/// The whole reconfiguration run, twice from one seed: the same blocks, in the same order,
/// with the same state roots.
#[test]
fn a_reconfiguration_replays_from_its_seed() {
    for_each_seed("a_reconfiguration_replays_from_its_seed", 1..2, |seed| {
        let first = join_and_leave(seed, lossy());
        let second = join_and_leave(seed, lossy());
        assert!(u64::try_from(first.len()).unwrap() > 2 * EPOCH);
        assert_eq!(first, second, "the same seed gave two histories");
    });
}

/// The same, with a Byzantine proposer among the founders (never the leaver or the one
/// taken offline): its tampered blocks are refused in every epoch, and nothing else changes.
#[test]
fn validators_join_and_leave_beside_a_byzantine_proposer() {
    for_each_seed(
        "validators_join_and_leave_beside_a_byzantine_proposer",
        0..1,
        |seed| {
            let (consortium, _) = Consortium::new(FOUNDERS).unwrap();
            let proposer = Arc::new(ByzantineProposer::new(
                Attack::WrongRoot,
                consortium.genesis.chain_id.clone(),
            ));
            let _ = join_and_leave(seed, lossy().with_tampering(2, proposer.clone()));
            assert!(
                !proposer.proposed().is_empty(),
                "the Byzantine proposer never led"
            );
        },
    );
}

/// A validator's consensus key rotated by governance: the new key takes over at the
/// boundary, and the old key never proposes again.
#[test]
fn a_rotated_consensus_key_takes_over_at_the_boundary() {
    for_each_seed(
        "a_rotated_consensus_key_takes_over_at_the_boundary",
        0..1,
        |seed| {
            let (consortium, mut reference) = Consortium::new(FOUNDERS).unwrap();
            let consortium = consortium.with_epoch_length(EPOCH);
            let rotating = 2;
            let old_key = consortium.keys[rotating].public_key();
            let new_key = Consortium::rotated_key(rotating);
            let new_public = new_key.public_key();
            let rotate = governance(
                &mut reference,
                0,
                GovernanceAction::SetConsensusSeat(SeatChange {
                    institution: InstitutionId(rotating as u64),
                    seat: ConsensusSeat {
                        key: new_public,
                        address: consortium.joiner_seat(rotating).address,
                    },
                }),
                0,
                &[1, 3, REGULATOR, REGISTRY],
            );
            deterministic::Runner::new(runtime(seed)).start(|context| async move {
                let mut sim = common::start(context, consortium, lossy()).await;
                sim.wait_until("height 4", PHASE, |sim| sim.min_height() >= 4)
                    .await
                    .or_fail();
                // Another validator is offline while the change is decided.
                sim.crash(1).await.or_fail();
                enact(&mut sim, 0, &rotate).await;
                let rotated = wait_for_epoch(&sim, 0, new_public, true).await;
                sim.restart(1).await.or_fail();
                assert!(!rotated.keys().contains(&old_key));
                // Its operator swaps the key file once the old epoch ends.
                sim.wait_until("the old key's last epoch ends", PHASE, |sim| {
                    sim.max_height() >= rotated.first_height.0
                })
                .await
                .or_fail();
                sim.rekey(rotating, new_key).await.or_fail();
                sim.wait_until("the new key proposes", PHASE, |sim| {
                    proposers(sim, rotated.first_height.0..=u64::MAX)
                        .iter()
                        .any(|(_, key)| *key == new_public)
                })
                .await
                .or_fail();
                let target = rotated.last_height.0 + 2;
                let summary = sim.settle_and_verify(target, PHASE).await.or_fail();
                let after = proposers(&sim, rotated.first_height.0..=target);
                assert!(after.iter().all(|(_, key)| *key != old_key));
                common::report(
                    "a_rotated_consensus_key_takes_over_at_the_boundary",
                    seed,
                    &summary,
                );
            });
        },
    );
}

/// A validator crashed exactly as it commits the last block of an epoch restarts into the
/// next epoch and votes in it; the network never stops finalising.
#[test]
fn a_crash_at_the_boundary_restarts_into_the_next_epoch() {
    for_each_seed(
        "a_crash_at_the_boundary_restarts_into_the_next_epoch",
        0..2,
        |seed| {
            let (consortium, _) = Consortium::new(FOUNDERS).unwrap();
            let consortium = consortium.with_epoch_length(EPOCH);
            let victim = usize::try_from(seed).unwrap() % FOUNDERS;
            let victim_key = consortium.keys[victim].public_key();
            deterministic::Runner::new(runtime(seed)).start(|context| async move {
                let mut sim = common::start(context, consortium, lossy()).await;
                for boundary in [EPOCH - 1, 3 * EPOCH - 1] {
                    sim.wait_until("the victim commits an epoch's last block", PHASE, |sim| {
                        sim.heights().get(victim).copied().unwrap_or(0) >= boundary
                    })
                    .await
                    .or_fail();
                    sim.crash(victim).await.or_fail();
                    sim.sleep(Duration::from_secs(2)).await;
                    sim.restart(victim).await.or_fail();
                }
                let target = 4 * EPOCH + 2;
                let summary = sim.settle_and_verify(target, PHASE).await.or_fail();
                let last_epoch = proposers(&sim, 3 * EPOCH..=target);
                assert!(
                    last_epoch.iter().any(|(_, key)| *key == victim_key),
                    "the restarted validator never led in epoch 3"
                );
                common::report(
                    "a_crash_at_the_boundary_restarts_into_the_next_epoch",
                    seed,
                    &summary,
                );
            });
        },
    );
}

#[test]
#[ignore = "larger sweep: run with --ignored"]
fn reconfiguration_sweep() {
    for_each_seed("reconfiguration_sweep", 100..116, |seed| {
        let _ = join_and_leave(seed, lossy());
    });
}
