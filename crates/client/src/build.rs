//! Payloads, built the way the ledger expects them, with sealing done client-side.

use credence_crypto::{
    EncryptionSecret, SealError,
    sealing::{payload_context, report_key_context, seal_payload, wrap_key},
};
use credence_types::{
    ConsentId, Digest, EncryptionKey, InstitutionId, Payload, RecordId, SubjectId, TimestampMs,
    codec::{BoundedBytes, BoundedVec, encode},
    metro2::Tradeline,
    sealed::WrappedReportKey,
    transaction::{
        ConsentRewrap, Furnishing, GrantConsent, InquiryKind, KeyRotation, Purpose,
        RecordPlaintext, RegisterSubject, RevokeConsent,
    },
};

/// Why a payload could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Sealing failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// A list is longer than the format allows.
    #[error("{0} is longer than the format allows")]
    TooMany(&'static str),
}

/// A subject's report key of `epoch`, derived from its master secret: RFC 9180
/// `DeriveKeyPair` over a domain-separated hash of the master secret and the epoch. Every
/// epoch, 0 included, is derived the same way, and the master secret itself is never wrapped
/// for anyone: a reader handed any set of epoch keys learns nothing of the master, so it can
/// derive no other epoch's key — in particular none after a revocation or an expiry's
/// rotation. The subject keeps one key file (the master) and opens, and re-wraps, every epoch.
pub fn report_key(master: &EncryptionSecret, epoch: u32) -> EncryptionSecret {
    let secret = master.to_bytes();
    let ikm = Digest::of(
        "credence/report-key",
        &[secret.as_ref(), &epoch.to_be_bytes()],
    );
    EncryptionSecret::derive(&ikm.0)
}

/// Every report key of a subject up to and including `epoch`, oldest first.
pub fn report_keys(master: &EncryptionSecret, epoch: u32) -> Vec<EncryptionSecret> {
    (0..=epoch).map(|e| report_key(master, e)).collect()
}

/// A revocation of `consent`: the subject's report key moves to the next epoch (so records
/// furnished from now on stay closed to the revoked lender), re-wrapped for the audit key and
/// for every consent that stays active (`keep`: each with its lender's encryption key).
pub fn revoke_consent(
    subject: &SubjectId,
    master: &EncryptionSecret,
    current_epoch: u32,
    consent: ConsentId,
    keep: &[(ConsentId, EncryptionKey)],
    audit_key: &EncryptionKey,
) -> Result<Payload, BuildError> {
    Ok(Payload::RevokeConsent(RevokeConsent {
        consent,
        rotation: rotation(subject, master, current_epoch, keep, audit_key)?,
    }))
}

/// A rotation of the subject's report key to the next epoch, re-wrapped for the audit key and
/// for every consent in `keep` (each with its lender's encryption key).
pub fn rotation(
    subject: &SubjectId,
    master: &EncryptionSecret,
    current_epoch: u32,
    keep: &[(ConsentId, EncryptionKey)],
    audit_key: &EncryptionKey,
) -> Result<KeyRotation, BuildError> {
    let epoch = current_epoch
        .checked_add(1)
        .ok_or(BuildError::TooMany("report key epochs"))?;
    let next = report_key(master, epoch);
    let context = report_key_context(subject, epoch);
    let mut rewraps = Vec::with_capacity(keep.len());
    for (kept, lender_key) in keep {
        rewraps.push(ConsentRewrap {
            consent: *kept,
            key: wrap_key(lender_key, &next, &context)?,
        });
    }
    Ok(KeyRotation {
        report_key: next.public_key(),
        audit_key_wrap: wrap_key(audit_key, &next, &context)?,
        rewraps: BoundedVec::new(rewraps).ok_or(BuildError::TooMany("consents"))?,
    })
}

/// A subject's registration: its report key of epoch 0 (derived from its master secret),
/// wrapped for the audit key.
pub fn register_subject(
    subject: &SubjectId,
    master: &EncryptionSecret,
    audit_key: &EncryptionKey,
) -> Result<Payload, BuildError> {
    let first = report_key(master, 0);
    Ok(Payload::RegisterSubject(RegisterSubject {
        report_key: first.public_key(),
        audit_key_wrap: wrap_key(audit_key, &first, &report_key_context(subject, 0))?,
    }))
}

/// The account reference a furnisher publishes for an account number: a hash salted with a
/// secret only the furnisher holds, so the same account links its monthly updates while
/// revealing nothing.
pub fn account_reference(furnisher_salt: &[u8; 32], account_number: &str) -> Digest {
    Digest::of(
        "credence/account",
        &[furnisher_salt.as_slice(), account_number.as_bytes()],
    )
}

/// A record about `subject`: the Metro 2 fields sealed to its current report key.
pub fn furnish(
    subject: &SubjectId,
    report_key: &EncryptionKey,
    epoch: u32,
    account: Digest,
    tradeline: Tradeline,
    supersedes: Option<RecordId>,
) -> Result<Payload, BuildError> {
    furnish_metro2(
        subject, report_key, epoch, account, tradeline, None, supersedes,
    )
}

