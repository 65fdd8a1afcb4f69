//! Invalid files produce the right field errors: one test per rule, each patching the bytes of
//! a valid generated file at the field's published position and asserting the exact record
//! number, segment, field and rule.
#![allow(clippy::unwrap_used)]

use credence_metro2::{
    FieldError, File, Layout, Rule, Segment, Separator, generate, read, recompute_trailer,
    validate, write,
};

/// Data record under test: the file's second data record, record 3 (the header is record 1).
const RECORD: usize = 3;

/// A valid three-account file, one record per line.
fn valid_lines() -> Vec<Vec<u8>> {
    let file = generate::file(3, 42, Layout::character_lines(Separator::Lf));
    assert!(validate(&file).is_empty());
    let bytes = write(&file).unwrap();
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Patches `value` at 1-based `position` of 1-based `record`, reads the file back and, unless
/// the trailer itself is under test, recomputes the trailer so only the patched rule fires.
fn patched(patches: &[(usize, usize, &[u8])], keep_trailer: bool) -> File {
    let mut lines = valid_lines();
    for &(record, position, value) in patches {
        lines[record - 1][position - 1..position - 1 + value.len()].copy_from_slice(value);
    }
    let mut bytes = lines.join(&b'\n');
    bytes.push(b'\n');
    let mut file = read(&bytes).expect("field problems are not read errors");
    if !keep_trailer {
        recompute_trailer(&mut file);
    }
    file
}

/// The one error the file has.
fn only_error(file: &File) -> FieldError {
    let report = validate(file);
    assert_eq!(report.errors.len(), 1, "{report:#?}");
    report.errors[0].clone()
}

fn assert_error(e: &FieldError, record: usize, segment: Segment, field: &str, rule: Rule) {
    assert_eq!(
        (e.record, e.segment, e.field, e.rule),
        (u64::try_from(record).unwrap(), segment, field, rule),
        "{e:#?}"
    );
}

#[test]
fn a_lowercase_surname_breaks_lowercase_alpha() {
    let file = patched(&[(RECORD, 232, b"Smith")], false);
    let e = only_error(&file);
    assert_error(&e, RECORD, Segment::Base, "surname", Rule::LowercaseAlpha);
    assert_eq!(e.field_number, "30");
    assert!(e.value.starts_with("Smith"));
}

#[test]
fn a_letter_in_the_current_balance_breaks_non_numeric() {
    let file = patched(&[(RECORD, 155, b"00001234X")], false);
    let e = only_error(&file);
    assert_error(
        &e,
        RECORD,
        Segment::Base,
        "current_balance",
        Rule::NonNumeric,
    );
    assert_eq!((e.field_number, e.value.as_str()), ("21", "00001234X"));
}

#[test]
fn a_blank_filled_amount_breaks_non_numeric_and_is_written_back_blank() {
    let file = patched(&[(RECORD, 164, b"         ")], false);
    let e = only_error(&file);
    assert_error(
        &e,
        RECORD,
        Segment::Base,
        "amount_past_due",
        Rule::NonNumeric,
    );
    let bytes = write(&file).unwrap();
    let line = bytes.split(|&b| b == b'\n').nth(RECORD - 1).unwrap();
    assert_eq!(&line[163..172], b"         ");
}

#[test]
fn february_thirtieth_breaks_invalid_date() {
    let file = patched(&[(RECORD, 76, b"02302020")], false);
    let e = only_error(&file);
    assert_error(&e, RECORD, Segment::Base, "date_opened", Rule::InvalidDate);
    assert_eq!(e.field_number, "10");
}

#[test]
fn status_99_breaks_invalid_account_status() {
    let file = patched(&[(RECORD, 124, b"99")], false);
    let e = only_error(&file);
    assert_error(
        &e,
        RECORD,
        Segment::Base,
        "account_status",
        Rule::InvalidAccountStatus,
    );
    assert_eq!((e.field_number, e.value.as_str()), ("17A", "99"));
}

#[test]
fn a_credit_card_in_a_mortgage_portfolio_breaks_portfolio_type_mismatch() {
    let file = patched(&[(RECORD, 73, b"M"), (RECORD, 74, b"18")], false);
    let e = only_error(&file);
    assert_error(
        &e,
        RECORD,
        Segment::Base,
        "portfolio_type",
        Rule::PortfolioTypeMismatch,
    );
    assert_eq!(e.expected.as_deref(), Some("R"));
}

#[test]
fn a_paid_account_without_a_rating_breaks_payment_rating_missing() {
    let file = patched(&[(RECORD, 124, b"13"), (RECORD, 126, b" ")], false);
    let e = only_error(&file);
    assert_error(
        &e,
        RECORD,
        Segment::Base,
        "payment_rating",
        Rule::PaymentRatingMissing,
    );
    assert_eq!(e.field_number, "17B");
}

#[test]
fn a_current_account_with_a_rating_breaks_payment_rating_unexpected() {
    let file = patched(&[(RECORD, 124, b"11"), (RECORD, 126, b"1")], false);
    let e = only_error(&file);
    assert_error(
        &e,
        RECORD,
        Segment::Base,
        "payment_rating",
        Rule::PaymentRatingUnexpected,
    );
    assert_eq!(e.value, "1");
}

#[test]
fn a_twelve_month_history_breaks_payment_history_length() {
    let file = patched(&[(RECORD, 127, b"000000000000            ")], false);
    let e = only_error(&file);
    assert_error(
        &e,
        RECORD,
        Segment::Base,
        "payment_history_profile",
        Rule::PaymentHistoryLength,
    );
}

#[test]
fn an_x_in_the_history_breaks_invalid_payment_history_character() {
    let file = patched(&[(RECORD, 127, b"00000000000X000000000000")], false);
    let e = only_error(&file);
    let rule = Rule::InvalidPaymentHistoryCharacter;
    assert_error(&e, RECORD, Segment::Base, "payment_history_profile", rule);
    assert_eq!(e.field_number, "18");
}

#[test]
fn history_after_a_b_breaks_payment_history_embedded_b() {
    let file = patched(&[(RECORD, 127, b"0B0000000000000000000000")], false);
    let e = only_error(&file);
    assert_error(
        &e,
        RECORD,
        Segment::Base,
        "payment_history_profile",
        Rule::PaymentHistoryEmbeddedB,
    );
}

#[test]
fn a_wrong_base_record_count_breaks_trailer_total_mismatch() {
    let trailer = 5; // header, three data records, trailer
    let file = patched(&[(trailer, 12, b"000000009")], true);
    let e = only_error(&file);
    assert_error(
        &e,
        trailer,
        Segment::Trailer,
        "total_base_records",
        Rule::TrailerTotalMismatch,
    );
    assert_eq!(
        (e.value.as_str(), e.expected.as_deref()),
        ("000000009", Some("3"))
    );
}

#[test]
fn a_changed_status_breaks_the_trailer_status_totals() {
    // Without recomputing the trailer, moving an account to status DF changes two totals.
    let mut file = patched(&[], true);
    let old = file.bases[RECORD - 2].base.account_status.to_string();
    file.bases[RECORD - 2].base.account_status = "DF".parse().unwrap();
    file.bases[RECORD - 2].base.payment_rating = credence_metro2::Text::BLANK;
    let report = validate(&file);
    let fields: Vec<&str> = report.errors.iter().map(|e| e.field).collect();
    assert!(fields.contains(&"total_status_code_df"), "{report:#?}");
    assert!(fields.contains(&format!("total_status_code_{}", old.to_lowercase()).as_str()));
    assert!(
        report
            .errors
            .iter()
            .all(|e| e.rule == Rule::TrailerTotalMismatch && e.record == 5)
    );
}

#[test]
fn a_wrong_rdw_is_kept_and_breaks_record_length_mismatch() {
    let file = patched(&[(RECORD, 1, b"0426")], false);
    let e = only_error(&file);
    assert_error(
        &e,
        RECORD,
        Segment::Base,
        "record_descriptor_word",
        Rule::RecordLengthMismatch,
    );
    assert_eq!(e.value, "0426");
}

#[test]
fn a_lowercase_j1_surname_names_the_segment_and_occurrence() {
    // The first data record (record 2) carries two J1 segments, at 427 and 527.
    let file = patched(&[(2, 527 + 3, b"Jones")], false);
    let e = only_error(&file);
    assert_error(&e, 2, Segment::J1, "surname", Rule::LowercaseAlpha);
    assert_eq!(e.occurrence, 2);
}

#[test]
fn a_garbled_packed_amount_breaks_non_numeric() {
    let mut file = generate::file(2, 9, Layout::packed());
    recompute_trailer(&mut file);
    let mut bytes = write(&file).unwrap();
    // Second block: after the header block (370 bytes) and the first data block.
    let first_block = usize::from(u16::from_be_bytes([bytes[370], bytes[371]]));
    let base = 370 + first_block + 4; // start of the second data record's RDW
    // Current balance: packed positions 130–134 (0-based 129 from the RDW).
    bytes[base + 129..base + 134].copy_from_slice(&[0xAB, 0xCD, 0xEF, 0x12, 0x34]);
    let file = read(&bytes).unwrap();
    let e = only_error(&file);
    assert_error(&e, 3, Segment::Base, "current_balance", Rule::NonNumeric);
    assert_eq!(e.value, "0xabcdef1234");
    assert_eq!(write(&file).unwrap(), bytes);
}

#[test]
fn a_missing_account_number_breaks_required_field_missing() {
    let file = patched(&[(RECORD, 43, &[b' '; 30])], false);
    let e = only_error(&file);
    let rule = Rule::RequiredFieldMissing;
    assert_error(&e, RECORD, Segment::Base, "consumer_account_number", rule);
}

#[test]
fn the_report_serialises_with_stable_codes() {
    let file = patched(&[(RECORD, 124, b"99")], false);
    let json = serde_json::to_value(validate(&file)).unwrap();
    let e = &json["errors"][0];
    assert_eq!(e["rule"], "invalid_account_status");
    assert_eq!(e["segment"], "base");
    assert_eq!(e["field"], "account_status");
    assert_eq!(e["field_number"], "17A");
    assert_eq!(e["record"], 3);
}
