//! Importing a month's Metro 2 file: each data record becomes one sealed ledger record.
//!
//! For every data record of the file, in file order:
//!
//! 1. a record with a field error ([`credence_metro2::validate`]) is skipped, with the rule
//!    and field as its reason (with `strict`, any error refuses the whole file before
//!    anything is submitted);
//! 2. its consumer is looked up in the furnisher's customer map ([`Book::customers`]) by
//!    social security number, then by account number; a consumer with no link is reported
//!    as unlinked, never guessed;
//! 3. its base segment is read as the ledger's tradeline ([`super::tradeline`]) and sealed,
//!    with the whole data record beside it, to the subject's current report key, under the
//!    furnisher's salted account reference; a record whose correction indicator is `1`
//!    supersedes the account's previous record in the book;
//! 4. signed transactions are written to the import's journal (nonce and hash, synced)
//!    before they are submitted, in batches, through [`crate::submission::submit_all`];
//! 5. once final, each record's outcome (furnished with its ledger id, or the rule it broke)
//!    is journaled.
//!
//! **Idempotent by the file's digest and the record number.** A record with an outcome in
//! the journal is never prepared again. A record prepared but with no outcome (the import
//! stopped between submitting and settling) is first looked up by every hash the journal
//! holds for it: finalised, it is settled; pending, it is waited for. Only a record none of
//! whose transactions the node knows is prepared again, and it is signed again in the same
//! nonce order from the signer's committed nonce, so in the usual case (the transactions
//! were never admitted) each gets back its old nonce and at most one of the old and the new
//! can ever be final. Settling checks every hash of a record, so a record is reported once.

use super::{
    book::{Book, BookError, ConsumerIdentifier, Entry},
    tradeline::{account_number, social_security_number, tradeline},
};
use crate::{
    Account, ClientError, Session, SessionError, build,
    session::furnisher_salt,
    submission::{self, Answer, RetryPolicy},
};
use credence_crypto::KeyFile;
use credence_metro2::{ErrorReport, File, validate, write, write_record};
use credence_types::{
    Digest, PublicKey, RecordId, SignedTransaction, SubjectId,
    api::{ReportKeyView, TransactionStatus},
    receipt::{Event, Outcome},
};
use futures::{StreamExt as _, stream};
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

/// How an import runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Refuse the whole file if any record has a field error.
    pub strict: bool,
    /// Records signed and submitted together.
    pub batch: usize,
    /// Records submitted before their outcomes are collected (a multiple of `batch`). One
    /// window is collected while the next is submitted, so two are in flight: keep it at
    /// most half the node's nonce window (`mempool.nonce_window`, 4,096 by default), past
    /// which the node answers 429 and the import waits.
    pub window: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            strict: false,
            batch: 512,
            window: 2048,
        }
    }
}

/// Where an import stands, after each step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Data records in the file.
    pub records: u64,
    /// Records submitted by this run (admitted to the node's mempool).
    pub submitted: u64,
    /// Records with an outcome in the journal (this run's and earlier runs').
    pub settled: u64,
}

/// What an import did, record by record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The file's digest: the import's identity.
    pub file: Digest,
    /// Data records in the file.
    pub records: u64,
    /// Records on the ledger: (record number, ledger record).
    pub furnished: Vec<(u64, RecordId)>,
    /// Of those, the ones an earlier run had furnished.
    pub furnished_before: u64,
    /// Records not submitted, with the reason: (record number, reason code).
    pub skipped: Vec<(u64, String)>,
    /// Records whose consumer the customer map does not know.
    pub unlinked: Vec<u64>,
    /// Records the ledger rejected or the node refused for good: (record number, code).
    pub rejected: Vec<(u64, String)>,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// With `strict`, the file has field errors; nothing was submitted.
    #[error("the file has {} field error(s); with --strict nothing was submitted", .0.errors.len())]
    Strict(ErrorReport),
    /// The book could not be read or written.
    #[error(transparent)]
    Book(#[from] BookError),
    /// The node could not be reached, or answered nonsense.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The file cannot be written back as Metro 2 (a JSON form the writer cannot produce),
    /// so the book could not keep it.
    #[error("the file cannot be written as Metro 2: {0}")]
    Unwritable(credence_metro2::WriteError),
    /// The node's answer about one of this import's transactions made no sense.
    #[error("the node's answer about a transaction of record {0} makes no sense")]
    Unexpected(u64),
}

impl From<ClientError> for ImportError {
    fn from(error: ClientError) -> Self {
        Self::Session(error.into())
    }
}

