//! A signed transaction as a client or a peer sends it. The property is
//! [`credence_types::fuzzing::transaction`]; its proptest twin runs in CI.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = credence_types::fuzzing::transaction(bytes);
});
