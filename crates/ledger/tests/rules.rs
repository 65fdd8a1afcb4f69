//! One test (or a few) per rule of the state machine, through `apply_block` on a chain in
//! memory.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_crypto::sealing::{payload_context, report_key_context};
use credence_ledger::testkit::{
    BANK_A, BANK_B, Borrower, Chain, LENDER_C, REGISTRAR, REGULATOR, changed_tables,
};
use credence_types::{
    ConsentId, Digest, DisputeId, InstitutionId, Payload, ProposalId, RecordId, Rejection, Role,
    Roles, TimestampMs,
    codec::{Name, decode},
    governance::{GovernanceAction, NewInstitution, Parameters},
    metro2::AccountStatus,
    receipt::{DisputeResolution, Event, Outcome},
    state::{
        Consent, Dispute, Institution, Meta, Proposal, ProposalStatus, Record, StateKey,
        TransactionReceipt,
    },
    transaction::{
        AnswerDispute, AttestKyc, DisputeAnswer, DisputeReason, OpenDispute, ProposeGovernance,
        Purpose, RecordAuditAccess, RecordInquiry, RecordPlaintext,
    },
};

fn rejected(rejection: Rejection) -> Outcome {
    Outcome::Rejected(rejection)
}

fn registered(chain: &mut Chain, seed: u64) -> Borrower {
    let mut borrower = Borrower::new(seed);
    let register = chain.register(&borrower);
    let tx = chain.borrower_tx(&mut borrower, register);
    chain.ok(tx);
    borrower
}

fn events(outcome: &credence_ledger::BlockOutcome) -> Vec<Event> {
    outcome.events.iter().map(|e| e.event.clone()).collect()
}

// ----- Envelope -----

#[test]
fn wrong_chain_and_wrong_nonce_change_nothing() {
    let mut chain = Chain::new();
    let before = chain.state.clone();
    let other = Name::new("another-chain").unwrap();
    let tx = chain.members[BANK_A].signer.sign_with_nonce(
        &other,
        1,
        Payload::ApproveGovernance(ProposalId(0)),
    );
    assert_eq!(chain.apply(tx), rejected(Rejection::ChainIdMismatch));
    let tx = chain.members[BANK_A].signer.sign_with_nonce(
        &chain.chain_id(),
        2,
        Payload::ApproveGovernance(ProposalId(0)),
    );
    assert_eq!(chain.apply(tx), rejected(Rejection::NonceNotNext));
    // Nothing at all was written, not even a receipt: neither used up its nonce.
    let changed = changed_tables(&before, &chain.state);
    assert!(changed.is_empty(), "{changed:?}");
}

#[test]
fn a_transaction_rejected_for_its_nonce_still_applies_when_its_nonce_comes() {
    // A Byzantine leader includes a subject's second transaction before its first.
    let mut chain = Chain::new();
    let mut borrower = Borrower::new(7);
    let register = chain.register(&borrower);
    let register = chain.borrower_tx(&mut borrower, register);
    let consent = chain.consent(&borrower, BANK_A, Purpose::AccountReview);
    let consent = chain.borrower_tx(&mut borrower, consent);
    let early = chain.block(1_000, std::slice::from_ref(&consent));
    assert_eq!(early.receipts[0].outcome, rejected(Rejection::NonceNotNext));
    assert!(
        chain
            .get::<TransactionReceipt>(&StateKey::transaction(&consent.hash()))
            .is_none(),
        "no receipt: the transaction may still apply"
    );
    // In order, both apply, and the stored receipt says so.
    let block = chain.block(1_000, &[register, consent.clone()]);
    assert!(block.receipts.iter().all(|r| r.outcome == Outcome::Applied));
    let receipt: TransactionReceipt = chain.get(&StateKey::transaction(&consent.hash())).unwrap();
    assert_eq!(receipt.outcome, Outcome::Applied);
    assert_eq!(receipt.height, chain.height);
    assert_eq!(chain.subject(&borrower).active_consents.len(), 1);
}

#[test]
fn a_rejected_transaction_consumes_its_nonce_and_cannot_be_replayed() {
    let mut chain = Chain::new();
    let tx = chain.member_tx(BANK_A, Payload::ApproveGovernance(ProposalId(42)));
    assert_eq!(
        chain.apply(tx.clone()),
        rejected(Rejection::ProposalUnknown)
    );
    assert_eq!(chain.apply(tx), rejected(Rejection::NonceNotNext));
}

