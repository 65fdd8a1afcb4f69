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
//! **Pipelined.** One furnisher's throughput is what it keeps in flight over the time to
//! finality, and the node lets a signer keep at most its nonce window in flight. So the next
//! batch is sealed on a blocking thread while this one is submitted; each submitted batch is
//! settled by a background task, in order (it waits for the signer's committed nonce to pass
//! the batch, then looks the batch up in one `POST /v1/transactions/lookup`); and a batch
//! waits before submission only while [`Options::in_flight`] records are unsettled.
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
use credence_metro2::{BaseRecord, ErrorReport, File, Format, validate, write, write_record};
use credence_types::{
    Digest, Payload, PublicKey, RecordId, SignedTransaction, SubjectId,
    api::{LOOKUP_HASHES_MAX, ReportKeyView, TransactionLookup},
    receipt::{Event, Outcome},
};
use futures::{StreamExt as _, stream};
use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    time::Duration,
};

/// How an import runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Refuse the whole file if any record has a field error.
    pub strict: bool,
    /// Records signed and submitted together; each batch is then settled as one.
    pub batch: usize,
    /// Most records submitted and not yet known final. Keep it within the node's nonce
    /// window (`mempool.nonce_window`, 4,096 by default), past which the node answers 429:
    /// one signer's throughput is this over the time to finality, so the import keeps as
    /// close to it as it safely can.
    pub in_flight: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            strict: false,
            batch: 512,
            in_flight: 3_584,
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
    let mut queue: VecDeque<Ready> = ready.into();
    // Each submitted batch is settled in the background, in order, while more are submitted.
    let mut settler = Settler::start(node.clone(), signer);
    while !queue.is_empty() {
        let (account, _) = session.account(key).await?;
        // The signer's account passes from one sealing task to the next, which signs on
        // from where the last stopped.
        let mut account = Some(account);
        // The next chunk, sealing on a blocking thread while this one is submitted.
        let mut next: Option<tokio::task::JoinHandle<Sealed>> = None;
        let mut refused_any = false;
        while (!queue.is_empty() || next.is_some()) && !refused_any {
            let chunk = match next.take() {
                Some(task) => task.await.map_err(|_| ImportError::Unexpected(0))?,
                None => {
                    let chunk = take(&mut queue, options.batch);
                    if chunk.iter().any(|item| item.correction) {
                        // A correction supersedes the account's newest record: know it first.
                        settler.collect_all(book, &mut journal, &mut latest).await?;
                    }
                    let signer = account.take().ok_or(ImportError::Unexpected(0))?;
                    start_sealing(session, file, chunk, &mut report_keys, &latest, signer)
                        .await?
                        .await
                        .map_err(|_| ImportError::Unexpected(0))?
                }
            };
            let Sealed {
                items,
                transactions,
                skipped,
                account: after,
            } = chunk;
            let prepared: Vec<Entry> = items
                .iter()
                .zip(&transactions)
                .map(|(item, transaction)| Entry::Prepared {
                    record: item.record,
                    nonce: transaction.transaction.nonce,
                    hash: transaction.hash(),
                })
                .collect();
            journal.append(book, skipped)?;
            journal.append(book, prepared)?;
            // Seal the next chunk meanwhile, unless it holds a correction, which must wait
            // for what this one furnishes.
            let upcoming = queue.len().min(options.batch);
            if upcoming > 0 && !queue.iter().take(upcoming).any(|item| item.correction) {
                let chunk = take(&mut queue, options.batch);
                next = Some(
                    start_sealing(session, file, chunk, &mut report_keys, &latest, after).await?,
                );
            } else {
                account = Some(after);
            }
            // Within the node's nonce window: what is in flight settles first.
            while settler.in_flight + transactions.len() > options.in_flight.max(options.batch)
                && settler.windows > 0
            {
                settler.collect(book, &mut journal, &mut latest).await?;
                tally.settled = journal.settled();
                progress(tally);
            }
            let answers = submission::submit_all(&node, &transactions, &RetryPolicy::default())
                .await?
                .answers;
            let mut refusals = Vec::new();
            let mut gapped = Vec::new();
            let mut accepted = Vec::with_capacity(answers.len());
            for (item, answer) in items.into_iter().zip(answers) {
                match answer {
                    Answer::Accepted(_) => {
                        tally.submitted += 1;
                        accepted.push(item.record);
                        if item.correction {
                            // A later correction of the same account supersedes this one.
                            latest.remove(&item.account);
                        }
                    }
                    // Behind a refusal of the same signer: prepared again in the next round.
                    Answer::Refused { code, .. } if code == "nonce_gap" => gapped.push(item),
                    Answer::Refused { code, .. } => {
                        refusals.push(Entry::Rejected {
                            record: item.record,
                            code,
                        });
                    }
                }
            }
            if !refusals.is_empty() || !gapped.is_empty() {
                // Refused transactions consumed no nonce: once what was admitted is final,
                // the rest is signed from the committed nonce. A chunk sealed meanwhile was
                // journaled for nothing yet: its records go back to the front of the queue
                // (what sealing skipped is final either way), behind this batch's gapped
                // ones, so the file's order (a correction after what it corrects) holds.
                refused_any = true;
                journal.append(book, refusals)?;
                let mut again = gapped;
                if let Some(task) = next.take() {
                    let discarded = task.await.map_err(|_| ImportError::Unexpected(0))?;
                    journal.append(book, discarded.skipped)?;
                    again.extend(discarded.items);
                }
                for item in again.into_iter().rev() {
                    queue.push_front(item);
                }
            }
            settler.hand_over(journal.lookups(&accounts, &accepted));
            progress(tally);
            if refused_any {
                // Everything admitted final before signing on from the committed nonce.
                settler.collect_all(book, &mut journal, &mut latest).await?;
                tally.settled = journal.settled();
                progress(tally);
            }
        }
    }
    settler.collect_all(book, &mut journal, &mut latest).await?;
    Ok(journal.summary(digest, records))
}

