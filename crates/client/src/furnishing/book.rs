//! The furnisher's book: what a furnisher keeps on its own disk, never on the ledger.
//!
//! A directory holding
//!
//! - `customers.jsonl`, the customer map: which pseudonym each of its consumers registered
//!   under, written when the furnisher does KYC (`credence subject link`). A consumer is
//!   keyed by a digest of its identifier (social security number or account number) salted
//!   with the furnisher's secret, so the map holds no identifier in clear and cannot be
//!   reversed from a list of identifiers without the furnisher's key;
//! - `imports/<digest>.m2.sealed`, each imported Metro 2 file as it was read (the furnisher's
//!   own data, kept so that `credence export --metro2` can write its records out again),
//!   sealed to the furnisher's own encryption key: the file names every consumer by social
//!   security number and account, and record numbers in the journal name their pseudonyms,
//!   so a clear copy would let whoever copies the directory link the two; and
//!   `imports/<digest>.jsonl`, that import's journal: for each record number, the
//!   transactions prepared for it (nonce and hash, written and synced *before* they are
//!   submitted) and its outcome. A resumed import reads the journal and furnishes nothing
//!   twice (see [`super::import`]).
//!
//! Both are append-only JSON lines, synced after every append. A line cut short by a crash
//! is the only damage a crash can do; it is dropped (and cut off the file) when the log is
//! next read, which loses nothing: an entry is acted on only after its append returned.

use credence_crypto::{EncryptionSecret, sealing::seal_to_self};
use credence_types::{Digest, RecordId, SubjectId};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::{
    collections::BTreeMap,
    fs::{File, OpenOptions},
    io::{Read as _, Seek as _, SeekFrom, Write as _},
    path::{Path, PathBuf},
};

/// Why the book could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line that is not a log entry, before the last line (a torn last line is dropped).
    #[error("{path}, line {line}: not an entry of this log")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// A link for a consumer already linked to another subject.
    #[error("this consumer is already linked to subject {existing}; a consumer has one pseudonym")]
    AlreadyLinked {
        /// The subject it is linked to.
        existing: SubjectId,
    },
    /// An identifier that is not one of its kind.
    #[error("{0}")]
    Identifier(&'static str),
    /// A kept file that does not open with this furnisher's key: another furnisher's book,
    /// or a damaged file.
    #[error("{0}: does not open with this furnisher's encryption key")]
    Sealed(PathBuf),
    /// The book's copy of an imported file opens but is not a Metro 2 file.
    #[error("the book's copy of import {0} is not a Metro 2 file")]
    Damaged(Digest),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BookError + '_ {
    move |source| BookError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// How a consumer is recognised in a Metro 2 file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumerIdentifier<'a> {
    /// By social security number (base segment field 34): nine digits, dashes allowed.
    Ssn(&'a str),
    /// By the furnisher's consumer account number (field 7).
    Account(&'a str),
}

/// One line of the customer map.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Link {
    consumer: Digest,
    subject: SubjectId,
}

/// What became of one record of an imported file, as its journal says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Entry {
    /// A transaction signed for the record, written before it is submitted.
    Prepared {
        /// The record's 1-based number in the file.
        record: u64,
        /// The transaction's nonce.
        nonce: u64,
        /// The transaction's hash.
        hash: Digest,
    },
    /// The record is on the ledger.
    Furnished {
        /// The record's number in the file.
        record: u64,
        /// The transaction that furnished it.
        hash: Digest,
        /// The ledger's record.
        id: RecordId,
        /// The subject it is about.
        subject: SubjectId,
        /// The account reference it was furnished under.
        account: Digest,
    },
    /// The ledger rejected it, or the node refused it for good: final.
    Rejected {
        /// The record's number in the file.
        record: u64,
        /// The rejection's or the refusal's stable code.
        code: String,
    },
    /// Not submitted: the reason.
    Skipped {
        /// The record's number in the file.
        record: u64,
        /// A stable code, with the field or rule where there is one (never a value).
        reason: String,
    },
    /// Not submitted: the customer map knows neither its social security number nor its
    /// account number.
    Unlinked {
        /// The record's number in the file.
        record: u64,
    },
}

impl Entry {
    /// The record number it is about.
    pub fn record(&self) -> u64 {
        match self {
            Self::Prepared { record, .. }
            | Self::Furnished { record, .. }
            | Self::Rejected { record, .. }
            | Self::Skipped { record, .. }
            | Self::Unlinked { record } => *record,
        }
    }

    /// Whether it settles its record for good.
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::Prepared { .. })
    }
}