/// The digest a file's import is known by in the book.
pub fn file_digest(bytes: &[u8]) -> Digest {
    Digest::of("credence/metro2-file", &[bytes])
}

/// A record ready to seal.
struct Ready {
    record: u64,
    subject: SubjectId,
    account: Digest,
    index: usize,
    correction: bool,
}

/// Imports `file` as `key`'s furnisher; `digest` ([`file_digest`] of the bytes it was read
/// from) names the import in the book.
pub async fn import(
    session: &Session,
    key: &KeyFile,
    book: &Book,
    file: &File,
    digest: Digest,
    options: &Options,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Summary, ImportError> {
    let report = validate(file);
    if options.strict && !report.is_empty() {
        return Err(ImportError::Strict(report));
    }
    // The book keeps the file as Metro 2, whatever form it came in.
    let canonical = write(file).map_err(ImportError::Unwritable)?;
    book.keep_source(&digest, &canonical)?;

    let mut journal = Journal::load(book, digest)?;
    let records = u64::try_from(file.bases.len()).unwrap_or(u64::MAX);
    let mut tally = Progress {
        records,
        submitted: 0,
        settled: journal.settled(),
    };
    progress(tally);

    let node = session.node_as(key);
    let signer = key.signing.public_key();
    let salt = furnisher_salt(key);
    // Each record's account reference (salted: the ledger sees only this).
    let accounts: BTreeMap<u64, Digest> = file
        .bases
        .iter()
        .enumerate()
        .map(|(index, data)| {
            let reference = build::account_reference(&salt.0, &account_number(&data.base));
            (File::record_number(index), reference)
        })
        .collect();
    // Records prepared by an earlier run and never settled: settle what the node knows.
    let in_doubt = journal.in_doubt();
    if !in_doubt.is_empty() {
        let lookups = journal.lookups(&accounts, &in_doubt);
        let outcomes = settle(node.clone(), signer, lookups, true).await?;
        journal.append(book, outcomes)?;
        tally.settled = journal.settled();
        progress(tally);
    }
    // What the node did not know is prepared again first, in its old nonce order: signed
    // from the committed nonce, each usually gets back its old nonce.
    let again: BTreeMap<u64, usize> = in_doubt
        .iter()
        .filter(|record| !journal.is_final(**record))
        .enumerate()
        .map(|(position, record)| (*record, position))
        .collect();

    // Classify what is left: skipped, unlinked, or ready to seal.
    let customers = book.customers()?;
    let mut outcomes = Vec::new();
    let mut ready = Vec::new();
    for (index, data) in file.bases.iter().enumerate() {
        let record = File::record_number(index);
        if journal.is_final(record) {
            continue;
        }
        if let Some(error) = report.errors.iter().find(|e| e.record == record) {
            let reason = format!("invalid:{}:{}", error.field, error.rule.code());
            outcomes.push(Entry::Skipped { record, reason });
            continue;
        }
        let base = &data.base;
        let by_ssn = social_security_number(base, file.layout.format)
            .and_then(|ssn| book.consumer(ConsumerIdentifier::Ssn(&ssn)).ok())
            .and_then(|consumer| customers.get(&consumer));
        let by_account = book
            .consumer(ConsumerIdentifier::Account(&account_number(base)))
            .ok()
            .and_then(|consumer| customers.get(&consumer));
        let Some(subject) = by_ssn.or(by_account).copied() else {
            outcomes.push(Entry::Unlinked { record });
            continue;
        };
        ready.push(Ready {
            record,
            subject,
            account: accounts[&record],
            index,
            correction: base.correction_indicator.is("1"),
        });
    }
    journal.append(book, outcomes)?;
    tally.settled = journal.settled();
    progress(tally);
    ready.sort_by_key(|item| again.get(&item.record).copied().unwrap_or(usize::MAX));

    // The book's newest record of each account, for corrections.
    let mut latest = latest_records(book)?;
    let mut report_keys: BTreeMap<SubjectId, ReportKeyView> = BTreeMap::new();
    let mut queue: std::collections::VecDeque<Ready> = ready.into();
    let mut unsettled: Vec<u64> = Vec::new();
    // One window's outcomes are collected while the next window is submitted.
    let mut settling: Option<Settling> = None;
    while !queue.is_empty() {
        let (mut account, _) = session.account(key).await?;
        let mut refused_any = false;
        while !queue.is_empty() && !refused_any {
            let take = options.batch.min(queue.len());
            let chunk: Vec<Ready> = queue.drain(..take).collect();
            if chunk.iter().any(|item| item.correction) {
                // A correction supersedes the account's newest record: know it first.
                finish(&mut settling, book, &mut journal, &mut latest).await?;
            }
            fetch_report_keys(session, &chunk, &mut report_keys).await?;
            let mut prepared = Vec::with_capacity(chunk.len());
            let mut transactions = Vec::with_capacity(chunk.len());
            let mut outcomes = Vec::new();
            let mut sealed = Vec::new();
            for item in chunk {
                match seal(file, &item, &report_keys, &latest, &mut account) {
                    Ok(transaction) => {
                        prepared.push(Entry::Prepared {
                            record: item.record,
                            nonce: transaction.transaction.nonce,
                            hash: transaction.hash(),
                        });
                        transactions.push(transaction);
                        sealed.push(item);
                    }
                    Err(reason) => outcomes.push(Entry::Skipped {
                        record: item.record,
                        reason,
                    }),
                }
            }
            journal.append(book, outcomes)?;
            journal.append(book, prepared)?;
            let answers = submission::submit_all(&node, &transactions, &RetryPolicy::default())
                .await?
                .answers;
            let mut refusals = Vec::new();
            let mut gapped = false;
            for (item, answer) in sealed.into_iter().zip(answers) {
                match answer {
                    Answer::Accepted(_) => {
                        tally.submitted += 1;
                        unsettled.push(item.record);
                        if item.correction {
                            // A later correction of the same account supersedes this one.
                            latest.remove(&item.account);
                        }
                    }
                    // Behind a refusal of the same signer: prepared again in the next round.
                    Answer::Refused { code, .. } if code == "nonce_gap" => {
                        gapped = true;
                        queue.push_back(item);
                    }
                    Answer::Refused { code, .. } => {
                        refusals.push(Entry::Rejected {
                            record: item.record,
                            code,
                        });
                    }
                }
            }
            if !refusals.is_empty() || gapped {
                // Refused transactions consumed no nonce: once what was admitted is final,
                // the rest is signed from the committed nonce.
                refused_any = true;
                journal.append(book, refusals)?;
            }
            progress(tally);
            let drain = refused_any || queue.is_empty();
            if unsettled.len() >= options.window || drain {
                finish(&mut settling, book, &mut journal, &mut latest).await?;
                let lookups = journal.lookups(&accounts, &unsettled);
                unsettled.clear();
                settling = Some(tokio::spawn(settle(node.clone(), signer, lookups, false)));
                if drain {
                    finish(&mut settling, book, &mut journal, &mut latest).await?;
                }
                tally.settled = journal.settled();
                progress(tally);
            }
        }
    }
    finish(&mut settling, book, &mut journal, &mut latest).await?;
    Ok(journal.summary(digest, records))
}

/// Seals and signs `item`, or says why it cannot be.
fn seal(
    file: &File,
    item: &Ready,
    report_keys: &BTreeMap<SubjectId, ReportKeyView>,
    latest: &BTreeMap<Digest, RecordId>,
    account: &mut Account,
) -> Result<SignedTransaction, String> {
    let data = &file.bases[item.index];
    let line =
        tradeline(&data.base, file.layout.format).map_err(|e| format!("unmappable:{}", e.field))?;
    let whole = write_record(data).map_err(|_| "unwritable".to_string())?;
    let supersedes = if item.correction {
        Some(
            *latest
                .get(&item.account)
                .ok_or_else(|| "correction_without_previous".to_string())?,
        )
    } else {
        None
    };
    let key = report_keys
        .get(&item.subject)
        .ok_or_else(|| "subject_unknown".to_string())?;
    let payload = build::furnish_metro2(
        &item.subject,
        &key.report_key,
        key.epoch,
        item.account,
        line,
        Some(whole),
        supersedes,
    )
    .map_err(|_| "too_large_to_seal".to_string())?;
    Ok(account.sign(payload))
}

/// Reads the current report key of every subject of `chunk` not yet known.
async fn fetch_report_keys(
    session: &Session,
    chunk: &[Ready],
    known: &mut BTreeMap<SubjectId, ReportKeyView>,
) -> Result<(), ImportError> {
    let wanted: BTreeSet<SubjectId> = chunk
        .iter()
        .map(|item| item.subject)
        .filter(|subject| !known.contains_key(subject))
        .collect();
    let found: Vec<_> = stream::iter(wanted)
        .map(|subject| async move { (subject, session.report_key(&subject).await) })
        .buffer_unordered(16)
        .collect()
        .await;
    for (subject, answer) in found {
        match answer {
            Ok(view) => {
                known.insert(subject, view);
            }
            // Sealing reports it as `subject_unknown`.
            Err(SessionError::SubjectUnknown(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// The book's newest furnished record of each account reference.
fn latest_records(book: &Book) -> Result<BTreeMap<Digest, RecordId>, BookError> {
    let mut latest = BTreeMap::new();
    for (_, journal) in book.imports()? {
        for entry in &journal {
            note_newest(&mut latest, entry);
        }
    }
    Ok(latest)
}

/// Notes a furnished record as its account's newest if it is.
fn note_newest(latest: &mut BTreeMap<Digest, RecordId>, entry: &Entry) {
    if let Entry::Furnished { id, account, .. } = entry {
        let newest = latest.entry(*account).or_insert(*id);
        *newest = (*newest).max(*id);
    }
}

/// The journal of one import, as read and as appended.
struct Journal {
    file: Digest,
    /// Every hash prepared for each record, with its nonce.
    prepared: BTreeMap<u64, Vec<(u64, Digest)>>,
    /// Each record's outcome.
    outcome: BTreeMap<u64, Entry>,
    /// Records an earlier run had furnished.
    furnished_before: u64,
}

impl Journal {
    fn load(book: &Book, file: Digest) -> Result<Self, BookError> {
        let mut journal = Self {
            file,
            prepared: BTreeMap::new(),
            outcome: BTreeMap::new(),
            furnished_before: 0,
        };
        for entry in book.journal(&file)? {
            journal.note(entry);
        }
        journal.furnished_before = journal
            .outcome
            .values()
            .filter(|e| matches!(e, Entry::Furnished { .. }))
            .count() as u64;
        Ok(journal)
    }

    fn note(&mut self, entry: Entry) {
        match entry {
            Entry::Prepared {
                record,
                nonce,
                hash,
            } => self.prepared.entry(record).or_default().push((nonce, hash)),
            // The first outcome of a record stands (a record is settled once).
            other => {
                self.outcome.entry(other.record()).or_insert(other);
            }
        }
    }

    fn append(&mut self, book: &Book, entries: Vec<Entry>) -> Result<(), BookError> {
        book.record(&self.file, &entries)?;
        for entry in entries {
            self.note(entry);
        }
        Ok(())
    }

    /// What settling `records` looks up.
    fn lookups(&self, accounts: &BTreeMap<u64, Digest>, records: &[u64]) -> Vec<Lookup> {
        records
            .iter()
            .map(|record| {
                let prepared = self.prepared.get(record).map_or(&[][..], Vec::as_slice);
                Lookup {
                    record: *record,
                    account: accounts.get(record).copied().unwrap_or_default(),
                    hashes: prepared.iter().map(|(_, hash)| *hash).collect(),
                    newest_nonce: prepared.iter().map(|(nonce, _)| *nonce).max().unwrap_or(0),
                }
            })
            .collect()
    }

    fn is_final(&self, record: u64) -> bool {
        self.outcome.contains_key(&record)
    }

    fn settled(&self) -> u64 {
        self.outcome.len() as u64
    }

    /// Records prepared but with no outcome, in nonce order.
    fn in_doubt(&self) -> Vec<u64> {
        let mut records: Vec<(u64, u64)> = self
            .prepared
            .iter()
            .filter(|(record, _)| !self.is_final(**record))
            .filter_map(|(record, hashes)| hashes.last().map(|(nonce, _)| (*nonce, *record)))
            .collect();
        records.sort_unstable();
        records.into_iter().map(|(_, record)| record).collect()
    }

    fn summary(&self, file: Digest, records: u64) -> Summary {
        let mut summary = Summary {
            file,
            records,
            furnished_before: self.furnished_before,
            ..Summary::default()
        };
        for (record, entry) in &self.outcome {
            match entry {
                Entry::Furnished { id, .. } => summary.furnished.push((*record, *id)),
                Entry::Skipped { reason, .. } => summary.skipped.push((*record, reason.clone())),
                Entry::Unlinked { .. } => summary.unlinked.push(*record),
                Entry::Rejected { code, .. } => summary.rejected.push((*record, code.clone())),
                Entry::Prepared { .. } => {}
            }
        }
        summary
    }
}

/// What the node says of one transaction.
enum Known {
    Final(Entry),
    Pending,
    Unknown,
}

/// A window of records being settled in the background.
type Settling = tokio::task::JoinHandle<Result<Vec<Entry>, ImportError>>;

/// Waits for the window being settled, if any, journals its outcomes and notes the newest
/// record of each account it furnished.
async fn finish(
    settling: &mut Option<Settling>,
    book: &Book,
    journal: &mut Journal,
    latest: &mut BTreeMap<Digest, RecordId>,
) -> Result<(), ImportError> {
    if let Some(task) = settling.take() {
        let outcomes = task.await.map_err(|_| ImportError::Unexpected(0))??;
        for entry in &outcomes {
            note_newest(latest, entry);
        }
        journal.append(book, outcomes)?;
    }
    Ok(())
}

/// One record to settle: its account reference and every transaction prepared for it.
struct Lookup {
    record: u64,
    account: Digest,
    hashes: Vec<Digest>,
    newest_nonce: u64,
}

/// The outcomes of `lookups`: each record's transactions looked up by hash, a final one
/// giving the record its outcome. With `resume`, records whose transactions the node does not
/// know get none (they are prepared again); otherwise every record waits until one of its
/// transactions is final.
async fn settle(
    node: crate::NodeClient,
    signer: PublicKey,
    lookups: Vec<Lookup>,
    resume: bool,
) -> Result<Vec<Entry>, ImportError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    if !resume {
        // Everything admitted is final once the signer's committed nonce reaches the newest:
        // wait for that with one request a poll, not one a record.
        let newest = lookups.iter().map(|l| l.newest_nonce).max().unwrap_or(0);
        let mut poll = Duration::from_millis(50);
        loop {
            let committed = node.account(&signer).await?.map_or(0, |view| view.nonce);
            if committed >= newest || std::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(poll).await;
            poll = (poll * 2).min(Duration::from_millis(400));
        }
    }
    let mut outcomes = Vec::with_capacity(lookups.len());
    let mut waiting = lookups;
    let mut patience = Duration::from_millis(100);
    loop {
        let node = &node;
        let answers: Vec<Result<(Lookup, Known), ImportError>> = stream::iter(waiting)
            .map(|lookup| async move {
                let known = look_up(node, lookup.record, lookup.account, &lookup.hashes).await?;
                Ok((lookup, known))
            })
            .buffer_unordered(64)
            .collect()
            .await;
        let mut still = Vec::new();
        for answer in answers {
            match answer? {
                (_, Known::Final(entry)) => outcomes.push(entry),
                (lookup, Known::Pending) => still.push(lookup),
                (lookup, Known::Unknown) if !resume => still.push(lookup),
                (_, Known::Unknown) => {}
            }
        }
        if still.is_empty() {
            break;
        }
        if std::time::Instant::now() >= deadline {
            let hash = still[0].hashes.last().copied().unwrap_or_default();
            return Err(ClientError::Timeout(hash).into());
        }
        tokio::time::sleep(patience).await;
        patience = (patience * 2).min(Duration::from_secs(2));
        waiting = still;
    }
    outcomes.sort_by_key(Entry::record);
    Ok(outcomes)
}

/// Looks up every transaction prepared for `record`.
async fn look_up(
    node: &crate::NodeClient,
    record: u64,
    account: Digest,
    hashes: &[Digest],
) -> Result<Known, ImportError> {
    let furnished = |hash: &Digest, events: Vec<credence_types::api::StreamedEvent>| {
        events.into_iter().find_map(|e| match e.event {
            Event::RecordFurnished {
                record: id,
                subject,
                ..
            } => Some(Entry::Furnished {
                record,
                hash: *hash,
                id,
                subject,
                account,
            }),
            _ => None,
        })
    };
    let mut pending = false;
    for hash in hashes {
        // A furnishing that applied has its event: one request settles the usual case.
        if let Ok(events) = node.transaction_events(hash).await
            && let Some(entry) = furnished(hash, events)
        {
            return Ok(Known::Final(entry));
        }
        match node.transaction(hash).await {
            Ok(TransactionStatus::Finalized { outcome, .. }) => {
                let entry = match outcome {
                    Outcome::Rejected(rejection) => Entry::Rejected {
                        record,
                        code: rejection.code().to_string(),
                    },
                    Outcome::Applied => {
                        let events = node.transaction_events(hash).await?;
                        furnished(hash, events).ok_or(ImportError::Unexpected(record))?
                    }
                };
                return Ok(Known::Final(entry));
            }
            Ok(TransactionStatus::Pending) => pending = true,
            Err(ClientError::Refused { status: 404, .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(if pending {
        Known::Pending
    } else {
        Known::Unknown
    })
}
