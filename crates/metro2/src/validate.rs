//! Field-by-field validation against the CDIA rules.
//!
//! Owns [`validate()`], [`ErrorReport`], [`FieldError`] and [`Rule`].
//!
//! Two passes share one walk over every field of every record:
//! - generic rules by field kind: alphanumeric fields hold printable ASCII and no lowercase
//!   letters; numeric fields are zero-filled digits (or valid packed decimal); date fields are
//!   real `MMDDYYYY` dates or zero-filled;
//! - rules of particular fields: required fields present, account status, portfolio type and
//!   its consistency with the account type, payment rating against the status, payment history
//!   profile, descriptor words against record lengths, and every trailer total against the
//!   totals recomputed from the data records.
//!
//! Placeholder segments (blank-, zero- or nine-filled after the identifier) are skipped: they
//! are how fixed-length reporters say "no such segment".
//!
//! The offending values in a report may be personal data (names, SSNs): callers must not log
//! them.

use serde::Serialize;

use crate::base::{Base, BaseRecord};
use crate::codec::{FieldId, FieldView, Segment, View};
use crate::codes::{
    AccountStatus, PAYMENT_HISTORY_CODES, PAYMENT_HISTORY_MONTHS, PAYMENT_RATINGS, PortfolioType,
    portfolios_for_account_type,
};
use crate::digits::Enc;
use crate::header::Header;
use crate::layout::{Blocking, Framing};
use crate::model::File;
use crate::trailer::expected_totals;
use crate::write::record_len;

/// The rule a field breaks. `code()` (and the serde form) is a stable snake_case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// An alphanumeric field holds a lowercase letter: alpha data must be uppercase.
    LowercaseAlpha,
    /// An alphanumeric field holds a byte outside printable ASCII.
    InvalidCharacter,
    /// A numeric field is not zero-filled digits (blank fill included), or not valid packed
    /// decimal in a packed file.
    NonNumeric,
    /// A date field is neither a calendar date in `MMDDYYYY` nor zero-filled.
    InvalidDate,
    /// A field the CRRG requires is blank or zero.
    RequiredFieldMissing,
    /// Account status not in Exhibit 4.
    InvalidAccountStatus,
    /// Portfolio type not C, I, M, O or R.
    InvalidPortfolioType,
    /// Account type not in Exhibit 1.
    InvalidAccountType,
    /// Portfolio type not one the account type may be reported under.
    PortfolioTypeMismatch,
    /// The status requires a payment rating and the field is blank.
    PaymentRatingMissing,
    /// A payment rating with a status that requires the field to be blank.
    PaymentRatingUnexpected,
    /// A payment rating that is not 0–6, G or L.
    InvalidPaymentRating,
    /// The payment history profile has fewer than 24 months (trailing blanks).
    PaymentHistoryLength,
    /// A payment history month that is not 0–6, B, D, E, G, H, J, K or L.
    InvalidPaymentHistoryCharacter,
    /// A B (no history) followed by a month with history: B may only fill the oldest months.
    PaymentHistoryEmbeddedB,
    /// A record descriptor word that is not the record's length.
    RecordLengthMismatch,
    /// A trailer total that differs from the total of the data records.
    TrailerTotalMismatch,
}

impl Rule {
    /// The stable snake_case name of this rule.
    pub fn code(self) -> &'static str {
        match self {
            Self::LowercaseAlpha => "lowercase_alpha",
            Self::InvalidCharacter => "invalid_character",
            Self::NonNumeric => "non_numeric",
            Self::InvalidDate => "invalid_date",
            Self::RequiredFieldMissing => "required_field_missing",
            Self::InvalidAccountStatus => "invalid_account_status",
            Self::InvalidPortfolioType => "invalid_portfolio_type",
            Self::InvalidAccountType => "invalid_account_type",
            Self::PortfolioTypeMismatch => "portfolio_type_mismatch",
            Self::PaymentRatingMissing => "payment_rating_missing",
            Self::PaymentRatingUnexpected => "payment_rating_unexpected",
            Self::InvalidPaymentRating => "invalid_payment_rating",
            Self::PaymentHistoryLength => "payment_history_length",
            Self::InvalidPaymentHistoryCharacter => "invalid_payment_history_character",
            Self::PaymentHistoryEmbeddedB => "payment_history_embedded_b",
            Self::RecordLengthMismatch => "record_length_mismatch",
            Self::TrailerTotalMismatch => "trailer_total_mismatch",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// 1-based record number (the header is record 1).
    pub record: u64,
    /// The segment holding the field.
    pub segment: Segment,
    /// Which J1 or J2 of the record (1-based); 1 for every other segment.
    pub occurrence: u32,
    /// The field's snake_case name, e.g. `account_status`.
    pub field: &'static str,
    /// The CDIA field number, e.g. `17A`.
    pub field_number: &'static str,
    /// The rule broken.
    pub rule: Rule,
    /// The offending value as it stands in the file (Latin-1 text) or as a number.
    pub value: String,
    /// What the rule expected, when there is one right answer (a recomputed total, the
    /// portfolio type an account type takes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "record {} {} field {} ({}): {}",
            self.record, self.segment, self.field_number, self.field, self.rule
        )?;
        if let Some(expected) = &self.expected {
            write!(f, " (expected {expected})")?;
        }
        Ok(())
    }
}

