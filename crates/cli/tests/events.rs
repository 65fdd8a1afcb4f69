//! The event stream survives a node's death: a client follows validator 0's stream, the
//! validator is killed with SIGKILL mid-stream, the chain goes on without it, it restarts,
//! and the client resumes with `Last-Event-ID`. What the client saw, end to end, equals a
//! fresh read of another validator's stream: no event missed, none repeated, same order.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Network, wait_for_height};
use credence_client::{NodeClient, events::EventStream};
use credence_types::{
    Digest, Height, SubjectId,
    api::{EventsQuery, StreamedEvent, TransactionStatus},
    receipt::{Event, Outcome},
};
use std::time::Duration;

/// Submits `count` registrations to `node` and waits until all are finalised; returns the
/// new subjects and the height of the last.
async fn register(network: &Network, node: &NodeClient, count: usize) -> (Vec<SubjectId>, u64) {
    let registrations = network.registrations(count);
    let mut hashes: Vec<Digest> = Vec::new();
    for transaction in &registrations {
        hashes.push(node.submit(transaction).await.unwrap());
    }
    let mut last = 0;
    for hash in &hashes {
        let status = node
            .wait_finalized(hash, Duration::from_millis(100), Duration::from_secs(60))
            .await
            .unwrap();
        let TransactionStatus::Finalized {
            height,
            outcome: Outcome::Applied,
            ..
        } = status
        else {
            panic!("{hash}: {status:?}");
        };
        last = last.max(height.0);
    }
    let subjects = registrations
        .iter()
        .map(|t| SubjectId::from_key(&t.transaction.signer))
        .collect();
    (subjects, last)
}

/// Reads `count` events, failing after a minute.
async fn take(stream: &mut EventStream, count: usize) -> Vec<StreamedEvent> {
    let mut events = Vec::with_capacity(count);
    while events.len() < count {
        let next = tokio::time::timeout(Duration::from_secs(60), stream.next())
            .await
            .expect("an event within a minute")
            .unwrap()
            .expect("the stream stays open");
        events.push(next);
    }
    events
}

fn registered(events: &[StreamedEvent]) -> Vec<SubjectId> {
    events
        .iter()
        .map(|e| match e.event {
            Event::SubjectRegistered { subject } => subject,
            ref other => panic!("filtered to registrations, got {other:?}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_resumed_after_a_node_restart_has_no_gap_and_no_duplicate() {
    let mut network = Network::start(4).await;
    let query = EventsQuery {
        from: Some(Height(1)),
        kinds: Some("subject_registered".to_string()),
        ..EventsQuery::default()
    };
    let mut stream = network.nodes[0].events(&query, None).await.unwrap();

    let writer = network.nodes[1].clone();
    let (mut subjects, _) = register(&network, &writer, 5).await;
    let mut seen = take(&mut stream, 5).await;

    // Kill validator 0 mid-stream; the others go on finalising registrations.
    network.local.validators[0].kill();
    let after_kill = tokio::time::timeout(Duration::from_secs(10), stream.next()).await;
    assert!(
        !matches!(after_kill, Ok(Ok(Some(_)))),
        "a killed node sends nothing more"
    );
    let resume = stream.last_id().unwrap();
    let (more, last_height) = register(&network, &writer, 5).await;
    subjects.extend(more);

    // Restart it; once it has caught up, resume where the client left off.
    network.local.validators[0].restart().unwrap();
    wait_for_height(&network.nodes[0], last_height, Duration::from_secs(120)).await;
    let mut resumed = network.nodes[0].events(&query, Some(resume)).await.unwrap();
    seen.extend(take(&mut resumed, 5).await);

    // Ids strictly increase: no duplicate, chain order.
    for pair in seen.windows(2) {
        assert!(
            pair[0].id < pair[1].id,
            "{} then {}",
            pair[0].id,
            pair[1].id
        );
    }
    // Every registration was heard.
    let mut heard = registered(&seen);
    let mut expected = subjects.clone();
    heard.sort();
    expected.sort();
    assert_eq!(heard, expected);
    // And what the client saw is exactly another validator's stream from the start.
    let mut fresh = network.nodes[2].events(&query, None).await.unwrap();
    let truth = take(&mut fresh, seen.len()).await;
    assert_eq!(seen, truth);
}