/// Starts sealing `chunk` on a blocking thread, signing on from `account`, once the report
/// keys of its subjects are known.
async fn start_sealing(
    session: &Session,
    file: &File,
    chunk: Vec<Ready>,
    report_keys: &mut BTreeMap<SubjectId, ReportKeyView>,
    latest: &BTreeMap<Digest, RecordId>,
    account: Account,
) -> Result<tokio::task::JoinHandle<Sealed>, ImportError> {
    fetch_report_keys(session, &chunk, report_keys).await?;
    let jobs = to_seal(file, chunk, report_keys, latest);
    Ok(tokio::task::spawn_blocking(move || seal_all(jobs, account)))
}

/// Takes up to `batch` records off the front of the queue.
fn take(queue: &mut VecDeque<Ready>, batch: usize) -> Vec<Ready> {
    let count = batch.min(queue.len());
    queue.drain(..count).collect()
}

/// One record to seal, with all it needs owned: chunks seal on a blocking thread.
struct ToSeal {
    item: Ready,
    data: BaseRecord,
    format: Format,
    key: Option<ReportKeyView>,
    supersedes: Option<Option<RecordId>>,
}

/// A chunk sealed and signed: the records and their transactions, in nonce order; what could
/// not be sealed, with why; and the account, its nonce past the last signed.
struct Sealed {
    items: Vec<Ready>,
    transactions: Vec<SignedTransaction>,
    skipped: Vec<Entry>,
    account: Account,
}

/// What sealing `chunk` needs from the file, the report keys known and the book's newest
/// records (for corrections; `None` when the account has none).
fn to_seal(
    file: &File,
    chunk: Vec<Ready>,
    report_keys: &BTreeMap<SubjectId, ReportKeyView>,
    latest: &BTreeMap<Digest, RecordId>,
) -> Vec<ToSeal> {
    chunk
        .into_iter()
        .map(|item| ToSeal {
            data: file.bases[item.index].clone(),
            format: file.layout.format,
            key: report_keys.get(&item.subject).cloned(),
            supersedes: if item.correction {
                latest.get(&item.account).copied().map(Some)
            } else {
                Some(None)
            },
            item,
        })
        .collect()
}

