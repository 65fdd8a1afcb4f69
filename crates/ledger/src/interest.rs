//! Interest arithmetic: integers only, every division rounding down (in the borrower's
//! favour), intermediate products in 128 bits.

use credence_types::{
    lending::{DayCount, ScheduleKind},
    money::{Amount, BasisPoints},
    time::Date,
};

/// Basis points in one.
const BPS: u128 = 10_000;

/// Interest days between two dates under a day count (0 if `to` is not after `from`).
pub fn days(day_count: DayCount, from: Date, to: Date) -> u64 {
    if to <= from {
        return 0;
    }
    match day_count {
        DayCount::Actual365Fixed => u64::from(to.0 - from.0),
        DayCount::Thirty360 => {
            // 30/360 US (bond basis): a 31st counts as the 30th; an end on the 31st counts as
            // the 30th when the start was the 30th or 31st.
            let (y1, m1, d1) = from.ymd();
            let (y2, m2, d2) = to.ymd();
            let d1 = d1.min(30);
            let d2 = if d1 == 30 { d2.min(30) } else { d2 };
            let days = 360 * (i64::from(y2) - i64::from(y1))
                + 30 * (i64::from(m2) - i64::from(m1))
                + (i64::from(d2) - i64::from(d1));
            u64::try_from(days).unwrap_or(0)
        }
    }
}

/// Days in the day count's year.
fn year(day_count: DayCount) -> u128 {
    match day_count {
        DayCount::Actual365Fixed => 365,
        DayCount::Thirty360 => 360,
    }
}

/// Interest on `principal` at annual `rate` for the days between `from` and `to`:
/// `floor(principal × rate × days ÷ (10_000 × year))`. `None` on overflow.
pub fn accrue(
    principal: Amount,
    rate: BasisPoints,
    day_count: DayCount,
    from: Date,
    to: Date,
) -> Option<Amount> {
    let days = u128::from(days(day_count, from, to));
    let numerator = u128::from(principal.0)
        .checked_mul(u128::from(rate.0))?
        .checked_mul(days)?;
    u64::try_from(numerator / (BPS * year(day_count)))
        .ok()
        .map(Amount)
}

/// One period's nominal interest on `balance`: `floor(balance × rate × months ÷ 120_000)`.
fn period_interest(balance: u128, rate: BasisPoints, period_months: u8) -> Option<u128> {
    balance
        .checked_mul(u128::from(rate.0))?
        .checked_mul(u128::from(period_months))
        .map(|n| n / (BPS * 12))
}

/// Whether paying `installment` each period amortises `principal` within `periods` periods
/// at the nominal periodic rate (interest per period rounded down).
fn amortises(
    principal: u64,
    installment: u128,
    rate: BasisPoints,
    months: u8,
    periods: u16,
) -> Option<bool> {
    let mut balance = u128::from(principal);
    for _ in 0..periods {
        let interest = period_interest(balance, rate, months)?;
        balance = balance.checked_add(interest)?;
        if installment >= balance {
            return Some(true);
        }
        balance -= installment;
    }
    Some(false)
}

