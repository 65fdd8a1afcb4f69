//! The credit report: a subject's file as a consenting lender reads it.
//!
//! [`fetch`] reads the file from a node — records, inquiries, disputes, pledged collateral
//! and loans — unwraps the subject's report keys from the lender's consent, opens every
//! sealed record and checks it against the commitment the ledger holds, then [`assemble`]s
//! the report: the latest state of each account across all furnishers, the inquiries, the
//! disputes, and the score with its reasons. Assembly is pure, so it is tested without a
//! network.
//!
//! [`fetch_verified`] reads the same file but believes no single node for what the report
//! rests on: the consent and every record come with state proofs, each checked against a
//! header finalised by a quorum of the genesis validators.

use crate::{
    http::{ClientError, NodeClient},
    light::Validators,
    score::{Score, ScoreInput, ScoredAccount, Unscorable, score},
};
use credence_crypto::{
    EncryptionSecret,
    sealing::{payload_context, report_key_context},
};
use credence_types::{
    ConsentId, Date, Digest, InstitutionId, RecordId, SubjectId,
    codec::decode,
    lending::{Asset, Loan},
    metro2::{AccountStatus, Tradeline},
    state::{Consent, Dispute, Inquiry, InquiryBasis, Institution, Record, StateKey},
    transaction::{InquiryKind, RecordPlaintext},
};
use std::collections::BTreeMap;

/// Most records, inquiries or disputes read for one report.
const LISTING_MAX: u32 = 10_000;
/// Items per page while reading a listing.
const PAGE: u32 = 100;

/// One account on the report: its latest record, opened.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    /// Who furnished it.
    pub furnisher: InstitutionId,
    /// The furnisher's name.
    pub furnisher_name: String,
    /// The latest record about it.
    pub record: RecordId,
    /// The account's reference (a salted hash of its number).
    pub account: Digest,
    /// Its latest status.
    pub status: AccountStatus,
    /// The Metro 2 fields, opened; `None` when the payload was purged or the account was
    /// reported by a loan contract (which furnishes metadata only).
    pub tradeline: Option<Tradeline>,
    /// Whether a dispute about it is open.
    pub disputed: bool,
}

/// The credit report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CreditReport {
    /// Who it is about.
    pub subject: SubjectId,
    /// The date it was assembled for.
    pub as_of: Date,
    /// Every account, latest state, ordered by furnisher and account.
    pub accounts: Vec<Account>,
    /// Every read of the file, oldest first.
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
    /// Every record about the subject.
    pub records: Vec<Record>,
    /// The opened payloads, by record.
    pub opened: BTreeMap<RecordId, Tradeline>,
    /// Every inquiry.
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
        .map(|record| Account {
            furnisher: record.furnisher,
            furnisher_name: file
                .names
                .get(&record.furnisher)
                .cloned()
                .unwrap_or_else(|| record.furnisher.to_string()),
            record: record.id,
            account: record.account,
            status: record.status,
            tradeline: file.opened.get(&record.id).cloned(),
            disputed: record.open_dispute.is_some(),
        })
        .collect();
    let input = ScoreInput {
        as_of,
        accounts: accounts
            .iter()
            .filter_map(|account| {
                let t = account.tradeline.as_ref()?;
                Some(ScoredAccount {
                    portfolio: t.portfolio_type,
                    status: account.status,
                    opened: t.date_opened,
                    credit_limit: t.credit_limit,
                    balance: t.current_balance,
                    past_due: t.amount_past_due,
                    history: t.payment_history.as_slice().to_vec(),
                })
            })
            .collect(),
        hard_inquiries: file
            .inquiries
            .iter()
            .filter(|inquiry| {
                matches!(
                    &inquiry.basis,
                    InquiryBasis::Consent(c) if c.kind == InquiryKind::Hard
                )
            })
            .map(|inquiry| inquiry.at.date())
            .collect(),
    };
    let scored = score(&input);
    CreditReport {
        subject,
        as_of,
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
    /// The lender holds no active consent on the subject.
    #[error("institution {0} holds no active consent on this subject")]
    NoConsent(InstitutionId),
    /// A report key or payload did not open with the lender's key.
    #[error("record {0}: the payload does not open with the consented report key")]
    Sealed(RecordId),
    /// An opened payload does not match the commitment the ledger holds.
    #[error("record {0}: the opened payload does not match its commitment")]
    Tampered(RecordId),
}

/// Every item of a subject's listing.
async fn all<T: serde::de::DeserializeOwned>(
    node: &NodeClient,
    subject: &SubjectId,
    listing: &str,
) -> Result<Vec<T>, ClientError> {
    let mut items = Vec::new();
    let mut from = 0;
    loop {
        let page = node
            .page::<T>(&format!("subjects/{subject}/{listing}"), from, PAGE)
            .await?;
        items.extend(page.items);
        match page.next {
            Some(next) if next < LISTING_MAX => from = next,
            _ => return Ok(items),
        }
    }
}