#[test]
fn unknown_keys_may_only_register() {
    let mut chain = Chain::new();
    let mut stranger = Borrower::new(9);
    let tx = chain.borrower_tx(&mut stranger, Payload::ApproveGovernance(ProposalId(0)));
    assert_eq!(chain.apply(tx), rejected(Rejection::SignerUnknown));
}

// ----- Subjects -----

#[test]
fn a_subject_registers_once_under_its_key_derived_pseudonym() {
    let mut chain = Chain::new();
    let mut borrower = registered(&mut chain, 1);
    let subject = chain.subject(&borrower);
    assert_eq!(subject.id, borrower.id());
    assert_eq!(subject.report_key_epoch, 0);
    let again = chain.register(&borrower);
    let tx = chain.borrower_tx(&mut borrower, again);
    assert_eq!(
        chain.apply(tx),
        rejected(Rejection::SignerAlreadyRegistered)
    );
    // An institution's key cannot register as a subject either.
    let as_subject = chain.register(&borrower);
    let tx = chain.member_tx(BANK_A, as_subject);
    assert_eq!(
        chain.apply(tx),
        rejected(Rejection::SignerAlreadyRegistered)
    );
}

#[test]
fn the_audit_key_opens_every_epoch_of_a_subjects_report_key() {
    let mut chain = Chain::new();
    let borrower = registered(&mut chain, 2);
    let epoch: credence_types::state::ReportKeyEpoch = chain
        .get(&StateKey::report_key_epoch(
            chain.subject(&borrower).number,
            0,
        ))
        .unwrap();
    let opened = chain
        .audit
        .unwrap_key(
            &epoch.audit_key_wrap,
            &report_key_context(&borrower.id(), 0),
        )
        .unwrap();
    assert_eq!(opened.public_key(), borrower.current_key().public_key());
}

#[test]
fn kyc_attestations_hold_a_commitment_once_per_institution() {
    let mut chain = Chain::new();
    let borrower = registered(&mut chain, 3);
    let attest = Payload::AttestKyc(AttestKyc {
        subject: borrower.id(),
        commitment: Digest::of("kyc", &[b"salted identity"]),
    });
    let tx = chain.member_tx(BANK_A, attest.clone());
    chain.ok(tx);
    let tx = chain.member_tx(BANK_A, attest.clone());
    assert_eq!(chain.apply(tx), rejected(Rejection::KycAlreadyAttested));
    let tx = chain.member_tx(BANK_B, attest);
    chain.ok(tx);
    let unknown = Payload::AttestKyc(AttestKyc {
        subject: Borrower::new(99).id(),
        commitment: Digest::default(),
    });
    let tx = chain.member_tx(BANK_A, unknown);
    assert_eq!(chain.apply(tx), rejected(Rejection::SubjectUnknown));
}

// ----- Records -----

#[test]
fn furnishing_checks_the_metro2_rules() {
    let mut chain = Chain::new();
    chain.advance_days(60);
    let borrower = registered(&mut chain, 4);
    let mut late = chain.furnishing(&borrower, "acct-1", AccountStatus::PastDue30, None);
    late.first_delinquency = None;
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(late));
    assert_eq!(
        chain.apply(tx),
        rejected(Rejection::FirstDelinquencyRequired)
    );

    let mut future = chain.furnishing(&borrower, "acct-1", AccountStatus::Current, None);
    future.as_of = credence_types::Date(future.as_of.0 + 2);
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(future));
    assert_eq!(chain.apply(tx), rejected(Rejection::ReportDateInFuture));

    let mut backwards = chain.furnishing(&borrower, "acct-1", AccountStatus::PastDue30, None);
    backwards.first_delinquency = Some(credence_types::Date(backwards.as_of.0 + 1));
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(backwards));
    assert_eq!(
        chain.apply(tx),
        rejected(Rejection::FirstDelinquencyAfterReport)
    );

    let delete = chain.furnishing(&borrower, "acct-1", AccountStatus::DeleteAccount, None);
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(delete));
    assert_eq!(chain.apply(tx), rejected(Rejection::DeletionMustSupersede));

    let mut stale = chain.furnishing(&borrower, "acct-1", AccountStatus::Current, None);
    stale.report_key_epoch = 1;
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(stale));
    assert_eq!(chain.apply(tx), rejected(Rejection::ReportKeyEpochStale));
}

