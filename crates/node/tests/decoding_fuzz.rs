//! Proptest twins of the node's fuzz targets (`fuzz/fuzz_targets/`): the same property
//! functions ([`credence_node::fuzzing`]), fed the committed seed corpus (`fuzz/corpus/`)
//! and fuzzer-found regressions (`fuzz/regressions/`), mutated as a fuzzer would, and random
//! bytes. CI runs these on the stable toolchain; the fuzzer runs the targets for hours.
//!
//! Also here: the corpus generator, `write_fuzz_corpus`, and a check that every committed
//! seed is still a real encoding that its decoder accepts (or, for a seed named
//! `refused-…`, a realistic near miss that it refuses).
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use commonware_codec::Encode as _;
use commonware_consensus::{
    simplex::{
        scheme::ed25519::Scheme,
        types::{
            Certificate, Finalization, Finalize, Notarization, Notarize, Nullification, Nullify,
            Proposal, Vote,
        },
    },
    types::{Epoch, Round, View},
};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_parallel::Sequential;
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use commonware_utils::{iter::NonEmpty, ordered::Set};
use credence_ledger::{
    ChangeSet,
    genesis::genesis_state,
    testkit::{Chain, Signer, fixed_payloads},
};
use credence_light::certificate::CONSENSUS_NAMESPACE;
use credence_node::{
    consensus::{
        block::{ChainBlock, to_engine},
        channels,
        gossip::Batch,
    },
    fuzzing,
};
use credence_store::{Store, StoreConfig};
use credence_types::{
    Block, BlockHeader, Digest, Height, InstitutionId, RecordId, SignedTransaction, TimestampMs,
    api::{BatchRequest, LookupRequest, SubmitRequest},
    block::transactions_root,
    codec::{BoundedVec, encode},
    fuzzing::{fuzz_dir, fuzz_files, mutate},
    state::{KEY_LEN, StateKey},
};
use proptest::{prelude::*, sample::Index};
use std::{collections::BTreeMap, sync::OnceLock};

/// The fuzz targets whose property functions live in this crate.
const TARGETS: [&str; 7] = [
    "batch",
    "block",
    "certificate",
    "json_transaction",
    "lookup",
    "peer_message",
    "submit",
];

/// A target's seeds and regressions: what its twin starts from.
fn corpus(target: &str) -> &'static [Vec<u8>] {
    static CORPORA: OnceLock<BTreeMap<&'static str, Vec<Vec<u8>>>> = OnceLock::new();
    CORPORA.get_or_init(|| {
        TARGETS
            .into_iter()
            .map(|target| {
                let mut inputs: Vec<Vec<u8>> = fuzz_files(&format!("corpus/{target}"))
                    .into_values()
                    .collect();
                inputs.extend(fuzz_files(&format!("regressions/{target}")).into_values());
                assert!(!inputs.is_empty(), "fuzz/corpus/{target} holds seeds");
                (target, inputs)
            })
            .collect()
    })[target]
        .as_slice()
}

