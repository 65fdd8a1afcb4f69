//! Proofs stay within their bounds beside any value the store accepts: for random keys next
//! to values of random sizes up to the largest allowed, every inclusion and absence proof
//! fits `PROOF_BYTES_MAX` (and the tighter bounds it is derived from) and verifies; a value
//! larger than the store accepts is refused before it can make an unprovable neighbour.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use credence_ledger::ChangeSet;
use credence_light::proof::{
    ABSENCE_PROOF_BYTES_MAX, INCLUSION_PROOF_BYTES_MAX, PROOF_BYTES_MAX, VALUE_BYTES_MAX,
};
use credence_store::{StateProof, Store, StoreConfig, StoreError, verify};
use credence_types::{
    codec::encode,
    limits::STATE_VALUE_BYTES_MAX,
    state::{KEY_LEN, StateKey},
};
use proptest::prelude::*;

mod common;
use common::info;

use credence_ledger::testkit::key_step as step;

/// Proves `key` and checks the proof: within its bound, and proving `expected`.
async fn check(
    store: &Store<deterministic::Context>,
    key: &StateKey,
    expected: Option<&Vec<u8>>,
) -> Result<(), TestCaseError> {
    let root = store.root().unwrap();
    let proof = store.prove(key).await.unwrap();
    let (proof_bytes, bound) = match &proof {
        StateProof::Present { proof, .. } => (proof.len(), INCLUSION_PROOF_BYTES_MAX),
        StateProof::Absent { proof } => (proof.len(), ABSENCE_PROOF_BYTES_MAX),
    };
    prop_assert!(
        proof_bytes <= bound,
        "{proof_bytes} bytes of proof, bound {bound}"
    );
    prop_assert!(proof_bytes <= PROOF_BYTES_MAX);
    let answer = encode(&proof).len();
    prop_assert!(answer <= PROOF_BYTES_MAX + VALUE_BYTES_MAX + 16);
    prop_assert_eq!(verify(key, &proof, &root).ok(), Some(expected.cloned()));
    Ok(())
}

/// A value size: often the largest allowed, else anything up to it.
fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        1 => Just(VALUE_BYTES_MAX),
        1 => Just(0usize),
        4 => 0..=VALUE_BYTES_MAX,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn proofs_beside_values_of_any_allowed_size_fit_their_bound_and_verify(
        entries in proptest::collection::btree_map(
            proptest::array::uniform32(any::<u8>()), size(), 1..12),
        probes in proptest::collection::vec(proptest::array::uniform32(any::<u8>()), 8),
        seed in any::<u64>(),
    ) {
        let key = |prefix: &[u8; 32]| {
            let mut bytes = [0u8; KEY_LEN];
            bytes[..32].copy_from_slice(prefix);
            StateKey(bytes)
        };
        let mut changes = ChangeSet::new();
        for (prefix, size) in &entries {
            let value: Vec<u8> = (0..*size).map(|i| (i as u8) ^ prefix[0]).collect();
            changes.insert(key(prefix), Some(value));
        }
        let result: Result<(), TestCaseError> =
            deterministic::Runner::seeded(seed).start(|context| async move {
            let mut store = Store::open(context.child("store"), &StoreConfig::small("bounds"))
                .await
                .unwrap();
            store.commit_changes(&changes, &info(0)).await.unwrap();
            // Every entry, and the keys right beside it on both sides.
            for (present, value) in &changes {
                let value = value.as_ref();
                check(&store, present, value).await?;
                for delta in [-1, 1] {
                    let beside = step(present, delta);
                    check(&store, &beside, changes.get(&beside).and_then(Option::as_ref)).await?;
                }
            }
            // And keys anywhere.
            for prefix in &probes {
                let probe = key(prefix);
                check(&store, &probe, changes.get(&probe).and_then(Option::as_ref)).await?;
            }
            Ok(())
        });
        result?;
    }
}

#[test]
fn the_store_takes_values_up_to_the_state_bound_and_refuses_larger_ones() {
    assert_eq!(VALUE_BYTES_MAX, STATE_VALUE_BYTES_MAX);
    deterministic::Runner::seeded(7).start(|context| async move {
        let mut store = Store::open(context.child("store"), &StoreConfig::small("refuse"))
            .await
            .unwrap();
        let mut largest = ChangeSet::new();
        largest.insert(StateKey([1; KEY_LEN]), Some(vec![7; VALUE_BYTES_MAX]));
        store.commit_changes(&largest, &info(0)).await.unwrap();
        let mut larger = ChangeSet::new();
        larger.insert(StateKey([2; KEY_LEN]), Some(vec![7; VALUE_BYTES_MAX + 1]));
        assert!(matches!(
            store.speculate(None, &larger, &info(1)).await,
            Err(StoreError::ValueTooLarge(bytes)) if bytes == VALUE_BYTES_MAX + 1
        ));
        // Nothing was written: the store is still at the first block.
        assert_eq!(store.committed().map(|c| c.height.0), Some(0));
        assert_eq!(store.get(&StateKey([2; KEY_LEN])).await.unwrap(), None);
    });
}
