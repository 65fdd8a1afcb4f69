//! A lying node is caught: a tampering proxy stands in front of a real validator and alters
//! the subject's file on its way to the lender — leaving out a record, inventing one,
//! swapping a payload, replaying an older answer, stripping the certificate — and the
//! lender's report, through the client library and through `credence report`, refuses it.
//!
//! Each attack runs on a network of its own, one at a time (they share this process's
//! ports).
#![allow(clippy::unwrap_used)]

mod common;

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Request, State},
    http::{Method, StatusCode},
    response::{IntoResponse, Response},
};
use common::Network;
use credence_client::{
    NodeClient, Session, SessionError,
    light::{LightError, StateProof},
    report::ReportError,
};
use credence_crypto::KeyFile;
use credence_ledger::testkit::tradeline;
use credence_types::{
    SubjectId,
    api::ProvenFile,
    codec::{decode, encode},
    metro2::AccountStatus,
    state::{Record, StateKey, Table},
    transaction::{InquiryKind, Purpose},
};
use std::{
    process::Command,
    sync::{Arc, Mutex},
};

/// One attack at a time: each starts validators on this process's ports.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What the proxy does to a subject's file on its way through.
type Tamper = Arc<dyn Fn(&mut ProvenFile, &Memory) + Send + Sync>;

/// What the proxy remembers between answers: the files it passed on.
#[derive(Default)]
struct Memory {
    files: Mutex<Vec<ProvenFile>>,
}

#[derive(Clone)]
struct Proxy {
    node: String,
    http: reqwest::Client,
    tamper: Tamper,
    memory: Arc<Memory>,
}

/// Forwards every request to the node; a subject's file is tampered with on its way back.
async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let content_type = request.headers().get("content-type").cloned();
    // The reader's signature headers pass through: the proxy tampers with answers only.
    let signed: Vec<(String, axum::http::HeaderValue)> = request
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("credence-"))
        .map(|(name, value)| (name.as_str().to_string(), value.clone()))
        .collect();
    let body: Bytes = axum::body::to_bytes(request.into_body(), 16 << 20)
        .await
        .unwrap();
    let mut outbound = proxy
        .http
        .request(method.clone(), format!("{}{path}", proxy.node))
        .body(body.to_vec());
    if let Some(content_type) = content_type {
        outbound = outbound.header("content-type", content_type);
    }
    for (name, value) in signed {
        outbound = outbound.header(name, value.as_bytes());
    }
    let answer = outbound.send().await.unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let bytes = answer.bytes().await.unwrap();
    let is_file = method == Method::GET && path.contains("/file");
    if !is_file || !status.is_success() {
        return (status, Body::from(bytes)).into_response();
    }
    let mut file: ProvenFile = serde_json::from_slice(&bytes).unwrap();
    let honest = file.clone();
    (proxy.tamper)(&mut file, &proxy.memory);
    proxy.memory.files.lock().unwrap().push(honest);
    (status, axum::Json(file)).into_response()
}

/// Starts a tampering proxy in front of `node`; returns its address.
async fn proxy(node: &NodeClient, tamper: Tamper) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let state = Proxy {
        node: node.base().to_string(),
        http: reqwest::Client::new(),
        tamper,
        memory: Arc::default(),
    };
    let app = Router::new().fallback(forward).with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// A one-validator network with Alice, two records about her, and a consent she gave the
/// lender that furnished them (bank-a, the only bank of a one-validator network).
struct Scene {
    network: Network,
    alice: SubjectId,
    bank: KeyFile,
}

impl Scene {
    async fn new() -> Self {
        let network = Network::start(1).await;
        let session = Session::new(network.nodes[0].clone(), network.file.clone());
        let bank = KeyFile::read(&network.institution_key(0)).unwrap();
        let alice = KeyFile::generate();
        let (alice_id, _) = session.register(&alice).await.unwrap();
        let lender = session.institution_of(&bank).await.unwrap();
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
        let scene = Self {
            network,
            alice: alice_id,
            bank,
        };
        scene.furnish("card").await;
        scene.furnish("auto").await;
        scene
    }

    async fn furnish(&self, account: &str) {
        let session = Session::new(self.network.nodes[0].clone(), self.network.file.clone());
        let today = session.node.status().await.unwrap().time.date();
        let line = tradeline(account, AccountStatus::Current, today, None);
        session
            .furnish(&self.bank, &self.alice, line, None)
            .await
            .unwrap();
    }

    /// The lender's report through `session`.
    async fn report_through(
        &self,
        session: &Session,
    ) -> Result<credence_client::report::CreditReport, SessionError> {
        session.report(&self.bank, &self.alice).await
    }

    fn session_via(&self, address: &str) -> Session {
        Session::new(NodeClient::new(address), self.network.file.clone()).reading_as(&self.bank)
    }
}

fn record_entries(file: &ProvenFile) -> Vec<usize> {
    file.entries
        .iter()
        .enumerate()
        .filter(|(_, e)| u8::from_str_radix(&e.key[..2], 16).unwrap() == Table::Record as u8)
        .map(|(i, _)| i)
        .collect()
}

