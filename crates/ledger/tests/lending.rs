//! The asset registry and loan contracts, through `apply_block`: Credence's founding stories,
//! the double-pledge attempt, and a test per rule.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_ledger::queries::{
    assets_of, loan_history, loans_locking, payoff, pledged_collateral, projected_schedule,
};
use credence_ledger::testkit::{BANK_A, BANK_B, Borrower, Chain, LENDER_C, REGISTRAR, loan_terms};
use credence_types::{
    AssetId, CurrencyId, Digest, InstitutionId, LoanId, Payload, Rejection, TimestampMs,
    codec::Name,
    lending::{
        Asset, Balance, Collateral, CompleteLiquidation, Currency, DefineAssetClass, Denomination,
        FundsMovement, FundsPledge, IssueCurrency, Loan, LoanEvent, LoanPayment, LoanStatus,
        LoanTerms, Owner, Redemption, RegisterAsset, Remedy, TransferAsset,
    },
    metro2::AccountStatus,
    money::Amount,
    receipt::{Event, Outcome},
    state::{OwnerCode, Record, StateKey, Subject},
};

const DAY: u64 = 86_400_000;

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

/// A lending market: a vehicle class, an on-ledger currency `usd@bank-a` with funds minted
/// to the two banks, and a registered borrower.
struct Market {
    chain: Chain,
    borrower: Borrower,
    usd: CurrencyId,
}

fn usd() -> Denomination {
    Denomination::OnLedger(CurrencyId(0))
}

impl Market {
    fn new() -> Self {
        let mut chain = Chain::new();
        let borrower = registered(&mut chain, 1);
        let class = Payload::DefineAssetClass(DefineAssetClass {
            name: Name::new("vehicle").unwrap(),
            schema: Digest::of("schema", &[b"vin, make, model, year"]),
        });
        let tx = chain.member_tx(REGISTRAR, class);
        chain.ok(tx);
        let issue = Payload::IssueCurrency(IssueCurrency {
            symbol: Name::new("usd").unwrap(),
        });
        let tx = chain.member_tx(BANK_A, issue);
        chain.ok(tx);
        for bank in [BANK_A, BANK_B] {
            let mint = Payload::MintFunds(FundsMovement {
                currency: CurrencyId(0),
                account: Owner::Institution(InstitutionId(bank as u64)),
                amount: Amount(100_000_000),
            });
            let tx = chain.member_tx(BANK_A, mint);
            chain.ok(tx);
        }
        Self {
            chain,
            borrower,
            usd: CurrencyId(0),
        }
    }

    /// Pays the borrower an income, so it can afford interest.
    fn fund_borrower(&mut self, amount: u64) {
        let mint = Payload::MintFunds(FundsMovement {
            currency: self.usd,
            account: self.owner(),
            amount: Amount(amount),
        });
        let tx = self.chain.member_tx(BANK_A, mint);
        self.chain.ok(tx);
    }

    fn owner(&self) -> Owner {
        Owner::Subject(self.borrower.id())
    }

    fn register_asset(&mut self, value: u64) -> AssetId {
        let owner = self.owner();
        let register = Payload::RegisterAsset(RegisterAsset {
            class: credence_types::AssetClassId(0),
            owner,
            identity: Digest::of("vin", &[b"1HGCM82633A004352"]),
            value: Amount(value),
            denomination: usd(),
        });
        let tx = self.chain.member_tx(REGISTRAR, register);
        let outcome = self.chain.ok(tx);
        match outcome.events[0].event {
            Event::AssetRegistered { asset, .. } => asset,
            ref other => panic!("{other:?}"),
        }
    }

    fn terms(&self, principal: u64, collateral: Vec<Collateral>) -> LoanTerms {
        loan_terms(
            self.owner(),
            principal,
            usd(),
            collateral,
            self.chain.time.date(),
            TimestampMs(self.chain.time.0 + 7 * DAY),
        )
    }

    fn offer(&mut self, lender: usize, terms: LoanTerms) -> LoanId {
        let tx = self.chain.member_tx(lender, Payload::OfferLoan(terms));
        let outcome = self.chain.ok(tx);
        match outcome.events[0].event {
            Event::LoanOffered { loan, .. } => loan,
            ref other => panic!("{other:?}"),
        }
    }

    fn accept(&mut self, loan: LoanId) -> Outcome {
        let tx = self
            .chain
            .borrower_tx(&mut self.borrower, Payload::AcceptLoan(loan));
        self.chain.apply(tx)
    }

    fn repay(&mut self, loan: LoanId, amount: Amount) -> Outcome {
        let tx = self.chain.borrower_tx(
            &mut self.borrower,
            Payload::RepayLoan(LoanPayment { loan, amount }),
        );
        self.chain.apply(tx)
    }

    fn loan(&self, id: LoanId) -> Loan {
        self.chain.get(&StateKey::loan(id)).unwrap()
    }

    fn asset(&self, id: AssetId) -> Asset {
        self.chain.get(&StateKey::asset(id)).unwrap()
    }

    fn balance(&self, owner: OwnerCode) -> Balance {
        self.chain
            .get(&StateKey::balance(self.usd, owner))
            .unwrap_or_default()
    }

    fn borrower_code(&self) -> OwnerCode {
        let subject: Subject = self.chain.subject(&self.borrower);
        OwnerCode::subject(subject.number)
    }

