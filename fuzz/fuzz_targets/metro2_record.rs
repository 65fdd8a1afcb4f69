//! A Metro 2 data record on its own, as a sealed ledger record carries one. The
//! property is [`credence_metro2::fuzzing::record`]; its proptest twin runs in CI.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    credence_metro2::fuzzing::record(bytes);
});
