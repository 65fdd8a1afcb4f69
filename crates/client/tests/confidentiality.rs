//! Consent that really ends: a lender whose consent was revoked, or expired and was followed
//! by the borrower's rotation, opens nothing furnished afterwards — however much it kept.
//!
//! The attacker is the strongest lender the threat model allows. It keeps every report key
//! it was ever handed (everything its consents, grants and re-wraps alike, ever sealed to
//! it, read back from state after every block), its own encryption secret, and every
//! ciphertext on the ledger; and it applies every derivation the client code offers
//! (`build::report_key` and `build::report_keys` from any key it holds, as if it were a
//! subject's master) to every epoch. The borrower acts through the client's own payload
//! builders and its own rule for rotating after an expiry (`session::needs_rotation`).
#![allow(clippy::unwrap_used)]

use credence_client::{build, session::needs_rotation};
use credence_crypto::{
    EncryptionSecret,
    sealing::{payload_context, report_key_context},
};
use credence_ledger::testkit::{BANK_A, BANK_B, Borrower, Chain, LENDER_C, tradeline};
use credence_types::{
    ConsentId, EncryptionKey, InstitutionId, Payload, RecordId, TimestampMs,
    metro2::AccountStatus,
    state::{Consent, Record, StateKey, Subject},
    time::MS_PER_DAY,
    transaction::{InquiryKind, Purpose, RecordPlaintext},
};
use proptest::prelude::*;

const LENDERS: [usize; 3] = [BANK_A, BANK_B, LENDER_C];

/// A borrower acting through the client library: its master secret never leaves it.
struct Holder {
    signer: Borrower,
    master: EncryptionSecret,
}

/// The test world: the chain, the borrower, the records furnished so far.
struct World {
    chain: Chain,
    borrower: Holder,
    records: Vec<RecordId>,
    furnished: u32,
}

impl World {
    fn new(seed: u64) -> Self {
        let mut chain = Chain::new();
        let mut signer = Borrower::new(seed);
        let master = EncryptionSecret::derive(&seed.to_be_bytes());
        let id = signer.id();
        let register = build::register_subject(&id, &master, &chain.audit.public_key()).unwrap();
        let tx = chain.borrower_tx(&mut signer, register);
        chain.ok(tx);
        Self {
            chain,
            borrower: Holder { signer, master },
            records: Vec::new(),
            furnished: 0,
        }
    }

    fn subject(&self) -> Subject {
        self.chain
            .get(&StateKey::subject(&self.borrower.signer.id()))
            .unwrap()
    }

    fn consents(&self) -> Vec<Consent> {
        let subject = self.subject();
        (0..subject.listings.consents)
            .map(|sequence| {
                let id: ConsentId = self
                    .chain
                    .get(&StateKey::subject_consent(subject.number, sequence))
                    .unwrap();
                self.chain.get(&StateKey::consent(id)).unwrap()
            })
            .collect()
    }

    fn lender_key(&self, lender: usize) -> EncryptionKey {
        self.chain.members[lender].encryption.public_key()
    }

    /// The borrower signs `payload`, which must apply.
    fn act(&mut self, payload: Payload) {
        let tx = self.chain.borrower_tx(&mut self.borrower.signer, payload);
        self.chain.ok(tx);
    }

    /// What the client does before any other action of the subject: rotate if an ended
    /// consent still holds the current epoch.
    fn before_acting(&mut self) {
        let subject = self.subject();
        if needs_rotation(&self.consents(), subject.report_key_epoch, self.chain.time) {
            self.rotate();
        }
    }

    /// The consents in force now, each with its lender's key: those a rotation re-wraps for.
    fn kept(&self, except: Option<ConsentId>) -> Vec<(ConsentId, EncryptionKey)> {
        self.consents()
            .into_iter()
            .filter(|c| c.is_active_at(self.chain.time) && Some(c.id) != except)
            .map(|c| {
                let lender = usize::try_from(c.lender.0).unwrap();
                (c.id, self.lender_key(lender))
            })
            .collect()
    }

    fn rotate(&mut self) {
        let subject = self.subject();
        let rotation = build::rotation(
            &subject.id,
            &self.borrower.master,
            subject.report_key_epoch,
            &self.kept(None),
            &self.chain.audit.public_key(),
        )
        .unwrap();
        self.act(Payload::RotateReportKey(rotation));
    }

    fn active_consent(&self, lender: usize) -> Option<ConsentId> {
        self.consents()
            .into_iter()
            .find(|c| c.lender == InstitutionId(lender as u64) && c.is_active_at(self.chain.time))
            .map(|c| c.id)
    }