#[test]
fn an_adverse_record_emits_an_adverse_event_and_opens_for_the_subject() {
    let mut chain = Chain::new();
    chain.advance_days(60);
    let borrower = registered(&mut chain, 5);
    let furnishing = chain.furnishing(&borrower, "acct-1", AccountStatus::PastDue60, None);
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(furnishing));
    let outcome = chain.ok(tx);
    let events = events(&outcome);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Adverse {
            status: AccountStatus::PastDue60,
            record: RecordId(0),
            ..
        }
    )));
    let record: Record = chain.get(&StateKey::record(RecordId(0))).unwrap();
    let plaintext = borrower
        .current_key()
        .open_payload(
            record.payload.as_ref().unwrap(),
            &payload_context(&borrower.id(), 0),
        )
        .unwrap();
    let plaintext: RecordPlaintext = decode(&plaintext).unwrap();
    assert_eq!(plaintext.commitment(), record.commitment);
    assert_eq!(plaintext.tradeline.account_status, AccountStatus::PastDue60);
    // Seven years after the first delinquency, the payload will be purged.
    assert_eq!(
        record.purge_on,
        Some(record.first_delinquency.unwrap().plus_years(7))
    );
}

#[test]
fn corrections_supersede_and_never_edit() {
    let mut chain = Chain::new();
    let borrower = registered(&mut chain, 6);
    let first = chain.furnishing(&borrower, "acct-1", AccountStatus::Current, None);
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(first.clone()));
    chain.ok(tx);
    let update = chain.furnishing(
        &borrower,
        "acct-1",
        AccountStatus::PaidOrClosed,
        Some(RecordId(0)),
    );
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(update.clone()));
    chain.ok(tx);
    let original: Record = chain.get(&StateKey::record(RecordId(0))).unwrap();
    assert_eq!(original.superseded_by, Some(RecordId(1)));
    assert_eq!(
        original.payload.as_ref(),
        Some(&first.payload),
        "content untouched"
    );

    // A second supersession of the same record, another furnisher's, another account's.
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(update));
    assert_eq!(
        chain.apply(tx),
        rejected(Rejection::RecordAlreadySuperseded)
    );
    let foreign = chain.furnishing(
        &borrower,
        "acct-1",
        AccountStatus::Current,
        Some(RecordId(1)),
    );
    let tx = chain.member_tx(BANK_B, Payload::FurnishRecord(foreign));
    assert_eq!(chain.apply(tx), rejected(Rejection::SupersedeForeignRecord));
    let other_account = chain.furnishing(
        &borrower,
        "acct-2",
        AccountStatus::Current,
        Some(RecordId(1)),
    );
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(other_account));
    assert_eq!(chain.apply(tx), rejected(Rejection::SupersedeForeignRecord));
    let missing = chain.furnishing(
        &borrower,
        "acct-1",
        AccountStatus::Current,
        Some(RecordId(77)),
    );
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(missing));
    assert_eq!(chain.apply(tx), rejected(Rejection::RecordUnknown));

    // A deletion code deletes the account's latest record.
    let delete = chain.furnishing(
        &borrower,
        "acct-1",
        AccountStatus::DeleteAccount,
        Some(RecordId(1)),
    );
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(delete));
    chain.ok(tx);
    let deleted: Record = chain.get(&StateKey::record(RecordId(1))).unwrap();
    assert!(deleted.deleted);
}

