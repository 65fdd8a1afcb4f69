//! Credence's founding stories on a 4-validator network: the asset registry and loan
//! contracts run by every validator, with every invariant of the simulation (the same block
//! and state root at every height on every validator, every accepted transaction finalised
//! exactly once) checked at the end.
//!
//! 1. A registrar registers a vehicle for a borrower; lender A lends against it; lender B's
//!    loan against the same vehicle is refused; the borrower repays; the vehicle unlocks and
//!    the contract's tradeline reads 13 (paid).
//! 2. The borrower of a second loan pays nothing: the contract reports 30, 60 and 90 days
//!    past due as adverse events, then defaults, passes the vehicle to the lender and charges
//!    the loan off (97). The network starts with its genesis 95 days in the past, so the
//!    chain's clock runs through those days as fast as blocks finalise (each block's time
//!    may step at most ten minutes past its parent's).
#![allow(clippy::unwrap_used)]

use commonware_runtime::{Runner as _, deterministic};
use credence_ledger::{queries::payoff, testkit};
use credence_node::service::now;
use credence_sim::{
    Config, Consortium, Journal, OrFail as _, Reference, Simulation, for_each_seed, runtime,
};
use credence_types::{
    AssetClassId, AssetId, CurrencyId, Digest, InstitutionId, LoanId, Payload, Rejection,
    SignedTransaction, TimestampMs,
    codec::{Name, Read, decode},
    lending::{
        Asset, Collateral, DefineAssetClass, Denomination, FundsMovement, IssueCurrency, Loan,
        LoanPayment, LoanStatus, Owner, RegisterAsset,
    },
    metro2::AccountStatus,
    receipt::{Event, Outcome},
    state::{BlockEventsChunk, Record, StateKey, TransactionReceipt},
    time::MS_PER_DAY,
};
use std::time::Duration;

mod common;

const BANK_A: usize = testkit::BANK_A;
const BANK_B: usize = testkit::BANK_B;
const USD: CurrencyId = CurrencyId(0);
const CAR: AssetId = AssetId(0);

/// The clients' side: the consortium's keys, a borrower, and what they sign.
struct Clients {
    reference: Reference,
    borrower: testkit::Borrower,
}

impl Clients {
    fn new(reference: Reference) -> Self {
        Self {
            reference,
            borrower: testkit::Borrower::new(77),
        }
    }

    fn member(&mut self, index: usize, payload: Payload) -> SignedTransaction {
        self.reference.member_tx(index, payload).into_signed()
    }

    fn registrar(&mut self, payload: Payload) -> SignedTransaction {
        let registrar = self.reference.member_with(credence_types::Role::Registrar);
        self.member(registrar, payload)
    }

    fn borrower(&mut self, payload: Payload) -> SignedTransaction {
        self.reference
            .borrower_tx(&mut self.borrower, payload)
            .into_signed()
    }

    fn owner(&self) -> Owner {
        Owner::Subject(self.borrower.id())
    }

    /// The market: the borrower registered, a vehicle class, `usd` issued by bank A and
    /// minted to both banks and the borrower.
    fn market(&mut self) -> Vec<SignedTransaction> {
        let register = self.reference.register(&self.borrower);
        let mut txs = vec![
            self.borrower(register),
            self.registrar(Payload::DefineAssetClass(DefineAssetClass {
                name: Name::new("vehicle").unwrap(),
                schema: Digest::of("schema", &[b"vin, make, model, year"]),
            })),
            self.member(
                BANK_A,
                Payload::IssueCurrency(IssueCurrency {
                    symbol: Name::new("usd").unwrap(),
                }),
            ),
        ];
        for bank in [BANK_A, BANK_B] {
            txs.push(self.member(
                BANK_A,
                Payload::MintFunds(FundsMovement {
                    currency: USD,
                    account: Owner::Institution(InstitutionId(bank as u64)),
                    amount: credence_types::money::Amount(100_000_000),
                }),
            ));
        }
        txs
    }

    /// The registrar registers the borrower's car; bank A pays the borrower a salary.
    fn car_and_salary(&mut self) -> Vec<SignedTransaction> {
        let owner = self.owner();
        vec![
            self.registrar(Payload::RegisterAsset(RegisterAsset {
                class: AssetClassId(0),
                owner,
                identity: Digest::of("vin", &[b"1HGCM82633A004352"]),
                value: credence_types::money::Amount(2_000_000),
                denomination: Denomination::OnLedger(USD),
            })),
            self.member(
                BANK_A,
                Payload::MintFunds(FundsMovement {
                    currency: USD,
                    account: owner,
                    amount: credence_types::money::Amount(500_000),
                }),
            ),
        ]
    }

