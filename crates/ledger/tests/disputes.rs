//! Disputes against a furnisher acting in bad faith: it may not supersede a disputed record
//! except by answering, nor let later records drop the dispute, nor bring a deleted account
//! back as if it were new.
#![allow(clippy::unwrap_used)]

use credence_ledger::{
    file::credit_file,
    testkit::{BANK_A, Borrower, Chain, changed_tables, rejection_footprint},
};
use credence_types::{
    DisputeId, InstitutionId, Payload, RecordId, Rejection,
    metro2::{AccountStatus, ComplianceCondition},
    receipt::{Event, Outcome},
    state::{Compliance, FurnishedAccount, Institution, Record, StateKey, Subject},
    transaction::{AnswerDispute, DisputeAnswer, DisputeReason, OpenDispute},
};

fn registered(chain: &mut Chain, seed: u64) -> Borrower {
    let mut borrower = Borrower::new(seed);
    let register = chain.register(&borrower);
    let tx = chain.borrower_tx(&mut borrower, register);
    chain.ok(tx);
    borrower
}

/// Bank A furnishes on account `acct-1` of `borrower`; the outcome.
fn furnish(
    chain: &mut Chain,
    borrower: &Borrower,
    status: AccountStatus,
    supersedes: Option<u64>,
) -> Outcome {
    let furnishing = chain.furnishing(borrower, "acct-1", status, supersedes.map(RecordId));
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(furnishing));
    chain.apply(tx)
}

/// Applies a transaction that must be refused with `rejection`, and checks it changed
/// nothing but the signer's nonce and its receipt.
fn refused(chain: &mut Chain, outcome: impl FnOnce(&mut Chain) -> Outcome, rejection: Rejection) {
    let before = chain.state.clone();
    assert_eq!(outcome(chain), Outcome::Rejected(rejection));
    assert!(changed_tables(&before, &chain.state).is_subset(&rejection_footprint()));
}

fn dispute(chain: &mut Chain, borrower: &mut Borrower, record: u64) -> Outcome {
    let open = Payload::OpenDispute(OpenDispute {
        record: RecordId(record),
        reason: DisputeReason::InaccurateStatus,
    });
    let tx = chain.borrower_tx(borrower, open);
    chain.apply(tx)
}

fn record(chain: &Chain, id: u64) -> Record {
    chain.get(&StateKey::record(RecordId(id))).unwrap()
}

fn account(chain: &Chain, borrower: &Borrower) -> FurnishedAccount {
    let subject: Subject = chain.get(&StateKey::subject(&borrower.id())).unwrap();
    let reference = record(chain, 0).account;
    chain
        .get(&StateKey::furnished_account(
            InstitutionId(BANK_A as u64),
            subject.number,
            &reference,
        ))
        .unwrap()
}

/// The records of the borrower's file a report shows: neither superseded, deleted, nor of
/// a deleted account.
fn reported(chain: &Chain, borrower: &Borrower) -> Vec<RecordId> {
    let file = credit_file(&chain.state, &borrower.id(), None)
        .unwrap()
        .unwrap();
    file.records
        .iter()
        .filter(|r| !r.deleted && r.superseded_by.is_none() && !file.account_deleted(r))
        .map(|r| r.id)
        .collect()
}

