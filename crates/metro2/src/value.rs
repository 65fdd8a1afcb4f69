//! Numeric and date fields: typed values that remember a non-canonical spelling.
//!
//! Owns [`Num`] (amounts, counts, SSNs, telephone numbers, numeric codes), [`Date`],
//! [`DateTime`], [`DateField`] and [`Raw`].
//!
//! Invariants:
//! - Reading a field never fails: a field that is not the canonical spelling of a value (blank
//!   fill, a stray letter, a packed sign other than `F`) is kept as [`Num::Blank`] or
//!   [`Num::Raw`], so writing it back gives the same bytes. The validator reports it.
//! - `Value`/`Zero` variants are format-neutral: they are written in whichever format the file
//!   is written in. A `Raw` spelling is written verbatim in its own format and converted
//!   through its lenient reading (e.g. a packed field signed `C`) to the other format; a `Raw`
//!   field with no reading cannot be converted and the writer says so.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::digits::{self, Digits, Enc};
use crate::layout::Format;
use crate::text::{latin1_bytes, push_latin1};

/// Field bytes kept verbatim because they are not the canonical spelling of a value.
///
/// The JSON form is `{"raw": "<the bytes as Latin-1 text>"}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Raw {
    len: u8,
    bytes: [u8; Raw::CAPACITY],
}

impl Raw {
    /// The widest numeric or date field in any Metro 2 layout (a character time stamp).
    pub const CAPACITY: usize = 14;

    /// Keeps `bytes`, or `None` when they are wider than any numeric field.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        let len = u8::try_from(bytes.len())
            .ok()
            .filter(|&n| usize::from(n) <= Self::CAPACITY)?;
        let mut raw = Self {
            len,
            bytes: [0; Self::CAPACITY],
        };
        raw.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(raw)
    }

    /// The bytes as read.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl fmt::Debug for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        push_latin1(&mut s, self.as_bytes());
        write!(f, "Raw({s:?})")
    }
}

impl Serialize for Raw {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = String::new();
        push_latin1(&mut s, self.as_bytes());
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("raw", &s)?;
        map.end()
    }
}

/// Parses the `{"raw": "..."}` object once its key has been seen.
fn raw_from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Raw, A::Error> {
    let key: String = map
        .next_key()?
        .ok_or_else(|| de::Error::missing_field("raw"))?;
    if key != "raw" {
        return Err(de::Error::unknown_field(&key, &["raw"]));
    }
    let s: String = map.next_value()?;
    let bytes = latin1_bytes(&s).map_err(|c| de::Error::custom(format!("{c:?} is not Latin-1")))?;
    Raw::new(&bytes).ok_or_else(|| de::Error::custom("raw field wider than 14 bytes"))
}

/// Writes a verbatim spelling read in one format into a field of `out.len()` bytes in `enc`.
///
/// Same width: the bytes as they are. Other width: the field came from the other format, so it
/// is re-spelled from its lenient reading. `None` when there is no reading to re-spell.
fn write_raw(raw: &Raw, digits: usize, enc: Enc, out: &mut [u8]) -> Option<()> {
    if raw.as_bytes().len() == out.len() {
        out.copy_from_slice(raw.as_bytes());
        return Some(());
    }
    let other = match enc {
        Enc::Char => Enc::Packed,
        Enc::Packed => Enc::Char,
    };
    let v = digits::interpret(raw.as_bytes(), digits, other)?;
    digits::encode(v, enc, out);
    Some(())
}

/// A numeric field of `D` digits: zero-filled digits as characters, packed decimal when packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Num<const D: usize> {
    /// A value, spelled canonically.
    Value(u64),
    /// Blank-filled: invalid for a numeric field, kept so it is written back as read.
    Blank,
    /// Any other spelling, kept verbatim.
    Raw(Raw),
}

/// A whole-dollar amount (9 digits).
pub type Amount = Num<9>;
/// A count in the trailer (9 digits).
pub type Count = Num<9>;
/// A Social Security Number (9 digits; zero- or 9-filled when not reported).
pub type Ssn = Num<9>;
/// A telephone number (10 digits: area code, exchange, number).
pub type Telephone = Num<10>;

