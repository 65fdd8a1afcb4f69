//! Proptest twin of the `proof` fuzz target (`fuzz/fuzz_targets/proof.rs`): the same
//! property function ([`credence_light::fuzzing::proof`]), fed the committed seed corpus
//! (`fuzz/corpus/proof/`: proofs from a real store, with their key and root) and
//! fuzzer-found regressions (`fuzz/regressions/proof/`), mutated as a fuzzer would, and
//! random bytes. CI runs this on the stable toolchain; the fuzzer runs the target for hours.
#![allow(clippy::unwrap_used)]

use credence_light::fuzzing;
use credence_types::fuzzing::{fuzz_files, mutate};
use proptest::{prelude::*, sample::Index};
use std::sync::OnceLock;

fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut inputs: Vec<Vec<u8>> = fuzz_files("corpus/proof").into_values().collect();
        inputs.extend(fuzz_files("regressions/proof").into_values());
        inputs
    })
}

#[test]
fn every_seed_is_a_real_proof_or_a_named_near_miss() {
    let seeds = fuzz_files("corpus/proof");
    assert!(seeds.len() >= 4, "fuzz/corpus/proof holds proofs");
    for (name, bytes) in seeds {
        assert_eq!(
            fuzzing::proof(&bytes).is_some(),
            !name.starts_with("refused-"),
            "fuzz/corpus/proof/{name}: regenerate the corpus after a format change \
             (see fuzz/README.md)"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn proof_twin(pick: Index, other: Index, entropy: u64) {
        let inputs = corpus();
        let input = mutate(
            &inputs[pick.index(inputs.len())],
            &inputs[other.index(inputs.len())],
            entropy,
        );
        let _ = fuzzing::proof(&input);
    }

    #[test]
    fn random_bytes_keep_the_proof_contract(
        bytes in prop::collection::vec(any::<u8>(), 0..2_048),
    ) {
        let _ = fuzzing::proof(&bytes);
    }
}
