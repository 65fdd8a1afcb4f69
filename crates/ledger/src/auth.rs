//! Who may submit which kind of transaction: the authorisation table, in one place.
//!
//! Every transaction's signer resolves to a [`Principal`]; [`requirement`] says which
//! principal each kind needs, and [`authorize`] checks it. A suspended institution can do
//! nothing at all.

use crate::{
    exec::{Exec, Fail, RuleResult},
    state::{StateError, StateRead},
};
use credence_types::{
    PublicKey, Rejection, Role,
    state::{Institution, Principal, StateKey, Subject},
    transaction::PayloadKind,
};

/// What a kind of transaction needs of its signer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// A key that belongs to no one yet.
    UnregisteredKey,
    /// A registered subject.
    Subject,
    /// An active institution holding this role.
    InstitutionWith(Role),
    /// An active institution holding either role.
    InstitutionWithEither(Role, Role),
    /// Any active institution.
    AnyInstitution,
    /// A registered subject or any active institution (owners of assets and funds).
    SubjectOrInstitution,
}

/// The authorisation table.
pub fn requirement(kind: PayloadKind) -> Requirement {
    use PayloadKind as K;
    match kind {
        K::RegisterSubject => Requirement::UnregisteredKey,
        K::RotateReportKey | K::GrantConsent | K::RevokeConsent | K::OpenDispute => {
            Requirement::Subject
        }
        K::AttestKyc => Requirement::InstitutionWithEither(Role::Furnisher, Role::Lender),
        K::FurnishRecord | K::AnswerDispute => Requirement::InstitutionWith(Role::Furnisher),
        K::RecordInquiry => Requirement::InstitutionWith(Role::Lender),
        K::RecordAuditAccess => Requirement::InstitutionWith(Role::Regulator),
        K::ProposeGovernance | K::ApproveGovernance => Requirement::AnyInstitution,
        K::DefineAssetClass | K::RegisterAsset | K::RevalueAsset | K::CompleteLiquidation => {
            Requirement::InstitutionWith(Role::Registrar)
        }
        K::TransferAsset
        | K::AppointAppraiser
        | K::TransferFunds
        | K::AcceptLoan
        | K::RepayLoan => Requirement::SubjectOrInstitution,
        K::IssueCurrency | K::OfferLoan | K::WithdrawOffer | K::ConfirmRepayment => {
            Requirement::InstitutionWith(Role::Lender)
        }
        K::MintFunds => Requirement::AnyInstitution,
        K::RedeemFunds => Requirement::SubjectOrInstitution,
    }
}

/// The signer, resolved and authorised.
#[derive(Clone, Debug)]
pub(crate) enum Actor {
    /// A key registering itself.
    NewKey(PublicKey),
    /// A subject.
    Subject(Subject),
    /// An institution.
    Institution(Institution),
}

impl Actor {
    /// What the authorisation table said about this kind of actor was wrong: a bug.
    const MISMATCH: StateError =
        StateError::Invariant("the authorisation table admits only the actor a rule takes");

    /// The key registering itself.
    pub(crate) fn new_key(self) -> Result<PublicKey, StateError> {
        match self {
            Self::NewKey(key) => Ok(key),
            Self::Subject(_) | Self::Institution(_) => Err(Self::MISMATCH),
        }
    }

    /// The subject.
    pub(crate) fn subject(self) -> Result<Subject, StateError> {
        match self {
            Self::Subject(subject) => Ok(subject),
            Self::NewKey(_) | Self::Institution(_) => Err(Self::MISMATCH),
        }
    }

    /// The institution.
    pub(crate) fn institution(&self) -> Result<&Institution, StateError> {
        match self {
            Self::Institution(institution) => Ok(institution),
            Self::NewKey(_) | Self::Subject(_) => Err(Self::MISMATCH),
        }
    }
}

/// Checks that `principal` (or an unregistered `key`) may submit `kind`.
pub(crate) fn authorize<S: StateRead + ?Sized>(
    exec: &Exec<'_, S>,
    key: &PublicKey,
    principal: Option<Principal>,
    kind: PayloadKind,
) -> RuleResult<Actor> {
    let need = requirement(kind);
    match (principal, need) {
        (None, Requirement::UnregisteredKey) => Ok(Actor::NewKey(*key)),
        (None | Some(Principal::Retired), _) => Err(Fail::Reject(Rejection::SignerUnknown)),
        (Some(_), Requirement::UnregisteredKey) => {
            Err(Fail::Reject(Rejection::SignerAlreadyRegistered))
        }
        (
            Some(Principal::Subject(id)),
            Requirement::Subject | Requirement::SubjectOrInstitution,
        ) => {
            let key = StateKey::subject(&id);
            let subject = exec
                .load::<Subject>(&key)?
                .ok_or(StateError::Corrupt { key })?;
            Ok(Actor::Subject(subject))
        }
        (Some(Principal::Subject(_)), _) => Err(Fail::Reject(Rejection::SignerNotInstitution)),
        (Some(Principal::Institution(id)), need) => {
            let key = StateKey::institution(id);
            let institution = exec
                .load::<Institution>(&key)?
                .ok_or(StateError::Corrupt { key })?;
            if institution.suspended {
                return Err(Fail::Reject(Rejection::SignerSuspended));
            }
            let allowed = match need {
                Requirement::Subject => return Err(Fail::Reject(Rejection::SignerNotSubject)),
                Requirement::AnyInstitution | Requirement::SubjectOrInstitution => true,
                Requirement::InstitutionWith(role) => institution.roles.has(role),
                Requirement::InstitutionWithEither(a, b) => {
                    institution.roles.has(a) || institution.roles.has(b)
                }
                Requirement::UnregisteredKey => {
                    return Err(Fail::Reject(Rejection::SignerAlreadyRegistered));
                }
            };
            if allowed {
                Ok(Actor::Institution(institution))
            } else {
                Err(Fail::Reject(Rejection::RoleMissing))
            }
        }
    }
}
