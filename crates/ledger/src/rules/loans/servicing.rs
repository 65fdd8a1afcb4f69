//! Payments: repayment on the ledger, or a lender's confirmation of one made off it. A payment
//! goes to fees, then interest accrued to today, then principal; what is overdue shrinks
//! oldest first; a loan whose debt is cleared is repaid and releases its collateral in the
//! same transaction.

use super::{
    history::{contract_record, history},
    time::{accrue, next_check, refresh_standing, schedule_check, service},
};
use crate::{
    auth::Actor,
    exec::{Exec, Fail, RuleResult, ensure},
    rules::{
        assets::{owner_code, signer_owner},
        expect_object, funds,
    },
    state::StateRead,
};
use credence_types::{
    Rejection,
    lending::{Asset, Collateral, Denomination, Loan, LoanEvent, LoanPayment, LoanStatus, Overdue},
    metro2::AccountStatus,
    money::Amount,
    receipt::Event,
    state::{Institution, OwnerCode, StateKey},
};

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
pub(super) fn settle(loan: &mut Loan, amount: Amount) -> (Amount, Amount, Amount) {
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
