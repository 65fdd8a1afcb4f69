//! Fuzz entry points: the contract of each decoder of untrusted bytes in the node, one
//! function per decoder, which panics when the contract is broken.
//!
//! The cargo-fuzz targets in `fuzz/` and the proptest twins in `tests/decoding_fuzz.rs` call
//! these same functions, so CI (stable toolchain, no cargo-fuzz) checks on every run the
//! properties the fuzzer explores for hours. Built only with the `fuzzing` feature: nothing
//! here is part of a node.
//!
//! - [`submit`], [`batch`] and [`json_transaction`]: the API's JSON bodies (here);
//! - [`block`], [`peer_message`] and [`certificate`]: blocks, what peers send, and the
//!   engine's certificates as a light client reads them (in the consensus adapter, since
//!   they name the engine's types).

use crate::api::{
    ApiError, BATCH_TRANSACTIONS_MAX, batch_from_json, submit_from_json, transaction_from_json,
};
use credence_types::{
    ApiErrorCode, SignedTransaction,
    api::{BatchRequest, SubmitRequest},
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
