//! Metro 2 conventions for credit records.
//!
//! The cleartext part of a record is its [`AccountStatus`] (what the rules need: whether it
//! is adverse, whether it closes the account). Everything else a furnisher reports — the
//! base-segment fields, including the consumer's identifiers — travels sealed inside a
//! [`Tradeline`], which only the subject, a consenting lender and the regulator can open.

use crate::{
    codec::{BoundedVec, Name, Text},
    limits::{METRO2_TEXT_BYTES_MAX, PAYMENT_HISTORY_MONTHS},
    money::Amount,
    time::Date,
};
use std::fmt;

/// The Metro 2 account status code of a record (base segment, field 17A).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountStatus {
    /// 05: account transferred to another office.
    Transferred,
    /// 11: current account (0–29 days past the due date).
    Current,
    /// 13: paid or closed account, zero balance.
    PaidOrClosed,
    /// 61: paid in full, was a voluntary surrender.
    PaidWasVoluntarySurrender,
    /// 62: paid in full, was a collection account.
    PaidWasCollection,
    /// 63: paid in full, was a repossession.
    PaidWasRepossession,
    /// 64: paid in full, was a charge-off.
    PaidWasChargeOff,
    /// 65: paid in full, a foreclosure was started.
    PaidWasForeclosure,
    /// 71: 30–59 days past the due date.
    PastDue30,
    /// 78: 60–89 days past the due date.
    PastDue60,
    /// 80: 90–119 days past the due date.
    PastDue90,
    /// 82: 120–149 days past the due date.
    PastDue120,
    /// 83: 150–179 days past the due date.
    PastDue150,
    /// 84: 180 days or more past the due date.
    PastDue180,
    /// 88: claim filed with the government for the insured portion of a defaulted loan.
    GovernmentClaim,
    /// 89: deed received in lieu of foreclosure.
    DeedInLieu,
    /// 93: assigned to internal or external collections.
    Collections,
    /// 94: foreclosure completed; there may be a balance due.
    ForeclosureCompleted,
    /// 95: voluntary surrender; there may be a balance due.
    VoluntarySurrender,
    /// 96: merchandise repossessed; there may be a balance due.
    Repossession,
    /// 97: unpaid balance reported as a loss (charge-off).
    ChargeOff,
    /// DA: delete the entire account (reasons other than fraud).
    DeleteAccount,
    /// DF: delete the entire account due to confirmed fraud.
    DeleteFraud,
}

/// How the rules treat a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatusClass {
    /// In good standing.
    Current,
    /// Closed or paid, nothing adverse.
    Closed,
    /// Paid in full after a derogatory event; historic, not a new adverse event.
    PaidDerogatory,
    /// Days past due (71–84).
    Delinquent,
    /// Collections, charge-off, repossession, foreclosure and the like.
    Derogatory,
    /// A deletion instruction for the whole account.
    Deletion,
}

impl AccountStatus {
    /// Every code, in code order.
    pub const ALL: [AccountStatus; 23] = [
        Self::Transferred,
        Self::Current,
        Self::PaidOrClosed,
        Self::PaidWasVoluntarySurrender,
        Self::PaidWasCollection,
        Self::PaidWasRepossession,
        Self::PaidWasChargeOff,
        Self::PaidWasForeclosure,
        Self::PastDue30,
        Self::PastDue60,
        Self::PastDue90,
        Self::PastDue120,
        Self::PastDue150,
        Self::PastDue180,
        Self::GovernmentClaim,
        Self::DeedInLieu,
        Self::Collections,
        Self::ForeclosureCompleted,
        Self::VoluntarySurrender,
        Self::Repossession,
        Self::ChargeOff,
        Self::DeleteAccount,
        Self::DeleteFraud,
    ];