/// Reads and opens `subject`'s file as `lender` (holding `lender_key`, its encryption
/// secret) under `consent`, and assembles the report as of `as_of`, trusting `node`'s
/// answers.
pub async fn fetch(
    node: &NodeClient,
    subject: &SubjectId,
    lender: InstitutionId,
    lender_key: &EncryptionSecret,
    consent: ConsentId,
    as_of: Date,
) -> Result<CreditReport, ReportError> {
    read(node, None, subject, lender, lender_key, consent, as_of).await
}

/// As [`fetch`], but the consent and every record are read with state proofs and checked
/// against headers finalised by a quorum of `validators`, so a node that alters, invents or
/// drops the content of a record it lists is caught. (Which records a subject has is still
/// the node's listing; a node can omit one, and the report then shows one fewer account.)
pub async fn fetch_verified(
    node: &NodeClient,
    validators: &Validators,
    subject: &SubjectId,
    lender: InstitutionId,
    lender_key: &EncryptionSecret,
    consent: ConsentId,
    as_of: Date,
) -> Result<CreditReport, ReportError> {
    read(
        node,
        Some(validators),
        subject,
        lender,
        lender_key,
        consent,
        as_of,
    )
    .await
}

/// The entry at `path` (under `key`): proven against `validators` when given, else as the
/// node says.
async fn entry<T>(
    node: &NodeClient,
    validators: Option<&Validators>,
    path: &str,
    key: &StateKey,
) -> Result<Option<T>, ClientError>
where
    T: serde::de::DeserializeOwned + credence_types::codec::Read<Cfg = ()>,
{
    match validators {
        Some(validators) => node.proven::<T>(path, key, validators).await,
        None => Ok(node.entry::<T>(path).await?.value),
    }
}

async fn read(
    node: &NodeClient,
    validators: Option<&Validators>,
    subject: &SubjectId,
    lender: InstitutionId,
    lender_key: &EncryptionSecret,
    consent: ConsentId,
    as_of: Date,
) -> Result<CreditReport, ReportError> {
    let consent: Consent = entry::<Consent>(
        node,
        validators,
        &format!("consents/{}", consent.0),
        &StateKey::consent(consent),
    )
    .await?
    .filter(|c| c.lender == lender && c.subject == *subject && !c.ended)
    .ok_or(ReportError::NoConsent(lender))?;
    let mut keys = BTreeMap::new();
    for wrapped in consent.report_keys.as_slice() {
        let key = lender_key
            .unwrap_key(&wrapped.key, &report_key_context(subject, wrapped.epoch))
            .map_err(|_| ReportError::NoConsent(lender))?;
        keys.insert(wrapped.epoch, key);
    }
    let mut records: Vec<Record> = all(node, subject, "records").await?;
    if let Some(validators) = validators {
        // Every listed record again, proven; all at once, as a lender's client would.
        let proven = futures::future::try_join_all(records.iter().map(|listed| {
            let id = listed.id;
            async move {
                node.proven::<Record>(
                    &format!("records/{}", id.0),
                    &StateKey::record(id),
                    validators,
                )
                .await?
                .ok_or(ReportError::Tampered(id))
            }
        }))
        .await?;
        records = proven;
    }
    let mut opened = BTreeMap::new();
    let mut names = BTreeMap::new();
    for record in &records {
        if let std::collections::btree_map::Entry::Vacant(slot) = names.entry(record.furnisher) {
            let name = node
                .entry::<Institution>(&format!("institutions/{}", record.furnisher.0))
                .await?
                .value
                .map(|i| i.name.as_str().to_string())
                .unwrap_or_default();
            slot.insert(name);
        }
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
    }
    let inquiries = all(node, subject, "inquiries").await?;
    let disputes = all(node, subject, "disputes").await?;
    let loans: Vec<Loan> = all(node, subject, "loans").await?;
    let mut pledged = Vec::new();
    for loan in &loans {
        for collateral in loan.terms.collateral.as_slice() {
            if let credence_types::lending::Collateral::Asset(id) = collateral {
                let asset = node.entry::<Asset>(&format!("assets/{}", id.0)).await?;
                if let Some(asset) = asset.value.filter(|a| a.lock.is_some()) {
                    pledged.push(asset);
                }
            }
        }
    }
    Ok(assemble(
        *subject,
        as_of,
        File {
            records,
            opened,
            inquiries,
            disputes,
            names,
            pledged,
            loans,
        },
    ))
}
