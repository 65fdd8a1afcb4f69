//! Making the generated OpenAPI document say exactly what the API accepts and returns.
//!
//! `utoipa` derives the document from the handlers and types, but some of what the server
//! enforces is not in a Rust type: an unsigned integer's upper bound (JSON Schema's integer
//! formats are signed), and what a path or query string must look like (a pseudonym is 64 hex
//! characters, an event id is `height:index`). [`Exact`] adds those, from the constants the
//! server checks against, so that a request valid by the document is never refused as
//! malformed, and an answer never breaks it. A conformance test drives the API with requests
//! generated from the document.

use super::BATCH_TRANSACTIONS_MAX;
use credence_types::{
    Event, api::LOOKUP_HASHES_MAX, limits::TRANSACTION_BYTES_MAX, state::KEY_LEN,
};
use serde_json::{Value, json};
use utoipa::{Modify, openapi::OpenApi};

/// Most kinds one `kinds` filter of the event stream may name.
pub const EVENT_KINDS_MAX: usize = 64;

/// Pattern of a hex string of `bytes` bytes (either case; the server reads both).
fn hex(bytes: usize) -> String {
    format!("^[0-9a-fA-F]{{{}}}$", 2 * bytes)
}

/// An event id `height:index` whose parts fit a `u64` and a `u32`.
pub const EVENT_ID_PATTERN: &str = "^[0-9]{1,19}:[0-9]{1,9}$";

/// The schema a path, query or header parameter takes, by the parameter's name and the
/// path it is in; `None` leaves the derived schema.
fn parameter(path: &str, name: &str) -> Option<Value> {
    let pattern = |pattern: String| json!({ "type": "string", "pattern": pattern });
    match name {
        "key" if path.starts_with("/v1/state/") => Some(pattern(hex(KEY_LEN))),
        "key" => Some(pattern(hex(32))),
        "hash" | "digest" => Some(pattern(hex(32))),
        "id" | "subject" if path.starts_with("/v1/subjects/") || path == "/v1/events" => {
            Some(pattern(hex(32)))
        }
        "after" | "Last-Event-ID" => Some(pattern(EVENT_ID_PATTERN.to_string())),
        "kinds" => Some(pattern(format!(
            "^({kind})(,({kind})){{0,{more}}}$",
            kind = Event::KINDS.join("|"),
            more = EVENT_KINDS_MAX - 1
        ))),
        _ => None,
    }
}

/// An unsigned integer format as `utoipa` writes it: the conventional name and the largest
/// value.
fn unsigned(format: &str) -> Option<(&'static str, u64)> {
    match format {
        "u-int8" | "uint8" => Some(("uint8", u64::from(u8::MAX))),
        "u-int16" | "uint16" => Some(("uint16", u64::from(u16::MAX))),
        "u-int32" | "uint32" => Some(("uint32", u64::from(u32::MAX))),
        "u-int64" | "uint64" => Some(("uint64", u64::MAX)),
        _ => None,
    }
}

/// Gives every unsigned integer schema, wherever it is, its range.
fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let format = object
                .get("format")
                .and_then(Value::as_str)
                .and_then(unsigned);
            if let Some((name, maximum)) = format {
                object.insert("format".to_string(), json!(name));
                object.insert("minimum".to_string(), json!(0));
                object.insert("maximum".to_string(), json!(maximum));
            }
            object.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// Gives every parameter the schema the server enforces.
fn shape_parameters(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(operations) = item.as_object_mut() else {
            continue;
        };
        for operation in operations.values_mut() {
            let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for parameter_value in parameters {
                let name = parameter_value["name"].as_str().unwrap_or_default();
                if let Some(schema) = parameter(path, name) {
                    parameter_value["schema"] = schema;
                }
            }
        }
    }
}

/// A signed transaction in a request body: hex of at most the largest transaction.
fn transaction_hex() -> Value {
    json!({
        "type": "string",
        "description": "An encoded signed transaction, hex.",
        "pattern": "^([0-9a-fA-F]{2})+$",
        "maxLength": 2 * TRANSACTION_BYTES_MAX,
    })
}

/// The submission and lookup bodies: what a transaction's hex and a hash must look like, and
/// how many a request holds.
fn shape_submissions(document: &mut Value) {
    if let Some(transaction) =
        document.pointer_mut("/components/schemas/SubmitRequest/properties/transaction")
    {
        *transaction = transaction_hex();
    }
    if let Some(transactions) =
        document.pointer_mut("/components/schemas/BatchRequest/properties/transactions")
    {
        transactions["items"] = transaction_hex();
        transactions["maxItems"] = json!(BATCH_TRANSACTIONS_MAX);
    }
    if let Some(hashes) =
        document.pointer_mut("/components/schemas/LookupRequest/properties/hashes")
    {
        hashes["items"] = json!({ "type": "string", "pattern": hex(32) });
        hashes["maxItems"] = json!(LOOKUP_HASHES_MAX);
    }
}

