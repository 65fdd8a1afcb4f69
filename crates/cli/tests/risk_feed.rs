//! A lender's risk feed decides by the consent in force at each event's own height: a lender
//! newly consented does not receive the subject's earlier adverse events, a lender whose
//! consent was revoked receives none furnished after, and a replay from any node, at any
//! time, delivers exactly the same events.
#![allow(clippy::unwrap_used)]

mod common;

use common::Network;
use credence_client::{NodeClient, Session, events::EventStream};
use credence_crypto::KeyFile;
use credence_ledger::testkit::tradeline;
use credence_types::{
    Date, InstitutionId, SubjectId,
    api::{EventsQuery, StreamedEvent},
    metro2::AccountStatus,
    receipt::Event,
    transaction::{InquiryKind, Purpose},
};
use std::time::Duration;

/// Furnishes an adverse record (30 days past due) about `subject`; returns its height.
async fn adverse(
    session: &Session,
    furnisher: &KeyFile,
    subject: &SubjectId,
    account: &str,
) -> u64 {
    let today = session.node.status().await.unwrap().time.date();
    let line = tradeline(
        account,
        AccountStatus::PastDue30,
        today,
        Some(Date(today.0 - 40)),
    );
    session
        .furnish(furnisher, subject, line, None)
        .await
        .unwrap()
        .height
}

/// `watcher`'s risk feed on `node` from the first block, read until an event about
/// `sentinel` arrives.
async fn feed(
    node: &NodeClient,
    watcher: InstitutionId,
    sentinel: SubjectId,
) -> Vec<StreamedEvent> {
    let query = EventsQuery {
        after: None,
        from: Some(credence_types::Height(1)),
        kinds: None,
        subject: None,
        watcher: Some(watcher),
    };
    let mut stream: EventStream = node.events(&query, None).await.unwrap();
    let mut events = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(60), stream.next())
            .await
            .expect("the sentinel's event within a minute")
            .unwrap()
            .expect("the stream stays open");
        let done = event.event.subject() == Some(sentinel);
        events.push(event);
        if done {
            return events;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_risk_feed_uses_the_consent_at_the_events_height() {
    let network = Network::start(4).await;
    let session = Session::new(network.nodes[0].clone(), network.file.clone());
    let keys = |name: &str| {
        KeyFile::read(&network.dir.path().join(format!("devnet/keys/{name}.json"))).unwrap()
    };
    let (bank_a, bank_b) = (keys("bank-a"), keys("bank-b"));
    let watcher = session.institution_of(&bank_b).await.unwrap();
    let alice = KeyFile::generate();
    let bob = KeyFile::generate();
    let (alice_id, _) = session.register(&alice).await.unwrap();
    let (bob_id, _) = session.register(&bob).await.unwrap();
    let review = |key| session.grant(key, watcher, Purpose::AccountReview, InquiryKind::Hard, 30);
    review(&bob).await.unwrap();

    // Before bank-b's consent: not its to hear.
    let before = adverse(&session, &bank_a, &alice_id, "card").await;
    let (consent, _) = review(&alice).await.unwrap();
    let during = adverse(&session, &bank_a, &alice_id, "auto").await;
    session.revoke(&alice, consent).await.unwrap();
    let after = adverse(&session, &bank_a, &alice_id, "loan").await;
    // Bob's consent is still in force: his adverse event marks the end of the feed.
    adverse(&session, &bank_a, &bob_id, "card").await;
    assert!(before < during && during < after);

    let heard = feed(&network.nodes[0], watcher, bob_id).await;
    let about_alice: Vec<u64> = heard
        .iter()
        .filter(|e| e.event.subject() == Some(alice_id))
        .map(|e| e.id.height.0)
        .collect();
    assert_eq!(
        about_alice,
        [during],
        "only what came while the consent was in force"
    );
    assert!(
        heard
            .iter()
            .all(|e| matches!(e.event, Event::Adverse { .. }))
    );

    // Replayed from another node, later: the very same events.
    let replayed = feed(&network.nodes[2], watcher, bob_id).await;
    assert_eq!(replayed, heard);
}
