//! The lender console's Metro 2 upload: a month's file imported as the institution, as
//! `credence furnish --metro2` imports one (`credence_client::furnishing::import`), through
//! the node's own book (`book/` in its data directory: the customer map `credence subject
//! link --book` writes, and each import's journal).
//!
//! - `POST /console/api/imports[?strict=true]`: the file's bytes as the body (character or
//!   packed Metro 2, at most [`UPLOAD_BYTES_MAX`]). A file the reader refuses is a 422
//!   `metro2_unreadable` at once; otherwise the import starts in the background and the
//!   answer (202) is its id, the file's digest, with the field error report. Uploading the
//!   same file again resumes the same import (or returns the one running).
//! - `GET /console/api/imports/{id}`: its progress, then its summary (furnished, skipped with
//!   reasons, unlinked, rejected) or why it stopped. An import started before the node last
//!   restarted is read back from the book's journal: done, or interrupted (uploading the same
//!   file resumes it).
//!
//! Nothing returned names a field's value: errors say record, segment, field and rule.

use crate::operator::{Refusal, Shared, unread};
use axum::{
    Json,
    body::Bytes,
    extract::{
        Path, Query, State,
        rejection::{BytesRejection, QueryRejection},
    },
    http::StatusCode,
};
use credence_client::furnishing::{
    book::Book,
    import::{ImportError, Options, Progress, Summary, file_digest, import, journaled},
};
use credence_types::{ApiErrorCode, Digest, RecordId};
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, PoisonError},
};

/// Largest Metro 2 file the console accepts: 100,000 accounts with room for segments.
pub const UPLOAD_BYTES_MAX: usize = 128 << 20;

/// The imports started since the node started, by id.
#[derive(Default)]
pub struct Imports(Mutex<BTreeMap<Digest, ImportView>>);

impl Imports {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<Digest, ImportView>) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A field error, as the console shows it: where and which rule, never the value.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FieldProblem {
    /// 1-based record number (the header is record 1).
    pub record: u64,
    /// The segment.
    pub segment: String,
    /// The field's name.
    pub field: &'static str,
    /// The field's CDIA number.
    pub field_number: &'static str,
    /// The rule's stable code.
    pub rule: &'static str,
}

/// An import as `GET /console/api/imports/{id}` shows it.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ImportView {
    /// The file's digest.
    pub id: String,
    /// `running`, `done` or `failed`.
    pub state: &'static str,
    /// Data records in the file.
    pub records: u64,
    /// Records submitted by this run.
    pub submitted: u64,
    /// Records with an outcome (this run's and earlier runs').
    pub settled: u64,
    /// The file's field errors.
    pub errors: Vec<FieldProblem>,
    /// Once done: records furnished, as (record number, ledger record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub furnished: Option<Vec<(u64, RecordId)>>,
    /// Once done: how many of those an earlier run had furnished.
    pub furnished_before: u64,
    /// Once done: records skipped, with the reason code.
    pub skipped: Vec<(u64, String)>,
    /// Once done: records whose consumer the book does not link.
    pub unlinked: Vec<u64>,
    /// Once done: records rejected, with the code.
    pub rejected: Vec<(u64, String)>,
    /// Once failed: why (a code and a message, no value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl ImportView {
    fn progress(&mut self, progress: Progress) {
        self.records = progress.records;
        self.submitted = progress.submitted;
        self.settled = progress.settled;
    }

    /// An import a process before this one ran, as its journal left it: `done` when every
    /// record has an outcome, else `failed` (interrupted: uploading the file again resumes it).
    fn from_journal(summary: Summary, complete: bool) -> Self {
        let mut view = Self {
            id: summary.file.to_string(),
            records: summary.records,
            ..Self::default()
        };
        if complete {
            view.done(summary);
        } else {
            view.state = "failed";
            view.settled = u64::try_from(
                summary.furnished.len()
                    + summary.skipped.len()
                    + summary.unlinked.len()
                    + summary.rejected.len(),
            )
            .unwrap_or(u64::MAX);
            view.failure = Some(
                "interrupted before every record was settled (the node restarted): upload the same file to resume it"
                    .to_string(),
            );
        }
        view
    }

    fn done(&mut self, summary: Summary) {
        self.state = "done";
        self.settled = self.records;
        self.furnished = Some(summary.furnished);
        self.furnished_before = summary.furnished_before;
        self.skipped = summary.skipped;
        self.unlinked = summary.unlinked;
        self.rejected = summary.rejected;
    }
}

/// `?strict=true`: refuse the whole file if any record has a field error.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    #[serde(default)]
    strict: bool,
}

