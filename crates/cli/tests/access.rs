//! Least privilege for reads, against real validator processes: an anonymous client learns
//! nothing about any subject; a lender reads a subject's file only under a consent in force,
//! and never the subject's soft and supervisory inquiries or its consents; a subject reads its
//! own file; the regulator reads everything; validators read the raw chain. Requests that are
//! forged, replayed late, or signed by a key the ledger does not bind are refused with their
//! typed codes.
#![allow(clippy::unwrap_used)]

mod common;

use common::Network;
use credence_client::{ClientError, NodeClient, Session};
use credence_crypto::{KeyFile, SigningKey};
use credence_ledger::testkit::tradeline;
use credence_types::{
    SubjectId,
    access::{KEY_HEADER, READ_NAMESPACE, SIGNATURE_HEADER, TIME_HEADER, request_message},
    metro2::AccountStatus,
    transaction::{InquiryKind, Purpose},
};

/// The status and stable code of a `GET /v1/{path}` read as `client` reads.
async fn read(client: &NodeClient, path: &str) -> (u16, Option<String>) {
    match client.json(path).await {
        Ok(_) => (200, None),
        Err(ClientError::Refused { status, code, .. }) => (status, Some(code)),
        Err(other) => panic!("{path}: {other}"),
    }
}

/// Asserts `client` gets `status` (and, for a refusal, `code`) on every path.
async fn expect(client: &NodeClient, who: &str, paths: &[String], status: u16, code: Option<&str>) {
    for path in paths {
        let (got, got_code) = read(client, path).await;
        assert_eq!(
            (got, got_code.as_deref()),
            (status, code),
            "{who} reading {path}"
        );
    }
}

/// A raw GET with hand-made signature headers: status and code.
async fn raw(base: &str, path: &str, headers: &[(&str, String)]) -> (u16, String) {
    let mut request = reqwest::Client::new().get(format!("{base}{path}"));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
    )
}

fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn signed_headers(
    key: &SigningKey,
    chain: &str,
    path: &str,
    time: u64,
) -> Vec<(&'static str, String)> {
    let signature = key.sign(READ_NAMESPACE, &request_message(chain, "GET", path, time));
    vec![
        (KEY_HEADER, key.public_key().to_string()),
        (TIME_HEADER, time.to_string()),
        (SIGNATURE_HEADER, hex::encode(signature.0)),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_reader_sees_exactly_what_it_is_entitled_to() {
    let network = Network::start(4).await;
    let observer = &network.nodes[0];
    let session = Session::new(observer.clone(), network.file.clone());
    let keys = |name: &str| KeyFile::read(&network.key_of(name)).unwrap();
    let (bank_a, bank_b, bank_c, regulator) = (
        keys("bank-a"),
        keys("bank-b"),
        keys("bank-c"),
        keys("regulator"),
    );
    let lender = session.institution_of(&bank_b).await.unwrap();

    // Alice has a record from bank-a, a hard consent to bank-b and a soft one to bank-c,
    // and bank-b has read her file (a hard inquiry).
    let alice = KeyFile::generate();
    let (alice_id, _) = session.register(&alice).await.unwrap();
    let today = observer.status().await.unwrap().time.date();
    session
        .furnish(
            &bank_a,
            &alice_id,
            tradeline("card", AccountStatus::Current, today, None),
            None,
        )
        .await
        .unwrap();
    session
        .grant(
            &alice,
            lender,
            Purpose::CreditApplication,
            InquiryKind::Hard,
            30,
        )
        .await
        .unwrap();
    let bank_c_id = session.institution_of(&bank_c).await.unwrap();
    session
        .grant(
            &alice,
            bank_c_id,
            Purpose::CreditApplication,
            InquiryKind::Soft,
            30,
        )
        .await
        .unwrap();
    session.report(&bank_b, &alice_id).await.unwrap();
    // Bob, who consented to nobody.
    let bob = KeyFile::generate();
    let (bob_id, _) = session.register(&bob).await.unwrap();

    let base = observer.base();
    let reader = |key: &KeyFile| {
        NodeClient::new(base).signed_for(key.signing.clone(), network.chain().as_str())
    };
    let anonymous = NodeClient::new(base);
    let file_of = |id: &SubjectId| -> Vec<String> {
        vec![
            format!("subjects/{id}/records"),
            format!("subjects/{id}/inquiries"),
            format!("subjects/{id}/disputes"),
            format!("subjects/{id}/loans"),
            format!("subjects/{id}/assets"),
            format!("subjects/{id}/file"),
            "records/0".to_string(),
        ]
    };
    let private_of = |id: &SubjectId| -> Vec<String> {
        vec![
            format!("subjects/{id}/private-inquiries"),
            format!("subjects/{id}/consents"),
        ]
    };
    let chain = vec![
        "blocks/1".to_string(),
        "blocks/1/events".to_string(),
        format!(
            "state/{}",
            hex::encode([0u8; credence_types::state::KEY_LEN])
        ),
        format!("events?from=1&subject={bob_id}"),
    ];

    // Anonymous: every read about a subject, every entry, block, event and transaction is a
    // 401 with its code; only health, status, headers, epochs and the document are public.
    let mut everything = file_of(&alice_id);
    everything.extend(private_of(&alice_id));
    everything.extend(chain.clone());
    everything.extend(
        [
            "consents/0",
            "inquiries/0",
            "disputes/0",
            "loans/0",
            "loans/0/schedule",
            "loans/0/history",
            "assets/0",
            "institutions",
            "institutions/0",
            "institutions/1/loans",
            "institutions/1/consents",
            "institutions/0/disputes",
            "meta",
            "events?from=1",
            "events?watcher=1",
        ]
        .map(str::to_string),
    );
    everything.push(format!("accounts/{}", alice.signing.public_key()));
    everything.push(format!("transactions/{}", credence_types::Digest([1; 32])));
    expect(
        &anonymous,
        "anonymous",
        &everything,
        401,
        Some("unauthenticated"),
    )
    .await;
    for public in ["status", "headers/latest", "openapi.json"] {
        expect(&anonymous, "anonymous", &[public.to_string()], 200, None).await;
    }

    // The consenting lender reads Alice's file, not her private inquiries or her consents,
    // and nothing of Bob's.
    let bank_b_reads = reader(&bank_b);
    expect(&bank_b_reads, "bank-b", &file_of(&alice_id), 200, None).await;
    expect(
        &bank_b_reads,
        "bank-b",
        &private_of(&alice_id),
        403,
        Some("read_forbidden"),
    )
    .await;
    expect(
        &bank_b_reads,
        "bank-b",
        &file_of(&bob_id)[..6],
        403,
        Some("read_forbidden"),
    )
    .await;
    // Its own listings and its own risk feed, not another institution's; not the raw chain
    // (bank-b is a validator here, so blocks are open to it: it holds them anyway).
    expect(
        &bank_b_reads,
        "bank-b",
        &["institutions/1/consents".to_string()],
        200,
        None,
    )
    .await;
    expect(
        &bank_b_reads,
        "bank-b",
        &[
            "institutions/2/consents".to_string(),
            "events?watcher=2".to_string(),
        ],
        403,
        Some("read_forbidden"),
    )
    .await;

    // A subject's current report key, which every record is sealed to, is open to every
    // furnisher (bank-d furnishes); the rest of its entry is its file's.
    let sealing = vec![format!("subjects/{alice_id}/report-key")];
    let entry = vec![format!("subjects/{alice_id}")];
    expect(
        &anonymous,
        "anonymous",
        &sealing,
        401,
        Some("unauthenticated"),
    )
    .await;
    expect(
        &anonymous,
        "anonymous",
        &entry,
        401,
        Some("unauthenticated"),
    )
    .await;
    let bank_d_reads = reader(&keys("bank-d"));
    expect(&bank_d_reads, "bank-d (a furnisher)", &sealing, 200, None).await;
    expect(
        &bank_d_reads,
        "bank-d (no consent)",
        &entry,
        403,
        Some("read_forbidden"),
    )
    .await;
    expect(&reader(&bob), "bob", &sealing, 403, Some("read_forbidden")).await;
    expect(&bank_b_reads, "bank-b (consented)", &entry, 200, None).await;

    // A lender with no consent reads nothing of Alice's file.
    let bank_d = reader(&keys("bank-d"));
    expect(
        &bank_d,
        "bank-d",
        &file_of(&alice_id)[..6],
        403,
        Some("read_forbidden"),
    )
    .await;

    // Alice reads her whole file, her soft inquiries and consents included, and not Bob's.
    let alice_reads = reader(&alice);
    expect(&alice_reads, "alice", &file_of(&alice_id), 200, None).await;
    expect(&alice_reads, "alice", &private_of(&alice_id), 200, None).await;
    expect(
        &alice_reads,
        "alice",
        &file_of(&bob_id)[..6],
        403,
        Some("read_forbidden"),
    )
    .await;
    expect(
        &alice_reads,
        "alice",
        &private_of(&bob_id),
        403,
        Some("read_forbidden"),
    )
    .await;
    // A subject does not read the raw chain.
    expect(
        &alice_reads,
        "alice",
        &chain[..3],
        403,
        Some("read_forbidden"),
    )
    .await;
    // The soft inquiry (bank-c's) is in Alice's private listing: only she and the regulator
    // see it; the hard one (bank-b's) is in the listing every consenting lender sees.
    let private: credence_types::api::Page<credence_types::state::Inquiry> = alice_reads
        .page(&format!("subjects/{alice_id}/private-inquiries"), 0, 10)
        .await
        .unwrap();
    let hard: credence_types::api::Page<credence_types::state::Inquiry> = bank_b_reads
        .page(&format!("subjects/{alice_id}/inquiries"), 0, 10)
        .await
        .unwrap();
    assert_eq!(hard.items.len(), 1, "bank-b's hard read");
    assert!(hard.items.iter().all(|i| i.basis.is_hard()));
    assert!(private.items.iter().all(|i| !i.basis.is_hard()));

    // The regulator reads everything.
    let regulator_reads = reader(&regulator);
    expect(
        &regulator_reads,
        "regulator",
        &file_of(&alice_id),
        200,
        None,
    )
    .await;
    expect(
        &regulator_reads,
        "regulator",
        &private_of(&alice_id),
        200,
        None,
    )
    .await;
    expect(&regulator_reads, "regulator", &chain[..3], 200, None).await;

    // Forged, stale and unbound signatures are refused with their codes.
    let chain_id = network.chain().as_str().to_string();
    let path = format!("/v1/subjects/{alice_id}");
    let stranger = SigningKey::generate();
    let (status, code) = raw(
        base,
        &path,
        &signed_headers(&stranger, &chain_id, &path, now_ms()),
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "signer_unknown"));
    let stale = now_ms() - credence_types::access::REQUEST_FRESHNESS_MS - 60_000;
    let (status, code) = raw(
        base,
        &path,
        &signed_headers(&alice.signing, &chain_id, &path, stale),
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "request_expired"));
    // Alice's signature over her own file, replayed on Bob's, does not verify.
    let mut replayed = signed_headers(&alice.signing, &chain_id, &path, now_ms());
    let (status, code) = raw(base, &format!("/v1/subjects/{bob_id}"), &replayed).await;
    assert_eq!((status, code.as_str()), (401, "request_signature_invalid"));
    // Nor one made for another chain.
    replayed = signed_headers(&alice.signing, "another-chain", &path, now_ms());
    let (status, code) = raw(base, &path, &replayed).await;
    assert_eq!((status, code.as_str()), (401, "request_signature_invalid"));
    // A partial set of headers is malformed, not anonymous.
    let (status, code) = raw(base, &path, &replayed[..1]).await;
    assert_eq!((status, code.as_str()), (401, "request_signature_invalid"));
}