/// Attack: the furnisher of a disputed record supersedes it with a record that carries no
/// dispute flag, or keeps reporting the account as if no dispute were open, or, once the
/// dispute deleted the account, furnishes it again as new. Only the answer supersedes a
/// disputed record; every later record carries the dispute (`XB`, then `XH`); a deleted
/// account comes back only by superseding the record that deleted it, in the subject's view.
#[test]
fn a_disputed_record_cannot_be_superseded_around_the_dispute() {
    let mut chain = Chain::new();
    let mut borrower = registered(&mut chain, 21);
    assert_eq!(
        furnish(&mut chain, &borrower, AccountStatus::PastDue30, None),
        Outcome::Applied
    );
    assert_eq!(dispute(&mut chain, &mut borrower, 0), Outcome::Applied);

    // Superseding the disputed record outside the answer is refused.
    refused(
        &mut chain,
        |chain| furnish(chain, &borrower, AccountStatus::Current, Some(0)),
        Rejection::RecordUnderDispute,
    );
    // A monthly update is allowed, and carries the open dispute.
    assert_eq!(
        furnish(&mut chain, &borrower, AccountStatus::PastDue60, None),
        Outcome::Applied
    );
    let open = Some(Compliance {
        code: ComplianceCondition::Xb,
        dispute: DisputeId(0),
    });
    assert_eq!(record(&chain, 1).compliance, open);
    // One dispute per account at a time.
    refused(
        &mut chain,
        |chain| dispute(chain, &mut borrower, 1),
        Rejection::AccountAlreadyDisputed,
    );
    // The furnisher finds the dispute on its own listing.
    let bank: Institution = chain
        .get(&StateKey::institution(InstitutionId(BANK_A as u64)))
        .unwrap();
    assert_eq!(bank.listings.disputes_received, 1);
    let listed: DisputeId = chain.get(&StateKey::furnisher_dispute(bank.id, 0)).unwrap();
    assert_eq!(listed, DisputeId(0));

    // Verified: later records carry the resolved dispute.
    let verify = Payload::AnswerDispute(AnswerDispute {
        dispute: DisputeId(0),
        answer: DisputeAnswer::Verified,
    });
    let tx = chain.member_tx(BANK_A, verify);
    chain.ok(tx);
    assert_eq!(
        furnish(&mut chain, &borrower, AccountStatus::PastDue90, Some(1)),
        Outcome::Applied
    );
    let resolved = |dispute| {
        Some(Compliance {
            code: ComplianceCondition::Xh,
            dispute: DisputeId(dispute),
        })
    };
    assert_eq!(record(&chain, 2).compliance, resolved(0));

    // A second dispute, left unanswered: it lapses and deletes the whole account, so the
    // older record 0 does not resurface in its place.
    assert_eq!(dispute(&mut chain, &mut borrower, 2), Outcome::Applied);
    assert_eq!(reported(&chain, &borrower), vec![RecordId(0), RecordId(2)]);
    chain.advance_days(30);
    assert!(record(&chain, 2).deleted);
    assert_eq!(account(&chain, &borrower).deleted, Some(RecordId(2)));
    assert_eq!(reported(&chain, &borrower), Vec::<RecordId>::new());

    // Furnishing it again as new, or by superseding a record other than the deleted one,
    // is refused.
    refused(
        &mut chain,
        |chain| furnish(chain, &borrower, AccountStatus::PastDue90, None),
        Rejection::AccountDeleted,
    );
    refused(
        &mut chain,
        |chain| furnish(chain, &borrower, AccountStatus::PastDue90, Some(0)),
        Rejection::AccountDeleted,
    );
    // Reinstating it supersedes the deleted record, in the subject's view, and the
    // reinstated record carries the dispute's history.
    let furnishing = chain.furnishing(
        &borrower,
        "acct-1",
        AccountStatus::PastDue90,
        Some(RecordId(2)),
    );
    let tx = chain.member_tx(BANK_A, Payload::FurnishRecord(furnishing));
    let outcome = chain.ok(tx);
    assert!(outcome.events.iter().any(|e| e.event
        == Event::AccountReinstated {
            record: RecordId(3),
            subject: borrower.id(),
            furnisher: InstitutionId(BANK_A as u64),
            reinstates: RecordId(2),
        }));
    assert_eq!(record(&chain, 3).compliance, resolved(1));
    assert_eq!(account(&chain, &borrower).deleted, None);
    assert_eq!(reported(&chain, &borrower), vec![RecordId(0), RecordId(3)]);
    // And the subject may dispute it again.
    assert_eq!(dispute(&mut chain, &mut borrower, 3), Outcome::Applied);
}

/// A furnisher's own deletion (status DA) deletes the account the same way: it too comes
/// back only by superseding the deletion.
#[test]
fn a_deleted_account_comes_back_only_by_superseding_its_deletion() {
    let mut chain = Chain::new();
    let borrower = registered(&mut chain, 22);
    assert_eq!(
        furnish(&mut chain, &borrower, AccountStatus::Current, None),
        Outcome::Applied
    );
    assert_eq!(
        furnish(&mut chain, &borrower, AccountStatus::DeleteAccount, Some(0)),
        Outcome::Applied
    );
    assert_eq!(account(&chain, &borrower).deleted, Some(RecordId(1)));
    refused(
        &mut chain,
        |chain| furnish(chain, &borrower, AccountStatus::Current, None),
        Rejection::AccountDeleted,
    );
    assert_eq!(
        furnish(&mut chain, &borrower, AccountStatus::Current, Some(1)),
        Outcome::Applied
    );
    assert_eq!(account(&chain, &borrower).deleted, None);
}
