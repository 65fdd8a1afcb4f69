//! A Metro 2 base segment read as the ledger's [`Tradeline`].
//!
//! The tradeline is what the score and the ledger's cleartext metadata read; the whole data
//! record (every field, every appended segment) is sealed beside it, so nothing the furnisher
//! sent is lost. Amounts are whole dollars in Metro 2 and minor units (cents) on the ledger:
//! the conversion multiplies by 100, checked. The consumer's name and address are joined
//! into the tradeline's free-text fields, which hold at most
//! [`METRO2_TEXT_BYTES_MAX`](credence_types::limits::METRO2_TEXT_BYTES_MAX) bytes: an address
//! longer than that keeps its city, state and postal code (the whole address stays in the
//! sealed record). The ledger's dates start on 1970-01-01: an earlier date of birth is left
//! out of the tradeline (it stays in the sealed record); an earlier account date makes the
//! record unmappable.

use credence_metro2::{
    Amount as Metro2Amount, Base, DateField, DateValue, Format, Text as Metro2Text,
};
use credence_types::{
    Date,
    codec::{BoundedVec, Name, Text},
    limits::METRO2_TEXT_BYTES_MAX,
    metro2::{AccountStatus, Consumer, PaymentMonth, PortfolioType, Tradeline},
    money::Amount,
};

/// A base segment the ledger cannot take as a tradeline: the field that stops it. Names the
/// field, never its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("field {field} cannot be read as the ledger's tradeline")]
pub struct Unmappable {
    /// The base segment field's snake_case name.
    pub field: &'static str,
}

fn unmappable(field: &'static str) -> Unmappable {
    Unmappable { field }
}

/// Reads `base` (from a file in `format`) as a tradeline.
pub fn tradeline(base: &Base, format: Format) -> Result<Tradeline, Unmappable> {
    let amount = |value: &Metro2Amount, field: &'static str| -> Result<Amount, Unmappable> {
        value
            .value_in(format)
            .and_then(|dollars| dollars.checked_mul(100))
            .map(Amount)
            .ok_or(unmappable(field))
    };
    let status = AccountStatus::from_code(&utf8(&base.account_status))
        .ok_or(unmappable("account_status"))?;
    let portfolio_type = match base.portfolio_type.as_bytes() {
        b"C" => PortfolioType::LineOfCredit,
        b"I" => PortfolioType::Installment,
        b"M" => PortfolioType::Mortgage,
        b"O" => PortfolioType::Open,
        b"R" => PortfolioType::Revolving,
        _ => return Err(unmappable("portfolio_type")),
    };
    Ok(Tradeline {
        account_number: text(
            &utf8(&base.consumer_account_number),
            "consumer_account_number",
        )?,
        portfolio_type,
        account_type: text(&utf8(&base.account_type), "account_type")?,
        currency: Name::new("usd").map_err(|_| unmappable("currency"))?,
        date_opened: date(&base.date_opened, "date_opened")?.ok_or(unmappable("date_opened"))?,
        credit_limit: amount(&base.credit_limit, "credit_limit")?,
        highest_credit: amount(&base.highest_credit, "highest_credit")?,
        terms_months: terms_months(base),
        scheduled_monthly_payment: amount(
            &base.scheduled_monthly_payment_amount,
            "scheduled_monthly_payment_amount",
        )?,
        actual_payment: amount(&base.actual_payment_amount, "actual_payment_amount")?,
        account_status: status,
        payment_history: payment_history(&base.payment_history_profile)?,
        current_balance: amount(&base.current_balance, "current_balance")?,
        amount_past_due: amount(&base.amount_past_due, "amount_past_due")?,
        original_charge_off: amount(
            &base.original_charge_off_amount,
            "original_charge_off_amount",
        )?,
        date_of_account_information: date(
            &base.date_of_account_information,
            "date_of_account_information",
        )?
        .ok_or(unmappable("date_of_account_information"))?,
        first_delinquency: date(&base.date_of_first_delinquency, "date_of_first_delinquency")?,
        date_closed: date(&base.date_closed, "date_closed")?,
        date_of_last_payment: date(&base.date_of_last_payment, "date_of_last_payment")?,
        consumer: consumer(base, format)?,
    })
}

