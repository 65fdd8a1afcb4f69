//! A light client follows the validator set across epochs on a real network: from genesis's
//! set, each epoch's by a proof in the state of the epoch before's last block, certified by
//! that epoch's validators. Every way of lying about a transition is refused.
#![allow(clippy::unwrap_used)]

use credence_client::light::{LightError, Validators};
use credence_types::{
    PublicKey,
    api::{CertifiedHeader, EpochTransition},
};
use std::{process::Command, time::Duration};

mod common;

use common::{BINARY, Network};

/// The shortest epoch the protocol allows.
const EPOCH: u64 = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_light_client_follows_the_validators_across_epochs_and_refuses_forged_transitions() {
    let net = Network::start_with_epochs(1, EPOCH).await;
    let node = &net.nodes[0];
    common::wait_for_height(node, 2 * EPOCH + 2, Duration::from_secs(90)).await;

    // The latest header is certified in epoch 2 or later: a client that trusts only genesis
    // follows the chain there, and checks it.
    let trusted = net.trusted();
    let header = node.verified_header(&trusted).await.unwrap();
    assert!(Validators::epoch_of(&header).unwrap() >= 2);
    assert!(trusted.newest_epoch() >= 2);

    // `credence show --prove` works across epochs, from genesis's trust alone.
    let api = credence_devnet::layout::api_address(net.local.base_port(), 0).unwrap();
    let output = Command::new(BINARY)
        .args(["show", "institutions/0", "--prove", "--key"])
        .arg(net.local.dir().join("keys/bank-a.json"))
        .arg("--node")
        .arg(format!("http://{api}"))
        .arg("--network")
        .arg(net.local.dir().join("network.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("verified"),
        "{stdout}\n{stderr}"
    );

    let transition = |epoch: u64| async move {
        let value = node.json(&format!("epochs/{epoch}")).await.unwrap();
        serde_json::from_value::<EpochTransition>(value).unwrap()
    };
    let one = transition(1).await;
    let two = transition(2).await;
    assert_eq!(one.header.header.height.0, EPOCH - 1);
    assert_eq!(two.header.header.height.0, 2 * EPOCH - 1);

    // One epoch at a time.
    let fresh = net.trusted();
    assert!(matches!(
        fresh.advance(&two),
        Err(LightError::Transition(_))
    ));

    // A record the proof does not hold: a set that never existed.
    let mut forged = one.clone();
    forged.record.validators = forged
        .record
        .validators
        .iter()
        .map(|v| {
            let mut v = *v;
            v.seat.key = PublicKey([9; 32]);
            v
        })
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    assert!(fresh.advance(&forged).is_err());

    // Another epoch's proof.
    let mut swapped = one.clone();
    swapped.proof.clone_from(&two.proof);
    assert!(fresh.advance(&swapped).is_err());

    // A header that is not the last block of the epoch before.
    let mut moved = one.clone();
    moved.header.clone_from(&two.header);
    assert!(fresh.advance(&moved).is_err());

    // A certificate that is not the header's.
    let mut uncertified: EpochTransition = one.clone();
    uncertified.header = CertifiedHeader {
        certificate: two.header.certificate.clone(),
        ..one.header.clone()
    };
    assert!(fresh.advance(&uncertified).is_err());

    // Nothing forged was learnt; the real transitions are.
    assert_eq!(fresh.newest_epoch(), 0);
    fresh.advance(&one).unwrap();
    fresh.advance(&two).unwrap();
    assert_eq!(fresh.newest_epoch(), 2);
    // Epoch 0's validators are genesis's: no transition leads there.
    assert!(node.json("epochs/0").await.is_err());
}