    /// The two-character Metro 2 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Transferred => "05",
            Self::Current => "11",
            Self::PaidOrClosed => "13",
            Self::PaidWasVoluntarySurrender => "61",
            Self::PaidWasCollection => "62",
            Self::PaidWasRepossession => "63",
            Self::PaidWasChargeOff => "64",
            Self::PaidWasForeclosure => "65",
            Self::PastDue30 => "71",
            Self::PastDue60 => "78",
            Self::PastDue90 => "80",
            Self::PastDue120 => "82",
            Self::PastDue150 => "83",
            Self::PastDue180 => "84",
            Self::GovernmentClaim => "88",
            Self::DeedInLieu => "89",
            Self::Collections => "93",
            Self::ForeclosureCompleted => "94",
            Self::VoluntarySurrender => "95",
            Self::Repossession => "96",
            Self::ChargeOff => "97",
            Self::DeleteAccount => "DA",
            Self::DeleteFraud => "DF",
        }
    }

    /// What the code means, for people.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Transferred => "transferred",
            Self::Current => "current",
            Self::PaidOrClosed => "paid or closed",
            Self::PaidWasVoluntarySurrender => "paid, was voluntary surrender",
            Self::PaidWasCollection => "paid, was collection",
            Self::PaidWasRepossession => "paid, was repossession",
            Self::PaidWasChargeOff => "paid, was charge-off",
            Self::PaidWasForeclosure => "paid, was foreclosure",
            Self::PastDue30 => "30–59 days past due",
            Self::PastDue60 => "60–89 days past due",
            Self::PastDue90 => "90–119 days past due",
            Self::PastDue120 => "120–149 days past due",
            Self::PastDue150 => "150–179 days past due",
            Self::PastDue180 => "180+ days past due",
            Self::GovernmentClaim => "government claim",
            Self::DeedInLieu => "deed in lieu",
            Self::Collections => "collections",
            Self::ForeclosureCompleted => "foreclosure completed",
            Self::VoluntarySurrender => "voluntary surrender",
            Self::Repossession => "repossession",
            Self::ChargeOff => "charge-off",
            Self::DeleteAccount => "delete account",
            Self::DeleteFraud => "delete (fraud)",
        }
    }

    /// The status for a two-character Metro 2 code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }

    /// The wire byte: the code's number for numeric codes, 0xDA and 0xDF for the two
    /// deletion codes.
    fn byte(self) -> u8 {
        match self {
            Self::DeleteAccount => 0xDA,
            Self::DeleteFraud => 0xDF,
            numeric => numeric.code().parse().expect("numeric codes parse"),
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.byte() == byte)
    }

    /// How the rules treat this status.
    pub fn class(self) -> StatusClass {
        match self {
            Self::Current => StatusClass::Current,
            Self::Transferred | Self::PaidOrClosed => StatusClass::Closed,
            Self::PaidWasVoluntarySurrender
            | Self::PaidWasCollection
            | Self::PaidWasRepossession
            | Self::PaidWasChargeOff
            | Self::PaidWasForeclosure => StatusClass::PaidDerogatory,
            Self::PastDue30
            | Self::PastDue60
            | Self::PastDue90
            | Self::PastDue120
            | Self::PastDue150
            | Self::PastDue180 => StatusClass::Delinquent,
            Self::GovernmentClaim
            | Self::DeedInLieu
            | Self::Collections
            | Self::ForeclosureCompleted
            | Self::VoluntarySurrender
            | Self::Repossession
            | Self::ChargeOff => StatusClass::Derogatory,
            Self::DeleteAccount | Self::DeleteFraud => StatusClass::Deletion,
        }
    }

    /// Whether furnishing this status is an adverse event that lenders monitoring the
    /// subject must hear about.
    pub fn is_adverse(self) -> bool {
        matches!(
            self.class(),
            StatusClass::Delinquent | StatusClass::Derogatory
        )
    }

    /// Whether a record with this status must carry a date of first delinquency: any
    /// status that reports or follows a delinquency (Metro 2 field 25).
    pub fn requires_first_delinquency(self) -> bool {
        matches!(
            self.class(),
            StatusClass::Delinquent | StatusClass::Derogatory | StatusClass::PaidDerogatory
        )
    }

    /// The status for an account `days` past due, by Metro 2's 30-day bands.
    pub fn for_days_past_due(days: u32) -> Self {
        match days {
            0..=29 => Self::Current,
            30..=59 => Self::PastDue30,
            60..=89 => Self::PastDue60,
            90..=119 => Self::PastDue90,
            120..=149 => Self::PastDue120,
            150..=179 => Self::PastDue150,
            _ => Self::PastDue180,
        }
    }
}

impl fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for AccountStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountStatus({})", self.code())
    }
}

impl serde::Serialize for AccountStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for AccountStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Self::from_code(&code).ok_or_else(|| {
            serde::de::Error::custom(format!("{code:?} is not a Metro 2 account status code"))
        })
    }
}

impl crate::codec::Write for AccountStatus {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        buf.put_u8(self.byte());
    }
}

impl crate::codec::EncodeSize for AccountStatus {
    fn encode_size(&self) -> usize {
        1
    }
}

impl crate::codec::Read for AccountStatus {
    type Cfg = ();
    fn read_cfg(
        buf: &mut impl commonware_codec::Buf,
        _: &(),
    ) -> Result<Self, commonware_codec::Error> {
        let byte = u8::read_cfg(buf, &())?;
        Self::from_byte(byte).ok_or(commonware_codec::Error::InvalidEnum(byte))
    }
}

/// Metro 2 portfolio type (base segment, field 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PortfolioType {
    /// C: line of credit.
    LineOfCredit,
    /// I: installment.
    Installment,
    /// M: mortgage.
    Mortgage,
    /// O: open account (balance due in full each period).
    Open,
    /// R: revolving.
    Revolving,
}