#[test]
fn negative_payloads_are_purged_at_the_end_of_retention() {
    let mut chain = Chain::new();
    chain.advance_days(60);
    let borrower = registered(&mut chain, 7);
    let furnishing = chain.furnishing(&borrower, "acct-1", AccountStatus::ChargeOff, None);
    let commitment = furnishing.commitment;
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(furnishing));
    chain.ok(tx);
    let purge_on = chain
        .get::<Record>(&StateKey::record(RecordId(0)))
        .unwrap()
        .purge_on
        .unwrap();
    // The day before: still there.
    let days = u64::from(purge_on.0 - chain.time.date().0) - 1;
    chain.advance_days(days);
    assert!(
        chain
            .get::<Record>(&StateKey::record(RecordId(0)))
            .unwrap()
            .payload
            .is_some()
    );
    let outcome = chain.advance_days(1);
    assert!(events(&outcome).contains(&Event::RecordPurged {
        record: RecordId(0),
        subject: borrower.id()
    }));
    let record: Record = chain.get(&StateKey::record(RecordId(0))).unwrap();
    assert_eq!(record.payload, None);
    assert_eq!(
        record.commitment, commitment,
        "the commitment outlives the payload"
    );
}

// ----- Consents and inquiries -----

#[test]
fn consent_grants_check_the_lender_the_expiry_and_the_keys() {
    let mut chain = Chain::new();
    let mut borrower = registered(&mut chain, 8);
    let mut payload = chain.consent(&borrower, REGULATOR, Purpose::CreditApplication);
    let tx = chain.borrower_tx(&mut borrower, payload.clone());
    assert_eq!(chain.apply(tx), rejected(Rejection::LenderIneligible));

    payload = chain.consent(&borrower, LENDER_C, Purpose::CreditApplication);
    if let Payload::GrantConsent(grant) = &mut payload {
        grant.lender = InstitutionId(50);
    }
    let tx = chain.borrower_tx(&mut borrower, payload);
    assert_eq!(chain.apply(tx), rejected(Rejection::LenderUnknown));

    payload = chain.consent(&borrower, LENDER_C, Purpose::CreditApplication);
    if let Payload::GrantConsent(grant) = &mut payload {
        grant.expires_at = chain.time;
    }
    let tx = chain.borrower_tx(&mut borrower, payload);
    assert_eq!(chain.apply(tx), rejected(Rejection::ConsentExpiryInvalid));

    payload = chain.consent(&borrower, LENDER_C, Purpose::CreditApplication);
    if let Payload::GrantConsent(grant) = &mut payload {
        grant.report_keys = Default::default();
    }
    let tx = chain.borrower_tx(&mut borrower, payload);
    assert_eq!(chain.apply(tx), rejected(Rejection::ReportKeysIncomplete));

    payload = chain.consent(&borrower, LENDER_C, Purpose::CreditApplication);
    let tx = chain.borrower_tx(&mut borrower, payload);
    chain.ok(tx);
    let consent: Consent = chain.get(&StateKey::consent(ConsentId(0))).unwrap();
    assert!(consent.is_active_at(chain.time));
    assert_eq!(
        chain.subject(&borrower).active_consents.as_slice(),
        &[ConsentId(0)]
    );
}

#[test]
fn inquiries_need_an_active_consent_for_the_signing_lender() {
    let mut chain = Chain::new();
    let mut borrower = registered(&mut chain, 9);
    let inquiry = Payload::RecordInquiry(RecordInquiry {
        consent: ConsentId(0),
    });
    let tx = chain.member_tx(LENDER_C, inquiry.clone());
    assert_eq!(chain.apply(tx), rejected(Rejection::ConsentUnknown));

    let grant = chain.consent(&borrower, LENDER_C, Purpose::AccountReview);
    let tx = chain.borrower_tx(&mut borrower, grant);
    chain.ok(tx);
    let tx = chain.member_tx(BANK_A, inquiry.clone());
    assert_eq!(chain.apply(tx), rejected(Rejection::ConsentNotForSigner));
    let tx = chain.member_tx(LENDER_C, inquiry.clone());
    let outcome = chain.ok(tx);
    assert!(matches!(
        events(&outcome)[0],
        Event::InquiryRecorded {
            purpose: Purpose::AccountReview,
            ..
        }
    ));

    // After expiry (90 days), the consent no longer allows reads.
    let outcome = chain.advance_days(91);
    assert!(events(&outcome).iter().any(|e| matches!(
        e,
        Event::ConsentExpired {
            consent: ConsentId(0),
            ..
        }
    )));
    let tx = chain.member_tx(LENDER_C, inquiry);
    assert_eq!(chain.apply(tx), rejected(Rejection::ConsentNotActive));
    assert!(chain.subject(&borrower).active_consents.is_empty());
}

