//! Loan contracts with automatic collateral.
//!
//! Life of a loan: a lender **offers** terms; the borrower **accepts** — in one step the
//! collateral is checked and locked and, for an on-ledger currency, the principal moves from
//! lender to borrower. Each due date an **installment** falls due; payments go to fees, then
//! interest, then principal. An installment unpaid past the grace days is **late** (the fee is
//! charged, the loan is delinquent), and its days past due are reported in Metro 2's 30-day
//! bands; paying what is overdue **cures** the loan. Past the cure period the loan
//! **defaults** and its remedy runs. Repaid in full, it releases its collateral in the same
//! transaction. The loan furnishes its own tradeline at each step (records that carry only
//! cleartext metadata: the state machine cannot seal).
//!
//! Money: integer minor units; interest accrues by the day count on the outstanding
//! principal, rounded down at each accrual (see [`crate::interest`]).

use super::{
    assets::{change_owner, check_denomination, owner_code, signer_owner},
    expect_object, funds,
    records::{NewRecord, store_record},
};
use crate::{
    auth::Actor,
    checks,
    exec::{Exec, Fail, RuleResult, ensure},
    interest,
    state::{StateError, StateRead},
};
use credence_types::{
    Date, Digest, LoanId, RecordId, Rejection, TimestampMs,
    codec::encode,
    lending::{
        Asset, Collateral, CompleteLiquidation, Denomination, Loan, LoanEvent, LoanPayment,
        LoanStatus, LoanTerms, Overdue, Owner, Remedy,
    },
    metro2::AccountStatus,
    money::{Amount, BasisPoints},
    receipt::Event,
    state::{Institution, OwnerCode, Record, StateKey, Subject},
};

/// Days in a Metro 2 days-past-due band.
const BAND_DAYS: u16 = 30;
/// The last band (180 days or more).
const BAND_MAX: u16 = 180;

// ----- Offers -----

/// Checks terms that do not depend on acceptance.
fn check_terms<S: StateRead + ?Sized>(exec: &Exec<'_, S>, terms: &LoanTerms) -> RuleResult {
    checks::loan_terms(terms, exec.now())?;
    if let Remedy::Liquidate(registrar) = terms.remedy {
        let registrar: Institution = exec.require(
            &StateKey::institution(registrar),
            Rejection::LiquidatorIneligible,
        )?;
        ensure(
            registrar.may_act_as(credence_types::Role::Registrar),
            Rejection::LiquidatorIneligible,
        )?;
    }
    check_denomination(exec, &terms.denomination)?;
    owner_code(exec, &terms.borrower)?;
    Ok(())
}

/// A lender offers a loan.
pub(crate) fn offer<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    lender: &Institution,
    terms: &LoanTerms,
) -> RuleResult {
    check_terms(exec, terms)?;
    let id = exec.next_id(|c| &mut c.loan, LoanId::next)?;
    let now = exec.now();
    let mut loan = Loan {
        id,
        lender: lender.id,
        terms: terms.clone(),
        status: LoanStatus::Offered,
        offered_at: now,
        accepted_at: None,
        installment: Amount::ZERO,
        principal: Amount::ZERO,
        interest: Amount::ZERO,
        fees: Amount::ZERO,
        accrued_to: now.date(),
        installments_due: 0,
        overdue: Default::default(),
        band: 0,
        next_check: None,
        paid: Amount::ZERO,
        tradeline: None,
        history: 0,
    };
    // Listed for both parties from the offer on, so a borrower sees what is offered.
    let mut lender_state: Institution = expect_object(exec, StateKey::institution(lender.id))?;
    let sequence = lender_state.listings.loans_made;
    exec.store(StateKey::lender_loan(lender.id, sequence), &id);
    lender_state.listings.loans_made = sequence.checked_add(1).ok_or(Rejection::IdsExhausted)?;
    exec.store(StateKey::institution(lender.id), &lender_state);
    list_for_borrower(exec, &terms.borrower, id)?;
    schedule_check(exec, &mut loan, Some(terms.offer_expires_at));
    exec.store(StateKey::loan(id), &loan);
    exec.emit(Event::LoanOffered {
        loan: id,
        lender: lender.id,
        borrower: terms.borrower,
    });
    Ok(())
}

