//! What a member institution or a borrower does: sign and submit transactions (with the
//! sealing each needs done here, never on a node), wait for their outcome, read the ledger,
//! pull a credit report. The command line and the lender console both act through a
//! [`Session`]; neither prints from here.

use crate::{
    Account, ClientError, NodeClient,
    build::{self, BuildError},
    light::{NetworkFile, Validators},
    report::{self, CreditReport, ReportError},
};
use credence_crypto::KeyFile;
use credence_types::{
    ConsentId, Digest, EncryptionKey, InstitutionId, LoanId, Payload, RecordId, Rejection,
    SubjectId, TimestampMs,
    api::{Entry, ReportKeyView, TransactionStatus},
    lending::{Loan, LoanPayment},
    metro2::Tradeline,
    money::Amount,
    receipt::{Event, Outcome},
    state::{Consent, Institution, Principal, Subject},
    time::Date,
    transaction::{InquiryKind, Purpose, RecordInquiry},
};
use std::{path::Path, time::Duration};

/// How long a session waits for its transaction to finalise.
pub const FINALITY_TIMEOUT: Duration = Duration::from_secs(60);
/// How often it asks whether the transaction is final.
const FINALITY_POLL: Duration = Duration::from_millis(100);

/// Why a member operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The network file could not be read.
    #[error("reading the network file {path}: {source}")]
    NetworkFileUnreadable {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The network file is not one.
    #[error("the network file {path} is not valid: {message}")]
    NetworkFileInvalid {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Talking to the node failed, or it refused the request.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The ledger rejected the transaction.
    #[error("transaction {hash} was rejected at height {height}: {code}")]
    Rejected {
        /// The transaction.
        hash: Digest,
        /// The block it was rejected in.
        height: u64,
        /// The rule it broke.
        code: Rejection,
    },
    /// No subject has this pseudonym.
    #[error("no subject has the pseudonym {0}")]
    SubjectUnknown(SubjectId),
    /// No institution has this id.
    #[error("no institution has the id {0}")]
    InstitutionUnknown(InstitutionId),
    /// No loan has this id.
    #[error("no loan has the id {0}")]
    LoanUnknown(LoanId),
    /// No dispute has this id.
    #[error("no dispute has the id {0}")]
    DisputeUnknown(credence_types::DisputeId),
    /// A correction's account number is not the disputed record's account.
    #[error("the correction's account number is not that of the record {0} disputes")]
    CorrectionOfAnotherAccount(credence_types::DisputeId),
    /// The loan is not running, so nothing is owed on it.
    #[error("{0} is not running, so nothing is owed")]
    LoanNotRunning(LoanId),
    /// A consent the subject lists as active is not in state.
    #[error("the active consent {0} is missing")]
    ConsentMissing(ConsentId),
    /// The key signs for no institution.
    #[error("this key is not an institution's")]
    NotAnInstitution,
    /// The key file does not hold the subject's current report key.
    #[error("this key file does not hold the subject's current report key")]
    ReportKeyMismatch,
    /// The lender holds no active consent on the subject.
    #[error("{lender} holds no active consent on {subject}")]
    NoConsent {
        /// The lender.
        lender: InstitutionId,
        /// The subject.
        subject: SubjectId,
    },
    /// The transaction applied but did not cause the event it exists for.
    #[error("transaction {0} applied without the event it should cause")]
    EventMissing(Digest),
    /// The node's answer is not what the API promises.
    #[error("the node's answer is malformed: {0}")]
    Malformed(&'static str),
    /// A payload could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The credit report could not be read.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// This machine's clock is before 1970 or past what a timestamp holds.
    #[error("this machine's clock is unusable")]
    Clock,
}

/// A transaction that applied, and what it caused.
#[derive(Clone, Debug)]
pub struct Finalised {
    /// The transaction's hash.
    pub hash: Digest,
    /// The block it applied in.
    pub height: u64,
    /// The events it caused, in order.
    pub events: Vec<Event>,
}

/// A node to talk to and the network file its answers are checked against.
#[derive(Clone, Debug)]
pub struct Session {
    /// The node's API.
    pub node: NodeClient,
    /// The network file: chain id, audit key, validator set.
    pub network: NetworkFile,
    /// The validators answers are checked against.
    pub validators: Validators,
    /// The oldest block a credit report may be read at, by this machine's clock (`None`:
    /// only the freshness the validators' ordering gives).
    pub max_report_age: Option<Duration>,
}

/// How old a report's block may be by default: a devnet finalises a block every second
/// when idle, so a minute is generous for a node that keeps up and short for a replay.
pub const MAX_REPORT_AGE: Duration = Duration::from_secs(60);

impl Session {
    /// A session with the node at `node`, trusting `network`.
    pub fn new(node: NodeClient, network: NetworkFile) -> Self {
        let validators = Validators::of(&network);
        Self {
            node,
            network,
            validators,
            max_report_age: Some(MAX_REPORT_AGE),
        }
    }

    /// This session, reading as the holder of `key` (an institution or a subject): every
    /// request is signed with it, for this network's chain, so the node answers what that
    /// reader may read. Transactions are signed with the key each call is given.
    pub fn reading_as(mut self, key: &KeyFile) -> Self {
        self.node = self.node_as(key);
        self
    }

    /// The node, read as the holder of `key`: what a signer reads of its own account and
    /// transactions, whoever this session reads as.
    pub(crate) fn node_as(&self, key: &KeyFile) -> NodeClient {
        self.node
            .clone()
            .signed_for(key.signing.clone(), self.network.genesis.chain_id.as_str())
    }

    /// Reads the network file at `path` and points at the node at `node`.
    pub fn open(node: NodeClient, path: &Path) -> Result<Self, SessionError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            SessionError::NetworkFileUnreadable {
                path: path.to_path_buf(),
                source,
            }
        })?;
        let invalid = |message: String| SessionError::NetworkFileInvalid {
            path: path.to_path_buf(),
            message,
        };
        let network: NetworkFile =
            serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        network.validate().map_err(|e| invalid(e.to_string()))?;
        Ok(Self::new(node, network))
    }

    /// The signer of `key`, at its next nonce, and whose key it is (none yet: `None`).
    pub(crate) async fn account(
        &self,
        key: &KeyFile,
    ) -> Result<(Account, Option<Principal>), SessionError> {
        let view = self.node_as(key).account(&key.signing.public_key()).await?;
        let account = Account::new(
            key.signing.clone(),
            self.network.genesis.chain_id.clone(),
            view.as_ref().map_or(0, |view| view.nonce),
        );
        Ok((account, view.map(|view| view.principal)))
    }

    /// Signs `payload` with `key`, submits it and waits until it is final; returns what it
    /// caused, or the rule it broke.
    ///
    /// A subject that acts first closes its file to any consent that has ended but still
    /// holds its current report key (an expiry: a revocation rotates at once), by rotating
    /// the key, so that nothing furnished afterwards opens for that lender.
    pub async fn transact(
        &self,
        key: &KeyFile,
        payload: Payload,
    ) -> Result<Finalised, SessionError> {
        let rotates = matches!(
            payload,
            Payload::RotateReportKey(_) | Payload::RevokeConsent(_) | Payload::RegisterSubject(_)
        );
        if !rotates && let (_, Some(Principal::Subject(_))) = self.account(key).await? {
            self.close_ended_consents(key).await?;
        }
        self.submit_and_wait(key, payload).await
    }

    /// Signs, submits and follows `payload` to finality, as it is.
    async fn submit_and_wait(
        &self,
        key: &KeyFile,
        payload: Payload,
    ) -> Result<Finalised, SessionError> {
        let (mut account, _) = self.account(key).await?;
        let transaction = account.sign(payload);
        let node = self.node_as(key);
        let hash = submit_one(&node, transaction).await?;
        let status = node
            .wait_finalized(&hash, FINALITY_POLL, FINALITY_TIMEOUT)
            .await?;
        let TransactionStatus::Finalized {
            height, outcome, ..
        } = status
        else {
            return Err(ClientError::Timeout(hash).into());
        };
        if let Outcome::Rejected(code) = outcome {
            return Err(SessionError::Rejected {
                hash,
                height: height.0,
                code,
            });
        }
        let events = node.transaction_events(&hash).await?;
        let events = events.into_iter().map(|e| e.event).collect();
        Ok(Finalised {
            hash,
            height: height.0,
            events,
        })
    }

    /// The subject with this pseudonym, as the node says.
    pub async fn subject(&self, id: &SubjectId) -> Result<Subject, SessionError> {
        self.node
            .entry::<Subject>(&format!("subjects/{id}"))
            .await?
            .value
            .ok_or(SessionError::SubjectUnknown(*id))
    }

    /// The subject's current report key and its epoch, as the node says: what a furnisher
    /// seals to (a furnisher reads it without a consent; the rest of the subject's entry is
    /// its file's).
    pub async fn report_key(&self, id: &SubjectId) -> Result<ReportKeyView, SessionError> {
        match self.node.json(&format!("subjects/{id}/report-key")).await {
            Ok(value) => serde_json::from_value(value)
                .map_err(|_| SessionError::Malformed("a report key that is not one")),
            Err(ClientError::Refused { status: 404, .. }) => Err(SessionError::SubjectUnknown(*id)),
            Err(error) => Err(error.into()),
        }
    }

    /// The institution with this id, as the node says.
    pub async fn institution(&self, id: InstitutionId) -> Result<Institution, SessionError> {
        self.node
            .entry::<Institution>(&format!("institutions/{}", id.0))
            .await?
            .value
            .ok_or(SessionError::InstitutionUnknown(id))
    }

    /// The institution `key` signs for.
    pub async fn institution_of(&self, key: &KeyFile) -> Result<InstitutionId, SessionError> {
        match self.node_as(key).account(&key.signing.public_key()).await? {
            Some(view) => match view.principal {
                Principal::Institution(id) => Ok(id),
                Principal::Subject(_) | Principal::Retired => Err(SessionError::NotAnInstitution),
            },
            None => {
                // Genesis institutions have signed nothing yet: find the key among them.
                let key = key.signing.public_key();
                self.network
                    .genesis
                    .institutions
                    .iter()
                    .position(|institution| institution.signing_key == key)
                    .and_then(|index| u64::try_from(index).ok())
                    .map(InstitutionId)
                    .ok_or(SessionError::NotAnInstitution)
            }
        }
    }

    /// Registers the subject whose key file this is; returns its pseudonym.
    pub async fn register(&self, key: &KeyFile) -> Result<(SubjectId, Finalised), SessionError> {
        let id = SubjectId::from_key(&key.signing.public_key());
        let payload =
            build::register_subject(&id, &key.encryption, &self.network.genesis.audit_key)?;
        let done = self.transact(key, payload).await?;
        Ok((id, done))
    }

    /// The subject `key` signs for grants `lender` a consent for `days`; returns its id.
    pub async fn grant(
        &self,
        key: &KeyFile,
        lender: InstitutionId,
        purpose: Purpose,
        kind: InquiryKind,
        days: u64,
    ) -> Result<(ConsentId, Finalised), SessionError> {
        let id = SubjectId::from_key(&key.signing.public_key());
        let subject = self.subject(&id).await?;
        let keys = build::report_keys(&key.encryption, subject.report_key_epoch);
        if keys.last().map(|k| k.public_key()) != Some(subject.report_key) {
            return Err(SessionError::ReportKeyMismatch);
        }
        let institution = self.institution(lender).await?;
        let expires_at = TimestampMs(now_ms()?.saturating_add(days.saturating_mul(86_400_000)));
        let payload = build::grant_consent(
            &id,
            &keys,
            lender,
            &institution.encryption_key,
            purpose,
            kind,
            expires_at,
        )?;
        let done = self.transact(key, payload).await?;
        let consent = done
            .events
            .iter()
            .find_map(|event| match event {
                Event::ConsentGranted { consent, .. } => Some(*consent),
                _ => None,
            })
            .ok_or(SessionError::EventMissing(done.hash))?;
        Ok((consent, done))
    }

    /// The subject's active consents other than `except`, each with its lender's encryption
    /// key: those a rotation re-wraps for.
    async fn kept_consents(
        &self,
        subject: &Subject,
        except: Option<ConsentId>,
    ) -> Result<Vec<(ConsentId, EncryptionKey)>, SessionError> {
        // The chain's time: a consent past its expiry that the chain has not yet ended is
        // not re-wrapped (the ledger asks for exactly those in force at the block's time).
        let now = self.node.status().await?.time;
        let mut keep = Vec::new();
        for other in subject.active_consents.as_slice() {
            if Some(*other) == except {
                continue;
            }
            let kept: Consent = self
                .node
                .entry::<Consent>(&format!("consents/{}", other.0))
                .await?
                .value
                .ok_or(SessionError::ConsentMissing(*other))?;
            if !kept.is_active_at(now) {
                continue;
            }
            let lender = self.institution(kept.lender).await?;
            keep.push((*other, lender.encryption_key));
        }
        Ok(keep)
    }

    /// Ends `consent` and rotates the subject's report key, re-wrapped for every consent
    /// that stays.
    pub async fn revoke(
        &self,
        key: &KeyFile,
        consent: ConsentId,
    ) -> Result<Finalised, SessionError> {
        let id = SubjectId::from_key(&key.signing.public_key());
        let subject = self.subject(&id).await?;
        let keep = self.kept_consents(&subject, Some(consent)).await?;
        let payload = build::revoke_consent(
            &id,
            &key.encryption,
            subject.report_key_epoch,
            consent,
            &keep,
            &self.network.genesis.audit_key,
        )?;
        self.transact(key, payload).await
    }

    /// Every consent the subject of `key` has granted, oldest first.
    pub async fn consents(&self, key: &KeyFile) -> Result<Vec<Consent>, SessionError> {
        let id = SubjectId::from_key(&key.signing.public_key());
        self.listing(&format!("subjects/{id}/consents")).await
    }

    /// Every entry of a paged listing (e.g. `subjects/<id>/consents`), oldest first.
    pub async fn listing<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Vec<T>, SessionError> {
        let mut entries = Vec::new();
        let mut from = 0;
        loop {
            let page = self.node.page::<T>(path, from, 100).await?;
            entries.extend(page.items);
            match page.next {
                Some(next) => from = next,
                None => return Ok(entries),
            }
        }
    }

    /// Rotates the subject's report key if a consent that is no longer in force still holds
    /// the current epoch: an expired one (a revoked one was rotated past when it was
    /// revoked). Returns the rotation, if one was needed.
    pub async fn close_ended_consents(
        &self,
        key: &KeyFile,
    ) -> Result<Option<Finalised>, SessionError> {
        let id = SubjectId::from_key(&key.signing.public_key());
        let subject = self.subject(&id).await?;
        // The chain's time, not this machine's: consents expire by block time.
        let now = self.node.status().await?.time;
        if !needs_rotation(&self.consents(key).await?, subject.report_key_epoch, now) {
            return Ok(None);
        }
        Ok(Some(self.rotate_past(key, &id, &subject).await?))
    }

    /// Moves the subject's report key to the next epoch, every active consent keeping access.
    pub async fn rotate(&self, key: &KeyFile) -> Result<Finalised, SessionError> {
        let id = SubjectId::from_key(&key.signing.public_key());
        let subject = self.subject(&id).await?;
        self.rotate_past(key, &id, &subject).await
    }

    /// Moves `subject`'s report key past its current epoch, as [`Self::rotate`].
    async fn rotate_past(
        &self,
        key: &KeyFile,
        id: &SubjectId,
        subject: &Subject,
    ) -> Result<Finalised, SessionError> {
        let keep = self.kept_consents(subject, None).await?;
        let rotation = build::rotation(
            id,
            &key.encryption,
            subject.report_key_epoch,
            &keep,
            &self.network.genesis.audit_key,
        )?;
        // A rotation never waits on closing ended consents: it is the closing.
        self.submit_and_wait(key, Payload::RotateReportKey(rotation))
            .await
    }

    /// Furnishes `tradeline` about `subject`: sealed here to the subject's current report
    /// key, under an account reference salted with a secret only this furnisher holds;
    /// `supersedes` names the record it corrects or updates (the same account's).
    pub async fn furnish(
        &self,
        key: &KeyFile,
        subject: &SubjectId,
        tradeline: Tradeline,
        supersedes: Option<RecordId>,
    ) -> Result<Finalised, SessionError> {
        let sealing = self.report_key(subject).await?;
        let account =
            build::account_reference(&furnisher_salt(key).0, tradeline.account_number.as_str());
        let payload = build::furnish(
            subject,
            &sealing.report_key,
            sealing.epoch,
            account,
            tradeline,
            supersedes,
        )?;
        self.transact(key, payload).await
    }

    /// Records an inquiry under the lender's active consent on `subject`, then reads, opens
    /// and scores the file.
    pub async fn report(
        &self,
        key: &KeyFile,
        subject: &SubjectId,
    ) -> Result<CreditReport, SessionError> {
        let lender = self.institution_of(key).await?;
        // Without a consent in force the node does not let the lender read the subject.
        let no_consent = SessionError::NoConsent {
            lender,
            subject: *subject,
        };
        let state = match self.subject(subject).await {
            Err(SessionError::Client(ClientError::Refused { status: 403, .. })) => {
                return Err(no_consent);
            }
            other => other?,
        };
        let mut consent = None;
        for id in state.active_consents.as_slice() {
            // Another lender's consent is not this lender's to read: the node refuses it.
            let entry: Entry<Consent> = match self.node.entry(&format!("consents/{}", id.0)).await {
                Ok(entry) => entry,
                Err(ClientError::Refused { status: 403, .. }) => continue,
                Err(error) => return Err(error.into()),
            };
            if entry
                .value
                .is_some_and(|c| c.lender == lender && !c.ended())
            {
                consent = Some(*id);
            }
        }
        let consent = consent.ok_or(no_consent)?;
        let inquiry = self
            .transact(key, Payload::RecordInquiry(RecordInquiry { consent }))
            .await?;
        let now = now_ms()?;
        Ok(report::fetch(
            &self.node,
            &self.validators,
            subject,
            lender,
            &key.encryption,
            consent,
            TimestampMs(now).date(),
            report::Freshness {
                at_least: credence_types::Height(inquiry.height),
                max_age: self.max_report_age,
                now_ms: now,
            },
        )
        .await?)
    }

    /// Pays `amount` on `loan`, or by default its payoff as of the chain's date.
    pub async fn repay(
        &self,
        key: &KeyFile,
        loan: LoanId,
        amount: Option<Amount>,
    ) -> Result<(Amount, Finalised), SessionError> {
        let amount = match amount {
            Some(amount) => amount,
            None => self.payoff(loan).await?,
        };
        let done = self
            .transact(key, Payload::RepayLoan(LoanPayment { loan, amount }))
            .await?;
        Ok((amount, done))
    }

    /// What closes `loan` now: its payoff as of the chain's date (interest accrues by block
    /// time, not this machine's).
    pub async fn payoff(&self, loan: LoanId) -> Result<Amount, SessionError> {
        let state: Loan = self
            .node
            .entry::<Loan>(&format!("loans/{}", loan.0))
            .await?
            .value
            .ok_or(SessionError::LoanUnknown(loan))?;
        let today: Date = self.node.status().await?.time.date();
        credence_ledger::queries::payoff(&state, today).ok_or(SessionError::LoanNotRunning(loan))
    }
}

