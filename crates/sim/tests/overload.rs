//! Twice the network's capacity offered, for a while: every transaction a validator
//! accepted is finalised, every one it refused was refused explicitly as busy (or as behind
//! a busy refusal of its signer), and clients that resubmit what was refused, in nonce
//! order, after `Retry-After`, get everything finalised in the end. Nothing stuck, nothing
//! lost. The test asserts outcomes, never timings.
#![allow(clippy::unwrap_used)]

use commonware_runtime::{Runner as _, deterministic};
use credence_ledger::testkit::Signer;
use credence_node::{
    mempool::{MempoolError, MempoolLimits},
    service::SubmitError,
};
use credence_sim::{Config, OrFail as _, for_each_seed, runtime};
use credence_types::{Payload, ProposalId, SignedTransaction};
use std::{collections::VecDeque, time::Duration};

mod common;

/// Validators.
const VALIDATORS: usize = 4;
/// Most transactions a validator puts in a block: with blocks at least `BLOCK_INTERVAL`
/// apart, the network's capacity is at most this many per interval.
const PER_BLOCK: usize = 8;
/// Transactions offered per block interval: twice the capacity.
const OFFERED_PER_INTERVAL: usize = 2 * PER_BLOCK;

/// A client of one validator: the transactions of the signers it serves, in order, and when
/// the validator asked it to come back.
#[derive(Default)]
struct Client {
    queue: VecDeque<SignedTransaction>,
    retry_at: Duration,
}

/// The validator a signer's transactions go to: each signer to one, so its nonces arrive in
/// order.
fn home(transaction: &SignedTransaction) -> usize {
    usize::from(transaction.transaction.signer.0[0]) % VALIDATORS
}

#[test]
fn overload_at_twice_capacity_loses_nothing() {
    for_each_seed("overload_at_twice_capacity_loses_nothing", 0..2, |seed| {
        let (consortium, workload) = common::workload(VALIDATORS, seed, 480);
        let mut config = Config::default().with_mempool(MempoolLimits {
            transactions_max: 4 * PER_BLOCK,
            bytes_max: 64 << 20,
            per_signer_max: 3 * PER_BLOCK,
        });
        for index in 0..VALIDATORS {
            config = config.with_propose_transactions_max(index, PER_BLOCK);
        }
        let interval = config.block_interval;
        let (busy, gaps, summary) =
            deterministic::Runner::new(runtime(seed)).start(|context| async move {
                let mut sim = common::start(context, consortium, config).await;
                let mut clients: Vec<Client> = (0..VALIDATORS).map(|_| Client::default()).collect();
                let (mut busy, mut gaps) = (0usize, 0usize);
                let mut offered = workload.iter();
                let mut elapsed = Duration::ZERO;
                loop {
                    let mut more = false;
                    for transaction in offered.by_ref().take(OFFERED_PER_INTERVAL) {
                        clients[home(transaction)]
                            .queue
                            .push_back(transaction.clone());
                        more = true;
                    }
                    for (index, client) in clients.iter_mut().enumerate() {
                        if client.queue.is_empty() || elapsed < client.retry_at {
                            continue;
                        }
                        let batch: Vec<SignedTransaction> = client.queue.iter().cloned().collect();
                        let answers = sim.submit_batch_to(index, &batch).await;
                        let mut kept = VecDeque::new();
                        for (transaction, answer) in batch.into_iter().zip(answers) {
                            match answer {
                                Ok(_) => {}
                                Err(SubmitError::Mempool(error)) if error.is_busy() => {
                                    busy += 1;
                                    kept.push_back(transaction);
                                }
                                // Behind a refused transaction of the same signer, and only
                                // then: the client sends it again after the refused one.
                                Err(SubmitError::Mempool(MempoolError::NonceGap { expected })) => {
                                    assert!(
                                        kept.iter().any(|t| {
                                            t.transaction.signer == transaction.transaction.signer
                                                && t.transaction.nonce == expected
                                        }),
                                        "a gap nothing refused left"
                                    );
                                    gaps += 1;
                                    kept.push_back(transaction);
                                }
                                Err(other) => panic!("refused as {other:?}, not as busy"),
                            }
                        }
                        if !kept.is_empty() {
                            let node = sim.node(index).unwrap();
                            client.retry_at =
                                elapsed + Duration::from_secs(node.retry_after_secs());
                        }
                        client.queue = kept;
                    }
                    if !more && clients.iter().all(|c| c.queue.is_empty()) {
                        break;
                    }
                    sim.sleep(interval).await;
                    elapsed += interval;
                }
                let summary = sim
                    .settle_and_verify(0, Duration::from_secs(120))
                    .await
                    .or_fail();
                let accepted = sim.journal().read(|o| o.accepted.len());
                assert_eq!(
                    accepted,
                    workload.len(),
                    "every transaction was accepted in the end"
                );
                (busy, gaps, summary)
            });
        // Twice the capacity was offered: the validators must have pushed back.
        assert!(busy > 0, "the load never exceeded capacity");
        common::report("overload_at_twice_capacity_loses_nothing", seed, &summary);
        eprintln!("  {busy} refused as busy, {gaps} behind them; all resubmitted and finalised");
    });
}

