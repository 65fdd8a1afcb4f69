//! Checks of a transaction's own fields against the clock and the parameters, needing no
//! state: the part of the rules anything that must decide as the ledger does (the bureau of
//! `bench/bureau`) shares with it, so the two cannot drift.

use crate::interest;
use credence_types::{
    Date, Rejection, TimestampMs,
    lending::{Collateral, LoanTerms, ScheduleKind},
    limits::{CURE_DAYS_MAX, INSTALLMENTS_MAX},
    metro2::StatusClass,
    money::{Amount, BasisPoints},
    transaction::{Furnishing, GrantConsent},
};
use std::collections::BTreeSet;

/// Rejects with `rejection` unless `condition` holds.
fn ensure(condition: bool, rejection: Rejection) -> Result<(), Rejection> {
    if condition { Ok(()) } else { Err(rejection) }
}

/// A furnishing's fields as of `today`: a first-delinquency date where the status needs one
/// and not after the report date, a report date not in the future, and a deletion only as
/// a supersession.
pub fn furnishing(f: &Furnishing, today: Date) -> Result<(), Rejection> {
    ensure(
        !f.status.requires_first_delinquency() || f.first_delinquency.is_some(),
        Rejection::FirstDelinquencyRequired,
    )?;
    ensure(
        f.first_delinquency.is_none_or(|date| date <= f.as_of),
        Rejection::FirstDelinquencyAfterReport,
    )?;
    ensure(f.as_of <= today, Rejection::ReportDateInFuture)?;
    ensure(
        f.status.class() != StatusClass::Deletion || f.supersedes.is_some(),
        Rejection::DeletionMustSupersede,
    )
}

/// A consent's fields at `now`: it expires after now and within `longest_days`, and it
/// wraps every epoch of the subject's report key up to `subject_epoch`, in order.
pub fn consent(
    g: &GrantConsent,
    now: TimestampMs,
    longest_days: u16,
    subject_epoch: u32,
) -> Result<(), Rejection> {
    ensure(
        g.expires_at > now && g.expires_at <= now.plus_days(u32::from(longest_days)),
        Rejection::ConsentExpiryInvalid,
    )?;
    let epochs_in_order = g
        .report_keys
        .iter()
        .enumerate()
        .all(|(i, wrapped)| u32::try_from(i).is_ok_and(|i| i == wrapped.epoch));
    ensure(
        epochs_in_order
            && u32::try_from(g.report_keys.len())
                .is_ok_and(|n| n == subject_epoch.saturating_add(1)),
        Rejection::ReportKeysIncomplete,
    )
}

/// Loan terms at `now`: a positive principal, a schedule that can be laid out (installments,
/// period, first due date after today, a level installment that exists), rates and
/// loan-to-value at most 100%, a cure period within bounds, an offer still open, distinct
/// collateral assets and positive pledged funds.
pub fn loan_terms(terms: &LoanTerms, now: TimestampMs) -> Result<(), Rejection> {
    let assets: Vec<_> = terms
        .collateral
        .iter()
        .filter_map(|c| match c {
            Collateral::Asset(id) => Some(*id),
            Collateral::Funds(_) => None,
        })
        .collect();
    let distinct_assets = assets.iter().collect::<BTreeSet<_>>().len() == assets.len();
    let funds_positive = terms.collateral.iter().all(|c| match c {
        Collateral::Funds(pledge) => pledge.amount > Amount::ZERO,
        Collateral::Asset(_) => true,
    });
    ensure(terms.principal > Amount::ZERO, Rejection::PrincipalZero)?;
    ensure(
        (1..=INSTALLMENTS_MAX).contains(&terms.installments),
        Rejection::InstallmentsOutOfRange,
    )?;
    ensure(
        terms.schedule != ScheduleKind::Bullet || terms.installments == 1,
        Rejection::BulletInstallmentsNotOne,
    )?;
    ensure(
        (1..=12).contains(&terms.period_months),
        Rejection::PeriodOutOfRange,
    )?;
    ensure(
        terms.first_due > now.date(),
        Rejection::FirstDueNotAfterToday,
    )?;
    ensure(terms.rate <= BasisPoints::ONE, Rejection::RateAboveMaximum)?;
    ensure(
        terms.max_ltv <= BasisPoints::ONE,
        Rejection::MaxLtvAboveMaximum,
    )?;
    ensure(
        terms.cure_days <= CURE_DAYS_MAX,
        Rejection::CurePeriodTooLong,
    )?;
    ensure(terms.offer_expires_at > now, Rejection::OfferExpiryPassed)?;
    ensure(distinct_assets, Rejection::CollateralDuplicate)?;
    ensure(funds_positive, Rejection::PledgedFundsZero)?;
    ensure(
        interest::due_date(terms.first_due, terms.period_months, terms.installments).is_some(),
        Rejection::ScheduleBeyondCalendar,
    )?;
    ensure(
        level_installment(terms).is_some(),
        Rejection::InstallmentNotComputable,
    )?;
    ensure(
        owed_at_most(terms, now.date()).is_some(),
        Rejection::TermsExceedAmountBound,
    )
}

/// The most a loan on `terms`, offered on `today`, can ever owe: its principal, interest at
/// its rate on the whole principal from `today` to the end of the cure period after its
/// last due date, and a late fee for every installment. The interest is counted generously:
/// a 360-day year (the shorter of the day counts), three days more each month (30/360 counts
/// a short month as 30 days), rounded up. `None` when that does not fit an amount: such terms
/// are refused, so every figure the contract computes on a running loan fits its type.
pub fn owed_at_most(terms: &LoanTerms, today: Date) -> Option<Amount> {
    let last = interest::due_date(terms.first_due, terms.period_months, terms.installments)?;
    let actual = u128::from(last.0.checked_sub(today.0)?) + u128::from(terms.cure_days) + 1;
    let months = actual / 28 + 1;
    let days = actual + 3 * months;
    let principal = u128::from(terms.principal.0);
    let interest = (principal * u128::from(terms.rate.0) * days)
        .div_ceil(u128::from(BasisPoints::ONE.0) * 360);
    let fees = u128::from(terms.late_fee.0) * u128::from(terms.installments);
    let total = principal.checked_add(interest)?.checked_add(fees)?;
    u64::try_from(total).ok().map(Amount)
}

/// The level installment of amortising terms (zero for the others); `None` when it cannot
/// be computed.
pub fn level_installment(terms: &LoanTerms) -> Option<Amount> {
    match terms.schedule {
        ScheduleKind::Amortizing => interest::level_installment(
            terms.principal,
            terms.rate,
            terms.period_months,
            terms.installments,
        ),
        ScheduleKind::InterestOnlyBalloon | ScheduleKind::Bullet => Some(Amount::ZERO),
    }
}
