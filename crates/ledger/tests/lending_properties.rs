//! Property tests of the asset registry and loan contracts: random sequences of registry,
//! funds and loan transactions, with the invariants checked after every block.
//!
//! - no asset is ever locked by two loans, and a lock always names a loan that pledged it;
//! - a locked asset never changes owner, except by its loan's default remedy or liquidation;
//! - a repaid loan leaves none of its collateral locked;
//! - every currency's supply equals the sum of its balances, and changes only by mints and
//!   burns; each account's locked funds equal what its running loans pledged;
//! - the interest a loan charged equals an independent recomputation from its history, to
//!   the minor unit;
//! - a rejected transaction changes nothing but its signer's nonce and its receipt.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use credence_crypto::VerifiedTransaction;
use credence_ledger::testkit::{
    BANK_A, BANK_B, Borrower, Chain, LENDER_C, REGISTRAR, changed_tables, loan_terms,
    rejection_footprint,
};
use credence_types::{
    AssetClassId, AssetId, CurrencyId, Date, Digest, InstitutionId, LoanId, Payload, Rejection,
    codec::{Name, decode},
    lending::{
        Asset, Balance, Collateral, Currency, DayCount, DefineAssetClass, Denomination,
        FundsMovement, FundsPledge, IssueCurrency, Loan, LoanEvent, LoanPayment, LoanStatus, Owner,
        Redemption, RegisterAsset, ScheduleKind, TransferAsset,
    },
    money::{Amount, BasisPoints},
    receipt::{Event, Outcome},
    state::{StateKey, Table},
};
use proptest::prelude::*;
use std::collections::BTreeMap;

const SUBJECTS: usize = 3;
const DAY: u64 = 86_400_000;

#[derive(Clone, Debug)]
enum Op {
    RegisterAsset {
        owner: usize,
        value: u64,
        /// Which real asset: a small range, so registrars sometimes try one twice.
        identity: u8,
    },
    TransferAsset {
        asset: usize,
        to: usize,
        by_owner: bool,
    },
    Mint {
        to: usize,
        amount: u64,
    },
    Redeem {
        holder: usize,
        amount: u64,
    },
    Pay {
        from: usize,
        to: usize,
        amount: u64,
    },
    Offer {
        lender: usize,
        borrower: usize,
        principal: u64,
        assets: Vec<usize>,
        funds: u64,
        shape: u8,
        on_ledger: bool,
    },
    Accept {
        loan: usize,
    },
    Withdraw {
        loan: usize,
    },
    Repay {
        loan: usize,
        share: u8,
    },
    Advance {
        days: u64,
    },
}

/// An amount: mostly of a plausible size, sometimes anywhere in `u64`, sometimes at its top,
/// so the rules meet every overflow a holder or a lender could try.
fn amount(plausible: std::ops::Range<u64>) -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => plausible,
        1 => any::<u64>(),
        1 => (u64::MAX - 1_000)..=u64::MAX,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let party = 0..SUBJECTS + 3;
    prop_oneof![
        3 => (0..SUBJECTS + 1, amount(10_000..3_000_000), 0..24u8).prop_map(|(owner, value, identity)| Op::RegisterAsset { owner, value, identity }),
        1 => (0..8usize, party.clone(), prop::bool::weighted(0.8))
            .prop_map(|(asset, to, by_owner)| Op::TransferAsset { asset, to, by_owner }),
        2 => (party.clone(), amount(1..2_000_000)).prop_map(|(to, amount)| Op::Mint { to, amount }),
        1 => (party.clone(), amount(1..500_000)).prop_map(|(holder, amount)| Op::Redeem { holder, amount }),
        1 => (party.clone(), party.clone(), amount(1..500_000)).prop_map(|(from, to, amount)| Op::Pay { from, to, amount }),
        3 => (0..3usize, 0..SUBJECTS, amount(10_000..1_500_000), prop::collection::vec(0..8usize, 0..3), amount(0..300_000), any::<u8>(), prop::bool::weighted(0.8))
            .prop_map(|(lender, borrower, principal, assets, funds, shape, on_ledger)| Op::Offer { lender, borrower, principal, assets, funds, shape, on_ledger }),
        4 => (0..8usize).prop_map(|loan| Op::Accept { loan }),
        1 => (0..8usize).prop_map(|loan| Op::Withdraw { loan }),
        4 => (0..8usize, any::<u8>()).prop_map(|(loan, share)| Op::Repay { loan, share }),
        3 => (1u64..45).prop_map(|days| Op::Advance { days }),
    ]
}

