//! Proptest twin of the `proof` fuzz target (`fuzz/fuzz_targets/proof.rs`): the same
//! property function ([`credence_light::fuzzing::proof`]), fed the committed seed corpus
//! (`fuzz/corpus/proof/`: proofs from a real store, with their key and root) and
//! fuzzer-found regressions (`fuzz/regressions/proof/`), mutated as a fuzzer would, and
//! random bytes. CI runs this on the stable toolchain; the fuzzer runs the target for hours.
#![allow(clippy::unwrap_used)]

use credence_light::fuzzing;
use credence_types::fuzzing::mutate;
use proptest::{prelude::*, sample::Index};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::OnceLock,
};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir`, by name (none if it does not exist).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            (name, std::fs::read(entry.path()).unwrap())
        })
        .collect()
}

fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut inputs: Vec<Vec<u8>> = files(&fuzz_dir().join("corpus/proof"))
            .into_values()
            .collect();
        inputs.extend(files(&fuzz_dir().join("regressions/proof")).into_values());
        inputs
    })
}

#[test]
fn every_seed_is_a_real_proof_or_a_named_near_miss() {
    let seeds = files(&fuzz_dir().join("corpus/proof"));
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
