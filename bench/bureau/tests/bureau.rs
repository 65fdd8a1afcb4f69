//! The bureau against real PostgreSQL servers: it decides what the ledger decides (each
//! transaction is applied to the in-memory ledger of `credence_ledger::testkit` too, and the
//! outcomes compared), it never pledges an asset twice under concurrent acceptances, it
//! replicates to synchronous standbys, and `drive` measures sensible numbers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use credence_bureau::Bureau;
use credence_crypto::VerifiedTransaction;
use credence_ledger::testkit::{BANK_A, BANK_B, Borrower, Chain, LENDER_C, REGISTRAR, loan_terms};
use credence_types::{
    AssetClassId, AssetId, ConsentId, CurrencyId, Digest, InstitutionId, LoanId, Payload,
    SignedTransaction, TimestampMs,
    codec::Name,
    lending::{
        Collateral, DefineAssetClass, Denomination, FundsMovement, IssueCurrency, LoanPayment,
        Owner, RegisterAsset, TransferAsset,
    },
    metro2::AccountStatus,
    money::Amount,
    receipt::Outcome,
    time::MS_PER_DAY,
    transaction::{Purpose, RecordInquiry},
};
use std::{
    net::TcpListener,
    sync::atomic::{AtomicU16, Ordering},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

const USD: CurrencyId = CurrencyId(0);

/// A base port with `count` free ports from it; tests in one binary run in parallel, so
/// each takes its own range.
fn free_ports(count: u16) -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    // Below Linux's ephemeral range (32768 up), where client sockets would collide.
    let offset = u16::try_from(std::process::id() % 200).unwrap() * 40;
    loop {
        let base = 20_000 + offset + NEXT.fetch_add(count + 1, Ordering::Relaxed) % 4_000;
        if (base..=base + count).all(|port| TcpListener::bind(("127.0.0.1", port)).is_ok()) {
            return base;
        }
    }
}

/// Noon (UTC) today: a clock no test step moves past midnight.
fn noon_today() -> TimestampMs {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let now = TimestampMs(u64::try_from(now.as_millis()).unwrap());
    TimestampMs(now.date().start().0 + MS_PER_DAY / 2)
}

/// A bureau and the in-memory ledger, fed the same transactions.
struct Both {
    chain: Chain,
    bureau: Bureau,
    borrowers: Vec<Borrower>,
    _dir: tempfile::TempDir,
}

impl Both {
    /// A bureau with `standbys`, the testkit consortium, and `subjects` registered subjects
    /// each owning one vehicle (asset `i`) and 5,000,000 usd; the lenders hold 10^12 usd.
    fn new(standbys: usize, subjects: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_ports(u16::try_from(standbys).unwrap());
        let mut bureau = Bureau::start(dir.path(), port, standbys).unwrap();
        let mut chain = Chain::new();
        chain.time = noon_today();
        bureau.genesis(&chain.genesis).unwrap();
        let mut both = Self {
            chain,
            bureau,
            borrowers: (0..subjects as u64).map(Borrower::new).collect(),
            _dir: dir,
        };
        for i in 0..subjects {
            let payload = both.chain.register(&both.borrowers[i]);
            let tx = both.borrower_tx(i, payload);
            assert_eq!(both.step(tx), Ok(None));
        }
        let class = both.member_tx(
            REGISTRAR,
            Payload::DefineAssetClass(DefineAssetClass {
                name: Name::new("vehicle").unwrap(),
                schema: Digest::of("schema", &[b"vin"]),
            }),
        );
        assert_eq!(both.step(class), Ok(Some(0)));
        let currency = both.member_tx(
            BANK_A,
            Payload::IssueCurrency(IssueCurrency {
                symbol: Name::new("usd").unwrap(),
            }),
        );
        assert_eq!(both.step(currency), Ok(Some(0)));
        for lender in [BANK_A, BANK_B, LENDER_C] {
            let mint = both.mint(
                Owner::Institution(InstitutionId(lender as u64)),
                1_000_000_000_000,
            );
            assert_eq!(both.step(mint), Ok(None));
        }
        for i in 0..subjects {
            let owner = Owner::Subject(both.borrowers[i].id());
            let asset = both.member_tx(
                REGISTRAR,
                Payload::RegisterAsset(RegisterAsset {
                    class: AssetClassId(0),
                    owner,
                    identity: Digest::of("vin", &[&(i as u64).to_be_bytes()]),
                    value: Amount(2_000_000),
                    denomination: Denomination::OnLedger(USD),
                }),
            );
            assert_eq!(both.step(asset), Ok(Some(i as u64)));
            let mint = both.mint(owner, 5_000_000);
            assert_eq!(both.step(mint), Ok(None));
        }
        both
    }

