//! The `mixed` workload: a lending day. Of every twenty transactions, twelve are furnishing
//! (60%), one a new consent and two inquiries under consents (15%), two loan repayments
//! (10%), two asset transfers (10%), and one a loan offer or an acceptance (5%).
//!
//! The population is split: the first quarter hold running loans (they repay), the second
//! quarter hold offers made in setup (they accept), the second half trade their vehicles
//! among themselves. Every id the load names (consents, loans, assets) was created in setup
//! and read back from the target, so the load signs before the clock starts and still
//! applies on the devnet and the bureau alike.

use super::world::{self, Target, World, accounts, digest_of, now_ms, register, tradeline};
use anyhow::Context as _;
use credence_types::{
    AssetClassId, AssetId, ConsentId, CurrencyId, LoanId, Payload, SignedTransaction, SubjectId,
    TimestampMs,
    codec::{BoundedVec, Name},
    lending::{
        Collateral, DayCount, DefineAssetClass, Denomination, FundsMovement, IssueCurrency,
        LoanPayment, LoanTerms, Owner, RegisterAsset, Remedy, ScheduleKind, TransferAsset,
    },
    money::{Amount, BasisPoints},
    time::Date,
    transaction::{InquiryKind, Purpose, RecordInquiry},
};

/// Principal of every loan, minor units.
const PRINCIPAL: u64 = 1_000_000;
/// What each vehicle is worth, minor units.
const VEHICLE: u64 = 2_000_000;
/// What each repayment pays, minor units.
const REPAYMENT: u64 = 10_000;

