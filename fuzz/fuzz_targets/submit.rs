//! A `POST /v1/transactions` JSON body: a signed transaction, hex. The property is
//! [`credence_node::fuzzing::submit`]; its proptest twin runs in CI.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = credence_node::fuzzing::submit(bytes);
});