impl PortfolioType {
    /// Every portfolio type.
    pub const ALL: [PortfolioType; 5] = [
        Self::LineOfCredit,
        Self::Installment,
        Self::Mortgage,
        Self::Open,
        Self::Revolving,
    ];

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::LineOfCredit => "line of credit",
            Self::Installment => "installment",
            Self::Mortgage => "mortgage",
            Self::Open => "open",
            Self::Revolving => "revolving",
        }
    }
}

/// A Metro 2 compliance condition code (base segment, field 20) the ledger sets on a record
/// from its account's dispute history.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ComplianceCondition {
    /// XB: account information disputed by the consumer under the FCRA; the furnisher is
    /// investigating.
    #[serde(rename = "XB")]
    Xb,
    /// XH: account previously in dispute; the furnisher has completed its investigation.
    #[serde(rename = "XH")]
    Xh,
}

impl ComplianceCondition {
    /// The two-letter Metro 2 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Xb => "XB",
            Self::Xh => "XH",
        }
    }

    /// Its meaning for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Xb => "disputed by the consumer; under investigation",
            Self::Xh => "previously in dispute; investigation completed",
        }
    }
}

crate::codec_enum!(ComplianceCondition {
    1 => Xb,
    2 => Xh,
});

crate::codec_enum!(PortfolioType {
    1 => LineOfCredit,
    2 => Installment,
    3 => Mortgage,
    4 => Open,
    5 => Revolving,
});

/// One month of a Metro 2 payment history profile (base segment, field 18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentMonth {
    /// `0`: 0–29 days past due (current).
    #[serde(rename = "0")]
    Current,
    /// `1`: 30–59 days past due.
    #[serde(rename = "1")]
    Late30,
    /// `2`: 60–89 days past due.
    #[serde(rename = "2")]
    Late60,
    /// `3`: 90–119 days past due.
    #[serde(rename = "3")]
    Late90,
    /// `4`: 120–149 days past due.
    #[serde(rename = "4")]
    Late120,
    /// `5`: 150–179 days past due.
    #[serde(rename = "5")]
    Late150,
    /// `6`: 180 or more days past due.
    #[serde(rename = "6")]
    Late180,
    /// `B`: no history before this month.
    #[serde(rename = "B")]
    NoHistory,
    /// `D`: no history reported for this month.
    #[serde(rename = "D")]
    NotReported,
    /// `E`: zero balance and current.
    #[serde(rename = "E")]
    ZeroBalance,
    /// `G`: collection.
    #[serde(rename = "G")]
    Collection,
    /// `H`: foreclosure completed.
    #[serde(rename = "H")]
    Foreclosure,
    /// `J`: voluntary surrender.
    #[serde(rename = "J")]
    VoluntarySurrender,
    /// `K`: repossession.
    #[serde(rename = "K")]
    Repossession,
    /// `L`: charge-off.
    #[serde(rename = "L")]
    ChargeOff,
}

crate::codec_enum!(PaymentMonth {
    0 => Current,
    1 => Late30,
    2 => Late60,
    3 => Late90,
    4 => Late120,
    5 => Late150,
    6 => Late180,
    7 => NoHistory,
    8 => NotReported,
    9 => ZeroBalance,
    10 => Collection,
    11 => Foreclosure,
    12 => VoluntarySurrender,
    13 => Repossession,
    14 => ChargeOff,
});

impl PaymentMonth {
    /// Every month code, in Metro 2's order.
    pub const ALL: [PaymentMonth; 15] = [
        Self::Current,
        Self::Late30,
        Self::Late60,
        Self::Late90,
        Self::Late120,
        Self::Late150,
        Self::Late180,
        Self::NoHistory,
        Self::NotReported,
        Self::ZeroBalance,
        Self::Collection,
        Self::Foreclosure,
        Self::VoluntarySurrender,
        Self::Repossession,
        Self::ChargeOff,
    ];

    /// The one-character Metro 2 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Current => "0",
            Self::Late30 => "1",
            Self::Late60 => "2",
            Self::Late90 => "3",
            Self::Late120 => "4",
            Self::Late150 => "5",
            Self::Late180 => "6",
            Self::NoHistory => "B",
            Self::NotReported => "D",
            Self::ZeroBalance => "E",
            Self::Collection => "G",
            Self::Foreclosure => "H",
            Self::VoluntarySurrender => "J",
            Self::Repossession => "K",
            Self::ChargeOff => "L",
        }
    }

    /// What the code means, for people.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Late30 => "30–59 days late",
            Self::Late60 => "60–89 days late",
            Self::Late90 => "90–119 days late",
            Self::Late120 => "120–149 days late",
            Self::Late150 => "150–179 days late",
            Self::Late180 => "180+ days late",
            Self::NoHistory => "no history",
            Self::NotReported => "not reported",
            Self::ZeroBalance => "zero balance",
            Self::Collection => "collection",
            Self::Foreclosure => "foreclosure",
            Self::VoluntarySurrender => "voluntary surrender",
            Self::Repossession => "repossession",
            Self::ChargeOff => "charge-off",
        }
    }
}