/// Sets the lending market up on `target` (untimed), then signs `count` transactions of the
/// workload for it.
pub fn prepare(
    target: &mut dyn Target,
    devnet: &World,
    count: usize,
) -> anyhow::Result<Vec<SignedTransaction>> {
    let chain = devnet.chain();
    let population = devnet.options.subjects.max(8);
    eprintln!("  setting up a lending market for {population} subjects…");
    let mut subjects = register(target, devnet, population)?;
    let quarter = population / 4;
    let (repaying, accepting) = (0..quarter, quarter..2 * quarter);
    let trading = 2 * quarter..population;

    let mut banks = accounts(target, &devnet.banks, chain)?;
    let lending = 1 % banks.len();
    let lender = &devnet.banks[lending];
    let mut registry = accounts(target, std::slice::from_ref(&devnet.registry), chain)?
        .pop()
        .context("the registry")?;

    // The vehicle class and the lender's currency.
    let created = target.apply(&[
        registry.sign(Payload::DefineAssetClass(DefineAssetClass {
            name: Name::new("vehicle").map_err(anyhow::Error::msg)?,
            schema: digest_of("schema", 0),
        })),
        banks[lending].sign(Payload::IssueCurrency(IssueCurrency {
            symbol: Name::new("usd").map_err(anyhow::Error::msg)?,
        })),
    ])?;
    let class = AssetClassId(created[0].context("no asset class created")?);
    let usd = CurrencyId(created[1].context("no currency created")?);

    // A vehicle for everyone; funds for the lender and for those who repay.
    let mut phase = Vec::with_capacity(population + quarter + 1);
    for (i, subject) in subjects.iter().enumerate() {
        phase.push(registry.sign(Payload::RegisterAsset(RegisterAsset {
            class,
            owner: Owner::Subject(subject.id),
            identity: digest_of("vin", i),
            value: Amount(VEHICLE),
            denomination: Denomination::OnLedger(usd),
        })));
    }
    phase.push(banks[lending].sign(Payload::MintFunds(FundsMovement {
        currency: usd,
        account: Owner::Institution(lender.id),
        amount: Amount(1_000_000_000_000),
    })));
    for subject in &subjects[repaying.clone()] {
        phase.push(banks[lending].sign(Payload::MintFunds(FundsMovement {
            currency: usd,
            account: Owner::Subject(subject.id),
            amount: Amount(REPAYMENT * 10_000),
        })));
    }
    let assets: Vec<AssetId> = target.apply(&phase)?[..population]
        .iter()
        .map(|id| id.map(AssetId).context("no asset created"))
        .collect::<anyhow::Result<_>>()?;

    // Everyone consents to the lender; the first half get offers.
    let today = now_ms().date();
    let expires = world::in_thirty_days();
    let mut phase = Vec::with_capacity(population + 2 * quarter);
    for subject in &mut subjects {
        phase.push(subject.consent(
            lender,
            Purpose::CreditApplication,
            InquiryKind::Hard,
            expires,
        )?);
    }
    for i in 0..2 * quarter {
        phase.push(banks[lending].sign(offer(subjects[i].id, assets[i], usd, today, expires)?));
    }
    let created = target.apply(&phase)?;
    let consents: Vec<ConsentId> = created[..population]
        .iter()
        .map(|id| id.map(ConsentId).context("no consent created"))
        .collect::<anyhow::Result<_>>()?;
    let loans: Vec<LoanId> = created[population..]
        .iter()
        .map(|id| id.map(LoanId).context("no loan created"))
        .collect::<anyhow::Result<_>>()?;

    // The first quarter's loans start running.
    let acceptances: Vec<_> = repaying
        .clone()
        .map(|i| subjects[i].account.sign(Payload::AcceptLoan(loans[i])))
        .collect();
    target.apply(&acceptances)?;

    eprintln!("  signing {count} transactions of the mix…");
    let mut load = Vec::with_capacity(count);
    let mut owners: Vec<usize> = trading.clone().collect();
    let (mut next_acceptance, mut month) = (accepting.start, 0u64);
    let (mut repayer, mut trader, mut consenter, mut inquirer) = (0usize, 0usize, 0usize, 0usize);
    for i in 0..count {
        let bank = i % banks.len();
        let transaction = match i % 20 {
            0..12 => {
                // A monthly update, spread over the population (7 is coprime to most sizes).
                let index = (i * 7) % population;
                if index == 0 {
                    month += 1;
                }
                let account = format!("mixed-{index}-{bank}");
                world::furnish(
                    &mut banks[bank],
                    bank,
                    &subjects[index],
                    tradeline(&account, month, today)?,
                )?
            }
            12 => {
                let subject = &mut subjects[consenter % population];
                consenter += 1;
                let other = &devnet.banks[bank];
                subject.consent(other, Purpose::AccountReview, InquiryKind::Soft, expires)?
            }
            13 | 14 => {
                inquirer += 1;
                let consent = consents[(inquirer * 13) % population];
                banks[lending].sign(Payload::RecordInquiry(RecordInquiry { consent }))
            }
            15 | 16 => {
                let index = repaying.start + repayer % quarter.max(1);
                repayer += 1;
                subjects[index]
                    .account
                    .sign(Payload::RepayLoan(LoanPayment {
                        loan: loans[index],
                        amount: Amount(REPAYMENT),
                    }))
            }
            17 | 18 => {
                // Each vehicle of the second half passes to the next trader along; a vehicle
                // moves again only after every other has moved once.
                let slot = trader % owners.len();
                trader += 1;
                let (from, to) = (
                    owners[slot],
                    trading.start + (owners[slot] + 1 - trading.start) % owners.len(),
                );
                owners[slot] = to;
                let to_id = subjects[to].id;
                subjects[from]
                    .account
                    .sign(Payload::TransferAsset(TransferAsset {
                        asset: assets[trading.start + slot],
                        to: Owner::Subject(to_id),
                    }))
            }
            _ if (i / 20) % 2 == 0 && next_acceptance < accepting.end => {
                let index = next_acceptance;
                next_acceptance += 1;
                subjects[index]
                    .account
                    .sign(Payload::AcceptLoan(loans[index]))
            }
            _ => {
                let index = accepting.start + (i / 20) % quarter.max(1);
                banks[lending].sign(offer(
                    subjects[index].id,
                    assets[index],
                    usd,
                    today,
                    expires,
                )?)
            }
        };
        load.push(transaction);
    }
    Ok(load)
}

/// A year's amortising loan to `borrower` against `asset`, offered until `expires`.
fn offer(
    borrower: SubjectId,
    asset: AssetId,
    usd: CurrencyId,
    today: Date,
    expires: TimestampMs,
) -> anyhow::Result<Payload> {
    Ok(Payload::OfferLoan(LoanTerms {
        borrower: Owner::Subject(borrower),
        principal: Amount(PRINCIPAL),
        denomination: Denomination::OnLedger(usd),
        rate: BasisPoints(1_200),
        day_count: DayCount::Actual365Fixed,
        schedule: ScheduleKind::Amortizing,
        first_due: Date(today.0 + 30),
        period_months: 1,
        installments: 12,
        grace_days: 10,
        late_fee: Amount(2_500),
        collateral: BoundedVec::new(vec![Collateral::Asset(asset)]).context("collateral")?,
        max_ltv: BasisPoints(8_000),
        cure_days: 120,
        remedy: Remedy::TransferToLender,
        offer_expires_at: expires,
    }))
}
