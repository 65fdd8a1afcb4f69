//! The API over TLS, against a real validator process: a node with `[tls]` serves HTTPS only,
//! a client trusting its certificate reads (signed reads included), a client that does not
//! trust it refuses the connection, and the console reaches its own node over TLS. A node's
//! configuration with plain HTTP on a non-loopback address is refused unless it says so.
#![allow(clippy::unwrap_used)]

mod common;

use common::BINARY;
use credence_client::{ClientError, NodeClient};
use credence_crypto::KeyFile;
use credence_devnet::{Plan, Validator, layout};
use credence_node::config::NodeConfig;
use std::{path::Path, time::Duration};

/// A self-signed certificate for `localhost` and 127.0.0.1, as PEM: certificate, key.
fn certificate() -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_a_certificate_serves_https_only_to_clients_that_trust_it() {
    let scratch = tempfile::tempdir().unwrap();
    let plan = Plan {
        dir: scratch.path().join("devnet"),
        validators: 1,
        chain_id: "credence-tls".to_string(),
        base_port: 21_000 + u16::try_from(std::process::id() % 500).unwrap() * 8,
        genesis_time: layout::now().unwrap(),
        epoch_length_blocks: layout::EPOCH_LENGTH_BLOCKS,
    };
    layout::write(&plan).unwrap();
    let (cert, key) = certificate();
    let node_dir = plan.dir.join("node-0");
    std::fs::write(node_dir.join("node.crt"), &cert).unwrap();
    std::fs::write(node_dir.join("node.key"), &key).unwrap();
    let config = layout::node_config_path(&plan.dir, 0);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[tls]\ncertificate_file = \"node.crt\"\nkey_file = \"node.key\"\n");
    std::fs::write(&config, text).unwrap();

    let _validator = Validator::start(Path::new(BINARY), &plan.dir, 0, "node.log").unwrap();
    let port = layout::api_address(plan.base_port, 0).unwrap().port();
    let https = format!("https://localhost:{port}");
    let node = NodeClient::with_tls_roots(&https, cert.as_bytes()).unwrap();
    node.wait_for_height(1, Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| {
            let log = std::fs::read_to_string(node_dir.join("node.log")).unwrap_or_default();
            panic!("{e}\n{log}")
        });

    // Anonymous over TLS: the public routes answer, a subject's do not.
    assert_eq!(node.status().await.unwrap().chain_id, "credence-tls");
    let refused = node.json("institutions/0").await.unwrap_err();
    assert!(
        matches!(&refused, ClientError::Refused { status: 401, code, .. } if code == "unauthenticated"),
        "{refused}"
    );
    // Signed over TLS: the regulator reads.
    let regulator = KeyFile::read(&plan.dir.join("keys/regulator.json")).unwrap();
    let signed = node.clone().signed_by(regulator.signing);
    assert_eq!(
        signed.json("institutions/0").await.unwrap()["value"]["id"],
        0
    );

    // A client that trusts only the system's authorities refuses the certificate; plain HTTP
    // on the same port gets no answer.
    assert!(matches!(
        NodeClient::new(&https).status().await,
        Err(ClientError::Transport(_))
    ));
    assert!(matches!(
        NodeClient::new(&format!("http://127.0.0.1:{port}"))
            .status()
            .await,
        Err(ClientError::Transport(_))
    ));

    // The console reaches its own node over TLS: a staff sign-in answers with the institution.
    let token = std::fs::read_to_string(node_dir.join("operator-token")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(cert.as_bytes()).unwrap())
        .build()
        .unwrap();
    let session = client
        .get(format!("{https}/console/api/session"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(session.status().as_u16(), 200);
}

#[test]
fn plain_http_off_loopback_is_refused_unless_the_configuration_says_so() {
    let scratch = tempfile::tempdir().unwrap();
    let plan = Plan {
        dir: scratch.path().join("devnet"),
        validators: 1,
        chain_id: "credence-tls".to_string(),
        base_port: 30_000,
        genesis_time: layout::now().unwrap(),
        epoch_length_blocks: layout::EPOCH_LENGTH_BLOCKS,
    };
    layout::write(&plan).unwrap();
    let config = layout::node_config_path(&plan.dir, 0);
    let loopback = std::fs::read_to_string(&config).unwrap();
    assert!(NodeConfig::load(&config).is_ok());

    let exposed = loopback.replace("api_listen = \"127.0.0.1:", "api_listen = \"0.0.0.0:");
    assert_ne!(exposed, loopback);
    std::fs::write(&config, &exposed).unwrap();
    let refused = NodeConfig::load(&config).unwrap_err().to_string();
    assert!(
        refused.contains("api_listen") && refused.contains("TLS"),
        "{refused}"
    );

    std::fs::write(&config, format!("insecure_plain_http = true\n{exposed}")).unwrap();
    assert!(NodeConfig::load(&config).is_ok());
}
