//! What a member institution or a borrower does from the command line: sign and submit
//! transactions (with the sealing each needs done here, never on a node), read the ledger
//! (verified against the validators when asked), pull a credit report, follow events.

use anyhow::{Context as _, bail};
use credence_client::{
    Account, NodeClient, build,
    light::Validators,
    report::{self, CreditReport},
};
use credence_crypto::KeyFile;
use credence_node::config::NetworkFile;
use credence_types::{
    ConsentId, Digest, InstitutionId, LoanId, Payload, SubjectId, TimestampMs,
    api::{Entry, EventsQuery, TransactionStatus},
    codec::decode,
    lending::{Loan, LoanPayment},
    metro2::Tradeline,
    money::Amount,
    receipt::{Event, EventSource, Outcome},
    state::{BlockEvents, Consent, Institution, Principal, StateKey, Subject},
    transaction::{InquiryKind, Purpose, RecordInquiry},
};
use std::{
    io::IsTerminal as _,
    path::Path,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// How long a command waits for its transaction to finalise.
const FINALITY_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a command talks to: a node, and the network file it trusts.
pub struct Target {
    /// The node's API.
    pub node: NodeClient,
    /// The network file: chain id, audit key, validator set.
    pub network: NetworkFile,
    /// Whether to print progress and events (a command does; the console's server does not).
    pub verbose: bool,
}

impl Target {
    /// Reads the network file and points at `node`.
    pub fn new(node: &str, network: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(network)
            .with_context(|| format!("reading the network file {}", network.display()))?;
        let network: NetworkFile = serde_json::from_str(&text)
            .with_context(|| format!("parsing the network file {}", network.display()))?;
        Ok(Self {
            node: NodeClient::new(node),
            network,
            verbose: true,
        })
    }

    /// The signer of `key`, at its next nonce.
    async fn account(&self, key: &KeyFile) -> anyhow::Result<Account> {
        let nonce = self
            .node
            .account(&key.signing.public_key())
            .await?
            .map_or(0, |view| view.nonce);
        Ok(Account::new(
            key.signing.clone(),
            self.network.genesis.chain_id.clone(),
            nonce,
        ))
    }

    /// Signs `payload` with `key`, submits it, waits for finality, and returns the events it
    /// caused; fails with the rejection code if it was rejected.
    pub async fn transact(&self, key: &KeyFile, payload: Payload) -> anyhow::Result<Vec<Event>> {
        let mut account = self.account(key).await?;
        let transaction = account.sign(payload);
        let hash = self.node.submit(&transaction).await?;
        let progress = self
            .verbose
            .then(|| Progress::start(&format!("transaction {hash}")));
        let status = self
            .node
            .wait_finalized(&hash, Duration::from_millis(100), FINALITY_TIMEOUT)
            .await;
        if let Some(progress) = progress {
            progress.finish();
        }
        let TransactionStatus::Finalized {
            height,
            index,
            outcome,
        } = status?
        else {
            bail!("transaction {hash} is still pending");
        };
        if let Outcome::Rejected(rejection) = outcome {
            return Err(Rejected {
                hash,
                height: height.0,
                code: rejection,
            }
            .into());
        }
        let events = self.events_of(height.0, index).await?;
        if self.verbose {
            say(&format!("finalised at height {} ({hash})", height.0));
            for event in &events {
                say(&format!("  {}", describe(event)));
            }
        }
        Ok(events)
    }

    /// The events transaction `index` of block `height` caused.
    async fn events_of(&self, height: u64, index: u32) -> anyhow::Result<Vec<Event>> {
        let key = StateKey::block_events(credence_types::Height(height));
        let entry = self
            .node
            .entry::<String>(&format!("state/{}", hex::encode(key.0)))
            .await?;
        let Some(value) = entry.value else {
            return Ok(Vec::new());
        };
        let events: BlockEvents = decode(&hex::decode(value)?)?;
        Ok(events
            .as_slice()
            .iter()
            .filter(|e| e.source == EventSource::Transaction(index))
            .map(|e| e.event.clone())
            .collect())
    }

    async fn subject(&self, id: &SubjectId) -> anyhow::Result<Subject> {
        self.node
            .entry::<Subject>(&format!("subjects/{id}"))
            .await?
            .value
            .context("no such subject")
    }

    pub async fn institution(&self, id: InstitutionId) -> anyhow::Result<Institution> {
        self.node
            .entry::<Institution>(&format!("institutions/{}", id.0))
            .await?
            .value
            .context("no such institution")
    }

    /// The institution `key` signs for.
    pub async fn institution_of(&self, key: &KeyFile) -> anyhow::Result<InstitutionId> {
        match self.node.account(&key.signing.public_key()).await? {
            Some(view) => match view.principal {
                Principal::Institution(id) => Ok(id),
                _ => bail!("this key is not an institution's"),
            },
            None => {
                // Genesis institutions have signed nothing yet: find the key among them.
                for (index, institution) in self.network.genesis.institutions.iter().enumerate() {
                    if institution.signing_key == key.signing.public_key() {
                        return Ok(InstitutionId(u64::try_from(index)?));
                    }
                }
                bail!("this key is not an institution's")
            }
        }
    }
}

/// A transaction the ledger rejected, with its code.
#[derive(Debug, thiserror::Error)]
#[error("transaction {hash} was rejected at height {height}: {code}")]
pub struct Rejected {
    /// The transaction.
    pub hash: Digest,
    /// The block it was rejected in.
    pub height: u64,
    /// Why.
    pub code: credence_types::Rejection,
}

/// Reads a key file.
pub fn key(path: &Path) -> anyhow::Result<KeyFile> {
    KeyFile::read(path).with_context(|| format!("reading the key file {}", path.display()))
}

/// `credence subject register`.
pub async fn register(target: &Target, key: &KeyFile) -> anyhow::Result<SubjectId> {
    let id = SubjectId::from_key(&key.signing.public_key());
    let payload = build::register_subject(&id, &key.encryption, &target.network.genesis.audit_key)?;
    target.transact(key, payload).await?;
    println!("{id}");
    Ok(id)
}

/// `credence consent grant`.
pub async fn grant(
    target: &Target,
    key: &KeyFile,
    lender: InstitutionId,
    purpose: Purpose,
    kind: InquiryKind,
    days: u64,
) -> anyhow::Result<ConsentId> {
    let id = SubjectId::from_key(&key.signing.public_key());
    let subject = target.subject(&id).await?;
    let keys = build::report_keys(&key.encryption, subject.report_key_epoch);
    if keys.last().map(|k| k.public_key()) != Some(subject.report_key) {
        bail!("this key file does not hold the subject's current report key");
    }
    let institution = target.institution(lender).await?;
    let expires_at = TimestampMs(now_ms()?.saturating_add(days.saturating_mul(86_400_000)));
    let payload = build::grant_consent(
        &id,
        &keys,
        lender,
        &institution.encryption_key,
        purpose,
        kind,
        expires_at,
    )?;
    let events = target.transact(key, payload).await?;
    let consent = events
        .iter()
        .find_map(|event| match event {
            Event::ConsentGranted { consent, .. } => Some(*consent),
            _ => None,
        })
        .context("the grant caused no consent")?;
    println!("{consent}");
    Ok(consent)
}

/// The subject's active consents other than `except`, each with its lender's encryption
/// key: those a rotation re-wraps for.
async fn kept_consents(
    target: &Target,
    subject: &Subject,
    except: Option<ConsentId>,
) -> anyhow::Result<Vec<(ConsentId, credence_types::EncryptionKey)>> {
    let mut keep = Vec::new();
    for other in subject.active_consents.as_slice() {
        if Some(*other) == except {
            continue;
        }
        let kept: Consent = target
            .node
            .entry::<Consent>(&format!("consents/{}", other.0))
            .await?
            .value
            .context("an active consent is missing")?;
        let lender = target.institution(kept.lender).await?;
        keep.push((*other, lender.encryption_key));
    }
    Ok(keep)
}

/// `credence consent revoke`: ends `consent` and rotates the subject's report key, re-wrapped
/// for every consent that stays.
pub async fn revoke(target: &Target, key: &KeyFile, consent: ConsentId) -> anyhow::Result<()> {
    let id = SubjectId::from_key(&key.signing.public_key());
    let subject = target.subject(&id).await?;
    let keep = kept_consents(target, &subject, Some(consent)).await?;
    let payload = build::revoke_consent(
        &id,
        &key.encryption,
        subject.report_key_epoch,
        consent,
        &keep,
        &target.network.genesis.audit_key,
    )?;
    target.transact(key, payload).await?;
    Ok(())
}

/// `credence subject rotate-key`: moves the subject's report key to the next epoch, every
/// active consent keeping access.
pub async fn rotate(target: &Target, key: &KeyFile) -> anyhow::Result<()> {
    let id = SubjectId::from_key(&key.signing.public_key());
    let subject = target.subject(&id).await?;
    let keep = kept_consents(target, &subject, None).await?;
    let rotation = build::rotation(
        &id,
        &key.encryption,
        subject.report_key_epoch,
        &keep,
        &target.network.genesis.audit_key,
    )?;
    target
        .transact(key, Payload::RotateReportKey(rotation))
        .await?;
    Ok(())
}

/// `credence furnish`: a record of Metro 2 fields from a JSON file, sealed to the subject.
pub async fn furnish(
    target: &Target,
    key: &KeyFile,
    subject: &SubjectId,
    file: &Path,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let tradeline: Tradeline = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a Metro 2 tradeline", file.display()))?;
    furnish_tradeline(target, key, subject, tradeline).await?;
    Ok(())
}

/// Furnishes `tradeline` about `subject`: sealed here to the subject's current report key,
/// under an account reference salted with a secret only this furnisher holds.
pub async fn furnish_tradeline(
    target: &Target,
    key: &KeyFile,
    subject: &SubjectId,
    tradeline: Tradeline,
) -> anyhow::Result<Vec<Event>> {
    let state = target.subject(subject).await?;
    let salt = Digest::of(
        "credence/furnisher-salt",
        &[key.encryption.to_bytes().as_ref()],
    );
    let account = build::account_reference(&salt.0, tradeline.account_number.as_str());
    let payload = build::furnish(
        subject,
        &state.report_key,
        state.report_key_epoch,
        account,
        tradeline,
        None,
    )?;
    target.transact(key, payload).await
}

/// `credence report`: records an inquiry under the lender's consent, then reads, opens and
/// scores the file.
pub async fn report(
    target: &Target,
    key: &KeyFile,
    subject: &SubjectId,
    json: bool,
) -> anyhow::Result<CreditReport> {
    let report = pull_report(target, key, subject).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!(
            "{}",
            crate::table::report(&report, std::io::stdout().is_terminal())
        );
    }
    Ok(report)
}

