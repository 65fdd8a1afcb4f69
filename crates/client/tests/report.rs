//! The report a lender reads, assembled from a chain's state by the client's own walk and
//! opening (the same code `report::fetch` runs over proven answers): what other lenders'
//! soft inquiries leave out, what the loan contract's records put in, and what a record's
//! metadata may not override.
#![allow(clippy::unwrap_used)]

use credence_client::{build, report};
use credence_crypto::EncryptionSecret;
use credence_ledger::testkit::{BANK_A, BANK_B, Borrower, Chain, loan_terms, tradeline};
use credence_types::{
    ConsentId, InstitutionId, LoanId, Payload, SubjectId, TimestampMs,
    codec::Name,
    lending::{Denomination, Owner},
    metro2::AccountStatus,
    receipt::Event,
    state::{StateKey, Subject},
    time::MS_PER_DAY,
    transaction::{InquiryKind, Purpose, RecordInquiry},
};

struct File {
    chain: Chain,
    borrower: Borrower,
    master: EncryptionSecret,
}

impl File {
    fn new() -> Self {
        let mut chain = Chain::new();
        let mut borrower = Borrower::new(9);
        let master = EncryptionSecret::derive(b"subject-master");
        let register =
            build::register_subject(&borrower.id(), &master, &chain.audit.public_key()).unwrap();
        let tx = chain.borrower_tx(&mut borrower, register);
        chain.ok(tx);
        Self {
            chain,
            borrower,
            master,
        }
    }

    fn id(&self) -> SubjectId {
        self.borrower.id()
    }

    fn subject(&self) -> Subject {
        self.chain.get(&StateKey::subject(&self.id())).unwrap()
    }

    fn grant(&mut self, lender: usize, kind: InquiryKind) -> ConsentId {
        let subject = self.subject();
        let payload = build::grant_consent(
            &subject.id,
            &build::report_keys(&self.master, subject.report_key_epoch),
            InstitutionId(lender as u64),
            &self.chain.members[lender].encryption.public_key(),
            Purpose::CreditApplication,
            kind,
            TimestampMs(self.chain.time.0 + 365 * MS_PER_DAY),
        )
        .unwrap();
        let tx = self.chain.borrower_tx(&mut self.borrower, payload);
        let outcome = self.chain.ok(tx);
        outcome
            .events
            .iter()
            .find_map(|e| match e.event {
                Event::ConsentGranted { consent, .. } => Some(consent),
                _ => None,
            })
            .unwrap()
    }

    fn inquire(&mut self, lender: usize, consent: ConsentId) {
        let tx = self
            .chain
            .member_tx(lender, Payload::RecordInquiry(RecordInquiry { consent }));
        self.chain.ok(tx);
    }

    fn furnish(&mut self, furnisher: usize, account: &str, status: AccountStatus) {
        let subject = self.subject();
        let today = self.chain.time.date();
        let first_delinquency = status
            .requires_first_delinquency()
            .then(|| credence_types::Date(today.0 - 45));
        let payload = build::furnish(
            &subject.id,
            &subject.report_key,
            subject.report_key_epoch,
            build::account_reference(&[u8::try_from(furnisher).unwrap(); 32], account),
            tradeline(account, status, today, first_delinquency),
            None,
        )
        .unwrap();
        let tx = self.chain.member_tx(furnisher, payload);
        self.chain.ok(tx);
    }

    /// The report `lender` reads under `consent`, from the chain's state.
    fn report(&self, lender: usize, consent: ConsentId) -> report::CreditReport {
        report::open(
            &self.chain.state,
            self.chain.height,
            &self.id(),
            InstitutionId(lender as u64),
            &self.chain.members[lender].encryption,
            consent,
            self.chain.time.date(),
        )
        .unwrap()
    }
}

