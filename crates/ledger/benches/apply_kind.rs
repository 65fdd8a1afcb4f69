//! `apply_block` per transaction kind: blocks of 500 transactions all of one kind, each
//! applied (in memory) to the state left by a realistic history — 2,000 subjects, a lending
//! market, eight mixed blocks of 1,000 — and by the kinds measured before it, in the order a
//! loan's life needs them (consents before inquiries; offers, acceptances, repayments).
//!
//! Every block is built to apply: its receipts are checked in setup and the count printed,
//! so what is measured is the rule, not a rejection.
#![allow(missing_docs, clippy::unwrap_used)]

use credence_ledger::{
    apply_block,
    testkit::{BANK_A, BANK_B, Borrower, Chain, LENDER_C, Workload, loan_terms, record},
};
use credence_types::{
    AssetId, ConsentId, CurrencyId, LoanId, Payload, SubjectId, TimestampMs,
    lending::{Asset, Collateral, Denomination, FundsMovement, LoanPayment, Owner, TransferAsset},
    metro2::AccountStatus,
    money::Amount,
    receipt::Outcome,
    state::{Meta, StateKey},
    time::MS_PER_DAY,
    transaction::{PayloadKind, Purpose, RecordInquiry},
};
use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use std::{collections::BTreeMap, hint::black_box, time::Duration};

const SUBJECTS: usize = 2_000;
const BLOCK: usize = 500;
/// The currency `Workload::open_market` issues.
const USD: CurrencyId = CurrencyId(0);
const LENDERS: [usize; 3] = [BANK_A, BANK_B, LENDER_C];

/// The history, and the workload's subjects by pseudonym.
struct Bench {
    chain: Chain,
    workload: Workload,
    subjects: BTreeMap<SubjectId, usize>,
}

impl Bench {
    fn new() -> Self {
        let mut chain = Chain::new();
        let mut workload = Workload::new(7, SUBJECTS);
        workload.register_all(&mut chain, 500);
        workload.open_market(&mut chain, 500);
        for _ in 0..8 {
            workload.block(&mut chain, 1_000, 60_000);
        }
        let subjects = workload
            .borrowers
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id(), i))
            .collect();
        Self {
            chain,
            workload,
            subjects,
        }
    }

    fn meta(&self) -> Meta {
        self.chain.get(&StateKey::meta()).unwrap()
    }

    /// Signs `payload` as workload subject `index`.
    fn subject_tx(
        &mut self,
        index: usize,
        payload: Payload,
    ) -> credence_crypto::VerifiedTransaction {
        self.chain
            .borrower_tx(&mut self.workload.borrowers[index], payload)
    }

    /// Unpledged assets owned by distinct subjects: (asset, owner index).
    fn free_assets(&self, count: usize) -> Vec<(AssetId, usize)> {
        let mut owners = std::collections::BTreeSet::new();
        let mut free = Vec::new();
        for id in 0..self.meta().counters.asset.0 {
            let asset: Asset = self.chain.get(&StateKey::asset(AssetId(id))).unwrap();
            if let (None, Owner::Subject(owner)) = (asset.lock, asset.owner)
                && let Some(&index) = self.subjects.get(&owner)
                && owners.insert(index)
            {
                free.push((asset.id, index));
            }
            if free.len() == count {
                break;
            }
        }
        assert_eq!(free.len(), count, "enough unpledged assets");
        free
    }

    /// Applies `transactions` as the next block, checks that every one applied, prints the
    /// context, and measures `apply_block` on the state the block was applied to.
    fn measure(
        &mut self,
        group: &mut BenchmarkGroup<'_, WallTime>,
        kind: PayloadKind,
        transactions: Vec<credence_crypto::VerifiedTransaction>,
    ) {
        assert!(
            transactions
                .iter()
                .all(|t| t.transaction().payload.kind() == kind)
        );
        let state = self.chain.state.clone();
        let block = record(&mut self.chain, 60_000, transactions);
        let mut outcomes = BTreeMap::<String, usize>::new();
        for receipt in &block.outcome.receipts {
            *outcomes
                .entry(format!("{:?}", receipt.outcome))
                .or_default() += 1;
        }
        let applied = block
            .outcome
            .receipts
            .iter()
            .filter(|r| r.outcome == Outcome::Applied)
            .count();
        println!(
            "{kind:?}: {} transactions, {applied} applied, {} state entries written, over {} \
             state entries",
            block.transactions.len(),
            block.outcome.changes.len(),
            state.len()
        );
        assert_eq!(applied, BLOCK, "every transaction applies: {outcomes:?}");
        group.bench_function(format!("{kind:?}"), |b| {
            b.iter(|| {
                apply_block(
                    black_box(&state),
                    &block.context,
                    black_box(&block.transactions),
                )
                .unwrap()
            })
        });
    }
}