#[test]
fn revocation_rotates_the_key_and_closes_new_records_to_the_revoked_lender() {
    let mut chain = Chain::new();
    let mut borrower = registered(&mut chain, 10);
    for lender in [LENDER_C, BANK_B] {
        let grant = chain.consent(&borrower, lender, Purpose::AccountReview);
        let tx = chain.borrower_tx(&mut borrower, grant);
        chain.ok(tx);
    }
    // Rewraps must name exactly the remaining active consents.
    let mut wrong = borrower.clone();
    let bad = chain.revoke(&mut wrong, ConsentId(0), &[]);
    let tx = chain.borrower_tx(&mut borrower, bad);
    assert_eq!(chain.apply(tx), rejected(Rejection::RewrapsMismatch));

    let revoke = chain.revoke(&mut borrower, ConsentId(0), &[(ConsentId(1), BANK_B)]);
    let tx = chain.borrower_tx(&mut borrower, revoke);
    chain.ok(tx);
    assert_eq!(chain.subject(&borrower).report_key_epoch, 1);

    // A record furnished after revocation...
    let furnishing = chain.furnishing(&borrower, "acct-9", AccountStatus::Current, None);
    assert_eq!(furnishing.report_key_epoch, 1);
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(furnishing));
    chain.ok(tx);
    let record: Record = chain.get(&StateKey::record(RecordId(0))).unwrap();
    let sealed = record.payload.unwrap();
    let context = payload_context(&borrower.id(), 1);

    // ...is closed to the revoked lender, whatever keys it was given...
    let revoked: Consent = chain.get(&StateKey::consent(ConsentId(0))).unwrap();
    assert!(revoked.ended());
    for wrapped in revoked.report_keys.iter() {
        let key = chain.members[LENDER_C]
            .encryption
            .unwrap_key(
                &wrapped.key,
                &report_key_context(&borrower.id(), wrapped.epoch),
            )
            .unwrap();
        assert!(key.open_payload(&sealed, &context).is_err());
    }
    // ...and open to the lender whose consent stands.
    let kept: Consent = chain.get(&StateKey::consent(ConsentId(1))).unwrap();
    let newest = kept.report_keys.iter().last().unwrap();
    assert_eq!(newest.epoch, 1);
    let key = chain.members[BANK_B]
        .encryption
        .unwrap_key(&newest.key, &report_key_context(&borrower.id(), 1))
        .unwrap();
    assert!(key.open_payload(&sealed, &context).is_ok());

    // Revoking again, or someone else's consent, is refused.
    let again = chain.revoke(
        &mut borrower.clone(),
        ConsentId(0),
        &[(ConsentId(1), BANK_B)],
    );
    let tx = chain.borrower_tx(&mut borrower, again);
    assert_eq!(chain.apply(tx), rejected(Rejection::ConsentNotActive));
    let mut other = registered(&mut chain, 11);
    let theirs = chain.revoke(&mut other.clone(), ConsentId(1), &[]);
    let tx = chain.borrower_tx(&mut other, theirs);
    assert_eq!(chain.apply(tx), rejected(Rejection::ConsentNotOwn));
}

#[test]
fn the_regulators_reads_are_logged_on_the_subjects_file() {
    let mut chain = Chain::new();
    let borrower = registered(&mut chain, 12);
    let audit = Payload::RecordAuditAccess(RecordAuditAccess {
        subject: borrower.id(),
        case: Digest::of("case", &[b"2026-117"]),
    });
    let tx = chain.member_tx(REGULATOR, audit);
    let outcome = chain.ok(tx);
    assert!(matches!(
        events(&outcome)[0],
        Event::AuditAccessRecorded { .. }
    ));
    // Supervisory reads are on the subject's private listing, which only the subject and the
    // regulator read; lenders' reports never see them.
    let number = chain.subject(&borrower).number;
    assert!(
        chain
            .state
            .contains_key(&StateKey::subject_private_inquiry(number, 0))
    );
    assert!(
        !chain
            .state
            .contains_key(&StateKey::subject_inquiry(number, 0))
    );
    assert_eq!(chain.subject(&borrower).listings.private_inquiries, 1);
    assert_eq!(chain.subject(&borrower).listings.inquiries, 0);
}