    fn tradeline(&self, loan: LoanId) -> Record {
        let id = self.loan(loan).tradeline.unwrap();
        self.chain.get(&StateKey::record(id)).unwrap()
    }

    /// Moves to the next block after `days` days, returning its events.
    fn days(&mut self, days: u64) -> Vec<Event> {
        self.chain
            .advance_days(days)
            .events
            .into_iter()
            .map(|e| e.event)
            .collect()
    }
}

fn supply(market: &Market) -> Amount {
    let currency: Currency = market.chain.get(&StateKey::currency(market.usd)).unwrap();
    currency.supply
}

/// The sum of every balance of the currency: must always equal the supply.
fn total_balances(market: &Market) -> Amount {
    let start = StateKey::table_start(credence_types::state::Table::Balance);
    market
        .chain
        .state
        .range(start..)
        .take_while(|(k, _)| k.tag() == start.tag())
        .map(|(_, v)| credence_types::codec::decode::<Balance>(v).unwrap())
        .fold(Amount::ZERO, |sum, b| {
            sum.checked_add(b.available)
                .unwrap()
                .checked_add(b.locked)
                .unwrap()
        })
}

#[test]
fn founding_story_a_pledged_asset_cannot_be_pledged_again_and_unlocks_when_repaid() {
    let mut market = Market::new();
    market.fund_borrower(200_000);
    // A registrar registers a vehicle for the borrower.
    let car = market.register_asset(2_000_000);

    // Lender A offers a loan against it; the borrower accepts: the car locks, the principal
    // moves from lender A to the borrower.
    let loan = market.offer(
        BANK_A,
        market.terms(1_000_000, vec![Collateral::Asset(car)]),
    );
    let lender_before = market.balance(OwnerCode::institution(InstitutionId(BANK_A as u64)));
    assert_eq!(market.accept(loan), Outcome::Applied);
    assert_eq!(market.asset(car).lock, Some(loan));
    assert_eq!(
        market.balance(market.borrower_code()).available,
        Amount(1_200_000)
    );
    let lender_after = market.balance(OwnerCode::institution(InstitutionId(BANK_A as u64)));
    assert_eq!(
        lender_before.available.checked_sub(lender_after.available),
        Some(Amount(1_000_000))
    );
    assert_eq!(market.tradeline(loan).status, AccountStatus::Current);
    // What the node will serve about it: the asset and its lock, the loan and its schedule.
    let state = &market.chain.state;
    let borrower = market.borrower.id();
    assert_eq!(
        assets_of(state, &market.owner()).unwrap(),
        vec![market.asset(car)]
    );
    assert_eq!(loans_locking(state, car).unwrap(), vec![loan]);
    let pledged = pledged_collateral(state, &borrower).unwrap();
    assert_eq!(pledged.assets, vec![market.asset(car)]);
    assert!(pledged.funds.is_empty());
    let schedule = projected_schedule(&market.loan(loan)).unwrap();
    assert_eq!(schedule.len(), 12);
    assert_eq!(schedule.last().unwrap().balance, Amount::ZERO);
    assert!(
        schedule[..11]
            .iter()
            .all(|i| i.amount == schedule[0].amount),
        "level"
    );

    // Lender B's offer against the same car is refused at acceptance.
    let second = market.offer(BANK_B, market.terms(500_000, vec![Collateral::Asset(car)]));
    assert_eq!(
        market.accept(second),
        rejected(Rejection::CollateralAlreadyPledged)
    );
    // Nor can the borrower sell the car meanwhile.
    let sell = Payload::TransferAsset(TransferAsset {
        asset: car,
        to: Owner::Institution(InstitutionId(LENDER_C as u64)),
    });
    let tx = market.chain.borrower_tx(&mut market.borrower, sell);
    assert_eq!(market.chain.apply(tx), rejected(Rejection::AssetLocked));

    // The borrower repays on schedule: each installment on its due date.
    let mut paid_installments = 0;
    for _ in 0..12 {
        // Wait for the next due date (the loan's next check), and pay what fell due.
        let next = market.loan(loan).next_check.unwrap();
        let wait = next.0.saturating_sub(market.chain.time.0).div_ceil(DAY);
        market.days(wait.max(1));
        let owed: Amount = market
            .loan(loan)
            .overdue
            .iter()
            .fold(Amount::ZERO, |s, o| s.checked_add(o.amount).unwrap());
        if owed > Amount::ZERO {
            assert_eq!(market.repay(loan, owed), Outcome::Applied);
            paid_installments += 1;
        }
        if market.loan(loan).status == LoanStatus::Repaid {
            break;
        }
    }
    let repaid = market.loan(loan);
    assert_eq!(repaid.status, LoanStatus::Repaid, "{repaid:#?}");
    assert_eq!(repaid.debt(), Some(Amount::ZERO));
    assert!(repaid.overdue.is_empty());
    assert_eq!(repaid.band, 0, "never late");
    // The car unlocked by itself, and the tradeline reads 13 (paid).
    assert_eq!(market.asset(car).lock, None);
    assert_eq!(market.tradeline(loan).status, AccountStatus::PaidOrClosed);
    // The borrower paid principal plus interest.
    assert!(
        repaid.paid > Amount(1_000_000) && repaid.paid < Amount(1_100_000),
        "{:?}",
        repaid.paid
    );
    assert_eq!(paid_installments, 12);
    let history = loan_history(&market.chain.state, &repaid).unwrap();
    assert!(matches!(history.first(), Some(LoanEvent::Accepted { .. })));
    assert!(matches!(history.last(), Some(LoanEvent::Repaid { .. })));
    assert!(
        pledged_collateral(&market.chain.state, &market.borrower.id())
            .unwrap()
            .assets
            .is_empty()
    );
    // The second offer has long expired; offered again, the car can be pledged now.
    assert_eq!(market.accept(second), rejected(Rejection::LoanNotOffered));
    let again = market.offer(BANK_B, market.terms(500_000, vec![Collateral::Asset(car)]));
    assert_eq!(market.accept(again), Outcome::Applied);
    assert_eq!(market.asset(car).lock, Some(again));
    assert_eq!(
        loans_locking(&market.chain.state, car).unwrap(),
        vec![loan, again]
    );
    assert_eq!(supply(&market), total_balances(&market));
}