fn per_kind(c: &mut Criterion) {
    let mut bench = Bench::new();
    let mut group = c.benchmark_group("apply_kind");
    group.throughput(Throughput::Elements(BLOCK as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));

    // New subjects join.
    let txs = (0..BLOCK)
        .map(|i| {
            let mut borrower = Borrower::new(50_000_000 + i as u64);
            let payload = bench.chain.register(&borrower);
            bench.chain.borrower_tx(&mut borrower, payload)
        })
        .collect();
    bench.measure(&mut group, PayloadKind::RegisterSubject, txs);

    // Monthly updates of existing tradelines, a tenth adverse.
    let txs = (0..BLOCK)
        .map(|i| {
            let subject = i * (SUBJECTS / BLOCK);
            let furnisher = [BANK_A, BANK_B][i % 2];
            let status = if i % 10 == 0 {
                AccountStatus::PastDue30
            } else {
                AccountStatus::Current
            };
            let furnishing = bench.chain.furnishing(
                &bench.workload.borrowers[subject],
                &format!("acct-{subject}-{furnisher}"),
                status,
                None,
            );
            bench
                .chain
                .member_tx(furnisher, Payload::FurnishRecord(furnishing))
        })
        .collect();
    bench.measure(&mut group, PayloadKind::FurnishRecord, txs);

    // Consents from subjects with room for one more, to the three lenders in turn.
    let first_consent = bench.meta().counters.consent.0;
    let mut granted = Vec::new();
    let mut txs = Vec::new();
    for subject in 0..SUBJECTS {
        if txs.len() == BLOCK {
            break;
        }
        let state = bench.chain.subject(&bench.workload.borrowers[subject]);
        if state.active_consents.len() >= 16 {
            continue;
        }
        let lender = LENDERS[txs.len() % LENDERS.len()];
        let payload = bench.chain.consent(
            &bench.workload.borrowers[subject],
            lender,
            Purpose::AccountReview,
        );
        granted.push((ConsentId(first_consent + txs.len() as u64), lender));
        txs.push(bench.subject_tx(subject, payload));
    }
    bench.measure(&mut group, PayloadKind::GrantConsent, txs);

    // Each lender reads the file under the consent it was just given.
    let txs = granted
        .iter()
        .map(|&(consent, lender)| {
            bench
                .chain
                .member_tx(lender, Payload::RecordInquiry(RecordInquiry { consent }))
        })
        .collect();
    bench.measure(&mut group, PayloadKind::RecordInquiry, txs);

    // Offers against unpledged vehicles, one per subject.
    let first_loan = bench.meta().counters.loan.0;
    let today = bench.chain.time.date();
    let expires = TimestampMs(bench.chain.time.0 + 7 * MS_PER_DAY);
    let mut offered = Vec::new();
    let mut txs = Vec::new();
    for (asset, owner) in bench.free_assets(BLOCK) {
        let lender = LENDERS[txs.len() % LENDERS.len()];
        let terms = loan_terms(
            Owner::Subject(bench.workload.borrowers[owner].id()),
            1_000_000,
            Denomination::OnLedger(USD),
            vec![Collateral::Asset(asset)],
            today,
            expires,
        );
        offered.push((LoanId(first_loan + txs.len() as u64), owner));
        txs.push(bench.chain.member_tx(lender, Payload::OfferLoan(terms)));
    }
    bench.measure(&mut group, PayloadKind::OfferLoan, txs);

    // The borrowers accept: collateral locked, principal disbursed.
    let txs = offered
        .iter()
        .map(|&(loan, owner)| bench.subject_tx(owner, Payload::AcceptLoan(loan)))
        .collect();
    bench.measure(&mut group, PayloadKind::AcceptLoan, txs);

    // And pay something towards them.
    let txs = offered
        .iter()
        .map(|&(loan, owner)| {
            bench.subject_tx(
                owner,
                Payload::RepayLoan(LoanPayment {
                    loan,
                    amount: Amount(10_000),
                }),
            )
        })
        .collect();
    bench.measure(&mut group, PayloadKind::RepayLoan, txs);

    // Owners sell unpledged vehicles to other subjects.
    let txs = bench
        .free_assets(BLOCK)
        .into_iter()
        .map(|(asset, owner)| {
            let buyer = bench.workload.borrowers[(owner + 1) % SUBJECTS].id();
            bench.subject_tx(
                owner,
                Payload::TransferAsset(TransferAsset {
                    asset,
                    to: Owner::Subject(buyer),
                }),
            )
        })
        .collect();
    bench.measure(&mut group, PayloadKind::TransferAsset, txs);

    // Subjects pay one another.
    let txs = (0..BLOCK)
        .map(|i| {
            let payer = i * (SUBJECTS / BLOCK) + 1;
            let payee = bench.workload.borrowers[(payer + 7) % SUBJECTS].id();
            bench.subject_tx(
                payer,
                Payload::TransferFunds(FundsMovement {
                    currency: USD,
                    account: Owner::Subject(payee),
                    amount: Amount(1_000),
                }),
            )
        })
        .collect();
    bench.measure(&mut group, PayloadKind::TransferFunds, txs);

    group.finish();
}

criterion_group!(benches, per_kind);
criterion_main!(benches);