/// A furnisher's book, at a directory.
#[derive(Clone, Debug)]
pub struct Book {
    dir: PathBuf,
    salt: Digest,
    secret: EncryptionSecret,
}

impl Book {
    /// Opens (creating if needed) the book at `dir`, for the furnisher whose encryption key is
    /// `secret`: the customer map is salted with [`crate::session::salt_of`] it, the kept
    /// files are sealed to it.
    pub fn open(dir: &Path, secret: &EncryptionSecret) -> Result<Self, BookError> {
        let salt = crate::session::salt_of(secret);
        let imports = dir.join("imports");
        std::fs::create_dir_all(&imports).map_err(io(&imports))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            salt,
            secret: secret.clone(),
        })
    }

    /// The key the customer map holds a consumer under.
    pub fn consumer(&self, identifier: ConsumerIdentifier<'_>) -> Result<Digest, BookError> {
        let (kind, value) = match identifier {
            ConsumerIdentifier::Ssn(ssn) => {
                let digits: String = ssn.chars().filter(|c| *c != '-').collect();
                if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(BookError::Identifier(
                        "a social security number is nine digits",
                    ));
                }
                ("ssn", digits)
            }
            ConsumerIdentifier::Account(number) => {
                let number = number.trim().to_ascii_uppercase();
                if number.is_empty() || number.len() > 30 {
                    return Err(BookError::Identifier(
                        "an account number is 1 to 30 characters",
                    ));
                }
                ("account", number)
            }
        };
        Ok(Digest::of(
            "credence/customer",
            &[&self.salt.0, kind.as_bytes(), value.as_bytes()],
        ))
    }

    fn customers_path(&self) -> PathBuf {
        self.dir.join("customers.jsonl")
    }

    /// The customer map: consumer key to pseudonym.
    pub fn customers(&self) -> Result<BTreeMap<Digest, SubjectId>, BookError> {
        let links: Vec<Link> = load(&self.customers_path())?;
        Ok(links.into_iter().map(|l| (l.consumer, l.subject)).collect())
    }

    /// Links each consumer to its pseudonym; a link already there is kept, one to another
    /// pseudonym is refused (and nothing of the call is written).
    pub fn link(&self, links: &[(Digest, SubjectId)]) -> Result<usize, BookError> {
        let mut known = self.customers()?;
        let mut new = Vec::new();
        for (consumer, subject) in links {
            match known.get(consumer) {
                Some(existing) if existing == subject => {}
                Some(existing) => {
                    return Err(BookError::AlreadyLinked {
                        existing: *existing,
                    });
                }
                None => {
                    known.insert(*consumer, *subject);
                    new.push(Link {
                        consumer: *consumer,
                        subject: *subject,
                    });
                }
            }
        }
        append(&self.customers_path(), &new)?;
        Ok(new.len())
    }

    fn import_path(&self, file: &Digest, extension: &str) -> PathBuf {
        self.dir.join("imports").join(format!("{file}.{extension}"))
    }

    /// Keeps the bytes of the imported file with this digest (once), sealed.
    pub fn keep_source(&self, file: &Digest, bytes: &[u8]) -> Result<(), BookError> {
        let path = self.import_path(file, "m2.sealed");
        if path.exists() {
            return Ok(());
        }
        let sealed = seal_to_self(&self.secret.public_key(), bytes, &file.0)
            .map_err(|_| BookError::Sealed(path.clone()))?;
        let partial = self.import_path(file, "m2.partial");
        let mut out = File::create(&partial).map_err(io(&partial))?;
        out.write_all(&sealed).map_err(io(&partial))?;
        out.sync_all().map_err(io(&partial))?;
        std::fs::rename(&partial, &path).map_err(io(&path))?;
        sync_dir(&self.dir.join("imports"))
    }

    /// The bytes of the imported file with this digest.
    pub fn source(&self, file: &Digest) -> Result<Vec<u8>, BookError> {
        let path = self.import_path(file, "m2.sealed");
        let sealed = std::fs::read(&path).map_err(io(&path))?;
        self.secret
            .open_own(&sealed, &file.0)
            .map(|bytes| bytes.to_vec())
            .map_err(|_| BookError::Sealed(path))
    }

    /// Whether the book holds an import of the file with this digest.
    pub fn has_import(&self, file: &Digest) -> bool {
        self.import_path(file, "jsonl").exists()
    }

    /// The journal of the import of the file with this digest, oldest entry first.
    pub fn journal(&self, file: &Digest) -> Result<Vec<Entry>, BookError> {
        load(&self.import_path(file, "jsonl"))
    }

    /// Appends to that journal and syncs it.
    pub fn record(&self, file: &Digest, entries: &[Entry]) -> Result<(), BookError> {
        append(&self.import_path(file, "jsonl"), entries)
    }

    /// Every import in the book: each file's digest with its journal.
    pub fn imports(&self) -> Result<Vec<(Digest, Vec<Entry>)>, BookError> {
        let dir = self.dir.join("imports");
        let mut out = Vec::new();
        for item in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let path = item.map_err(io(&dir))?.path();
            let Some(stem) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".jsonl"))
            else {
                continue;
            };
            let Ok(digest) = stem.parse::<Digest>() else {
                continue;
            };
            out.push((digest, load(&path)?));
        }
        out.sort_by_key(|(digest, _)| *digest);
        Ok(out)
    }
}

