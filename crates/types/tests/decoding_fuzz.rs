//! Proptest twin of the `transaction` fuzz target (`fuzz/fuzz_targets/transaction.rs`): the
//! same property function ([`credence_types::fuzzing::transaction`]), fed the committed seed
//! corpus (`fuzz/corpus/transaction/`) and fuzzer-found regressions
//! (`fuzz/regressions/transaction/`), mutated as a fuzzer would, and random bytes. CI runs
//! this on the stable toolchain; the fuzzer runs the target for hours.
#![allow(clippy::unwrap_used)]

use credence_types::fuzzing::{self, fuzz_files, mutate};
use proptest::{prelude::*, sample::Index};
use std::sync::OnceLock;

/// The transaction target's seeds and regressions, and the block seeds (a block's
/// transactions are transactions too).
fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut inputs: Vec<Vec<u8>> = fuzz_files("corpus/transaction").into_values().collect();
        inputs.extend(fuzz_files("regressions/transaction").into_values());
        inputs.extend(fuzz_files("corpus/block").into_values());
        inputs
    })
}

#[test]
fn every_seed_is_a_real_transaction() {
    let seeds = fuzz_files("corpus/transaction");
    assert!(
        seeds.len() >= 26,
        "fuzz/corpus/transaction holds a transaction of every kind"
    );
    for (name, bytes) in seeds {
        assert!(
            fuzzing::transaction(&bytes).is_some(),
            "fuzz/corpus/transaction/{name}: regenerate the corpus after a format change \
             (see fuzz/README.md)"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    #[test]
    fn transaction_twin(pick: Index, other: Index, entropy: u64) {
        let inputs = corpus();
        let input = mutate(
            &inputs[pick.index(inputs.len())],
            &inputs[other.index(inputs.len())],
            entropy,
        );
        let _ = fuzzing::transaction(&input);
        let _ = fuzzing::block(&input);
    }

    #[test]
    fn random_bytes_keep_the_transaction_contract(
        bytes in prop::collection::vec(any::<u8>(), 0..2_048),
    ) {
        let _ = fuzzing::transaction(&bytes);
        let _ = fuzzing::block(&bytes);
    }
}