fn list_for_borrower<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    borrower: &Owner,
    loan: LoanId,
) -> RuleResult {
    let code = owner_code(exec, borrower)?;
    let sequence = match borrower {
        Owner::Subject(id) => {
            let mut subject: Subject = expect_object(exec, StateKey::subject(id))?;
            let sequence = subject.listings.loans;
            subject.listings.loans = sequence.checked_add(1).ok_or(Rejection::IdsExhausted)?;
            exec.store(StateKey::subject(id), &subject);
            sequence
        }
        Owner::Institution(id) => {
            let mut institution: Institution = expect_object(exec, StateKey::institution(*id))?;
            let sequence = institution.listings.loans_borrowed;
            institution.listings.loans_borrowed =
                sequence.checked_add(1).ok_or(Rejection::IdsExhausted)?;
            exec.store(StateKey::institution(*id), &institution);
            sequence
        }
    };
    exec.store(StateKey::borrower_loan(code, sequence), &loan);
    Ok(())
}

/// The lender withdraws an offer not yet accepted.
pub(crate) fn withdraw<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    lender: &Institution,
    id: LoanId,
) -> RuleResult {
    let mut loan: Loan = exec.require(&StateKey::loan(id), Rejection::LoanUnknown)?;
    ensure(loan.lender == lender.id, Rejection::NotLender)?;
    ensure(
        loan.status == LoanStatus::Offered,
        Rejection::LoanNotOffered,
    )?;
    loan.status = LoanStatus::Withdrawn;
    schedule_check(exec, &mut loan, None);
    exec.store(StateKey::loan(id), &loan);
    exec.emit(Event::OfferClosed {
        loan: id,
        borrower: loan.terms.borrower,
        withdrawn: true,
    });
    Ok(())
}

// ----- Acceptance -----

/// The borrower accepts: every check passes and the collateral locks and the principal
/// moves, or nothing happens.
pub(crate) fn accept<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    actor: &Actor,
    id: LoanId,
) -> RuleResult {
    let mut loan: Loan = exec.require(&StateKey::loan(id), Rejection::LoanUnknown)?;
    ensure(
        loan.status == LoanStatus::Offered,
        Rejection::LoanNotOffered,
    )?;
    let now = exec.now();
    ensure(now < loan.terms.offer_expires_at, Rejection::OfferExpired)?;
    ensure(
        signer_owner(actor) == Some(loan.terms.borrower),
        Rejection::NotBorrower,
    )?;
    ensure(
        loan.terms.first_due > now.date(),
        Rejection::FirstDueNotAfterToday,
    )?;
    let borrower = owner_code(exec, &loan.terms.borrower)?;

    // Collateral: the borrower's, free, in the loan's denomination; locked to this loan.
    let mut value: u128 = 0;
    for item in loan.terms.collateral.iter() {
        match item {
            Collateral::Asset(asset_id) => {
                let mut asset: Asset =
                    exec.require(&StateKey::asset(*asset_id), Rejection::AssetUnknown)?;
                ensure(
                    asset.owner == loan.terms.borrower,
                    Rejection::CollateralNotBorrowers,
                )?;
                ensure(
                    asset.lock.is_none() && asset.liquidation.is_none(),
                    Rejection::CollateralAlreadyPledged,
                )?;
                ensure(
                    asset.valuation.denomination == loan.terms.denomination,
                    Rejection::CollateralDenominationMismatch,
                )?;
                value = value.saturating_add(u128::from(asset.valuation.value.0));
                asset.lock = Some(id);
                exec.store(StateKey::asset_loan(asset.id, asset.loans), &id);
                asset.loans = asset.loans.checked_add(1).ok_or(Rejection::IdsExhausted)?;
                exec.store(StateKey::asset(asset.id), &asset);
            }
            Collateral::Funds(pledge) => {
                ensure(
                    Denomination::OnLedger(pledge.currency) == loan.terms.denomination,
                    Rejection::CollateralDenominationMismatch,
                )?;
                value = value.saturating_add(u128::from(pledge.amount.0));
                funds::lock(exec, pledge.currency, borrower, pledge.amount)?;
            }
        }
    }
    if !loan.terms.collateral.is_empty() {
        // principal ÷ value ≤ max_ltv, compared without dividing.
        let lent = u128::from(loan.terms.principal.0) * u128::from(BasisPoints::ONE.0);
        let allowed = value.saturating_mul(u128::from(loan.terms.max_ltv.0));
        ensure(lent <= allowed, Rejection::LoanToValueExceeded)?;
    }

    // Disbursement, when the money is on the ledger.
    if let Denomination::OnLedger(currency) = loan.terms.denomination {
        let lender = OwnerCode::institution(loan.lender);
        funds::debit(exec, currency, lender, loan.terms.principal)?;
        funds::credit(exec, currency, borrower, loan.terms.principal)?;
    }

    loan.status = LoanStatus::Active;
    loan.accepted_at = Some(now);
    loan.principal = loan.terms.principal;
    loan.accrued_to = now.date();
    // The offer's check computed it from these very terms.
    loan.installment = checks::level_installment(&loan.terms).ok_or(StateError::Invariant(
        "an offered loan's level installment is computable",
    ))?;
    history(exec, &mut loan, LoanEvent::Accepted { at: now })?;
    contract_record(exec, &mut loan, AccountStatus::Current, None)?;
    let first = due_date(&loan, 0)?;
    schedule_check(exec, &mut loan, Some(first.start()));
    exec.store(StateKey::loan(id), &loan);
    exec.emit(Event::LoanAccepted {
        loan: id,
        lender: loan.lender,
        borrower: loan.terms.borrower,
    });
    Ok(())
}

