//! The credit report: a subject's file as a consenting lender reads it, believing no node.
//!
//! [`fetch`] asks a node for the subject's file (`GET /v1/subjects/{id}/file`): every entry
//! with a state proof, all against one header the validators finalised. It checks the header
//! and every proof, refuses a header older than one already seen (or than a maximum age, or
//! than the lender's own inquiry), and walks the file with the ledger's own walk
//! ([`credence_ledger::file`]) over the proven values alone — so a node that leaves out a
//! record, an inquiry, a dispute or a loan is caught by the walk, and one that alters or
//! invents one is caught by its proof. It then unwraps the subject's report keys from the
//! consent, opens every sealed record and checks it against its commitment, and
//! [`assemble`]s the report. Assembly is pure, so it is tested without a network.
//!
//! The sealed payload is the truth: where a record's cleartext metadata on the ledger (its
//! status, date of first delinquency, as-of date) disagrees with the furnisher's own sealed
//! fields, the report uses the sealed ones and lists the disagreement on the account.

use crate::{
    http::{ClientError, NodeClient},
    light::{LightError, Validators},
    score::{Score, ScoreInput, ScoredAccount, Unscorable, score},
};
use credence_crypto::{
    EncryptionSecret,
    sealing::{payload_context, report_key_context},
};
use credence_ledger::{
    StateError, StateRead,
    file::{KnownState, credit_file},
};
use credence_types::{
    ConsentId, Date, Digest, Height, InstitutionId, LoanId, RecordId, SubjectId,
    api::ProvenFile,
    codec::decode,
    lending::{Asset, Loan},
    metro2::{AccountStatus, PortfolioType, Tradeline},
    money::Amount,
    state::{Dispute, Inquiry, Record, StateKey},
    transaction::RecordPlaintext,
};
use std::{collections::BTreeMap, time::Duration};

/// A Metro 2 data record as a sealed record carries it (see `RecordPlaintext::metro2`).
pub type Metro2Record =
    credence_types::codec::BoundedBytes<{ credence_types::limits::METRO2_RECORD_BYTES_MAX }>;

/// One account on the report: its latest record, opened.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    /// Who furnished it (for a loan contract's records, the loan's lender).
    pub furnisher: InstitutionId,
    /// The furnisher's name.
    pub furnisher_name: String,
    /// The latest record about it.
    pub record: RecordId,
    /// The account's reference (a salted hash of its number).
    pub account: Digest,
    /// Its latest status: the sealed payload's when the record opened, else the ledger's.
    pub status: AccountStatus,
    /// The Metro 2 fields, opened; `None` when the payload was purged or the account was
    /// reported by a loan contract (which furnishes metadata only).
    pub tradeline: Option<Tradeline>,
    /// The whole Metro 2 data record (base and appended segments, character format, hex in
    /// JSON) when the record was furnished from a Metro 2 file: every field the furnisher
    /// sent, for a reader that wants more than the tradeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metro2: Option<Metro2Record>,
    /// The loan on the ledger this account is, when a loan contract reported it.
    pub loan: Option<LoanId>,
    /// Whether a dispute about it is open.
    pub disputed: bool,
    /// The Metro 2 compliance condition the ledger set on its latest record: `XB` while a
    /// dispute of the account was open, `XH` after one was resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance: Option<credence_types::metro2::ComplianceCondition>,
    /// Where the ledger's cleartext metadata disagrees with the sealed payload.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discrepancies: Vec<Discrepancy>,
    /// The tradeline fields the sealed Metro 2 data record says otherwise about
    /// ([`crate::furnishing::tradeline::disagreements`]): the furnisher's two words differ,
    /// and the report (like the score) uses the tradeline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metro2_disagrees: Vec<&'static str>,
}

/// A field whose cleartext on the ledger disagrees with the furnisher's sealed record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Discrepancy {
    /// The field.
    pub field: &'static str,
    /// What the ledger's metadata says.
    pub ledger: String,
    /// What the sealed payload says (the report uses this).
    pub sealed: String,
}

