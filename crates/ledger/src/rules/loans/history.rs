//! What a loan leaves behind: its history listing, and the tradeline it furnishes about a
//! subject borrower at each step (cleartext metadata only: the state machine cannot seal).

use crate::{
    exec::{Exec, RuleResult},
    rules::{
        expect_object,
        records::{NewRecord, store_record},
    },
    state::StateRead,
};
use credence_types::{
    Date, Digest, LoanId, RecordId, Rejection,
    codec::encode,
    lending::{Loan, LoanEvent, Owner},
    metro2::AccountStatus,
    state::{Record, StateKey, Subject},
};

/// The account reference of a loan's tradeline.
pub(super) fn loan_account(loan: LoanId) -> Digest {
    Digest::of("credence/loan-account", &[&loan.0.to_be_bytes()])
}

/// Furnishes the loan's tradeline at `status` (for a subject borrower), superseding the
/// previous one. The record carries cleartext metadata only; its commitment binds it.
pub(super) fn contract_record<S: StateRead + ?Sized>(
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
pub(super) fn history<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    loan: &mut Loan,
    event: LoanEvent,
) -> RuleResult {
    exec.store(StateKey::loan_history(loan.id, loan.history), &event);
    loan.history = loan.history.checked_add(1).ok_or(Rejection::IdsExhausted)?;
    Ok(())
}