// ----- Payments -----

/// Anyone repays an on-ledger loan from their own available funds.
pub(crate) fn repay<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    actor: &Actor,
    payment: &LoanPayment,
) -> RuleResult {
    let mut loan: Loan = exec.require(&StateKey::loan(payment.loan), Rejection::LoanUnknown)?;
    let Denomination::OnLedger(currency) = loan.terms.denomination else {
        return Err(Fail::Reject(Rejection::DenominationOffLedger));
    };
    let payer = signer_owner(actor).ok_or(Rejection::SignerUnknown)?;
    let payer = owner_code(exec, &payer)?;
    apply_payment(exec, &mut loan, payment.amount)?;
    funds::debit(exec, currency, payer, payment.amount)?;
    funds::credit(
        exec,
        currency,
        OwnerCode::institution(loan.lender),
        payment.amount,
    )?;
    exec.store(StateKey::loan(loan.id), &loan);
    Ok(())
}

/// The lender confirms a repayment received off the ledger.
pub(crate) fn confirm<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    lender: &Institution,
    payment: &LoanPayment,
) -> RuleResult {
    let mut loan: Loan = exec.require(&StateKey::loan(payment.loan), Rejection::LoanUnknown)?;
    ensure(loan.lender == lender.id, Rejection::NotLender)?;
    ensure(
        matches!(loan.terms.denomination, Denomination::OffLedger(_)),
        Rejection::DenominationOnLedger,
    )?;
    apply_payment(exec, &mut loan, payment.amount)?;
    exec.store(StateKey::loan(loan.id), &loan);
    Ok(())
}

