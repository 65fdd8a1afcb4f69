//! Read functions over ledger state for the node to serve (each value it returns lives under
//! a key the store can prove): assets and their locks, an owner's assets, loans with their
//! balance, projected schedule and history, the loans that have locked an asset, and a
//! subject's pledged collateral.

use crate::{
    interest,
    state::{StateError, StateRead, load},
};
use credence_types::{
    AssetId, CurrencyId, Date, LoanId, SubjectId,
    lending::{Asset, Balance, Collateral, Loan, LoanEvent, LoanStatus, Owner},
    money::Amount,
    state::{Institution, OwnerCode, StateKey, Subject},
};

/// An asset, with its lock and liquidation status.
pub fn asset<S: StateRead + ?Sized>(state: &S, id: AssetId) -> Result<Option<Asset>, StateError> {
    load(state, &StateKey::asset(id))
}

/// The key code of an owner, if it exists.
pub fn owner_code<S: StateRead + ?Sized>(
    state: &S,
    owner: &Owner,
) -> Result<Option<OwnerCode>, StateError> {
    Ok(match owner {
        Owner::Subject(id) => {
            load::<Subject, _>(state, &StateKey::subject(id))?.map(|s| OwnerCode::subject(s.number))
        }
        Owner::Institution(id) => load::<Institution, _>(state, &StateKey::institution(*id))?
            .map(|_| OwnerCode::institution(*id)),
    })
}

/// How many entries an owner's asset listing has had.
fn asset_listing_len<S: StateRead + ?Sized>(state: &S, owner: &Owner) -> Result<u32, StateError> {
    Ok(match owner {
        Owner::Subject(id) => {
            load::<Subject, _>(state, &StateKey::subject(id))?.map_or(0, |s| s.listings.assets)
        }
        Owner::Institution(id) => load::<Institution, _>(state, &StateKey::institution(*id))?
            .map_or(0, |i| i.listings.assets),
    })
}

/// The assets an owner holds now, in the order it acquired them.
pub fn assets_of<S: StateRead + ?Sized>(
    state: &S,
    owner: &Owner,
) -> Result<Vec<Asset>, StateError> {
    let Some(code) = owner_code(state, owner)? else {
        return Ok(Vec::new());
    };
    let mut assets = Vec::new();
    for sequence in 0..asset_listing_len(state, owner)? {
        // Entries of assets that left the owner are deleted.
        if let Some(id) = load::<AssetId, _>(state, &StateKey::owner_asset(code, sequence))?
            && let Some(asset) = asset(state, id)?
        {
            assets.push(asset);
        }
    }
    Ok(assets)
}

/// A loan.
pub fn loan<S: StateRead + ?Sized>(state: &S, id: LoanId) -> Result<Option<Loan>, StateError> {
    load(state, &StateKey::loan(id))
}

/// A loan's history, oldest first.
pub fn loan_history<S: StateRead + ?Sized>(
    state: &S,
    loan: &Loan,
) -> Result<Vec<LoanEvent>, StateError> {
    let mut events = Vec::with_capacity(usize::try_from(loan.history).unwrap_or(0));
    for sequence in 0..loan.history {
        if let Some(event) = load(state, &StateKey::loan_history(loan.id, sequence))? {
            events.push(event);
        }
    }
    Ok(events)
}

/// Every loan that has locked an asset, oldest first (the last may hold it now).
pub fn loans_locking<S: StateRead + ?Sized>(
    state: &S,
    id: AssetId,
) -> Result<Vec<LoanId>, StateError> {
    let Some(asset) = asset(state, id)? else {
        return Ok(Vec::new());
    };
    let mut loans = Vec::new();
    for sequence in 0..asset.loans {
        if let Some(loan) = load(state, &StateKey::asset_loan(id, sequence))? {
            loans.push(loan);
        }
    }
    Ok(loans)
}

/// What a subject has pledged to loans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PledgedCollateral {
    /// Its assets locked by loans.
    pub assets: Vec<Asset>,
    /// Its locked funds, by currency.
    pub funds: Vec<(CurrencyId, Amount)>,
}

/// A subject's pledged collateral: its locked assets, and its locked funds by currency.
pub fn pledged_collateral<S: StateRead + ?Sized>(
    state: &S,
    subject: &SubjectId,
) -> Result<PledgedCollateral, StateError> {
    let owner = Owner::Subject(*subject);
    let assets = assets_of(state, &owner)?
        .into_iter()
        .filter(|a| a.lock.is_some())
        .collect();
    let mut funds = Vec::new();
    if let Some(code) = owner_code(state, &owner)? {
        // Funds pledged are recorded in each loan's terms; the balance holds the total.
        let mut currencies = std::collections::BTreeSet::new();
        let subject_state: Option<Subject> = load(state, &StateKey::subject(subject))?;
        for sequence in 0..subject_state.map_or(0, |s| s.listings.loans) {
            if let Some(id) = load::<LoanId, _>(state, &StateKey::borrower_loan(code, sequence))?
                && let Some(loan) = loan(state, id)?
            {
                for item in loan.terms.collateral.iter() {
                    if let Collateral::Funds(pledge) = item {
                        currencies.insert(pledge.currency);
                    }
                }
            }
        }
        for currency in currencies {
            let balance: Balance =
                load(state, &StateKey::balance(currency, code))?.unwrap_or_default();
            if balance.locked > Amount::ZERO {
                funds.push((currency, balance.locked));
            }
        }
    }
    Ok(PledgedCollateral { assets, funds })
}

/// What repays a running loan in full on `on`: fees, interest accrued to that day, principal.
pub fn payoff(loan: &Loan, on: Date) -> Option<Amount> {
    if !matches!(loan.status, LoanStatus::Active | LoanStatus::Delinquent) {
        return Some(Amount::ZERO);
    }
    let accrued = interest::accrue(
        loan.principal,
        loan.terms.rate,
        loan.terms.day_count,
        loan.accrued_to,
        on,
    )?;
    loan.debt()?.checked_add(accrued)
}

/// An installment of a projected schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Projected {
    /// Its due date.
    pub due: Date,
    /// What it will ask for if every earlier one is paid on time.
    pub amount: Amount,
    /// Of which interest.
    pub interest: Amount,
    /// Principal left after it.
    pub balance: Amount,
}

/// The installments not yet due, projected from the loan's state assuming each is paid on
/// its due date (the last takes whatever remains).
pub fn projected_schedule(loan: &Loan) -> Option<Vec<Projected>> {
    let mut principal = loan.principal;
    let mut owed_interest = loan.interest;
    let mut accrued_to = loan.accrued_to;
    let mut schedule = Vec::new();
    for index in loan.installments_due..loan.terms.installments {
        let due = interest::due_date(loan.terms.first_due, loan.terms.period_months, index)?;
        owed_interest = owed_interest.checked_add(interest::accrue(
            principal,
            loan.terms.rate,
            loan.terms.day_count,
            accrued_to,
            due,
        )?)?;
        accrued_to = due;
        let owed = owed_interest.checked_add(principal)?;
        let amount = interest::installment_due(
            loan.terms.schedule,
            index,
            loan.terms.installments,
            loan.installment,
            owed_interest,
            owed,
        );
        let interest_part = amount.min(owed_interest);
        owed_interest = owed_interest.checked_sub(interest_part)?;
        principal = principal.checked_sub(amount.checked_sub(interest_part)?)?;
        schedule.push(Projected {
            due,
            amount,
            interest: interest_part,
            balance: principal,
        });
    }
    Some(schedule)
}
