//! Seeds: every scenario runs once per seed, and a failure names the seed that reproduces it.
//!
//! `SEED=<u64>` in the environment runs exactly that seed (for every test in the run);
//! otherwise each test runs its own small CI sweep, and the `#[ignore]`d variants a larger
//! one.

use std::{
    any::Any,
    ops::Range,
    panic::{AssertUnwindSafe, catch_unwind, resume_unwind},
};

/// The environment variable that pins the seed.
pub const SEED_VARIABLE: &str = "SEED";

/// The seeds to run: the one in `SEED` when it is set, otherwise `default`.
///
/// # Panics
///
/// If `SEED` is set but is not a `u64`: a typo must not silently run the default sweep.
pub fn seeds(default: Range<u64>) -> Vec<u64> {
    match std::env::var(SEED_VARIABLE) {
        Ok(value) => match value.trim().parse::<u64>() {
            Ok(seed) => vec![seed],
            Err(error) => panic!("{SEED_VARIABLE}={value:?} is not a u64 seed: {error}"),
        },
        Err(_) => default.collect(),
    }
}

/// Runs `scenario` once per seed (see [`seeds`]). If a run panics, panics again with the
/// scenario's name, the seed and the command that reproduces it, followed by the original
/// message.
pub fn for_each_seed(name: &str, default: Range<u64>, scenario: impl Fn(u64)) {
    for seed in seeds(default) {
        eprintln!("{name}: seed {seed}");
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| scenario(seed))) {
            let Some(message) = panic_message(&*panic) else {
                resume_unwind(panic)
            };
            panic!(
                "{name} failed with seed {seed} (reproduce: {SEED_VARIABLE}={seed} cargo test \
                 -p credence-sim {name} -- --include-ignored --exact)\n{message}"
            );
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> Option<String> {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
}
