//! Issue 13, item 5 ("No read panics"): a block whose events exceed a proof's bound once
//! made every absence proof beside its events entry panic the node's handler, so any client
//! could drop a read. Against a real validator process: a block of thousands of
//! registrations (over 100 KiB of events), then proven reads of the keys on both sides of
//! every stored piece of its events, each checked by the light client against the
//! certified header.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_client::{
    Account, NodeClient, build,
    light::{
        NetworkFile, Validators,
        proof::{PROOF_BYTES_MAX, VALUE_BYTES_MAX},
    },
    submission,
};
use credence_crypto::{EncryptionSecret, SigningKey};
use credence_devnet::{
    Validator,
    layout::{self, Plan},
};
use credence_types::{
    Height, SignedTransaction, SubjectId,
    api::{Entry, TransactionStatus},
    codec::encode,
    limits::EVENTS_PER_CHUNK,
    receipt::BlockEvent,
    state::{BlockEventsChunk, StateKey},
};
use std::{collections::BTreeMap, path::Path, time::Duration};

const BINARY: &str = env!("CARGO_BIN_EXE_credence");
/// The events of one block the test needs: more than the 64 KiB bound of a proof.
const EVENTS_BYTES_MIN: usize = 100 * 1024;
/// Registrations per round: three batches, submitted at once so that they land in one block
/// (see `interval_ms`). Each emits a 38-byte event: 3,072 of them are 114 KiB.
const ROUND: usize = 3 * 1_024;

/// `count` new subjects' registrations.
fn registrations(file: &NetworkFile, count: usize) -> Vec<SignedTransaction> {
    (0..count)
        .map(|_| {
            let key = SigningKey::generate();
            let id = SubjectId::from_key(&key.public_key());
            let report = EncryptionSecret::generate();
            let mut account = Account::new(key, file.genesis.chain_id.clone(), 0);
            account.sign(build::register_subject(&id, &report, &file.genesis.audit_key).unwrap())
        })
        .collect()
}

/// Waits for the next committed block, so a round submitted now has a whole block
/// interval to arrive in.
async fn next_block(node: &NodeClient) {
    let now = node.status().await.unwrap().height.0;
    node.wait_for_height(now + 1, Duration::from_secs(30))
        .await
        .unwrap();
}

use credence_ledger::testkit::key_step as step;

/// The raw proven read of `key`: its answer is 200 and its proof within the bound.
async fn raw(node: &NodeClient, key: &StateKey) -> Entry<String> {
    let mut response = node
        .forward(&format!("state/{}?prove=true", hex::encode(key.0)))
        .await
        .unwrap();
    assert_eq!(response.status, 200, "{key:?}");
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        body.extend_from_slice(&chunk);
    }
    let entry: Entry<String> = serde_json::from_slice(&body).unwrap();
    let proof = entry.proof.as_ref().unwrap();
    // The encoded state proof: the proof (within its bound) and the value beside it.
    assert!(proof.proof.len() / 2 <= PROOF_BYTES_MAX + VALUE_BYTES_MAX + 16);
    entry
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absence_proof_beside_a_large_value_is_served() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let plan = Plan {
        dir: dir.path().join("devnet"),
        validators: 1,
        chain_id: "credence-devnet".to_string(),
        base_port: 30_000 + (std::process::id() % 500) as u16 * 8,
        genesis_time: layout::now().unwrap(),
        epoch_length_blocks: layout::EPOCH_LENGTH_BLOCKS,
    };
    layout::write(&plan).unwrap();
    // Blocks at most every 1.9 s, so each round of registrations lands in one block.
    let config = layout::node_config_path(&plan.dir, 0);
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text
        .replace("interval_ms = 500", "interval_ms = 1900")
        .replace("empty_interval_ms = 1000", "empty_interval_ms = 1950");
    assert!(text.contains("interval_ms = 1900") && text.contains("empty_interval_ms = 1950"));
    std::fs::write(&config, text).unwrap();
    let _validator = Validator::start(Path::new(BINARY), &plan.dir, 0, "node.log").unwrap();
    let file = layout::network_file(&plan.dir).unwrap();
    let trusted = Validators::of(&file);
    let regulator = credence_crypto::KeyFile::read(&plan.dir.join("keys/regulator.json")).unwrap();
    let node = NodeClient::new(&format!(
        "http://{}",
        layout::api_address(plan.base_port, 0).unwrap()
    ))
    .signed_by(regulator.signing);
    node.wait_for_height(1, Duration::from_secs(60))
        .await
        .unwrap();

    // Rounds of registrations until one block's events are over 100 KiB.
    let mut found = None;
    for _ in 0..4 {
        let round = registrations(&file, ROUND);
        next_block(&node).await;
        // One signer's nonces, in order, in batches of the API's largest.
        let submitted = submission::submit_all(
            &node,
            &round,
            &submission::RetryPolicy {
                batch: 1_024,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            submitted
                .answers
                .iter()
                .all(|answer| matches!(answer, submission::Answer::Accepted(_)))
        );
        let mut heights = BTreeMap::new();
        for transaction in &round {
            let status = node
                .wait_finalized(
                    &transaction.hash(),
                    Duration::from_millis(100),
                    Duration::from_secs(120),
                )
                .await
                .unwrap();
            let TransactionStatus::Finalized { height, .. } = status else {
                unreachable!("waited for finality")
            };
            *heights.entry(height.0).or_insert(0usize) += 1;
        }
        let (height, _) = heights.iter().max_by_key(|(_, n)| **n).unwrap();
        let events: Vec<BlockEvent> = node
            .block_events(Height(*height))
            .await
            .unwrap()
            .into_iter()
            .map(|e| BlockEvent {
                source: e.source,
                event: e.event,
            })
            .collect();
        let bytes: usize = events.iter().map(|e| encode(e).len()).sum();
        if bytes >= EVENTS_BYTES_MIN {
            found = Some((*height, events));
            break;
        }
    }
    let (height, events) = found.expect("a block with over 100 KiB of events");
    let total = events.len() as u32;

    // Every chunk of the block's events is proven present, and together they are the
    // events the API serves; the keys on both sides of each are proven absent.
    let count = BlockEventsChunk::count(total).unwrap();
    assert_eq!(count as usize, events.len().div_ceil(EVENTS_PER_CHUNK));
    assert!(count > 1, "the events span many stored chunks");
    let mut chunks = Vec::new();
    for chunk in 0..count {
        let key = StateKey::block_events(Height(height), chunk);
        let proven: BlockEventsChunk = node
            .proven(&format!("state/{}", hex::encode(key.0)), &key, &trusted)
            .await
            .unwrap()
            .expect("every chunk is stored");
        raw(&node, &key).await;
        chunks.push(proven);
        for delta in [-1, 1] {
            let beside = step(&key, delta);
            let absent: Option<BlockEventsChunk> = node
                .proven(
                    &format!("state/{}", hex::encode(beside.0)),
                    &beside,
                    &trusted,
                )
                .await
                .unwrap();
            assert_eq!(absent, None, "{beside:?}");
            assert!(raw(&node, &beside).await.value.is_none());
        }
    }
    assert_eq!(BlockEventsChunk::join(chunks).unwrap(), events);
    // The key after the last chunk holds nothing either.
    let after = StateKey::block_events(Height(height), count);
    let absent: Option<BlockEventsChunk> = node
        .proven(&format!("state/{}", hex::encode(after.0)), &after, &trusted)
        .await
        .unwrap();
    assert_eq!(absent, None);
    eprintln!(
        "{total} events in block {height}, {count} chunks, in {:?}",
        started.elapsed()
    );
}
