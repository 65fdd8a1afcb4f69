//! A `POST /v1/transactions/encode` body: an unsigned transaction as JSON. The property is
//! [`credence_node::fuzzing::json_transaction`]; its proptest twin runs in CI.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = credence_node::fuzzing::json_transaction(bytes);
});
