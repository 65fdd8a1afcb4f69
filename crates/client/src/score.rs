//! The Credence score: a deterministic integer model over a subject's credit file, from 300
//! to 850, with the reasons that cost the most points. The model and its weights are
//! documented in `docs/score.md`; this module is that document in code, and its tests pin
//! the worked examples there.
//!
//! Five factors, each scored in per mille (0–1,000) and weighted as the common public models
//! weigh them: payment history 35 %, amounts owed 30 %, length of history 15 %, new credit
//! 10 %, credit mix 10 %. The score is `300 + 550 × Σ(weight × factor) / 100,000`, rounded
//! down. A reason is a factor's shortfall (`weight × (1,000 − factor)`); the top four
//! shortfalls, largest first (ties by code), are the reasons. All arithmetic is on integers.

use credence_types::{
    Date,
    metro2::{AccountStatus, PaymentMonth, PortfolioType, StatusClass},
    money::Amount,
};
use serde::Serialize;
use std::fmt;

/// The lowest score.
pub const SCORE_MIN: u16 = 300;
/// The highest score.
pub const SCORE_MAX: u16 = 850;
/// How many reasons a score gives at most.
pub const REASONS_MAX: usize = 4;

/// Factor weights, in percent; they sum to 100.
const WEIGHT_PAYMENT: u32 = 35;
const WEIGHT_OWED: u32 = 30;
const WEIGHT_LENGTH: u32 = 15;
const WEIGHT_NEW: u32 = 10;
const WEIGHT_MIX: u32 = 10;
/// A factor at its best.
const FULL: u32 = 1_000;

/// One account on the file, as its latest report states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoredAccount {
    /// Revolving, installment, mortgage, line of credit or open.
    pub portfolio: PortfolioType,
    /// Its latest Metro 2 status.
    pub status: AccountStatus,
    /// When it was opened.
    pub opened: Date,
    /// Credit limit (revolving and lines of credit).
    pub credit_limit: Amount,
    /// Current balance.
    pub balance: Amount,
    /// Amount past due.
    pub past_due: Amount,
    /// Payment history, newest month first.
    pub history: Vec<PaymentMonth>,
}

/// What the model reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreInput {
    /// The date the score is for.
    pub as_of: Date,
    /// The subject's accounts.
    pub accounts: Vec<ScoredAccount>,
    /// Dates of hard inquiries (credit sought).
    pub hard_inquiries: Vec<Date>,
}

/// Why a score is not higher. The code is stable; the text is for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A charge-off, repossession, collection or similar on an account.
    SeriousDelinquency,
    /// An account is past due now.
    PastDueNow,
    /// Late payments in the payment history.
    LatePaymentHistory,
    /// Revolving balances are high against their limits.
    HighUtilization,
    /// No revolving account with a limit to show how credit is used.
    NoRevolvingHistory,
    /// The accounts are young.
    ShortHistory,
    /// Many hard inquiries in the last year.
    ManyInquiries,
    /// Many accounts opened in the last year.
    ManyNewAccounts,
    /// Few kinds of credit.
    NarrowMix,
}

impl Reason {
    /// Every reason, in code order.
    pub const ALL: [Reason; 9] = [
        Self::SeriousDelinquency,
        Self::PastDueNow,
        Self::LatePaymentHistory,
        Self::HighUtilization,
        Self::NoRevolvingHistory,
        Self::ShortHistory,
        Self::ManyInquiries,
        Self::ManyNewAccounts,
        Self::NarrowMix,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::SeriousDelinquency => "R01",
            Self::PastDueNow => "R02",
            Self::LatePaymentHistory => "R03",
            Self::HighUtilization => "R10",
            Self::NoRevolvingHistory => "R11",
            Self::ShortHistory => "R20",
            Self::ManyInquiries => "R30",
            Self::ManyNewAccounts => "R31",
            Self::NarrowMix => "R40",
        }
    }

    /// The explanation for people.
    pub fn text(self) -> &'static str {
        match self {
            Self::SeriousDelinquency => "serious delinquency or derogatory status on an account",
            Self::PastDueNow => "an account is past due now",
            Self::LatePaymentHistory => "late payments in the payment history",
            Self::HighUtilization => "balances are high relative to credit limits",
            Self::NoRevolvingHistory => "no revolving account with a credit limit",
            Self::ShortHistory => "length of time accounts have been established",
            Self::ManyInquiries => "too many inquiries in the last 12 months",
            Self::ManyNewAccounts => "too many accounts opened in the last 12 months",
            Self::NarrowMix => "lack of a mix of account types",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.text())
    }
}

