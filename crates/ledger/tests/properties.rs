//! Property tests: random sequences of credit-sharing transactions, checked against a small
//! reference model after every step.
//!
//! Properties:
//! - determinism: the same sequence gives the same state and receipts, every time;
//! - a rejected transaction changes nothing but its signer's nonce (and nothing at all for
//!   a wrong nonce or chain), and a replayed transaction is always rejected;
//! - an inquiry applies exactly when the model holds an active consent for that lender;
//! - a lender can open a record exactly when it was given the key of the record's epoch: a
//!   record furnished after a revocation (and its key rotation) stays closed to the revoked
//!   lender, whatever keys it kept;
//! - an unanswered dispute always lapses by its deadline.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_crypto::{
    VerifiedTransaction,
    sealing::{payload_context, report_key_context},
};
use credence_ledger::testkit::{
    BANK_A, BANK_B, Borrower, Chain, LENDER_C, changed_tables, rejection_footprint,
};
use credence_types::{
    ConsentId, DisputeId, Payload, RecordId, Rejection,
    codec::Name,
    metro2::AccountStatus,
    receipt::Outcome,
    state::{Consent, Dispute, Record, StateKey},
    transaction::{
        AnswerDispute, DisputeAnswer, DisputeReason, OpenDispute, Purpose, RecordInquiry,
    },
};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const SUBJECTS: usize = 3;
const LENDERS: [usize; 3] = [BANK_A, BANK_B, LENDER_C];
const FURNISHERS: [usize; 2] = [BANK_A, BANK_B];

#[derive(Clone, Debug)]
enum Op {
    Register(usize),
    Furnish {
        furnisher: usize,
        subject: usize,
        adverse: bool,
    },
    Grant {
        subject: usize,
        lender: usize,
    },
    Revoke {
        subject: usize,
        pick: usize,
        corrupt: bool,
    },
    Rotate {
        subject: usize,
    },
    Inquire {
        lender: usize,
        consent: u64,
    },
    Dispute {
        subject: usize,
        pick: usize,
    },
    Answer {
        pick: usize,
        delete: bool,
    },
    Advance {
        days: u64,
    },
    Replay {
        pick: usize,
    },
    WrongChain {
        subject: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let s = 0..SUBJECTS;
    prop_oneof![
        3 => s.clone().prop_map(Op::Register),
        4 => (0..2usize, s.clone(), any::<bool>())
            .prop_map(|(f, subject, adverse)| Op::Furnish { furnisher: FURNISHERS[f], subject, adverse }),
        3 => (s.clone(), 0..3usize).prop_map(|(subject, l)| Op::Grant { subject, lender: LENDERS[l] }),
        2 => (s.clone(), 0..4usize, prop::bool::weighted(0.2))
            .prop_map(|(subject, pick, corrupt)| Op::Revoke { subject, pick, corrupt }),
        1 => s.clone().prop_map(|subject| Op::Rotate { subject }),
        3 => (0..3usize, 0..8u64).prop_map(|(l, consent)| Op::Inquire { lender: LENDERS[l], consent }),
        2 => (s.clone(), 0..6usize).prop_map(|(subject, pick)| Op::Dispute { subject, pick }),
        2 => (0..4usize, any::<bool>()).prop_map(|(pick, delete)| Op::Answer { pick, delete }),
        2 => (0..40u64).prop_map(|days| Op::Advance { days }),
        1 => (0..64usize).prop_map(|pick| Op::Replay { pick }),
        1 => s.prop_map(|subject| Op::WrongChain { subject }),
    ]
}

/// What the model knows of a consent.
#[derive(Clone, Debug)]
struct ModelConsent {
    subject: usize,
    lender: usize,
    expires_at: u64,
    ended: bool,
}

/// The reference model: just enough to predict the properties above.
struct Model {
    chain: Chain,
    borrowers: Vec<Borrower>,
    registered: BTreeSet<usize>,
    consents: BTreeMap<u64, ModelConsent>,
    /// Records furnished, with (subject, epoch).
    records: BTreeMap<u64, (usize, u32)>,
    /// Report-key epochs each (lender, subject) was ever given.
    keys_given: BTreeMap<(usize, usize), BTreeSet<u32>>,
    disputes: Vec<u64>,
    history: Vec<VerifiedTransaction>,
    receipts: Vec<Outcome>,
    /// Every block applied: its time step and transactions, for replays.
    blocks: Vec<(u64, Vec<VerifiedTransaction>)>,
}

impl Model {
    fn new() -> Self {
        Self {
            chain: Chain::new(),
            borrowers: (0..SUBJECTS)
                .map(|i| Borrower::new(i as u64 + 100))
                .collect(),
            registered: BTreeSet::new(),
            consents: BTreeMap::new(),
            records: BTreeMap::new(),
            keys_given: BTreeMap::new(),
            disputes: Vec::new(),
            history: Vec::new(),
            receipts: Vec::new(),
            blocks: Vec::new(),
        }
    }

