//! Payloads, built the way the ledger expects them, with sealing done client-side.

use credence_crypto::{
    EncryptionSecret, SealError,
    sealing::{payload_context, report_key_context, seal_payload, wrap_key},
};
use credence_types::{
    Digest, EncryptionKey, InstitutionId, Payload, RecordId, SubjectId, TimestampMs,
    codec::{BoundedVec, encode},
    metro2::Tradeline,
    sealed::WrappedReportKey,
    transaction::{
        Furnishing, GrantConsent, InquiryKind, Purpose, RecordPlaintext, RegisterSubject,
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

/// A subject's registration: its first report key, wrapped for the audit key.
pub fn register_subject(
    subject: &SubjectId,
    report_key: &EncryptionSecret,
    audit_key: &EncryptionKey,
) -> Result<Payload, BuildError> {
    Ok(Payload::RegisterSubject(RegisterSubject {
        report_key: report_key.public_key(),
        audit_key_wrap: wrap_key(audit_key, report_key, &report_key_context(subject, 0))?,
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
    let mut salt = [0u8; 32];
    getrandom_salt(&mut salt);
    let status = tradeline.account_status;
    let first_delinquency = tradeline.first_delinquency;
    let as_of = tradeline.date_of_account_information;
    let plaintext = RecordPlaintext {
        tradeline,
        salt: Digest(salt),
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

fn getrandom_salt(salt: &mut [u8; 32]) {
    // A fresh encryption secret is 32 bytes of operating-system randomness; its bytes serve
    // as the salt without adding a second randomness dependency here.
    salt.copy_from_slice(EncryptionSecret::generate().to_bytes().as_ref());
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
