//! Offers and acceptance: a lender offers terms (checked whole, listed for both parties, queued
//! to expire), may withdraw them, and the borrower accepts — collateral checked and locked,
//! loan-to-value checked, principal disbursed on the ledger — in one step that applies whole
//! or not at all.

use super::{
    history::{contract_record, history},
    time::{due_date, schedule_check},
};
use crate::{
    auth::Actor,
    checks,
    exec::{Exec, RuleResult, ensure},
    rules::{
        assets::{check_denomination, owner_code, signer_owner},
        expect_object, funds,
    },
    state::{StateError, StateRead},
};
use credence_types::{
    LoanId, Rejection,
    lending::{
        Asset, Collateral, Denomination, Loan, LoanEvent, LoanStatus, LoanTerms, Owner, Remedy,
    },
    metro2::AccountStatus,
    money::{Amount, BasisPoints},
    receipt::Event,
    state::{Institution, OwnerCode, StateKey, Subject},
};

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
