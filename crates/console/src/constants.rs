//! The values the console's pages share with the ledger, generated from the Rust that
//! defines them: the bounds the loan form checks, event kinds, Metro 2 status and month
//! codes, score reasons, purposes, portfolio types, schedules, dispute reasons and resolutions,
//! and how a page signs its reads (namespace, headers, freshness) and which refusals say the
//! reader may not read.
//!
//! The pages import them from `pages/constants.js`, which must equal [`module`]; the test
//! `console_constants_are_current` fails when a Rust value changes and the file does not,
//! so no page keeps a hand copy that can drift.

use credence_client::score::Reason;
use credence_types::{
    ApiErrorCode, Event,
    access::{KEY_HEADER, READ_NAMESPACE, REQUEST_FRESHNESS_MS, SIGNATURE_HEADER, TIME_HEADER},
    api::PAGE_LIMIT_MAX,
    lending::ScheduleKind,
    limits::{CURE_DAYS_MAX, INSTALLMENTS_MAX, METRO2_RECORD_BYTES_MAX, PAYMENT_HISTORY_MONTHS},
    metro2::{AccountStatus, PaymentMonth, PortfolioType, StatusClass},
    money::BasisPoints,
    receipt::DisputeResolution,
    transaction::{DisputeReason, InquiryKind, Purpose},
};
use serde_json::{Value, json};

/// A value's name on the wire (its serde form), e.g. `credit_application`.
fn wire<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        other => panic!("a unit variant serialises as a string, not {other:?}"),
    }
}

/// How a status is shown: good, warn, bad, or plain.
fn severity(status: AccountStatus) -> &'static str {
    match status.class() {
        StatusClass::Current => "good",
        StatusClass::Closed if status == AccountStatus::PaidOrClosed => "good",
        StatusClass::Closed | StatusClass::Deletion => "",
        StatusClass::PaidDerogatory => "warn",
        StatusClass::Delinquent if status == AccountStatus::PastDue30 => "warn",
        StatusClass::Delinquent | StatusClass::Derogatory => "bad",
    }
}

/// How a month of the payment grid is shown.
fn month_class(month: PaymentMonth) -> &'static str {
    match month {
        PaymentMonth::Current | PaymentMonth::ZeroBalance => "m-current",
        PaymentMonth::Late30 => "m-late30",
        PaymentMonth::Late60 => "m-late60",
        PaymentMonth::Late90 => "m-late90",
        PaymentMonth::Late120
        | PaymentMonth::Late150
        | PaymentMonth::Late180
        | PaymentMonth::Collection
        | PaymentMonth::Foreclosure
        | PaymentMonth::VoluntarySurrender
        | PaymentMonth::Repossession
        | PaymentMonth::ChargeOff => "m-worse",
        PaymentMonth::NoHistory | PaymentMonth::NotReported => "m-none",
    }
}

/// The refusals that are about the reader rather than the request: the pages answer them
/// by asking for a sign-in, or by saying the entry is not the reader's to see.
const READ_REFUSALS: [ApiErrorCode; 6] = [
    ApiErrorCode::Unauthenticated,
    ApiErrorCode::RequestSignatureInvalid,
    ApiErrorCode::RequestExpired,
    ApiErrorCode::SignerUnknown,
    ApiErrorCode::ReadForbidden,
    ApiErrorCode::OperatorTokenInvalid,
];