#[test]
fn founding_story_missed_payments_report_30_60_90_then_default_passes_the_collateral_and_charges_off()
 {
    let mut market = Market::new();
    let car = market.register_asset(2_000_000);
    let loan = market.offer(
        BANK_A,
        market.terms(1_000_000, vec![Collateral::Asset(car)]),
    );
    assert_eq!(market.accept(loan), Outcome::Applied);
    let first_due = market.loan(loan).terms.first_due;

    // The borrower pays nothing. Walk day by day and collect what happens.
    let mut bands = Vec::new();
    let mut adverse = Vec::new();
    let mut defaulted = false;
    for _ in 0..200 {
        for event in market.days(1) {
            match event {
                Event::LoanBand { days_past_due, .. } => bands.push(days_past_due),
                Event::Adverse { status, .. } => adverse.push(status),
                Event::LoanDefaulted { .. } => defaulted = true,
                _ => {}
            }
        }
        if defaulted {
            break;
        }
    }
    assert_eq!(
        bands,
        vec![30, 60, 90],
        "bands reported as they were crossed"
    );
    assert_eq!(
        adverse,
        vec![
            AccountStatus::PastDue30,
            AccountStatus::PastDue60,
            AccountStatus::PastDue90,
            AccountStatus::ChargeOff
        ],
        "each band and the default reach lenders as adverse events"
    );
    assert!(defaulted);
    let loan_state = market.loan(loan);
    assert_eq!(loan_state.status, LoanStatus::Defaulted);
    // Default came at the cure period: 120 days after the first missed due date.
    assert_eq!(market.chain.time.date().0, first_due.0 + 120);
    // The collateral passed to the lender, unlocked; the unpaid balance is charged off: the
    // tradeline reads 97 with the date of first delinquency.
    let car_state = market.asset(car);
    assert_eq!(
        car_state.owner,
        Owner::Institution(InstitutionId(BANK_A as u64))
    );
    assert_eq!(car_state.lock, None);
    let record = market.tradeline(loan);
    assert_eq!(record.status, AccountStatus::ChargeOff);
    assert_eq!(record.first_delinquency, Some(first_due));
    assert_eq!(record.loan, Some(loan));
    assert!(
        record.payload.is_none(),
        "the state machine cannot seal: cleartext only"
    );
    // Late fees were charged once per missed installment past grace.
    assert!(loan_state.fees > Amount::ZERO);
}

#[test]
fn double_pledge_the_same_asset_to_two_lenders_at_the_same_height_only_one_wins() {
    let mut market = Market::new();
    let car = market.register_asset(2_000_000);
    let from_a = market.offer(
        BANK_A,
        market.terms(1_000_000, vec![Collateral::Asset(car)]),
    );
    let from_b = market.offer(
        BANK_B,
        market.terms(1_000_000, vec![Collateral::Asset(car)]),
    );
    // Both acceptances in one block.
    let chain_id = market.chain.chain_id();
    let first = market
        .borrower
        .signer
        .sign(&chain_id, Payload::AcceptLoan(from_a));
    let second = market
        .borrower
        .signer
        .sign(&chain_id, Payload::AcceptLoan(from_b));
    let outcome = market.chain.block(1_000, &[first, second]);
    let outcomes: Vec<_> = outcome.receipts.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            Outcome::Applied,
            rejected(Rejection::CollateralAlreadyPledged)
        ]
    );
    assert_eq!(market.asset(car).lock, Some(from_a));
    assert_eq!(market.loan(from_b).status, LoanStatus::Offered);
    // The second lender's money never moved.
    assert_eq!(
        market
            .balance(OwnerCode::institution(InstitutionId(BANK_B as u64)))
            .available,
        Amount(100_000_000)
    );
}

