//! The rules, one module per part of the domain. Each rule takes the authorised actor and the
//! payload, checks everything it needs before writing anything that matters, and either
//! applies whole or returns the rejection (the executor then drops its writes).

pub(crate) mod assets;
pub(crate) mod consents;
pub(crate) mod deadlines;
pub(crate) mod disputes;
pub(crate) mod funds;
pub(crate) mod governance;
pub(crate) mod loans;
pub(crate) mod records;
pub(crate) mod subjects;

use crate::{
    auth::Actor,
    exec::{Exec, Fail, RuleResult},
    state::{StateError, StateRead},
};
use credence_types::{Payload, Rejection};

/// Applies `payload` for `actor`. The authorisation table has already matched the actor's
/// kind to the payload's, so a mismatch here is a bug in that table, reported as a
/// rejection rather than a panic.
pub(crate) fn dispatch<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    actor: Actor,
    nonce: u64,
    payload: &Payload,
) -> RuleResult {
    match (actor, payload) {
        (Actor::NewKey(key), Payload::RegisterSubject(body)) => {
            subjects::register(exec, key, nonce, body)
        }
        (Actor::Institution(institution), Payload::AttestKyc(body)) => {
            subjects::attest_kyc(exec, &institution, body)
        }
        (Actor::Subject(subject), Payload::RotateReportKey(rotation)) => {
            subjects::rotate_report_key(exec, subject, rotation)
        }
        (Actor::Institution(furnisher), Payload::FurnishRecord(furnishing)) => {
            records::furnish(exec, &furnisher, furnishing).map(|_| ())
        }
        (Actor::Subject(subject), Payload::GrantConsent(body)) => {
            consents::grant(exec, subject, body)
        }
        (Actor::Subject(subject), Payload::RevokeConsent(body)) => {
            consents::revoke(exec, subject, body)
        }
        (Actor::Institution(lender), Payload::RecordInquiry(body)) => {
            consents::inquire(exec, &lender, body)
        }
        (Actor::Institution(regulator), Payload::RecordAuditAccess(body)) => {
            consents::audit(exec, &regulator, body)
        }
        (Actor::Subject(subject), Payload::OpenDispute(body)) => {
            disputes::open(exec, &subject, body)
        }
        (Actor::Institution(furnisher), Payload::AnswerDispute(body)) => {
            disputes::answer(exec, &furnisher, body)
        }
        (Actor::Institution(proposer), Payload::ProposeGovernance(body)) => {
            governance::propose(exec, &proposer, body)
        }
        (Actor::Institution(approver), Payload::ApproveGovernance(proposal)) => {
            governance::approve(exec, &approver, *proposal)
        }
        (Actor::Institution(registrar), Payload::DefineAssetClass(body)) => {
            assets::define_class(exec, &registrar, body)
        }
        (Actor::Institution(registrar), Payload::RegisterAsset(body)) => {
            assets::register(exec, &registrar, body)
        }
        (Actor::Institution(registrar), Payload::RevalueAsset(body)) => {
            assets::revalue(exec, &registrar, body)
        }
        (actor, Payload::TransferAsset(body)) => assets::transfer(exec, &actor, body),
        (Actor::Institution(issuer), Payload::IssueCurrency(body)) => {
            funds::issue(exec, &issuer, body)
        }
        (Actor::Institution(issuer), Payload::MintFunds(body)) => funds::mint(exec, &issuer, body),
        (Actor::Institution(issuer), Payload::BurnFunds(body)) => funds::burn(exec, &issuer, body),
        (actor, Payload::TransferFunds(body)) => funds::transfer(exec, &actor, body),
        (Actor::Institution(lender), Payload::OfferLoan(terms)) => {
            loans::offer(exec, &lender, terms)
        }
        (actor, Payload::AcceptLoan(loan)) => loans::accept(exec, &actor, *loan),
        (Actor::Institution(lender), Payload::WithdrawOffer(loan)) => {
            loans::withdraw(exec, &lender, *loan)
        }
        (actor, Payload::RepayLoan(payment)) => loans::repay(exec, &actor, payment),
        (Actor::Institution(lender), Payload::ConfirmRepayment(payment)) => {
            loans::confirm(exec, &lender, payment)
        }
        (Actor::Institution(registrar), Payload::CompleteLiquidation(body)) => {
            loans::complete_liquidation(exec, &registrar, body)
        }
        _ => Err(Fail::Reject(Rejection::SignerUnknown)),
    }
}

/// Reads an object that an index or another object says exists; its absence is corruption.
pub(crate) fn expect_object<S: StateRead + ?Sized, T: commonware_codec::Read<Cfg = ()>>(
    exec: &Exec<'_, S>,
    key: credence_types::state::StateKey,
) -> Result<T, StateError> {
    exec.load(&key)?.ok_or(StateError::Corrupt { key })
}
