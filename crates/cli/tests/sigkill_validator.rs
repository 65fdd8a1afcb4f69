//! Real processes: four `credence node` validators on loopback under load; one is killed with
//! SIGKILL mid-load; the other three keep finalising; the killed one restarts, catches up from
//! its peers, and ends with the same blocks and state root, with every accepted transaction
//! finalised exactly once.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

mod common;

use common::{Network, height, wait_for_height};
use credence_types::{Digest, Height, api::BatchItem, api::TransactionStatus};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_validator_catches_up_with_nothing_lost() {
    let mut network = Network::start(4).await;
    let nodes = network.nodes.clone();

    // Load: subjects register, in batches, to the first three validators.
    let mut accepted: Vec<Digest> = Vec::new();
    for round in 0..10 {
        let batch = network.registrations(100);
        let node = &nodes[round % 3];
        for item in node.submit_batch(&batch).await.unwrap().items {
            if let BatchItem::Accepted { hash } = item {
                accepted.push(hash);
            }
        }
        if round == 4 {
            // Mid-load: kill validator 3 without warning.
            network.local.validators[3].kill();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let killed_at = height(&nodes[0]).await.unwrap();
    // The other three keep finalising.
    for node in &nodes[..3] {
        wait_for_height(node, killed_at + 3, Duration::from_secs(60)).await;
    }

    // Restart it: it catches up to the others.
    network.local.validators[3].restart().unwrap();
    let target = height(&nodes[0]).await.unwrap() + 2;
    for node in &nodes {
        wait_for_height(node, target, Duration::from_secs(120)).await;
    }

    // Every node has the same block, and so the same state root, at the target height.
    let mut headers = Vec::new();
    for node in &nodes {
        headers.push(node.block(Height(target)).await.unwrap());
    }
    for header in &headers[1..] {
        assert_eq!(header.digest, headers[0].digest);
        assert_eq!(header.header.state_root, headers[0].header.state_root);
    }
    // Blocks committed before the kill are no longer in the restarted node's memory: it
    // serves them from its consensus archive, the same as the others.
    let early = nodes[0].block(Height(2)).await.unwrap();
    assert_eq!(nodes[3].block(Height(2)).await.unwrap(), early);
    // Every accepted transaction is finalised on the restarted node, applied exactly once.
    assert_eq!(accepted.len(), 1_000, "every registration was accepted");
    for hash in &accepted {
        let status = nodes[3].transaction(hash).await.unwrap();
        assert!(
            matches!(
                status,
                TransactionStatus::Finalized {
                    outcome: credence_types::receipt::Outcome::Applied,
                    ..
                }
            ),
            "{hash}: {status:?}"
        );
    }
}