/// The tradeline fields on which `sealed` and the whole Metro 2 data record sealed beside it
/// (`record`, as `RecordPlaintext::metro2` carries it) disagree: the record read as
/// [`tradeline`] reads a base segment, compared field by field. A furnisher in bad faith could
/// seal a tradeline the score reads and a data record the legacy bureaus would get that say
/// different things; a reader lists where they do, and `["metro2"]` when the record cannot be
/// read or mapped at all. Names fields, never values.
pub fn disagreements(sealed: &Tradeline, record: &[u8]) -> Vec<&'static str> {
    let Ok(read) = credence_metro2::read_record(record) else {
        return vec!["metro2"];
    };
    let Ok(line) = tradeline(&read.base, Format::Character) else {
        return vec!["metro2"];
    };
    let same = [
        (
            "account_number",
            line.account_number == sealed.account_number,
        ),
        (
            "portfolio_type",
            line.portfolio_type == sealed.portfolio_type,
        ),
        ("account_type", line.account_type == sealed.account_type),
        ("currency", line.currency == sealed.currency),
        ("date_opened", line.date_opened == sealed.date_opened),
        ("credit_limit", line.credit_limit == sealed.credit_limit),
        (
            "highest_credit",
            line.highest_credit == sealed.highest_credit,
        ),
        ("terms_months", line.terms_months == sealed.terms_months),
        (
            "scheduled_monthly_payment",
            line.scheduled_monthly_payment == sealed.scheduled_monthly_payment,
        ),
        (
            "actual_payment",
            line.actual_payment == sealed.actual_payment,
        ),
        (
            "account_status",
            line.account_status == sealed.account_status,
        ),
        (
            "payment_history",
            line.payment_history == sealed.payment_history,
        ),
        (
            "current_balance",
            line.current_balance == sealed.current_balance,
        ),
        (
            "amount_past_due",
            line.amount_past_due == sealed.amount_past_due,
        ),
        (
            "original_charge_off",
            line.original_charge_off == sealed.original_charge_off,
        ),
        (
            "date_of_account_information",
            line.date_of_account_information == sealed.date_of_account_information,
        ),
        (
            "first_delinquency",
            line.first_delinquency == sealed.first_delinquency,
        ),
        ("date_closed", line.date_closed == sealed.date_closed),
        (
            "date_of_last_payment",
            line.date_of_last_payment == sealed.date_of_last_payment,
        ),
        ("consumer", line.consumer == sealed.consumer),
    ];
    same.into_iter()
        .filter(|(_, agree)| !agree)
        .map(|(field, _)| field)
        .collect()
}

/// The social security number a base segment names, nine digits, if it names one.
pub fn social_security_number(base: &Base, format: Format) -> Option<String> {
    base.social_security_number
        .value_in(format)
        .filter(|&ssn| ssn != 0)
        .map(|ssn| format!("{ssn:09}"))
}

/// The consumer account number, as the file spells it without its trailing blanks.
pub fn account_number(base: &Base) -> String {
    utf8(&base.consumer_account_number)
}

fn utf8<const N: usize>(text: &Metro2Text<N>) -> String {
    // Metro 2 text is uppercase ASCII by rule; anything else is carried as Latin-1.
    text.trimmed().iter().map(|&b| char::from(b)).collect()
}

fn text<const MAX: usize>(value: &str, field: &'static str) -> Result<Text<MAX>, Unmappable> {
    Text::new(value).map_err(|_| unmappable(field))
}

/// `Ok(None)` for a zero-filled date, an error for anything that is not a date.
fn date(value: &DateValue, field: &'static str) -> Result<Option<Date>, Unmappable> {
    match value.value() {
        Some(d) => Date::from_ymd(
            i32::from(d.year()),
            u32::from(d.month()),
            u32::from(d.day()),
        )
        .map(Some)
        .ok_or(unmappable(field)),
        None if matches!(value, DateField::Zero) => Ok(None),
        None => Err(unmappable(field)),
    }
}