/// `POST /console/api/imports`.
pub async fn upload(
    State(console): State<Shared>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ImportView>), Refusal> {
    let Query(query) =
        query.map_err(|e| Refusal::new(ApiErrorCode::QueryMalformed, e.body_text()))?;
    let bytes = body.map_err(unread)?;
    let file = credence_metro2::read(&bytes)
        .map_err(|e| Refusal::new(ApiErrorCode::Metro2Unreadable, e.to_string()))?;
    let errors = credence_metro2::validate(&file)
        .errors
        .into_iter()
        .map(|e| FieldProblem {
            record: e.record,
            segment: format!("{:?}", e.segment),
            field: e.field,
            field_number: e.field_number,
            rule: e.rule.code(),
        })
        .collect();
    let id = file_digest(&bytes);
    let view = ImportView {
        id: id.to_string(),
        state: "running",
        records: u64::try_from(file.bases.len()).unwrap_or(u64::MAX),
        errors,
        ..ImportView::default()
    };
    // The same file running already: its import, not a second one.
    let running = console.imports.with(|imports| match imports.get(&id) {
        Some(running) if running.state == "running" => Some(running.clone()),
        _ => {
            imports.insert(id, view.clone());
            None
        }
    });
    if let Some(running) = running {
        return Ok((StatusCode::ACCEPTED, Json(running)));
    }
    let options = Options {
        strict: query.strict,
        ..Options::default()
    };
    let task = Arc::clone(&console);
    tokio::spawn(async move {
        let outcome = match Book::open(&task.book, &task.keys.encryption) {
            Ok(book) => {
                let tracker = Arc::clone(&task);
                let mut progress = move |p: Progress| {
                    tracker.imports.with(|imports| {
                        if let Some(view) = imports.get_mut(&id) {
                            view.progress(p);
                        }
                    });
                };
                import(
                    &task.session,
                    &task.keys,
                    &book,
                    &file,
                    id,
                    &options,
                    &mut progress,
                )
                .await
            }
            Err(error) => Err(ImportError::Book(error)),
        };
        task.imports.with(|imports| {
            let Some(view) = imports.get_mut(&id) else {
                return;
            };
            match outcome {
                Ok(summary) => view.done(summary),
                Err(error) => {
                    tracing::warn!(import = %id, error = %error, "console: a Metro 2 import stopped");
                    view.state = "failed";
                    view.failure = Some(match error {
                        ImportError::Strict(report) => format!(
                            "strict: {} field error(s); nothing was submitted",
                            report.errors.len()
                        ),
                        other => other.to_string(),
                    });
                }
            }
        });
    });
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// `GET /console/api/imports/{id}`.
pub async fn status(
    State(console): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<ImportView>, Refusal> {
    let unknown = || {
        Refusal::new(
            ApiErrorCode::ImportUnknown,
            "no such import on this console",
        )
    };
    let id: Digest = id.parse().map_err(|_| unknown())?;
    if let Some(view) = console.imports.with(|imports| imports.get(&id).cloned()) {
        return Ok(Json(view));
    }
    // Started before this process: what the book's journal says (once read, kept).
    let task = Arc::clone(&console);
    let found = tokio::task::spawn_blocking(move || {
        let book = Book::open(&task.book, &task.keys.encryption).map_err(ImportError::Book)?;
        journaled(&book, id)
    })
    .await
    .map_err(|_| unknown())?;
    let view = match found {
        Ok(Some((summary, complete))) => ImportView::from_journal(summary, complete),
        Ok(None) => return Err(unknown()),
        Err(error) => {
            tracing::warn!(import = %id, error = %error, "console: an import's journal is unreadable");
            return Err(Refusal::new(
                ApiErrorCode::ImportUnknown,
                "this import's journal in the book cannot be read",
            ));
        }
    };
    console.imports.with(|imports| {
        imports.entry(id).or_insert_with(|| view.clone());
    });
    Ok(Json(view))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Summary {
        Summary {
            file: Digest([5; 32]),
            records: 4,
            furnished: vec![(2, RecordId(7))],
            furnished_before: 1,
            skipped: vec![(3, "invalid:account_status:code".to_string())],
            unlinked: vec![4],
            rejected: Vec::new(),
        }
    }

    #[test]
    fn an_import_from_before_a_restart_shows_as_its_journal_left_it() {
        let done = ImportView::from_journal(summary(), true);
        assert_eq!((done.state, done.settled, done.records), ("done", 4, 4));
        assert_eq!(done.furnished, Some(vec![(2, RecordId(7))]));
        let interrupted = ImportView::from_journal(summary(), false);
        assert_eq!((interrupted.state, interrupted.settled), ("failed", 3));
        assert!(
            interrupted
                .failure
                .is_some_and(|why| why.contains("upload the same file"))
        );
    }
}