#[test]
fn acceptance_checks_loan_to_value_denomination_ownership_and_expiry() {
    let mut market = Market::new();
    let car = market.register_asset(1_000_000);
    // 900,000 against 1,000,000 at 80% max LTV.
    let too_much = market.offer(BANK_A, market.terms(900_000, vec![Collateral::Asset(car)]));
    assert_eq!(
        market.accept(too_much),
        rejected(Rejection::LoanToValueExceeded)
    );
    assert_eq!(
        market.asset(car).lock,
        None,
        "a failed acceptance locks nothing"
    );

    let mut euro = market.terms(100_000, vec![Collateral::Asset(car)]);
    euro.denomination = Denomination::OffLedger(Name::new("eur").unwrap());
    let euro = market.offer(BANK_A, euro);
    assert_eq!(
        market.accept(euro),
        rejected(Rejection::CollateralDenominationMismatch)
    );

    let other = registered(&mut market.chain, 2);
    let mut someone_elses = market.terms(100_000, vec![Collateral::Asset(car)]);
    someone_elses.borrower = Owner::Subject(other.id());
    let someone_elses = market.offer(BANK_A, someone_elses);
    assert_eq!(
        market.accept(someone_elses),
        rejected(Rejection::NotBorrower)
    );

    let expiring = market.offer(BANK_A, market.terms(100_000, vec![Collateral::Asset(car)]));
    let events = market.days(8);
    assert!(events.contains(&Event::OfferClosed {
        loan: expiring,
        borrower: market.owner(),
        withdrawn: false
    }));
    assert_eq!(market.accept(expiring), rejected(Rejection::LoanNotOffered));

    let withdrawn = market.offer(BANK_A, market.terms(100_000, vec![Collateral::Asset(car)]));
    let tx = market
        .chain
        .member_tx(BANK_B, Payload::WithdrawOffer(withdrawn));
    assert_eq!(market.chain.apply(tx), rejected(Rejection::NotLender));
    let tx = market
        .chain
        .member_tx(BANK_A, Payload::WithdrawOffer(withdrawn));
    market.chain.ok(tx);
    assert_eq!(
        market.accept(withdrawn),
        rejected(Rejection::LoanNotOffered)
    );

    // Terms that make no sense are refused at the offer.
    let mut bad = market.terms(
        100_000,
        vec![Collateral::Asset(car), Collateral::Asset(car)],
    );
    let tx = market
        .chain
        .member_tx(BANK_A, Payload::OfferLoan(bad.clone()));
    assert_eq!(
        market.chain.apply(tx),
        rejected(Rejection::CollateralDuplicate)
    );
    bad.collateral = Default::default();
    bad.installments = 0;
    let tx = market.chain.member_tx(BANK_A, Payload::OfferLoan(bad));
    assert_eq!(
        market.chain.apply(tx),
        rejected(Rejection::InstallmentsOutOfRange)
    );
}

#[test]
fn each_loan_term_rule_is_refused_under_its_own_name() {
    use credence_types::{
        Date,
        codec::BoundedVec,
        lending::ScheduleKind,
        limits::{CURE_DAYS_MAX, INSTALLMENTS_MAX},
        money::BasisPoints,
    };
    let mut market = Market::new();
    let car = market.register_asset(2_000_000);
    let good = market.terms(100_000, vec![Collateral::Asset(car)]);
    let today = market.chain.time.date();
    type Breach = fn(&mut LoanTerms, Date, TimestampMs, AssetId);
    let breaches: [(Breach, Rejection); 14] = [
        (
            |t, _, _, _| t.principal = Amount::ZERO,
            Rejection::PrincipalZero,
        ),
        (
            |t, _, _, _| t.installments = 0,
            Rejection::InstallmentsOutOfRange,
        ),
        (
            |t, _, _, _| t.installments = INSTALLMENTS_MAX + 1,
            Rejection::InstallmentsOutOfRange,
        ),
        (
            |t, _, _, _| {
                t.schedule = ScheduleKind::Bullet;
                t.installments = 2;
            },
            Rejection::BulletInstallmentsNotOne,
        ),
        (
            |t, _, _, _| t.period_months = 13,
            Rejection::PeriodOutOfRange,
        ),
        (
            |t, today, _, _| t.first_due = today,
            Rejection::FirstDueNotAfterToday,
        ),
        (
            |t, _, _, _| t.rate = BasisPoints(BasisPoints::ONE.0 + 1),
            Rejection::RateAboveMaximum,
        ),
        (
            |t, _, _, _| t.max_ltv = BasisPoints(BasisPoints::ONE.0 + 1),
            Rejection::MaxLtvAboveMaximum,
        ),
        (
            |t, _, _, _| t.cure_days = CURE_DAYS_MAX + 1,
            Rejection::CurePeriodTooLong,
        ),
        (
            |t, _, now, _| t.offer_expires_at = now,
            Rejection::OfferExpiryPassed,
        ),
        (
            |t, _, _, car| {
                t.collateral =
                    BoundedVec::new(vec![Collateral::Asset(car), Collateral::Asset(car)]).unwrap()
            },
            Rejection::CollateralDuplicate,
        ),
        (
            |t, _, _, _| {
                t.collateral = BoundedVec::new(vec![Collateral::Funds(FundsPledge {
                    currency: CurrencyId(0),
                    amount: Amount::ZERO,
                })])
                .unwrap()
            },
            Rejection::PledgedFundsZero,
        ),
        (
            |t, _, _, _| t.first_due = Date(u32::MAX - 1),
            Rejection::ScheduleBeyondCalendar,
        ),
        (
            |t, _, _, _| t.remedy = Remedy::Liquidate(InstitutionId(BANK_A as u64)),
            Rejection::LiquidatorIneligible,
        ),
    ];
    for (breach, rule) in breaches {
        let mut terms = good.clone();
        breach(&mut terms, today, market.chain.time, car);
        let tx = market.chain.member_tx(BANK_A, Payload::OfferLoan(terms));
        assert_eq!(market.chain.apply(tx), rejected(rule), "{rule}");
    }
    market.offer(BANK_A, good);
}