struct World {
    chain: Chain,
    borrowers: Vec<Borrower>,
    assets: Vec<AssetId>,
    /// The real assets registered: each may be registered once.
    identities: BTreeMap<Digest, AssetId>,
    loans: Vec<LoanId>,
    /// Supply expected from the mints and burns that applied.
    expected_supply: u64,
}

const BANKS: [usize; 3] = [BANK_A, BANK_B, LENDER_C];

impl World {
    fn new() -> Self {
        let mut chain = Chain::new();
        let mut borrowers = Vec::new();
        for i in 0..SUBJECTS {
            let mut borrower = Borrower::new(500 + i as u64);
            let register = chain.register(&borrower);
            let tx = chain.borrower_tx(&mut borrower, register);
            chain.ok(tx);
            borrowers.push(borrower);
        }
        let class = Payload::DefineAssetClass(DefineAssetClass {
            name: Name::new("vehicle").unwrap(),
            schema: Digest::default(),
        });
        let tx = chain.member_tx(REGISTRAR, class);
        chain.ok(tx);
        let issue = Payload::IssueCurrency(IssueCurrency {
            symbol: Name::new("usd").unwrap(),
        });
        let tx = chain.member_tx(BANK_A, issue);
        chain.ok(tx);
        Self {
            chain,
            borrowers,
            assets: Vec::new(),
            identities: BTreeMap::new(),
            loans: Vec::new(),
            expected_supply: 0,
        }
    }

    /// Party `i`: a subject, then the three banks.
    fn owner(&self, i: usize) -> Owner {
        if i < SUBJECTS {
            Owner::Subject(self.borrowers[i].id())
        } else {
            Owner::Institution(InstitutionId(BANKS[i - SUBJECTS] as u64))
        }
    }

    fn sign(&mut self, party: Owner, payload: Payload) -> VerifiedTransaction {
        match party {
            Owner::Subject(id) => {
                let index = self.borrowers.iter().position(|b| b.id() == id).unwrap();
                let mut borrower = self.borrowers[index].clone();
                let tx = self.chain.borrower_tx(&mut borrower, payload);
                self.borrowers[index] = borrower;
                tx
            }
            Owner::Institution(id) => self.chain.member_tx(id.0 as usize, payload),
        }
    }

    fn asset(&self, id: AssetId) -> Asset {
        self.chain.get(&StateKey::asset(id)).unwrap()
    }

    fn loan(&self, id: LoanId) -> Loan {
        self.chain.get(&StateKey::loan(id)).unwrap()
    }

    fn step(&mut self, op: &Op) {
        if let Op::Advance { days } = op {
            let before = self.snapshot();
            let holdings = self.holdings();
            let outcome = self.chain.block(days * DAY, &[]);
            let events: Vec<Event> = outcome.events.iter().map(|e| e.event.clone()).collect();
            self.check(&before, &events);
            self.check_decreases(&holdings, None, &events);
            return;
        }
        let Some((signer, payload)) = self.plan(op) else {
            return;
        };
        self.submit(signer, payload);
    }