// ----- Disputes -----

fn disputed_record(chain: &mut Chain, seed: u64) -> Borrower {
    let mut borrower = registered(chain, seed);
    let furnishing = chain.furnishing(&borrower, "acct-1", AccountStatus::Current, None);
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(furnishing));
    chain.ok(tx);
    let open = Payload::OpenDispute(OpenDispute {
        record: RecordId(0),
        reason: DisputeReason::InaccurateStatus,
    });
    let tx = chain.borrower_tx(&mut borrower, open);
    chain.ok(tx);
    borrower
}

#[test]
fn only_the_subject_disputes_and_only_once_at_a_time() {
    let mut chain = Chain::new();
    let mut borrower = disputed_record(&mut chain, 13);
    let record: Record = chain.get(&StateKey::record(RecordId(0))).unwrap();
    assert_eq!(record.open_dispute, Some(DisputeId(0)));
    let again = Payload::OpenDispute(OpenDispute {
        record: RecordId(0),
        reason: DisputeReason::NotMine,
    });
    let tx = chain.borrower_tx(&mut borrower, again.clone());
    assert_eq!(chain.apply(tx), rejected(Rejection::RecordAlreadyDisputed));
    let mut other = registered(&mut chain, 14);
    let tx = chain.borrower_tx(&mut other, again);
    assert_eq!(chain.apply(tx), rejected(Rejection::RecordNotOwn));
}

#[test]
fn the_furnisher_answers_before_the_deadline() {
    let mut chain = Chain::new();
    let borrower = disputed_record(&mut chain, 15);
    let verify = Payload::AnswerDispute(AnswerDispute {
        dispute: DisputeId(0),
        answer: DisputeAnswer::Verified,
    });
    let tx = chain.member_tx(BANK_B, verify.clone());
    assert_eq!(chain.apply(tx), rejected(Rejection::DisputeNotForFurnisher));
    let tx = chain.member_tx(BANK_A, verify.clone());
    chain.ok(tx);
    let dispute: Dispute = chain.get(&StateKey::dispute(DisputeId(0))).unwrap();
    assert_eq!(dispute.resolution, Some(DisputeResolution::Verified));
    let tx = chain.member_tx(BANK_A, verify);
    assert_eq!(chain.apply(tx), rejected(Rejection::DisputeClosed));
    let record: Record = chain.get(&StateKey::record(RecordId(0))).unwrap();
    assert!(record.open_dispute.is_none() && !record.deleted);
    let _ = borrower;
}

#[test]
fn a_correction_supersedes_the_disputed_record() {
    let mut chain = Chain::new();
    let borrower = disputed_record(&mut chain, 16);
    let mut correction = chain.furnishing(
        &borrower,
        "acct-1",
        AccountStatus::PaidOrClosed,
        Some(RecordId(0)),
    );
    let mismatched = {
        let mut c = correction.clone();
        c.supersedes = None;
        c
    };
    let tx = chain.member_tx(
        BANK_A,
        Payload::AnswerDispute(AnswerDispute {
            dispute: DisputeId(0),
            answer: DisputeAnswer::Corrected(Box::new(mismatched)),
        }),
    );
    assert_eq!(chain.apply(tx), rejected(Rejection::CorrectionMismatch));
    correction.supersedes = Some(RecordId(0));
    let tx = chain.member_tx(
        BANK_A,
        Payload::AnswerDispute(AnswerDispute {
            dispute: DisputeId(0),
            answer: DisputeAnswer::Corrected(Box::new(correction)),
        }),
    );
    chain.ok(tx);
    let dispute: Dispute = chain.get(&StateKey::dispute(DisputeId(0))).unwrap();
    assert_eq!(dispute.resolution, Some(DisputeResolution::Corrected));
    assert_eq!(dispute.correction, Some(RecordId(1)));
    let record: Record = chain.get(&StateKey::record(RecordId(0))).unwrap();
    assert_eq!(record.superseded_by, Some(RecordId(1)));
    assert!(record.open_dispute.is_none());
}