/// Every rule a file breaks, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErrorReport {
    /// The problems found.
    pub errors: Vec<FieldError>,
}

impl ErrorReport {
    /// True when the file breaks no rule.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The problems with `field` in record `record`.
    pub fn for_field(&self, record: u64, field: &str) -> impl Iterator<Item = &FieldError> {
        self.errors
            .iter()
            .filter(move |e| e.record == record && e.field == field)
    }
}

/// Collects errors for one record.
struct Sink<'r> {
    report: &'r mut ErrorReport,
    record: u64,
    occurrence: u32,
}

impl Sink<'_> {
    fn push(&mut self, id: FieldId, rule: Rule, value: String, expected: Option<String>) {
        self.report.errors.push(FieldError {
            record: self.record,
            segment: id.segment,
            occurrence: self.occurrence,
            field: id.name,
            field_number: id.number,
            rule,
            value,
            expected,
        });
    }

    /// The generic rules for one field.
    fn check(&mut self, id: FieldId, field: &dyn FieldView, fields: Enc) {
        match field.view(fields) {
            View::Text(bytes) => {
                if bytes.iter().any(|b| !(b' '..=b'~').contains(b)) {
                    self.push(id, Rule::InvalidCharacter, field.show(), None);
                } else if bytes.iter().any(u8::is_ascii_lowercase) {
                    self.push(id, Rule::LowercaseAlpha, field.show(), None);
                }
            }
            View::Number(None) => self.push(id, Rule::NonNumeric, field.show(), None),
            View::Date(Err(())) => self.push(id, Rule::InvalidDate, field.show(), None),
            View::Number(Some(_)) | View::Date(Ok(_)) | View::Reserved => {}
        }
    }

    /// A required field: blank text, zero number or zero date is missing. Fields already
    /// reported as malformed are not reported twice.
    fn require(&mut self, id: FieldId, field: &dyn FieldView, fields: Enc) {
        let missing = match field.view(fields) {
            View::Text(bytes) => bytes.iter().all(|&b| b == b' '),
            View::Number(n) => n == Some(0),
            View::Date(d) => d == Ok(false),
            View::Reserved => false,
        };
        if missing {
            self.push(id, Rule::RequiredFieldMissing, field.show(), None);
        }
    }

    fn framing(&mut self, segment: Segment, framing: &Framing, length: Option<usize>) {
        if let (Some(raw), Some(length)) = (&framing.descriptor, length) {
            let id = FieldId {
                segment,
                name: "record_descriptor_word",
                number: "1",
            };
            self.push(
                id,
                Rule::RecordLengthMismatch,
                raw.to_string(),
                Some(format!("{length:04}")),
            );
        }
    }
}

/// Checks every field of `file` against the CDIA rules.
pub fn validate(file: &File) -> ErrorReport {
    let mut report = ErrorReport::default();
    let enc = file.layout.format.field_enc();
    // A kept RDW only exists in unblocked files; compare it with what the writer would put.
    let unblocked = matches!(file.layout.blocking, Blocking::Unblocked { .. });
    let length = |index: usize| unblocked.then(|| record_len(file, &file.layout, index));

    let mut sink = Sink {
        report: &mut report,
        record: 1,
        occurrence: 1,
    };
    sink.framing(Segment::Header, &file.header_framing, length(0));
    check_header(&mut sink, &file.header);

    for (i, record) in file.bases.iter().enumerate() {
        let mut sink = Sink {
            report: &mut report,
            record: File::record_number(i),
            occurrence: 1,
        };
        sink.framing(Segment::Base, &record.framing, length(i + 1));
        check_data_record(&mut sink, record, enc);
    }

    let record = file.trailer_record_number();
    let mut sink = Sink {
        report: &mut report,
        record,
        occurrence: 1,
    };
    sink.framing(
        Segment::Trailer,
        &file.trailer_framing,
        length(file.bases.len() + 1),
    );
    file.trailer.visit(|id, f| sink.check(id, f, enc));
    check_trailer_totals(&mut sink, file);
    report
}

fn check_header(sink: &mut Sink<'_>, header: &Header) {
    header.visit(|id, f| {
        sink.check(id, f, Enc::Char);
        if matches!(id.name, "activity_date" | "date_created" | "reporter_name") {
            sink.require(id, f, Enc::Char);
        }
    });
}

