//! The OpenAPI document: generated from the handlers and types, pinned by a snapshot in
//! `docs/reference/openapi.json` (regenerate with `CREDENCE_BLESS=1`), and checked for what
//! a generator can get wrong: every route documented, every `$ref` resolved.
#![allow(clippy::unwrap_used)]

use credence_node::api::ApiDoc;
use std::{collections::BTreeSet, path::PathBuf};
use utoipa::OpenApi as _;

fn document() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap()
}

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/reference/openapi.json")
}

#[test]
fn the_document_matches_its_snapshot() {
    let generated = serde_json::to_string_pretty(&document()).unwrap() + "\n";
    let path = snapshot_path();
    if std::env::var_os("CREDENCE_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let pinned = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        pinned == generated,
        "docs/reference/openapi.json is stale: run `CREDENCE_BLESS=1 cargo test -p credence-node --test openapi` and review the diff"
    );
}

#[test]
fn every_route_is_documented() {
    let document = document();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths: BTreeSet<&str> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let routes = [
        "/v1/transactions",
        "/v1/transactions/batch",
        "/v1/transactions/{hash}",
        "/v1/accounts/{key}",
        "/v1/blocks/{height}",
        "/v1/status",
        "/v1/headers/latest",
        "/v1/events",
        "/v1/state/{key}",
        "/v1/institutions/{id}",
        "/v1/subjects/{id}",
        "/v1/subjects/{id}/records",
        "/v1/subjects/{id}/consents",
        "/v1/subjects/{id}/inquiries",
        "/v1/subjects/{id}/disputes",
        "/v1/subjects/{id}/loans",
        "/v1/subjects/{id}/assets",
        "/v1/records/{id}",
        "/v1/consents/{id}",
        "/v1/inquiries/{id}",
        "/v1/disputes/{id}",
        "/v1/assets/{id}",
        "/v1/loans/{id}",
        "/v1/loans/{id}/schedule",
        "/v1/loans/{id}/history",
        "/v1/institutions",
    ];
    for route in routes {
        assert!(paths.contains(route), "{route} is not documented");
    }
}

fn refs<'a>(value: &'a serde_json::Value, found: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", serde_json::Value::String(target)) => found.push(target),
                    _ => refs(value, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let document = document();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(!found.is_empty());
    let missing: BTreeSet<&str> = found
        .into_iter()
        .filter(|target| {
            let name = target.trim_start_matches("#/components/schemas/");
            !schemas.contains_key(name)
        })
        .collect();
    assert!(missing.is_empty(), "unresolved references: {missing:?}");
}

#[test]
fn the_event_kinds_listed_in_rust_are_those_the_api_documents() {
    let document = document();
    let documented: Vec<&str> = document["components"]["schemas"]["Event"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|variant| variant["properties"]["kind"]["enum"][0].as_str().unwrap())
        .collect();
    assert_eq!(documented, credence_types::Event::KINDS);
}