#[test]
fn pledged_funds_lock_and_the_lender_must_have_the_principal() {
    let mut market = Market::new();
    // The borrower gets some funds, and pledges them.
    let mint = Payload::MintFunds(FundsMovement {
        currency: market.usd,
        account: market.owner(),
        amount: Amount(500_000),
    });
    let tx = market.chain.member_tx(BANK_A, mint);
    market.chain.ok(tx);
    let pledge = Collateral::Funds(FundsPledge {
        currency: market.usd,
        amount: Amount(500_000),
    });
    let loan = market.offer(BANK_A, market.terms(400_000, vec![pledge.clone()]));
    assert_eq!(market.accept(loan), Outcome::Applied);
    let held = market.balance(market.borrower_code());
    assert_eq!(held.locked, Amount(500_000));
    assert_eq!(
        held.available,
        Amount(400_000),
        "only the principal is spendable"
    );
    // Locked funds cannot be redeemed or spent, even by their holder.
    let redeem = Payload::RedeemFunds(Redemption {
        currency: market.usd,
        amount: Amount(500_000),
    });
    let tx = market.chain.borrower_tx(&mut market.borrower, redeem);
    assert_eq!(
        market.chain.apply(tx),
        rejected(Rejection::InsufficientFunds)
    );

    // A lender without the principal cannot lend it.
    let poor = registered(&mut market.chain, 3);
    let mut terms = market.terms(1_000, Vec::new());
    terms.borrower = Owner::Subject(poor.id());
    let tx = market.chain.member_tx(LENDER_C, Payload::OfferLoan(terms));
    market.chain.ok(tx);
    let mut poor = poor;
    let tx = market
        .chain
        .borrower_tx(&mut poor, Payload::AcceptLoan(LoanId(1)));
    assert_eq!(
        market.chain.apply(tx),
        rejected(Rejection::InsufficientFunds)
    );
    assert_eq!(supply(&market), total_balances(&market));
}

#[test]
fn a_late_loan_is_cured_by_paying_its_arrears() {
    let mut market = Market::new();
    market.fund_borrower(200_000);
    let loan = market.offer(BANK_A, market.terms(600_000, Vec::new()));
    assert_eq!(market.accept(loan), Outcome::Applied);
    let first_due = market.loan(loan).terms.first_due;
    // 35 days past the first due date: reported 30 days late.
    let days = u64::from(first_due.0 - market.chain.time.date().0) + 35;
    let events = market.days(days);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::LoanBand {
            days_past_due: 30,
            ..
        }
    )));
    let late = market.loan(loan);
    assert_eq!(late.status, LoanStatus::Delinquent);
    assert_eq!(market.tradeline(loan).status, AccountStatus::PastDue30);
    // Paying everything overdue, fees included, cures it.
    let arrears = late
        .overdue
        .iter()
        .fold(late.fees, |s, o| s.checked_add(o.amount).unwrap());
    assert_eq!(market.repay(loan, arrears), Outcome::Applied);
    let cured = market.loan(loan);
    assert_eq!(cured.status, LoanStatus::Active);
    assert_eq!(cured.band, 0);
    assert_eq!(market.tradeline(loan).status, AccountStatus::Current);
    // Paying more than is owed is refused; paying all of it closes the loan.
    market.days(1);
    // The payoff: what the loan owes including interest accrued to the payment's date.
    let debt = payoff(&market.loan(loan), market.chain.time.date()).unwrap();
    assert!(
        market.repay(loan, debt.checked_add(Amount(1_000)).unwrap())
            == rejected(Rejection::RepaymentExceedsDebt)
    );
    assert_eq!(market.repay(loan, debt), Outcome::Applied);
    assert_eq!(market.loan(loan).status, LoanStatus::Repaid);
}

#[test]
fn off_ledger_loans_are_repaid_by_the_lenders_confirmation_never_beyond_the_debt() {
    let mut market = Market::new();
    let mut terms = market.terms(300_000, Vec::new());
    terms.denomination = Denomination::OffLedger(Name::new("usd").unwrap());
    let loan = market.offer(LENDER_C, terms);
    assert_eq!(market.accept(loan), Outcome::Applied);
    assert_eq!(
        market.repay(loan, Amount(10)),
        rejected(Rejection::DenominationOffLedger)
    );
    let tx = market.chain.member_tx(
        BANK_A,
        Payload::ConfirmRepayment(LoanPayment {
            loan,
            amount: Amount(10),
        }),
    );
    assert_eq!(market.chain.apply(tx), rejected(Rejection::NotLender));
    let debt = market.loan(loan).debt().unwrap();
    let tx = market.chain.member_tx(
        LENDER_C,
        Payload::ConfirmRepayment(LoanPayment {
            loan,
            amount: debt.checked_add(Amount(1)).unwrap(),
        }),
    );
    assert_eq!(
        market.chain.apply(tx),
        rejected(Rejection::RepaymentExceedsDebt)
    );
    let tx = market.chain.member_tx(
        LENDER_C,
        Payload::ConfirmRepayment(LoanPayment { loan, amount: debt }),
    );
    market.chain.ok(tx);
    assert_eq!(market.loan(loan).status, LoanStatus::Repaid);
    // A confirmed repayment stays: there is no transaction that withdraws one.
    assert_eq!(market.loan(loan).paid, debt);
}

