//! Time as the ledger sees it: block timestamps in milliseconds since the Unix epoch, and
//! calendar dates (UTC) for Metro 2 fields, deadlines and retention.
//!
//! The ledger never reads a clock; every instant comes from a block. Calendar arithmetic is
//! integer-only (Howard Hinnant's days-from-civil algorithm), so every node agrees on it.

use std::fmt;

/// Milliseconds in a day.
pub const MS_PER_DAY: u64 = 86_400_000;

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(
    Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct TimestampMs(pub u64);

impl TimestampMs {
    /// The calendar date (UTC) this instant falls on; rounds down to the day.
    pub fn date(self) -> Date {
        // Floor division: the instant belongs to the day that started before it.
        let days = self.0 / MS_PER_DAY;
        Date(u32::try_from(days).unwrap_or(u32::MAX))
    }

    /// This instant plus `days` whole days, saturating at the end of time.
    pub fn plus_days(self, days: u32) -> Self {
        Self(
            self.0
                .saturating_add(u64::from(days).saturating_mul(MS_PER_DAY)),
        )
    }
}

impl fmt::Debug for TimestampMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

impl fmt::Display for TimestampMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let within_day = self.0 % MS_PER_DAY;
        let (h, m, s, ms) = (
            within_day / 3_600_000,
            within_day / 60_000 % 60,
            within_day / 1000 % 60,
            within_day % 1000,
        );
        write!(f, "{}T{h:02}:{m:02}:{s:02}.{ms:03}Z", self.date())
    }
}

/// A calendar date (UTC): days since 1970-01-01.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub u32);

impl Date {
    /// The date for a year, month (1–12) and day (1–31), if it exists and is on or after
    /// 1970-01-01.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let days = days_from_civil(year, month, day);
        u32::try_from(days).ok().map(Self)
    }

    /// The year, month (1–12) and day of this date.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(i64::from(self.0))
    }

    /// The same calendar day `years` later; 29 February becomes 28 February in a
    /// non-leap year (the day is rounded down to the month's last).
    pub fn plus_years(self, years: u32) -> Self {
        let (year, month, day) = self.ymd();
        let year = year.saturating_add(i32::try_from(years).unwrap_or(i32::MAX));
        let day = day.min(days_in_month(year, month));
        Self::from_ymd(year, month, day).unwrap_or(Self(u32::MAX))
    }

    /// The instant this date begins (00:00 UTC).
    pub fn start(self) -> TimestampMs {
        TimestampMs(u64::from(self.0) * MS_PER_DAY)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Date {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let mut parts = text.splitn(3, '-');
        let mut next = |what| {
            parts
                .next()
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| format!("expected YYYY-MM-DD, bad {what} in {text:?}"))
        };
        let (y, m, d) = (next("year")?, next("month")?, next("day")?);
        let y = i32::try_from(y).map_err(|_| "year out of range".to_string())?;
        Self::from_ymd(y, m, d)
            .ok_or_else(|| format!("{text:?} is not a date on or after 1970-01-01"))
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

crate::codec_struct!(Date { 0 });
crate::codec_struct!(TimestampMs { 0 });

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `days` after 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        i32::try_from(year).unwrap_or(i32::MAX),
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        assert_eq!(Date::from_ymd(1970, 1, 1), Some(Date(0)));
        assert_eq!(Date::from_ymd(2000, 3, 1).unwrap().0, 11_017);
        assert_eq!(Date(11_017).to_string(), "2000-03-01");
        assert_eq!(Date::from_ymd(2023, 2, 29), None);
        assert_eq!(Date::from_ymd(1969, 12, 31), None);
        assert_eq!("2024-02-29".parse::<Date>().unwrap().ymd(), (2024, 2, 29));
    }

    #[test]
    fn leap_day_plus_years_rounds_down() {
        let leap = Date::from_ymd(2024, 2, 29).unwrap();
        assert_eq!(leap.plus_years(7), Date::from_ymd(2031, 2, 28).unwrap());
        assert_eq!(leap.plus_years(4), Date::from_ymd(2028, 2, 29).unwrap());
    }

    #[test]
    fn timestamps_floor_to_their_day() {
        let day = Date::from_ymd(2026, 11, 24).unwrap();
        assert_eq!(day.start().date(), day);
        assert_eq!(TimestampMs(day.start().0 + MS_PER_DAY - 1).date(), day);
        assert_eq!(day.start().to_string(), "2026-11-24T00:00:00.000Z");
    }

    proptest! {
        #[test]
        fn civil_round_trip(days in 0u32..3_000_000) {
            let (y, m, d) = Date(days).ymd();
            prop_assert_eq!(Date::from_ymd(y, m, d), Some(Date(days)));
        }
    }
}
