//! Consents, inquiries and the regulator's audited reads.

use super::{expect_object, subjects};
use crate::{
    checks,
    exec::{Exec, RuleResult, ensure},
    state::StateRead,
};
use credence_types::{
    ConsentId, InquiryId, Rejection, Role,
    codec::BoundedVec,
    limits::ACTIVE_CONSENTS_PER_SUBJECT_MAX,
    receipt::Event,
    state::{Consent, ConsentInquiry, Inquiry, InquiryBasis, Institution, StateKey, Subject},
    transaction::{GrantConsent, RecordAuditAccess, RecordInquiry, RevokeConsent},
};

/// A subject grants a lender a consent.
pub(crate) fn grant<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    mut subject: Subject,
    g: &GrantConsent,
) -> RuleResult {
    let mut lender: Institution =
        exec.require(&StateKey::institution(g.lender), Rejection::LenderUnknown)?;
    ensure(lender.may_act_as(Role::Lender), Rejection::LenderIneligible)?;
    let longest = exec.meta()?.parameters.consent_lifetime_days_max;
    let now = exec.now();
    checks::consent(g, now, longest, subject.report_key_epoch)?;
    ensure(
        subject.active_consents.len() < ACTIVE_CONSENTS_PER_SUBJECT_MAX,
        Rejection::ActiveConsentsExhausted,
    )?;

    let id = exec.next_id(|c| &mut c.consent, ConsentId::next)?;
    exec.store(
        StateKey::consent(id),
        &Consent {
            id,
            subject: subject.id,
            lender: g.lender,
            purpose: g.purpose,
            kind: g.kind,
            granted_at: now,
            granted_height: exec.height(),
            expires_at: g.expires_at,
            revoked_at: None,
            ended_height: None,
            report_keys: g.report_keys.clone(),
        },
    );
    exec.store(
        StateKey::subject_consent(subject.number, subject.listings.consents),
        &id,
    );
    subject.listings.consents = subject
        .listings
        .consents
        .checked_add(1)
        .ok_or(Rejection::IdsExhausted)?;
    exec.store(
        StateKey::lender_consent(lender.id, lender.consents_received),
        &id,
    );
    lender.consents_received = lender
        .consents_received
        .checked_add(1)
        .ok_or(Rejection::IdsExhausted)?;
    exec.store(StateKey::institution(lender.id), &lender);
    exec.mark(StateKey::consent_expiry(g.expires_at, id));
    // Ids only grow, so appending keeps the list ascending.
    subject
        .active_consents
        .push(id)
        .map_err(|_| Rejection::ActiveConsentsExhausted)?;
    exec.store(StateKey::subject(&subject.id), &subject);
    exec.emit(Event::ConsentGranted {
        consent: id,
        subject: subject.id,
        lender: g.lender,
        purpose: g.purpose,
        inquiry_kind: g.kind,
        expires_at: g.expires_at,
    });
    Ok(())
}

/// Ends a consent (revoked or expired): it leaves the active set and its expiry queue.
pub(crate) fn end<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    consent: &mut Consent,
    subject: &mut Subject,
) {
    consent.ended_height = Some(exec.height());
    exec.remove(StateKey::consent_expiry(consent.expires_at, consent.id));
    let remaining: Vec<ConsentId> = subject
        .active_consents
        .iter()
        .copied()
        .filter(|id| *id != consent.id)
        .collect();
    subject.active_consents = BoundedVec::new(remaining).expect("a shorter list still fits");
    exec.store(StateKey::consent(consent.id), &*consent);
    exec.store(StateKey::subject(&subject.id), &*subject);
}