    fn now(&self) -> u64 {
        self.chain.time.0
    }

    /// The model's active consents of `subject`, ascending.
    fn active(&self, subject: usize, at: u64) -> Vec<(u64, usize)> {
        self.consents
            .iter()
            .filter(|(_, c)| c.subject == subject && !c.ended && at < c.expires_at)
            .map(|(id, c)| (*id, c.lender))
            .collect()
    }

    /// Applies `tx` in a block one second on, checking the rejection property.
    fn submit(&mut self, tx: VerifiedTransaction) -> Outcome {
        let before = self.chain.state.clone();
        let outcome = self.chain.block(1_000, std::slice::from_ref(&tx));
        // Expiries run in the begin-block step of this block; mirror them.
        let now = self.now();
        for consent in self.consents.values_mut() {
            if now >= consent.expires_at {
                consent.ended = true;
            }
        }
        let result = outcome.receipts[0].outcome;
        if let Outcome::Rejected(rejection) = result {
            // Only the begin-block step and the nonce may have written. Re-run the block's
            // begin-block alone to know what it wrote.
            let tx_events: Vec<_> = outcome
                .events
                .iter()
                .filter(|e| {
                    matches!(
                        e.source,
                        credence_types::receipt::EventSource::Transaction(_)
                    )
                })
                .collect();
            assert!(
                tx_events.is_empty(),
                "a rejected transaction emitted events"
            );
            // With no begin-block events, the block wrote only what the transaction did.
            if outcome.events.is_empty() {
                let changed = changed_tables(&before, &self.chain.state);
                let allowed = if matches!(
                    rejection,
                    Rejection::NonceNotNext | Rejection::ChainIdMismatch
                ) {
                    std::collections::BTreeSet::new()
                } else {
                    rejection_footprint()
                };
                assert!(
                    changed.is_subset(&allowed),
                    "rejected {rejection:?} changed {changed:?}"
                );
            }
        }
        self.blocks.push((1_000, vec![tx.clone()]));
        self.history.push(tx);
        self.receipts.push(result);
        result
    }

