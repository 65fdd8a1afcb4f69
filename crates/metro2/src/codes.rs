//! The closed code sets the validator checks, each written down once.
//!
//! Owns [`AccountStatus`] (Exhibit 4), [`PortfolioType`], the account type table
//! ([`ACCOUNT_TYPES`], Exhibits 1–2), the payment rating codes and the payment history
//! profile codes.
//!
//! Sources: the CDIA Credit Reporting Resource Guide as summarised by public implementations
//! (moov-io/metro2, cfpb/Metro2); see FORMAT.md. Where public sources disagree about which
//! portfolio types an account type may take, the table allows every one a source names, so
//! the validator does not reject a file a bureau would take.

use serde::{Deserialize, Serialize};

/// Base segment field 8: the portfolio type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PortfolioType {
    /// C: line of credit.
    LineOfCredit,
    /// I: installment.
    Installment,
    /// M: mortgage.
    Mortgage,
    /// O: open.
    Open,
    /// R: revolving.
    Revolving,
}

impl PortfolioType {
    /// Every portfolio type.
    pub const ALL: [Self; 5] = [
        Self::LineOfCredit,
        Self::Installment,
        Self::Mortgage,
        Self::Open,
        Self::Revolving,
    ];

    /// The one-letter code.
    pub fn code(self) -> &'static str {
        match self {
            Self::LineOfCredit => "C",
            Self::Installment => "I",
            Self::Mortgage => "M",
            Self::Open => "O",
            Self::Revolving => "R",
        }
    }

    /// The portfolio type a field holds, if it is one.
    pub fn from_code(code: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code().as_bytes() == code)
    }
}

/// Base segment field 17A: the account status (Exhibit 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountStatus {
    /// 05: account transferred.
    Transferred,
    /// 11: current (0–29 days past due).
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
    PaidForeclosureStarted,
    /// 71: 30–59 days past due.
    PastDue30,
    /// 78: 60–89 days past due.
    PastDue60,
    /// 80: 90–119 days past due.
    PastDue90,
    /// 82: 120–149 days past due.
    PastDue120,
    /// 83: 150–179 days past due.
    PastDue150,
    /// 84: 180 days or more past due.
    PastDue180,
    /// 88: claim filed with the government for the insured portion.
    GovernmentClaimFiled,
    /// 89: deed received in lieu of foreclosure.
    DeedInLieu,
    /// 93: assigned to internal or external collections.
    Collection,
    /// 94: foreclosure completed.
    ForeclosureCompleted,
    /// 95: voluntary surrender.
    VoluntarySurrender,
    /// 96: merchandise repossessed.
    Repossession,
    /// 97: unpaid balance reported as a loss (charge-off).
    ChargeOff,
    /// DA: delete the entire account (not fraud).
    Delete,
    /// DF: delete the entire account (confirmed fraud).
    DeleteFraud,
}

impl AccountStatus {
    /// Every status, in the order the trailer totals them.
    pub const ALL: [Self; 23] = [
        Self::Transferred,
        Self::Current,
        Self::PaidOrClosed,
        Self::PaidWasVoluntarySurrender,
        Self::PaidWasCollection,
        Self::PaidWasRepossession,
        Self::PaidWasChargeOff,
        Self::PaidForeclosureStarted,
        Self::PastDue30,
        Self::PastDue60,
        Self::PastDue90,
        Self::PastDue120,
        Self::PastDue150,
        Self::PastDue180,
        Self::GovernmentClaimFiled,
        Self::DeedInLieu,
        Self::Collection,
        Self::ForeclosureCompleted,
        Self::VoluntarySurrender,
        Self::Repossession,
        Self::ChargeOff,
        Self::Delete,
        Self::DeleteFraud,
    ];

    /// The two-character code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Transferred => "05",
            Self::Current => "11",
            Self::PaidOrClosed => "13",
            Self::PaidWasVoluntarySurrender => "61",
            Self::PaidWasCollection => "62",
            Self::PaidWasRepossession => "63",
            Self::PaidWasChargeOff => "64",
            Self::PaidForeclosureStarted => "65",
            Self::PastDue30 => "71",
            Self::PastDue60 => "78",
            Self::PastDue90 => "80",
            Self::PastDue120 => "82",
            Self::PastDue150 => "83",
            Self::PastDue180 => "84",
            Self::GovernmentClaimFiled => "88",
            Self::DeedInLieu => "89",
            Self::Collection => "93",
            Self::ForeclosureCompleted => "94",
            Self::VoluntarySurrender => "95",
            Self::Repossession => "96",
            Self::ChargeOff => "97",
            Self::Delete => "DA",
            Self::DeleteFraud => "DF",
        }
    }

    /// The status a field holds, if it is one.
    pub fn from_code(code: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code().as_bytes() == code)
    }

    /// True for the statuses that must carry a payment rating (field 17B): 05, 13, 61–65,
    /// 88, 89, 94 and 95. Every other status must leave the rating blank.
    ///
    /// 05 is included: the CRRG text quoted by moov-io/metro2 lists it with 13, 65, 88, 89,
    /// 94 and 95, and later editions add 61–64.
    pub fn requires_payment_rating(self) -> bool {
        matches!(
            self,
            Self::Transferred
                | Self::PaidOrClosed
                | Self::PaidWasVoluntarySurrender
                | Self::PaidWasCollection
                | Self::PaidWasRepossession
                | Self::PaidWasChargeOff
                | Self::PaidForeclosureStarted
                | Self::GovernmentClaimFiled
                | Self::DeedInLieu
                | Self::ForeclosureCompleted
                | Self::VoluntarySurrender
        )
    }
}