/// A subject revokes a consent and rotates its report key, so records furnished from now on
/// are closed to that lender.
pub(crate) fn revoke<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    mut subject: Subject,
    r: &RevokeConsent,
) -> RuleResult {
    let mut consent: Consent =
        exec.require(&StateKey::consent(r.consent), Rejection::ConsentUnknown)?;
    ensure(consent.subject == subject.id, Rejection::ConsentNotOwn)?;
    let now = exec.now();
    ensure(consent.is_active_at(now), Rejection::ConsentNotActive)?;
    consent.revoked_at = Some(now);
    end(exec, &mut consent, &mut subject);
    exec.emit(Event::ConsentRevoked {
        consent: consent.id,
        subject: subject.id,
        lender: consent.lender,
    });
    subjects::rotate(exec, subject, &r.rotation)
}

/// Records a read of `subject`'s file. A hard inquiry goes on the listing every consenting
/// lender reads; a soft or supervisory one on the private listing only the subject and the
/// regulator read, so no other lender, report or score ever sees it.
fn record_inquiry<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    subject: credence_types::SubjectId,
    institution: credence_types::InstitutionId,
    basis: InquiryBasis,
) -> RuleResult<InquiryId> {
    let mut subject: Subject = expect_object(exec, StateKey::subject(&subject))?;
    let id = exec.next_id(|c| &mut c.inquiry, InquiryId::next)?;
    let at = exec.now();
    let public = basis.is_hard();
    exec.store(
        StateKey::inquiry(id),
        &Inquiry {
            id,
            subject: subject.id,
            institution,
            basis,
            at,
        },
    );
    let listings = &mut subject.listings;
    let (key, count) = if public {
        (
            StateKey::subject_inquiry(subject.number, listings.inquiries),
            &mut listings.inquiries,
        )
    } else {
        (
            StateKey::subject_private_inquiry(subject.number, listings.private_inquiries),
            &mut listings.private_inquiries,
        )
    };
    exec.store(key, &id);
    *count = count.checked_add(1).ok_or(Rejection::IdsExhausted)?;
    exec.store(StateKey::subject(&subject.id), &subject);
    Ok(id)
}

/// A lender logs a read under a consent.
pub(crate) fn inquire<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    lender: &Institution,
    i: &RecordInquiry,
) -> RuleResult {
    let consent: Consent =
        exec.require(&StateKey::consent(i.consent), Rejection::ConsentUnknown)?;
    ensure(consent.lender == lender.id, Rejection::ConsentNotForSigner)?;
    ensure(
        consent.is_active_at(exec.now()),
        Rejection::ConsentNotActive,
    )?;
    let basis = InquiryBasis::Consent(ConsentInquiry {
        consent: consent.id,
        purpose: consent.purpose,
        kind: consent.kind,
    });
    let inquiry = record_inquiry(exec, consent.subject, lender.id, basis)?;
    exec.emit(Event::InquiryRecorded {
        inquiry,
        subject: consent.subject,
        lender: lender.id,
        consent: consent.id,
        purpose: consent.purpose,
        inquiry_kind: consent.kind,
    });
    Ok(())
}

/// The regulator logs a read through the audit key.
pub(crate) fn audit<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    regulator: &Institution,
    a: &RecordAuditAccess,
) -> RuleResult {
    ensure(
        exec.exists(&StateKey::subject(&a.subject))?,
        Rejection::SubjectUnknown,
    )?;
    record_inquiry(
        exec,
        a.subject,
        regulator.id,
        InquiryBasis::Supervisory(a.case),
    )?;
    exec.emit(Event::AuditAccessRecorded {
        subject: a.subject,
        regulator: regulator.id,
    });
    Ok(())
}

/// Expires a consent whose time has come (begin-block).
pub(crate) fn expire<S: StateRead + ?Sized>(exec: &mut Exec<'_, S>, id: ConsentId) -> RuleResult {
    let mut consent: Consent = expect_object(exec, StateKey::consent(id))?;
    if consent.ended() {
        return Ok(());
    }
    let mut subject: Subject = expect_object(exec, StateKey::subject(&consent.subject))?;
    end(exec, &mut consent, &mut subject);
    exec.emit(Event::ConsentExpired {
        consent: id,
        subject: subject.id,
        lender: consent.lender,
    });
    Ok(())
}