/// Why a lender may not read a subject's file.
#[derive(Debug, thiserror::Error)]
pub enum ReportRefused {
    /// No subject has this pseudonym.
    #[error("no subject has this pseudonym")]
    SubjectUnknown,
    /// The lender holds no active consent on the subject.
    #[error("{lender} holds no active consent on {subject}")]
    NoConsent {
        /// The lender.
        lender: InstitutionId,
        /// The subject.
        subject: SubjectId,
    },
}

/// Records an inquiry under the lender's active consent on `subject`, then reads, opens
/// and scores the file.
pub async fn pull_report(
    target: &Target,
    key: &KeyFile,
    subject: &SubjectId,
) -> anyhow::Result<CreditReport> {
    let lender = target.institution_of(key).await?;
    let state = target
        .node
        .entry::<Subject>(&format!("subjects/{subject}"))
        .await?
        .value
        .ok_or(ReportRefused::SubjectUnknown)?;
    let mut consent = None;
    for id in state.active_consents.as_slice() {
        let entry = target
            .node
            .entry::<Consent>(&format!("consents/{}", id.0))
            .await?;
        if entry.value.is_some_and(|c| c.lender == lender && !c.ended) {
            consent = Some(*id);
        }
    }
    let consent = consent.ok_or(ReportRefused::NoConsent {
        lender,
        subject: *subject,
    })?;
    target
        .transact(key, Payload::RecordInquiry(RecordInquiry { consent }))
        .await?;
    let today = TimestampMs(now_ms()?).date();
    Ok(report::fetch(
        &target.node,
        subject,
        lender,
        &key.encryption,
        consent,
        today,
    )
    .await?)
}