/// A mutation of one of `target`'s inputs, spliced with another.
fn mutated(target: &str, pick: Index, other: Index, entropy: u64) -> Vec<u8> {
    let inputs = corpus(target);
    mutate(
        &inputs[pick.index(inputs.len())],
        &inputs[other.index(inputs.len())],
        entropy,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn block_twin(pick: Index, other: Index, entropy: u64) {
        let _ = fuzzing::block(&mutated("block", pick, other, entropy));
    }

    #[test]
    fn submit_twin(pick: Index, other: Index, entropy: u64) {
        let _ = fuzzing::submit(&mutated("submit", pick, other, entropy));
    }

    #[test]
    fn batch_twin(pick: Index, other: Index, entropy: u64) {
        let _ = fuzzing::batch(&mutated("batch", pick, other, entropy));
    }

    #[test]
    fn json_transaction_twin(pick: Index, other: Index, entropy: u64) {
        let _ = fuzzing::json_transaction(&mutated("json_transaction", pick, other, entropy));
    }

    #[test]
    fn lookup_twin(pick: Index, other: Index, entropy: u64) {
        let _ = fuzzing::lookup(&mutated("lookup", pick, other, entropy));
    }

    #[test]
    fn peer_message_twin(pick: Index, other: Index, entropy: u64) {
        let _ = fuzzing::peer_message(&mutated("peer_message", pick, other, entropy));
    }

    #[test]
    fn certificate_twin(pick: Index, other: Index, entropy: u64) {
        let _ = fuzzing::certificate(&mutated("certificate", pick, other, entropy));
    }

    #[test]
    fn random_bytes_keep_every_contract(bytes in prop::collection::vec(any::<u8>(), 0..1_024)) {
        let _ = fuzzing::block(&bytes);
        let _ = fuzzing::submit(&bytes);
        let _ = fuzzing::batch(&bytes);
        let _ = fuzzing::json_transaction(&bytes);
        let _ = fuzzing::lookup(&bytes);
        let _ = fuzzing::peer_message(&bytes);
        let _ = fuzzing::certificate(&bytes);
    }
}

/// Whether `target`'s property function accepts `input` (decodes it, or for a certificate,
/// finds it valid).
fn accepts(target: &str, input: &[u8]) -> bool {
    match target {
        "batch" => fuzzing::batch(input).is_some_and(|decoded| decoded > 0),
        "block" => fuzzing::block(input).is_some(),
        "certificate" => fuzzing::certificate(input).is_some(),
        "json_transaction" => fuzzing::json_transaction(input).is_some(),
        "lookup" => fuzzing::lookup(input).is_some(),
        "peer_message" => fuzzing::peer_message(input),
        "submit" => fuzzing::submit(input).is_some(),
        other => panic!("no target {other}"),
    }
}

#[test]
fn every_seed_is_a_real_encoding_or_a_named_near_miss() {
    for target in TARGETS {
        let seeds = fuzz_files(&format!("corpus/{target}"));
        assert!(seeds.len() >= 3, "fuzz/corpus/{target} holds seeds");
        for (name, bytes) in seeds {
            assert_eq!(
                accepts(target, &bytes),
                !name.starts_with("refused-"),
                "fuzz/corpus/{target}/{name}: regenerate the corpus after a format change \
                 (see fuzz/README.md)"
            );
        }
    }
}

/// Writes the seed corpus of every fuzz target under `fuzz/corpus/`, from real encodings:
/// the testkit's transaction of every kind, blocks of them, proofs from a real store,
/// votes and certificates signed with the engine's scheme. Deterministic: run it after a
/// format change and commit what changed.
#[test]
#[ignore = "writes fuzz/corpus/; run by hand after a format change (see fuzz/README.md)"]
fn write_fuzz_corpus() {
    for (target, seeds) in seeds() {
        let dir = fuzz_dir().join("corpus").join(target);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in seeds {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
}

type Seeds = Vec<(String, Vec<u8>)>;

fn seeds() -> BTreeMap<&'static str, Seeds> {
    let signed = signed_transactions();
    let blocks = blocks(&signed);
    let mut seeds = BTreeMap::new();
    seeds.insert(
        "transaction",
        signed
            .iter()
            .map(|(name, t)| (name.clone(), encode(t)))
            .collect(),
    );
    seeds.insert("json_transaction", json_transactions(&signed));
    seeds.insert("submit", submits(&signed));
    seeds.insert("batch", batches(&signed));
    seeds.insert("lookup", lookups(&signed));
    seeds.insert(
        "block",
        blocks
            .iter()
            .map(|(name, block)| (name.clone(), encode(block)))
            .collect(),
    );
    seeds.insert("proof", proofs());
    seeds.insert("certificate", certificates());
    seeds.insert("peer_message", peer_messages(&signed, &blocks));
    seeds
}

/// The testkit's payload of every kind, signed, named after its kind.
fn signed_transactions() -> Vec<(String, SignedTransaction)> {
    let chain = Chain::new();
    let signer = Signer::from_seed(1);
    fixed_payloads()
        .into_iter()
        .enumerate()
        .map(|(i, payload)| {
            let kind = serde_json::to_value(payload.kind()).unwrap();
            let name = format!("{:02}-{}", i + 1, kind.as_str().unwrap());
            let signed = signer
                .sign_with_nonce(&chain.chain_id(), i as u64 + 1, payload)
                .into_signed();
            (name, signed)
        })
        .collect()
}

fn json_transactions(signed: &[(String, SignedTransaction)]) -> Seeds {
    let mut seeds: Seeds = signed
        .iter()
        .map(|(name, t)| (name.clone(), serde_json::to_vec(&t.transaction).unwrap()))
        .collect();
    // Whole numbers written as floats, as a JavaScript client may send them.
    let mut floats = serde_json::to_value(&signed[0].1.transaction).unwrap();
    floats["nonce"] = serde_json::json!(1.0);
    seeds.push(("whole-floats".into(), serde_json::to_vec(&floats).unwrap()));
    let mut unknown = serde_json::to_value(&signed[1].1.transaction).unwrap();
    unknown["payload"]["kind"] = serde_json::json!("no_such_kind");
    seeds.push((
        "refused-unknown-kind".into(),
        serde_json::to_vec(&unknown).unwrap(),
    ));
    seeds
}

fn submits(signed: &[(String, SignedTransaction)]) -> Seeds {
    let submit = |transaction: String| serde_json::to_vec(&SubmitRequest { transaction }).unwrap();
    let mut seeds: Seeds = [0, 3, 20]
        .into_iter()
        .map(|i| {
            let (name, t) = &signed[i];
            (name.clone(), submit(hex::encode(encode(t))))
        })
        .collect();
    // Hex as a client may write it: upper case, padded with spaces.
    let (name, t) = &signed[1];
    let upper = format!(" {} ", hex::encode_upper(encode(t)));
    seeds.push((format!("{name}-upper-case"), submit(upper)));
    seeds.push(("refused-not-hex".into(), submit("zz".into())));
    seeds.push((
        "refused-not-a-transaction".into(),
        submit(hex::encode(&encode(&signed[0].1)[..40])),
    ));
    seeds
}

fn batches(signed: &[(String, SignedTransaction)]) -> Seeds {
    let batch = |items: Vec<String>| {
        serde_json::to_vec(&BatchRequest {
            transactions: items,
        })
        .unwrap()
    };
    let hex_of = |range: std::ops::Range<usize>| {
        signed[range]
            .iter()
            .map(|(_, t)| hex::encode(encode(t)))
            .collect::<Vec<_>>()
    };
    vec![
        ("one".into(), batch(hex_of(0..1))),
        ("eight".into(), batch(hex_of(3..11))),
        ("all".into(), batch(hex_of(0..signed.len()))),
        (
            "refused-not-hex".into(),
            batch(vec![hex::encode(encode(&signed[0].1)), "zz".into()]),
        ),
        ("refused-empty".into(), batch(Vec::new())),
    ]
}

fn lookups(signed: &[(String, SignedTransaction)]) -> Seeds {
    let lookup = |hashes: Vec<Digest>| serde_json::to_vec(&LookupRequest { hashes }).unwrap();
    let hashes: Vec<Digest> = signed.iter().map(|(_, t)| t.hash()).collect();
    vec![
        ("none".into(), lookup(Vec::new())),
        ("one".into(), lookup(hashes[..1].to_vec())),
        ("all".into(), lookup(hashes.clone())),
        (
            "upper-case".into(),
            format!("{{\"hashes\":[\"{}\"]}}", hex::encode_upper(hashes[0].0)).into_bytes(),
        ),
        (
            "refused-short-hash".into(),
            format!("{{\"hashes\":[\"{}\"]}}", hex::encode(&hashes[0].0[..31])).into_bytes(),
        ),
        (
            "refused-unknown-field".into(),
            b"{\"hashes\":[],\"prove\":true}".to_vec(),
        ),
    ]
}

fn block_of(height: u64, transactions: Vec<SignedTransaction>) -> Block {
    Block {
        header: BlockHeader {
            parent: Digest::of("parent", &[&height.to_be_bytes()]),
            height: Height(height),
            time: TimestampMs(1_800_000_000_000 + height * 500),
            proposer: fuzzing::validator_keys()[0],
            transactions_root: transactions_root(transactions.iter().map(SignedTransaction::hash)),
            transaction_count: transactions.len() as u32,
            state_root: Digest::of("state", &[&height.to_be_bytes()]),
        },
        transactions: BoundedVec::new(transactions).unwrap(),
    }
}

fn blocks(signed: &[(String, SignedTransaction)]) -> Vec<(String, Block)> {
    let all: Vec<SignedTransaction> = signed.iter().map(|(_, t)| t.clone()).collect();
    let many = |n: usize| all.iter().cycle().take(n).cloned().collect::<Vec<_>>();
    let limit = fuzzing::LIMITS.transactions_max;
    vec![
        (
            "genesis".into(),
            Block::genesis(TimestampMs(1_800_000_000_000), Digest::of("state", &[])),
        ),
        ("one".into(), block_of(1, many(1))),
        ("four".into(), block_of(2, all[4..8].to_vec())),
        ("at-the-limit".into(), block_of(3, many(limit))),
        (
            "refused-over-the-limit".into(),
            block_of(4, many(limit + 1)),
        ),
    ]
}

/// Proofs from a real store holding the testkit's genesis state and a block of records:
/// each seed is the key, the root and the proof, as [`credence_light::fuzzing::proof`]
/// reads them.
fn proofs() -> Seeds {
    let chain = Chain::new();
    deterministic::Runner::seeded(1).start(|context| async move {
        let mut store = Store::open(context.child("store"), &StoreConfig::small("corpus"))
            .await
            .unwrap();
        let genesis = Block::genesis(chain.genesis.genesis_time, Digest::default()).header;
        store
            .commit_changes(&genesis_state(&chain.genesis).unwrap(), &genesis)
            .await
            .unwrap();
        let mut records = ChangeSet::new();
        for id in (0..200).step_by(2) {
            let value = format!("record {id}").into_bytes();
            records.insert(StateKey::record(RecordId(id)), Some(value));
        }
        let next = BlockHeader {
            height: Height(1),
            ..genesis
        };
        store.commit_changes(&records, &next).await.unwrap();
        let root = store.root().unwrap();
        let keys = [
            (
                "present-institution",
                StateKey::institution(InstitutionId(0)),
            ),
            ("present-meta", StateKey::meta()),
            ("present-record", StateKey::record(RecordId(42))),
            ("absent-record", StateKey::record(RecordId(43))),
            ("absent-beyond-every-table", StateKey([0xfe; KEY_LEN])),
        ];
        let mut seeds = Seeds::new();
        for (name, key) in keys {
            let proof = store.prove(&key).await.unwrap();
            let mut seed = key.0.to_vec();
            seed.extend_from_slice(&root.0);
            seed.extend_from_slice(&encode(&proof));
            seeds.push((name.into(), seed));
        }
        let (_, first) = &seeds[2];
        let mut other_root = first.clone();
        other_root[KEY_LEN] ^= 1;
        seeds.push(("refused-other-root".into(), other_root));
        seeds
    })
}

fn engine_round(view: u64) -> Round {
    Round::new(Epoch::zero(), View::new(view))
}

fn proposal(view: u64, block: Digest) -> Proposal<commonware_cryptography::sha256::Digest> {
    Proposal::new(engine_round(view), View::new(view - 1), to_engine(&block))
}

/// The engine's signer for validator `index` of a network of the first `n`.
fn signer(n: usize, index: usize) -> Scheme {
    let secrets = &fuzzing::validator_secrets()[..n];
    let participants = Set::from_iter_dedup(secrets.iter().map(ed25519::PrivateKey::public_key));
    Scheme::signer(CONSENSUS_NAMESPACE, participants, secrets[index].clone()).unwrap()
}

/// A finalisation of `block` by the first `signers` of a network of `n`.
fn finalization(
    n: usize,
    signers: usize,
    view: u64,
    block: Digest,
) -> Finalization<Scheme, commonware_cryptography::sha256::Digest> {
    let votes = (0..signers).map(|i| Finalize::sign(&signer(n, i), proposal(view, block)).unwrap());
    Finalization::from_owned_finalizes(
        &signer(n, 0),
        NonEmpty::try_new(votes).unwrap(),
        &Sequential,
    )
    .unwrap()
}

fn certificates() -> Seeds {
    let block = Digest::of("block", &[]);
    let seed = |n: usize, asked: Digest, certificate: Vec<u8>| {
        let mut seed = vec![(n - 1) as u8];
        seed.extend_from_slice(&asked.0);
        seed.extend_from_slice(&certificate);
        seed
    };
    let cert = |n: usize, signers: usize| finalization(n, signers, 9, block).encode().to_vec();
    vec![
        ("one-of-one".into(), seed(1, block, cert(1, 1))),
        ("three-of-four".into(), seed(4, block, cert(4, 3))),
        ("four-of-four".into(), seed(4, block, cert(4, 4))),
        ("five-of-seven".into(), seed(7, block, cert(7, 5))),
        (
            "refused-another-block".into(),
            seed(4, Digest::of("another", &[]), cert(4, 3)),
        ),
        (
            "refused-another-validator-set".into(),
            seed(7, block, cert(4, 4)),
        ),
    ]
}

fn peer_messages(signed: &[(String, SignedTransaction)], blocks: &[(String, Block)]) -> Seeds {
    let on = |channel: u64, bytes: &[u8]| {
        let mut message = vec![channel as u8];
        message.extend_from_slice(bytes);
        message
    };
    let (_, block) = &blocks[2];
    let digest = ChainBlock::new(block.clone()).id();
    let validator = signer(4, 0);
    let vote = |vote: Vote<Scheme, _>| on(channels::VOTES, &vote.encode());
    let certificate = |c: Certificate<Scheme, _>| on(channels::CERTIFICATES, &c.encode());
    let notarizes = || (0..3).map(|i| Notarize::sign(&signer(4, i), proposal(7, digest)).unwrap());
    let notarization = Notarization::from_owned_notarizes(
        &validator,
        NonEmpty::try_new(notarizes()).unwrap(),
        &Sequential,
    )
    .unwrap();
    let nullifies = (0..3).map(|i| {
        Nullify::sign::<commonware_cryptography::sha256::Digest>(&signer(4, i), engine_round(8))
            .unwrap()
    });
    let nullification = Nullification::from_owned_nullifies(
        &validator,
        NonEmpty::try_new(nullifies).unwrap(),
        &Sequential,
    )
    .unwrap();
    let finalized = finalization(4, 3, 7, digest);
    let with_block = |certificate: Vec<u8>| {
        let mut response = certificate;
        response.extend_from_slice(&encode(block));
        on(channels::BACKFILL, &response)
    };
    let batch: Vec<SignedTransaction> = signed.iter().map(|(_, t)| t.clone()).collect();
    let mut forged = batch[..4].to_vec();
    forged[2].signature.0[10] ^= 1;
    vec![
        (
            "votes-notarize".into(),
            vote(Vote::Notarize(
                Notarize::sign(&validator, proposal(7, digest)).unwrap(),
            )),
        ),
        (
            "votes-nullify".into(),
            vote(Vote::Nullify(
                Nullify::sign::<commonware_cryptography::sha256::Digest>(
                    &validator,
                    engine_round(8),
                )
                .unwrap(),
            )),
        ),
        (
            "votes-finalize".into(),
            vote(Vote::Finalize(
                Finalize::sign(&validator, proposal(7, digest)).unwrap(),
            )),
        ),
        (
            "certificates-notarization".into(),
            certificate(Certificate::Notarization(notarization.clone())),
        ),
        (
            "certificates-nullification".into(),
            certificate(Certificate::Nullification(nullification)),
        ),
        (
            "certificates-finalization".into(),
            certificate(Certificate::Finalization(finalized.clone())),
        ),
        (
            "broadcast-block".into(),
            on(channels::BROADCAST, &encode(block)),
        ),
        (
            "backfill-finalized".into(),
            with_block(finalized.encode().to_vec()),
        ),
        (
            "backfill-notarized".into(),
            with_block(notarization.encode().to_vec()),
        ),
        (
            "mempool-batch".into(),
            on(channels::MEMPOOL, &encode(&Batch::new(batch).unwrap())),
        ),
        (
            "mempool-forged-signature".into(),
            on(channels::MEMPOOL, &encode(&Batch::new(forged).unwrap())),
        ),
        (
            "refused-mempool-truncated".into(),
            on(channels::MEMPOOL, &encode(&signed[0].1)[..40]),
        ),
    ]
}