/// What the book knows of the import of the file with digest `file`, as a later process
/// (a restarted console) reads it: the file's record count (from the book's sealed copy)
/// and the summary of the outcomes journaled so far, and whether every record has one.
/// `None` when the book holds no such import.
pub fn journaled(book: &Book, file: Digest) -> Result<Option<(Summary, bool)>, ImportError> {
    if !book.has_import(&file) {
        return Ok(None);
    }
    let source = book.source(&file)?;
    let records = credence_metro2::read(&source)
        .map(|read| u64::try_from(read.bases.len()).unwrap_or(u64::MAX))
        .map_err(|_| BookError::Damaged(file))?;
    let journal = Journal::load(book, file)?;
    let complete = journal.settled() >= records;
    Ok(Some((journal.summary(file, records), complete)))
}

/// Seals and signs every record of a chunk in order (the CPU of an import: HPKE and
/// Ed25519), or says why one cannot be sealed.
fn seal_all(jobs: Vec<ToSeal>, mut account: Account) -> Sealed {
    let mut sealed = Sealed {
        items: Vec::with_capacity(jobs.len()),
        transactions: Vec::with_capacity(jobs.len()),
        skipped: Vec::new(),
        account: account.clone(),
    };
    for job in jobs {
        match seal(&job) {
            Ok(payload) => {
                sealed.transactions.push(account.sign(payload));
                sealed.items.push(job.item);
            }
            Err(reason) => sealed.skipped.push(Entry::Skipped {
                record: job.item.record,
                reason,
            }),
        }
    }
    sealed.account = account;
    sealed
}