/// [`furnish`], with the whole Metro 2 data record the tradeline was read from (written by
/// `credence_metro2::write_record`) sealed beside it.
pub fn furnish_metro2(
    subject: &SubjectId,
    report_key: &EncryptionKey,
    epoch: u32,
    account: Digest,
    tradeline: Tradeline,
    metro2: Option<Vec<u8>>,
    supersedes: Option<RecordId>,
) -> Result<Payload, BuildError> {
    let metro2 = match metro2 {
        Some(bytes) => {
            Some(BoundedBytes::new(bytes).ok_or(BuildError::TooMany("metro2 record bytes"))?)
        }
        None => None,
    };
    let salt = *credence_crypto::random_bytes();
    let status = tradeline.account_status;
    let first_delinquency = tradeline.first_delinquency;
    let as_of = tradeline.date_of_account_information;
    let plaintext = RecordPlaintext {
        tradeline,
        salt: Digest(salt),
        metro2,
    };
    let payload = seal_payload(
        report_key,
        &encode(&plaintext),
        &payload_context(subject, epoch),
    )?;
    Ok(Payload::FurnishRecord(Furnishing {
        subject: *subject,
        account,
        status,
        first_delinquency,
        as_of,
        report_key_epoch: epoch,
        payload,
        commitment: plaintext.commitment(),
        supersedes,
    }))
}

/// A consent for `lender`, wrapping every epoch of the subject's report key (oldest first)
/// to the lender's encryption key, so its whole file opens.
pub fn grant_consent(
    subject: &SubjectId,
    report_keys: &[EncryptionSecret],
    lender: InstitutionId,
    lender_key: &EncryptionKey,
    purpose: Purpose,
    kind: InquiryKind,
    expires_at: TimestampMs,
) -> Result<Payload, BuildError> {
    let mut wrapped = Vec::with_capacity(report_keys.len());
    for (epoch, key) in report_keys.iter().enumerate() {
        let epoch = u32::try_from(epoch).map_err(|_| BuildError::TooMany("report keys"))?;
        wrapped.push(WrappedReportKey {
            epoch,
            key: wrap_key(lender_key, key, &report_key_context(subject, epoch))?,
        });
    }
    Ok(Payload::GrantConsent(GrantConsent {
        lender,
        purpose,
        kind,
        expires_at,
        report_keys: BoundedVec::new(wrapped).ok_or(BuildError::TooMany("report keys"))?,
    }))
}

#[cfg(test)]
mod tests {
    use super::{report_key, revoke_consent};
    use credence_crypto::{EncryptionSecret, sealing::report_key_context};
    use credence_types::{ConsentId, Payload, SubjectId};

    /// The same values are pinned by the borrower portal's tests
    /// (`crates/console/pages/crypto.test.mjs`): the browser and this client must agree on a
    /// signing key's pseudonym and on every epoch of a report key.
    #[test]
    fn browser_and_client_derive_the_same_keys() {
        let master = EncryptionSecret::from_bytes(&[7; 32]).unwrap();
        assert_eq!(
            master.public_key().to_string(),
            "13be4feaeaf204c7fd3358fc9c00721881d174278128227ec674f37f7fe97b6d"
        );
        assert_eq!(
            report_key(&master, 0).public_key().to_string(),
            "4e30ee66fa1cb87da4aac87b5e5a2f75ca64e19989db60569cab0349681def3f"
        );
        assert_eq!(
            report_key(&master, 1).public_key().to_string(),
            "56fa784b9bdb2648a6435a29525170f618ab55ad36b347d09e2cd27206f1c951"
        );
        let signing = credence_crypto::SigningKey::from_seed(&[9; 32]).public_key();
        assert_eq!(
            signing.to_string(),
            "fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618"
        );
        assert_eq!(
            SubjectId::from_key(&signing).to_string(),
            "eb1830ff0ad1e2d8647f43a1f5d0cda72affd37be65794bf4f61360934d39b25"
        );
    }

    #[test]
    fn every_epoch_derives_from_the_master_and_rewraps_open_for_kept_lenders() {
        let master = EncryptionSecret::derive(b"alice");
        let zero = report_key(&master, 0);
        let one = report_key(&master, 1);
        let two = report_key(&master, 2);
        assert_ne!(
            zero.public_key(),
            master.public_key(),
            "the master is no epoch's key"
        );
        assert_ne!(one.public_key(), zero.public_key());
        assert_ne!(one.public_key(), two.public_key());
        assert_eq!(
            report_key(&master, 1).public_key(),
            one.public_key(),
            "deterministic"
        );
        // An epoch key is not a master: deriving from it gives no epoch of the subject's.
        for epoch in 0..4 {
            for held in [&zero, &one] {
                let derived = report_key(held, epoch).public_key();
                assert!(
                    ![&zero, &one, &two]
                        .iter()
                        .any(|k| k.public_key() == derived)
                );
            }
        }

        let subject = SubjectId([3; 32]);
        let lender = EncryptionSecret::derive(b"bank-a");
        let audit = EncryptionSecret::derive(b"audit");
        let payload = revoke_consent(
            &subject,
            &master,
            0,
            ConsentId(1),
            &[(ConsentId(0), lender.public_key())],
            &audit.public_key(),
        )
        .unwrap();
        let Payload::RevokeConsent(revoke) = payload else {
            panic!("not a revocation");
        };
        assert_eq!(revoke.consent, ConsentId(1));
        assert_eq!(revoke.rotation.report_key, one.public_key());
        let context = report_key_context(&subject, 1);
        let rewrap = &revoke.rotation.rewraps.as_slice()[0];
        let opened = lender.unwrap_key(&rewrap.key, &context).unwrap();
        assert_eq!(opened.public_key(), one.public_key());
        let escrowed = audit
            .unwrap_key(&revoke.rotation.audit_key_wrap, &context)
            .unwrap();
        assert_eq!(escrowed.public_key(), one.public_key());
    }
}
