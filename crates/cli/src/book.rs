//! `credence subject link`, `credence furnish --metro2` and `credence export --metro2`: a
//! furnisher's Metro 2 files in and out, through its book (`credence_client::furnishing`).
//!
//! What these print names records by number, fields by name and rules by code, never a
//! value: a Metro 2 file is full of personal identifiers.

use anyhow::Context as _;
use credence_client::{
    Session,
    furnishing::{
        book::{Book, ConsumerIdentifier},
        export::export,
        import::{ImportError, Options, Progress, file_digest, import},
    },
};
use credence_crypto::KeyFile;
use credence_types::SubjectId;
use std::{
    io::{IsTerminal as _, Write as _},
    path::Path,
};

/// A consumer to link: how the furnisher's files name it.
pub enum Identifier {
    /// Social security number.
    Ssn(String),
    /// Consumer account number.
    Account(String),
}

/// Links consumers to their pseudonyms in the book, after checking each pseudonym is a
/// registered subject.
pub async fn link(
    session: &Session,
    key: &KeyFile,
    book: &Path,
    links: Vec<(Identifier, SubjectId)>,
) -> anyhow::Result<()> {
    let book = Book::open(book, &key.encryption)?;
    let mut keyed = Vec::with_capacity(links.len());
    for (index, (identifier, subject)) in links.iter().enumerate() {
        let consumer = match identifier {
            Identifier::Ssn(ssn) => book.consumer(ConsumerIdentifier::Ssn(ssn)),
            Identifier::Account(number) => book.consumer(ConsumerIdentifier::Account(number)),
        }
        .with_context(|| format!("link {}", index + 1))?;
        session
            .report_key(subject)
            .await
            .with_context(|| format!("link {}: subject {subject}", index + 1))?;
        keyed.push((consumer, *subject));
    }
    let added = book.link(&keyed)?;
    eprintln!(
        "{added} link(s) added, {} already there",
        keyed.len() - added
    );
    Ok(())
}

/// Reads link lines `ssn,IDENTIFIER,PSEUDONYM` or `account,IDENTIFIER,PSEUDONYM` (blank lines
/// and `#` comments skipped).
pub fn read_links(path: &Path) -> anyhow::Result<Vec<(Identifier, SubjectId)>> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    let mut links = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [kind, identifier, subject] = fields[..] else {
            anyhow::bail!("line {}: expected KIND,IDENTIFIER,PSEUDONYM", number + 1);
        };
        let identifier = match kind {
            "ssn" => Identifier::Ssn(identifier.to_string()),
            "account" => Identifier::Account(identifier.to_string()),
            _ => anyhow::bail!("line {}: the kind is ssn or account", number + 1),
        };
        let subject = subject
            .parse()
            .map_err(|_| anyhow::anyhow!("line {}: not a pseudonym", number + 1))?;
        links.push((identifier, subject));
    }
    Ok(links)
}

/// Imports a Metro 2 file; prints a progress bar on a terminal and the summary at the end.
pub async fn furnish(
    session: &Session,
    key: &KeyFile,
    book: &Path,
    path: &Path,
    options: &Options,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let file = crate::metro2::parse(&bytes, path)?;
    let book = Book::open(book, &key.encryption)?;
    let mut bar = Bar::new();
    let summary = match import(
        session,
        key,
        &book,
        &file,
        file_digest(&bytes),
        options,
        &mut |p| bar.show(p),
    )
    .await
    {
        Ok(summary) => summary,
        Err(ImportError::Strict(report)) => {
            bar.finish();
            for error in &report.errors {
                println!("{error}");
            }
            anyhow::bail!(
                "{}: {} field error(s); with --strict nothing was submitted",
                path.display(),
                report.errors.len()
            );
        }
        Err(error) => {
            bar.finish();
            return Err(error).context(format!("importing {}", path.display()));
        }
    };
    bar.finish();
    println!("file {}: {} record(s)", summary.file, summary.records);
    println!(
        "furnished: {} ({} by an earlier run)",
        summary.furnished.len(),
        summary.furnished_before
    );
    println!("skipped: {}", summary.skipped.len());
    for (record, reason) in &summary.skipped {
        println!("  record {record}: {reason}");
    }
    println!("unlinked: {}", summary.unlinked.len());
    for record in &summary.unlinked {
        println!("  record {record}: no link for its consumer (credence subject link)");
    }
    println!("rejected: {}", summary.rejected.len());
    for (record, code) in &summary.rejected {
        println!("  record {record}: {code}");
    }
    Ok(())
}

/// Writes what the book furnished as a Metro 2 file.
pub async fn export_file(
    session: &Session,
    key: &KeyFile,
    book: &Path,
    out: &Path,
) -> anyhow::Result<()> {
    let book = Book::open(book, &key.encryption)?;
    let exported = export(session, key, &book).await?;
    std::fs::write(out, &exported.bytes).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{} record(s) written to {}",
        exported.records,
        out.display()
    );
    for (record, reason) in &exported.left_out {
        println!("  left out record {}: {reason}", record.0);
    }
    Ok(())
}

/// An import's progress on standard error: a bar redrawn in place on a terminal, a line
/// every tenth of the way otherwise.
struct Bar {
    terminal: bool,
    last_tenth: u64,
    drawn: bool,
}

impl Bar {
    fn new() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            last_tenth: u64::MAX,
            drawn: false,
        }
    }

    fn show(&mut self, progress: Progress) {
        let total = progress.records.max(1);
        let done = progress.settled.min(total);
        let width = 30;
        let filled = usize::try_from(done * width / total).unwrap_or(0);
        let line = format!(
            "[{}{}] {done}/{} settled, {} submitted",
            "#".repeat(filled),
            ".".repeat(usize::try_from(width).unwrap_or(0) - filled),
            progress.records,
            progress.submitted
        );
        let mut err = std::io::stderr();
        if self.terminal {
            let _ = write!(err, "\r{line}");
            let _ = err.flush();
            self.drawn = true;
        } else {
            let tenth = done * 10 / total;
            if tenth != self.last_tenth {
                self.last_tenth = tenth;
                let _ = writeln!(err, "{line}");
            }
        }
    }

    fn finish(&mut self) {
        if self.drawn {
            let _ = writeln!(std::io::stderr());
            self.drawn = false;
        }
    }
}
