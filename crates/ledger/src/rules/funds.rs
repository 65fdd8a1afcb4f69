//! Fungible settlement assets: currencies a member issues, balances, mints, redemptions
//! and transfers. Supply changes only by the issuer's mints and the holders' redemptions;
//! every other movement conserves it.

use super::assets::{owner_code, signer_owner};
use crate::{
    auth::Actor,
    exec::{Exec, RuleResult, ensure},
    state::{StateError, StateRead},
};
use credence_types::{
    CurrencyId, Rejection,
    lending::{Balance, Currency, FundsMovement, IssueCurrency, Owner, Redemption},
    money::Amount,
    receipt::Event,
    state::{Institution, OwnerCode, StateKey},
};

/// An account's balance (zero if it has none yet).
pub(crate) fn balance<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    currency: CurrencyId,
    owner: OwnerCode,
) -> RuleResult<Balance> {
    Ok(exec
        .load(&StateKey::balance(currency, owner))?
        .unwrap_or_default())
}

/// Stores a balance, deleting it when it is empty.
pub(crate) fn store_balance<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    currency: CurrencyId,
    owner: OwnerCode,
    balance: Balance,
) {
    let key = StateKey::balance(currency, owner);
    if balance == Balance::default() {
        exec.remove(key);
    } else {
        exec.store(key, &balance);
    }
}

/// Adds `amount` to an account's available balance.
pub(crate) fn credit<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    currency: CurrencyId,
    owner: OwnerCode,
    amount: Amount,
) -> RuleResult {
    let mut balance = balance(exec, currency, owner)?;
    balance.available = balance
        .available
        .checked_add(amount)
        .ok_or(Rejection::AmountOverflow)?;
    store_balance(exec, currency, owner, balance);
    Ok(())
}

/// Takes `amount` from an account's available balance.
pub(crate) fn debit<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    currency: CurrencyId,
    owner: OwnerCode,
    amount: Amount,
) -> RuleResult {
    let mut balance = balance(exec, currency, owner)?;
    balance.available = balance
        .available
        .checked_sub(amount)
        .ok_or(Rejection::InsufficientFunds)?;
    store_balance(exec, currency, owner, balance);
    Ok(())
}

/// Moves `amount` of an account's available balance to its locked balance.
pub(crate) fn lock<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    currency: CurrencyId,
    owner: OwnerCode,
    amount: Amount,
) -> RuleResult {
    let mut balance = balance(exec, currency, owner)?;
    balance.available = balance
        .available
        .checked_sub(amount)
        .ok_or(Rejection::InsufficientFunds)?;
    balance.locked = balance
        .locked
        .checked_add(amount)
        .ok_or(Rejection::AmountOverflow)?;
    store_balance(exec, currency, owner, balance);
    Ok(())
}

/// Takes `amount` off an account's locked balance; returns it to the available balance when
/// `release`, or removes it from the account (to be credited elsewhere) otherwise.
pub(crate) fn unlock<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    currency: CurrencyId,
    owner: OwnerCode,
    amount: Amount,
    release: bool,
) -> RuleResult {
    let mut balance = balance(exec, currency, owner)?;
    // A loan only unlocks what it locked, so this cannot underflow; if it did, state would
    // be corrupt, and the node stops rather than invent funds.
    balance.locked = balance
        .locked
        .checked_sub(amount)
        .ok_or(StateError::Invariant(
            "a loan unlocks no more than it locked",
        ))?;
    if release {
        balance.available = balance
            .available
            .checked_add(amount)
            .ok_or(Rejection::AmountOverflow)?;
    }
    store_balance(exec, currency, owner, balance);
    Ok(())
}

/// A member issues a currency.
pub(crate) fn issue<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    issuer: &Institution,
    body: &IssueCurrency,
) -> RuleResult {
    let symbol_key = StateKey::currency_symbol(issuer.id, &body.symbol);
    ensure(!exec.exists(&symbol_key)?, Rejection::CurrencySymbolTaken)?;
    let id = exec.next_id(|c| &mut c.currency, CurrencyId::next)?;
    exec.store(symbol_key, &id);
    exec.store(
        StateKey::currency(id),
        &Currency {
            id,
            symbol: body.symbol.clone(),
            issuer: issuer.id,
            supply: Amount::ZERO,
        },
    );
    exec.emit(Event::CurrencyIssued {
        currency: id,
        issuer: issuer.id,
    });
    Ok(())
}

fn issued_currency<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    issuer: &Institution,
    currency: CurrencyId,
) -> RuleResult<Currency> {
    let currency: Currency =
        exec.require(&StateKey::currency(currency), Rejection::CurrencyUnknown)?;
    ensure(currency.issuer == issuer.id, Rejection::NotCurrencyIssuer)?;
    Ok(currency)
}

/// The issuer creates funds in an account.
pub(crate) fn mint<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    issuer: &Institution,
    body: &FundsMovement,
) -> RuleResult {
    ensure(body.amount > Amount::ZERO, Rejection::AmountZero)?;
    let mut currency = issued_currency(exec, issuer, body.currency)?;
    let account = owner_code(exec, &body.account)?;
    currency.supply = currency
        .supply
        .checked_add(body.amount)
        .ok_or(Rejection::AmountOverflow)?;
    credit(exec, currency.id, account, body.amount)?;
    exec.store(StateKey::currency(currency.id), &currency);
    exec.emit(Event::FundsMinted {
        currency: currency.id,
        account: body.account,
        amount: body.amount,
    });
    Ok(())
}

/// A holder redeems funds with their issuer: they leave its own available balance (pledged
/// funds cannot be redeemed) and the supply. Only the holder's signature takes funds out of
/// its account; the issuer settles the redemption off the ledger.
pub(crate) fn redeem<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    holder: &Actor,
    body: &Redemption,
) -> RuleResult {
    ensure(body.amount > Amount::ZERO, Rejection::AmountZero)?;
    let mut currency: Currency = exec.require(
        &StateKey::currency(body.currency),
        Rejection::CurrencyUnknown,
    )?;
    let owner = signer_owner(holder).ok_or(StateError::Invariant(
        "the authorisation table admits only owners to redeem",
    ))?;
    let account = owner_code(exec, &owner)?;
    debit(exec, currency.id, account, body.amount)?;
    // The supply is the sum of the balances, so it holds at least what one account held.
    currency.supply = currency
        .supply
        .checked_sub(body.amount)
        .ok_or(StateError::Invariant(
            "a currency's supply covers every balance",
        ))?;
    exec.store(StateKey::currency(currency.id), &currency);
    exec.emit(Event::FundsRedeemed {
        currency: currency.id,
        holder: owner,
        amount: body.amount,
    });
    Ok(())
}

/// A holder moves available funds to another account.
pub(crate) fn transfer<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    actor: &Actor,
    body: &FundsMovement,
) -> RuleResult {
    ensure(body.amount > Amount::ZERO, Rejection::AmountZero)?;
    ensure(
        exec.exists(&StateKey::currency(body.currency))?,
        Rejection::CurrencyUnknown,
    )?;
    let from: Owner = signer_owner(actor).ok_or(Rejection::SignerUnknown)?;
    let from_code = owner_code(exec, &from)?;
    let to_code = owner_code(exec, &body.account)?;
    debit(exec, body.currency, from_code, body.amount)?;
    credit(exec, body.currency, to_code, body.amount)?;
    exec.emit(Event::FundsTransferred {
        currency: body.currency,
        from,
        to: body.account,
        amount: body.amount,
    });
    Ok(())
}
