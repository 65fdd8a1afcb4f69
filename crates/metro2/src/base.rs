//! The base segment and the data record built around it.
//!
//! Owns [`Base`] (426 bytes as characters, 366 packed, record descriptor word included) and
//! [`BaseRecord`] (a base segment with its appended segments and framing).
//!
//! Packed format: the time stamp, the dates, the amounts, the Social Security Number and the
//! telephone number are packed decimal; everything else is the same characters as in the
//! character format, so positions shift but order does not.

use serde::{Deserialize, Serialize};

use crate::codec::{Segment, segment};
use crate::codes::{AccountStatus, PortfolioType};
use crate::layout::Framing;
use crate::segments::{J1, J2, K1, K2, K3, K4, L1, N1};
use crate::text::Text;
use crate::value::{Amount, DateValue, Ssn, Telephone, TimestampValue};

segment! {
    /// The base segment (after its record descriptor word).
    pub struct Base (Segment::Base) {
        /// Processing indicator: a constant 1.
        ["2"] processing_indicator: Text<1>,
        /// Date and time of the account update.
        ["3"] time_stamp: TimestampValue,
        /// Correction indicator (reserved in current editions: blank or 0/1).
        ["4"] correction_indicator: Text<1>,
        /// Identification number of the furnisher.
        ["5"] identification_number: Text<20>,
        /// Cycle identifier.
        ["6"] cycle_identifier: Text<2>,
        /// Consumer account number.
        ["7"] consumer_account_number: Text<30>,
        /// Portfolio type: C line of credit, I installment, M mortgage, O open, R revolving.
        ["8"] portfolio_type: Text<1>,
        /// Account type (Exhibit 1).
        ["9"] account_type: Text<2>,
        /// Date opened.
        ["10"] date_opened: DateValue,
        /// Credit limit, whole dollars.
        ["11"] credit_limit: Amount,
        /// Highest credit or original loan amount, whole dollars.
        ["12"] highest_credit: Amount,
        /// Terms duration (months, years, `LOC`, `REV` or `001`).
        ["13"] terms_duration: Text<3>,
        /// Terms frequency (D, P, W, B, E, M, L, Q, T, S, Y).
        ["14"] terms_frequency: Text<1>,
        /// Scheduled monthly payment amount, whole dollars.
        ["15"] scheduled_monthly_payment_amount: Amount,
        /// Actual payment amount, whole dollars.
        ["16"] actual_payment_amount: Amount,
        /// Account status (Exhibit 4).
        ["17A"] account_status: Text<2>,
        /// Payment rating: reported only with the statuses that need one.
        ["17B"] payment_rating: Text<1>,
        /// Payment history profile: 24 months, most recent first.
        ["18"] payment_history_profile: Text<24>,
        /// Special comment code.
        ["19"] special_comment: Text<2>,
        /// Compliance condition code.
        ["20"] compliance_condition_code: Text<2>,
        /// Current balance, whole dollars.
        ["21"] current_balance: Amount,
        /// Amount past due, whole dollars.
        ["22"] amount_past_due: Amount,
        /// Original charge-off amount, whole dollars.
        ["23"] original_charge_off_amount: Amount,
        /// Date of account information.
        ["24"] date_of_account_information: DateValue,
        /// FCRA compliance / date of first delinquency.
        ["25"] date_of_first_delinquency: DateValue,
        /// Date closed.
        ["26"] date_closed: DateValue,
        /// Date of last payment.
        ["27"] date_of_last_payment: DateValue,
        /// Interest type indicator: F fixed, V variable.
        ["28"] interest_type_indicator: Text<1>,
        /// Reserved: blank-filled (some editions put a consumer transaction type in its last
        /// byte; it is kept as read either way).
        ["29"] reserved: Text<17>,
        /// Surname of the primary consumer.
        ["30"] surname: Text<25>,
        /// First name.
        ["31"] first_name: Text<20>,
        /// Middle name or initial.
        ["32"] middle_name: Text<20>,
        /// Generation code.
        ["33"] generation_code: Text<1>,
        /// Social Security Number.
        ["34"] social_security_number: Ssn,
        /// Date of birth.
        ["35"] date_of_birth: DateValue,
        /// Telephone number.
        ["36"] telephone_number: Telephone,
        /// ECOA code.
        ["37"] ecoa_code: Text<1>,
        /// Consumer information indicator.
        ["38"] consumer_information_indicator: Text<2>,
        /// Country code.
        ["39"] country_code: Text<2>,
        /// First line of address.
        ["40"] first_line_of_address: Text<32>,
        /// Second line of address.
        ["41"] second_line_of_address: Text<32>,
        /// City.
        ["42"] city: Text<20>,
        /// State.
        ["43"] state: Text<2>,
        /// Postal/ZIP code.
        ["44"] postal_code: Text<9>,
        /// Address indicator.
        ["45"] address_indicator: Text<1>,
        /// Residence code.
        ["46"] residence_code: Text<1>,
    }
}

impl Base {
    /// The account status, when field 17A holds one of Exhibit 4's codes.
    pub fn status(&self) -> Option<AccountStatus> {
        AccountStatus::from_code(self.account_status.as_bytes())
    }

    /// The portfolio type, when field 8 holds one of C, I, M, O, R.
    pub fn portfolio(&self) -> Option<PortfolioType> {
        PortfolioType::from_code(self.portfolio_type.as_bytes())
    }
}

/// One data record: a base segment and the segments appended to it, in wire order.
///
/// JSON form: `{"base": {...}, "j1": [...], "k1": {...}, ...}`; empty lists, absent segments
/// and canonical framing are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseRecord {
    /// The base segment.
    pub base: Base,
    /// Associated consumers at the same address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub j1: Vec<J1>,
    /// Associated consumers at other addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub j2: Vec<J2>,
    /// Original creditor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k1: Option<K1>,
    /// Purchased from / sold to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k2: Option<K2>,
    /// Mortgage information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k3: Option<K3>,
    /// Specialized payment information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k4: Option<K4>,
    /// Account or identification number change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1: Option<L1>,
    /// Employment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n1: Option<N1>,
    /// How the record was framed, when that differs from what the writer would produce.
    #[serde(default, skip_serializing_if = "Framing::is_canonical")]
    pub framing: Framing,
}

impl BaseRecord {
    /// A record of just this base segment.
    pub fn new(base: Base) -> Self {
        Self {
            base,
            ..Self::default()
        }
    }
}