#[test]
fn an_unanswered_dispute_lapses_in_the_subjects_favour() {
    let mut chain = Chain::new();
    let borrower = disputed_record(&mut chain, 17);
    let dispute: Dispute = chain.get(&StateKey::dispute(DisputeId(0))).unwrap();
    assert_eq!(
        dispute.deadline,
        TimestampMs(dispute.opened_at.0 + 30 * 86_400_000)
    );
    let outcome = chain.advance_days(29);
    assert!(events(&outcome).is_empty());
    let outcome = chain.advance_days(1);
    assert_eq!(
        events(&outcome),
        vec![Event::DisputeResolved {
            dispute: DisputeId(0),
            record: RecordId(0),
            subject: borrower.id(),
            resolution: DisputeResolution::Lapsed,
            correction: None,
        }]
    );
    let record: Record = chain.get(&StateKey::record(RecordId(0))).unwrap();
    assert!(record.deleted);
    let late = chain.member_tx(
        BANK_A,
        Payload::AnswerDispute(AnswerDispute {
            dispute: DisputeId(0),
            answer: DisputeAnswer::Verified,
        }),
    );
    assert_eq!(chain.apply(late), rejected(Rejection::DisputeClosed));
}

// ----- Governance -----

fn proposal(chain: &Chain, action: GovernanceAction) -> Payload {
    Payload::ProposeGovernance(ProposeGovernance {
        action,
        expires_at: TimestampMs(chain.time.0 + 7 * 86_400_000),
    })
}

#[test]
fn a_proposal_takes_effect_at_two_thirds_of_members() {
    let mut chain = Chain::new();
    let newcomer = credence_ledger::testkit::Signer::from_seed(77);
    let add = proposal(
        &chain,
        GovernanceAction::AddInstitution(NewInstitution {
            name: Name::new("fintech-d").unwrap(),
            roles: Roles::of(&[Role::Lender]),
            signing_key: newcomer.key.public_key(),
            encryption_key: chain.members[0].encryption.public_key(),
            consensus: None,
        }),
    );
    let tx = chain.member_tx(BANK_A, add);
    chain.ok(tx);
    // Five members: ceil(5 × 2/3) = 4 approvals.
    for (member, enacted) in [(BANK_B, false), (LENDER_C, false), (REGISTRAR, true)] {
        let tx = chain.member_tx(member, Payload::ApproveGovernance(ProposalId(0)));
        let outcome = chain.ok(tx);
        let enacted_now = events(&outcome)
            .iter()
            .any(|e| matches!(e, Event::ProposalEnacted { .. }));
        assert_eq!(enacted_now, enacted);
    }
    let institution: Institution = chain.get(&StateKey::institution(InstitutionId(5))).unwrap();
    assert_eq!(institution.name.as_str(), "fintech-d");
    let meta: Meta = chain.get(&StateKey::meta()).unwrap();
    assert_eq!(meta.active_members, 6);
    let tx = chain.member_tx(REGULATOR, Payload::ApproveGovernance(ProposalId(0)));
    assert_eq!(chain.apply(tx), rejected(Rejection::ProposalClosed));
}

#[test]
fn a_suspended_member_can_do_nothing_until_reinstated() {
    let mut chain = Chain::new();
    let suspend = proposal(
        &chain,
        GovernanceAction::SuspendInstitution(InstitutionId(LENDER_C as u64)),
    );
    let tx = chain.member_tx(BANK_A, suspend);
    chain.ok(tx);
    for member in [BANK_B, REGULATOR, REGISTRAR] {
        let tx = chain.member_tx(member, Payload::ApproveGovernance(ProposalId(0)));
        chain.ok(tx);
    }
    let tx = chain.member_tx(LENDER_C, Payload::ApproveGovernance(ProposalId(0)));
    assert_eq!(chain.apply(tx), rejected(Rejection::SignerSuspended));
    // Four active members now: ceil(4 × 2/3) = 3 approvals reinstate.
    let reinstate = proposal(
        &chain,
        GovernanceAction::ReinstateInstitution(InstitutionId(LENDER_C as u64)),
    );
    let tx = chain.member_tx(BANK_A, reinstate);
    chain.ok(tx);
    for member in [BANK_B, REGULATOR] {
        let tx = chain.member_tx(member, Payload::ApproveGovernance(ProposalId(1)));
        chain.ok(tx);
    }
    let tx = chain.member_tx(LENDER_C, Payload::ApproveGovernance(ProposalId(99)));
    assert_eq!(chain.apply(tx), rejected(Rejection::ProposalUnknown));
}