/// Field 17B codes: 0 current, 1–6 thirty-day steps past due, G collection, L charge-off.
pub const PAYMENT_RATINGS: &[u8] = b"0123456GL";

/// Field 18 codes: 0–6 as for the rating, B no history before this month, D no history this
/// month, E zero balance and current, G collection, H foreclosure, J voluntary surrender,
/// K repossession, L charge-off.
pub const PAYMENT_HISTORY_CODES: &[u8] = b"0123456BDEGHJKL";

/// Months in the payment history profile.
pub const PAYMENT_HISTORY_MONTHS: usize = 24;

use PortfolioType::{
    Installment as I, LineOfCredit as C, Mortgage as M, Open as O, Revolving as R,
};

/// Account types (field 9) with the portfolio types (field 8) each may be reported under.
pub const ACCOUNT_TYPES: &[(&str, &[PortfolioType], &str)] = &[
    ("00", &[I], "Auto"),
    ("01", &[I], "Unsecured"),
    ("02", &[I], "Secured"),
    ("03", &[I], "Partially secured"),
    ("04", &[I], "Home improvement"),
    ("05", &[I], "FHA home improvement"),
    ("06", &[I], "Installment sales contract"),
    ("07", &[R], "Charge account"),
    ("08", &[M], "Real estate, specific type unknown"),
    ("0A", &[I], "Time share loan"),
    ("0C", &[I, O], "Debt buyer"),
    ("0F", &[I], "Construction loan"),
    ("0G", &[R], "Flexible spending credit card"),
    ("10", &[I], "Business loan, personally guaranteed"),
    ("11", &[I], "Recreational merchandise"),
    ("12", &[I], "Education"),
    ("13", &[I], "Lease"),
    ("15", &[C], "Check credit or line of credit"),
    ("17", &[I], "Manufactured housing"),
    ("18", &[R], "Credit card"),
    ("19", &[M], "FHA real estate mortgage"),
    ("20", &[I], "Note loan"),
    ("25", &[M], "VA real estate mortgage"),
    ("26", &[M], "Conventional real estate mortgage"),
    ("29", &[I, O], "Rental agreement"),
    ("2A", &[R], "Secured credit card"),
    ("2C", &[M], "USDA real estate mortgage"),
    ("37", &[R], "Combined credit plan"),
    ("3A", &[I], "Auto lease"),
    ("43", &[C], "Debit card"),
    ("47", &[C], "Credit line secured"),
    ("48", &[O], "Collection agency/attorney"),
    ("4D", &[O], "Telecommunications/cellular"),
    ("50", &[I, O], "Family support"),
    (
        "5A",
        &[M],
        "Real estate, junior liens and non-purchase money first",
    ),
    ("5B", &[M], "Second mortgage"),
    ("65", &[I], "Government unsecured guaranteed loan"),
    ("66", &[I], "Government secured guaranteed loan"),
    ("67", &[I], "Government unsecured direct loan"),
    ("68", &[I], "Government secured direct loan"),
    ("69", &[I, O], "Government grant"),
    ("6A", &[I], "Commercial installment loan"),
    ("6B", &[M], "Commercial mortgage loan"),
    ("6D", &[I], "Home equity"),
    ("70", &[I, O], "Government overpayment"),
    ("71", &[I, O], "Government fine"),
    ("72", &[I, O], "Government fee for services"),
    ("73", &[I, O], "Government employee advance"),
    ("74", &[I, O], "Government miscellaneous debt"),
    ("75", &[I, O], "Government benefit"),
    ("77", &[O], "Returned check"),
    ("7A", &[C], "Commercial line of credit"),
    ("7B", &[I], "Agricultural"),
    ("89", &[C], "Home equity line of credit"),
    ("8A", &[R], "Business credit card"),
    ("8B", &[O, R], "Deposit account with overdraft protection"),
    ("90", &[O], "Medical debt"),
    ("91", &[I], "Debt consolidation"),
    ("92", &[O], "Utility company"),
    ("93", &[I, O], "Child support"),
    ("95", &[I, O], "Attorney fees"),
    ("9A", &[I], "Secured home improvement"),
    ("9B", &[C], "Business line personally guaranteed"),
];

/// The portfolio types an account type may be reported under, or `None` for an unknown
/// account type.
pub fn portfolios_for_account_type(code: &[u8]) -> Option<&'static [PortfolioType]> {
    ACCOUNT_TYPES
        .iter()
        .find(|(c, _, _)| c.as_bytes() == code)
        .map(|(_, p, _)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credit_card_is_revolving() {
        assert_eq!(
            portfolios_for_account_type(b"18"),
            Some(&[PortfolioType::Revolving][..])
        );
        assert_eq!(portfolios_for_account_type(b"ZZ"), None);
    }

    #[test]
    fn every_code_is_listed_once() {
        for (i, (code, portfolios, _)) in ACCOUNT_TYPES.iter().enumerate() {
            assert!(!portfolios.is_empty(), "{code}");
            assert!(
                ACCOUNT_TYPES[i + 1..].iter().all(|(c, _, _)| c != code),
                "{code}"
            );
        }
        for s in AccountStatus::ALL {
            assert_eq!(AccountStatus::from_code(s.code().as_bytes()), Some(s));
        }
    }
}