/// A party minting fresh keys (anyone can make them) while the public holds its share of a
/// busy pool: each new key is refused as the public's share is, before its signature is
/// checked — a forged signature under a fresh key is answered `OverShare`, not
/// `BadSignature`, so the flood costs the validator a state read a key, not a verification.
/// The member's transactions are untouched, and everything admitted is finalised.
#[test]
fn a_sybils_fresh_keys_are_refused_before_their_signatures_are_checked() {
    for_each_seed(
        "a_sybils_fresh_keys_are_refused_before_their_signatures_are_checked",
        0..2,
        |seed| {
            let (consortium, reference) = credence_sim::Consortium::new(VALIDATORS).unwrap();
            let chain = reference.chain_id();
            let approve = |signer: &Signer, nonce: u64| {
                signer
                    .sign_with_nonce(&chain, nonce, Payload::ApproveGovernance(ProposalId(nonce)))
                    .into_signed()
            };
            let member: Vec<SignedTransaction> = (1..=4)
                .map(|nonce| approve(&reference.members[0].signer, nonce))
                .collect();
            let sybils: Vec<SignedTransaction> = (0..8)
                .map(|i| approve(&Signer::from_seed(50_000 + i), 1))
                .collect();
            let mut forged = approve(&Signer::from_seed(60_000), 1);
            forged.signature.0[0] ^= 1;
            let mut config = Config::default().with_mempool(MempoolLimits {
                transactions_max: 12,
                bytes_max: 64 << 20,
                per_signer_max: 12,
            });
            for index in 0..VALIDATORS {
                config = config.with_propose_transactions_max(index, 1);
            }
            let summary = deterministic::Runner::new(runtime(seed)).start(|context| async move {
                let mut sim = common::start(context, consortium, config).await;
                let mut batch = member;
                batch.extend(sybils);
                let answers = sim.submit_batch_to(0, &batch).await;
                assert!(answers[..4].iter().all(Result::is_ok), "{answers:?}");
                // Two owners pending (the member and the public): the public has half of
                // the pool, six; the rest of the flood is refused as its share.
                let admitted = answers[4..].iter().filter(|a| a.is_ok()).count();
                assert_eq!(admitted, 6, "{answers:?}");
                assert!(
                    answers[4..].iter().all(|a| a.is_ok()
                        || matches!(a, Err(SubmitError::Mempool(MempoolError::OverShare)))),
                    "{answers:?}"
                );
                let answer = sim.submit_batch_to(0, &[forged]).await;
                assert!(
                    matches!(
                        answer[..],
                        [Err(SubmitError::Mempool(MempoolError::OverShare))]
                    ),
                    "a fresh key was refused as {answer:?}, not as the public's share"
                );
                sim.settle_and_verify(0, Duration::from_secs(120))
                    .await
                    .or_fail()
            });
            common::report(
                "a_sybils_fresh_keys_are_refused_before_their_signatures_are_checked",
                seed,
                &summary,
            );
        },
    );
}