/// Scheduled payments: the terms duration when it counts months, else zero (revolving,
/// lines of credit, open accounts, other frequencies).
fn terms_months(base: &Base) -> u16 {
    if !base.terms_frequency.is("M") {
        return 0;
    }
    utf8(&base.terms_duration).parse().unwrap_or(0)
}

fn payment_history(
    profile: &Metro2Text<24>,
) -> Result<BoundedVec<PaymentMonth, { credence_types::limits::PAYMENT_HISTORY_MONTHS }>, Unmappable>
{
    let months = profile
        .as_bytes()
        .iter()
        .map(|&b| {
            let code = [b];
            let code = std::str::from_utf8(&code).unwrap_or("?");
            PaymentMonth::ALL.into_iter().find(|m| m.code() == code)
        })
        .collect::<Option<Vec<_>>>()
        .ok_or(unmappable("payment_history_profile"))?;
    BoundedVec::new(months).ok_or(unmappable("payment_history_profile"))
}

/// The non-empty parts, separated by spaces.
fn words<const N: usize>(parts: [String; N]) -> String {
    parts
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn consumer(base: &Base, format: Format) -> Result<Consumer, Unmappable> {
    let name = words([
        utf8(&base.first_name),
        utf8(&base.middle_name),
        utf8(&base.surname),
        utf8(&base.generation_code),
    ]);
    let place = words([utf8(&base.city), utf8(&base.state), utf8(&base.postal_code)]);
    let street = words([
        utf8(&base.first_line_of_address),
        utf8(&base.second_line_of_address),
    ]);
    let full = if street.is_empty() {
        place.clone()
    } else {
        format!("{street}, {place}")
    };
    let address = if full.len() <= METRO2_TEXT_BYTES_MAX {
        full
    } else {
        place
    };
    let national_id = social_security_number(base, format).unwrap_or_default();
    Ok(Consumer {
        name: text(&name, "surname")?,
        national_id: text(&national_id, "social_security_number")?,
        // The ledger's dates start in 1970: an earlier birth date stays in the whole record
        // only (the score does not read it).
        date_of_birth: date(&base.date_of_birth, "date_of_birth").unwrap_or(None),
        address: text(&address, "first_line_of_address")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use credence_metro2::{Layout, generate};

    #[test]
    fn every_generated_base_reads_as_a_tradeline_with_its_fields() {
        let file = generate::file(200, 4, Layout::character_fixed());
        for record in &file.bases {
            let base = &record.base;
            let line = tradeline(base, Format::Character).unwrap();
            assert_eq!(line.account_number.as_str(), account_number(base));
            assert_eq!(
                line.account_status.code().as_bytes(),
                base.account_status.trimmed()
            );
            assert_eq!(
                line.current_balance.0,
                base.current_balance.value().unwrap() * 100
            );
            assert_eq!(line.payment_history.as_slice().len(), 24);
            assert!(line.consumer.address.as_str().len() <= METRO2_TEXT_BYTES_MAX);
        }
    }

    #[test]
    fn a_furnisher_sealing_a_metro2_record_that_contradicts_its_tradeline_is_caught() {
        let file = generate::file(50, 4, Layout::character_fixed());
        for data in &file.bases {
            let whole = credence_metro2::write_record(data).unwrap();
            let honest = tradeline(&data.base, Format::Character).unwrap();
            assert!(disagreements(&honest, &whole).is_empty());
            // The score reads a clean, smaller balance; the bureaus would get the truth.
            let mut flattering = honest.clone();
            flattering.current_balance = Amount(0);
            flattering.amount_past_due = Amount(honest.amount_past_due.0 + 100);
            assert_eq!(
                disagreements(&flattering, &whole),
                vec!["current_balance", "amount_past_due"]
            );
            // Garbage sealed as the record is itself a disagreement.
            assert_eq!(disagreements(&honest, b"0426 garbage"), vec!["metro2"]);
        }
    }

    #[test]
    fn an_unknown_status_names_its_field() {
        let mut file = generate::file(1, 4, Layout::character_fixed());
        file.bases[0].base.account_status = Metro2Text::from_bytes(b"99").unwrap();
        assert_eq!(
            tradeline(&file.bases[0].base, Format::Character),
            Err(unmappable("account_status"))
        );
    }
}