/// The credit report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CreditReport {
    /// Who it is about.
    pub subject: SubjectId,
    /// The date it was assembled for.
    pub as_of: Date,
    /// The height of the finalised block every entry of it was proven at.
    pub height: Height,
    /// Every account, latest state, ordered by furnisher and account.
    pub accounts: Vec<Account>,
    /// Every hard inquiry on the file, oldest first (soft and supervisory ones are the
    /// subject's and the regulator's alone, and never reach a lender's report).
    pub inquiries: Vec<Inquiry>,
    /// Every dispute the subject opened.
    pub disputes: Vec<Dispute>,
    /// Assets of the subject locked by a loan.
    pub pledged: Vec<Asset>,
    /// Loans the subject borrowed on the ledger.
    pub loans: Vec<Loan>,
    /// The score, if the file can be scored.
    pub score: Option<Score>,
    /// Why it cannot, if it cannot.
    pub unscorable: Option<Unscorable>,
}

/// What [`assemble`] reads.
#[derive(Clone, Debug, Default)]
pub struct File {
    /// The height the file was read at.
    pub height: Height,
    /// Every record about the subject.
    pub records: Vec<Record>,
    /// The opened payloads, by record.
    pub opened: BTreeMap<RecordId, Tradeline>,
    /// The whole Metro 2 data records sealed beside the opened tradelines, by record, for
    /// those furnished from a Metro 2 file.
    pub metro2: BTreeMap<RecordId, Metro2Record>,
    /// Every hard inquiry.
    pub inquiries: Vec<Inquiry>,
    /// Every dispute.
    pub disputes: Vec<Dispute>,
    /// Names of furnishers.
    pub names: BTreeMap<InstitutionId, String>,
    /// Pledged assets.
    pub pledged: Vec<Asset>,
    /// Loans.
    pub loans: Vec<Loan>,
}

/// Where the record's metadata and its opened payload disagree.
fn discrepancies(record: &Record, tradeline: &Tradeline) -> Vec<Discrepancy> {
    let mut found = Vec::new();
    let mut compare = |field, ledger: String, sealed: String| {
        if ledger != sealed {
            found.push(Discrepancy {
                field,
                ledger,
                sealed,
            });
        }
    };
    compare(
        "account_status",
        record.status.to_string(),
        tradeline.account_status.to_string(),
    );
    let date = |d: Option<Date>| d.map_or_else(|| "none".to_string(), |d| d.to_string());
    compare(
        "first_delinquency",
        date(record.first_delinquency),
        date(tradeline.first_delinquency),
    );
    compare(
        "date_of_account_information",
        record.as_of.to_string(),
        tradeline.date_of_account_information.to_string(),
    );
    found
}

/// A loan on the ledger as the score reads an account: an installment account opened when
/// it was accepted, its outstanding principal the balance, its overdue installments past
/// due, its status the contract's latest record. The contract keeps no month-by-month
/// history, so the history is empty and the status carries the delinquency.
fn contract_account(loan: &Loan, status: AccountStatus) -> Option<ScoredAccount> {
    let opened = loan.accepted_at?.date();
    let past_due = loan.overdue.iter().fold(Amount::ZERO, |sum, item| {
        sum.checked_add(item.amount).unwrap_or(Amount(u64::MAX))
    });
    Some(ScoredAccount {
        portfolio: PortfolioType::Installment,
        status,
        opened,
        credit_limit: Amount::ZERO,
        balance: loan.principal,
        past_due,
        history: Vec::new(),
    })
}