    /// The signer and payload an operation makes, if it can be made now.
    fn plan(&self, op: &Op) -> Option<(Owner, Payload)> {
        match op.clone() {
            Op::RegisterAsset {
                owner,
                value,
                identity,
            } => Some((
                Owner::Institution(InstitutionId(REGISTRAR as u64)),
                Payload::RegisterAsset(RegisterAsset {
                    class: AssetClassId(0),
                    owner: self.owner(owner),
                    identity: Digest::of("vin", &[&[identity]]),
                    value: Amount(value),
                    denomination: Denomination::OnLedger(CurrencyId(0)),
                }),
            )),
            Op::TransferAsset {
                asset,
                to,
                by_owner,
            } => {
                let id = *self.assets.get(asset % self.assets.len().max(1))?;
                let owner = self.asset(id).owner;
                let signer = if by_owner {
                    owner
                } else {
                    self.owner(SUBJECTS)
                };
                Some((
                    signer,
                    Payload::TransferAsset(TransferAsset {
                        asset: id,
                        to: self.owner(to),
                    }),
                ))
            }
            Op::Mint { to, amount } => Some((
                self.owner(SUBJECTS),
                Payload::MintFunds(FundsMovement {
                    currency: CurrencyId(0),
                    account: self.owner(to),
                    amount: Amount(amount),
                }),
            )),
            Op::Redeem { holder, amount } => Some((
                self.owner(holder),
                Payload::RedeemFunds(Redemption {
                    currency: CurrencyId(0),
                    amount: Amount(amount),
                }),
            )),
            Op::Pay { from, to, amount } => Some((
                self.owner(from),
                Payload::TransferFunds(FundsMovement {
                    currency: CurrencyId(0),
                    account: self.owner(to),
                    amount: Amount(amount),
                }),
            )),
            Op::Offer {
                lender,
                borrower,
                principal,
                assets,
                funds,
                shape,
                on_ledger,
            } => {
                let mut collateral: Vec<Collateral> = assets
                    .iter()
                    .filter_map(|i| self.assets.get(i % self.assets.len().max(1)).copied())
                    .map(Collateral::Asset)
                    .collect();
                collateral.sort_by_key(|c| match c {
                    Collateral::Asset(a) => a.0,
                    Collateral::Funds(_) => u64::MAX,
                });
                collateral.dedup();
                if funds > 0 {
                    collateral.push(Collateral::Funds(FundsPledge {
                        currency: CurrencyId(0),
                        amount: Amount(funds),
                    }));
                }
                let denomination = if on_ledger {
                    Denomination::OnLedger(CurrencyId(0))
                } else {
                    Denomination::OffLedger(Name::new("usd").unwrap())
                };
                let mut terms = loan_terms(
                    self.owner(borrower),
                    principal,
                    denomination,
                    collateral,
                    self.chain.time.date(),
                    credence_types::TimestampMs(self.chain.time.0 + 20 * DAY),
                );
                terms.schedule = [
                    ScheduleKind::Amortizing,
                    ScheduleKind::InterestOnlyBalloon,
                    ScheduleKind::Bullet,
                ][usize::from(shape % 3)];
                terms.day_count = if shape & 4 == 0 {
                    DayCount::Actual365Fixed
                } else {
                    DayCount::Thirty360
                };
                terms.installments = if terms.schedule == ScheduleKind::Bullet {
                    1
                } else {
                    1 + u16::from(shape >> 4)
                };
                terms.rate = BasisPoints(u32::from(shape) * 37);
                terms.cure_days = 60 + u16::from(shape & 0x30);
                Some((
                    Owner::Institution(InstitutionId(BANKS[lender] as u64)),
                    Payload::OfferLoan(terms),
                ))
            }
            Op::Accept { loan } => {
                let id = *self.loans.get(loan % self.loans.len().max(1))?;
                Some((self.loan(id).terms.borrower, Payload::AcceptLoan(id)))
            }
            Op::Withdraw { loan } => {
                let id = *self.loans.get(loan % self.loans.len().max(1))?;
                Some((
                    Owner::Institution(self.loan(id).lender),
                    Payload::WithdrawOffer(id),
                ))
            }
            Op::Repay { loan, share } => {
                let id = *self.loans.get(loan % self.loans.len().max(1))?;
                let state = self.loan(id);
                let payoff = credence_ledger::queries::payoff(&state, self.chain.time.date())
                    .unwrap_or_default();
                let amount = Amount((payoff.0.saturating_mul(u64::from(share)) / 200).max(1));
                match state.terms.denomination {
                    Denomination::OnLedger(_) => Some((
                        state.terms.borrower,
                        Payload::RepayLoan(LoanPayment { loan: id, amount }),
                    )),
                    Denomination::OffLedger(_) => Some((
                        Owner::Institution(state.lender),
                        Payload::ConfirmRepayment(LoanPayment { loan: id, amount }),
                    )),
                }
            }
            Op::Advance { .. } => None,
        }
    }

