//! Fuzz entry points: the contract of each reader of untrusted bytes in this crate, one
//! function per reader, which panics when the contract is broken.
//!
//! The cargo-fuzz targets `metro2_file` and `metro2_record` in `fuzz/` and the proptest twins
//! in `tests/no_panic.rs` call these same functions. Built only with the `fuzzing` feature.
//!
//! The contract: reading never panics, whatever the bytes; what reads writes back to exactly
//! its input; a file's validation completes and its JSON form reads back to the same model.

use crate::{File, read, read_record, validate, write, write_record};

/// A whole file, as `credence metro2 validate` or `credence furnish --metro2` reads one.
pub fn file(bytes: &[u8]) {
    let Ok(file) = read(bytes) else { return };
    let again = write(&file).expect("a file that reads writes back");
    assert!(again == bytes, "an accepted file changed on the round trip");
    let _ = validate(&file);
    let json = serde_json::to_string(&file).expect("the JSON form of a read file");
    let back: File = serde_json::from_str(&json).expect("the JSON form reads back");
    assert!(back == file, "the JSON form changed the model");
}

/// One data record on its own, as a sealed ledger record carries one.
pub fn record(bytes: &[u8]) {
    let Ok(record) = read_record(bytes) else {
        return;
    };
    let again = write_record(&record).expect("a record that reads writes back");
    assert!(
        again == bytes,
        "an accepted record changed on the round trip"
    );
}