/// `credence loan repay`: `amount`, or the payoff as of today.
pub async fn repay(
    target: &Target,
    key: &KeyFile,
    loan: LoanId,
    amount: Option<u64>,
) -> anyhow::Result<()> {
    let amount = match amount {
        Some(amount) => Amount(amount),
        None => {
            let state: Loan = target
                .node
                .entry::<Loan>(&format!("loans/{}", loan.0))
                .await?
                .value
                .context("no such loan")?;
            // The chain's date, not this machine's: interest accrues by block time.
            let today = target.node.status().await?.time.date();
            credence_ledger::queries::payoff(&state, today)
                .context("the loan is not running, so nothing is owed")?
        }
    };
    say(&format!("repaying {amount} (minor units) on {loan}"));
    target
        .transact(key, Payload::RepayLoan(LoanPayment { loan, amount }))
        .await?;
    Ok(())
}

/// `credence submit`: any transaction, its payload from a JSON file.
pub async fn submit(target: &Target, key: &KeyFile, file: &Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let payload: Payload = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a transaction payload", file.display()))?;
    target.transact(key, payload).await?;
    Ok(())
}

/// `credence show`: an entry by its API path, verified against the validators with
/// `prove`.
pub async fn show(target: &Target, path: &str, prove: bool) -> anyhow::Result<()> {
    let path = path.trim_start_matches('/').trim_start_matches("v1/");
    // With --prove, one read carries both the value shown and its proof, so what is
    // printed is exactly what was verified.
    let query = if prove { "?prove=true" } else { "" };
    let answer = target.node.json(&format!("{path}{query}")).await?;
    if prove {
        let proven: Entry<serde_json::Value> = serde_json::from_value(answer.clone())
            .context("--prove applies to entries read by id or key")?;
        let validators = Validators::of(&target.network);
        let value = validators.verify_entry(&proven.key, proven.proof.as_ref())?;
        let header = &proven.proof.as_ref().context("no proof")?.header;
        say(&format!(
            "verified: value proven against height {} (block {}), finalised by a quorum of {} validators",
            header.header.height.0,
            header.digest,
            target.network.validators.len()
        ));
        if value.is_none() {
            say("the entry is proven absent");
        }
    }
    // An entry prints its value; anything else (a schedule, a page) prints whole.
    let shown = match answer.get("value") {
        Some(value) if answer.get("key").is_some() => value,
        _ => &answer,
    };
    println!("{}", serde_json::to_string_pretty(shown)?);
    Ok(())
}