impl<const D: usize> Num<D> {
    /// The largest value the field can hold.
    pub const MAX: u64 = digits::pow10(D) - 1;

    /// The value a reader would take from this field, canonical or not (a packed field signed
    /// `C` reads as its value); `None` for blanks and anything unreadable. `enc` is the format
    /// the field was read in, which decides how a verbatim spelling is read.
    pub(crate) fn reading(&self, enc: Enc) -> Option<u64> {
        match self {
            Self::Value(v) => Some(*v),
            Self::Blank => None,
            Self::Raw(raw) => digits::interpret(raw.as_bytes(), D, enc),
        }
    }

    /// The value when the field holds one in canonical spelling.
    pub fn value(&self) -> Option<u64> {
        match self {
            Self::Value(v) => Some(*v),
            Self::Blank | Self::Raw(_) => None,
        }
    }

    /// The value a reader takes from this field, canonical or not: a packed field signed `C`
    /// reads as its value. `format` is the format the field was read in (appended segments
    /// and the header are always [`Format::Character`]). `None` for blank fill and for
    /// anything that is not a number (the validator reports those as `non_numeric`).
    pub fn value_in(&self, format: Format) -> Option<u64> {
        self.reading(format.field_enc())
    }

    pub(crate) fn decode(bytes: &[u8], enc: Enc) -> Self {
        match digits::decode(bytes, D, enc) {
            Digits::Canonical(v) => Self::Value(v),
            Digits::Blank => Self::Blank,
            Digits::Other => Raw::new(bytes).map_or(Self::Blank, Self::Raw),
        }
    }

    /// Writes the field into `out` (exactly its width in `enc`).
    pub(crate) fn encode(&self, enc: Enc, out: &mut [u8]) -> Result<(), EncodeProblem> {
        match self {
            Self::Value(v) if *v <= Self::MAX => digits::encode(*v, enc, out),
            Self::Value(_) => return Err(EncodeProblem::ValueTooWide),
            Self::Blank => out.fill(b' '),
            Self::Raw(raw) => write_raw(raw, D, enc, out).ok_or(EncodeProblem::Unconvertible)?,
        }
        Ok(())
    }
}

impl<const D: usize> Default for Num<D> {
    /// Zero: Metro 2's spelling of "not reported" for numeric data.
    fn default() -> Self {
        Self::Value(0)
    }
}

impl<const D: usize> From<u64> for Num<D> {
    fn from(v: u64) -> Self {
        Self::Value(v)
    }
}

/// Why a field value cannot be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EncodeProblem {
    /// The value has more digits than the field.
    ValueTooWide,
    /// A verbatim spelling from the other format has no reading to re-spell.
    Unconvertible,
    /// Text is wider than the field.
    TextTooWide,
}

impl<const D: usize> Serialize for Num<D> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(v) => serializer.serialize_u64(*v),
            Self::Blank => serializer.serialize_str("blank"),
            Self::Raw(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de, const D: usize> Deserialize<'de> for Num<D> {
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        struct NumVisitor<const D: usize>;
        impl<'de, const D: usize> Visitor<'de> for NumVisitor<D> {
            type Value = Num<D>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "a number of at most {D} digits, \"blank\", or {{\"raw\": \"...\"}}"
                )
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                if v > Num::<D>::MAX {
                    return Err(E::custom(format!("{v} has more than {D} digits")));
                }
                Ok(Num::Value(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                let v = u64::try_from(v)
                    .map_err(|_| E::custom("Metro 2 numbers are never negative"))?;
                self.visit_u64(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v {
                    "blank" => Ok(Num::Blank),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                raw_from_map(map).map(Num::Raw)
            }
        }
        deserializer.deserialize_any(NumVisitor::<D>)
    }
}

/// A calendar date, valid by construction (Gregorian, years 1 to 9999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, or `None` when it is not on the calendar.
    pub const fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if year == 0 || year > 9999 || day == 0 || day > days {
            return None;
        }
        Some(Self { year, month, day })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }
    /// The month, 1 to 12.
    pub fn month(&self) -> u8 {
        self.month
    }
    /// The day of the month.
    pub fn day(&self) -> u8 {
        self.day
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A date and a time of day, to the second (the base segment's time stamp).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
}

impl DateTime {
    /// The moment, or `None` when the time of day is out of range.
    pub fn new(date: Date, hour: u8, minute: u8, second: u8) -> Option<Self> {
        (hour < 24 && minute < 60 && second < 60).then_some(Self {
            date,
            hour,
            minute,
            second,
        })
    }
    /// The date.
    pub fn date(&self) -> Date {
        self.date
    }
    /// Hour, minute and second.
    pub fn time(&self) -> (u8, u8, u8) {
        (self.hour, self.minute, self.second)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}T{:02}:{:02}:{:02}",
            self.date, self.hour, self.minute, self.second
        )
    }
}

