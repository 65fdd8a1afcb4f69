//! The pieces of the commands that are the command line's own: reading a JSON file, showing
//! that a command waits, printing an entry it verified, tailing the event stream.

use crate::output::{Waiting, describe, say};
use anyhow::Context as _;
use credence_client::{Session, SessionError};
use credence_types::api::{Entry, EventsQuery};
use std::{future::Future, path::Path, time::Duration};

/// Runs a member operation, showing on a terminal that it waits for finality.
pub async fn wait<T>(
    operation: impl Future<Output = Result<T, SessionError>>,
) -> anyhow::Result<T> {
    let waiting = Waiting::start();
    let result = operation.await;
    drop(waiting);
    Ok(result?)
}

/// Reads `file` as JSON of the type `what` names.
pub fn read_json<T: serde::de::DeserializeOwned>(file: &Path, what: &str) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not {what}", file.display()))
}

/// `credence show`: an entry by its API path, verified against the validators with
/// `prove`.
pub async fn show(session: &Session, path: &str, prove: bool) -> anyhow::Result<()> {
    let path = path.trim_start_matches('/').trim_start_matches("v1/");
    // With --prove, one read carries both the value shown and its proof, so what is
    // printed is exactly what was verified.
    let query = if prove { "?prove=true" } else { "" };
    let answer = session.node.json(&format!("{path}{query}")).await?;
    if prove {
        let proven: Entry<serde_json::Value> = serde_json::from_value(answer.clone())
            .context("--prove applies to entries read by id or key")?;
        if let Some(proof) = &proven.proof {
            session
                .node
                .follow_epochs(&session.validators, &proof.header)
                .await?;
        }
        let value = session
            .validators
            .verify_entry(&proven.key, proven.proof.as_ref())?;
        let header = &proven.proof.as_ref().context("no proof")?.header;
        say(&format!(
            "verified: value proven against height {} (block {}), finalised by a quorum of its epoch's validators",
            header.header.height.0, header.digest,
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

/// `credence consent list`: every consent the subject gave, and how far into its file each
/// lender can see.
pub async fn consents(session: &Session, key: &credence_crypto::KeyFile) -> anyhow::Result<()> {
    let subject = session
        .subject(&credence_types::SubjectId::from_key(
            &key.signing.public_key(),
        ))
        .await?;
    let now = session.node.status().await?.time;
    let consents = session.consents(key).await?;
    println!("report key epoch {}", subject.report_key_epoch);
    println!(
        "{:<8} {:<8} {:<20} {:<5} {:<8} {:<24} opens epochs",
        "consent", "lender", "purpose", "kind", "state", "expires"
    );
    for consent in &consents {
        let state = if consent.is_active_at(now) {
            "active"
        } else if consent.revoked_at.is_some() {
            "revoked"
        } else {
            "expired"
        };
        let opens = consent
            .newest_epoch()
            .map_or_else(|| "none".to_string(), |newest| format!("0–{newest}"));
        println!(
            "{:<8} {:<8} {:<20} {:<5} {:<8} {:<24} {opens}",
            consent.id.to_string(),
            consent.lender.to_string(),
            serde_json::to_value(consent.purpose)?
                .as_str()
                .unwrap_or_default(),
            serde_json::to_value(consent.kind)?
                .as_str()
                .unwrap_or_default(),
            state,
            consent.expires_at.to_string(),
        );
    }
    if credence_client::session::needs_rotation(&consents, subject.report_key_epoch, now) {
        say("an ended consent still holds the current epoch: your next action rotates the key");
    }
    Ok(())
}

/// `credence dispute list`: the disputes of records the institution furnished, open ones
/// (with their deadlines) unless `all`.
pub async fn disputes(
    session: &Session,
    key: &credence_crypto::KeyFile,
    all: bool,
) -> anyhow::Result<()> {
    let disputes = session.disputes_received(key).await?;
    println!(
        "{:<8} {:<8} {:<20} {:<24} {:<10} subject",
        "dispute", "record", "reason", "deadline", "state"
    );
    for dispute in disputes
        .iter()
        .filter(|dispute| all || dispute.resolution.is_none())
    {
        let state = match dispute.resolution {
            None => "open".to_string(),
            Some(resolution) => serde_json::to_value(resolution)?
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        println!(
            "{:<8} {:<8} {:<20} {:<24} {:<10} {}",
            dispute.id.to_string(),
            dispute.record.to_string(),
            serde_json::to_value(dispute.reason)?
                .as_str()
                .unwrap_or_default(),
            dispute.deadline.to_string(),
            state,
            dispute.subject,
        );
    }
    Ok(())
}

/// `credence events follow`: tails the stream, reconnecting after the last event seen, so
/// nothing is missed or repeated.
pub async fn follow(session: &Session, query: EventsQuery) -> anyhow::Result<()> {
    let mut resume = None;
    loop {
        let mut stream = match session.node.events(&query, resume).await {
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
        resume = stream.last_id().or(resume);
        say("stream closed; resuming");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