/// Applies a payment: fees, then interest accrued to today, then principal; what is overdue
/// shrinks oldest first; a loan whose arrears are cleared is cured, one whose debt is
/// cleared is repaid and releases its collateral.
fn apply_payment<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    loan: &mut Loan,
    amount: Amount,
) -> RuleResult {
    ensure(amount > Amount::ZERO, Rejection::AmountZero)?;
    ensure(
        matches!(loan.status, LoanStatus::Active | LoanStatus::Delinquent),
        Rejection::LoanNotActive,
    )?;
    // Catch up with anything due that the begin-block step has not reached yet.
    service(exec, loan)?;
    ensure(
        matches!(loan.status, LoanStatus::Active | LoanStatus::Delinquent),
        Rejection::LoanNotActive,
    )?;
    let today = exec.now().date();
    accrue(loan, today)?;
    let debt = loan.debt().ok_or(Rejection::AmountOverflow)?;
    ensure(amount <= debt, Rejection::RepaymentExceedsDebt)?;
    let (fees, interest, principal) = settle(loan, amount);
    loan.paid = loan
        .paid
        .checked_add(amount)
        .ok_or(Rejection::AmountOverflow)?;
    let mut left = amount;
    while let Some(first) = loan.overdue.as_slice().first().copied() {
        if left == Amount::ZERO {
            break;
        }
        if left >= first.amount {
            left = left.checked_sub(first.amount).unwrap_or(Amount::ZERO);
            loan.overdue = pop_front(&loan.overdue);
        } else {
            let mut items = loan.overdue.as_slice().to_vec();
            items[0].amount = first.amount.checked_sub(left).unwrap_or(Amount::ZERO);
            loan.overdue = credence_types::codec::BoundedVec::new(items).expect("same length");
            left = Amount::ZERO;
        }
    }
    let now = exec.now();
    history(
        exec,
        loan,
        LoanEvent::Payment {
            at: now,
            fees,
            interest,
            principal,
        },
    )?;
    exec.emit(Event::LoanPaid {
        loan: loan.id,
        borrower: loan.terms.borrower,
        amount,
    });
    if loan.debt() == Some(Amount::ZERO) {
        return repaid(exec, loan);
    }
    // Arrears cleared: the loan is current again.
    refresh_standing(exec, loan)?;
    let next = next_check(loan)?;
    schedule_check(exec, loan, next);
    Ok(())
}

/// Pays `amount` toward fees, interest, principal in that order; returns the three parts.
fn settle(loan: &mut Loan, amount: Amount) -> (Amount, Amount, Amount) {
    let mut left = amount;
    let mut take = |owed: &mut Amount| {
        let part = (*owed).min(left);
        *owed = owed.checked_sub(part).unwrap_or(Amount::ZERO);
        left = left.checked_sub(part).unwrap_or(Amount::ZERO);
        part
    };
    let fees = take(&mut loan.fees);
    let interest = take(&mut loan.interest);
    let principal = take(&mut loan.principal);
    (fees, interest, principal)
}

fn pop_front<const N: usize>(
    list: &credence_types::codec::BoundedVec<Overdue, N>,
) -> credence_types::codec::BoundedVec<Overdue, N> {
    credence_types::codec::BoundedVec::new(list.as_slice()[1..].to_vec()).expect("shorter")
}

/// Repaid in full: collateral released, tradeline paid, loan closed.
fn repaid<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>, loan: &mut Loan) -> RuleResult {
    let borrower = owner_code(exec, &loan.terms.borrower)?;
    for item in loan.terms.collateral.clone().iter() {
        match item {
            Collateral::Asset(id) => {
                let mut asset: Asset = expect_object(exec, StateKey::asset(*id))?;
                if asset.lock == Some(loan.id) {
                    asset.lock = None;
                    exec.store(StateKey::asset(asset.id), &asset);
                }
            }
            Collateral::Funds(pledge) => {
                funds::unlock(exec, pledge.currency, borrower, pledge.amount, true)?;
            }
        }
    }
    loan.status = LoanStatus::Repaid;
    loan.overdue = Default::default();
    let now = exec.now();
    history(exec, loan, LoanEvent::Repaid { at: now })?;
    contract_record(exec, loan, AccountStatus::PaidOrClosed, None)?;
    schedule_check(exec, loan, None);
    exec.emit(Event::LoanRepaid {
        loan: loan.id,
        borrower: loan.terms.borrower,
    });
    Ok(())
}

// ----- Time -----

/// The due date of installment `index`; the offer's check made sure the last one exists.
fn due_date(loan: &Loan, index: u16) -> RuleResult<Date> {
    Ok(
        interest::due_date(loan.terms.first_due, loan.terms.period_months, index).ok_or(
            StateError::Invariant("every installment of an offered loan has a due date"),
        )?,
    )
}