    fn grant(&mut self, lender: usize, days: u64) {
        self.before_acting();
        if self.active_consent(lender).is_some() {
            return;
        }
        let subject = self.subject();
        let keys = build::report_keys(&self.borrower.master, subject.report_key_epoch);
        let payload = build::grant_consent(
            &subject.id,
            &keys,
            InstitutionId(lender as u64),
            &self.lender_key(lender),
            Purpose::CreditApplication,
            InquiryKind::Hard,
            TimestampMs(self.chain.time.0 + days * MS_PER_DAY),
        )
        .unwrap();
        self.act(payload);
    }

    fn revoke(&mut self, lender: usize) {
        self.before_acting();
        let Some(consent) = self.active_consent(lender) else {
            return;
        };
        let subject = self.subject();
        let payload = build::revoke_consent(
            &subject.id,
            &self.borrower.master,
            subject.report_key_epoch,
            consent,
            &self.kept(Some(consent)),
            &self.chain.audit.public_key(),
        )
        .unwrap();
        self.act(payload);
    }

    /// A furnisher reports a record, sealed to the subject's current report key as its
    /// client does.
    fn furnish(&mut self, furnisher: usize) -> RecordId {
        let subject = self.subject();
        self.furnished += 1;
        let account = format!("acct-{}", self.furnished);
        let today = self.chain.time.date();
        let line = tradeline(&account, AccountStatus::Current, today, None);
        let payload = build::furnish(
            &subject.id,
            &subject.report_key,
            subject.report_key_epoch,
            build::account_reference(&[7; 32], &account),
            line,
            None,
        )
        .unwrap();
        let tx = self.chain.member_tx(furnisher, payload);
        self.chain.ok(tx);
        let id = RecordId(u64::from(self.furnished) - 1);
        self.records.push(id);
        id
    }

    /// Every secret `lender` holds: its own encryption secret and every report key its
    /// consents ever sealed to it (unwrapped), then every key any client derivation gives
    /// from any of those.
    fn lender_knowledge(&self, lender: usize) -> Vec<EncryptionSecret> {
        let own = self.chain.members[lender].encryption.clone();
        let subject = self.subject();
        let mut held = vec![own.clone()];
        for consent in self.consents() {
            if consent.lender != InstitutionId(lender as u64) {
                continue;
            }
            for wrapped in consent.report_keys.as_slice() {
                let context = report_key_context(&subject.id, wrapped.epoch);
                held.push(own.unwrap_key(&wrapped.key, &context).unwrap());
            }
        }
        let reach = subject.report_key_epoch + 3;
        let mut derived = held.clone();
        for key in &held {
            derived.extend(build::report_keys(key, reach));
        }
        derived
    }

    /// Whether `lender`, with everything it holds, opens record `id`.
    fn opens(&self, lender: usize, id: RecordId) -> bool {
        let record: Record = self.chain.get(&StateKey::record(id)).unwrap();
        let subject = self.subject();
        let payload = record.payload.as_ref().unwrap();
        let context = payload_context(&subject.id, record.report_key_epoch);
        self.lender_knowledge(lender).iter().any(|key| {
            key.open_payload(payload, &context).is_ok_and(|bytes| {
                credence_types::codec::decode::<RecordPlaintext>(&bytes)
                    .is_ok_and(|plain| plain.commitment() == record.commitment)
            })
        })
    }

    /// The epochs sealed to `lender` by any of its consents.
    fn epochs_sealed_to(&self, lender: usize) -> Vec<u32> {
        self.consents()
            .iter()
            .filter(|c| c.lender == InstitutionId(lender as u64))
            .flat_map(|c| c.report_keys.iter().map(|w| w.epoch).collect::<Vec<_>>())
            .collect()
    }
}

