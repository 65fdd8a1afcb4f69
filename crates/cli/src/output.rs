//! What the commands print: results on standard output (for machines and pipes), progress
//! and what a transaction caused on standard error (for people).

use credence_client::Finalised;
use credence_types::receipt::Event;
use std::io::IsTerminal as _;

/// A line for people, on standard error.
pub fn say(line: &str) {
    eprintln!("{line}");
}

/// One line about an event: its kind, then its fields as `key=value`.
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

/// Where a transaction landed and what it caused.
pub fn finalised(done: &Finalised) {
    say(&format!(
        "finalised at height {} ({})",
        done.height, done.hash
    ));
    for event in &done.events {
        say(&format!("  {}", describe(event)));
    }
}

/// Shows, on a terminal, that a command waits for finality; cleared when dropped.
pub struct Waiting {
    shown: bool,
}

impl Waiting {
    /// Starts showing it.
    pub fn start() -> Self {
        let shown = std::io::stderr().is_terminal();
        if shown {
            eprint!("waiting for the transaction to finalise…\r");
        }
        Self { shown }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.shown {
            eprint!("\x1b[2K");
        }
    }
}

/// What a governance vote did.
pub fn voted(voted: &credence_client::governance::Voted) {
    println!("proposal {}", voted.proposal.0);
    if voted.enacted {
        println!("enacted");
    }
}
