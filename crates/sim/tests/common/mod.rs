//! Helpers shared by the scenario files.
#![allow(dead_code, clippy::unwrap_used)]

use credence_node::service::now;
use credence_sim::{
    Config, Consortium, Context, Journal, OrFail as _, Simulation, Summary, transactions,
};
use credence_types::SignedTransaction;

/// Subjects the workload registers before its mix of transactions.
pub const SUBJECTS: usize = 12;

/// A consortium of `validators` and `count` transactions for it (after the subjects'
/// registrations), generated from `seed`.
pub fn workload(
    validators: usize,
    seed: u64,
    count: usize,
) -> (Consortium, Vec<SignedTransaction>) {
    let (consortium, mut reference) = Consortium::new(validators).unwrap();
    let workload = transactions(&mut reference, seed, SUBJECTS, count);
    (consortium, workload)
}

/// Starts a network whose genesis is now.
pub async fn start(context: Context, consortium: Consortium, config: Config) -> Simulation {
    logging();
    let validators = consortium.keys.len();
    let consortium = consortium.with_genesis_time(now(&context));
    Simulation::start(context, config, consortium, Journal::new(validators))
        .await
        .or_fail()
}

/// Prints what a passing run amounted to (shown with `--nocapture`, and on failure).
pub fn report(name: &str, seed: u64, summary: &Summary) {
    eprintln!("{name} seed {seed}: {summary}");
}

/// Initialises logging when `RUST_LOG` is set (e.g. `RUST_LOG=credence_node=debug`).
pub fn logging() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}