    fn submit(&mut self, signer: Owner, payload: Payload) {
        let registering = match &payload {
            Payload::RegisterAsset(body) => Some(body.identity),
            _ => None,
        };
        let tx = self.sign(signer, payload);
        let before = self.snapshot();
        let holdings = self.holdings();
        let state_before = self.chain.state.clone();
        let outcome = self.chain.block(1_000, &[tx]);
        let events: Vec<Event> = outcome.events.iter().map(|e| e.event.clone()).collect();
        if let Some(identity) = registering {
            let registered = self.identities.contains_key(&identity);
            match &outcome.receipts[0].outcome {
                Outcome::Applied => assert!(!registered, "{identity:?} was registered twice"),
                Outcome::Rejected(rejection) => assert_eq!(
                    *rejection == Rejection::AssetAlreadyRegistered,
                    registered,
                    "registering {identity:?}"
                ),
            }
        }
        match outcome.receipts[0].outcome {
            Outcome::Applied => {
                for event in &events {
                    match event {
                        Event::AssetRegistered { asset, .. } => {
                            self.assets.push(*asset);
                            self.identities
                                .insert(registering.expect("a registration"), *asset);
                        }
                        Event::LoanOffered { loan, .. } => self.loans.push(*loan),
                        Event::FundsMinted { amount, .. } => self.expected_supply += amount.0,
                        Event::FundsRedeemed { amount, .. } => self.expected_supply -= amount.0,
                        _ => {}
                    }
                }
            }
            Outcome::Rejected(rejection) => {
                // Begin-block rules may have run in this block too; compare only when none did.
                if outcome.events.is_empty() {
                    let changed = changed_tables(&state_before, &self.chain.state);
                    assert!(
                        changed.is_subset(&rejection_footprint()),
                        "{rejection:?} changed {changed:?}"
                    );
                }
            }
        }
        self.check(&before, &events);
        self.check_decreases(&holdings, Some(signer), &events);
    }

    /// What each party holds of the currency, available and locked.
    fn holdings(&self) -> BTreeMap<Owner, u128> {
        (0..SUBJECTS + 3)
            .map(|i| {
                let owner = self.owner(i);
                let code = credence_ledger::queries::owner_code(&self.chain.state, &owner)
                    .unwrap()
                    .unwrap();
                let balance: Balance = self
                    .chain
                    .get(&StateKey::balance(CurrencyId(0), code))
                    .unwrap_or_default();
                (
                    owner,
                    u128::from(balance.available.0) + u128::from(balance.locked.0),
                )
            })
            .collect()
    }

    /// Funds leave an account only by its holder's signature, or by a loan rule the holder
    /// agreed to: the disbursement of a loan it offered, the remedy of a loan it borrowed.
    fn check_decreases(
        &self,
        before: &BTreeMap<Owner, u128>,
        signer: Option<Owner>,
        events: &[Event],
    ) {
        for (owner, held) in self.holdings() {
            if held >= before[&owner] {
                continue;
            }
            let agreed = signer == Some(owner)
                || events.iter().any(|event| match event {
                    Event::LoanAccepted { lender, .. } => Owner::Institution(*lender) == owner,
                    Event::LoanDefaulted { borrower, .. }
                    | Event::LiquidationCompleted { borrower, .. } => *borrower == owner,
                    _ => false,
                });
            assert!(
                agreed,
                "{owner}'s funds fell without its signature: {events:?}"
            );
        }
    }

    fn snapshot(&self) -> BTreeMap<AssetId, Asset> {
        self.assets
            .iter()
            .map(|id| (*id, self.asset(*id)))
            .collect()
    }