/// An entry's `value` is `null` when the key holds nothing (a proven absence answers so);
/// `utoipa` drops the nullability of a generic field it inlines, so it is restored here.
fn nullable_entry_values(document: &mut Value) {
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if !name.starts_with("Entry_") {
            continue;
        }
        if let Some(value) = schema.pointer_mut("/properties/value") {
            let inner = value.take();
            *value = json!({ "oneOf": [{ "type": "null" }, inner] });
        }
    }
}

/// Component schemas of types that refuse unknown fields (`#[serde(deny_unknown_fields)]`).
const CLOSED_OBJECTS: [&str; 6] = [
    "SubmitRequest",
    "BatchRequest",
    "LookupRequest",
    "Genesis",
    "NewInstitution",
    "Parameters",
];

/// Objects that take no other property than the ones they name: the closed structs, and each
/// variant of an enum written as a single-key object (`{"institution": 3}`), which the decoder
/// reads as exactly one key.
fn close_objects(document: &mut Value) {
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for name in CLOSED_OBJECTS {
            if let Some(Value::Object(schema)) = schemas.get_mut(name) {
                schema.insert("additionalProperties".to_string(), json!(false));
            }
        }
    }
    close_single_key_variants(document);
}

fn close_single_key_variants(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(variants)) = object.get_mut("oneOf") {
                for variant in variants.iter_mut() {
                    let single = variant["properties"]
                        .as_object()
                        .is_some_and(|p| p.len() == 1)
                        && variant["required"].as_array().is_some_and(|r| r.len() == 1);
                    if single && let Value::Object(variant) = variant {
                        variant.insert("additionalProperties".to_string(), json!(false));
                    }
                }
            }
            object.values_mut().for_each(close_single_key_variants);
        }
        Value::Array(items) => items.iter_mut().for_each(close_single_key_variants),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// The operations anyone may call: health and status, headers with their certificates, epoch
/// transitions, the document itself, and submissions (a transaction carries its own
/// signature). Every other operation answers only signed requests.
pub const PUBLIC_OPERATIONS: [(&str, &str); 6] = [
    ("get", "/v1/status"),
    ("get", "/v1/headers/latest"),
    ("get", "/v1/epochs/{epoch}"),
    ("post", "/v1/transactions"),
    ("post", "/v1/transactions/batch"),
    ("post", "/v1/transactions/encode"),
];

/// The signed-request scheme, as three API keys in headers that go together, and on every
/// operation that is not public its requirement and its 401 and 403.
fn secure_operations(document: &mut Value) {
    use credence_types::access::{KEY_HEADER, SIGNATURE_HEADER, TIME_HEADER};
    let scheme = |name: &str, description: &str| json!({ "type": "apiKey", "in": "header", "name": name, "description": description });
    let schemes = json!({
        "signer": scheme(KEY_HEADER, "The reader's signing key (an institution's or a subject's), 64 hex digits."),
        "time": scheme(TIME_HEADER, "The request's time, Unix milliseconds; within five minutes of the node's clock."),
        "signature": scheme(SIGNATURE_HEADER, "Ed25519 under the namespace `credence/read` over `chain_id\\nMETHOD\\npath?query\\ntime`, 128 hex digits."),
    });
    if let Some(components) = document
        .get_mut("components")
        .and_then(Value::as_object_mut)
    {
        components.insert("securitySchemes".to_string(), schemes);
    }
    let error = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } });
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(operations) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in operations.iter_mut() {
            if PUBLIC_OPERATIONS.contains(&(method.as_str(), path.as_str())) {
                operation["security"] = json!([]);
                continue;
            }
            operation["security"] = json!([{ "signer": [], "time": [], "signature": [] }]);
            if let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            {
                responses.insert(
                    "401".to_string(),
                    error("No signature (`unauthenticated`), a malformed or wrong one, a stale time, or a key the ledger binds to nobody"),
                );
                responses.insert(
                    "403".to_string(),
                    error("The reader is not entitled to this (`read_forbidden`)"),
                );
            }
        }
    }
}

/// The modifier that makes the document exact.
pub struct Exact;

impl Modify for Exact {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut document = serde_json::to_value(&*openapi)
            .expect("an OpenAPI document, built from this crate's types, serialises to JSON");
        shape_parameters(&mut document);
        shape_submissions(&mut document);
        nullable_entry_values(&mut document);
        close_objects(&mut document);
        bound_integers(&mut document);
        secure_operations(&mut document);
        *openapi = serde_json::from_value(document)
            .expect("the shaping rewrites only values the OpenAPI types define, so it reads back");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_have_the_widths_the_server_parses() {
        assert_eq!(hex(32), "^[0-9a-fA-F]{64}$");
        assert_eq!(hex(KEY_LEN), format!("^[0-9a-fA-F]{{{}}}$", 2 * KEY_LEN));
        // Any 19 digits fit a u64, any 9 a u32: the event id pattern admits only ids the
        // server can parse.
        assert!(u64::MAX.to_string().len() > 19 && u32::MAX.to_string().len() > 9);
    }
}
