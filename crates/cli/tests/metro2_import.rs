//! Issue 17, items 3 and 4: a month's Metro 2 file imported with `credence furnish --metro2`
//! against a real validator process, interrupted by SIGKILL and resumed, then exported with
//! `credence export --metro2`.
//!
//! Pinned: every data record ends in exactly one outcome (furnished, skipped with its field
//! and rule, unlinked, or rejected with the ledger's code); a consumer missing from the
//! customer map is reported, never guessed; an import killed mid-way and run again furnishes
//! each record exactly once (counted on the ledger, not in the journal); every furnished
//! record opens in the consenting lender's report with the tradeline and the whole data
//! record the file held; a correction supersedes the account's previous record; and the
//! export is a valid Metro 2 file carrying the ledger's dispute state (`XB`).
#![allow(clippy::unwrap_used)]

mod common;

use common::{BINARY, Network};
use credence_client::{Session, furnishing::tradeline::tradeline};
use credence_crypto::KeyFile;
use credence_metro2::{
    DateField, File, Format, Layout, Num, Text, generate, read, validate, write, write_record,
};
use credence_types::{
    Payload, SubjectId,
    api::Entry,
    metro2::AccountStatus,
    state::Record,
    transaction::{DisputeReason, InquiryKind, OpenDispute, Purpose},
};
use std::{
    collections::{BTreeMap, BTreeSet},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// Consumers in the file; the last two are never linked.
const CONSUMERS: usize = 8;
const LINKED: usize = CONSUMERS - 2;
/// Data records in the month's file.
const ACCOUNTS: usize = 48;

fn ssn(consumer: usize) -> u64 {
    666_000_100 + consumer as u64
}

/// Runs the CLI against the network; returns its standard output, failing on an error.
fn cli(network: &Network, args: &[&str]) -> String {
    let output = credence(network).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "credence {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `credence furnish --metro2 PATH` as bank-a; returns the summary it prints.
fn import(network: &Network, key: &str, book: &str, path: &str) -> String {
    cli(
        network,
        &["furnish", "--key", key, "--book", book, "--metro2", path],
    )
}

/// `credence furnish --key KEY --book BOOK --metro2 PATH EXTRA…` against the network, to run.
fn furnishing(network: &Network, args: &[&str]) -> Command {
    let [key, book, path, extra @ ..] = args else {
        panic!("key, book and path first");
    };
    let mut command = credence(network);
    command
        .args(["furnish", "--key", key, "--book", book, "--metro2", path])
        .args(extra);
    command
}

/// The CLI, pointed at the network's first node and its network file.
fn credence(network: &Network) -> Command {
    let mut command = Command::new(BINARY);
    command.env("CREDENCE_NODE", network.nodes[0].base()).env(
        "CREDENCE_NETWORK",
        network.dir.path().join("devnet/network.json"),
    );
    command
}

/// The number in the summary line that starts with `label`.
fn count(summary: &str, label: &str) -> usize {
    summary
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {label} in {summary}"))
}

/// Every record on the ledger, as the regulator reads them (ids are dense from 0).
async fn ledger_records(session: &Session) -> Vec<Record> {
    let mut out = Vec::new();
    for id in 0.. {
        match session.node.entry::<Record>(&format!("records/{id}")).await {
            Ok(Entry {
                value: Some(record),
                ..
            }) => out.push(record),
            _ => break,
        }
    }
    out
}

/// The month's file: each account belongs to consumer `index % CONSUMERS`; record 3 (the
/// second data record) has an account status Metro 2 does not define.
fn month() -> File {
    let mut file = generate::file(ACCOUNTS, 17, Layout::character_fixed());
    for (index, data) in file.bases.iter_mut().enumerate() {
        data.base.social_security_number = Num::Value(ssn(index % CONSUMERS));
        data.base.correction_indicator = Text::from_bytes(b"0").unwrap();
        // Disputes are the ledger's to state.
        data.base.compliance_condition_code = Text::default();
        // A first delinquency where the status needs one, never after the report date (the
        // generator draws them independently; the ledger rejects what breaks either rule).
        let status = std::str::from_utf8(data.base.account_status.trimmed()).unwrap();
        let needs =
            AccountStatus::from_code(status).is_some_and(|s| s.requires_first_delinquency());
        // (The report date itself: a first delinquency over seven years old is purged at
        // once, and its record opens for nobody.)
        data.base.date_of_first_delinquency = if needs {
            data.base.date_of_account_information
        } else {
            DateField::Zero
        };
    }
    file.bases[1].base.account_status = Text::from_bytes(b"99").unwrap();
    credence_metro2::recompute_trailer(&mut file);
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_months_file_imports_once_through_a_kill_and_exports_with_its_disputes() {
    let network = Network::start(1).await;
    let dir = network.dir.path();
    let session = Session::new(network.nodes[0].clone(), network.file.clone());
    let bank_a_path = network.key_of("bank-a");
    // The one validator's institution furnishes, and lends under the consumers' consents.
    let bank_a = KeyFile::read(&bank_a_path).unwrap();
    let lender = session.institution_of(&bank_a).await.unwrap();

    // The consumers register and consent to bank-a; bank-a links all but the last two.
    let mut consumers: Vec<(KeyFile, SubjectId)> = Vec::new();
    let mut links = String::new();
    for consumer in 0..CONSUMERS {
        let key = KeyFile::generate();
        let (id, _) = session.register(&key).await.unwrap();
        session
            .grant(
                &key,
                lender,
                Purpose::CreditApplication,
                InquiryKind::Hard,
                30,
            )
            .await
            .unwrap();
        if consumer < LINKED {
            links.push_str(&format!("ssn,{},{id}\n", ssn(consumer)));
        }
        consumers.push((key, id));
    }
    let book = dir.join("bank-a-book");
    let links_path = dir.join("links.csv");
    std::fs::write(&links_path, links).unwrap();
    let key_arg = bank_a_path.to_str().unwrap();
    let book_arg = book.to_str().unwrap();
    cli(
        &network,
        &[
            "subject",
            "link",
            "--key",
            key_arg,
            "--book",
            book_arg,
            "--links",
            links_path.to_str().unwrap(),
        ],
    );
    let customers = std::fs::read_to_string(book.join("customers.jsonl")).unwrap();
    assert!(
        !customers.contains(&ssn(0).to_string()),
        "no identifier in clear"
    );

    // --strict refuses the file whole: nothing is submitted.
    let file = month();
    let path = dir.join("2026-11.m2");
    std::fs::write(&path, write(&file).unwrap()).unwrap();
    let strict = furnishing(
        &network,
        &[key_arg, book_arg, path.to_str().unwrap(), "--strict"],
    )
    .output()
    .unwrap();
    assert!(!strict.status.success());
    let report = String::from_utf8_lossy(&strict.stdout);
    assert!(report.contains("account_status"), "{report}");
    assert!(ledger_records(&session).await.is_empty());

    // The import is killed once its journal shows submissions, then run again.
    let mut child = furnishing(
        &network,
        &[key_arg, book_arg, path.to_str().unwrap(), "--batch", "4"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let killed_after = loop {
        let prepared = std::fs::read_dir(book.join("imports"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .map(|text| text.matches("\"prepared\"").count())
            .sum::<usize>();
        if prepared >= 12 || Instant::now() > deadline {
            break prepared;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = child.kill(); // SIGKILL (it may have finished: then there is nothing to kill)
    child.wait().unwrap();
    assert!(killed_after >= 12, "the import never got going");
    // The kill left records prepared (and submitted) with no outcome: the resumed run must
    // settle them by hash, not furnish them again.
    let mut in_doubt = BTreeMap::<u64, bool>::new();
    for item in std::fs::read_dir(book.join("imports")).unwrap() {
        let path = item.unwrap().path();
        if path.extension().is_some_and(|x| x == "jsonl") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue; // a line the kill cut short
                };
                let record = entry["record"].as_u64().unwrap();
                let prepared = entry["state"] == "prepared";
                *in_doubt.entry(record).or_insert(prepared) &= prepared;
            }
        }
    }
    assert!(
        in_doubt.values().any(|doubt| *doubt),
        "nothing was in doubt at the kill"
    );
    let summary = import(&network, key_arg, book_arg, path.to_str().unwrap());
    let (furnished, skipped, unlinked, rejected) = (
        count(&summary, "furnished: "),
        count(&summary, "skipped: "),
        count(&summary, "unlinked: "),
        count(&summary, "rejected: "),
    );
    assert_eq!(
        furnished + skipped + unlinked + rejected,
        ACCOUNTS,
        "{summary}"
    );
    assert!(
        summary.contains("record 3: invalid:account_status"),
        "{summary}"
    );
    let expected_unlinked = (0..ACCOUNTS)
        .filter(|i| i % CONSUMERS >= LINKED && *i != 1)
        .count();
    assert_eq!(unlinked, expected_unlinked, "{summary}");
    assert!(furnished >= ACCOUNTS / 2, "{summary}");

    // Exactly once, on the ledger: one record per furnished account, none twice.
    let records = ledger_records(&session).await;
    assert_eq!(records.len(), furnished, "{summary}");
    let accounts: BTreeSet<_> = records.iter().map(|r| r.account).collect();
    assert_eq!(accounts.len(), records.len(), "an account furnished twice");
    // A third run changes nothing.
    let again = import(&network, key_arg, book_arg, path.to_str().unwrap());
    assert!(
        again.contains(&format!(
            "furnished: {furnished} ({furnished} by an earlier run)"
        )),
        "{again}"
    );
    assert_eq!(ledger_records(&session).await.len(), furnished);
    // A later process (a restarted console) reads the same outcome back from the book alone.
    let bytes = std::fs::read(&path).unwrap();
    let kept = credence_client::furnishing::book::Book::open(&book, &bank_a.encryption).unwrap();
    let (summary_read, complete) = credence_client::furnishing::import::journaled(
        &kept,
        credence_client::furnishing::import::file_digest(&bytes),
    )
    .unwrap()
    .unwrap();
    assert!(complete);
    assert_eq!(
        (
            summary_read.records,
            summary_read.furnished.len(),
            summary_read.skipped.len(),
            summary_read.unlinked.len(),
            summary_read.rejected.len()
        ),
        (ACCOUNTS as u64, furnished, skipped, unlinked, rejected)
    );

    // Every furnished record opens for bank-a, as their lender, with the file's tradeline and whole record.
    let by_account: BTreeMap<String, usize> = file
        .bases
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                credence_client::furnishing::tradeline::account_number(&d.base),
                i,
            )
        })
        .collect();
    let mut opened = 0;
    for (_, subject) in consumers.iter().take(LINKED) {
        let report = session.report(&bank_a, subject).await.unwrap();
        for account in &report.accounts {
            let line = account.tradeline.as_ref().unwrap();
            let index = by_account[line.account_number.as_str()];
            let data = &file.bases[index];
            assert_eq!(line, &tradeline(&data.base, Format::Character).unwrap());
            assert!(
                account.metro2_disagrees.is_empty(),
                "an honest import agrees"
            );
            assert_eq!(
                account.metro2.as_ref().unwrap().as_slice(),
                write_record(data).unwrap().as_slice()
            );
            opened += 1;
        }
    }
    assert_eq!(opened, furnished);

    // A correction next month supersedes the account's record.
    let corrected_index = records[0].id;
    let source = records
        .iter()
        .find(|r| r.id == corrected_index)
        .map(|r| r.account)
        .unwrap();
    let mut next = month();
    let index = (0..ACCOUNTS)
        .find(|i| {
            credence_client::build::account_reference(
                &credence_client::session::furnisher_salt(&bank_a).0,
                &credence_client::furnishing::tradeline::account_number(&next.bases[*i].base),
            ) == source
        })
        .unwrap();
    let mut correction = next.bases[index].clone();
    correction.base.correction_indicator = Text::from_bytes(b"1").unwrap();
    correction.base.current_balance = Num::Value(1);
    next.bases = vec![correction];
    credence_metro2::recompute_trailer(&mut next);
    let next_path = dir.join("2026-11-correction.m2");
    std::fs::write(&next_path, write(&next).unwrap()).unwrap();
    let summary = import(&network, key_arg, book_arg, next_path.to_str().unwrap());
    assert!(
        summary.contains("furnished: 1 (0 by an earlier run)"),
        "{summary}"
    );
    let records = ledger_records(&session).await;
    assert_eq!(records.len(), furnished + 1);
    let newest = records.last().unwrap();
    assert_eq!(newest.supersedes, Some(corrected_index));

    // A consumer disputes another record; the export carries XB for it.
    let disputed = records
        .iter()
        .find(|r| r.id != corrected_index && r.superseded_by.is_none() && r.supersedes.is_none())
        .unwrap();
    let owner = &consumers
        .iter()
        .find(|(_, id)| *id == disputed.subject)
        .unwrap()
        .0;
    session
        .transact(
            owner,
            Payload::OpenDispute(OpenDispute {
                record: disputed.id,
                reason: DisputeReason::InaccurateAmount,
            }),
        )
        .await
        .unwrap();
    let out = dir.join("bank-a.m2");
    let printed = cli(
        &network,
        &[
            "export",
            "--metro2",
            "--key",
            key_arg,
            "--book",
            book_arg,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        printed.contains(&format!("{furnished} record(s) written")),
        "{printed}"
    );
    let exported = read(&std::fs::read(&out).unwrap()).unwrap();
    assert!(validate(&exported).is_empty(), "{:?}", validate(&exported));
    assert_eq!(exported.bases.len(), furnished);
    let in_dispute: Vec<_> = exported
        .bases
        .iter()
        .filter(|d| d.base.compliance_condition_code.is("XB"))
        .collect();
    assert_eq!(in_dispute.len(), 1);
    assert!(
        exported
            .bases
            .iter()
            .any(|d| d.base.current_balance == Num::Value(1)),
        "the correction is what is exported"
    );

    someone_who_copies_the_book_and_holds_the_file_links_nobody(&bank_a, &book, &file, &records);
}

/// Every file under `dir`, read.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    found
}

/// The attacker copied bank-a's book directory (a backup, an insider) and holds the month's
/// file itself, with every consumer's social security number, account number and name.
/// Nothing in the copy names a consumer, so nothing ties the journal's record numbers and
/// pseudonyms to a person; and without bank-a's encryption key no identifier can be turned
/// into a customer-map key or an account reference on the ledger.
fn someone_who_copies_the_book_and_holds_the_file_links_nobody(
    bank_a: &KeyFile,
    book: &std::path::Path,
    file: &File,
    records: &[Record],
) {
    let stolen = files_under(book);
    assert!(
        stolen
            .iter()
            .any(|(path, _)| path.ends_with("customers.jsonl"))
    );
    let mut identifiers: Vec<String> = Vec::new();
    for data in &file.bases {
        let base = &data.base;
        identifiers.push(format!(
            "{:09}",
            base.social_security_number.value().unwrap()
        ));
        identifiers.push(credence_client::furnishing::tradeline::account_number(base));
        let surname = String::from_utf8_lossy(base.surname.trimmed()).to_string();
        if surname.len() >= 4 {
            identifiers.push(surname);
        }
    }
    for (path, bytes) in &stolen {
        for identifier in &identifiers {
            assert!(
                !bytes
                    .windows(identifier.len())
                    .any(|w| w == identifier.as_bytes()),
                "{} names a consumer in clear",
                path.display()
            );
        }
    }
    // The keys an attacker can make without bank-a's secret: another furnisher's, one made
    // up, and bank-a's public encryption key used as if it were the secret.
    let customers = String::from_utf8(
        stolen
            .iter()
            .find(|(path, _)| path.ends_with("customers.jsonl"))
            .map(|(_, bytes)| bytes.clone())
            .unwrap(),
    )
    .unwrap();
    let attempts = tempfile::tempdir().unwrap();
    let guesses = [
        credence_crypto::EncryptionSecret::generate(),
        credence_crypto::EncryptionSecret::derive(b"bank-a"),
        credence_crypto::EncryptionSecret::from_bytes(&bank_a.encryption.public_key().0).unwrap(),
    ];
    let references: BTreeSet<_> = records.iter().map(|r| r.account).collect();
    for guess in &guesses {
        let attempt =
            credence_client::furnishing::book::Book::open(attempts.path(), guess).unwrap();
        for data in &file.bases {
            let base = &data.base;
            let ssn = format!("{:09}", base.social_security_number.value().unwrap());
            let number = credence_client::furnishing::tradeline::account_number(base);
            for identifier in [
                credence_client::furnishing::book::ConsumerIdentifier::Ssn(&ssn),
                credence_client::furnishing::book::ConsumerIdentifier::Account(&number),
            ] {
                let key = attempt.consumer(identifier).unwrap();
                assert!(
                    !customers.contains(&key.to_string()),
                    "a guessed salt links a consumer"
                );
            }
            let reference = credence_client::build::account_reference(
                &credence_client::session::salt_of(guess).0,
                &number,
            );
            assert!(
                !references.contains(&reference),
                "a guessed salt names an account"
            );
        }
    }
}