    fn member_tx(&mut self, member: usize, payload: Payload) -> VerifiedTransaction {
        self.chain.member_tx(member, payload)
    }

    fn borrower_tx(&mut self, borrower: usize, payload: Payload) -> VerifiedTransaction {
        let chain = self.chain.chain_id();
        self.borrowers[borrower].signer.sign(&chain, payload)
    }

    fn mint(&mut self, account: Owner, amount: u64) -> VerifiedTransaction {
        self.member_tx(
            BANK_A,
            Payload::MintFunds(FundsMovement {
                currency: USD,
                account,
                amount: Amount(amount),
            }),
        )
    }

    fn offer(&mut self, lender: usize, borrower: usize, asset: u64) -> VerifiedTransaction {
        let terms = loan_terms(
            Owner::Subject(self.borrowers[borrower].id()),
            1_000_000,
            Denomination::OnLedger(USD),
            vec![Collateral::Asset(AssetId(asset))],
            self.chain.time.date(),
            TimestampMs(self.chain.time.0 + 7 * MS_PER_DAY),
        );
        self.member_tx(lender, Payload::OfferLoan(terms))
    }

    /// Applies `tx` to the ledger (in a block of its own) and to the bureau (its clock at
    /// that block's time), asserts both decide alike, and returns the bureau's answer.
    fn step(&mut self, tx: VerifiedTransaction) -> Result<Option<u64>, String> {
        let ledger = self.chain.apply(tx.clone());
        self.bureau.set_clock(Some(self.chain.time));
        let bureau = self
            .bureau
            .apply(&[tx.into_signed()])
            .unwrap()
            .pop()
            .unwrap();
        match (ledger, &bureau) {
            (Outcome::Applied, Ok(_)) => {}
            (Outcome::Rejected(rejection), Err(code)) => assert_eq!(rejection.code(), code),
            (ledger, bureau) => panic!("the ledger says {ledger:?}, the bureau {bureau:?}"),
        }
        bureau
    }

    /// Applies `tx` to the bureau alone.
    fn bureau_only(&mut self, tx: SignedTransaction) -> Result<Option<u64>, String> {
        self.bureau.apply(&[tx]).unwrap().pop().unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        self.bureau
            .connect()
            .unwrap()
            .query_one(sql, &[])
            .unwrap()
            .get(0)
    }
}

