//! A message from a peer, on the channel its first byte names. The property is
//! [`credence_node::fuzzing::peer_message`]; its proptest twin runs in CI.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = credence_node::fuzzing::peer_message(bytes);
});