    fn check(&self, before: &BTreeMap<AssetId, Asset>, events: &[Event]) {
        // Locks: at most one loan per asset, and a lock names a loan that pledged the asset.
        for id in &self.assets {
            let asset = self.asset(*id);
            if let Some(lock) = asset.lock {
                let loan = self.loan(lock);
                assert!(
                    loan.terms
                        .collateral
                        .iter()
                        .any(|c| c == &Collateral::Asset(*id))
                );
                assert!(
                    matches!(
                        loan.status,
                        LoanStatus::Active | LoanStatus::Delinquent | LoanStatus::Defaulted
                    ),
                    "{:?} locks {id}",
                    loan.status
                );
            }
            // A locked asset changes owner only by its loan's remedy.
            if let Some(previous) = before.get(id)
                && previous.owner != asset.owner
                && let Some(lock) = previous.lock
            {
                let remedied = events.iter().any(|e| {
                    matches!(e,
                        Event::LoanDefaulted { loan, .. }
                        | Event::LiquidationCompleted { loan, .. } if *loan == lock)
                });
                assert!(remedied, "locked asset {id} changed owner outside a remedy");
            }
        }
        let mut holders = BTreeMap::new();
        let mut pledged: BTreeMap<Owner, u64> = BTreeMap::new();
        for id in &self.loans {
            let loan = self.loan(*id);
            let running = matches!(loan.status, LoanStatus::Active | LoanStatus::Delinquent);
            for item in loan.terms.collateral.iter() {
                match item {
                    Collateral::Asset(asset) => {
                        let state = self.asset(*asset);
                        if running {
                            assert_eq!(
                                state.lock,
                                Some(*id),
                                "running loan {id} must hold {asset}"
                            );
                            assert!(
                                holders.insert(*asset, *id).is_none(),
                                "{asset} held by two loans"
                            );
                        }
                        if loan.status == LoanStatus::Repaid {
                            assert_ne!(
                                state.lock,
                                Some(*id),
                                "repaid loan {id} still locks {asset}"
                            );
                        }
                    }
                    Collateral::Funds(pledge) if running => {
                        *pledged.entry(loan.terms.borrower).or_default() += pledge.amount.0;
                    }
                    Collateral::Funds(_) => {}
                }
            }
            if running || loan.status == LoanStatus::Repaid {
                check_interest(
                    &loan,
                    &credence_ledger::queries::loan_history(&self.chain.state, &loan).unwrap(),
                );
            }
        }
        // Supply equals the balances, and only mints and redemptions changed it.
        let currency: Currency = self.chain.get(&StateKey::currency(CurrencyId(0))).unwrap();
        let start = StateKey::table_start(Table::Balance);
        let mut total = 0u64;
        for (_, value) in self
            .chain
            .state
            .range(start..)
            .take_while(|(k, _)| k.tag() == Table::Balance as u8)
        {
            let balance: Balance = decode(value).unwrap();
            total += balance.available.0 + balance.locked.0;
        }
        assert_eq!(currency.supply.0, total, "supply is the sum of balances");
        assert_eq!(
            currency.supply.0, self.expected_supply,
            "only mints and redemptions change supply"
        );
        for i in 0..SUBJECTS + 3 {
            let owner = self.owner(i);
            let code = credence_ledger::queries::owner_code(&self.chain.state, &owner)
                .unwrap()
                .unwrap();
            let balance: Balance = self
                .chain
                .get(&StateKey::balance(CurrencyId(0), code))
                .unwrap_or_default();
            assert_eq!(
                balance.locked.0,
                pledged.get(&owner).copied().unwrap_or(0),
                "{owner}'s locked funds are its running pledges"
            );
        }
    }
}

/// Interest an independent recomputation charges for `days` on `principal`.
fn reference_interest(principal: u64, rate: u32, day_count: DayCount, from: Date, to: Date) -> u64 {
    if to <= from {
        return 0;
    }
    let (days, year) = match day_count {
        DayCount::Actual365Fixed => (u128::from(to.0 - from.0), 365u128),
        DayCount::Thirty360 => {
            let ((y1, m1, d1), (y2, m2, d2)) = (from.ymd(), to.ymd());
            let d1 = if d1 == 31 { 30 } else { d1 };
            let d2 = if d2 == 31 && d1 == 30 { 30 } else { d2 };
            let days = 360 * (y2 - y1) as i128
                + 30 * (m2 as i128 - m1 as i128)
                + (d2 as i128 - d1 as i128);
            (days as u128, 360u128)
        }
    };
    (u128::from(principal) * u128::from(rate) * days / (10_000 * year)) as u64
}

/// Replays a loan's history with the reference arithmetic: the interest it charged, the
/// interest it still counts, and the principal left must all agree.
fn check_interest(loan: &Loan, history: &[LoanEvent]) {
    let mut principal = loan.terms.principal.0;
    let mut interest = 0u64;
    let mut accrued_to: Option<Date> = None;
    let rate = loan.terms.rate.0;
    let day_count = loan.terms.day_count;
    for event in history {
        match event {
            LoanEvent::Accepted { at } => accrued_to = Some(at.date()),
            LoanEvent::InstallmentDue { due, .. } => {
                let from = accrued_to.unwrap();
                if *due > from {
                    interest += reference_interest(principal, rate, day_count, from, *due);
                    accrued_to = Some(*due);
                }
            }
            LoanEvent::Payment {
                at,
                interest: paid,
                principal: repaid,
                ..
            } => {
                let from = accrued_to.unwrap();
                if at.date() > from {
                    interest += reference_interest(principal, rate, day_count, from, at.date());
                    accrued_to = Some(at.date());
                }
                assert!(paid.0 <= interest, "paid more interest than accrued");
                interest -= paid.0;
                principal -= repaid.0;
            }
            _ => {}
        }
    }
    assert_eq!(
        loan.interest.0, interest,
        "loan {}: interest differs from the reference",
        loan.id
    );
    assert_eq!(
        loan.principal.0, principal,
        "loan {}: principal differs",
        loan.id
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn lending_keeps_its_invariants(ops in prop::collection::vec(op(), 1..60)) {
        let mut world = World::new();
        for op in &ops {
            world.step(op);
        }
    }
}
