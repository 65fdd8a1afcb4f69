//! A realistic workload: a deterministic generator and the mix of transactions a credit
//! network sees (registrations, furnishing, consents and inquiries, disputes, revocations,
//! and a lending market), each built to apply on the [`Chain`] it is generated against.

use super::{BANK_A, BANK_B, Borrower, Chain, LENDER_C, loan_terms};
use crate::BlockOutcome;
use credence_crypto::VerifiedTransaction;
use credence_types::{
    BlockContext, ConsentId, Digest, InstitutionId, Payload, RecordId, Role, TimestampMs,
    codec::Name, lending::Owner, metro2::AccountStatus, money::Amount, time::MS_PER_DAY,
    transaction::Purpose,
};

/// A small deterministic pseudo-random generator (xorshift64*), so workloads need no
/// randomness crate and replay exactly from a seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % u64::try_from(n).unwrap()).unwrap()
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// A block as executed on a [`Chain`]: its context, transactions and outcome.
#[derive(Clone, Debug)]
pub struct RecordedBlock {
    pub context: BlockContext,
    pub transactions: Vec<VerifiedTransaction>,
    pub outcome: BlockOutcome,
}

/// A realistic credit-sharing workload over a population of subjects: furnishing (most of
/// it), consents and inquiries, disputes and their answers, revocations.
pub struct Workload {
    pub rng: Rng,
    pub borrowers: Vec<Borrower>,
    registered: usize,
    /// Active consents as (consent, subject index, lender).
    consents: Vec<(ConsentId, usize, usize)>,
    next_consent: u64,
    records: Vec<(RecordId, usize)>,
    next_record: u64,
    next_dispute: u64,
    open_disputes: Vec<(credence_types::DisputeId, usize)>,
    /// The lending market, once [`Workload::open_market`] has run.
    market: Option<Market>,
}

/// What the workload knows of the lending market it opened: the currency, each asset's
/// owner and lock, and the loans by stage. Ids are predicted from the counters, as the
/// workload's transactions are built to apply.
#[derive(Debug)]
struct Market {
    currency: credence_types::CurrencyId,
    /// (asset, owning subject index, loan offered or accepted against it).
    assets: Vec<(
        credence_types::AssetId,
        usize,
        Option<credence_types::LoanId>,
    )>,
    /// Offers not yet accepted, as (loan, subject index).
    offered: Vec<(credence_types::LoanId, usize)>,
    /// Accepted loans, as (loan, subject index).
    active: Vec<(credence_types::LoanId, usize)>,
    next_loan: u64,
}

impl Workload {
    pub fn new(seed: u64, subjects: usize) -> Self {
        Self {
            rng: Rng::new(seed),
            borrowers: (0..subjects)
                .map(|i| Borrower::new(seed.wrapping_mul(1_000_003) + i as u64))
                .collect(),
            registered: 0,
            consents: Vec::new(),
            next_consent: 0,
            records: Vec::new(),
            next_record: 0,
            next_dispute: 0,
            open_disputes: Vec::new(),
            market: None,
        }
    }

    /// Opens a lending market, so that the mix includes loan offers, acceptances and
    /// repayments, asset transfers and payments: the registrar defines a vehicle class and
    /// registers one vehicle per subject, and `bank-a` issues `usd`, minting to every lender
    /// and subject. Call after [`Workload::register_all`], on a chain with no assets yet.
    pub fn open_market(&mut self, chain: &mut Chain, per_block: usize) -> Vec<RecordedBlock> {
        use credence_types::{
            AssetClassId, AssetId, CurrencyId,
            lending::{
                DefineAssetClass, Denomination, FundsMovement, IssueCurrency, RegisterAsset,
            },
        };
        let usd = CurrencyId(0);
        let registrar = chain.member_with(Role::Registrar);
        let mut setup = vec![
            chain.member_tx(
                registrar,
                Payload::DefineAssetClass(DefineAssetClass {
                    name: Name::new("vehicle").unwrap(),
                    schema: Digest::of("schema", &[b"vin, make, model, year"]),
                }),
            ),
            chain.member_tx(
                BANK_A,
                Payload::IssueCurrency(IssueCurrency {
                    symbol: Name::new("usd").unwrap(),
                }),
            ),
        ];
        for lender in [BANK_A, BANK_B, LENDER_C] {
            setup.push(chain.member_tx(
                BANK_A,
                Payload::MintFunds(FundsMovement {
                    currency: usd,
                    account: Owner::Institution(InstitutionId(lender as u64)),
                    amount: Amount(1_000_000_000_000),
                }),
            ));
        }
        let mut blocks = vec![record(chain, 1_000, setup)];
        let mut assets = Vec::new();
        for chunk in (0..self.registered)
            .collect::<Vec<_>>()
            .chunks(per_block.max(2) / 2)
        {
            let mut txs = Vec::new();
            for &i in chunk {
                let owner = Owner::Subject(self.borrowers[i].id());
                txs.push(chain.member_tx(
                    registrar,
                    Payload::RegisterAsset(RegisterAsset {
                        class: AssetClassId(0),
                        owner,
                        identity: Digest::of("vin", &[&(i as u64).to_be_bytes()]),
                        value: Amount(2_000_000),
                        denomination: Denomination::OnLedger(usd),
                    }),
                ));
                txs.push(chain.member_tx(
                    BANK_A,
                    Payload::MintFunds(FundsMovement {
                        currency: usd,
                        account: owner,
                        amount: Amount(5_000_000),
                    }),
                ));
                assets.push((AssetId(assets.len() as u64), i, None));
            }
            blocks.push(record(chain, 1_000, txs));
        }
        self.market = Some(Market {
            currency: usd,
            assets,
            offered: Vec::new(),
            active: Vec::new(),
            next_loan: 0,
        });
        blocks
    }

