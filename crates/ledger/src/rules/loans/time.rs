//! The time-driven rules, run at begin-block from the loan check queue: offers expire,
//! installments fall due, late fees are charged past the grace days, the days-past-due band is
//! reported in Metro 2's 30-day steps, and past the cure period the loan defaults.
//!
//! Every running loan is in the queue at exactly one instant, its next check
//! ([`next_check`]); nothing here reads a clock: "today" is the block's time.

use super::{
    history::{contract_record, history},
    remedy::default,
};
use crate::{
    exec::{Exec, RuleResult},
    interest,
    rules::expect_object,
    state::{StateError, StateRead},
};
use credence_types::{
    Date, LoanId, Rejection, TimestampMs,
    lending::{Loan, LoanEvent, LoanStatus, Overdue},
    metro2::AccountStatus,
    money::Amount,
    receipt::Event,
    state::StateKey,
};

/// Days in a Metro 2 days-past-due band.
const BAND_DAYS: u16 = 30;
/// The last band (180 days or more).
const BAND_MAX: u16 = 180;

/// The due date of installment `index`; the offer's check made sure the last one exists.
pub(super) fn due_date(loan: &Loan, index: u16) -> RuleResult<Date> {
    Ok(
        interest::due_date(loan.terms.first_due, loan.terms.period_months, index).ok_or(
            StateError::Invariant("every installment of an offered loan has a due date"),
        )?,
    )
}

/// Accrues interest on the outstanding principal up to `to`.
pub(super) fn accrue(loan: &mut Loan, to: Date) -> RuleResult {
    if to <= loan.accrued_to {
        return Ok(());
    }
    let interest = interest::accrue(
        loan.principal,
        loan.terms.rate,
        loan.terms.day_count,
        loan.accrued_to,
        to,
    )
    .ok_or(Rejection::AmountOverflow)?;
    loan.interest = loan
        .interest
        .checked_add(interest)
        .ok_or(Rejection::AmountOverflow)?;
    loan.accrued_to = to;
    Ok(())
}

/// Whether an overdue installment is late: past its grace days.
fn is_late(loan: &Loan, overdue: &Overdue, today: Date) -> bool {
    today.0
        > overdue
            .due
            .0
            .saturating_add(u32::from(loan.terms.grace_days))
}

/// Days past due: since the oldest unpaid installment's due date.
fn days_past_due(loan: &Loan, today: Date) -> Option<u32> {
    loan.overdue
        .as_slice()
        .first()
        .map(|o| today.0.saturating_sub(o.due.0))
}

/// Brings a running loan up to the block's date: installments fall due, late fees are
/// charged, the days-past-due band is reported, and past the cure period the loan defaults.
pub(super) fn service<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    loan: &mut Loan,
) -> RuleResult {
    if !matches!(loan.status, LoanStatus::Active | LoanStatus::Delinquent) {
        return Ok(());
    }
    let today = exec.now().date();
    while loan.installments_due < loan.terms.installments {
        let due = due_date(loan, loan.installments_due)?;
        if due > today {
            break;
        }
        accrue(loan, due)?;
        let owed = loan
            .interest
            .checked_add(loan.principal)
            .ok_or(Rejection::AmountOverflow)?;
        let amount = interest::installment_due(
            loan.terms.schedule,
            loan.installments_due,
            loan.terms.installments,
            loan.installment,
            loan.interest,
            owed,
        );
        // What is already overdue counts toward what this installment asks for.
        let overdue_total = loan.overdue.iter().fold(Amount::ZERO, |sum, o| {
            sum.checked_add(o.amount).unwrap_or(sum)
        });
        let amount = amount.min(owed.checked_sub(overdue_total).unwrap_or(Amount::ZERO));
        if amount > Amount::ZERO {
            loan.overdue
                .push(Overdue {
                    due,
                    amount,
                    fee_charged: false,
                })
                // A loan defaults after at most CURE_DAYS_MAX days overdue, when fewer
                // installments than the list holds can have fallen due (`limits`).
                .map_err(|_| {
                    StateError::Invariant("a running loan's overdue installments fit their list")
                })?;
        }
        loan.installments_due = loan.installments_due.saturating_add(1);
        history(exec, loan, LoanEvent::InstallmentDue { due, amount })?;
    }
    // Late fees, once per installment past its grace days.
    let now = exec.now();
    let mut fees = Amount::ZERO;
    let mut items = loan.overdue.as_slice().to_vec();
    for item in &mut items {
        if !item.fee_charged && is_late(loan, item, today) {
            item.fee_charged = true;
            fees = fees
                .checked_add(loan.terms.late_fee)
                .ok_or(Rejection::AmountOverflow)?;
        }
    }
    loan.overdue = credence_types::codec::BoundedVec::new(items).expect("same length");
    if fees > Amount::ZERO {
        loan.fees = loan
            .fees
            .checked_add(fees)
            .ok_or(Rejection::AmountOverflow)?;
        history(
            exec,
            loan,
            LoanEvent::LateFee {
                at: now,
                amount: fees,
            },
        )?;
    }
    if days_past_due(loan, today).is_some_and(|days| days >= u32::from(loan.terms.cure_days))
        && loan.overdue.iter().any(|o| is_late(loan, o, today))
    {
        return default(exec, loan);
    }
    refresh_standing(exec, loan)?;
    let next = next_check(loan)?;
    schedule_check(exec, loan, next);
    Ok(())
}