/// `credence events follow`.
pub async fn follow(target: &Target, query: EventsQuery) -> anyhow::Result<()> {
    let mut resume = None;
    loop {
        let mut stream = match target.node.events(&query, resume).await {
            Ok(stream) => stream,
            Err(error) => {
                say(&format!("stream: {error}; reconnecting"));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        while let Ok(Some(event)) = stream.next().await {
            println!("{:>10}  {}", event.id.to_string(), describe(&event.event));
        }
        // Dropped: resume after the last event seen, so nothing is missed or repeated.
        resume = stream.last_id().or(resume);
        say("stream closed; resuming");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One line about an event.
pub fn describe(event: &Event) -> String {
    let detail = serde_json::to_value(event)
        .ok()
        .and_then(|value| {
            let object = value.as_object()?.clone();
            Some(
                object
                    .into_iter()
                    .filter(|(k, _)| k != "kind")
                    .map(|(k, v)| {
                        format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_string))
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })
        .unwrap_or_default();
    format!("{:<22} {detail}", event.kind())
}

/// A line for people, on standard error (standard output stays for machines).
fn say(line: &str) {
    eprintln!("{line}");
}

/// Shows that a long wait is under way, on a terminal.
struct Progress {
    shown: bool,
}

impl Progress {
    fn start(what: &str) -> Self {
        let shown = std::io::stderr().is_terminal();
        if shown {
            eprint!("waiting for {what} to finalise…\r");
        }
        Self { shown }
    }

    fn finish(self) {
        if self.shown {
            eprint!("\x1b[2K");
        }
    }
}

fn now_ms() -> anyhow::Result<u64> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the clock is before 1970")?;
    Ok(u64::try_from(now.as_millis())?)
}