/// A factor's result: its per-mille score and, when short of full, the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Factor {
    /// The factor's name.
    pub name: &'static str,
    /// Its weight, in percent.
    pub weight: u32,
    /// Its score, 0–1,000.
    pub per_mille: u32,
    /// What cost it points, if anything did.
    pub reason: Option<Reason>,
}

impl Factor {
    fn shortfall(&self) -> u32 {
        self.weight * (FULL - self.per_mille)
    }
}

/// A score with its reasons and the factors behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Score {
    /// 300–850.
    pub value: u16,
    /// Up to four reasons, the costliest first.
    pub reasons: Vec<Reason>,
    /// The five factors.
    pub factors: Vec<Factor>,
}

/// Why a file cannot be scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Unscorable {
    /// No account on the file.
    #[error("no account on file: insufficient credit history to score")]
    NoAccounts,
}

/// Scores a credit file.
pub fn score(input: &ScoreInput) -> Result<Score, Unscorable> {
    let accounts: Vec<&ScoredAccount> = input
        .accounts
        .iter()
        .filter(|a| a.status.class() != StatusClass::Deletion)
        .collect();
    if accounts.is_empty() {
        return Err(Unscorable::NoAccounts);
    }
    let factors = vec![
        payment_history(&accounts),
        amounts_owed(&accounts),
        length_of_history(&accounts, input.as_of),
        new_credit(&accounts, &input.hard_inquiries, input.as_of),
        credit_mix(&accounts),
    ];
    let weighted: u32 = factors.iter().map(|f| f.weight * f.per_mille).sum();
    // 550 × weighted ≤ 550 × 100,000: no overflow in u32. Rounded down.
    let value = u32::from(SCORE_MIN) + u32::from(SCORE_MAX - SCORE_MIN) * weighted / (100 * FULL);
    let mut short: Vec<&Factor> = factors
        .iter()
        .filter(|f| f.reason.is_some() && f.shortfall() > 0)
        .collect();
    short.sort_by(|a, b| {
        b.shortfall()
            .cmp(&a.shortfall())
            .then(a.reason.cmp(&b.reason))
    });
    // Two factors may blame the same thing (a balance past due is both late payment and
    // amount owed): each reason is named once, where it cost the most.
    let mut reasons: Vec<Reason> = Vec::with_capacity(REASONS_MAX);
    for reason in short.into_iter().filter_map(|f| f.reason) {
        if reasons.len() < REASONS_MAX && !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    Ok(Score {
        value: u16::try_from(value).unwrap_or(SCORE_MAX),
        reasons,
        factors,
    })
}

/// Points lost for one month of the payment history.
fn month_penalty(month: PaymentMonth) -> u32 {
    match month {
        PaymentMonth::Current
        | PaymentMonth::NoHistory
        | PaymentMonth::NotReported
        | PaymentMonth::ZeroBalance => 0,
        PaymentMonth::Late30 => 60,
        PaymentMonth::Late60 => 120,
        PaymentMonth::Late90 => 200,
        PaymentMonth::Late120 | PaymentMonth::Late150 | PaymentMonth::Late180 => 300,
        PaymentMonth::Collection
        | PaymentMonth::Foreclosure
        | PaymentMonth::VoluntarySurrender
        | PaymentMonth::Repossession
        | PaymentMonth::ChargeOff => 400,
    }
}

/// Payment history (35 %): 1,000 less penalties for the current status of each account
/// (600 derogatory, 300 paid after a derogatory event, 100 per 30-day band past due) and for
/// each late month in its history (60 for 30 days … 400 for a collection or charge-off).
fn payment_history(accounts: &[&ScoredAccount]) -> Factor {
    let mut penalty: u32 = 0;
    let mut reason = None::<Reason>;
    let mut worse = |candidate: Reason| {
        reason = Some(reason.map_or(candidate, |r| r.min(candidate)));
    };
    for account in accounts {
        let status_penalty = match account.status.class() {
            StatusClass::Derogatory => {
                worse(Reason::SeriousDelinquency);
                600
            }
            StatusClass::PaidDerogatory => {
                worse(Reason::SeriousDelinquency);
                300
            }
            StatusClass::Delinquent => {
                worse(Reason::PastDueNow);
                100 * band(account.status)
            }
            StatusClass::Current | StatusClass::Closed | StatusClass::Deletion => 0,
        };
        let history: u32 = account.history.iter().map(|m| month_penalty(*m)).sum();
        if history > 0 {
            worse(Reason::LatePaymentHistory);
        }
        penalty = penalty
            .saturating_add(status_penalty)
            .saturating_add(history);
    }
    Factor {
        name: "payment_history",
        weight: WEIGHT_PAYMENT,
        per_mille: FULL.saturating_sub(penalty),
        reason,
    }
}

/// The 30-day band of a delinquent status: 1 for 71 (30 days) … 6 for 84 (180 days).
fn band(status: AccountStatus) -> u32 {
    match status {
        AccountStatus::PastDue30 => 1,
        AccountStatus::PastDue60 => 2,
        AccountStatus::PastDue90 => 3,
        AccountStatus::PastDue120 => 4,
        AccountStatus::PastDue150 => 5,
        AccountStatus::PastDue180 => 6,
        _ => 0,
    }
}

fn is_open(account: &ScoredAccount) -> bool {
    matches!(
        account.status.class(),
        StatusClass::Current | StatusClass::Delinquent
    )
}

/// Amounts owed (30 %): revolving utilisation — balances over limits of open revolving
/// accounts and lines of credit — in bands: up to 10 % scores 1,000, 30 % 800, 50 % 600,
/// 75 % 350, 100 % 150, above 0. With no such account the factor scores 500. Any amount past
/// due caps it at 300.
fn amounts_owed(accounts: &[&ScoredAccount]) -> Factor {
    let (mut balances, mut limits, mut past_due) = (0u128, 0u128, 0u128);
    for account in accounts {
        past_due += u128::from(account.past_due.0);
        let revolving = matches!(
            account.portfolio,
            PortfolioType::Revolving | PortfolioType::LineOfCredit
        );
        if revolving && is_open(account) && account.credit_limit.0 > 0 {
            balances += u128::from(account.balance.0);
            limits += u128::from(account.credit_limit.0);
        }
    }
    let (mut per_mille, mut reason) = if limits == 0 {
        (500, Some(Reason::NoRevolvingHistory))
    } else {
        // Utilisation in basis points, rounded up: a borrower at 10.01 % is above 10 %.
        let bps = (balances * 10_000).div_ceil(limits);
        let per_mille = match bps {
            0..=1_000 => 1_000,
            1_001..=3_000 => 800,
            3_001..=5_000 => 600,
            5_001..=7_500 => 350,
            7_501..=10_000 => 150,
            _ => 0,
        };
        (
            per_mille,
            (per_mille < FULL).then_some(Reason::HighUtilization),
        )
    };
    if past_due > 0 && per_mille > 300 {
        per_mille = 300;
        reason = Some(Reason::PastDueNow);
    }
    Factor {
        name: "amounts_owed",
        weight: WEIGHT_OWED,
        per_mille,
        reason,
    }
}

/// Whole months from `from` to `to`, rounded down (30-day months); zero if `from` is later.
fn months_between(from: Date, to: Date) -> u32 {
    to.0.saturating_sub(from.0) / 30
}

/// Length of history (15 %): 60 % from the oldest account's age (full at 20 years), 40 % from
/// the average age (full at 10 years), in months, rounded down.
fn length_of_history(accounts: &[&ScoredAccount], as_of: Date) -> Factor {
    let ages: Vec<u32> = accounts
        .iter()
        .map(|a| months_between(a.opened, as_of))
        .collect();
    let oldest = ages.iter().copied().max().unwrap_or(0);
    let count = u32::try_from(ages.len()).unwrap_or(u32::MAX).max(1);
    let average = ages.iter().map(|a| u64::from(*a)).sum::<u64>() / u64::from(count);
    let oldest_part = FULL.min(oldest * FULL / 240);
    let average_part =
        FULL.min(u32::try_from(average.min(120) * u64::from(FULL) / 120).unwrap_or(FULL));
    let per_mille = (oldest_part * 60 + average_part * 40) / 100;
    Factor {
        name: "length_of_history",
        weight: WEIGHT_LENGTH,
        per_mille,
        reason: (per_mille < FULL).then_some(Reason::ShortHistory),
    }
}

/// New credit (10 %): hard inquiries in the last 365 days cost 150 each after the first
/// (the first is free), accounts opened in the last 365 days 100 each after the first.
fn new_credit(accounts: &[&ScoredAccount], inquiries: &[Date], as_of: Date) -> Factor {
    let recent = |date: Date| date.0 <= as_of.0 && as_of.0 - date.0 < 365;
    let inquiries =
        u32::try_from(inquiries.iter().filter(|d| recent(**d)).count()).unwrap_or(u32::MAX);
    let opened =
        u32::try_from(accounts.iter().filter(|a| recent(a.opened)).count()).unwrap_or(u32::MAX);
    let inquiry_cost = inquiries.saturating_sub(1).saturating_mul(150);
    let opened_cost = opened.saturating_sub(1).saturating_mul(100);
    let per_mille = FULL.saturating_sub(inquiry_cost.saturating_add(opened_cost));
    let reason = if inquiry_cost == 0 && opened_cost == 0 {
        None
    } else if inquiry_cost >= opened_cost {
        Some(Reason::ManyInquiries)
    } else {
        Some(Reason::ManyNewAccounts)
    };
    Factor {
        name: "new_credit",
        weight: WEIGHT_NEW,
        per_mille,
        reason,
    }
}

/// Credit mix (10 %): how many of revolving (with lines of credit), installment and mortgage
/// appear on the file: one kind 500, two 800, three 1,000.
fn credit_mix(accounts: &[&ScoredAccount]) -> Factor {
    let has = |kinds: &[PortfolioType]| accounts.iter().any(|a| kinds.contains(&a.portfolio));
    let kinds = [
        has(&[PortfolioType::Revolving, PortfolioType::LineOfCredit]),
        has(&[PortfolioType::Installment]),
        has(&[PortfolioType::Mortgage]),
    ]
    .into_iter()
    .filter(|k| *k)
    .count();
    let per_mille = match kinds {
        0 => 300,
        1 => 500,
        2 => 800,
        _ => 1_000,
    };
    Factor {
        name: "credit_mix",
        weight: WEIGHT_MIX,
        per_mille,
        reason: (per_mille < FULL).then_some(Reason::NarrowMix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Date {
        Date::from_ymd(y, m, d).unwrap()
    }

    fn account(portfolio: PortfolioType, opened: Date) -> ScoredAccount {
        ScoredAccount {
            portfolio,
            status: AccountStatus::Current,
            opened,
            credit_limit: Amount::ZERO,
            balance: Amount::ZERO,
            past_due: Amount::ZERO,
            history: vec![PaymentMonth::Current; 24],
        }
    }

    /// The first worked example of docs/score.md: a long, clean, varied file.
    fn established() -> ScoreInput {
        let as_of = date(2026, 11, 1);
        let mut card = account(PortfolioType::Revolving, date(2004, 3, 1));
        card.credit_limit = Amount(1_000_000);
        card.balance = Amount(50_000);
        ScoreInput {
            as_of,
            accounts: vec![
                card,
                account(PortfolioType::Installment, date(2014, 6, 1)),
                account(PortfolioType::Mortgage, date(2010, 1, 1)),
            ],
            hard_inquiries: vec![date(2026, 2, 1)],
        }
    }

    #[test]
    fn a_long_clean_varied_file_scores_near_the_top() {
        let score = score(&established()).unwrap();
        // Payment 1,000, owed 1,000 (5 %), length: oldest 276 months → 1,000, average
        // (276 + 151 + 204) / 3 = 210 → 1,000; new credit 1,000 (one inquiry is free);
        // mix 1,000.
        assert_eq!(score.value, SCORE_MAX);
        assert!(score.reasons.is_empty());
    }

    #[test]
    fn a_charge_off_costs_the_most_and_leads_the_reasons() {
        let mut input = established();
        input.accounts[1].status = AccountStatus::ChargeOff;
        input.accounts[1].past_due = Amount(300_000);
        input.accounts[1].history[0] = PaymentMonth::ChargeOff;
        input.accounts[1].history[1] = PaymentMonth::Late180;
        let score = score(&input).unwrap();
        // Payment: 1,000 − 600 − 400 − 300 = 0; owed capped at 300 (past due).
        // 300 + 550 × (35×0 + 30×300 + 15×1000 + 10×1000 + 10×1000) / 100,000 = 300 + 242.
        assert_eq!(score.value, 542);
        assert_eq!(
            score.reasons,
            vec![Reason::SeriousDelinquency, Reason::PastDueNow]
        );
    }

    #[test]
    fn a_reason_two_factors_share_is_named_once() {
        let mut input = established();
        input.accounts[1].status = AccountStatus::PastDue30;
        input.accounts[1].past_due = Amount(48_000);
        input.accounts[1].history[0] = PaymentMonth::Late30;
        let score = score(&input).unwrap();
        let mut distinct = score.reasons.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), score.reasons.len(), "{:?}", score.reasons);
        assert_eq!(score.reasons.first(), Some(&Reason::PastDueNow));
    }

    #[test]
    fn a_thin_young_file_names_four_reasons() {
        let as_of = date(2026, 11, 1);
        let mut card = account(PortfolioType::Revolving, date(2026, 1, 1));
        card.credit_limit = Amount(100_000);
        card.balance = Amount(90_000);
        let input = ScoreInput {
            as_of,
            accounts: vec![card, account(PortfolioType::Revolving, date(2026, 5, 1))],
            hard_inquiries: vec![date(2026, 1, 1), date(2026, 4, 1), date(2026, 9, 1)],
        };
        let score = score(&input).unwrap();
        // Owed: 90 % → 150; length: oldest 10 months → 41, average (10 + 6) / 2 = 8 → 66,
        // (41×60 + 66×40) / 100 = 51; new: 2 inquiries × 150 + 1 account × 100 → 600;
        // mix: 1 kind → 500.
        // 300 + 550 × (35×1000 + 30×150 + 15×51 + 10×600 + 10×500) / 100,000 = 300 + 281.
        assert_eq!(score.value, 581);
        assert_eq!(
            score.reasons,
            vec![
                Reason::HighUtilization,
                Reason::ShortHistory,
                Reason::NarrowMix,
                Reason::ManyInquiries
            ]
        );
    }

    #[test]
    fn an_empty_file_is_not_scored() {
        let input = ScoreInput {
            as_of: date(2026, 11, 1),
            accounts: Vec::new(),
            hard_inquiries: Vec::new(),
        };
        assert_eq!(score(&input), Err(Unscorable::NoAccounts));
    }

    #[test]
    fn scores_stay_in_range_and_worse_payment_never_scores_higher() {
        let base = established();
        let mut previous = score(&base).unwrap().value;
        for status in [
            AccountStatus::PastDue30,
            AccountStatus::PastDue60,
            AccountStatus::PastDue90,
            AccountStatus::PastDue180,
            AccountStatus::ChargeOff,
        ] {
            let mut input = base.clone();
            input.accounts[0].status = status;
            let value = score(&input).unwrap().value;
            assert!((SCORE_MIN..=SCORE_MAX).contains(&value));
            assert!(value <= previous, "{status:?}: {value} > {previous}");
            previous = value;
        }
    }
}