#[test]
fn liquidation_applies_proceeds_to_the_debt_and_returns_the_surplus() {
    let mut market = Market::new();
    let car = market.register_asset(2_000_000);
    let mut terms = market.terms(500_000, vec![Collateral::Asset(car)]);
    terms.remedy = Remedy::Liquidate(InstitutionId(REGISTRAR as u64));
    terms.cure_days = 40;
    let loan = market.offer(BANK_A, terms);
    assert_eq!(market.accept(loan), Outcome::Applied);
    // Let it default.
    for _ in 0..90 {
        if market
            .days(1)
            .iter()
            .any(|e| matches!(e, Event::LoanDefaulted { .. }))
        {
            break;
        }
    }
    assert_eq!(market.loan(loan).status, LoanStatus::Defaulted);
    let held = market.asset(car);
    assert_eq!(held.liquidation, Some(InstitutionId(REGISTRAR as u64)));
    assert_eq!(held.lock, Some(loan), "held for the registrar until sold");
    // Only the named registrar completes it; it pays the proceeds from its balance.
    let mint = Payload::MintFunds(FundsMovement {
        currency: market.usd,
        account: Owner::Institution(InstitutionId(REGISTRAR as u64)),
        amount: Amount(1_500_000),
    });
    let tx = market.chain.member_tx(BANK_A, mint);
    market.chain.ok(tx);
    let debt = market.loan(loan).debt().unwrap();
    let borrower_before = market.balance(market.borrower_code()).available;
    let complete = Payload::CompleteLiquidation(CompleteLiquidation {
        loan,
        proceeds: Amount(1_500_000),
    });
    let tx = market.chain.member_tx(REGISTRAR, complete.clone());
    market.chain.ok(tx);
    let surplus = Amount(1_500_000).checked_sub(debt).unwrap();
    assert_eq!(
        market.balance(market.borrower_code()).available,
        borrower_before.checked_add(surplus).unwrap()
    );
    assert_eq!(market.loan(loan).debt(), Some(Amount::ZERO));
    assert_eq!(
        market.tradeline(loan).status,
        AccountStatus::PaidWasRepossession
    );
    let sold = market.asset(car);
    assert_eq!((sold.lock, sold.liquidation), (None, None));
    assert_eq!(
        sold.owner,
        Owner::Institution(InstitutionId(REGISTRAR as u64))
    );
    let tx = market.chain.member_tx(REGISTRAR, complete);
    assert_eq!(
        market.chain.apply(tx),
        rejected(Rejection::LoanNotLiquidating)
    );
    assert_eq!(supply(&market), total_balances(&market));
}

#[test]
fn only_the_owner_transfers_and_only_the_issuer_mints() {
    let mut market = Market::new();
    let car = market.register_asset(100);
    let steal = Payload::TransferAsset(TransferAsset {
        asset: car,
        to: Owner::Institution(InstitutionId(BANK_B as u64)),
    });
    let tx = market.chain.member_tx(BANK_B, steal.clone());
    assert_eq!(market.chain.apply(tx), rejected(Rejection::NotAssetOwner));
    let tx = market.chain.borrower_tx(&mut market.borrower, steal);
    market.chain.ok(tx);
    assert_eq!(
        market.asset(car).owner,
        Owner::Institution(InstitutionId(BANK_B as u64))
    );
    let mint = Payload::MintFunds(FundsMovement {
        currency: market.usd,
        account: Owner::Institution(InstitutionId(BANK_B as u64)),
        amount: Amount(1),
    });
    let tx = market.chain.member_tx(BANK_B, mint);
    assert_eq!(
        market.chain.apply(tx),
        rejected(Rejection::NotCurrencyIssuer)
    );
    let again = Payload::IssueCurrency(IssueCurrency {
        symbol: Name::new("usd").unwrap(),
    });
    let tx = market.chain.member_tx(BANK_A, again);
    assert_eq!(
        market.chain.apply(tx),
        rejected(Rejection::CurrencySymbolTaken)
    );
    assert_eq!(supply(&market), total_balances(&market));
}

/// The workload that benchmarks, store tests and network simulations share: with the market
/// open, its lending transactions apply — so they exercise the rules, not their rejections.
#[test]
fn the_workloads_lending_mix_applies() {
    use credence_ledger::testkit::Workload;
    use credence_types::transaction::PayloadKind;
    use std::collections::BTreeMap;

    let mut chain = Chain::new();
    let mut workload = Workload::new(5, 40);
    workload.register_all(&mut chain, 20);
    for block in workload.open_market(&mut chain, 20) {
        assert!(
            block
                .outcome
                .receipts
                .iter()
                .all(|r| r.outcome == Outcome::Applied)
        );
    }
    let mut applied = BTreeMap::<PayloadKind, usize>::new();
    for _ in 0..10 {
        let block = workload.block(&mut chain, 100, 60_000);
        for (tx, receipt) in block.transactions.iter().zip(&block.outcome.receipts) {
            let kind = tx.transaction().payload.kind();
            let lending = matches!(
                kind,
                PayloadKind::OfferLoan
                    | PayloadKind::AcceptLoan
                    | PayloadKind::RepayLoan
                    | PayloadKind::TransferAsset
                    | PayloadKind::TransferFunds
            );
            if lending {
                assert_eq!(receipt.outcome, Outcome::Applied, "{kind:?}");
                *applied.entry(kind).or_default() += 1;
            }
        }
    }
    assert_eq!(
        applied.len(),
        5,
        "every lending kind in the mix: {applied:?}"
    );
}

