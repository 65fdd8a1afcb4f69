//! The `metro2-import` scenario: a generated month's Metro 2 file imported by one furnisher,
//! as `credence furnish --metro2` imports it (`credence_client::furnishing::import`: read,
//! validate, link, seal, journal, submit in batches, settle every record), timed from the
//! first byte read to the last record final.
//!
//! Setup, untimed: the population registers, and the furnisher's book links each subject's
//! social security number to its pseudonym. The file has `import_accounts` accounts spread
//! over the population, generated valid (`credence_metro2::generate`), with a first
//! delinquency wherever the status needs one so that the ledger applies them all.
//!
//! The figure that matters is the ratio to the `furnish` scenario's goodput measured earlier
//! in the same run (`--scenario furnish metro2-import`): the import is one signer through one
//! node, where `furnish` spreads the same kind of transaction over every bank and validator.

use super::world::{DevnetTarget, World, register};
use crate::Outcome;
use anyhow::Context as _;
use credence_client::{
    Session,
    furnishing::{
        book::{Book, ConsumerIdentifier},
        import::{Options, file_digest, import},
    },
};
use credence_metro2::{DateField, Layout, Num, Text, generate, write};
use credence_types::metro2::AccountStatus;
use std::time::Instant;

/// The consumer's social security number: unique per subject, in the unissued 666 area.
fn ssn(subject: usize) -> u64 {
    666_000_000 + subject as u64
}

/// Runs the import; `furnish_tps` is the `furnish` goodput measured earlier in this run.
pub fn run(devnet: &World, furnish_tps: Option<f64>) -> anyhow::Result<Outcome> {
    let options = &devnet.options;
    let accounts = options.import_accounts;
    let bank = devnet.banks.first().context("no bank")?;
    eprintln!("  registering {} subjects…", options.subjects);
    let subjects = register(&mut DevnetTarget::new(devnet), devnet, options.subjects)?;

    let dir = tempfile::tempdir()?;
    let book = Book::open(dir.path(), &bank.keys.encryption)?;
    let links = subjects
        .iter()
        .enumerate()
        .map(|(index, subject)| {
            let number = format!("{:09}", ssn(index));
            Ok((book.consumer(ConsumerIdentifier::Ssn(&number))?, subject.id))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    book.link(&links)?;

    eprintln!("  generating a file of {accounts} accounts…");
    let mut file = generate::file(accounts, 2026, Layout::character_fixed());
    for (index, data) in file.bases.iter_mut().enumerate() {
        let base = &mut data.base;
        base.social_security_number = Num::Value(ssn(index % subjects.len().max(1)));
        base.correction_indicator = Text::from_bytes(b"0").unwrap_or_default();
        base.compliance_condition_code = Text::default();
        let status = std::str::from_utf8(base.account_status.trimmed()).unwrap_or_default();
        // A deletion must supersede a record: this month reports the account instead.
        if AccountStatus::from_code(status)
            .is_none_or(|s| s.class() == credence_types::metro2::StatusClass::Deletion)
        {
            base.account_status = Text::from_bytes(b"11").unwrap_or_default();
            base.payment_rating = Text::default();
        }
        let status = std::str::from_utf8(base.account_status.trimmed()).unwrap_or_default();
        let needs =
            AccountStatus::from_code(status).is_some_and(|s| s.requires_first_delinquency());
        base.date_of_first_delinquency = if needs {
            base.date_of_account_information
        } else {
            DateField::Zero
        };
    }
    credence_metro2::recompute_trailer(&mut file);
    let bytes = write(&file)?;
    eprintln!("  importing {:.1} MB…", bytes.len() as f64 / 1e6);

    let session =
        Session::new(devnet.nodes[0].clone(), devnet.network.clone()).reading_as(&bank.keys);
    // Timed from the bytes, as `credence furnish --metro2` reads them.
    let started = Instant::now();
    let read = credence_metro2::read(&bytes)?;
    let summary = devnet.runtime.block_on(import(
        &session,
        &bank.keys,
        &book,
        &read,
        file_digest(&bytes),
        &Options::default(),
        &mut |_| {},
    ))?;
    let seconds = started.elapsed().as_secs_f64();
    let furnished = summary.furnished.len();
    eprintln!(
        "  {furnished} furnished, {} skipped, {} unlinked, {} rejected in {seconds:.1} s",
        summary.skipped.len(),
        summary.unlinked.len(),
        summary.rejected.len()
    );
    let tps = furnished as f64 / seconds.max(f64::MIN_POSITIVE);
    Ok(Outcome {
        name: "metro2-import",
        offered: 0,
        tps,
        p50_ms: 0.0,
        p99_ms: 0.0,
        bound_ratio: None,
        furnish_ratio: furnish_tps.map(|furnish| tps / furnish),
        unfinished: accounts.saturating_sub(furnished),
        refused: summary.rejected.len(),
        throttled: 0,
        retries: 0,
        admitted_p99_ms: None,
        admitted_unfinished: 0,
        audit: None,
        usage: Vec::new(),
        disk_bytes_per_tx: None,
        limits: None,
        baseline: Vec::new(),
        timeline: Vec::new(),
    })
}
