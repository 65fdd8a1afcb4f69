//! Subjects: registration, KYC attestations, report-key rotation.

use super::expect_object;
use crate::{
    exec::{Exec, RuleResult, ensure},
    state::StateRead,
};
use credence_types::{
    PublicKey, Rejection, SubjectId,
    limits::REPORT_KEY_EPOCHS_MAX,
    receipt::Event,
    sealed::WrappedReportKey,
    state::{Consent, KycAttestation, Principal, ReportKeyEpoch, Signer, StateKey, Subject},
    transaction::{AttestKyc, KeyRotation, RegisterSubject},
};

/// A key registers itself as a subject.
pub(crate) fn register<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    key: PublicKey,
    nonce: u64,
    body: &RegisterSubject,
) -> RuleResult {
    let id = SubjectId::from_key(&key);
    ensure(
        !exec.exists(&StateKey::subject(&id))?,
        Rejection::SignerAlreadyRegistered,
    )?;
    let number = exec.next_id(|c| &mut c.subject, |n: u32| n.checked_add(1))?;
    let now = exec.now();
    exec.store(
        StateKey::subject(&id),
        &Subject {
            id,
            number,
            signing_key: key,
            report_key: body.report_key,
            report_key_epoch: 0,
            active_consents: Default::default(),
            listings: Default::default(),
            registered_at: now,
        },
    );
    exec.store(
        StateKey::report_key_epoch(number, 0),
        &ReportKeyEpoch {
            report_key: body.report_key,
            audit_key_wrap: body.audit_key_wrap,
            since: now,
        },
    );
    exec.store(
        StateKey::signer(&key),
        &Signer {
            principal: Principal::Subject(id),
            nonce,
        },
    );
    exec.emit(Event::SubjectRegistered { subject: id });
    Ok(())
}

/// An institution attests a subject's identity.
pub(crate) fn attest_kyc<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    institution: &credence_types::state::Institution,
    body: &AttestKyc,
) -> RuleResult {
    let subject: Subject =
        exec.require(&StateKey::subject(&body.subject), Rejection::SubjectUnknown)?;
    let key = StateKey::kyc(subject.number, institution.id);
    ensure(!exec.exists(&key)?, Rejection::KycAlreadyAttested)?;
    let at = exec.now();
    exec.store(
        key,
        &KycAttestation {
            commitment: body.commitment,
            at,
        },
    );
    exec.emit(Event::KycAttested {
        subject: body.subject,
        institution: institution.id,
    });
    Ok(())
}

/// A subject rotates its report key by itself.
pub(crate) fn rotate_report_key<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    subject: Subject,
    rotation: &KeyRotation,
) -> RuleResult {
    rotate(exec, subject, rotation)
}

/// Moves `subject` to a new report-key epoch and re-seals the new key for every consent that
/// stays active. The caller has already ended any consent being revoked, so it is not among
/// the active ones.
pub(crate) fn rotate<S: StateRead + ?Sized>(
    exec: &mut Exec<'_, S>,
    mut subject: Subject,
    rotation: &KeyRotation,
) -> RuleResult {
    let epoch = subject
        .report_key_epoch
        .checked_add(1)
        .filter(|epoch| usize::try_from(*epoch).is_ok_and(|e| e < REPORT_KEY_EPOCHS_MAX))
        .ok_or(Rejection::ReportKeyEpochsExhausted)?;
    ensure(
        rotation.report_key != subject.report_key,
        Rejection::ReportKeyUnchanged,
    )?;

    // The rewraps must name exactly the consents still active, in ascending order.
    let now = exec.now();
    let mut active = Vec::with_capacity(subject.active_consents.len());
    for id in subject.active_consents.iter() {
        let consent: Consent = expect_object(exec, StateKey::consent(*id))?;
        if consent.is_active_at(now) {
            active.push(consent);
        }
    }
    ensure(
        active.len() == rotation.rewraps.len()
            && active
                .iter()
                .zip(rotation.rewraps.iter())
                .all(|(consent, rewrap)| consent.id == rewrap.consent),
        Rejection::RewrapsMismatch,
    )?;
    for (mut consent, rewrap) in active.into_iter().zip(rotation.rewraps.iter()) {
        consent
            .report_keys
            .push(WrappedReportKey {
                epoch,
                key: rewrap.key,
            })
            .map_err(|_| Rejection::ReportKeyEpochsExhausted)?;
        exec.store(StateKey::consent(consent.id), &consent);
    }

    subject.report_key = rotation.report_key;
    subject.report_key_epoch = epoch;
    exec.store(StateKey::subject(&subject.id), &subject);
    exec.store(
        StateKey::report_key_epoch(subject.number, epoch),
        &ReportKeyEpoch {
            report_key: rotation.report_key,
            audit_key_wrap: rotation.audit_key_wrap,
            since: now,
        },
    );
    exec.emit(Event::ReportKeyRotated {
        subject: subject.id,
        epoch,
    });
    Ok(())
}