/// Sets the status and band from what is overdue, reporting a band change.
pub(super) fn refresh_standing<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    loan: &mut Loan,
) -> RuleResult {
    let today = exec.now().date();
    let late = loan.overdue.iter().any(|o| is_late(loan, o, today));
    loan.status = if late {
        LoanStatus::Delinquent
    } else {
        LoanStatus::Active
    };
    let band = match days_past_due(loan, today) {
        Some(days) if late => {
            let band = u16::try_from(days / u32::from(BAND_DAYS)).unwrap_or(u16::MAX);
            band.saturating_mul(BAND_DAYS).min(BAND_MAX)
        }
        _ => 0,
    };
    if band != loan.band {
        loan.band = band;
        let status = AccountStatus::for_days_past_due(u32::from(band));
        let first_delinquency = (band > 0)
            .then(|| loan.overdue.as_slice().first().map(|o| o.due))
            .flatten();
        history(
            exec,
            loan,
            LoanEvent::Band {
                at: exec.now(),
                days: band,
            },
        )?;
        contract_record(exec, loan, status, first_delinquency)?;
        exec.emit(Event::LoanBand {
            loan: loan.id,
            borrower: loan.terms.borrower,
            days_past_due: band,
        });
    }
    Ok(())
}

/// When the time-driven rules must next look at a running loan: the next due date, the
/// next grace expiry, the next band boundary, or the default date, whichever comes first.
pub(super) fn next_check(loan: &Loan) -> RuleResult<Option<TimestampMs>> {
    let mut candidates: Vec<Date> = Vec::new();
    if loan.installments_due < loan.terms.installments {
        candidates.push(due_date(loan, loan.installments_due)?);
    }
    for item in loan.overdue.iter().filter(|o| !o.fee_charged) {
        candidates.push(Date(
            item.due
                .0
                .saturating_add(u32::from(loan.terms.grace_days))
                .saturating_add(1),
        ));
    }
    if let Some(first) = loan.overdue.as_slice().first() {
        if loan.band < BAND_MAX {
            candidates.push(Date(
                first
                    .due
                    .0
                    .saturating_add(u32::from(loan.band.saturating_add(BAND_DAYS))),
            ));
        }
        candidates.push(Date(
            first.due.0.saturating_add(u32::from(loan.terms.cure_days)),
        ));
    }
    Ok(candidates.into_iter().min().map(Date::start))
}

/// Moves a loan's entry in the check queue to `next` (or off it).
pub(super) fn schedule_check<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    loan: &mut Loan,
    next: Option<TimestampMs>,
) {
    if let Some(previous) = loan.next_check {
        exec.remove(StateKey::loan_queue(previous, loan.id));
    }
    loan.next_check = next;
    if let Some(next) = next {
        exec.mark(StateKey::loan_queue(next, loan.id));
    }
}

/// A loan's queue entry came due (begin-block): expire an offer, or service a running loan.
pub(crate) fn check<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>, id: LoanId) -> RuleResult {
    let mut loan: Loan = expect_object(exec, StateKey::loan(id))?;
    loan.next_check = None;
    match loan.status {
        LoanStatus::Offered if exec.now() >= loan.terms.offer_expires_at => {
            loan.status = LoanStatus::Expired;
            exec.emit(Event::OfferClosed {
                loan: id,
                borrower: loan.terms.borrower,
                withdrawn: false,
            });
        }
        LoanStatus::Offered => {
            let expiry = loan.terms.offer_expires_at;
            schedule_check(exec, &mut loan, Some(expiry));
        }
        LoanStatus::Active | LoanStatus::Delinquent => service(exec, &mut loan)?,
        _ => {}
    }
    exec.store(StateKey::loan(id), &loan);
    Ok(())
}