/// Who the record is about, as the furnisher knows them. Sealed: never in clear state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consumer {
    /// Full name.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub name: Text<METRO2_TEXT_BYTES_MAX>,
    /// National identification number (SSN, resident id).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub national_id: Text<METRO2_TEXT_BYTES_MAX>,
    /// Date of birth, when reported.
    pub date_of_birth: Option<Date>,
    /// Postal address.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub address: Text<METRO2_TEXT_BYTES_MAX>,
}

crate::codec_struct!(Consumer {
    name,
    national_id,
    date_of_birth,
    address
});

/// A Metro 2 base segment as a furnisher reports it: the plaintext of a sealed record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tradeline {
    /// The furnisher's account number (sealed; the ledger only sees a salted hash).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub account_number: Text<METRO2_TEXT_BYTES_MAX>,
    /// Portfolio type.
    pub portfolio_type: PortfolioType,
    /// Metro 2 account type code (e.g. `00` auto loan, `18` credit card).
    pub account_type: Text<4>,
    /// Currency of the amounts, e.g. `usd`.
    pub currency: Name<8>,
    /// Date the account was opened.
    pub date_opened: Date,
    /// Credit limit (revolving) or zero.
    pub credit_limit: Amount,
    /// Highest credit or original loan amount.
    pub highest_credit: Amount,
    /// Number of scheduled payments (installment), zero otherwise.
    pub terms_months: u16,
    /// Scheduled monthly payment.
    pub scheduled_monthly_payment: Amount,
    /// Actual payment in the period.
    pub actual_payment: Amount,
    /// Account status; equals the record's cleartext status.
    pub account_status: AccountStatus,
    /// Payment history, newest month first, up to 24 months.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<PaymentMonth>))]
    pub payment_history: BoundedVec<PaymentMonth, PAYMENT_HISTORY_MONTHS>,
    /// Current balance.
    pub current_balance: Amount,
    /// Amount past due.
    pub amount_past_due: Amount,
    /// Original charge-off amount, zero if none.
    pub original_charge_off: Amount,
    /// Date of account information (the as-of date of this report).
    pub date_of_account_information: Date,
    /// Date of first delinquency; equals the record's cleartext date.
    pub first_delinquency: Option<Date>,
    /// Date closed.
    pub date_closed: Option<Date>,
    /// Date of last payment.
    pub date_of_last_payment: Option<Date>,
    /// The consumer.
    pub consumer: Consumer,
}

crate::codec_struct!(Tradeline {
    account_number,
    portfolio_type,
    account_type,
    currency,
    date_opened,
    credit_limit,
    highest_credit,
    terms_months,
    scheduled_monthly_payment,
    actual_payment,
    account_status,
    payment_history,
    current_balance,
    amount_past_due,
    original_charge_off,
    date_of_account_information,
    first_delinquency,
    date_closed,
    date_of_last_payment,
    consumer,
});

#[cfg(test)]
mod tests {
    #[test]
    fn month_codes_are_their_wire_names() {
        for month in PaymentMonth::ALL {
            assert_eq!(
                serde_json::to_value(month).unwrap(),
                serde_json::Value::String(month.code().to_string())
            );
        }
    }

    use super::*;
    use crate::codec::{decode, encode};

    #[test]
    fn every_code_round_trips_and_unknown_bytes_are_rejected() {
        for status in AccountStatus::ALL {
            assert_eq!(AccountStatus::from_code(status.code()), Some(status));
            assert_eq!(decode::<AccountStatus>(&encode(&status)).unwrap(), status);
        }
        let known: Vec<u8> = AccountStatus::ALL.iter().map(|s| encode(s)[0]).collect();
        for byte in 0..=u8::MAX {
            if !known.contains(&byte) {
                assert!(decode::<AccountStatus>(&[byte]).is_err(), "{byte}");
            }
        }
        assert_eq!(AccountStatus::from_code("12"), None);
    }

    #[test]
    fn adverse_classes() {
        assert!(!AccountStatus::Current.is_adverse());
        assert!(!AccountStatus::PaidWasChargeOff.is_adverse());
        assert!(AccountStatus::PastDue30.is_adverse());
        assert!(AccountStatus::ChargeOff.is_adverse());
        assert!(AccountStatus::Repossession.is_adverse());
        assert_eq!(
            AccountStatus::for_days_past_due(95),
            AccountStatus::PastDue90
        );
        assert_eq!(
            AccountStatus::for_days_past_due(400),
            AccountStatus::PastDue180
        );
    }
}