#[test]
fn the_bureau_decides_what_the_ledger_decides() {
    let mut both = Both::new(0, 3);

    // A furnished record, then the same transaction again: a replay.
    let furnishing =
        both.chain
            .furnishing(&both.borrowers[0], "acct-0", AccountStatus::Current, None);
    let furnish = both.member_tx(BANK_A, Payload::FurnishRecord(furnishing));
    assert_eq!(both.step(furnish.clone()), Ok(Some(0)));
    assert_eq!(both.step(furnish), Err("nonce_not_next".into()));

    // A bad signature never reaches a rule (the ledger's admission refuses it too).
    let furnishing =
        both.chain
            .furnishing(&both.borrowers[1], "acct-1", AccountStatus::Current, None);
    let mut forged = both
        .member_tx(BANK_B, Payload::FurnishRecord(furnishing))
        .into_signed();
    forged.signature.0[0] ^= 1;
    assert_eq!(both.bureau_only(forged), Err("signature_invalid".into()));
    // The ledger never saw it, so its nonce is still the next one.
    both.chain.members[BANK_B].signer.nonce -= 1;

    // Only a furnisher furnishes.
    let furnishing =
        both.chain
            .furnishing(&both.borrowers[1], "acct-1", AccountStatus::Current, None);
    let not_a_furnisher = both.member_tx(LENDER_C, Payload::FurnishRecord(furnishing));
    assert_eq!(both.step(not_a_furnisher), Err("role_missing".into()));

    // Inquiries: without a consent, under another lender's, under one's own.
    let inquiry = |consent| Payload::RecordInquiry(RecordInquiry { consent });
    let without = both.member_tx(BANK_A, inquiry(ConsentId(0)));
    assert_eq!(both.step(without), Err("consent_unknown".into()));
    let payload = both
        .chain
        .consent(&both.borrowers[0], BANK_A, Purpose::CreditApplication);
    let grant = both.borrower_tx(0, payload);
    assert_eq!(both.step(grant), Ok(Some(0)));
    let foreign = both.member_tx(LENDER_C, inquiry(ConsentId(0)));
    assert_eq!(both.step(foreign), Err("consent_not_for_signer".into()));
    let own = both.member_tx(BANK_A, inquiry(ConsentId(0)));
    assert_eq!(both.step(own), Ok(Some(0)));

    // Two offers on one vehicle: the first acceptance pledges it, the second cannot.
    let first = both.offer(BANK_A, 0, 0);
    assert_eq!(both.step(first), Ok(Some(0)));
    let second = both.offer(BANK_B, 0, 0);
    assert_eq!(both.step(second), Ok(Some(1)));
    let accept = both.borrower_tx(0, Payload::AcceptLoan(LoanId(0)));
    assert_eq!(both.step(accept), Ok(None));
    let accept = both.borrower_tx(0, Payload::AcceptLoan(LoanId(1)));
    assert_eq!(both.step(accept), Err("collateral_already_pledged".into()));

    // A pledged vehicle does not move; repaid, it does.
    let to = Owner::Subject(both.borrowers[1].id());
    let transfer = Payload::TransferAsset(TransferAsset {
        asset: AssetId(0),
        to,
    });
    let sell = both.borrower_tx(0, transfer.clone());
    assert_eq!(both.step(sell), Err("asset_locked".into()));
    let stranger = both.borrower_tx(2, transfer.clone());
    assert_eq!(both.step(stranger), Err("not_asset_owner".into()));
    let too_much = both.borrower_tx(
        0,
        Payload::RepayLoan(LoanPayment {
            loan: LoanId(0),
            amount: Amount(1_000_001),
        }),
    );
    assert_eq!(both.step(too_much), Err("repayment_exceeds_debt".into()));
    let repay = both.borrower_tx(
        0,
        Payload::RepayLoan(LoanPayment {
            loan: LoanId(0),
            amount: Amount(1_000_000),
        }),
    );
    assert_eq!(both.step(repay), Ok(None));
    let sell = both.borrower_tx(0, transfer);
    assert_eq!(both.step(sell), Ok(None));

    // Funds: no more than the balance.
    let pay = |amount| {
        Payload::TransferFunds(FundsMovement {
            currency: USD,
            account: Owner::Subject(both.borrowers[1].id()),
            amount: Amount(amount),
        })
    };
    let (small, large) = (pay(1_000), pay(100_000_000));
    let small = both.borrower_tx(2, small);
    assert_eq!(both.step(small), Ok(None));
    let large = both.borrower_tx(2, large);
    assert_eq!(both.step(large), Err("insufficient_funds".into()));

    // The journal holds every transaction that reached a rule, rejected ones with their
    // rejection, and the same bytes the ledger signs.
    assert_eq!(
        both.count("SELECT count(*) FROM transactions WHERE outcome IS NOT NULL"),
        8
    );
    assert_eq!(
        both.count("SELECT count(*) FROM assets WHERE pledged_to IS NOT NULL"),
        0
    );
}

/// The issue's double-pledge case, many times over and concurrently: two offers on each
/// vehicle, both acceptances submitted at once over several connections.
#[test]
fn concurrent_acceptances_never_pledge_an_asset_twice() {
    const VEHICLES: usize = 12;
    let mut both = Both::new(0, VEHICLES);
    let mut acceptances = Vec::new();
    for vehicle in 0..VEHICLES {
        let first = both.offer(BANK_A, vehicle, vehicle as u64);
        let first = both.step(first).unwrap().unwrap();
        let second = both.offer(BANK_B, vehicle, vehicle as u64);
        let second = both.step(second).unwrap().unwrap();
        for loan in [first, second] {
            let accept = both.borrower_tx(vehicle, Payload::AcceptLoan(LoanId(loan)));
            acceptances.push(accept.into_signed());
        }
    }
    // A transfer of each vehicle races its acceptances too.
    for vehicle in 0..VEHICLES {
        let to = Owner::Subject(both.borrowers[(vehicle + 1) % VEHICLES].id());
        let sell = both.borrower_tx(
            vehicle,
            Payload::TransferAsset(TransferAsset {
                asset: AssetId(vehicle as u64),
                to,
            }),
        );
        acceptances.insert(vehicle * 3 + 1, sell.into_signed());
    }
    let measured = both.bureau.drive(&acceptances, 8, 0.0).unwrap();
    assert_eq!(measured.transactions, 3 * VEHICLES);

    // Per vehicle: one acceptance, or the transfer and then no acceptance.
    let active = both.count("SELECT count(*) FROM loans WHERE status = 'active'");
    let pledged = both.count("SELECT count(*) FROM assets WHERE pledged_to IS NOT NULL");
    let doubly = both.count(
        "SELECT count(*) FROM assets a JOIN loans l ON l.status = 'active' \
         AND a.id = ANY(l.collateral_assets) AND a.pledged_to IS DISTINCT FROM l.id",
    );
    assert_eq!(active, pledged);
    assert_eq!(
        doubly, 0,
        "an asset is pledged to one loan but another is active on it"
    );
    let rejected = |code: &str| measured.rejected.get(code).copied().unwrap_or_default();
    let sold = VEHICLES - usize::try_from(active).unwrap();
    assert_eq!(
        rejected("collateral_already_pledged"),
        usize::try_from(active).unwrap()
    );
    assert_eq!(rejected("asset_locked"), usize::try_from(active).unwrap());
    assert_eq!(rejected("collateral_not_borrowers"), 2 * sold);
    assert_eq!(measured.applied, VEHICLES);
}

