//! A real process writing blocks to disk, killed with SIGKILL at arbitrary instants: every
//! block it reported committed is still there on reopen, and the recovered state is exactly
//! the state after some whole block.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use commonware_runtime::{Runner as _, Supervisor as _, deterministic, tokio};
use credence_store::{Store, StoreConfig};
use credence_types::Digest;
use std::{
    io::{BufRead as _, BufReader},
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

mod common;
use common::{info, raw_block, same_block};

const WRITER_DIR: &str = "CREDENCE_STORE_WRITER_DIR";

/// Not a test on its own: the child process the kill test starts. Without the environment
/// variable it returns at once.
#[test]
fn writer_process() {
    let Some(dir) = std::env::var_os(WRITER_DIR) else {
        return;
    };
    let config = tokio::Config::new()
        .with_worker_threads(2)
        .with_storage_directory(dir);
    tokio::Runner::new(config).start(|context| async move {
        let mut store = Store::open(context.child("store"), &StoreConfig::small("kill"))
            .await
            .unwrap();
        let mut height = store.committed().map_or(0, |c| c.height.0 + 1);
        loop {
            store
                .commit_changes(&raw_block(height), &info(height))
                .await
                .unwrap();
            // Printed only once the commit is durable.
            println!("committed {height}");
            height += 1;
        }
    });
}

fn reference_roots(count: u64) -> Vec<Digest> {
    deterministic::Runner::seeded(0).start(|context| async move {
        let mut store = Store::open(context.child("store"), &StoreConfig::small("reference"))
            .await
            .unwrap();
        let mut roots = Vec::new();
        for height in 0..count {
            roots.push(
                store
                    .commit_changes(&raw_block(height), &info(height))
                    .await
                    .unwrap(),
            );
        }
        roots
    })
}

#[test]
fn sigkill_at_any_instant_loses_no_committed_block() {
    let dir = tempfile::tempdir().unwrap();
    let mut recovered = Vec::new();
    for round in 0..6u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "writer_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_DIR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let last = Arc::new(Mutex::new(None::<u64>));
        let (started, first_commit) = std::sync::mpsc::channel();
        let reader = {
            let last = Arc::clone(&last);
            let stdout = child.stdout.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(height) = line.strip_prefix("committed ") {
                        *last.lock().unwrap() = Some(height.parse().unwrap());
                        let _ = started.send(());
                    }
                }
            })
        };
        // Once it is writing, let it write for a while, then kill it without warning.
        first_commit
            .recv_timeout(Duration::from_secs(60))
            .expect("the writer starts committing");
        std::thread::sleep(Duration::from_millis(100 + (round * 137) % 400));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let reported = *last.lock().unwrap();

        let config = tokio::Config::new()
            .with_worker_threads(1)
            .with_storage_directory(dir.path());
        let (height, root) = tokio::Runner::new(config).start(|context| async move {
            let store = Store::open(context.child("store"), &StoreConfig::small("kill"))
                .await
                .unwrap();
            let committed = store
                .committed()
                .expect("the writer committed at least genesis");
            assert!(
                same_block(&committed, &info(committed.height.0)),
                "the metadata is a whole block's"
            );
            (committed.height.0, store.root().unwrap())
        });
        if let Some(reported) = reported {
            assert!(
                height >= reported,
                "round {round}: reported {reported}, recovered {height}"
            );
        }
        recovered.push((height, root));
    }
    let highest = recovered.iter().map(|(h, _)| *h).max().unwrap();
    let reference = reference_roots(highest + 1);
    for (height, root) in &recovered {
        assert_eq!(
            *root, reference[*height as usize],
            "state after a whole block {height}"
        );
    }
    // Each round wrote more: the kills did not stop progress.
    assert!(
        recovered.windows(2).all(|w| w[0].0 < w[1].0),
        "{recovered:?}"
    );
}