/// The attack: a lender offers an unsecured bullet loan of `u64::MAX` in an off-ledger
/// currency to a subject it controls, which accepts; at the due date `interest + principal`
/// overflowed and the whole begin-block step failed, every block, stopping every deadline of
/// the network. Such terms are now refused at the offer; and should a loan whose figures
/// overflow ever be on the ledger anyway (an older rule, a bug), its deadline is taken off
/// its queue and reported, while every other deadline of the block runs.
#[test]
fn a_poisoned_loan_cannot_stop_the_clock() {
    use credence_types::{
        codec::encode,
        lending::ScheduleKind,
        receipt::DeadlineQueue,
        transaction::{DisputeReason, OpenDispute, Purpose},
    };
    let mut market = Market::new();
    let off_ledger = || Denomination::OffLedger(Name::new("xau").unwrap());
    let bullet = |market: &Market, principal: u64| {
        let mut terms = market.terms(principal, Vec::new());
        terms.denomination = off_ledger();
        terms.schedule = ScheduleKind::Bullet;
        terms.installments = 1;
        terms.cure_days = 5;
        terms
    };

    // The original attack is refused where it starts.
    let tx = market
        .chain
        .member_tx(BANK_A, Payload::OfferLoan(bullet(&market, u64::MAX)));
    assert_eq!(
        market.chain.apply(tx),
        rejected(Rejection::TermsExceedAmountBound)
    );

    // A poisoned loan, due first; another loan that will default; a consent and a dispute
    // due in the same window.
    let poisoned = market.offer(BANK_A, bullet(&market, 1_000));
    assert_eq!(market.accept(poisoned), Outcome::Applied);
    let defaulting = market.offer(BANK_B, bullet(&market, 2_000));
    assert_eq!(market.accept(defaulting), Outcome::Applied);
    let mut loan: Loan = market.chain.get(&StateKey::loan(poisoned)).unwrap();
    loan.principal = Amount(u64::MAX - 1);
    loan.interest = Amount(u64::MAX / 2);
    market
        .chain
        .state
        .insert(StateKey::loan(poisoned), encode(&loan));

    let consent = market
        .chain
        .consent(&market.borrower, LENDER_C, Purpose::CreditApplication);
    let tx = market.chain.borrower_tx(&mut market.borrower, consent);
    market.chain.ok(tx);
    let furnishing = market.chain.furnishing(
        &market.borrower,
        "card",
        credence_types::metro2::AccountStatus::Current,
        None,
    );
    let tx = market
        .chain
        .member_tx(BANK_A, Payload::FurnishRecord(furnishing));
    market.chain.ok(tx);
    let open = Payload::OpenDispute(OpenDispute {
        record: credence_types::RecordId(0),
        reason: DisputeReason::InaccurateStatus,
    });
    let tx = market.chain.borrower_tx(&mut market.borrower, open);
    market.chain.ok(tx);

    // One block, 100 days on: every deadline is due in it.
    let events = market.days(100);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::DeadlineFailed { queue: DeadlineQueue::LoanCheck, id, code: Rejection::AmountOverflow }
            if *id == poisoned.0
    )), "{events:#?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ConsentExpired { .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::DisputeResolved { .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::LoanDefaulted { loan, .. } if *loan == defaulting))
    );
    // Taken off its queue: the next blocks run, and report it no more.
    let later = market.days(1);
    assert!(
        !later
            .iter()
            .any(|e| matches!(e, Event::DeadlineFailed { .. }))
    );
}

/// The attack: the issuer of a currency signed a burn naming any holder's account, and the
/// holder's funds were gone. Funds now leave an account only by its holder's signature: a
/// redemption takes from the signer's own balance, and names no other account.
#[test]
fn an_issuer_cannot_burn_a_holders_funds() {
    let mut market = Market::new();
    market.fund_borrower(300_000);
    let holder = |market: &Market| -> Balance {
        let code = credence_ledger::queries::owner_code(&market.chain.state, &market.owner())
            .unwrap()
            .unwrap();
        market
            .chain
            .get(&StateKey::balance(market.usd, code))
            .unwrap_or_default()
    };
    let supply = |market: &Market| supply(market);
    let before = (holder(&market), supply(&market));

    // The issuer (bank-a) redeems: it can only give back what it holds itself.
    let issuer_tries = Payload::RedeemFunds(Redemption {
        currency: market.usd,
        amount: Amount(300_000),
    });
    let tx = market.chain.member_tx(BANK_A, issuer_tries);
    market.chain.ok(tx);
    assert_eq!(holder(&market), before.0, "the holder's funds did not move");
    assert_eq!(supply(&market), Amount(before.1.0 - 300_000));

    // The holder redeems its own, and only it can.
    let own = Payload::RedeemFunds(Redemption {
        currency: market.usd,
        amount: Amount(100_000),
    });
    let tx = market.chain.borrower_tx(&mut market.borrower, own);
    let outcome = market.chain.ok(tx);
    assert!(matches!(
        outcome.events[0].event,
        Event::FundsRedeemed {
            holder: Owner::Subject(_),
            amount: Amount(100_000),
            ..
        }
    ));
    assert_eq!(
        holder(&market).available,
        Amount(before.0.available.0 - 100_000)
    );
    // More than it holds is refused, never taken from elsewhere.
    let too_much = Payload::RedeemFunds(Redemption {
        currency: market.usd,
        amount: Amount(u64::MAX),
    });
    let tx = market.chain.borrower_tx(&mut market.borrower, too_much);
    assert_eq!(
        market.chain.apply(tx),
        rejected(Rejection::InsufficientFunds)
    );
}