#[test]
fn a_replicated_bureau_commits_on_every_standby_and_drive_measures_it() {
    const SUBJECTS: usize = 8;
    const RECORDS: usize = 200;
    let mut both = Both::new(2, SUBJECTS);
    assert_eq!(both.bureau.standbys(), 2);
    let mut client = both.bureau.connect().unwrap();
    let setting: String = client
        .query_one("SHOW synchronous_standby_names", &[])
        .unwrap()
        .get(0);
    assert_eq!(setting, "FIRST 2 (s1, s2)");
    let durability: Vec<String> = ["synchronous_commit", "fsync", "full_page_writes"]
        .iter()
        .map(|name| {
            client
                .query_one(&format!("SHOW {name}"), &[])
                .unwrap()
                .get(0)
        })
        .collect();
    assert_eq!(durability, ["on", "on", "on"]);

    // A furnishing load with a few consents and inquiries in it.
    let mut load = Vec::new();
    for i in 0..RECORDS {
        let subject = i % SUBJECTS;
        let furnisher = [BANK_A, BANK_B][i % 2];
        let furnishing = both.chain.furnishing(
            &both.borrowers[subject],
            &format!("acct-{subject}-{furnisher}"),
            AccountStatus::Current,
            None,
        );
        load.push(
            both.member_tx(furnisher, Payload::FurnishRecord(furnishing))
                .into_signed(),
        );
    }
    for subject in 0..SUBJECTS {
        let payload =
            both.chain
                .consent(&both.borrowers[subject], LENDER_C, Purpose::AccountReview);
        load.push(both.borrower_tx(subject, payload).into_signed());
    }
    let measured = both.bureau.drive(&load, 4, 0.1).unwrap();
    assert_eq!(measured.applied, RECORDS + SUBJECTS, "{measured:#?}");
    assert!(measured.rejected.is_empty(), "{measured:#?}");
    assert_eq!(measured.measured, load.len() - load.len() / 10);
    assert!(measured.elapsed_s > 0.0 && measured.throughput_tps > 0.0);
    assert!(measured.latency_ms_p50 > 0.0);
    assert!(measured.latency_ms_p50 <= measured.latency_ms_p99);
    assert!(both.bureau.bytes_on_disk().unwrap() > 16 << 20);

    // Inquiries under the consents, with their ids known now.
    let consents: Vec<(i64, i64)> = client
        .query("SELECT id, lender FROM consents ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(consents.len(), SUBJECTS);
    let inquiries: Vec<SignedTransaction> = consents
        .iter()
        .map(|(consent, _)| {
            let payload = Payload::RecordInquiry(RecordInquiry {
                consent: ConsentId(u64::try_from(*consent).unwrap()),
            });
            both.member_tx(LENDER_C, payload).into_signed()
        })
        .collect();
    let measured = both.bureau.drive(&inquiries, 2, 0.0).unwrap();
    assert_eq!(measured.applied, SUBJECTS, "{measured:#?}");

    // Every standby holds what the primary committed.
    let records = both.count("SELECT count(*) FROM records");
    assert_eq!(records, i64::try_from(RECORDS).unwrap());
    for standby in 1..=2 {
        let port = both.bureau.port() + standby;
        let mut replica = postgres::Client::connect(
            &format!("host=127.0.0.1 port={port} user=postgres dbname=postgres"),
            postgres::NoTls,
        )
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let seen: i64 = replica
                .query_one("SELECT count(*) FROM records", &[])
                .unwrap()
                .get(0);
            if seen == records {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "standby {standby} has {seen} records"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    both.bureau.stop().unwrap();
}
