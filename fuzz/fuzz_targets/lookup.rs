//! A `POST /v1/transactions/lookup` body. The property is [`credence_node::fuzzing::lookup`];
//! its proptest twin runs in CI.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = credence_node::fuzzing::lookup(bytes);
});
