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
//!
//! - `offers`: offer, withdrawal, acceptance.
//! - `servicing`: repayment and confirmation of off-ledger payments.
//! - `time`: the begin-block check: due installments, late fees, bands, default.
//! - `remedy`: default's remedy and liquidation.
//! - `history`: the loan's history listing and its tradeline.

mod history;
mod offers;
mod remedy;
mod servicing;
mod time;

pub(crate) use offers::{accept, offer, withdraw};
pub(crate) use remedy::complete_liquidation;
pub(crate) use servicing::{confirm, repay};
pub(crate) use time::check;