/// Reads a log, dropping (and cutting off) a torn last line.
fn load<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, BookError> {
    let mut text = String::new();
    match File::open(path) {
        Ok(mut file) => {
            file.read_to_string(&mut text).map_err(io(path))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(path)(e)),
    }
    let complete = text.rfind('\n').map_or(0, |at| at + 1);
    if complete < text.len() {
        // A crash mid-append: the entry was never acted on.
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io(path))?;
        file.set_len(u64::try_from(complete).unwrap_or(u64::MAX))
            .map_err(io(path))?;
        file.sync_all().map_err(io(path))?;
    }
    text[..complete]
        .lines()
        .enumerate()
        .map(|(index, line)| {
            serde_json::from_str(line).map_err(|_| BookError::Corrupt {
                path: path.to_path_buf(),
                line: index + 1,
            })
        })
        .collect()
}

/// Appends entries as lines and syncs the file.
fn append<T: Serialize>(path: &Path, entries: &[T]) -> Result<(), BookError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut lines = String::new();
    for entry in entries {
        let line = serde_json::to_string(entry).map_err(|e| io(path)(std::io::Error::other(e)))?;
        lines.push_str(&line);
        lines.push('\n');
    }
    let created = !path.exists();
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io(path))?;
    file.seek(SeekFrom::End(0)).map_err(io(path))?;
    file.write_all(lines.as_bytes()).map_err(io(path))?;
    file.sync_data().map_err(io(path))?;
    if created && let Some(parent) = path.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), BookError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> (tempfile::TempDir, Book) {
        let dir = tempfile::tempdir().unwrap();
        let book = Book::open(
            dir.path(),
            &EncryptionSecret::derive(b"bank-a's key, for tests"),
        )
        .unwrap();
        (dir, book)
    }

    #[test]
    fn the_map_holds_no_identifier_in_clear_and_refuses_a_second_pseudonym() {
        let (dir, book) = book();
        let alice = book
            .consumer(ConsumerIdentifier::Ssn("123-45-6789"))
            .unwrap();
        assert_eq!(
            alice,
            book.consumer(ConsumerIdentifier::Ssn("123456789")).unwrap()
        );
        let first = SubjectId([1; 32]);
        assert_eq!(book.link(&[(alice, first)]).unwrap(), 1);
        assert_eq!(book.link(&[(alice, first)]).unwrap(), 0, "idempotent");
        assert!(matches!(
            book.link(&[(alice, SubjectId([2; 32]))]),
            Err(BookError::AlreadyLinked { .. })
        ));
        let text = std::fs::read_to_string(dir.path().join("customers.jsonl")).unwrap();
        assert!(!text.contains("123") && !text.contains("6789"));
        assert_eq!(book.customers().unwrap().get(&alice), Some(&first));
        // Another furnisher's salt gives another key: maps cannot be joined.
        let other = Book::open(dir.path(), &EncryptionSecret::derive(b"bank-b's key")).unwrap();
        assert_ne!(
            other
                .consumer(ConsumerIdentifier::Ssn("123456789"))
                .unwrap(),
            alice
        );
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_cut_off() {
        let (dir, book) = book();
        let file = Digest([3; 32]);
        let entry = Entry::Unlinked { record: 2 };
        book.record(&file, std::slice::from_ref(&entry)).unwrap();
        let path = dir.path().join(format!("imports/{file}.jsonl"));
        let mut torn = OpenOptions::new().append(true).open(&path).unwrap();
        torn.write_all(b"{\"state\":\"skipp").unwrap();
        assert_eq!(book.journal(&file).unwrap(), vec![entry.clone()]);
        book.record(&file, &[Entry::Unlinked { record: 3 }])
            .unwrap();
        assert_eq!(book.journal(&file).unwrap().len(), 2);
        assert_eq!(
            book.imports().unwrap(),
            vec![(file, book.journal(&file).unwrap())]
        );
    }
}
