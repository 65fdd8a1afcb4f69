//! A finalisation certificate as a node sends it to a light client, read by the light client
//! and by the engine. The property is [`credence_node::fuzzing::certificate`]; its proptest
//! twin runs in CI.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = credence_node::fuzzing::certificate(bytes);
});