/// The constants, by the name the pages import them under.
fn constants() -> Vec<(&'static str, &'static str, Value)> {
    let statuses: serde_json::Map<String, Value> = AccountStatus::ALL
        .into_iter()
        .map(|status| {
            (
                status.code().to_string(),
                json!({
                    "meaning": status.meaning(),
                    "severity": severity(status),
                    "adverse": status.is_adverse(),
                    "requires_first_delinquency": status.requires_first_delinquency(),
                }),
            )
        })
        .collect();
    let months: serde_json::Map<String, Value> = PaymentMonth::ALL
        .into_iter()
        .map(|month| {
            (
                month.code().to_string(),
                json!({ "meaning": month.meaning(), "class": month_class(month) }),
            )
        })
        .collect();
    let reasons: serde_json::Map<String, Value> = Reason::ALL
        .into_iter()
        .map(|reason| {
            (
                wire(reason),
                json!({ "code": reason.code(), "text": reason.text() }),
            )
        })
        .collect();
    let options = |pairs: Vec<(String, &str)>| -> Value {
        pairs
            .into_iter()
            .map(|(value, label)| json!({ "value": value, "label": label }))
            .collect()
    };
    vec![
        (
            "LOAN_LIMITS",
            "What the ledger accepts in loan terms (rates and loan-to-value in basis points).",
            json!({
                "rate_bps_max": BasisPoints::ONE.0,
                "max_ltv_bps_max": BasisPoints::ONE.0,
                "installments_max": INSTALLMENTS_MAX,
                "period_months_max": 12,
                "cure_days_max": CURE_DAYS_MAX,
            }),
        ),
        (
            "EVENT_KINDS",
            "Every kind of event the ledger emits.",
            json!(Event::KINDS.to_vec()),
        ),
        (
            "ACCOUNT_STATUSES",
            "Metro 2 account status codes: meaning, how to show them, and what the ledger asks of them.",
            Value::Object(statuses),
        ),
        (
            "PAYMENT_MONTHS",
            "Metro 2 payment history codes: meaning and the grid cell's class.",
            Value::Object(months),
        ),
        (
            "PAYMENT_HISTORY_MONTHS",
            "Months in a payment history profile.",
            json!(PAYMENT_HISTORY_MONTHS),
        ),
        (
            "METRO2_RECORD_BYTES_MAX",
            "Longest whole Metro 2 data record a sealed record carries beside its tradeline.",
            json!(METRO2_RECORD_BYTES_MAX),
        ),
        (
            "SCORE_REASONS",
            "The score's reasons, by their name in a report: stable code and text.",
            Value::Object(reasons),
        ),
        (
            "PURPOSES",
            "Why a lender may read a file.",
            options(Purpose::ALL.map(|p| (wire(p), p.label())).to_vec()),
        ),
        (
            "INQUIRY_KINDS",
            "Hard (counts as credit sought) or soft.",
            json!(InquiryKind::ALL.map(wire)),
        ),
        (
            "PORTFOLIO_TYPES",
            "Metro 2 portfolio types.",
            options(PortfolioType::ALL.map(|p| (wire(p), p.label())).to_vec()),
        ),
        (
            "SCHEDULES",
            "How a loan is repaid.",
            options(ScheduleKind::ALL.map(|s| (wire(s), s.label())).to_vec()),
        ),
        (
            "DISPUTE_REASONS",
            "Why a subject may dispute a record.",
            options(DisputeReason::ALL.map(|r| (wire(r), r.label())).to_vec()),
        ),
        (
            "DISPUTE_RESOLUTIONS",
            "How a dispute ends.",
            options(
                DisputeResolution::ALL
                    .map(|r| (wire(r), r.label()))
                    .to_vec(),
            ),
        ),
        (
            "PAGE_LIMIT_MAX",
            "Most items in one page of a listing.",
            json!(PAGE_LIMIT_MAX),
        ),
        (
            "READ_NAMESPACE",
            "The namespace a signed read's signature is made under (`access::READ_NAMESPACE`).",
            json!(std::str::from_utf8(READ_NAMESPACE).expect("the read namespace is UTF-8")),
        ),
        (
            "KEY_HEADER",
            "The header carrying a signed read's signing key, 64 hex digits.",
            json!(KEY_HEADER),
        ),
        (
            "TIME_HEADER",
            "The header carrying a signed read's time, Unix milliseconds in decimal.",
            json!(TIME_HEADER),
        ),
        (
            "SIGNATURE_HEADER",
            "The header carrying a signed read's signature, 128 hex digits.",
            json!(SIGNATURE_HEADER),
        ),
        (
            "REQUEST_FRESHNESS_MS",
            "How far a signed read's time may be from the node's clock, either way.",
            json!(REQUEST_FRESHNESS_MS),
        ),
        (
            "READ_REFUSALS",
            "The API's refusals of who reads, by code: 401 asks for (other) credentials, 403 says \
             the reader is not entitled.",
            Value::Object(
                READ_REFUSALS
                    .into_iter()
                    .map(|error| (error.code().to_string(), json!(error.status())))
                    .collect(),
            ),
        ),
        (
            "BUSY_CODES",
            "The API's refusals of a busy node (429, with `Retry-After`): the same transaction \
             is submitted again after the wait.",
            Value::Array(
                ApiErrorCode::ALL
                    .iter()
                    .filter(|error| error.is_busy())
                    .map(|error| json!(error.code()))
                    .collect(),
            ),
        ),
    ]
}

/// The `constants.js` module, as the pages import it.
pub fn module() -> String {
    let mut text = String::from(
        "// Generated from Rust by crates/console/src/constants.rs: do not edit.\n\
         // Regenerate with `CREDENCE_BLESS=1 cargo test -p credence-console constants`.\n",
    );
    for (name, doc, value) in constants() {
        let value = serde_json::to_string_pretty(&value).expect("constants serialise");
        text.push_str(&format!(
            "\n/** {doc} */\nexport const {name} = Object.freeze({value});\n"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::module;

    #[test]
    fn console_constants_are_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/pages/constants.js");
        let expected = module();
        if std::env::var_os("CREDENCE_BLESS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "pages/constants.js disagrees with Rust; regenerate with CREDENCE_BLESS=1"
        );
    }
}