/// Assembles the report of `subject` as of `as_of`: for each account (furnisher and
/// account reference) its newest record that is neither superseded nor deleted.
pub fn assemble(subject: SubjectId, as_of: Date, file: File) -> CreditReport {
    let mut latest: BTreeMap<(InstitutionId, Digest), &Record> = BTreeMap::new();
    for record in &file.records {
        if record.deleted || record.superseded_by.is_some() {
            continue;
        }
        let key = (record.furnisher, record.account);
        match latest.get(&key) {
            Some(kept) if (kept.as_of, kept.id) >= (record.as_of, record.id) => {}
            _ => {
                latest.insert(key, record);
            }
        }
    }
    let accounts: Vec<Account> = latest
        .into_values()
        .map(|record| {
            let tradeline = file.opened.get(&record.id).cloned();
            let metro2 = file.metro2.get(&record.id).cloned();
            Account {
                metro2_disagrees: match (&tradeline, &metro2) {
                    (Some(line), Some(whole)) => {
                        crate::furnishing::tradeline::disagreements(line, whole.as_slice())
                    }
                    _ => Vec::new(),
                },
                metro2,
                furnisher: record.furnisher,
                furnisher_name: file
                    .names
                    .get(&record.furnisher)
                    .cloned()
                    .unwrap_or_else(|| record.furnisher.to_string()),
                record: record.id,
                account: record.account,
                status: tradeline
                    .as_ref()
                    .map_or(record.status, |t| t.account_status),
                discrepancies: tradeline
                    .as_ref()
                    .map(|t| discrepancies(record, t))
                    .unwrap_or_default(),
                tradeline,
                loan: record.loan,
                disputed: record.open_dispute.is_some(),
                compliance: record.compliance.map(|c| c.code),
            }
        })
        .collect();
    let loans: BTreeMap<LoanId, &Loan> = file.loans.iter().map(|l| (l.id, l)).collect();
    let input = ScoreInput {
        as_of,
        accounts: accounts
            .iter()
            .filter_map(|account| match (&account.tradeline, account.loan) {
                (Some(t), _) => Some(ScoredAccount {
                    portfolio: t.portfolio_type,
                    status: account.status,
                    opened: t.date_opened,
                    credit_limit: t.credit_limit,
                    balance: t.current_balance,
                    past_due: t.amount_past_due,
                    history: t.payment_history.as_slice().to_vec(),
                }),
                (None, Some(loan)) => contract_account(loans.get(&loan)?, account.status),
                (None, None) => None,
            })
            .collect(),
        hard_inquiries: file
            .inquiries
            .iter()
            .filter(|inquiry| inquiry.basis.is_hard())
            .map(|inquiry| inquiry.at.date())
            .collect(),
    };
    let scored = score(&input);
    CreditReport {
        subject,
        as_of,
        height: file.height,
        accounts,
        inquiries: file.inquiries,
        disputes: file.disputes,
        pledged: file.pledged,
        loans: file.loans,
        score: scored.as_ref().ok().cloned(),
        unscorable: scored.err(),
    }
}

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Talking to the node failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The answer did not verify against the validators (a header, certificate or proof).
    #[error("the file did not verify: {0}")]
    Unverified(#[from] LightError),
    /// No subject has this pseudonym (proven absent).
    #[error("no subject has this pseudonym")]
    SubjectUnknown,
    /// The lender holds no active consent on the subject.
    #[error("institution {0} holds no active consent on this subject")]
    NoConsent(InstitutionId),
    /// The node left out an entry the file needs: an omission.
    #[error("the node's answer leaves out the file's entry {0}")]
    Incomplete(StateKey),
    /// A listing's proven entries contradict each other (an index entry the counters promise
    /// is absent, or a value that does not decode).
    #[error("the file's entry {0} contradicts the rest of it")]
    Inconsistent(StateKey),
    /// The file is older than the lender's own inquiry, which it must show.
    #[error("the file is at height {got}, before the inquiry at height {inquiry}")]
    BeforeInquiry {
        /// The inquiry's height.
        inquiry: u64,
        /// The file's height.
        got: u64,
    },
    /// A report key or payload did not open with the lender's key.
    #[error("record {0}: the payload does not open with the consented report key")]
    Sealed(RecordId),
    /// An opened payload does not match the commitment the ledger holds.
    #[error("record {0}: the opened payload does not match its commitment")]
    Tampered(RecordId),
}

impl From<StateError> for ReportError {
    fn from(error: StateError) -> Self {
        match error {
            StateError::NotLoaded(key) => Self::Incomplete(key),
            StateError::Corrupt { key } => Self::Inconsistent(key),
            StateError::RangeNotLoaded { start, .. } => Self::Incomplete(start),
            StateError::Read(_) | StateError::Invariant(_) => {
                Self::Inconsistent(StateKey([0; credence_types::state::KEY_LEN]))
            }
        }
    }
}

/// How recent the file must be.
#[derive(Clone, Copy, Debug, Default)]
pub struct Freshness {
    /// The file must be at this height or later: the lender's inquiry's, which it must show.
    pub at_least: Height,
    /// The file's block must be at most this old by this machine's clock.
    pub max_age: Option<Duration>,
    /// This machine's time, milliseconds since 1970.
    pub now_ms: u64,
}

