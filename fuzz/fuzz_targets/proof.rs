//! A state proof as a node sends it to a light client, with the key and root it is checked
//! for. The property is [`credence_light::fuzzing::proof`]; its proptest twin runs in CI.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = credence_light::fuzzing::proof(bytes);
});
