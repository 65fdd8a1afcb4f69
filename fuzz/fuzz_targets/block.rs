//! A block as a peer broadcasts or backfills it. The property is
//! [`credence_node::fuzzing::block`]; its proptest twin runs in CI.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = credence_node::fuzzing::block(bytes);
});