#[test]
fn proposals_expire_and_invalid_actions_are_refused() {
    let mut chain = Chain::new();
    let bad = proposal(
        &chain,
        GovernanceAction::SetParameters(Parameters {
            governance_threshold: credence_types::money::BasisPoints(5_000),
            ..Parameters::default()
        }),
    );
    let tx = chain.member_tx(BANK_A, bad);
    assert_eq!(chain.apply(tx), rejected(Rejection::ParametersInvalid));
    let taken = chain.members[BANK_B].signer.key.public_key();
    let dup = proposal(
        &chain,
        GovernanceAction::AddInstitution(NewInstitution {
            name: Name::new("bank-a").unwrap(),
            roles: Roles::of(&[Role::Lender]),
            signing_key: taken,
            encryption_key: Default::default(),
            consensus: None,
        }),
    );
    let tx = chain.member_tx(BANK_A, dup);
    assert_eq!(chain.apply(tx), rejected(Rejection::InstitutionNameTaken));

    let ok = proposal(
        &chain,
        GovernanceAction::SetParameters(Parameters {
            dispute_answer_days: 45,
            ..Parameters::default()
        }),
    );
    let tx = chain.member_tx(BANK_A, ok);
    chain.ok(tx);
    let outcome = chain.advance_days(8);
    assert!(events(&outcome).contains(&Event::ProposalExpired {
        proposal: ProposalId(0)
    }));
    let proposal: Proposal = chain.get(&StateKey::proposal(ProposalId(0))).unwrap();
    assert_eq!(proposal.status, ProposalStatus::Expired);
}

#[test]
fn rotated_institution_keys_retire_the_old_key_for_good() {
    let mut chain = Chain::new();
    let new_key = credence_ledger::testkit::Signer::from_seed(500);
    let rotate = proposal(
        &chain,
        GovernanceAction::RotateInstitutionKeys(credence_types::governance::KeyChange {
            institution: InstitutionId(BANK_B as u64),
            signing_key: new_key.key.public_key(),
            encryption_key: chain.members[BANK_B].encryption.public_key(),
        }),
    );
    let tx = chain.member_tx(BANK_A, rotate);
    chain.ok(tx);
    for member in [LENDER_C, REGULATOR, REGISTRAR] {
        let tx = chain.member_tx(member, Payload::ApproveGovernance(ProposalId(0)));
        chain.ok(tx);
    }
    let tx = chain.member_tx(BANK_B, Payload::ApproveGovernance(ProposalId(0)));
    assert_eq!(chain.apply(tx), rejected(Rejection::SignerUnknown));
    chain.members[BANK_B].signer = new_key;
    let tx = chain.member_tx(BANK_B, Payload::ApproveGovernance(ProposalId(0)));
    assert_eq!(chain.apply(tx), rejected(Rejection::ProposalClosed));
}

#[test]
fn the_last_validator_cannot_be_suspended() {
    let mut chain = Chain::new();
    let mut ids = Vec::new();
    for target in [BANK_A, BANK_B] {
        let suspend = proposal(
            &chain,
            GovernanceAction::SuspendInstitution(InstitutionId(target as u64)),
        );
        let tx = chain.member_tx(LENDER_C, suspend);
        chain.ok(tx);
        ids.push(ProposalId(ids.len() as u64));
    }
    for (id, voters) in [
        (0, [BANK_B, REGULATOR, REGISTRAR]),
        (1, [LENDER_C, REGULATOR, REGISTRAR]),
    ] {
        for voter in voters {
            if voter == LENDER_C {
                continue; // the proposer's approval already counts
            }
            let tx = chain.member_tx(voter, Payload::ApproveGovernance(ProposalId(id)));
            chain.ok(tx);
        }
    }
    let meta: Meta = chain.get(&StateKey::meta()).unwrap();
    assert_eq!(meta.active_validators, 1);
    let last = proposal(
        &chain,
        GovernanceAction::SuspendInstitution(InstitutionId(LENDER_C as u64)),
    );
    let tx = chain.member_tx(REGULATOR, last);
    assert_eq!(chain.apply(tx), rejected(Rejection::ValidatorSetEmpty));
}
