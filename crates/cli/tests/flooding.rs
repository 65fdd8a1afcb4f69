//! A real validator under a flood: a member in bad faith and a party with many fresh keys
//! submit far more than the node holds, while an honest member submits a little. Outcomes
//! only, never timings: the busy node answers `429` with `Retry-After` over real HTTP; the
//! honest member's transactions all finalise, well before the flood's; and every transaction
//! the API accepted is finalised — nothing stuck, nothing lost.
#![allow(clippy::unwrap_used)]

mod common;

use common::Network;
use credence_client::{
    Account,
    submission::{Answer, RetryPolicy, Submitted, submit_all},
};
use credence_crypto::KeyFile;
use credence_types::{
    Digest, Payload, ProposalId, SignedTransaction,
    api::{BatchItem, TransactionLookup},
    codec::encode,
};
use std::time::Duration;

/// The node holds this many transactions, and puts at most [`BLOCK`] in a block (one every
/// 500 ms): the flood below fills the pool at once and takes many blocks to drain, so the
/// answers asserted do not depend on how fast this machine is.
const POOL: usize = 300;
const BLOCK: usize = 25;

/// The hashes a submission got accepted; panics on any refusal for good.
fn accepted(submitted: &Submitted) -> Vec<Digest> {
    submitted
        .answers
        .iter()
        .map(|answer| match answer {
            Answer::Accepted(hash) => *hash,
            Answer::Refused { code, message } => panic!("refused for good: {code}: {message}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_member_and_a_sybil_cannot_shut_an_honest_member_out() {
    let network =
        Network::start_configured(1, credence_devnet::layout::EPOCH_LENGTH_BLOCKS, |node| {
            node.mempool.transactions_max = POOL;
            node.blocks.transactions_max = BLOCK;
        })
        .await;
    let node = &network.nodes[0];
    let chain = network.chain();
    let account_of = |key: &KeyFile| {
        let (key, chain) = (key.signing.clone(), chain.clone());
        async move {
            let nonce = node
                .account(&key.public_key())
                .await
                .unwrap()
                .map_or(0, |view| view.nonce);
            Account::new(key, chain, nonce)
        }
    };
    let keys = |name: &str| KeyFile::read(&network.key_of(name)).unwrap();
    let (flooder, honest) = (keys("registry"), keys("regulator"));
    let sign_many = |mut account: Account, count: u64| -> Vec<SignedTransaction> {
        (1..=count)
            .map(|n| account.sign(Payload::ApproveGovernance(ProposalId(1_000_000 + n))))
            .collect()
    };
    let flood = sign_many(account_of(&flooder).await, 800);
    let modest = sign_many(account_of(&honest).await, 40);
    // Fresh keys registering themselves: anyone can make as many as they like.
    let sybil = network.registrations(200);

    // The Sybil's keys and the member's flood arrive first, in one batch each.
    let sybil_answer = node.submit_batch(&sybil).await.unwrap();
    assert!(
        sybil_answer
            .items
            .iter()
            .all(|item| matches!(item, BatchItem::Accepted { .. })),
        "the pool had room for the Sybil's keys"
    );
    let flood_answer = node.submit_batch(&flood).await.unwrap();
    let busy = |code: &str| {
        matches!(
            code,
            "mempool_full" | "share_exceeded" | "nonce_too_far_ahead"
        )
    };
    let first_refused = flood_answer
        .items
        .iter()
        .position(|item| matches!(item, BatchItem::Refused { .. }))
        .expect("800 transactions do not fit a pool of 300 holding 200");
    assert!(
        first_refused < POOL,
        "{first_refused} of the flood admitted"
    );
    match &flood_answer.items[first_refused] {
        BatchItem::Refused { code, .. } => assert!(busy(code), "first refusal {code}"),
        BatchItem::Accepted { .. } => unreachable!(),
    }
    // Everything after the first busy refusal waits behind it: refused, never held.
    for item in &flood_answer.items[first_refused + 1..] {
        match item {
            BatchItem::Refused { code, .. } => {
                assert!(busy(code) || code == "nonce_gap", "later refusal {code}");
            }
            BatchItem::Accepted { .. } => panic!("a transaction admitted behind a refused one"),
        }
    }
    let wait = flood_answer
        .retry_after
        .expect("a busy batch answer says when to retry");
    assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(30));

    // One more fresh key alone, over plain HTTP: the public (every key no institution owns)
    // holds its share of a busy pool, so the node says it is busy with a 429 and when to come
    // back — however new the key. The Sybil's other keys buy it no more room.
    let late = network.registrations(1);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/transactions", node.base()))
        .json(&serde_json::json!({ "transaction": hex::encode(encode(&late[0])) }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .expect("a 429 carries Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=30).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(busy(body["code"].as_str().unwrap()), "{body}");

    // Now everyone retries as the client library does: the flooder everything it has left,
    // the honest member its forty.
    let policy = RetryPolicy {
        first_wait: Duration::from_millis(100),
        max_wait: Duration::from_secs(2),
        give_up_after: Duration::from_secs(240),
        ..RetryPolicy::default()
    };
    let already: Vec<Digest> = flood_answer
        .items
        .iter()
        .filter_map(|item| match item {
            BatchItem::Accepted { hash } => Some(*hash),
            BatchItem::Refused { .. } => None,
        })
        .collect();
    let (flooded, honest_submitted, late_submitted) = tokio::join!(
        submit_all(node, &flood[first_refused..], &policy),
        submit_all(node, &modest, &policy),
        submit_all(node, &late, &policy),
    );
    let (flooded, honest_submitted) = (flooded.unwrap(), honest_submitted.unwrap());
    assert!(flooded.throttled > 0, "the flood was never pushed back");
    let honest_hashes = accepted(&honest_submitted);
    let flood_hashes: Vec<Digest> = already.into_iter().chain(accepted(&flooded)).collect();
    let sybil_hashes: Vec<Digest> = sybil_answer
        .items
        .iter()
        .map(|item| match item {
            BatchItem::Accepted { hash } => *hash,
            BatchItem::Refused { .. } => unreachable!(),
        })
        .chain(accepted(&late_submitted.unwrap()))
        .collect();

    // Every accepted transaction finalises: nothing stuck in the pool, nothing dropped.
    let last_height = |hashes: Vec<Digest>| async move {
        let mut highest = 0;
        for _ in 0..600 {
            let answers = node.lookup(&hashes).await.unwrap();
            let heights: Vec<Option<u64>> = answers
                .iter()
                .map(|answer| match answer {
                    TransactionLookup::Finalized { height, .. } => Some(height.0),
                    TransactionLookup::Pending => None,
                    TransactionLookup::Unknown => panic!("an accepted transaction was lost"),
                })
                .collect();
            if heights.iter().all(Option::is_some) {
                highest = heights.into_iter().flatten().max().unwrap_or(0);
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert!(
            highest > 0,
            "accepted transactions still pending after 150 s"
        );
        highest
    };
    let honest_done = last_height(honest_hashes).await;
    let flood_done = last_height(flood_hashes.clone()).await;
    let sybil_done = last_height(sybil_hashes).await;
    assert_eq!(
        flood_hashes.len(),
        flood.len(),
        "every flooded transaction accepted once"
    );
    // The honest member did not wait for the flood to drain: its last transaction is final
    // before the flooder's last.
    assert!(
        honest_done < flood_done,
        "honest member done at height {honest_done}, the flood at {flood_done}"
    );
    assert!(sybil_done > 0);
    // The node carried on.
    assert!(node.status().await.is_ok());
}
