//! Fixtures for `pages/record.js`, the console's decoder of an opened record: the canonical
//! encoding of record plaintexts, written by Rust, with the tradeline each must decode to.
//! `pages/record.test.mjs` decodes every one and compares (and refuses every truncation);
//! this test keeps the fixture file equal to what the Rust encoder writes, so the two
//! implementations cannot drift apart unnoticed.
#![allow(clippy::unwrap_used)]

use credence_types::{
    Digest,
    codec::encode,
    metro2::{AccountStatus, PaymentMonth, Tradeline},
    transaction::RecordPlaintext,
};
use serde_json::{Value, json};

/// A tradeline varied by `index`: every status code, every month code, options present
/// and absent, amounts up to what a page shows exactly, text beyond ASCII.
fn tradeline(index: usize) -> Tradeline {
    let status = AccountStatus::ALL[index % AccountStatus::ALL.len()];
    let months: Vec<&str> = (0..(index % 25))
        .map(|m| PaymentMonth::ALL[(index + m) % PaymentMonth::ALL.len()].code())
        .collect();
    let dated = |present: bool, date: &str| if present { json!(date) } else { Value::Null };
    let portfolio = [
        "line_of_credit",
        "installment",
        "mortgage",
        "open",
        "revolving",
    ][index % 5];
    let account_type = ["00", "18", "26", "0G"][index % 4];
    serde_json::from_value(json!({
        "account_number": format!("ACCT-{index:04}-ÄÖ"),
        "portfolio_type": portfolio,
        "account_type": account_type,
        "currency": "usd",
        "date_opened": "2019-03-01",
        "credit_limit": index * 1_000,
        "highest_credit": 9_007_199_254_740_991u64 - index as u64,
        "terms_months": index * 7,
        "scheduled_monthly_payment": 2_500,
        "actual_payment": index * 13,
        "account_status": status.code(),
        "payment_history": months,
        "current_balance": 120_000,
        "amount_past_due": index,
        "original_charge_off": 0,
        "date_of_account_information": "2026-10-31",
        "first_delinquency": dated(index.is_multiple_of(2), "2025-01-15"),
        "date_closed": dated(index.is_multiple_of(3), "1970-01-01"),
        "date_of_last_payment": dated(!index.is_multiple_of(5), "2026-10-15"),
        "consumer": {
            "name": format!("Zoë Example {index}"),
            "national_id": "000-00-0001",
            "date_of_birth": dated(index % 4 == 1, "1990-05-17"),
            "address": "1 Example Street, Montréal"
        }
    }))
    .unwrap()
}

fn fixtures() -> String {
    let cases: Vec<Value> = (0..AccountStatus::ALL.len() * 2)
        .map(|index| {
            let tradeline = tradeline(index);
            let plaintext = RecordPlaintext {
                tradeline: tradeline.clone(),
                salt: Digest::of("credence/fixture-salt", &[&index.to_be_bytes()]),
                // Every third record carries a whole Metro 2 data record, as an import's do.
                metro2: index.is_multiple_of(3).then(|| {
                    credence_types::codec::BoundedBytes::new(vec![b'M'; 426 + index]).unwrap()
                }),
            };
            json!({ "hex": hex::encode(encode(&plaintext)), "tradeline": tradeline })
        })
        .collect();
    serde_json::to_string_pretty(&cases).unwrap() + "\n"
}

#[test]
fn record_decoder_fixtures_are_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/records.json");
    let expected = fixtures();
    if std::env::var_os("CREDENCE_BLESS").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "tests/fixtures/records.json is stale; regenerate with CREDENCE_BLESS=1"
    );
}
