//! Writing the furnished book out as a Metro 2 file, for the legacy bureaus.
//!
//! For every account the book furnished, its newest record in the book is looked up on the
//! ledger and written as the data record it was imported from, with a header (the newest
//! import's) and a recomputed trailer, in the character format. The ledger decides the
//! compliance condition code (field 20): `XB` while a dispute of the record is open, `XH`
//! once a dispute of it was resolved or when the ledger set `XH` on it (the account was
//! disputed before). A record the ledger no longer reports is left out, with the reason: a
//! deleted account, or a record superseded by one the book does not hold (a dispute's
//! corrected answer, or a record furnished one at a time).

use super::book::{Book, BookError, Entry};
use crate::{ClientError, Session, SessionError};
use credence_crypto::KeyFile;
use credence_metro2::{File, Layout, Text, read, recompute_trailer, write};
use credence_types::{
    Digest, RecordId,
    api::Entry as StateEntry,
    metro2::ComplianceCondition,
    state::{Dispute, Record},
};
use std::collections::BTreeMap;

/// The exported file and what was left out of it.
#[derive(Clone, Debug, Default)]
pub struct Exported {
    /// The Metro 2 file (character format).
    pub bytes: Vec<u8>,
    /// Data records written.
    pub records: u64,
    /// Records left out: (ledger record, reason code).
    pub left_out: Vec<(RecordId, &'static str)>,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The book could not be read.
    #[error(transparent)]
    Book(#[from] BookError),
    /// The node could not be reached, or refused a read.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The book has furnished nothing.
    #[error("the book has furnished nothing yet")]
    Empty,
    /// A file the book kept no longer reads or writes as Metro 2.
    #[error("the book's copy of an imported file is damaged: {0}")]
    Damaged(String),
}

impl From<ClientError> for ExportError {
    fn from(error: ClientError) -> Self {
        Self::Session(error.into())
    }
}

/// Where a furnished record came from.
#[derive(Clone, Copy)]
struct Source {
    id: RecordId,
    file: Digest,
    record: u64,
}

/// Exports what `key`'s furnisher furnished through `book`.
pub async fn export(
    session: &Session,
    key: &KeyFile,
    book: &Book,
) -> Result<Exported, ExportError> {
    let mut newest: BTreeMap<Digest, Source> = BTreeMap::new();
    for (file, journal) in book.imports()? {
        for entry in journal {
            if let Entry::Furnished {
                id,
                account,
                record,
                ..
            } = entry
                && newest.get(&account).is_none_or(|kept| kept.id < id)
            {
                newest.insert(account, Source { id, file, record });
            }
        }
    }
    let mut sources: Vec<Source> = newest.into_values().collect();
    sources.sort_by_key(|source| source.id);
    let Some(last) = sources.iter().max_by_key(|s| s.id).copied() else {
        return Err(ExportError::Empty);
    };

    let mut resolved: BTreeMap<RecordId, bool> = BTreeMap::new();
    for dispute in session.disputes_received(key).await? {
        let Dispute {
            record, resolution, ..
        } = dispute;
        *resolved.entry(record).or_default() |= resolution.is_some();
    }

    let node = session.node_as(key);
    let mut files: BTreeMap<Digest, File> = BTreeMap::new();
    let mut out = Exported::default();
    let mut bases = Vec::with_capacity(sources.len());
    for source in &sources {
        let entry: StateEntry<Record> = node.entry(&format!("records/{}", source.id.0)).await?;
        let Some(record) = entry.value else {
            out.left_out.push((source.id, "not_on_ledger"));
            continue;
        };
        if record.deleted {
            out.left_out.push((source.id, "deleted"));
            continue;
        }
        if record.superseded_by.is_some() {
            out.left_out.push((source.id, "superseded_outside_book"));
            continue;
        }
        let file = match files.get(&source.file) {
            Some(file) => file,
            None => {
                let bytes = book.source(&source.file)?;
                let file = read(&bytes).map_err(|e| ExportError::Damaged(e.to_string()))?;
                files.entry(source.file).or_insert(file)
            }
        };
        let index = usize::try_from(source.record.saturating_sub(2)).unwrap_or(usize::MAX);
        let Some(data) = file.bases.get(index) else {
            return Err(ExportError::Damaged(format!(
                "record {} is not in its file",
                source.record
            )));
        };
        let mut data = data.clone();
        let condition = if record.open_dispute.is_some() {
            Some(ComplianceCondition::Xb)
        } else if resolved.get(&record.id).copied().unwrap_or(false) {
            Some(ComplianceCondition::Xh)
        } else {
            record.compliance.map(|c| c.code)
        };
        if let Some(condition) = condition {
            data.base.compliance_condition_code =
                Text::from_bytes(condition.code().as_bytes()).unwrap_or_default();
        }
        // A record written out again is not a correction of the one the bureau holds.
        data.base.correction_indicator = Text::from_bytes(b"0").unwrap_or_default();
        data.framing = Default::default();
        bases.push(data);
    }
    let header_file = match files.get(&last.file) {
        Some(file) => file.clone(),
        None => read(&book.source(&last.file)?).map_err(|e| ExportError::Damaged(e.to_string()))?,
    };
    let mut exported = File {
        layout: Layout::character_fixed(),
        header: header_file.header,
        bases,
        ..File::default()
    };
    recompute_trailer(&mut exported);
    out.records = exported.bases.len() as u64;
    out.bytes = write(&exported).map_err(|e| ExportError::Damaged(e.to_string()))?;
    Ok(out)
}