/// The equal installment of an amortising loan: the smallest whole number of minor units
/// that repays `principal` in `periods` payments at the nominal periodic rate
/// (`rate × period_months ÷ 12`), each period's interest rounded down. Found by bisection, so
/// the result is exact by that definition. `None` if it cannot be computed (overflow, or no
/// periods).
pub fn level_installment(
    principal: Amount,
    rate: BasisPoints,
    period_months: u8,
    periods: u16,
) -> Option<Amount> {
    if periods == 0 {
        return None;
    }
    // Paying everything at once always amortises; paying the principal spread without
    // interest never undershoots the answer.
    let mut low = u128::from(principal.0).div_ceil(u128::from(periods));
    let mut high = u128::from(principal.0).checked_add(
        period_interest(u128::from(principal.0), rate, period_months)?
            .checked_mul(u128::from(periods))?,
    )?;
    while low < high {
        let middle = low + (high - low) / 2;
        if amortises(principal.0, middle, rate, period_months, periods)? {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    u64::try_from(low).ok().map(Amount)
}

/// The due date of installment `index` (0-based): the first due date plus
/// `index × period_months` months, the day kept where it exists and otherwise the month's
/// last day.
pub fn due_date(first_due: Date, period_months: u8, index: u16) -> Option<Date> {
    let (year, month, day) = first_due.ymd();
    let months = i64::from(month) - 1 + i64::from(index) * i64::from(period_months);
    let year = i32::try_from(i64::from(year) + months.div_euclid(12)).ok()?;
    let month = u32::try_from(months.rem_euclid(12) + 1).ok()?;
    let last = (28..=31)
        .rev()
        .find(|d| Date::from_ymd(year, month, *d).is_some())?;
    Date::from_ymd(year, month, day.min(last))
}

/// What installment `index` asks for, given the loan's state when it falls due: the level
/// installment (amortising), the accrued interest (interest-only), and at the last
/// installment, or for a bullet loan, everything owed.
pub fn installment_due(
    schedule: ScheduleKind,
    index: u16,
    installments: u16,
    level: Amount,
    owed_interest: Amount,
    owed: Amount,
) -> Amount {
    let last = index.saturating_add(1) >= installments;
    let asked = match schedule {
        _ if last => owed,
        ScheduleKind::Bullet => owed,
        ScheduleKind::Amortizing => level,
        ScheduleKind::InterestOnlyBalloon => owed_interest,
    };
    asked.min(owed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Date {
        Date::from_ymd(y, m, d).unwrap()
    }

    #[test]
    fn day_counts() {
        assert_eq!(
            days(
                DayCount::Actual365Fixed,
                date(2026, 1, 31),
                date(2026, 3, 1)
            ),
            29
        );
        assert_eq!(
            days(DayCount::Thirty360, date(2026, 1, 31), date(2026, 3, 1)),
            31
        );
        assert_eq!(
            days(DayCount::Thirty360, date(2026, 1, 30), date(2026, 3, 31)),
            60
        );
        assert_eq!(
            days(DayCount::Thirty360, date(2026, 1, 15), date(2027, 1, 15)),
            360
        );
        assert_eq!(
            days(DayCount::Actual365Fixed, date(2026, 3, 1), date(2026, 1, 1)),
            0
        );
    }

    #[test]
    fn accrual_rounds_down() {
        // 1,000.00 at 12% for 30 days, actual/365: 9.8630… → 9.86.
        let interest = accrue(
            Amount(100_000),
            BasisPoints(1_200),
            DayCount::Actual365Fixed,
            date(2026, 1, 1),
            date(2026, 1, 31),
        );
        assert_eq!(interest, Some(Amount(986)));
    }

    #[test]
    fn level_installment_is_the_smallest_that_amortises() {
        // 10,000.00 over 12 months at 12%: the textbook payment is 888.49.
        let level = level_installment(Amount(1_000_000), BasisPoints(1_200), 1, 12).unwrap();
        assert_eq!(level, Amount(88_849));
        assert!(amortises(1_000_000, 88_849, BasisPoints(1_200), 1, 12).unwrap());
        assert!(!amortises(1_000_000, 88_848, BasisPoints(1_200), 1, 12).unwrap());
        // At 0% it is the principal split evenly, rounded up.
        assert_eq!(
            level_installment(Amount(1_000), BasisPoints(0), 1, 3),
            Some(Amount(334))
        );
    }

    #[test]
    fn due_dates_keep_the_day_or_take_the_month_end() {
        assert_eq!(due_date(date(2026, 1, 31), 1, 1), Some(date(2026, 2, 28)));
        assert_eq!(due_date(date(2026, 1, 31), 1, 2), Some(date(2026, 3, 31)));
        assert_eq!(due_date(date(2026, 11, 15), 3, 1), Some(date(2027, 2, 15)));
    }
}