#[test]
fn a_soft_inquiry_is_not_in_another_lenders_report() {
    let mut file = File::new();
    file.furnish(BANK_A, "card", AccountStatus::Current);
    let hard = file.grant(BANK_A, InquiryKind::Hard);
    let soft = file.grant(BANK_B, InquiryKind::Soft);
    file.inquire(BANK_B, soft);
    file.inquire(BANK_A, hard);

    let seen_by_a = file.report(BANK_A, hard);
    assert_eq!(seen_by_a.inquiries.len(), 1, "only the hard inquiry");
    assert_eq!(
        seen_by_a.inquiries[0].institution,
        InstitutionId(BANK_A as u64)
    );
    // The soft reader itself sees no soft inquiry in its report either: soft reads are the
    // subject's and the regulator's to see.
    let seen_by_b = file.report(BANK_B, soft);
    assert!(
        seen_by_b
            .inquiries
            .iter()
            .all(|i| i.institution != InstitutionId(BANK_B as u64))
    );
    // It is on the subject's private listing.
    let subject = file.subject();
    assert_eq!(subject.listings.private_inquiries, 1);
    assert!(
        file.chain
            .state
            .contains_key(&StateKey::subject_private_inquiry(subject.number, 0))
    );
    // And it costs no score points: one hard inquiry only.
    assert_eq!(
        seen_by_a.score.as_ref().map(|s| s.value),
        seen_by_b.score.as_ref().map(|s| s.value)
    );
}

#[test]
fn an_on_ledger_charge_off_lowers_the_score() {
    let mut file = File::new();
    file.furnish(BANK_B, "card", AccountStatus::Current);
    let consent = file.grant(BANK_A, InquiryKind::Hard);
    // An unsecured loan in dollars paid off the ledger: nothing is ever repaid.
    let mut terms = loan_terms(
        Owner::Subject(file.id()),
        500_000,
        Denomination::OffLedger(Name::new("usd").unwrap()),
        Vec::new(),
        file.chain.time.date(),
        TimestampMs(file.chain.time.0 + 7 * MS_PER_DAY),
    );
    terms.cure_days = 60;
    let tx = file.chain.member_tx(BANK_A, Payload::OfferLoan(terms));
    file.chain.ok(tx);
    let tx = file
        .chain
        .borrower_tx(&mut file.borrower, Payload::AcceptLoan(LoanId(0)));
    file.chain.ok(tx);

    let current = file.report(BANK_A, consent);
    let loan_account = current
        .accounts
        .iter()
        .find(|a| a.loan == Some(LoanId(0)))
        .expect("the loan is an account on the report");
    assert_eq!(loan_account.status, AccountStatus::Current);
    let before = current.score.unwrap().value;

    // Months pass unpaid: the contract reports the bands, then defaults and charges off.
    for _ in 0..10 {
        file.chain.advance_days(20);
    }
    let defaulted = file.report(BANK_A, consent);
    let loan_account = defaulted
        .accounts
        .iter()
        .find(|a| a.loan == Some(LoanId(0)))
        .unwrap();
    assert_eq!(loan_account.status, AccountStatus::ChargeOff);
    let after = defaulted.score.unwrap();
    assert!(
        after.value < before,
        "{} is not below {before}",
        after.value
    );
    assert_eq!(after.reasons[0].code(), "R01", "serious delinquency first");
}

#[test]
fn the_sealed_payload_wins_over_metadata_that_disagrees_and_the_report_says_so() {
    let mut file = File::new();
    let consent = file.grant(BANK_A, InquiryKind::Hard);
    // A furnisher whose cleartext says "current" over a sealed charge-off.
    let subject = file.subject();
    let today = file.chain.time.date();
    let sealed = tradeline(
        "auto",
        AccountStatus::ChargeOff,
        today,
        Some(credence_types::Date(today.0 - 200)),
    );
    let Payload::FurnishRecord(mut furnishing) = build::furnish(
        &subject.id,
        &subject.report_key,
        subject.report_key_epoch,
        build::account_reference(&[1; 32], "auto"),
        sealed,
        None,
    )
    .unwrap() else {
        unreachable!()
    };
    furnishing.status = AccountStatus::Current;
    furnishing.first_delinquency = None;
    let tx = file
        .chain
        .member_tx(BANK_A, Payload::FurnishRecord(furnishing));
    file.chain.ok(tx);

    let report = file.report(BANK_A, consent);
    let account = &report.accounts[0];
    assert_eq!(
        account.status,
        AccountStatus::ChargeOff,
        "the sealed status"
    );
    let fields: Vec<&str> = account.discrepancies.iter().map(|d| d.field).collect();
    assert_eq!(fields, ["account_status", "first_delinquency"]);
}