    /// `lender` offers 1,000,000 against the car, first due `first_due_days` after
    /// `today`, defaulting `cure_days` after a missed installment.
    fn offer(
        &mut self,
        lender: usize,
        today: TimestampMs,
        first_due_days: u32,
        cure_days: u16,
    ) -> SignedTransaction {
        let mut terms = testkit::loan_terms(
            self.owner(),
            1_000_000,
            Denomination::OnLedger(USD),
            vec![Collateral::Asset(CAR)],
            today.date(),
            TimestampMs(today.0 + 7 * MS_PER_DAY),
        );
        terms.first_due = credence_types::Date(today.date().0 + first_due_days);
        terms.cure_days = cure_days;
        self.member(lender, Payload::OfferLoan(terms))
    }
}

/// Submits `transactions` and waits until every accepted transaction is finalised.
async fn finalise(sim: &mut Simulation, transactions: &[SignedTransaction]) {
    sim.submit(transactions).await;
    let height = sim.max_height();
    sim.settle(height, Duration::from_secs(60)).await.or_fail();
}

/// The value under `key` in validator `index`'s committed state.
async fn read<T: Read<Cfg = ()>>(sim: &Simulation, index: usize, key: &StateKey) -> Option<T> {
    let node = sim.node(index)?;
    let chain = node.chain.lock().await;
    let bytes = chain.store().get(key).await.unwrap()?;
    Some(decode(&bytes).unwrap())
}

/// Reads `key` on every validator, checking they all hold the same value.
async fn agreed<T: Read<Cfg = ()> + PartialEq + std::fmt::Debug>(
    sim: &Simulation,
    key: &StateKey,
) -> Option<T> {
    let first: Option<T> = read(sim, 0, key).await;
    for index in 1..sim.size() {
        assert_eq!(read::<T>(sim, index, key).await, first, "validator {index}");
    }
    first
}

async fn outcome(sim: &Simulation, transaction: &SignedTransaction) -> Outcome {
    agreed::<TransactionReceipt>(sim, &StateKey::transaction(&transaction.hash()))
        .await
        .expect("finalised transactions have receipts")
        .outcome
}

async fn start(
    context: deterministic::Context,
    consortium: Consortium,
    genesis: TimestampMs,
) -> Simulation {
    common::logging();
    let consortium = consortium.with_genesis_time(genesis);
    Simulation::start(context, Config::default(), consortium, Journal::new(4))
        .await
        .or_fail()
}

#[test]
fn founding_story_on_the_network_pledge_refuse_repay_release() {
    for_each_seed("founding_story_on_the_network", 0..1, |seed| {
        deterministic::Runner::new(runtime(seed)).start(|context| async move {
            let (consortium, reference) = Consortium::new(4).unwrap();
            let mut clients = Clients::new(reference);
            let genesis = now(&context);
            let mut sim = start(context, consortium, genesis).await;

            let market = clients.market();
            finalise(&mut sim, &market).await;
            let car = clients.car_and_salary();
            finalise(&mut sim, &car).await;
            let today = now(sim.context());
            let offers = [
                clients.offer(BANK_A, today, 30, 120),
                clients.offer(BANK_B, today, 30, 120),
            ];
            finalise(&mut sim, &offers).await;
            // The borrower accepts both, in this order: the first locks the car.
            let accepts = [
                clients.borrower(Payload::AcceptLoan(LoanId(0))),
                clients.borrower(Payload::AcceptLoan(LoanId(1))),
            ];
            finalise(&mut sim, &accepts).await;
            assert_eq!(outcome(&sim, &accepts[0]).await, Outcome::Applied);
            assert_eq!(
                outcome(&sim, &accepts[1]).await,
                Outcome::Rejected(Rejection::CollateralAlreadyPledged)
            );
            let car: Asset = agreed(&sim, &StateKey::asset(CAR)).await.unwrap();
            assert_eq!(car.lock, Some(LoanId(0)));

            // The borrower repays everything it owes (a prepayment: nothing is due yet).
            let loan: Loan = agreed(&sim, &StateKey::loan(LoanId(0))).await.unwrap();
            let owed = payoff(&loan, now(sim.context()).date()).unwrap();
            let repay = [clients.borrower(Payload::RepayLoan(LoanPayment {
                loan: LoanId(0),
                amount: owed,
            }))];
            finalise(&mut sim, &repay).await;
            assert_eq!(outcome(&sim, &repay[0]).await, Outcome::Applied);
            let loan: Loan = agreed(&sim, &StateKey::loan(LoanId(0))).await.unwrap();
            assert_eq!(loan.status, LoanStatus::Repaid);
            let car: Asset = agreed(&sim, &StateKey::asset(CAR)).await.unwrap();
            assert_eq!(car.lock, None, "the car unlocked by itself");
            let tradeline: Record = agreed(&sim, &StateKey::record(loan.tradeline.unwrap()))
                .await
                .unwrap();
            assert_eq!(tradeline.status, AccountStatus::PaidOrClosed);

            let summary = sim.verify().await.or_fail();
            common::report("founding_story_on_the_network", seed, &summary);
        });
    });
}

