//! Subjects (borrowers) that hold their report keys, and the payloads that seal and wrap
//! with real HPKE to them: registration, consents, key rotations, revocations, furnished
//! records.

use super::{Chain, Signer};
use credence_crypto::{
    EncryptionSecret,
    sealing::{payload_context, report_key_context, seal_payload, wrap_key},
};
use credence_types::{
    ConsentId, Digest, Payload, RecordId, SubjectId, TimestampMs,
    codec::{BoundedVec, Name, Text, encode},
    metro2::{AccountStatus, Consumer, PaymentMonth, PortfolioType, Tradeline},
    money::Amount,
    sealed::WrappedReportKey,
    state::{StateKey, Subject as SubjectState},
    time::{Date, MS_PER_DAY},
    transaction::{
        ConsentRewrap, Furnishing, GrantConsent, InquiryKind, KeyRotation, Purpose,
        RecordPlaintext, RegisterSubject, RevokeConsent,
    },
};

/// A subject with its report keys (one per epoch), all held by the subject.
#[derive(Clone, Debug)]
pub struct Borrower {
    pub signer: Signer,
    pub report_keys: Vec<EncryptionSecret>,
}

impl Borrower {
    pub fn new(seed: u64) -> Self {
        Self {
            signer: Signer::from_seed(seed.wrapping_add(1 << 40)),
            report_keys: vec![EncryptionSecret::derive(&seed.to_be_bytes().repeat(4))],
        }
    }

    pub fn id(&self) -> SubjectId {
        SubjectId::from_key(&self.signer.key.public_key())
    }

    pub fn epoch(&self) -> u32 {
        u32::try_from(self.report_keys.len() - 1).unwrap()
    }

    pub fn current_key(&self) -> &EncryptionSecret {
        self.report_keys.last().unwrap()
    }
}

impl Chain {
    /// Registration for `borrower`.
    pub fn register(&self, borrower: &Borrower) -> Payload {
        let id = borrower.id();
        Payload::RegisterSubject(RegisterSubject {
            report_key: borrower.current_key().public_key(),
            audit_key_wrap: wrap_key(
                &self.audit.public_key(),
                borrower.current_key(),
                &report_key_context(&id, 0),
            )
            .unwrap(),
        })
    }

    /// A consent for member `lender`, wrapping every epoch of the borrower's report key.
    pub fn consent(&self, borrower: &Borrower, lender: usize, purpose: Purpose) -> Payload {
        let reader = self.members[lender].encryption.public_key();
        let id = borrower.id();
        let report_keys = borrower
            .report_keys
            .iter()
            .enumerate()
            .map(|(epoch, key)| {
                let epoch = u32::try_from(epoch).unwrap();
                WrappedReportKey {
                    epoch,
                    key: wrap_key(&reader, key, &report_key_context(&id, epoch)).unwrap(),
                }
            })
            .collect();
        Payload::GrantConsent(GrantConsent {
            lender: self.members[lender].id,
            purpose,
            kind: InquiryKind::Hard,
            expires_at: TimestampMs(self.time.0 + 90 * MS_PER_DAY),
            report_keys: BoundedVec::new(report_keys).unwrap(),
        })
    }

    /// A key rotation for `borrower`, re-wrapping for the consents that stay active; the
    /// borrower's new key is appended to its epochs.
    pub fn rotation(&self, borrower: &mut Borrower, keep: &[(ConsentId, usize)]) -> KeyRotation {
        let next = EncryptionSecret::derive(
            format!("{}-{}", borrower.id(), borrower.report_keys.len()).as_bytes(),
        );
        let id = borrower.id();
        let epoch = borrower.epoch() + 1;
        let context = report_key_context(&id, epoch);
        let rewraps = keep
            .iter()
            .map(|(consent, lender)| ConsentRewrap {
                consent: *consent,
                key: wrap_key(
                    &self.members[*lender].encryption.public_key(),
                    &next,
                    &context,
                )
                .unwrap(),
            })
            .collect();
        let rotation = KeyRotation {
            report_key: next.public_key(),
            audit_key_wrap: wrap_key(&self.audit.public_key(), &next, &context).unwrap(),
            rewraps: BoundedVec::new(rewraps).unwrap(),
        };
        borrower.report_keys.push(next);
        rotation
    }

    /// Revocation of `consent` with a rotation that keeps `keep`.
    pub fn revoke(
        &self,
        borrower: &mut Borrower,
        consent: ConsentId,
        keep: &[(ConsentId, usize)],
    ) -> Payload {
        let rotation = self.rotation(borrower, keep);
        Payload::RevokeConsent(RevokeConsent { consent, rotation })
    }

    /// A record about `borrower` with `status`, sealed to its current report key.
    pub fn furnishing(
        &self,
        borrower: &Borrower,
        account: &str,
        status: AccountStatus,
        supersedes: Option<RecordId>,
    ) -> Furnishing {
        let today = self.time.date();
        let first_delinquency = status
            .requires_first_delinquency()
            .then(|| Date(today.0.saturating_sub(45)));
        let plaintext = RecordPlaintext {
            tradeline: tradeline(account, status, today, first_delinquency),
            salt: Digest::of("credence/test-salt", &[account.as_bytes()]),
            metro2: None,
        };
        let id = borrower.id();
        let epoch = borrower.epoch();
        Furnishing {
            subject: id,
            account: Digest::of("credence/test-account", &[account.as_bytes()]),
            status,
            first_delinquency,
            as_of: today,
            report_key_epoch: epoch,
            payload: seal_payload(
                &borrower.current_key().public_key(),
                &encode(&plaintext),
                &payload_context(&id, epoch),
            )
            .unwrap(),
            commitment: plaintext.commitment(),
            supersedes,
        }
    }

    /// The subject's state.
    pub fn subject(&self, borrower: &Borrower) -> SubjectState {
        self.get(&StateKey::subject(&borrower.id())).unwrap()
    }
}

/// A plausible Metro 2 base segment.
pub fn tradeline(
    account: &str,
    status: AccountStatus,
    as_of: Date,
    first_delinquency: Option<Date>,
) -> Tradeline {
    let late = status.is_adverse();
    Tradeline {
        account_number: Text::new(account).unwrap(),
        portfolio_type: PortfolioType::Installment,
        account_type: Text::new("00").unwrap(),
        currency: Name::new("usd").unwrap(),
        date_opened: Date(as_of.0.saturating_sub(400)),
        credit_limit: Amount(0),
        highest_credit: Amount(2_500_000),
        terms_months: 60,
        scheduled_monthly_payment: Amount(48_000),
        actual_payment: Amount(if late { 0 } else { 48_000 }),
        account_status: status,
        payment_history: BoundedVec::new(
            (0..24)
                .map(|month| match (late, month) {
                    (true, 0) => PaymentMonth::Late30,
                    _ => PaymentMonth::Current,
                })
                .collect(),
        )
        .unwrap(),
        current_balance: Amount(1_900_000),
        amount_past_due: Amount(if late { 48_000 } else { 0 }),
        original_charge_off: Amount(0),
        date_of_account_information: as_of,
        first_delinquency,
        date_closed: None,
        date_of_last_payment: Some(Date(as_of.0.saturating_sub(30))),
        consumer: Consumer {
            name: Text::new("Test Borrower").unwrap(),
            national_id: Text::new("000-00-0000").unwrap(),
            date_of_birth: Date::from_ymd(1990, 5, 17),
            address: Text::new("1 Test Street").unwrap(),
        },
    }
}
