//! Decoders fed truncated, corrupted and random bytes return an error, never panic, and never
//! accept trailing bytes: every value has exactly one encoding.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_ledger::testkit::{Chain, Signer, Workload, fixed_payloads};
use credence_types::{
    SignedTransaction,
    codec::{decode, encode},
    receipt::BlockEvent,
    state::{
        BlockEventsChunk, Consent, Dispute, Inquiry, Institution, Meta, Record, StateKey, Subject,
        Table, TransactionReceipt,
    },
};
use proptest::prelude::*;

/// Decodes `bytes` as the object stored in `table`, if the table's value has a known type;
/// whatever the result, it must not panic.
fn decode_as(table: u8, bytes: &[u8]) -> Option<bool> {
    let tag = |t: Table| t as u8;
    Some(match table {
        t if t == tag(Table::Meta) => decode::<Meta>(bytes).is_ok(),
        t if t == tag(Table::Institution) => decode::<Institution>(bytes).is_ok(),
        t if t == tag(Table::Subject) => decode::<Subject>(bytes).is_ok(),
        t if t == tag(Table::Record) => decode::<Record>(bytes).is_ok(),
        t if t == tag(Table::Consent) => decode::<Consent>(bytes).is_ok(),
        t if t == tag(Table::Inquiry) => decode::<Inquiry>(bytes).is_ok(),
        t if t == tag(Table::Dispute) => decode::<Dispute>(bytes).is_ok(),
        t if t == tag(Table::Transaction) => decode::<TransactionReceipt>(bytes).is_ok(),
        t if t == tag(Table::BlockEvents) => decode::<BlockEventsChunk>(bytes).is_ok(),
        _ => return None,
    })
}

fn signed_samples() -> Vec<Vec<u8>> {
    static SAMPLES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SAMPLES
        .get_or_init(|| {
            let chain = Chain::new();
            let signer = Signer::from_seed(1);
            fixed_payloads()
                .into_iter()
                .map(|payload| {
                    encode(
                        signer
                            .sign_with_nonce(&chain.chain_id(), 1, payload)
                            .signed(),
                    )
                })
                .collect()
        })
        .clone()
}

/// State values of every kind from a busy history.
fn state_samples() -> Vec<(u8, Vec<u8>)> {
    let mut chain = Chain::new();
    let mut workload = Workload::new(11, 12);
    workload.register_all(&mut chain, 12);
    for _ in 0..4 {
        workload.block(&mut chain, 30, 1_000);
    }
    chain.advance_days(31);
    chain
        .state
        .iter()
        .filter(|(key, _)| decode_as(key.tag(), &[]).is_some())
        .map(|(key, value): (&StateKey, &Vec<u8>)| (key.tag(), value.clone()))
        .collect()
}

#[test]
fn every_truncation_of_a_transaction_is_rejected() {
    for bytes in signed_samples() {
        assert!(decode::<SignedTransaction>(&bytes).is_ok());
        for len in 0..bytes.len() {
            assert!(
                decode::<SignedTransaction>(&bytes[..len]).is_err(),
                "prefix of {len}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(
            decode::<SignedTransaction>(&longer).is_err(),
            "trailing byte accepted"
        );
    }
}

#[test]
fn every_truncation_of_a_state_value_is_rejected() {
    let samples = state_samples();
    let tables: std::collections::BTreeSet<u8> = samples.iter().map(|(t, _)| *t).collect();
    assert!(
        tables.len() >= 8,
        "the history covers the value tables: {tables:?}"
    );
    for (table, bytes) in samples {
        assert_eq!(decode_as(table, &bytes), Some(true), "table {table:#x}");
        for len in 0..bytes.len() {
            assert_eq!(
                decode_as(table, &bytes[..len]),
                Some(false),
                "table {table:#x} prefix {len}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn corrupted_transactions_never_panic(
        pick in 0usize..12,
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = signed_samples().swap_remove(pick);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(decoded) = decode::<SignedTransaction>(&bytes) {
            // Anything that decodes re-encodes to the same bytes: one encoding per value.
            prop_assert_eq!(encode(&decoded), bytes);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2_048)) {
        let _ = decode::<SignedTransaction>(&bytes);
        let _ = decode::<BlockEvent>(&bytes);
        for table in 0u8..=0x80 {
            let _ = decode_as(table, &bytes);
        }
    }
}