/// Whether a subject whose report key is at `epoch` must rotate it before acting: some
/// consent no longer in force at `now` (expired; a revoked one was rotated past at once) was
/// handed that very epoch, so its lender would open whatever is furnished next.
pub fn needs_rotation(consents: &[Consent], epoch: u32, now: TimestampMs) -> bool {
    consents
        .iter()
        .any(|consent| !consent.is_active_at(now) && consent.newest_epoch() == Some(epoch))
}

/// The secret a furnisher salts its account references with: derived from its own
/// encryption secret, so only it can link a reference to an account number.
pub fn furnisher_salt(key: &KeyFile) -> Digest {
    salt_of(&key.encryption)
}

/// [`furnisher_salt`] of the furnisher whose encryption secret is `secret`.
pub fn salt_of(secret: &credence_crypto::EncryptionSecret) -> Digest {
    Digest::of("credence/furnisher-salt", &[secret.to_bytes().as_ref()])
}

/// Milliseconds since 1970 by this machine's clock.
pub fn now_ms() -> Result<u64, SessionError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| SessionError::Clock)?;
    u64::try_from(now.as_millis()).map_err(|_| SessionError::Clock)
}

/// Submits one transaction, waiting out a busy node ([`crate::submission`]); returns its
/// hash once admitted.
async fn submit_one(
    node: &NodeClient,
    transaction: credence_types::SignedTransaction,
) -> Result<Digest, ClientError> {
    let policy = crate::submission::RetryPolicy {
        batch: 1,
        ..Default::default()
    };
    let submitted =
        crate::submission::submit_all(node, std::slice::from_ref(&transaction), &policy).await?;
    match submitted.answers.into_iter().next() {
        Some(crate::submission::Answer::Accepted(hash)) => Ok(hash),
        Some(crate::submission::Answer::Refused { code, message }) => Err(ClientError::Refused {
            status: credence_types::ApiErrorCode::from_code(&code)
                .map_or(400, credence_types::ApiErrorCode::status),
            code,
            message,
        }),
        None => Err(ClientError::Timeout(transaction.hash())),
    }
}