/// One thing that happens to the file.
#[derive(Clone, Debug)]
enum Step {
    Grant(usize),
    Revoke(usize),
    Rotate,
    Furnish(usize),
    /// Days pass (consents may expire at the next block).
    Wait(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize).prop_map(|l| Step::Grant(LENDERS[l])),
        (0..3usize).prop_map(|l| Step::Revoke(LENDERS[l])),
        Just(Step::Rotate),
        (0..2usize).prop_map(|f| Step::Furnish([BANK_A, BANK_B][f])),
        (1..20u64).prop_map(Step::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// With no expiry in play, a lender opens a record exactly when it held a consent in
    /// force when the record was furnished, or was granted one later (a consent opens the
    /// whole file): a revocation closes every record furnished after it, whatever keys the
    /// lender kept and derived, until the borrower consents again.
    #[test]
    fn a_revoked_lender_holding_every_key_it_was_given_cannot_open_a_later_record(
        seed in 0u64..1_000,
        steps in prop::collection::vec(step(), 1..24),
    ) {
        let mut world = World::new(seed);
        // Consents of a year: nothing expires within these steps' days.
        let mut entitled: Vec<(RecordId, Vec<usize>)> = Vec::new();
        for step in steps {
            match step {
                Step::Grant(lender) => {
                    if world.active_consent(lender).is_none() {
                        for (_, readers) in &mut entitled {
                            readers.push(lender);
                        }
                    }
                    world.grant(lender, 365);
                }
                Step::Revoke(lender) => world.revoke(lender),
                Step::Rotate => { world.before_acting(); world.rotate(); }
                Step::Furnish(furnisher) => {
                    let readers: Vec<usize> = LENDERS
                        .into_iter()
                        .filter(|l| world.active_consent(*l).is_some())
                        .collect();
                    let id = world.furnish(furnisher);
                    entitled.push((id, readers));
                }
                Step::Wait(_) => {}
            }
            for (record, readers) in &entitled {
                for lender in LENDERS {
                    prop_assert_eq!(
                        world.opens(lender, *record),
                        readers.contains(&lender),
                        "lender {} and {:?}", lender, record
                    );
                }
            }
        }
    }

    /// With expiries, time passing and the borrower acting in any order, no lender ever
    /// opens a record sealed to an epoch its consents were not handed: no key it holds
    /// derives another epoch's.
    #[test]
    fn no_lender_opens_an_epoch_it_was_not_handed(
        seed in 0u64..1_000,
        steps in prop::collection::vec(step(), 1..24),
    ) {
        let mut world = World::new(seed);
        for step in steps {
            match step {
                Step::Grant(lender) => world.grant(lender, 15),
                Step::Revoke(lender) => world.revoke(lender),
                Step::Rotate => { world.before_acting(); world.rotate(); }
                Step::Furnish(furnisher) => { world.furnish(furnisher); }
                Step::Wait(days) => { world.chain.advance_days(days); }
            }
            for record in world.records.clone() {
                let epoch = world
                    .chain
                    .get::<Record>(&StateKey::record(record))
                    .unwrap()
                    .report_key_epoch;
                for lender in LENDERS {
                    prop_assert_eq!(
                        world.opens(lender, record),
                        world.epochs_sealed_to(lender).contains(&epoch)
                    );
                }
            }
        }
    }
}

/// A consent that expired opens what was furnished before the borrower next acted (the
/// ledger cannot rotate a key it does not hold), and nothing furnished after that action,
/// whose first step is the rotation.
#[test]
fn an_expired_consent_opens_nothing_furnished_after_the_rotation() {
    let mut world = World::new(42);
    world.grant(BANK_B, 10);
    let before = world.furnish(BANK_A);
    assert!(world.opens(BANK_B, before));

    world.chain.advance_days(11);
    assert!(
        world.active_consent(BANK_B).is_none(),
        "the consent has expired"
    );
    let between = world.furnish(BANK_A);
    assert!(
        world.opens(BANK_B, between),
        "until the borrower acts, the current key is the one the expired lender holds"
    );

    // The borrower acts (here, grants another lender): the client rotates first.
    let epoch = world.subject().report_key_epoch;
    world.grant(LENDER_C, 30);
    assert_eq!(world.subject().report_key_epoch, epoch + 1);
    let after = world.furnish(BANK_A);
    assert!(
        !world.opens(BANK_B, after),
        "every key and derivation it has fails"
    );
    assert!(world.opens(LENDER_C, after));
    assert!(world.opens(BANK_B, before) && world.opens(BANK_B, between));
}

#[test]
fn the_audit_key_opens_every_epoch() {
    let mut world = World::new(7);
    world.grant(BANK_A, 30);
    world.revoke(BANK_A);
    world.rotate();
    let subject = world.subject();
    assert_eq!(subject.report_key_epoch, 2);
    for epoch in 0..=subject.report_key_epoch {
        let stored: credence_types::state::ReportKeyEpoch = world
            .chain
            .get(&StateKey::report_key_epoch(subject.number, epoch))
            .unwrap();
        let key = world
            .chain
            .audit
            .unwrap_key(
                &stored.audit_key_wrap,
                &report_key_context(&subject.id, epoch),
            )
            .unwrap();
        assert_eq!(key.public_key(), stored.report_key);
        assert_eq!(
            key.public_key(),
            build::report_key(&world.borrower.master, epoch).public_key()
        );
    }
}
