//! The node API against four real validator processes on loopback: entries by id, pages of a
//! subject's listings, proofs checked by a light client against the genesis validators (and
//! tampered answers refused), and the documented 4xx for every kind of bad request.
#![allow(clippy::unwrap_used)]

mod common;

use common::Network;
use credence_client::{ClientError, light::LightError};
use credence_types::{
    Digest, InstitutionId, SubjectId,
    api::{CertifiedHeader, Entry, ErrorBody, Page, TransactionStatus},
    receipt::Outcome,
    state::{Inquiry, Institution, StateKey, Subject},
};
use std::time::Duration;

/// A GET of `path` (under `/v1/`) as `node` reads (signed as the regulator in these tests):
/// status and JSON body.
async fn get(node: &credence_client::NodeClient, path: &str) -> (u16, serde_json::Value) {
    let mut forwarded = node
        .forward(path.strip_prefix("/v1/").expect("an API path"))
        .await
        .unwrap();
    let mut body = Vec::new();
    while let Some(chunk) = forwarded.chunk().await.unwrap() {
        body.extend_from_slice(&chunk);
    }
    let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (forwarded.status, body)
}

/// A raw POST of `body` with `content_type`: status and error code, if any.
async fn post(base: &str, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Option<String>) {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let code = response
        .json::<ErrorBody>()
        .await
        .ok()
        .map(|body| body.code);
    (status, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_serves_proven_reads_pages_and_typed_errors() {
    let network = Network::start(4).await;
    let node = &network.nodes[0];
    let base = node.base().to_string();
    let trusted = network.trusted();

    // Three subjects register; wait for them to finalise.
    let registrations = network.registrations(3);
    let mut hashes = Vec::new();
    for transaction in &registrations {
        hashes.push(node.submit(transaction).await.unwrap());
    }
    for hash in &hashes {
        let status = node
            .wait_finalized(hash, Duration::from_millis(200), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(matches!(
            status,
            TransactionStatus::Finalized {
                outcome: Outcome::Applied,
                ..
            }
        ));
    }
    let subject = SubjectId::from_key(&registrations[0].transaction.signer);

    // The latest header verifies against the genesis validators, on every node.
    for other in &network.nodes {
        let header = other.verified_header(&trusted).await.unwrap();
        assert!(header.header.height.0 >= 2);
    }

    // Entries by id, trusted and proven, agree.
    let entry: Entry<Subject> = node.entry(&format!("subjects/{subject}")).await.unwrap();
    let told = entry.value.unwrap();
    let proven: Subject = node
        .proven(
            &format!("subjects/{subject}"),
            &StateKey::subject(&subject),
            &trusted,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(proven, told);
    let institution: Institution = node
        .proven(
            "institutions/0",
            &StateKey::institution(InstitutionId(0)),
            &trusted,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(institution.id, InstitutionId(0));
    // An unknown id is a proven absence through the light client, and a 404 on its own.
    let nobody = SubjectId([7; 32]);
    let absent: Option<Subject> = node
        .proven(
            &format!("subjects/{nobody}"),
            &StateKey::subject(&nobody),
            &trusted,
        )
        .await
        .unwrap();
    assert_eq!(absent, None);
    let (status, body) = get(node, &format!("/v1/subjects/{nobody}")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("subject_unknown"))
    );

    // A tampered proof, a tampered header and a header without a quorum are refused.
    let (_, body) = get(node, &format!("/v1/subjects/{subject}?prove=true")).await;
    let entry: Entry<serde_json::Value> = serde_json::from_value(body).unwrap();
    let proof = entry.proof.clone().unwrap();
    let mut tampered = proof.clone();
    let mut bytes = hex::decode(&tampered.proof).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    tampered.proof = hex::encode(bytes);
    assert!(trusted.verify_entry(&entry.key, Some(&tampered)).is_err());
    let mut tampered = proof.clone();
    tampered.header.header.state_root = Digest([9; 32]);
    assert!(matches!(
        trusted.verify_entry(&entry.key, Some(&tampered)),
        Err(LightError::HeaderMismatch(_))
    ));
    let mut tampered = proof.clone();
    tampered.header = CertifiedHeader {
        certificate: strip_signatures(&proof.header.certificate),
        ..proof.header.clone()
    };
    assert!(trusted.verify_entry(&entry.key, Some(&tampered)).is_err());
    // A validator set the certificate does not come from refuses it.
    let strangers = credence_client::light::Validators::new(
        (0..4)
            .map(|_| credence_crypto::SigningKey::generate().public_key())
            .collect(),
    );
    assert!(strangers.verify_entry(&entry.key, Some(&proof)).is_err());
    assert!(trusted.verify_entry(&entry.key, Some(&proof)).is_ok());

    // Pages: the subject's inquiries listing is empty, and bounded pages chain.
    let inquiries: Page<Inquiry> = node
        .page(&format!("subjects/{subject}/inquiries"), 0, 10)
        .await
        .unwrap();
    assert_eq!(
        (inquiries.items.len(), inquiries.total, inquiries.next),
        (0, 0, None)
    );

    // The node serves the document generated from its code.
    let (status, served) = get(node, "/v1/openapi.json").await;
    assert_eq!(status, 200);
    let generated =
        serde_json::to_value(<credence_node::api::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    assert_eq!(served, generated);

    // Bad requests get the documented 4xx.
    let cases = [
        ("/v1/subjects/not-hex", 400, "id_malformed"),
        ("/v1/loans/x", 400, "id_malformed"),
        ("/v1/loans/999999", 404, "loan_unknown"),
        ("/v1/state/00", 400, "key_malformed"),
        ("/v1/transactions/zz", 400, "hash_malformed"),
        (
            "/v1/transactions/0000000000000000000000000000000000000000000000000000000000000000",
            404,
            "transaction_unknown",
        ),
        ("/v1/nowhere", 404, "route_unknown"),
    ];
    for (path, status, code) in cases {
        let (got, body) = get(node, path).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{path}");
    }
    let (status, _) = get(node, &format!("/v1/subjects/{subject}?prove=maybe")).await;
    assert_eq!(status, 400, "a query of the wrong type");
    let posts = [
        (
            "application/json",
            b"{not json".to_vec(),
            400,
            "body_malformed",
        ),
        (
            "application/json",
            br#"{"transaction": 7}"#.to_vec(),
            400,
            "body_malformed",
        ),
        (
            "application/json",
            br#"{"transaction": "zz"}"#.to_vec(),
            400,
            "body_malformed",
        ),
        (
            "application/octet-stream",
            vec![1, 2, 3],
            422,
            "transaction_malformed",
        ),
        (
            "application/octet-stream",
            vec![0; 9 << 20],
            413,
            "body_too_large",
        ),
    ];
    for (content_type, body, status, code) in posts {
        let (got, got_code) = post(&base, "/v1/transactions", content_type, body).await;
        assert_eq!((got, got_code.as_deref()), (status, Some(code)), "{code}");
    }
    // A replayed registration is refused as stale, not admitted twice.
    match node.submit(&registrations[0]).await {
        Err(ClientError::Refused { status: 409, .. }) => {}
        other => panic!("a replay was not refused: {other:?}"),
    }

    // Encoding for a signer that holds its key elsewhere: the exact bytes signed.
    let unsigned = &registrations[1].transaction;
    let (status, body) = post_json(&base, "/v1/transactions/encode", None, unsigned).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["signing_bytes"].as_str().unwrap(),
        hex::encode(unsigned.signing_bytes())
    );
    let (status, body) = post_json(&base, "/v1/transactions/encode", None, &"nonsense").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("body_malformed"))
    );

    // The network's metadata, a block's events, an institution's listings.
    let (status, meta) = get(node, "/v1/meta").await;
    assert_eq!(status, 200);
    assert_eq!(
        meta["value"]["audit_key"].as_str().unwrap(),
        network.audit().to_string()
    );
    let height = node.status().await.unwrap().height.0;
    let mut registered = 0;
    for h in 1..=height {
        let (status, events) = get(node, &format!("/v1/blocks/{h}/events")).await;
        assert_eq!(status, 200);
        for event in events.as_array().unwrap() {
            assert!(event["id"].as_str().unwrap().starts_with(&format!("{h}:")));
            if event["event"]["kind"] == "subject_registered" {
                registered += 1;
            }
        }
    }
    assert_eq!(registered, 3, "every registration's event, once");
    let (status, page) = get(node, "/v1/institutions/1/loans").await;
    assert_eq!((status, page["total"].as_u64()), (200, Some(0)));
    let (status, body) = get(node, "/v1/institutions/99/consents").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("institution_unknown"))
    );

    // The console: pages with their security policy; operator endpoints behind the token.
    let page = reqwest::get(format!("{base}/lender")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let token =
        std::fs::read_to_string(network.dir.path().join("devnet/node-0/operator-token")).unwrap();
    for presented in [None, Some("a-wrong-token-that-is-long-enough-to-try")] {
        let (status, body) = get_as(&base, "/console/api/session", presented).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("operator_token_invalid"))
        );
    }
    let (status, body) = get_as(&base, "/console/api/session", Some(token.trim())).await;
    assert_eq!(
        (status, body["institution"].as_u64()),
        (200, Some(0)),
        "{body}"
    );
    // A malformed record is a 400 that does not repeat the consumer's identifiers.
    let record = serde_json::json!({
        "subject": "00".repeat(32),
        "tradeline": { "account_number": "SECRET-ACCOUNT-77", "account_status": "zz",
                       "consumer": { "national_id": "SECRET-ID-42" } },
    });
    let (status, body) =
        post_json(&base, "/console/api/records", Some(token.trim()), &record).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("body_malformed"))
    );
    assert!(!body.to_string().contains("SECRET"), "{body}");
    // A report on a subject the institution holds no consent on is refused, typed.
    let subject = SubjectId::from_key(&registrations[2].transaction.signer);
    let (status, body) = post_json(
        &base,
        &format!("/console/api/reports/{subject}"),
        Some(token.trim()),
        &serde_json::Value::Null,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("consent_missing"))
    );
}

/// A GET with an operator token, if any: status and JSON body.
async fn get_as(base: &str, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    answer(reqwest::Client::new().get(format!("{base}{path}")), token).await
}

/// A JSON POST, with an operator token if any: status and JSON body.
async fn post_json(
    base: &str,
    path: &str,
    token: Option<&str>,
    body: &impl serde::Serialize,
) -> (u16, serde_json::Value) {
    let request = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(body);
    answer(request, token).await
}

/// Sends `request` (with the operator token, if any): status and JSON body.
async fn answer(
    mut request: reqwest::RequestBuilder,
    token: Option<&str>,
) -> (u16, serde_json::Value) {
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}
/// A certificate with its signatures cut to fewer than a quorum: the proposal and the
/// signer bitmap survive, the signatures do not.
fn strip_signatures(certificate: &str) -> String {
    let bytes = hex::decode(certificate).unwrap();
    // Each ed25519 signature is 64 bytes, at the end of the encoding.
    hex::encode(&bytes[..bytes.len().saturating_sub(128)])
}
