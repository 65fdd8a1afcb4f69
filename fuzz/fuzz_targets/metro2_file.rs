//! A Metro 2 file, as `credence metro2 validate` and `credence furnish --metro2` read one. The
//! property is [`credence_metro2::fuzzing::file`]; its proptest twin runs in CI.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    credence_metro2::fuzzing::file(bytes);
});
