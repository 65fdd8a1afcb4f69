//! Pins the canonical encoding: the digest of one signed transaction of every kind, and of
//! the genesis document and its state. A change here is a format change: a node running
//! the old format would disagree with one running the new. Update a pin only deliberately,
//! with the reason in the commit message.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_ledger::{
    genesis::genesis_state,
    testkit::{Chain, Signer, fixed_payloads},
};
use credence_types::{
    Digest, SignedTransaction,
    codec::{decode, encode},
    transaction::PayloadKind,
};

/// Signed with the testkit's deterministic key (seed 1), nonce 1, on `credence-test`.
const PINNED: [(PayloadKind, &str); 27] = [
    (
        PayloadKind::RegisterSubject,
        "3fe3d2db28c6593fe9761dcfb50a7c5f603c2855c9793acca50c8bb7091f02b2",
    ),
    (
        PayloadKind::AttestKyc,
        "09a89153612f8adf8467749fa7ffa14c240aed5fbf1e55405bdb50c70953753a",
    ),
    (
        PayloadKind::RotateReportKey,
        "809cd825075b0317614678b1839de7e75a47f925408c38380db3450e6c62a8d3",
    ),
    (
        PayloadKind::FurnishRecord,
        "57615cff5f3370dc44fbce2f08f09be527f0e013cf90fd72e69e966cf3bdfa25",
    ),
    (
        PayloadKind::GrantConsent,
        "23bc77c6c7c17e691328fe091951d574343e4c89605cce918750b7224870c3dc",
    ),
    (
        PayloadKind::RevokeConsent,
        "f93be382f3c322f61b40a38806d5a42e41c7e5e7524a31ee90f0ab1e60d67d9b",
    ),
    (
        PayloadKind::RecordInquiry,
        "532bb82007c2069f2029e666a760a1d233599f1ee9d9085e2add29cb07825e2d",
    ),
    (
        PayloadKind::OpenDispute,
        "cc5827bdfb2581b623429bc539b3a5d8c6e0a3a696fa0628c8fcc79121467200",
    ),
    (
        PayloadKind::AnswerDispute,
        "8e796951a329bc90ed2f11343711f2f2be21d33709c5e19c7a2c266c03ffca7d",
    ),
    (
        PayloadKind::ProposeGovernance,
        "eeea360ff129423cac19665601dcdac5db9994afdd45dcaabc70f9f02f082e3d",
    ),
    (
        PayloadKind::ApproveGovernance,
        "9596548dac562f0a891577792c1e63da7ad8bace85b5021cc0f871ea96d7c4d3",
    ),
    (
        PayloadKind::RecordAuditAccess,
        "576cc07e69ad7cd251e99503bb4190e16113ed5efd706b51c80c956225239c4c",
    ),
    (
        PayloadKind::DefineAssetClass,
        "b85b19b9f689d58f7ad257239d7da41800fad04d810d9333fe52cc3cbba16ede",
    ),
    (
        PayloadKind::RegisterAsset,
        "8cf3ac4a00ee2e0531dededdedc6584d523a9e421d8217ff8fbefcfb248d9327",
    ),
    (
        PayloadKind::RevalueAsset,
        "7cb0acb5dbf944f60ff6888ed90abfafc038a9e336f416ab981f3d886a3ee2ec",
    ),
    (
        PayloadKind::TransferAsset,
        "f233025d7d9b61d858c12a1163d8756968452a7340fb145f632df2364068fb19",
    ),
    (
        PayloadKind::AppointAppraiser,
        "c0ce321f43608ef847231037d7350ce6bfe36471391a5e5f2745629feade54b7",
    ),
    (
        PayloadKind::IssueCurrency,
        "4f550ed9974161bec306371f62080f1726f10f11097bf77391cfbf177dafdd05",
    ),
    (
        PayloadKind::MintFunds,
        "fc1cc76c76ceb149d50510112a0b20fba8c2f283975f1f7bf19bb9525b11bd49",
    ),
    (
        PayloadKind::RedeemFunds,
        "c3c49fb7ddd4180094d25be2988e01a72fcbf1bfbf7173e91078f5074baf6857",
    ),
    (
        PayloadKind::TransferFunds,
        "6a4b1d2f941adb0c42ea77def783678ef9ceb8bd2f34e6036a2820e0c5c66b1d",
    ),
    (
        PayloadKind::OfferLoan,
        "c64ad0011e27529a36209913834ed71dfeb6d0194e161b6badb1988db186198b",
    ),
    (
        PayloadKind::AcceptLoan,
        "811f7beff3e28555930e56a3eccff727951084fbbda1217c0172fd958b49accf",
    ),
    (
        PayloadKind::WithdrawOffer,
        "89d562b27125a66c9f9ee069684255fd2d55d0bd37f9c61e49eabba7684f8c5e",
    ),
    (
        PayloadKind::RepayLoan,
        "23e4371b2051c935fc17e957dcc395cc6e15f4e1f9dc84f4cab3b37ce16836d9",
    ),
    (
        PayloadKind::ConfirmRepayment,
        "f843753f6ab0947c136077dc4f1638576c1f937f044e6f354fed14155eac4000",
    ),
    (
        PayloadKind::CompleteLiquidation,
        "de0d6fd5c3c22e91c0c1548b7df753dcf6da4892b1b7c5a6a395989639656bd3",
    ),
];

const GENESIS_DIGEST: &str = "4ee5737129f39f216bf42fc440e2c3de84795a51dacfdfe977cc627e075ec675";
const GENESIS_STATE_DIGEST: &str =
    "5553f349505e338da3a498bb76c245e92dfe01265868113d23abcc09e151d359";

#[test]
fn signed_transactions_of_every_kind_keep_their_encoding() {
    let chain = Chain::new();
    let signer = Signer::from_seed(1);
    let mut actual = Vec::new();
    for (payload, (kind, _)) in fixed_payloads().into_iter().zip(PINNED) {
        assert_eq!(payload.kind(), kind);
        let tx = signer.sign_with_nonce(&chain.chain_id(), 1, payload);
        let bytes = encode(tx.signed());
        let decoded: SignedTransaction = decode(&bytes).unwrap();
        assert_eq!(&decoded, tx.signed(), "{kind:?} round-trips");
        actual.push((kind, tx.hash().to_string()));
    }
    let expected: Vec<_> = PINNED.iter().map(|(k, h)| (*k, (*h).to_string())).collect();
    assert_eq!(
        actual, expected,
        "transaction encoding changed: see this file's header"
    );
}

#[test]
fn genesis_keeps_its_digest_and_state() {
    let chain = Chain::new();
    assert_eq!(chain.genesis.digest().to_string(), GENESIS_DIGEST);
    let changes = genesis_state(&chain.genesis).unwrap();
    assert_eq!(
        fixed_payloads().len(),
        PayloadKind::ALL.len(),
        "a fixture for every kind"
    );
    let mut parts = Vec::new();
    for (key, value) in &changes {
        parts.push(key.0.to_vec());
        parts.push(value.clone().unwrap());
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    assert_eq!(
        Digest::of("credence/test-state", &refs).to_string(),
        GENESIS_STATE_DIGEST
    );
}
