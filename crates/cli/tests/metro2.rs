//! `credence metro2 validate` and `convert`, as a furnisher runs them: no network, a month's
//! file in, an error report or another format out.
#![allow(clippy::unwrap_used)]

use credence_metro2::{Layout, generate, read, write};
use std::{path::Path, process::Command};

const BINARY: &str = env!("CARGO_BIN_EXE_credence");

fn credence(args: &[&str]) -> std::process::Output {
    Command::new(BINARY).args(args).output().unwrap()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `credence metro2 convert FROM --to TO --out OUT`, which must succeed.
fn convert(from: &Path, to: &str, out: &Path) {
    let converted = credence(&[
        "metro2",
        "convert",
        path(from),
        "--to",
        to,
        "--out",
        path(out),
    ]);
    assert!(converted.status.success(), "{converted:?}");
}

#[test]
fn a_valid_file_converts_through_every_form_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("2026-11.m2");
    let file = generate::file(25, 11, Layout::character_fixed());
    let bytes = write(&file).unwrap();
    std::fs::write(&original, &bytes).unwrap();

    let checked = credence(&["metro2", "validate", path(&original)]);
    assert!(checked.status.success(), "{checked:?}");
    assert!(String::from_utf8_lossy(&checked.stdout).contains("valid (25 account record(s)"));

    // Character → JSON → character: the same bytes.
    let json = dir.path().join("2026-11.json");
    let back = dir.path().join("back.m2");
    convert(&original, "json", &json);
    convert(&json, "character", &back);
    assert_eq!(std::fs::read(&back).unwrap(), bytes);

    // Character → packed → character: the same accounts, and valid in both formats.
    let packed = dir.path().join("packed.m2");
    let again = dir.path().join("again.m2");
    convert(&original, "packed", &packed);
    convert(&packed, "character", &again);
    for out in [&packed, &again] {
        assert!(
            credence(&["metro2", "validate", path(out)])
                .status
                .success()
        );
    }
    let packed_bytes = std::fs::read(&packed).unwrap();
    assert_eq!(read(&packed_bytes).unwrap().layout, Layout::packed());
    assert_eq!(
        read(&std::fs::read(&again).unwrap()).unwrap().bases,
        file.bases
    );
}

#[test]
fn an_invalid_file_is_reported_by_record_and_field_without_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = generate::file(5, 3, Layout::character_fixed());
    // Record 3 (the header is record 1): a status Metro 2 does not define.
    file.bases[1].base.account_status = "99".parse().unwrap();
    // And a trailer whose totals no longer match: one account dropped after it was counted.
    file.bases.pop();
    let bad = dir.path().join("bad.m2");
    std::fs::write(&bad, write(&file).unwrap()).unwrap();

    let checked = credence(&["metro2", "validate", path(&bad)]);
    assert!(!checked.status.success());
    let report = String::from_utf8_lossy(&checked.stdout);
    assert!(
        report.contains("record 3 base field 17A (account_status): invalid_account_status"),
        "{report}"
    );
    assert!(report.contains("trailer"), "{report}");
    // The report names fields, never what they hold.
    let consumer = file.bases[0].base.surname.to_string();
    assert!(!report.contains(consumer.trim()), "{report}");
    assert!(String::from_utf8_lossy(&checked.stderr).contains("problem(s)"));

    // Recomputing the trailer leaves only the status to fix.
    let fixed = dir.path().join("fixed.m2");
    let converted = credence(&[
        "metro2",
        "convert",
        path(&bad),
        "--to",
        "character",
        "--recompute-trailer",
        "--out",
        path(&fixed),
    ]);
    assert!(converted.status.success(), "{converted:?}");
    let rechecked = credence(&["metro2", "validate", path(&fixed)]);
    let report = String::from_utf8_lossy(&rechecked.stdout);
    assert_eq!(report.lines().count(), 1, "{report}");
    assert!(report.contains("account_status"), "{report}");

    // Not Metro 2 at all: refused, with why.
    let junk = dir.path().join("junk.m2");
    std::fs::write(&junk, b"hello").unwrap();
    let refused = credence(&["metro2", "validate", path(&junk)]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not a Metro 2 file"));
}