/// What can sit in a date field: a date (`MMDDYYYY`) or a moment (`MMDDYYYYHHMMSS`).
pub trait Calendar: Copy + fmt::Display + Sized {
    /// Digits in the character spelling.
    const DIGITS: usize;
    /// The value the digits spell (month first), or `None` when they are not on the calendar.
    fn from_digits(v: u64) -> Option<Self>;
    /// The digits as one number, month first.
    fn to_digits(&self) -> u64;
    /// Parses the JSON form written by `Display`.
    fn parse_iso(s: &str) -> Option<Self>;
}

fn part(v: u64, div: u64, modulo: u64) -> u64 {
    (v / div) % modulo
}

impl Calendar for Date {
    const DIGITS: usize = 8;
    fn from_digits(v: u64) -> Option<Self> {
        let month = u8::try_from(part(v, 1_000_000, 100)).ok()?;
        let day = u8::try_from(part(v, 10_000, 100)).ok()?;
        let year = u16::try_from(part(v, 1, 10_000)).ok()?;
        Self::new(year, month, day)
    }
    fn to_digits(&self) -> u64 {
        u64::from(self.month) * 1_000_000 + u64::from(self.day) * 10_000 + u64::from(self.year)
    }
    fn parse_iso(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        Self::new(
            s.get(0..4)?.parse().ok()?,
            s.get(5..7)?.parse().ok()?,
            s.get(8..10)?.parse().ok()?,
        )
    }
}

impl Calendar for DateTime {
    const DIGITS: usize = 14;
    fn from_digits(v: u64) -> Option<Self> {
        let date = Date::from_digits(v / 1_000_000)?;
        let hour = u8::try_from(part(v, 10_000, 100)).ok()?;
        let minute = u8::try_from(part(v, 100, 100)).ok()?;
        let second = u8::try_from(part(v, 1, 100)).ok()?;
        Self::new(date, hour, minute, second)
    }
    fn to_digits(&self) -> u64 {
        self.date.to_digits() * 1_000_000
            + u64::from(self.hour) * 10_000
            + u64::from(self.minute) * 100
            + u64::from(self.second)
    }
    fn parse_iso(s: &str) -> Option<Self> {
        let (date, time) = s.split_once('T')?;
        let t = time.as_bytes();
        if t.len() != 8 || t[2] != b':' || t[5] != b':' {
            return None;
        }
        let date = Date::parse_iso(date)?;
        Self::new(
            date,
            time.get(0..2)?.parse().ok()?,
            time.get(3..5)?.parse().ok()?,
            time.get(6..8)?.parse().ok()?,
        )
    }
}

/// A date field: `MMDDYYYY` (or `MMDDYYYYHHMMSS`) as characters, `0MMDDYYYYs` packed.
///
/// JSON form: `"2020-01-31"` (or `"2020-01-31T13:45:00"`), `null` for a zero-filled field,
/// `"blank"` for a blank-filled one, `{"raw": "..."}` for anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateField<T> {
    /// A date on the calendar, spelled canonically.
    Value(T),
    /// Zero-filled: Metro 2's spelling of "no date".
    Zero,
    /// Blank-filled: invalid for a date, kept so it is written back as read.
    Blank,
    /// Any other spelling (including digits that are not a date), kept verbatim.
    Raw(Raw),
}

/// A `MMDDYYYY` date field.
pub type DateValue = DateField<Date>;
/// A `MMDDYYYYHHMMSS` time stamp field.
pub type TimestampValue = DateField<DateTime>;

