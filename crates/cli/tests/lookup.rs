//! `POST /v1/transactions/lookup` against a real validator: a signer settles many of its
//! transactions in one request, with their events; no one else learns what they caused, and a
//! captured request cannot be turned into a question about other transactions.
#![allow(clippy::unwrap_used)]

mod common;

use common::Network;
use credence_client::{ClientError, NodeClient, Session};
use credence_crypto::{KeyFile, SigningKey};
use credence_ledger::testkit::tradeline;
use credence_types::{
    Digest, Event,
    access::{
        BODY_DIGEST_QUERY, KEY_HEADER, READ_NAMESPACE, SIGNATURE_HEADER, TIME_HEADER, body_digest,
        request_message,
    },
    api::{LOOKUP_HASHES_MAX, TransactionLookup},
    metro2::AccountStatus,
    receipt::Outcome,
};

/// A lookup of `body` signed by `key` for the query `digest`, sent with `body` (which an
/// attacker may have swapped): status and code.
async fn signed_lookup(
    base: &str,
    chain: &str,
    key: &SigningKey,
    digest: Digest,
    body: Vec<u8>,
) -> (u16, String) {
    let path = format!("/v1/transactions/lookup?{BODY_DIGEST_QUERY}={digest}");
    let time = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let signature = key.sign(READ_NAMESPACE, &request_message(chain, "POST", &path, time));
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header(KEY_HEADER, key.public_key().to_string())
        .header(TIME_HEADER, time.to_string())
        .header(SIGNATURE_HEADER, hex::encode(signature.0))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
    )
}

fn body_of(hashes: &[Digest]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "hashes": hashes })).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_answers_the_signer_and_no_one_else() {
    let network = Network::start(1).await;
    let node = &network.nodes[0];
    let session = Session::new(node.clone(), network.file.clone());
    let keys = |name: &str| KeyFile::read(&network.key_of(name)).unwrap();
    // The registry is a member that validates nothing (validators read the raw chain).
    let (bank_a, registry, regulator) = (keys("bank-a"), keys("registry"), keys("regulator"));
    let chain = network.chain().as_str().to_string();
    let reader = |key: &KeyFile| {
        NodeClient::new(node.base()).signed_for(key.signing.clone(), network.chain().as_str())
    };

    let alice = KeyFile::generate();
    let (alice_id, _) = session.register(&alice).await.unwrap();
    let today = node.status().await.unwrap().time.date();
    let mut furnished = Vec::new();
    for account in ["card", "auto", "loan"] {
        let done = session
            .furnish(
                &bank_a,
                &alice_id,
                tradeline(account, AccountStatus::Current, today, None),
                None,
            )
            .await
            .unwrap();
        furnished.push(done);
    }
    let unknown = Digest([7; 32]);

    // The furnisher settles all three and an unknown hash in one request, in its order, each
    // with the events it caused: what the one-at-a-time reads would have said.
    let mut asked: Vec<Digest> = furnished.iter().map(|f| f.hash).collect();
    asked.insert(1, unknown);
    let answers = reader(&bank_a).lookup(&asked).await.unwrap();
    assert_eq!(answers.len(), asked.len());
    assert_eq!(answers[1], TransactionLookup::Unknown);
    for (done, answer) in furnished
        .iter()
        .zip([&answers[0], &answers[2], &answers[3]])
    {
        let TransactionLookup::Finalized {
            height,
            outcome,
            events,
            ..
        } = answer
        else {
            panic!("a finalised furnishing answered as {answer:?}");
        };
        assert_eq!((height.0, outcome), (done.height, &Outcome::Applied));
        let caused: Vec<Event> = events.iter().map(|e| e.event.clone()).collect();
        assert_eq!(caused, done.events);
        assert!(
            caused
                .iter()
                .any(|e| matches!(e, Event::RecordFurnished { .. }))
        );
        let one = reader(&bank_a)
            .transaction_events(&done.hash)
            .await
            .unwrap();
        assert_eq!(&one, events);
    }
    // The regulator reads what any transaction caused, as it does one at a time.
    assert_eq!(reader(&regulator).lookup(&asked).await.unwrap(), answers);

    // Another member asking about bank-a's furnishings, even hidden among hashes nobody
    // knows, is refused whole: it learns nothing of which of them exist or what they caused.
    let snooping = [unknown, furnished[0].hash];
    match reader(&registry).lookup(&snooping).await {
        Err(ClientError::Refused { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (403, "read_forbidden"));
        }
        other => panic!("another member's lookup answered {other:?}"),
    }
    // The borrower itself may not read the furnisher's transactions either.
    assert!(reader(&alice).lookup(&[furnished[0].hash]).await.is_err());
    // Anonymous: refused before anything is read.
    match NodeClient::new(node.base()).lookup(&asked).await {
        Err(ClientError::Refused { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (401, "unauthenticated"));
        }
        other => panic!("an anonymous lookup answered {other:?}"),
    }

    // An attacker who captured the registry's signed lookup of hashes it may read (none
    // here: an empty lookup) swaps in bank-a's hashes: the body no longer matches the signed
    // digest, so the node refuses it before looking anything up.
    let signed = body_of(&[]);
    let swapped = body_of(&[furnished[0].hash]);
    let digest = body_digest(&signed);
    assert_eq!(
        signed_lookup(
            node.base(),
            &chain,
            &registry.signing,
            digest,
            signed.clone()
        )
        .await,
        (200, String::new())
    );
    assert_eq!(
        signed_lookup(node.base(), &chain, &registry.signing, digest, swapped).await,
        (401, "request_signature_invalid".to_string())
    );

    // Past the bound, and malformed bodies, are the client's mistakes with their codes.
    let many = body_of(&vec![unknown; LOOKUP_HASHES_MAX + 1]);
    assert_eq!(
        signed_lookup(
            node.base(),
            &chain,
            &bank_a.signing,
            body_digest(&many),
            many
        )
        .await,
        (400, "batch_too_large".to_string())
    );
    let garbage = b"{\"hashes\":[\"not hex\"]}".to_vec();
    assert_eq!(
        signed_lookup(
            node.base(),
            &chain,
            &bank_a.signing,
            body_digest(&garbage),
            garbage
        )
        .await,
        (400, "body_malformed".to_string())
    );
}