    /// The next lending transaction, for a roll in `0..20`, if the market is open and the
    /// roll's kind has something to act on.
    fn next_lending(&mut self, chain: &mut Chain, roll: usize) -> Option<VerifiedTransaction> {
        use credence_types::{
            LoanId,
            lending::{Collateral, Denomination, FundsMovement, LoanPayment, TransferAsset},
        };
        let market = self.market.as_mut()?;
        let tx = match roll {
            // A lender offers a loan against a subject's unpledged vehicle.
            0..4 => {
                let free: Vec<usize> = (0..market.assets.len())
                    .filter(|&a| market.assets[a].2.is_none())
                    .collect();
                if free.is_empty() {
                    return None;
                }
                let slot = free[self.rng.below(free.len())];
                let (asset, owner, _) = market.assets[slot];
                let lender = [BANK_A, BANK_B, LENDER_C][self.rng.below(3)];
                let loan = LoanId(market.next_loan);
                market.next_loan += 1;
                market.assets[slot].2 = Some(loan);
                market.offered.push((loan, owner));
                let terms = loan_terms(
                    Owner::Subject(self.borrowers[owner].id()),
                    1_000_000,
                    Denomination::OnLedger(market.currency),
                    vec![Collateral::Asset(asset)],
                    chain.time.date(),
                    TimestampMs(chain.time.0 + 7 * MS_PER_DAY),
                );
                chain.member_tx(lender, Payload::OfferLoan(terms))
            }
            // The borrower accepts an offer: collateral locked, principal disbursed.
            4..8 => {
                if market.offered.is_empty() {
                    return None;
                }
                let (loan, owner) = market
                    .offered
                    .swap_remove(self.rng.below(market.offered.len()));
                market.active.push((loan, owner));
                let mut borrower = self.borrowers[owner].clone();
                let tx = chain.borrower_tx(&mut borrower, Payload::AcceptLoan(loan));
                self.borrowers[owner] = borrower;
                tx
            }
            // The borrower pays something towards a running loan.
            8..14 => {
                if market.active.is_empty() {
                    return None;
                }
                let (loan, owner) = market.active[self.rng.below(market.active.len())];
                let mut borrower = self.borrowers[owner].clone();
                let tx = chain.borrower_tx(
                    &mut borrower,
                    Payload::RepayLoan(LoanPayment {
                        loan,
                        amount: Amount(10_000),
                    }),
                );
                self.borrowers[owner] = borrower;
                tx
            }
            // An owner sells an unpledged vehicle to another subject.
            14..17 => {
                let free: Vec<usize> = (0..market.assets.len())
                    .filter(|&a| market.assets[a].2.is_none())
                    .collect();
                if free.is_empty() {
                    return None;
                }
                let slot = free[self.rng.below(free.len())];
                let (asset, owner, _) = market.assets[slot];
                let buyer = self.rng.below(self.registered);
                market.assets[slot].1 = buyer;
                let mut borrower = self.borrowers[owner].clone();
                let tx = chain.borrower_tx(
                    &mut borrower,
                    Payload::TransferAsset(TransferAsset {
                        asset,
                        to: Owner::Subject(self.borrowers[buyer].id()),
                    }),
                );
                self.borrowers[owner] = borrower;
                tx
            }
            // One subject pays another.
            _ => {
                let (payer, payee) = (
                    self.rng.below(self.registered),
                    self.rng.below(self.registered),
                );
                let mut borrower = self.borrowers[payer].clone();
                let tx = chain.borrower_tx(
                    &mut borrower,
                    Payload::TransferFunds(FundsMovement {
                        currency: market.currency,
                        account: Owner::Subject(self.borrowers[payee].id()),
                        amount: Amount(1_000),
                    }),
                );
                self.borrowers[payer] = borrower;
                tx
            }
        };
        Some(tx)
    }