impl<T: Calendar> DateField<T> {
    /// The date when the field holds one in canonical spelling.
    pub fn value(&self) -> Option<T> {
        match self {
            Self::Value(v) => Some(*v),
            Self::Zero | Self::Blank | Self::Raw(_) => None,
        }
    }

    /// How a reader would take this field: `Ok(Some(date))`, `Ok(None)` for zero fill, `Err`
    /// for a field that is not a date at all. `enc` is the format it was read in.
    pub(crate) fn reading(&self, enc: Enc) -> Result<Option<T>, ()> {
        match self {
            Self::Value(v) => Ok(Some(*v)),
            Self::Zero => Ok(None),
            Self::Blank => Err(()),
            Self::Raw(raw) => match digits::interpret(raw.as_bytes(), T::DIGITS, enc) {
                Some(0) => Ok(None),
                Some(v) => T::from_digits(v).map(Some).ok_or(()),
                None => Err(()),
            },
        }
    }

    pub(crate) fn decode(bytes: &[u8], enc: Enc) -> Self {
        let keep = || Raw::new(bytes).map_or(Self::Blank, Self::Raw);
        match digits::decode(bytes, T::DIGITS, enc) {
            Digits::Canonical(0) => Self::Zero,
            Digits::Canonical(v) => T::from_digits(v).map_or_else(keep, Self::Value),
            Digits::Blank => Self::Blank,
            Digits::Other => keep(),
        }
    }

    pub(crate) fn encode(&self, enc: Enc, out: &mut [u8]) -> Result<(), EncodeProblem> {
        match self {
            Self::Value(v) => digits::encode(v.to_digits(), enc, out),
            Self::Zero => digits::encode(0, enc, out),
            Self::Blank => out.fill(b' '),
            Self::Raw(raw) => {
                write_raw(raw, T::DIGITS, enc, out).ok_or(EncodeProblem::Unconvertible)?;
            }
        }
        Ok(())
    }
}

// Not derived: a derive would require `T: Default`, and a date has no natural default.
#[allow(clippy::derivable_impls, reason = "a derive would bound T: Default")]
impl<T> Default for DateField<T> {
    /// Zero-filled: "no date".
    fn default() -> Self {
        Self::Zero
    }
}

impl<T: Calendar> Serialize for DateField<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(v) => serializer.collect_str(v),
            Self::Zero => serializer.serialize_none(),
            Self::Blank => serializer.serialize_str("blank"),
            Self::Raw(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de, T: Calendar> Deserialize<'de> for DateField<T> {
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        struct DateVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Calendar> Visitor<'de> for DateVisitor<T> {
            type Value = DateField<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO date, null, \"blank\", or {\"raw\": \"...\"}")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(DateField::Zero)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(DateField::Zero)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v == "blank" {
                    return Ok(DateField::Blank);
                }
                T::parse_iso(v)
                    .map(DateField::Value)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                raw_from_map(map).map(DateField::Raw)
            }
        }
        deserializer.deserialize_any(DateVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calendar_refuses_impossible_dates() {
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2020, 13, 1).is_none());
        assert_eq!(Date::from_digits(13_012_020), None);
    }

    #[test]
    fn date_digits_are_month_day_year() {
        let d = Date::new(2020, 1, 31).unwrap();
        assert_eq!(d.to_digits(), 1_312_020);
        assert_eq!(Date::from_digits(1_312_020), Some(d));
        assert_eq!(
            DateValue::decode(b"01312020", Enc::Char),
            DateField::Value(d)
        );
        assert_eq!(DateValue::decode(b"00000000", Enc::Char), DateField::Zero);
        assert!(matches!(
            DateValue::decode(b"02302020", Enc::Char),
            DateField::Raw(_)
        ));
    }

    #[test]
    fn a_raw_spelling_is_written_back_verbatim() {
        let n = Amount::decode(b"00000012 ", Enc::Char);
        assert!(matches!(n, Num::Raw(_)));
        let mut out = [0u8; 9];
        n.encode(Enc::Char, &mut out).unwrap();
        assert_eq!(&out, b"00000012 ");
    }
}