/// Attack: a registrar registers a car that is already on the ledger (under a new owner, or
/// its own), so the same car backs two loans; or a registrar that never saw the car revalues
/// it upward so a loan against it passes the loan-to-value check. A real asset's identity
/// (a keyed commitment to its VIN or deed number) is registered once, and only the registrar
/// that registered an asset, or one its owner appointed, may revalue it.
#[test]
fn the_same_real_asset_cannot_be_registered_twice() {
    use credence_types::{Role, lending::AppointAppraiser, lending::RevalueAsset};
    const BANK: usize = 0;
    const FIRST: usize = 1;
    const SECOND: usize = 2;
    let mut chain = Chain::with_members(&[
        ("bank", &[Role::Validator, Role::Lender]),
        ("registry-one", &[Role::Registrar]),
        ("registry-two", &[Role::Registrar]),
    ]);
    let mut borrower = registered(&mut chain, 1);
    let class = Payload::DefineAssetClass(DefineAssetClass {
        name: Name::new("vehicle").unwrap(),
        schema: Digest::default(),
    });
    let tx = chain.member_tx(FIRST, class);
    chain.ok(tx);
    let car = Digest::of("vin", &[b"1HGCM82633A004352"]);
    let register = |owner: Owner, identity: Digest| {
        Payload::RegisterAsset(RegisterAsset {
            class: credence_types::AssetClassId(0),
            owner,
            identity,
            value: Amount(2_000_000),
            denomination: Denomination::OffLedger(Name::new("usd").unwrap()),
        })
    };
    let tx = chain.member_tx(FIRST, register(Owner::Subject(borrower.id()), car));
    let asset = match chain.ok(tx).events[0].event {
        Event::AssetRegistered { asset, .. } => asset,
        ref other => panic!("{other:?}"),
    };
    let stored: Asset = chain.get(&StateKey::asset(asset)).unwrap();
    assert_eq!(
        (stored.identity, stored.registrar),
        (car, InstitutionId(FIRST as u64))
    );

    // The same car again: by another registrar, to itself; by the same one, to the borrower.
    for (registrar, owner) in [
        (SECOND, Owner::Institution(InstitutionId(SECOND as u64))),
        (FIRST, Owner::Subject(borrower.id())),
    ] {
        let before = chain.state.clone();
        let tx = chain.member_tx(registrar, register(owner, car));
        assert_eq!(chain.apply(tx), rejected(Rejection::AssetAlreadyRegistered));
        let changed = credence_ledger::testkit::changed_tables(&before, &chain.state);
        assert!(changed.is_subset(&credence_ledger::testkit::rejection_footprint()));
    }
    // Another car is another identity.
    let tx = chain.member_tx(
        SECOND,
        register(
            Owner::Subject(borrower.id()),
            Digest::of("vin", &[b"5YJ3E1EA7KF317000"]),
        ),
    );
    chain.ok(tx);

    // A registrar that did not register the car may not value it...
    let revalue = |value: u64| {
        Payload::RevalueAsset(RevalueAsset {
            asset,
            value: Amount(value),
            denomination: Denomination::OffLedger(Name::new("usd").unwrap()),
        })
    };
    let tx = chain.member_tx(SECOND, revalue(9_000_000));
    assert_eq!(chain.apply(tx), rejected(Rejection::NotAssetRegistrar));
    // ...nor appoint itself; only the owner appoints, and only a registrar.
    let appoint = |appraiser: usize| {
        Payload::AppointAppraiser(AppointAppraiser {
            asset,
            appraiser: Some(InstitutionId(appraiser as u64)),
        })
    };
    let tx = chain.member_tx(SECOND, appoint(SECOND));
    assert_eq!(chain.apply(tx), rejected(Rejection::NotAssetOwner));
    let tx = chain.borrower_tx(&mut borrower, appoint(BANK));
    assert_eq!(chain.apply(tx), rejected(Rejection::AppraiserIneligible));
    let tx = chain.borrower_tx(&mut borrower, appoint(SECOND));
    chain.ok(tx);
    let tx = chain.member_tx(SECOND, revalue(1_800_000));
    chain.ok(tx);
    let stored: Asset = chain.get(&StateKey::asset(asset)).unwrap();
    assert_eq!(stored.appraiser, Some(InstitutionId(SECOND as u64)));
    assert_eq!(stored.valuation.value, Amount(1_800_000));
    assert_eq!(stored.valuation.registrar, InstitutionId(SECOND as u64));
    // The registering registrar keeps its right.
    let tx = chain.member_tx(FIRST, revalue(1_700_000));
    chain.ok(tx);
}