/// The furnishing payload of one record, or why it cannot be made.
fn seal(job: &ToSeal) -> Result<Payload, String> {
    let line =
        tradeline(&job.data.base, job.format).map_err(|e| format!("unmappable:{}", e.field))?;
    let whole = write_record(&job.data).map_err(|_| "unwritable".to_string())?;
    let supersedes = job
        .supersedes
        .ok_or_else(|| "correction_without_previous".to_string())?;
    let key = job
        .key
        .as_ref()
        .ok_or_else(|| "subject_unknown".to_string())?;
    build::furnish_metro2(
        &job.item.subject,
        &key.report_key,
        key.epoch,
        job.item.account,
        line,
        Some(whole),
        supersedes,
    )
    .map_err(|_| "too_large_to_seal".to_string())
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

/// Batches of submitted records settled in order by a background task while more are
/// submitted: the import's view of what it has in flight.
struct Settler {
    batches: tokio::sync::mpsc::UnboundedSender<Vec<Lookup>>,
    outcomes: tokio::sync::mpsc::UnboundedReceiver<Result<Vec<Entry>, ImportError>>,
    /// Records handed over whose outcomes have not come back.
    in_flight: usize,
    /// Batches handed over whose outcomes have not come back.
    windows: usize,
}

impl Settler {
    fn start(node: crate::NodeClient, signer: PublicKey) -> Self {
        let (batches, mut to_settle) = tokio::sync::mpsc::unbounded_channel::<Vec<Lookup>>();
        let (settled, outcomes) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(lookups) = to_settle.recv().await {
                let outcome = settle(node.clone(), signer, lookups, false).await;
                let failed = outcome.is_err();
                if settled.send(outcome).is_err() || failed {
                    break;
                }
            }
        });
        Self {
            batches,
            outcomes,
            in_flight: 0,
            windows: 0,
        }
    }

    /// Hands a submitted batch over to be settled.
    fn hand_over(&mut self, lookups: Vec<Lookup>) {
        if lookups.is_empty() {
            return;
        }
        self.in_flight += lookups.len();
        self.windows += 1;
        // The task only stops after sending a failure, which `collect` then reports.
        let _ = self.batches.send(lookups);
    }

    /// Waits for the oldest batch handed over, journals its outcomes and notes the newest
    /// record of each account it furnished.
    async fn collect(
        &mut self,
        book: &Book,
        journal: &mut Journal,
        latest: &mut BTreeMap<Digest, RecordId>,
    ) -> Result<(), ImportError> {
        let outcomes = self
            .outcomes
            .recv()
            .await
            .ok_or(ImportError::Unexpected(0))??;
        self.windows -= 1;
        self.in_flight = self.in_flight.saturating_sub(outcomes.len());
        for entry in &outcomes {
            note_newest(latest, entry);
        }
        journal.append(book, outcomes)?;
        Ok(())
    }

    /// Waits for every batch handed over.
    async fn collect_all(
        &mut self,
        book: &Book,
        journal: &mut Journal,
        latest: &mut BTreeMap<Digest, RecordId>,
    ) -> Result<(), ImportError> {
        while self.windows > 0 {
            self.collect(book, journal, latest).await?;
        }
        self.in_flight = 0;
        Ok(())
    }
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
        // Polled often: the batch behind waits on this one, and the import's throughput is
        // what it keeps in flight over the time to finality, this wait included.
        loop {
            let committed = node.account(&signer).await?.map_or(0, |view| view.nonce);
            if committed >= newest || std::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let mut outcomes = Vec::with_capacity(lookups.len());
    let mut waiting = lookups;
    let mut patience = Duration::from_millis(100);
    loop {
        let mut still = Vec::new();
        for group in chunk_by_hashes(waiting) {
            let hashes: Vec<Digest> = group
                .iter()
                .flat_map(|l| l.hashes.iter().copied())
                .collect();
            let mut answers = node.lookup(&hashes).await?.into_iter();
            for lookup in group {
                let known: Vec<(Digest, TransactionLookup)> = lookup
                    .hashes
                    .iter()
                    .map(|hash| (*hash, answers.next().unwrap_or(TransactionLookup::Unknown)))
                    .collect();
                match known_of(lookup.record, lookup.account, known)? {
                    Known::Final(entry) => outcomes.push(entry),
                    Known::Pending => still.push(lookup),
                    Known::Unknown if !resume => still.push(lookup),
                    Known::Unknown => {}
                }
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

/// `lookups` in groups whose hashes fit one lookup request.
fn chunk_by_hashes(lookups: Vec<Lookup>) -> Vec<Vec<Lookup>> {
    let mut groups: Vec<Vec<Lookup>> = Vec::new();
    let mut hashes = 0;
    for lookup in lookups {
        let count = lookup.hashes.len();
        if groups.is_empty() || hashes + count > LOOKUP_HASHES_MAX {
            groups.push(Vec::new());
            hashes = 0;
        }
        hashes += count;
        if let Some(group) = groups.last_mut() {
            group.push(lookup);
        }
    }
    groups
}

/// What became of `record`, from what the node knows of each transaction prepared for it: a
/// final one gives the record its outcome (at most one of them can apply: they share the
/// record's place in the journal, and only one is ever in flight).
fn known_of(
    record: u64,
    account: Digest,
    known: Vec<(Digest, TransactionLookup)>,
) -> Result<Known, ImportError> {
    let mut pending = false;
    for (hash, lookup) in known {
        match lookup {
            TransactionLookup::Finalized {
                outcome: Outcome::Rejected(rejection),
                ..
            } => {
                return Ok(Known::Final(Entry::Rejected {
                    record,
                    code: rejection.code().to_string(),
                }));
            }
            TransactionLookup::Finalized {
                outcome: Outcome::Applied,
                events,
                ..
            } => {
                let furnished = events.into_iter().find_map(|e| match e.event {
                    Event::RecordFurnished {
                        record: id,
                        subject,
                        ..
                    } => Some(Entry::Furnished {
                        record,
                        hash,
                        id,
                        subject,
                        account,
                    }),
                    _ => None,
                });
                return furnished
                    .map(Known::Final)
                    .ok_or(ImportError::Unexpected(record));
            }
            TransactionLookup::Pending => pending = true,
            TransactionLookup::Unknown => {}
        }
    }
    Ok(if pending {
        Known::Pending
    } else {
        Known::Unknown
    })
}