    /// Registers every subject not registered yet, in blocks of `per_block`.
    pub fn register_all(&mut self, chain: &mut Chain, per_block: usize) -> Vec<RecordedBlock> {
        let mut blocks = Vec::new();
        while self.registered < self.borrowers.len() {
            let end = (self.registered + per_block).min(self.borrowers.len());
            let txs: Vec<_> = (self.registered..end)
                .map(|i| {
                    let payload = chain.register(&self.borrowers[i]);
                    let mut borrower = self.borrowers[i].clone();
                    let tx = chain.borrower_tx(&mut borrower, payload);
                    self.borrowers[i] = borrower;
                    tx
                })
                .collect();
            self.registered = end;
            blocks.push(record(chain, 1_000, txs));
        }
        blocks
    }

    /// The next transaction of the mix. Call [`Workload::register_all`] first. With the
    /// market open, a fifth of the mix is lending.
    pub fn next_transaction(&mut self, chain: &mut Chain) -> VerifiedTransaction {
        let subjects = self.borrowers.len();
        let roll = self.rng.below(100);
        if roll >= 80
            && let Some(tx) = self.next_lending(chain, roll - 80)
        {
            return tx;
        }
        let subject = self.rng.below(subjects);
        let lender = [BANK_A, BANK_B, LENDER_C][self.rng.below(3)];
        if roll < 15 || self.records.is_empty() && roll < 85 {
            // A consent, then (below) inquiries under it.
            if chain
                .subject(&self.borrowers[subject])
                .active_consents
                .len()
                < 8
            {
                let payload =
                    chain.consent(&self.borrowers[subject], lender, Purpose::AccountReview);
                let mut borrower = self.borrowers[subject].clone();
                let tx = chain.borrower_tx(&mut borrower, payload);
                self.borrowers[subject] = borrower;
                self.consents
                    .push((ConsentId(self.next_consent), subject, lender));
                self.next_consent += 1;
                return tx;
            }
        }
        if roll < 30 && !self.consents.is_empty() {
            let (consent, _, lender) = self.consents[self.rng.below(self.consents.len())];
            return chain.member_tx(
                lender,
                Payload::RecordInquiry(credence_types::transaction::RecordInquiry { consent }),
            );
        }
        if roll < 33 && !self.records.is_empty() {
            let (record, owner) = self.records[self.rng.below(self.records.len())];
            let mut borrower = self.borrowers[owner].clone();
            let tx = chain.borrower_tx(
                &mut borrower,
                Payload::OpenDispute(credence_types::transaction::OpenDispute {
                    record,
                    reason: credence_types::transaction::DisputeReason::InaccurateStatus,
                }),
            );
            self.borrowers[owner] = borrower;
            self.open_disputes
                .push((credence_types::DisputeId(self.next_dispute), owner));
            self.next_dispute += 1;
            return tx;
        }
        if roll < 35 && !self.open_disputes.is_empty() {
            let (dispute, _) = self
                .open_disputes
                .swap_remove(self.rng.below(self.open_disputes.len()));
            let furnisher = [BANK_A, BANK_B][self.rng.below(2)];
            return chain.member_tx(
                furnisher,
                Payload::AnswerDispute(credence_types::transaction::AnswerDispute {
                    dispute,
                    answer: credence_types::transaction::DisputeAnswer::Verified,
                }),
            );
        }
        // Furnishing: monthly tradeline updates, a tenth of them adverse.
        let furnisher = [BANK_A, BANK_B][self.rng.below(2)];
        let status = if self.rng.chance(10) {
            AccountStatus::PastDue30
        } else {
            AccountStatus::Current
        };
        let account = format!("acct-{subject}-{furnisher}");
        let furnishing = chain.furnishing(&self.borrowers[subject], &account, status, None);
        self.records.push((RecordId(self.next_record), subject));
        self.next_record += 1;
        chain.member_tx(furnisher, Payload::FurnishRecord(furnishing))
    }

    /// `count` transactions of the mix, as one block applied to `chain`.
    pub fn block(&mut self, chain: &mut Chain, count: usize, advance_ms: u64) -> RecordedBlock {
        let txs: Vec<_> = (0..count).map(|_| self.next_transaction(chain)).collect();
        record(chain, advance_ms, txs)
    }
}

/// Applies a block to `chain`, recording it.
pub fn record(
    chain: &mut Chain,
    advance_ms: u64,
    transactions: Vec<VerifiedTransaction>,
) -> RecordedBlock {
    let outcome = chain.block(advance_ms, &transactions);
    RecordedBlock {
        context: BlockContext {
            height: chain.height,
            time: chain.time,
            proposer: chain.proposer.public_key(),
        },
        transactions,
        outcome,
    }
}
