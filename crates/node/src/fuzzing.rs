//! Fuzz entry points: the contract of each decoder of untrusted bytes in the node, one
//! function per decoder, which panics when the contract is broken.
//!
//! The cargo-fuzz targets in `fuzz/` and the proptest twins in `tests/decoding_fuzz.rs` call
//! these same functions, so CI (stable toolchain, no cargo-fuzz) checks on every run the
//! properties the fuzzer explores for hours. Built only with the `fuzzing` feature: nothing
//! here is part of a node.
//!
//! - [`submit`], [`batch`], [`json_transaction`] and [`lookup`]: the API's JSON bodies
//!   (here);
//! - [`block`], [`peer_message`] and [`certificate`]: blocks, what peers send, and the
//!   engine's certificates as a light client reads them (in the consensus adapter, since
//!   they name the engine's types).

use crate::api::{
    ApiError, BATCH_TRANSACTIONS_MAX, batch_from_json, lookup_from_json, submit_from_json,
    transaction_from_json,
};
use credence_types::{
    ApiErrorCode, SignedTransaction,
    access::body_digest,
    api::{BatchRequest, LOOKUP_HASHES_MAX, LookupRequest, SubmitRequest},
    codec::decode,
    fuzzing::assert_canonical,
    limits::TRANSACTION_BYTES_MAX,
    transaction::Transaction,
};

pub use crate::consensus::fuzzing::{
    LIMITS, VALIDATORS_MAX, block, certificate, peer_message, validator_keys, validator_secrets,
};

/// A `POST /v1/transactions` JSON body (`{"transaction": HEX}`): reading it never panics;
/// it is refused as malformed, or gives 1 to [`TRANSACTION_BYTES_MAX`] bytes, which the
/// signed transaction's decoder then keeps its contract on, and which the body's canonical
/// form (lowercase hex) reads back to. Returns the transaction, if the bytes are one.
pub fn submit(bytes: &[u8]) -> Option<SignedTransaction> {
    let item = match submit_from_json(bytes) {
        Ok(item) => item,
        Err(error) => {
            refused(&error, &[ApiErrorCode::BodyMalformed]);
            return None;
        }
    };
    assert_item(&item);
    let canonical = serde_json::to_vec(&SubmitRequest {
        transaction: hex::encode(&item),
    })
    .expect("a submit request must serialise as JSON");
    assert_eq!(
        submit_from_json(&canonical).ok().as_ref(),
        Some(&item),
        "a submit request's canonical form must read back to its bytes"
    );
    credence_types::fuzzing::transaction(&item)
}

/// Panics unless `error` carries one of the `expected` codes.
fn refused(error: &ApiError, expected: &[ApiErrorCode]) {
    assert!(
        expected.contains(&error.code()),
        "a body is refused as one of {:?}, not {:?}",
        expected.iter().map(|code| code.code()).collect::<Vec<_>>(),
        error.code().code()
    );
}

/// Panics unless a transaction's bytes read from a body are within the documented bounds.
fn assert_item(item: &[u8]) {
    assert!(
        (1..=TRANSACTION_BYTES_MAX).contains(&item.len()),
        "a transaction read from a body is 1 to {TRANSACTION_BYTES_MAX} bytes"
    );
}

/// A `POST /v1/transactions/batch` body: reading it never panics; it is refused whole with
/// one of the documented codes, or gives at most [`BATCH_TRANSACTIONS_MAX`] items of 1 to
/// [`TRANSACTION_BYTES_MAX`] bytes each, which the signed transaction's decoder then keeps
/// its contract on. Returns how many items decode as signed transactions.
pub fn batch(bytes: &[u8]) -> Option<usize> {
    let items = match batch_from_json(bytes) {
        Ok(items) => items,
        Err(error) => {
            refused(
                &error,
                &[ApiErrorCode::BodyMalformed, ApiErrorCode::BatchTooLarge],
            );
            return None;
        }
    };
    assert!(items.len() <= BATCH_TRANSACTIONS_MAX, "a batch is bounded");
    let canonical = serde_json::to_vec(&BatchRequest {
        transactions: items.iter().map(hex::encode).collect(),
    })
    .expect("a batch request must serialise as JSON");
    assert_eq!(
        batch_from_json(&canonical).ok().as_ref(),
        Some(&items),
        "a batch request's canonical form must read back to its items"
    );
    let decoded = items
        .iter()
        .filter(|item| {
            assert_item(item);
            credence_types::fuzzing::transaction(item).is_some()
        })
        .count();
    Some(decoded)
}

/// A `POST /v1/transactions/lookup` body: reading it never panics; under any digest but its
/// own it is refused as `request_signature_invalid` before it is parsed; under its own it is
/// refused whole as `body_malformed` or `batch_too_large`, or gives at most
/// [`LOOKUP_HASHES_MAX`] hashes that the body's canonical form reads back to. Returns how
/// many hashes it names.
pub fn lookup(bytes: &[u8]) -> Option<usize> {
    let own = body_digest(bytes);
    let mut other = own;
    other.0[0] ^= 1;
    match lookup_from_json(bytes, other) {
        Err(error) => refused(&error, &[ApiErrorCode::RequestSignatureInvalid]),
        Ok(_) => panic!("a lookup body is read under a digest that is not its own"),
    }
    let hashes = match lookup_from_json(bytes, own) {
        Ok(hashes) => hashes,
        Err(error) => {
            refused(
                &error,
                &[ApiErrorCode::BodyMalformed, ApiErrorCode::BatchTooLarge],
            );
            return None;
        }
    };
    assert!(hashes.len() <= LOOKUP_HASHES_MAX, "a lookup is bounded");
    let canonical = serde_json::to_vec(&LookupRequest {
        hashes: hashes.clone(),
    })
    .expect("a lookup request must serialise as JSON");
    assert_eq!(
        lookup_from_json(&canonical, body_digest(&canonical)).ok(),
        Some(hashes.clone()),
        "a lookup request's canonical form must read back to its hashes"
    );
    Some(hashes.len())
}

/// A `POST /v1/transactions/encode` body: reading it never panics; it is refused as
/// malformed, or gives a transaction whose signing bytes decode back to it, and whose own
/// JSON (as the API writes it) reads back to the same transaction. Returns the transaction.
pub fn json_transaction(bytes: &[u8]) -> Option<Transaction> {
    let transaction = match transaction_from_json(bytes) {
        Ok(transaction) => transaction,
        Err(error) => {
            refused(&error, &[ApiErrorCode::BodyMalformed]);
            return None;
        }
    };
    let signing = transaction.signing_bytes();
    assert_eq!(
        decode::<Transaction>(&signing).ok().as_ref(),
        Some(&transaction),
        "the signing bytes of an encoded transaction must decode back to it"
    );
    assert_canonical(&transaction, &signing);
    let json = serde_json::to_vec(&transaction).expect("a transaction must serialise as JSON");
    let again = transaction_from_json(&json).ok();
    assert_eq!(
        again.as_ref(),
        Some(&transaction),
        "a transaction's own JSON must read back to it"
    );
    Some(transaction)
}