/// Reads, verifies and opens `subject`'s file as `lender` (holding `lender_key`, its
/// encryption secret) under `consent`, and assembles the report as of `as_of`. Believes
/// nothing `node` says that is not proven against a header `validators` finalised.
#[allow(clippy::too_many_arguments)]
pub async fn fetch(
    node: &NodeClient,
    validators: &Validators,
    subject: &SubjectId,
    lender: InstitutionId,
    lender_key: &EncryptionSecret,
    consent: ConsentId,
    as_of: Date,
    freshness: Freshness,
) -> Result<CreditReport, ReportError> {
    let file: ProvenFile = node.file(subject, Some(consent)).await?;
    node.follow_epochs(validators, &file.header)
        .await
        .map_err(|error| match error {
            ClientError::Unverified(light) => ReportError::Unverified(light),
            other => ReportError::Client(other),
        })?;
    let proven = validators.verify_file(&file)?;
    let header = &file.header.header;
    if let Some(max_age) = freshness.max_age {
        Validators::check_age(&file.header, freshness.now_ms, max_age)?;
    }
    if header.height < freshness.at_least {
        return Err(ReportError::BeforeInquiry {
            inquiry: freshness.at_least.0,
            got: header.height.0,
        });
    }
    let mut state = KnownState::default();
    for (key, value) in proven {
        state.insert(key, value);
    }
    open(
        &state,
        header.height,
        subject,
        lender,
        lender_key,
        consent,
        as_of,
    )
}

/// Walks the proven state of a file and opens it: what [`fetch`] does once the proofs are
/// checked (and what a test does over a chain's state).
pub fn open<S: StateRead + ?Sized>(
    state: &S,
    height: Height,
    subject: &SubjectId,
    lender: InstitutionId,
    lender_key: &EncryptionSecret,
    consent: ConsentId,
    as_of: Date,
) -> Result<CreditReport, ReportError> {
    let file = credit_file(state, subject, Some(consent))?.ok_or(ReportError::SubjectUnknown)?;
    // A deleted account is reported with none of its records.
    let records: Vec<Record> = file
        .records
        .iter()
        .filter(|record| !file.account_deleted(record))
        .cloned()
        .collect();
    let consent = file
        .consent
        .filter(|c| c.lender == lender && c.subject == *subject && !c.ended())
        .ok_or(ReportError::NoConsent(lender))?;
    let mut keys = BTreeMap::new();
    for wrapped in consent.report_keys.as_slice() {
        let key = lender_key
            .unwrap_key(&wrapped.key, &report_key_context(subject, wrapped.epoch))
            .map_err(|_| ReportError::NoConsent(lender))?;
        keys.insert(wrapped.epoch, key);
    }
    let mut opened = BTreeMap::new();
    let mut metro2 = BTreeMap::new();
    for record in &file.records {
        let (Some(payload), Some(key)) = (&record.payload, keys.get(&record.report_key_epoch))
        else {
            continue;
        };
        let bytes = key
            .open_payload(payload, &payload_context(subject, record.report_key_epoch))
            .map_err(|_| ReportError::Sealed(record.id))?;
        let plaintext: RecordPlaintext =
            decode(&bytes).map_err(|_| ReportError::Tampered(record.id))?;
        if plaintext.commitment() != record.commitment {
            return Err(ReportError::Tampered(record.id));
        }
        opened.insert(record.id, plaintext.tradeline);
        if let Some(bytes) = plaintext.metro2 {
            metro2.insert(record.id, bytes);
        }
    }
    let names = file
        .furnishers
        .iter()
        .map(|(id, institution)| (*id, institution.name.as_str().to_string()))
        .collect();
    let pledged = file
        .collateral
        .into_iter()
        .filter(|asset| asset.lock.is_some())
        .collect();
    Ok(assemble(
        *subject,
        as_of,
        File {
            height,
            records,
            opened,
            metro2,
            inquiries: file.inquiries,
            disputes: file.disputes,
            names,
            pledged,
            loans: file.loans,
        },
    ))
}