/// Accrues interest on the outstanding principal up to `to`.
fn accrue(loan: &mut Loan, to: Date) -> RuleResult {
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
pub(crate) fn service<S: StateRead + ?Sized>(
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
fn refresh_standing<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>, loan: &mut Loan) -> RuleResult {
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
fn next_check(loan: &Loan) -> RuleResult<Option<TimestampMs>> {
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
fn schedule_check<S: StateRead + ?Sized>(
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

// ----- Default -----

/// Past the cure period: the remedy runs. Pledged funds go to the debt (to the lender), any
/// surplus back to the borrower; pledged assets pass to the lender, or are held for the
/// named registrar to liquidate.
///
/// The contract's tradeline then reads 96 (repossessed, a balance may be due) while assets
/// wait to be sold, and otherwise 97: the lender has taken what was pledged and the unpaid
/// balance is charged off.
fn default<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>, loan: &mut Loan) -> RuleResult {
    let borrower = owner_code(exec, &loan.terms.borrower)?;
    let lender = OwnerCode::institution(loan.lender);
    let first_delinquency = loan.overdue.as_slice().first().map(|o| o.due);
    let mut held_for_sale = false;
    for item in loan.terms.collateral.clone().iter() {
        match item {
            Collateral::Asset(id) => {
                let mut asset: Asset = expect_object(exec, StateKey::asset(*id))?;
                if asset.lock != Some(loan.id) {
                    continue;
                }
                match loan.terms.remedy {
                    Remedy::TransferToLender => {
                        asset.lock = None;
                        change_owner(exec, &mut asset, Owner::Institution(loan.lender))?;
                    }
                    Remedy::Liquidate(registrar) => {
                        held_for_sale = true;
                        asset.liquidation = Some(registrar);
                        exec.store(StateKey::asset(asset.id), &asset);
                    }
                }
            }
            Collateral::Funds(pledge) => {
                let debt = loan.debt().ok_or(Rejection::AmountOverflow)?;
                let applied = pledge.amount.min(debt);
                let surplus = pledge.amount.checked_sub(applied).unwrap_or(Amount::ZERO);
                funds::unlock(exec, pledge.currency, borrower, applied, false)?;
                funds::credit(exec, pledge.currency, lender, applied)?;
                funds::unlock(exec, pledge.currency, borrower, surplus, true)?;
                settle(loan, applied);
            }
        }
    }
    loan.status = LoanStatus::Defaulted;
    schedule_check(exec, loan, None);
    let now = exec.now();
    history(exec, loan, LoanEvent::Defaulted { at: now })?;
    let status = if held_for_sale {
        AccountStatus::Repossession
    } else {
        AccountStatus::ChargeOff
    };
    contract_record(exec, loan, status, first_delinquency)?;
    exec.emit(Event::LoanDefaulted {
        loan: loan.id,
        lender: loan.lender,
        borrower: loan.terms.borrower,
    });
    exec.store(StateKey::loan(loan.id), &*loan);
    Ok(())
}

/// The liquidating registrar reports what the collateral fetched: the proceeds go to the
/// debt, any surplus to the borrower, and the registrar takes the assets it sold.
pub(crate) fn complete_liquidation<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    registrar: &Institution,
    body: &CompleteLiquidation,
) -> RuleResult {
    let mut loan: Loan = exec.require(&StateKey::loan(body.loan), Rejection::LoanUnknown)?;
    let Remedy::Liquidate(liquidator) = loan.terms.remedy else {
        return Err(Fail::Reject(Rejection::LoanNotLiquidating));
    };
    ensure(liquidator == registrar.id, Rejection::NotLiquidator)?;
    ensure(
        loan.status == LoanStatus::Defaulted,
        Rejection::LoanNotLiquidating,
    )?;
    let mut pending = Vec::new();
    for item in loan.terms.collateral.iter() {
        if let Collateral::Asset(id) = item {
            let asset: Asset = expect_object(exec, StateKey::asset(*id))?;
            if asset.lock == Some(loan.id) && asset.liquidation == Some(registrar.id) {
                pending.push(asset);
            }
        }
    }
    ensure(!pending.is_empty(), Rejection::LoanNotLiquidating)?;

    let debt = loan.debt().ok_or(Rejection::AmountOverflow)?;
    let applied = body.proceeds.min(debt);
    let surplus = body.proceeds.checked_sub(applied).unwrap_or(Amount::ZERO);
    if let Denomination::OnLedger(currency) = loan.terms.denomination {
        let borrower = owner_code(exec, &loan.terms.borrower)?;
        funds::debit(
            exec,
            currency,
            OwnerCode::institution(registrar.id),
            body.proceeds,
        )?;
        funds::credit(exec, currency, OwnerCode::institution(loan.lender), applied)?;
        funds::credit(exec, currency, borrower, surplus)?;
    }
    settle(&mut loan, applied);
    for mut asset in pending {
        asset.lock = None;
        asset.liquidation = None;
        change_owner(exec, &mut asset, Owner::Institution(registrar.id))?;
    }
    let now = exec.now();
    history(
        exec,
        &mut loan,
        LoanEvent::Liquidated {
            at: now,
            proceeds: body.proceeds,
            surplus,
        },
    )?;
    // Paid off by the sale, or charged off for the deficiency.
    let status = if loan.debt() == Some(Amount::ZERO) {
        AccountStatus::PaidWasRepossession
    } else {
        AccountStatus::ChargeOff
    };
    let first_delinquency = current_first_delinquency(exec, &loan)?;
    contract_record(exec, &mut loan, status, first_delinquency)?;
    exec.emit(Event::LiquidationCompleted {
        loan: loan.id,
        borrower: loan.terms.borrower,
        proceeds: body.proceeds,
        surplus,
    });
    exec.store(StateKey::loan(loan.id), &loan);
    Ok(())
}

/// The date of first delinquency the loan's tradeline carries.
fn current_first_delinquency<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    loan: &Loan,
) -> RuleResult<Option<Date>> {
    Ok(match loan.tradeline {
        Some(id) => exec
            .load::<Record>(&StateKey::record(id))?
            .and_then(|r| r.first_delinquency),
        None => None,
    })
}

// ----- Records and history -----

/// The account reference of a loan's tradeline.
pub(crate) fn loan_account(loan: LoanId) -> Digest {
    Digest::of("credence/loan-account", &[&loan.0.to_be_bytes()])
}

/// Furnishes the loan's tradeline at `status` (for a subject borrower), superseding the
/// previous one. The record carries cleartext metadata only; its commitment binds it.
fn contract_record<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    loan: &mut Loan,
    status: AccountStatus,
    first_delinquency: Option<Date>,
) -> RuleResult {
    let Owner::Subject(subject_id) = loan.terms.borrower else {
        return Ok(());
    };
    let mut subject: Subject = expect_object(exec, StateKey::subject(&subject_id))?;
    let id = exec.next_id(|c| &mut c.record, RecordId::next)?;
    if let Some(previous_id) = loan.tradeline {
        let mut previous: Record = expect_object(exec, StateKey::record(previous_id))?;
        if previous.superseded_by.is_none() {
            previous.superseded_by = Some(id);
            exec.store(StateKey::record(previous_id), &previous);
        }
    }
    let today = exec.now().date();
    let epoch = subject.report_key_epoch;
    let commitment = Digest::of(
        "credence/contract-record",
        &[&encode(&loan.id), &encode(&status), &encode(&today)],
    );
    store_record(
        exec,
        loan.lender,
        &mut subject,
        id,
        NewRecord {
            account: loan_account(loan.id),
            status,
            first_delinquency,
            as_of: today,
            report_key_epoch: epoch,
            payload: None,
            commitment,
            supersedes: loan.tradeline,
            loan: Some(loan.id),
        },
    )?;
    loan.tradeline = Some(id);
    Ok(())
}

/// Appends to the loan's history listing.
fn history<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    loan: &mut Loan,
    event: LoanEvent,
) -> RuleResult {
    exec.store(StateKey::loan_history(loan.id, loan.history), &event);
    loan.history = loan.history.checked_add(1).ok_or(Rejection::IdsExhausted)?;
    Ok(())
}
