//! Default and its remedy: pledged funds go to the debt, pledged assets pass to the lender or
//! are held for a registrar to sell, and the registrar's report of the sale settles the
//! debt and the surplus.

use super::{
    history::{contract_record, history},
    servicing::settle,
    time::schedule_check,
};
use crate::{
    exec::{Exec, Fail, RuleResult, ensure},
    rules::{
        assets::{change_owner, owner_code},
        expect_object, funds,
    },
    state::StateRead,
};
use credence_types::{
    Date, Rejection,
    lending::{
        Asset, Collateral, CompleteLiquidation, Denomination, Loan, LoanEvent, LoanStatus, Owner,
        Remedy,
    },
    metro2::AccountStatus,
    money::Amount,
    receipt::Event,
    state::{Institution, OwnerCode, Record, StateKey},
};

/// Past the cure period: the remedy runs. Pledged funds go to the debt (to the lender), any
/// surplus back to the borrower; pledged assets pass to the lender, or are held for the
/// named registrar to liquidate.
///
/// The contract's tradeline then reads 96 (repossessed, a balance may be due) while assets
/// wait to be sold, and otherwise 97: the lender has taken what was pledged and the unpaid
/// balance is charged off.
pub(super) fn default<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    loan: &mut Loan,
) -> RuleResult {
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