    fn step(&mut self, op: &Op) {
        match *op {
            Op::Register(i) => {
                let payload = self.chain.register(&self.borrowers[i]);
                let tx = self.chain.borrower_tx(&mut self.borrowers[i], payload);
                let outcome = self.submit(tx);
                let expected = if self.registered.contains(&i) {
                    Outcome::Rejected(Rejection::SignerAlreadyRegistered)
                } else {
                    Outcome::Applied
                };
                assert_eq!(outcome, expected);
                self.registered.insert(i);
            }
            Op::Furnish {
                furnisher,
                subject,
                adverse,
            } => {
                if !self.registered.contains(&subject) {
                    return;
                }
                let status = if adverse {
                    AccountStatus::PastDue30
                } else {
                    AccountStatus::Current
                };
                let account = format!("acct-{subject}-{}", self.records.len());
                let f = self
                    .chain
                    .furnishing(&self.borrowers[subject], &account, status, None);
                let epoch = f.report_key_epoch;
                let tx = self.chain.member_tx(furnisher, Payload::FurnishRecord(f));
                let outcome = self.submit(tx);
                assert_eq!(outcome, Outcome::Applied);
                let id = self.records.len() as u64;
                self.records.insert(id, (subject, epoch));
            }
            Op::Grant { subject, lender } => {
                if !self.registered.contains(&subject) {
                    return;
                }
                let payload =
                    self.chain
                        .consent(&self.borrowers[subject], lender, Purpose::AccountReview);
                let tx = self
                    .chain
                    .borrower_tx(&mut self.borrowers[subject], payload);
                let outcome = self.submit(tx);
                assert_eq!(outcome, Outcome::Applied);
                let id = self.consents.len() as u64;
                let consent: Consent = self.chain.get(&StateKey::consent(ConsentId(id))).unwrap();
                self.consents.insert(
                    id,
                    ModelConsent {
                        subject,
                        lender,
                        expires_at: consent.expires_at.0,
                        ended: false,
                    },
                );
                let epochs = self.keys_given.entry((lender, subject)).or_default();
                epochs.extend(consent.report_keys.iter().map(|k| k.epoch));
            }
            Op::Revoke {
                subject,
                pick,
                corrupt,
            } => {
                if !self.registered.contains(&subject) {
                    return;
                }
                let at = self.now() + 1_000;
                let active = self.active(subject, at);
                let Some(&(revoked, _)) = active.get(pick % active.len().max(1)) else {
                    return;
                };
                let mut keep: Vec<(ConsentId, usize)> = active
                    .iter()
                    .filter(|(id, _)| *id != revoked)
                    .map(|(id, lender)| (ConsentId(*id), *lender))
                    .collect();
                if corrupt && !keep.is_empty() {
                    keep.pop();
                }
                let mut next = self.borrowers[subject].clone();
                let payload = self.chain.revoke(&mut next, ConsentId(revoked), &keep);
                let tx = self
                    .chain
                    .borrower_tx(&mut self.borrowers[subject], payload);
                let outcome = self.submit(tx);
                let expected_ok = keep.len() + 1 == active.len();
                if expected_ok {
                    assert_eq!(outcome, Outcome::Applied);
                    self.borrowers[subject].report_keys = next.report_keys;
                    self.consents.get_mut(&revoked).unwrap().ended = true;
                    let epoch = self.borrowers[subject].epoch();
                    for (_, lender) in keep {
                        self.keys_given
                            .entry((lender, subject))
                            .or_default()
                            .insert(epoch);
                    }
                } else {
                    assert_eq!(outcome, Outcome::Rejected(Rejection::RewrapsMismatch));
                }
            }
            Op::Rotate { subject } => {
                if !self.registered.contains(&subject) {
                    return;
                }
                let at = self.now() + 1_000;
                let keep: Vec<(ConsentId, usize)> = self
                    .active(subject, at)
                    .into_iter()
                    .map(|(id, lender)| (ConsentId(id), lender))
                    .collect();
                let mut next = self.borrowers[subject].clone();
                let rotation = self.chain.rotation(&mut next, &keep);
                let tx = self.chain.borrower_tx(
                    &mut self.borrowers[subject],
                    Payload::RotateReportKey(rotation),
                );
                assert_eq!(self.submit(tx), Outcome::Applied);
                self.borrowers[subject].report_keys = next.report_keys;
                let epoch = self.borrowers[subject].epoch();
                for (_, lender) in keep {
                    self.keys_given
                        .entry((lender, subject))
                        .or_default()
                        .insert(epoch);
                }
            }
            Op::Inquire { lender, consent } => {
                let at = self.now() + 1_000;
                let tx = self.chain.member_tx(
                    lender,
                    Payload::RecordInquiry(RecordInquiry {
                        consent: ConsentId(consent),
                    }),
                );
                let outcome = self.submit(tx);
                let allowed = self
                    .consents
                    .get(&consent)
                    .is_some_and(|c| c.lender == lender && !c.ended && at < c.expires_at);
                assert_eq!(
                    outcome == Outcome::Applied,
                    allowed,
                    "inquiry on {consent} by {lender}: {outcome:?}"
                );
            }
            Op::Dispute { subject, pick } => {
                if !self.registered.contains(&subject) {
                    return;
                }
                let theirs: Vec<u64> = self
                    .records
                    .iter()
                    .filter(|(_, (s, _))| *s == subject)
                    .map(|(id, _)| *id)
                    .collect();
                let Some(&record) = theirs.get(pick % theirs.len().max(1)) else {
                    return;
                };
                let before: Record = self.chain.get(&StateKey::record(RecordId(record))).unwrap();
                let tx = self.chain.borrower_tx(
                    &mut self.borrowers[subject],
                    Payload::OpenDispute(OpenDispute {
                        record: RecordId(record),
                        reason: DisputeReason::NotMine,
                    }),
                );
                let outcome = self.submit(tx);
                let expected = if before.deleted {
                    Outcome::Rejected(Rejection::RecordDeleted)
                } else if before.open_dispute.is_some() {
                    Outcome::Rejected(Rejection::RecordAlreadyDisputed)
                } else {
                    Outcome::Applied
                };
                assert_eq!(outcome, expected);
                if outcome == Outcome::Applied {
                    self.disputes.push(self.disputes.len() as u64);
                }
            }
            Op::Answer { pick, delete } => {
                let Some(&dispute) = self.disputes.get(pick % self.disputes.len().max(1)) else {
                    return;
                };
                let state: Dispute = self
                    .chain
                    .get(&StateKey::dispute(DisputeId(dispute)))
                    .unwrap();
                let furnisher = state.furnisher.0 as usize;
                let answer = if delete {
                    DisputeAnswer::Deleted
                } else {
                    DisputeAnswer::Verified
                };
                let tx = self.chain.member_tx(
                    furnisher,
                    Payload::AnswerDispute(AnswerDispute {
                        dispute: DisputeId(dispute),
                        answer,
                    }),
                );
                let outcome = self.submit(tx);
                let open = state.resolution.is_none() && self.now() < state.deadline.0;
                assert_eq!(outcome == Outcome::Applied, open, "{outcome:?}");
            }
            Op::Advance { days } => {
                self.chain.advance_days(days);
                self.blocks.push((days * 86_400_000, Vec::new()));
                let now = self.now();
                for consent in self.consents.values_mut() {
                    if now >= consent.expires_at {
                        consent.ended = true;
                    }
                }
            }
            Op::Replay { pick } => {
                if self.history.is_empty() {
                    return;
                }
                let tx = self.history[pick % self.history.len()].clone();
                let expected = if tx.transaction().chain_id == self.chain.chain_id() {
                    Rejection::NonceNotNext
                } else {
                    Rejection::ChainIdMismatch
                };
                assert_eq!(self.submit(tx), Outcome::Rejected(expected));
            }
            Op::WrongChain { subject } => {
                let chain = Name::new("elsewhere").unwrap();
                let b = &self.borrowers[subject];
                let tx = b.signer.sign_with_nonce(
                    &chain,
                    b.signer.nonce + 1,
                    Payload::ApproveGovernance(credence_types::ProposalId(0)),
                );
                assert_eq!(
                    self.submit(tx),
                    Outcome::Rejected(Rejection::ChainIdMismatch)
                );
            }
        }
    }