#[test]
#[ignore = "long (about ten minutes): the chain's clock must run four months at most ten \
            minutes a block; crates/ledger/tests/lending.rs covers the rules in CI. Run with \
            --ignored"]
fn founding_story_on_the_network_missed_payments_default_and_charge_off() {
    for_each_seed("missed_payments_on_the_network", 0..1, |seed| {
        deterministic::Runner::new(runtime(seed)).start(|context| async move {
            let (consortium, reference) = Consortium::new(4).unwrap();
            let mut clients = Clients::new(reference);
            let genesis = TimestampMs(now(&context).0 - 95 * MS_PER_DAY);
            let mut sim = start(context, consortium, genesis).await;

            let market = clients.market();
            finalise(&mut sim, &market).await;
            let car = clients.car_and_salary();
            finalise(&mut sim, &car).await;
            // The chain's clock is still near genesis; the loan is dated by it.
            let chain_today = sim.node(0).unwrap().chain.lock().await.tip().header.time;
            let offer = [clients.offer(BANK_A, chain_today, 2, 91)];
            finalise(&mut sim, &offer).await;
            let accept = [clients.borrower(Payload::AcceptLoan(LoanId(0)))];
            finalise(&mut sim, &accept).await;
            assert_eq!(outcome(&sim, &accept[0]).await, Outcome::Applied);

            // Nothing is paid. Wait for the chain's clock to run past the cure period.
            let mut waited = Duration::ZERO;
            loop {
                let loan: Loan = read(&sim, 0, &StateKey::loan(LoanId(0))).await.unwrap();
                if loan.status == LoanStatus::Defaulted {
                    break;
                }
                assert!(waited < Duration::from_secs(3_600), "no default: {loan:?}");
                sim.sleep(Duration::from_secs(1)).await;
                waited += Duration::from_secs(1);
            }
            let height = sim.max_height();
            sim.settle(height, Duration::from_secs(60)).await.or_fail();

            // What every lender watching heard, in order, from the block events.
            let mut adverse = Vec::new();
            for height in 1..=height {
                let mut chunks = Vec::new();
                for number in 0u32.. {
                    let key = StateKey::block_events(credence_types::Height(height), number);
                    let Some(chunk) = agreed::<BlockEventsChunk>(&sim, &key).await else {
                        break;
                    };
                    chunks.push(chunk);
                }
                let events = BlockEventsChunk::join(chunks).expect("a block's chunks join");
                for event in &events {
                    if let Event::Adverse { status, .. } = event.event {
                        adverse.push(status);
                    }
                }
            }
            assert_eq!(
                adverse,
                vec![
                    AccountStatus::PastDue30,
                    AccountStatus::PastDue60,
                    AccountStatus::PastDue90,
                    AccountStatus::ChargeOff
                ]
            );
            let loan: Loan = agreed(&sim, &StateKey::loan(LoanId(0))).await.unwrap();
            assert_eq!(loan.status, LoanStatus::Defaulted);
            let car: Asset = agreed(&sim, &StateKey::asset(CAR)).await.unwrap();
            assert_eq!(car.owner, Owner::Institution(InstitutionId(BANK_A as u64)));
            assert_eq!(car.lock, None);
            let tradeline: Record = agreed(&sim, &StateKey::record(loan.tradeline.unwrap()))
                .await
                .unwrap();
            assert_eq!(tradeline.status, AccountStatus::ChargeOff);

            let summary = sim.verify().await.or_fail();
            common::report("missed_payments_on_the_network", seed, &summary);
        });
    });
}
