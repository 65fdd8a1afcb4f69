//! Loan-term builders for lending tests.

use credence_types::{TimestampMs, codec::BoundedVec, money::Amount, time::Date};

/// Terms of a monthly amortising loan to `borrower`, first due a month from `today`.
pub fn loan_terms(
    borrower: credence_types::lending::Owner,
    principal: u64,
    denomination: credence_types::lending::Denomination,
    collateral: Vec<credence_types::lending::Collateral>,
    today: Date,
    offer_expires_at: TimestampMs,
) -> credence_types::lending::LoanTerms {
    use credence_types::lending::{DayCount, LoanTerms, Remedy, ScheduleKind};
    LoanTerms {
        borrower,
        principal: Amount(principal),
        denomination,
        rate: credence_types::money::BasisPoints(1_200),
        day_count: DayCount::Actual365Fixed,
        schedule: ScheduleKind::Amortizing,
        first_due: Date(today.0 + 30),
        period_months: 1,
        installments: 12,
        grace_days: 10,
        late_fee: Amount(2_500),
        collateral: BoundedVec::new(collateral).unwrap(),
        max_ltv: credence_types::money::BasisPoints(8_000),
        cure_days: 120,
        remedy: Remedy::TransferToLender,
        offer_expires_at,
    }
}
