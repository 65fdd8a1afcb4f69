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
    exec::{Exec, RuleResult},
    state::{StateError, StateRead},
};
use credence_types::Payload;

/// Applies `payload` for `actor`. The authorisation table has already matched the actor's
/// kind to the payload's ([`crate::auth::requirement`]); every kind is dispatched by name,
/// and an actor of the wrong kind here is a bug in that table, which stops the block rather
/// than pass for any rule's rejection.
pub(crate) fn dispatch<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    actor: Actor,
    nonce: u64,
    payload: &Payload,
) -> RuleResult {
    match payload {
        Payload::RegisterSubject(body) => subjects::register(exec, actor.new_key()?, nonce, body),
        Payload::AttestKyc(body) => subjects::attest_kyc(exec, actor.institution()?, body),
        Payload::RotateReportKey(rotation) => {
            subjects::rotate_report_key(exec, actor.subject()?, rotation)
        }
        Payload::FurnishRecord(furnishing) => {
            records::furnish(exec, actor.institution()?, furnishing).map(|_| ())
        }
        Payload::GrantConsent(body) => consents::grant(exec, actor.subject()?, body),
        Payload::RevokeConsent(body) => consents::revoke(exec, actor.subject()?, body),
        Payload::RecordInquiry(body) => consents::inquire(exec, actor.institution()?, body),
        Payload::RecordAuditAccess(body) => consents::audit(exec, actor.institution()?, body),
        Payload::OpenDispute(body) => disputes::open(exec, &actor.subject()?, body),
        Payload::AnswerDispute(body) => disputes::answer(exec, actor.institution()?, body),
        Payload::ProposeGovernance(body) => governance::propose(exec, actor.institution()?, body),
        Payload::ApproveGovernance(proposal) => {
            governance::approve(exec, actor.institution()?, *proposal)
        }
        Payload::DefineAssetClass(body) => assets::define_class(exec, actor.institution()?, body),
        Payload::RegisterAsset(body) => assets::register(exec, actor.institution()?, body),
        Payload::RevalueAsset(body) => assets::revalue(exec, actor.institution()?, body),
        Payload::TransferAsset(body) => assets::transfer(exec, &actor, body),
        Payload::AppointAppraiser(body) => assets::appoint_appraiser(exec, &actor, body),
        Payload::IssueCurrency(body) => funds::issue(exec, actor.institution()?, body),
        Payload::MintFunds(body) => funds::mint(exec, actor.institution()?, body),
        Payload::RedeemFunds(body) => funds::redeem(exec, &actor, body),
        Payload::TransferFunds(body) => funds::transfer(exec, &actor, body),
        Payload::OfferLoan(terms) => loans::offer(exec, actor.institution()?, terms),
        Payload::AcceptLoan(loan) => loans::accept(exec, &actor, *loan),
        Payload::WithdrawOffer(loan) => loans::withdraw(exec, actor.institution()?, *loan),
        Payload::RepayLoan(payment) => loans::repay(exec, &actor, payment),
        Payload::ConfirmRepayment(payment) => loans::confirm(exec, actor.institution()?, payment),
        Payload::CompleteLiquidation(body) => {
            loans::complete_liquidation(exec, actor.institution()?, body)
        }
    }
}

/// Reads an object that an index or another object says exists; its absence is corruption.
pub(crate) fn expect_object<S: StateRead + ?Sized, T: commonware_codec::Read<Cfg = ()>>(
    exec: &Exec<'_, S>,
    key: credence_types::state::StateKey,
) -> Result<T, StateError> {
    exec.load(&key)?.ok_or(StateError::Corrupt { key })
}