fn check_data_record(sink: &mut Sink<'_>, record: &BaseRecord, enc: Enc) {
    record.base.visit(|id, f| {
        sink.check(id, f, enc);
        if matches!(
            id.name,
            "identification_number"
                | "consumer_account_number"
                | "portfolio_type"
                | "account_type"
                | "date_opened"
                | "account_status"
                | "date_of_account_information"
                | "surname"
                | "first_name"
                | "ecoa_code"
        ) {
            sink.require(id, f, enc);
        }
    });
    check_base_rules(sink, &record.base);

    macro_rules! segments {
        ($($list:expr),*) => {$(
            for (n, s) in $list.into_iter().enumerate() {
                if s.is_placeholder() {
                    continue;
                }
                sink.occurrence = u32::try_from(n + 1).unwrap_or(u32::MAX);
                s.visit(|id, f| sink.check(id, f, Enc::Char));
            }
        )*};
    }
    segments!(
        &record.j1, &record.j2, &record.k1, &record.k2, &record.k3, &record.k4, &record.l1,
        &record.n1
    );
    sink.occurrence = 1;
}

/// Finds a base segment field's identity by name, for rules that look at several fields.
fn base_field(base: &Base, name: &str) -> FieldId {
    let mut found = FieldId {
        segment: Segment::Base,
        name: "",
        number: "",
    };
    base.visit(|id, _| {
        if id.name == name {
            found = id;
        }
    });
    found
}

fn check_base_rules(sink: &mut Sink<'_>, b: &Base) {
    let status_code = b.account_status.as_bytes();
    let status = AccountStatus::from_code(status_code);
    if status.is_none() && !b.account_status.is_blank() {
        sink.push(
            base_field(b, "account_status"),
            Rule::InvalidAccountStatus,
            b.account_status.to_string(),
            None,
        );
    }

    let portfolio = PortfolioType::from_code(b.portfolio_type.as_bytes());
    if portfolio.is_none() && !b.portfolio_type.is_blank() {
        sink.push(
            base_field(b, "portfolio_type"),
            Rule::InvalidPortfolioType,
            b.portfolio_type.to_string(),
            None,
        );
    }
    let allowed = portfolios_for_account_type(b.account_type.as_bytes());
    match (portfolio, allowed) {
        (_, None) if !b.account_type.is_blank() => {
            sink.push(
                base_field(b, "account_type"),
                Rule::InvalidAccountType,
                b.account_type.to_string(),
                None,
            );
        }
        (Some(p), Some(allowed)) if !allowed.contains(&p) => {
            let expected = allowed
                .iter()
                .map(|p| p.code())
                .collect::<Vec<_>>()
                .join(" or ");
            let value = format!("{} (account type {})", p.code(), b.account_type);
            sink.push(
                base_field(b, "portfolio_type"),
                Rule::PortfolioTypeMismatch,
                value,
                Some(expected),
            );
        }
        _ => {}
    }

    let rating = b.payment_rating.as_bytes()[0];
    let rating_id = base_field(b, "payment_rating");
    if let Some(status) = status {
        match (status.requires_payment_rating(), rating) {
            (true, b' ') => {
                sink.push(rating_id, Rule::PaymentRatingMissing, String::new(), None);
            }
            (false, r) if r != b' ' => {
                sink.push(
                    rating_id,
                    Rule::PaymentRatingUnexpected,
                    b.payment_rating.to_string(),
                    Some(String::new()),
                );
            }
            _ => {}
        }
    }
    if rating != b' ' && !PAYMENT_RATINGS.contains(&rating) {
        sink.push(
            rating_id,
            Rule::InvalidPaymentRating,
            b.payment_rating.to_string(),
            None,
        );
    }

    let history = b.payment_history_profile.as_bytes();
    let history_id = base_field(b, "payment_history_profile");
    let months = b.payment_history_profile.trimmed();
    let value = || b.payment_history_profile.to_string();
    if months.len() < PAYMENT_HISTORY_MONTHS {
        sink.push(history_id, Rule::PaymentHistoryLength, value(), None);
    }
    if months.iter().any(|c| !PAYMENT_HISTORY_CODES.contains(c)) {
        sink.push(
            history_id,
            Rule::InvalidPaymentHistoryCharacter,
            value(),
            None,
        );
    } else if let Some(first_b) = history.iter().position(|&c| c == b'B')
        && months[first_b..].iter().any(|&c| c != b'B')
    {
        sink.push(history_id, Rule::PaymentHistoryEmbeddedB, value(), None);
    }
}

fn check_trailer_totals(sink: &mut Sink<'_>, file: &File) {
    let enc = file.layout.format.field_enc();
    let expected = expected_totals(file, &file.layout);
    let number = |f: &dyn FieldView| match f.view(enc) {
        View::Number(n) => n,
        View::Text(_) | View::Date(_) | View::Reserved => None,
    };
    let mut wanted = Vec::new();
    expected.visit(|_, f| wanted.push(number(f)));
    let mut wanted = wanted.into_iter();
    let mut found = Vec::new();
    file.trailer.visit(|id, f| {
        let want = wanted.next().flatten();
        if let (Some(got), Some(want)) = (number(f), want)
            && got != want
        {
            found.push((id, f.show(), want));
        }
    });
    for (id, value, want) in found {
        sink.push(
            id,
            Rule::TrailerTotalMismatch,
            value,
            Some(want.to_string()),
        );
    }
}