fn refused_as(result: Result<credence_client::report::CreditReport, SessionError>) -> ReportError {
    match result {
        Err(SessionError::Report(error)) => error,
        other => panic!("the report was not refused as a report error: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_omits_a_record_is_caught() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scene = Scene::new().await;
    let omit: Tamper = Arc::new(|file, _| {
        let index = record_entries(file)[0];
        file.entries.remove(index);
    });
    let address = proxy(&scene.network.nodes[0], omit).await;
    let error = refused_as(scene.report_through(&scene.session_via(&address)).await);
    assert!(
        matches!(error, ReportError::Incomplete(key) if key.tag() == Table::Record as u8),
        "{error}"
    );

    // The command line refuses it too, and says why.
    let output = Command::new(common::BINARY)
        .args([
            "report",
            "--node",
            &address,
            "--subject",
            &scene.alice.to_string(),
        ])
        .arg("--network")
        .arg(scene.network.dir.path().join("devnet/network.json"))
        .arg("--key")
        .arg(scene.network.institution_key(0))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "credence report accepted an omission"
    );
    assert!(stderr.contains("leaves out"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing was printed as a report");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_invents_a_record_is_caught() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scene = Scene::new().await;
    // A record the subject never had, sealed like any other: the node copies a real one,
    // gives it a new id and key, and passes it off with the real one's proof.
    let invent: Tamper = Arc::new(|file, _| {
        let real = &file.entries[record_entries(file)[0]];
        let proof: StateProof = decode(&hex::decode(&real.proof).unwrap()).unwrap();
        let StateProof::Present { value, proof } = proof else {
            panic!("a record is present");
        };
        let mut record: Record = decode(value.as_slice()).unwrap();
        record.id = credence_types::RecordId(record.id.0 + 1_000);
        let forged = StateProof::Present {
            value: credence_types::codec::BoundedBytes::new(encode(&record)).unwrap(),
            proof,
        };
        file.entries.push(credence_types::api::ProvenEntry {
            key: hex::encode(StateKey::record(record.id).0),
            proof: hex::encode(encode(&forged)),
        });
    });
    let address = proxy(&scene.network.nodes[0], invent).await;
    let error = refused_as(scene.report_through(&scene.session_via(&address)).await);
    assert!(matches!(error, ReportError::Unverified(_)), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_swaps_a_payload_is_caught() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scene = Scene::new().await;
    let swap: Tamper = Arc::new(|file, _| {
        let records = record_entries(file);
        let open = |index: usize| -> (Record, Vec<u8>) {
            let proof: StateProof =
                decode(&hex::decode(&file.entries[index].proof).unwrap()).unwrap();
            let StateProof::Present { value, proof } = proof else {
                panic!("a record is present");
            };
            (decode(value.as_slice()).unwrap(), proof.as_slice().to_vec())
        };
        let (mut first, proof) = open(records[0]);
        let (second, _) = open(records[1]);
        first.payload = second.payload;
        first.commitment = second.commitment;
        let forged = StateProof::Present {
            value: credence_types::codec::BoundedBytes::new(encode(&first)).unwrap(),
            proof: credence_types::codec::BoundedBytes::new(proof).unwrap(),
        };
        file.entries[records[0]].proof = hex::encode(encode(&forged));
    });
    let address = proxy(&scene.network.nodes[0], swap).await;
    let error = refused_as(scene.report_through(&scene.session_via(&address)).await);
    assert!(matches!(error, ReportError::Unverified(_)), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_old_answer_is_refused() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scene = Scene::new().await;
    // The first file passes; every later one is replaced by the first.
    let replay: Tamper = Arc::new(|file, memory| {
        if let Some(first) = memory.files.lock().unwrap().first() {
            *file = first.clone();
        }
    });
    let address = proxy(&scene.network.nodes[0], replay).await;
    let session = scene.session_via(&address);
    let first = scene.report_through(&session).await.unwrap();
    assert_eq!(first.accounts.len(), 2);
    scene.furnish("loan").await;
    let error = refused_as(scene.report_through(&session).await);
    assert!(
        matches!(
            error,
            ReportError::BeforeInquiry { .. } | ReportError::Unverified(LightError::Stale { .. })
        ),
        "{error}"
    );
    // A client that has seen nothing newer still refuses it: it predates its own inquiry.
    let fresh = scene.session_via(&address);
    let error = refused_as(scene.report_through(&fresh).await);
    assert!(
        matches!(error, ReportError::BeforeInquiry { .. }),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_strips_a_certificate_is_caught() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scene = Scene::new().await;
    let strip: Tamper = Arc::new(|file, _| file.header.certificate.clear());
    let address = proxy(&scene.network.nodes[0], strip).await;
    let error = refused_as(scene.report_through(&scene.session_via(&address)).await);
    assert!(matches!(error, ReportError::Unverified(_)), "{error}");
    // The honest node, the same client code: the report reads.
    let honest = Session::new(scene.network.nodes[0].clone(), scene.network.file.clone());
    let report = scene.report_through(&honest).await.unwrap();
    assert_eq!(report.accounts.len(), 2);
}