    /// Every lender opens exactly the records of the epochs it was given keys for, using
    /// only what the ledger holds for it.
    fn check_confidentiality(&self) {
        for (&record_id, &(subject, epoch)) in &self.records {
            let record: Record = self
                .chain
                .get(&StateKey::record(RecordId(record_id)))
                .unwrap();
            let Some(sealed) = record.payload.as_ref() else {
                continue;
            };
            let id = self.borrowers[subject].id();
            for lender in LENDERS {
                let mut opened = false;
                for (consent_id, consent) in &self.consents {
                    if consent.subject != subject || consent.lender != lender {
                        continue;
                    }
                    let state: Consent = self
                        .chain
                        .get(&StateKey::consent(ConsentId(*consent_id)))
                        .unwrap();
                    for wrapped in state.report_keys.iter() {
                        let key = self.chain.members[lender]
                            .encryption
                            .unwrap_key(&wrapped.key, &report_key_context(&id, wrapped.epoch))
                            .unwrap();
                        opened |= key
                            .open_payload(sealed, &payload_context(&id, epoch))
                            .is_ok();
                    }
                }
                let given = self
                    .keys_given
                    .get(&(lender, subject))
                    .is_some_and(|epochs| epochs.contains(&epoch));
                assert_eq!(
                    opened, given,
                    "lender {lender} on record {record_id} (epoch {epoch})"
                );
            }
        }
    }

    /// No open dispute is past its deadline once a block has run after it.
    fn check_disputes(&self) {
        for &dispute in &self.disputes {
            let state: Dispute = self
                .chain
                .get(&StateKey::dispute(DisputeId(dispute)))
                .unwrap();
            if state.resolution.is_none() {
                assert!(
                    self.now() < state.deadline.0,
                    "dispute {dispute} overdue and open"
                );
            }
        }
    }
}

fn run(ops: &[Op]) -> Model {
    let mut model = Model::new();
    for op in ops {
        model.step(op);
    }
    model
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_sequences_keep_the_rules(ops in prop::collection::vec(op(), 1..40)) {
        let model = run(&ops);
        model.check_confidentiality();
        model.check_disputes();
    }

    #[test]
    fn execution_is_deterministic(ops in prop::collection::vec(op(), 1..30)) {
        // Clients seal with fresh randomness, so determinism is about the ledger: the same
        // blocks, byte for byte, applied twice from genesis.
        let model = run(&ops);
        let replay = || {
            let mut chain = Chain::new();
            let outputs: Vec<_> = model
                .blocks
                .iter()
                .map(|(step, txs)| {
                    let outcome = chain.block(*step, txs);
                    (outcome.receipts, outcome.events)
                })
                .collect();
            (chain.digest(), outputs)
        };
        let (first_digest, first) = replay();
        let (second_digest, second) = replay();
        prop_assert_eq!(first_digest, second_digest);
        prop_assert_eq!(first_digest, model.chain.digest());
        prop_assert_eq!(first, second);
    }
}
