//! A running network of real validator processes changes by governance: it grows from four
//! to five (the fifth proposes blocks once its epoch begins), then loses one of the founders
//! (suspended, then killed) and goes on finalising with four. And a validator killed with
//! SIGKILL at the last block of an epoch restarts into the next.
#![allow(clippy::unwrap_used)]

use credence_client::{NodeClient, Session};
use credence_crypto::KeyFile;
use credence_devnet::{joining, layout};
use credence_types::{
    InstitutionId, PublicKey,
    api::{BlockSummary, Status},
    epoch::EpochRecord,
    governance::GovernanceAction,
};
use std::time::Duration;

mod common;

use common::{BINARY, Network};

/// Blocks per epoch: short, so that a test crosses several boundaries in a minute or two.
const EPOCH: u64 = 10;
/// Time allowed for a phase.
const PHASE: Duration = Duration::from_secs(120);

/// Networks of this file share their ports (and two cores): one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn status(node: &NodeClient) -> Option<Status> {
    node.status().await.ok()
}

/// The proposer of the block at `height`, as `node` has it.
async fn proposer(node: &NodeClient, height: u64) -> PublicKey {
    let block: BlockSummary =
        serde_json::from_value(node.json(&format!("blocks/{height}")).await.unwrap()).unwrap();
    block.header.proposer
}

/// The member key file of validator `index`.
fn member_key(net: &Network, index: usize) -> KeyFile {
    KeyFile::read(&net.institution_key(index)).unwrap()
}

/// The consensus key of validator `index`, from its key file.
fn consensus_key(net: &Network, index: usize) -> PublicKey {
    let path = layout::consensus_key_path(net.local.dir(), &layout::validator_name(index));
    credence_crypto::ConsensusKeyFile::read(&path)
        .unwrap()
        .key
        .public_key()
}

/// Waits until an epoch without `key` is named, and returns it.
async fn epoch_without(session: &Session, key: &PublicKey) -> EpochRecord {
    let started = std::time::Instant::now();
    loop {
        if let Some(record) = session.newest_epoch_where(key, false).await.unwrap()
            && record.epoch > 0
        {
            return record;
        }
        assert!(started.elapsed() < PHASE, "no epoch left {key} out in time");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_network_grows_to_five_then_loses_a_founder_and_goes_on() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut net = Network::start_with_epochs(4, EPOCH).await;
    assert_eq!(layout::node_count(net.local.dir()), 4);
    let base_port = net.local.base_port();

    // 4 → 5: laid out, started, admitted by the founders, seated from the next epoch.
    let joined = joining::add_validator(
        std::path::Path::new(BINARY),
        net.local.dir(),
        base_port,
        PHASE,
        |step| eprintln!("{step}"),
    )
    .await
    .unwrap();
    assert_eq!(joined.validator.index(), 4);
    assert!(joined.epoch.first_height.0 > joined.enacted_at);
    assert_eq!(joined.epoch.validators.len(), 5);
    let fifth_key = consensus_key(&net, 4);
    let fifth = NodeClient::new(&format!(
        "http://{}",
        layout::api_address(base_port, 4).unwrap()
    ))
    .signed_by(
        credence_crypto::KeyFile::read(&net.key_of("regulator"))
            .unwrap()
            .signing,
    );
    net.local.validators.push(joined.validator);

    // The fifth validator proposes blocks in its epoch, and its own node follows the chain.
    let first = joined.epoch.first_height.0;
    let last = joined.epoch.last_height.0;
    common::wait_for_height(&net.nodes[0], last, PHASE).await;
    let mut proposed = Vec::new();
    for height in first..=last {
        if proposer(&net.nodes[0], height).await == fifth_key {
            proposed.push(height);
        }
    }
    assert!(
        !proposed.is_empty(),
        "the fifth validator proposed no block of its epoch"
    );
    common::wait_for_height(&fifth, last, PHASE).await;
    let before = first.saturating_sub(1);
    for height in 1..=before {
        assert_ne!(proposer(&net.nodes[0], height).await, fifth_key);
    }

    // 5 → 4: a founder suspended by governance (seven members: five approvals), then killed
    // once its last epoch is over; the other four go on.
    let leaver = 1;
    let leaver_key = consensus_key(&net, leaver);
    let session = Session::new(net.nodes[0].clone(), net.file.clone());
    let suspend = GovernanceAction::SuspendInstitution(InstitutionId(leaver as u64));
    let mut vote = session
        .propose(&member_key(&net, 0), suspend, 7)
        .await
        .unwrap();
    for approver in [2, 3, 4] {
        vote = session
            .approve(&member_key(&net, approver), vote.proposal)
            .await
            .unwrap();
    }
    let regulator = KeyFile::read(&net.local.dir().join("keys/regulator.json")).unwrap();
    vote = session.approve(&regulator, vote.proposal).await.unwrap();
    assert!(vote.enacted, "five of seven members enact a suspension");
    let without = epoch_without(&session, &leaver_key).await;
    assert_eq!(without.validators.len(), 4);
    common::wait_for_height(&net.nodes[0], without.first_height.0, PHASE).await;
    net.local.validators[leaver].kill();

    let target = without.first_height.0 + 2 * EPOCH;
    for index in [0, 2, 3] {
        common::wait_for_height(&net.nodes[index], target, PHASE).await;
    }
    common::wait_for_height(&fifth, target, PHASE).await;
    for height in without.first_height.0..=target {
        assert_ne!(
            proposer(&net.nodes[0], height).await,
            leaver_key,
            "a suspended validator proposed after its last epoch"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_killed_at_an_epochs_last_block_restarts_into_the_next() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut net = Network::start_with_epochs(4, EPOCH).await;
    let victim = 2;
    let victim_key = consensus_key(&net, victim);
    // At the last block of epoch 0, as near as polling gets.
    let last = EPOCH - 1;
    let started = std::time::Instant::now();
    loop {
        let height = status(&net.nodes[victim]).await.map_or(0, |s| s.height.0);
        if height >= last {
            break;
        }
        assert!(
            started.elapsed() < PHASE,
            "the victim never reached height {last}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    net.local.validators[victim].kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    net.local.validators[victim].restart().unwrap();

    // It follows the chain two epochs on and leads blocks there.
    let target = 3 * EPOCH;
    common::wait_for_height(&net.nodes[victim], target, PHASE).await;
    let mut led = false;
    for height in 2 * EPOCH..target {
        led |= proposer(&net.nodes[victim], height).await == victim_key;
    }
    assert!(led, "the restarted validator led no block of epoch 2");
    for node in &net.nodes {
        common::wait_for_height(node, target, PHASE).await;
    }
    let roots: Vec<_> = {
        let mut roots = Vec::new();
        for node in &net.nodes {
            let block: BlockSummary =
                serde_json::from_value(node.json(&format!("blocks/{target}")).await.unwrap())
                    .unwrap();
            roots.push(block.header.state_root);
        }
        roots
    };
    assert!(roots.windows(2).all(|pair| pair[0] == pair[1]));
}
