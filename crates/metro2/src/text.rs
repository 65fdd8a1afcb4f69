//! Alphanumeric fields: fixed-width byte arrays that keep exactly what the file said.
//!
//! Owns [`Text`] (an alphanumeric or code field of a width fixed by the layout) and
//! [`Filler`] (a reserved area whose width differs between the character and the packed
//! format).
//!
//! Invariants:
//! - A field holds bytes, not a `String`: a record read from a file is written back byte for
//!   byte, whatever those bytes were (lowercase, control characters, bytes above 0x7F). The
//!   validator, not the reader, says which bytes are wrong.
//! - Bytes map to characters one to one as ISO-8859-1 (Latin-1), so every byte survives the
//!   JSON form; a character above U+00FF cannot be stored and is rejected on the way in.
//! - The JSON form of a field is its text with trailing blanks removed; leading blanks stay,
//!   because they are data (a right-justified value is not the same value left-justified).

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The blank that pads every alphanumeric field on the right.
pub(crate) const BLANK: u8 = b' ';

/// Appends `bytes` to `out` as Latin-1 characters (one character per byte).
pub(crate) fn push_latin1(out: &mut String, bytes: &[u8]) {
    out.extend(bytes.iter().map(|&b| char::from(b)));
}

/// Decodes Latin-1 text into bytes, or names the first character that has no byte.
pub(crate) fn latin1_bytes(s: &str) -> Result<Vec<u8>, char> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).map_err(|_| c))
        .collect()
}

/// `bytes` without its trailing blanks.
pub(crate) fn trim_blanks(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != BLANK).map_or(0, |i| i + 1);
    &bytes[..end]
}

/// An alphanumeric field `N` bytes wide, left-justified and blank-filled.
///
/// Build one with [`Text::new`] (or `"SMITH".parse()`); read it with [`Text::trimmed`] or
/// `to_string()`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Text<const N: usize>([u8; N]);

impl<const N: usize> Text<N> {
    /// A field of blanks: how Metro 2 spells "not reported" for alphanumeric data.
    pub const BLANK: Self = Self([BLANK; N]);

    /// The field holding `value`, blank-filled on the right.
    ///
    /// Fails when `value` is longer than the field or holds a character above U+00FF.
    pub fn new(value: &str) -> Result<Self, TextError> {
        let bytes = latin1_bytes(value).map_err(|c| TextError::Unencodable { character: c })?;
        Self::from_bytes(&bytes)
    }

    /// The field holding `bytes`, blank-filled on the right; fails when they do not fit.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TextError> {
        if bytes.len() > N {
            return Err(TextError::TooLong {
                length: bytes.len(),
                width: N,
            });
        }
        let mut field = [BLANK; N];
        field[..bytes.len()].copy_from_slice(bytes);
        Ok(Self(field))
    }

    /// Copies a field straight out of a record. `bytes` shorter than `N` are blank-filled, which
    /// only happens on an internal length mistake: the reader checks every record length first.
    pub(crate) fn from_record(bytes: &[u8]) -> Self {
        let mut field = [BLANK; N];
        let n = bytes.len().min(N);
        field[..n].copy_from_slice(&bytes[..n]);
        Self(field)
    }

    /// Every byte of the field, padding included.
    pub fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// The bytes without trailing blanks.
    pub fn trimmed(&self) -> &[u8] {
        trim_blanks(&self.0)
    }

    /// True when every byte is a blank.
    pub fn is_blank(&self) -> bool {
        self.0.iter().all(|&b| b == BLANK)
    }

    /// True when the trimmed field equals `value` (ASCII, compared byte for byte).
    pub fn is(&self, value: &str) -> bool {
        self.trimmed() == value.as_bytes()
    }
}

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Self::BLANK
    }
}

impl<const N: usize> fmt::Display for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(N);
        push_latin1(&mut s, self.trimmed());
        f.write_str(&s)
    }
}

impl<const N: usize> fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl<const N: usize> std::str::FromStr for Text<N> {
    type Err = TextError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl<const N: usize> Serialize for Text<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, const N: usize> Deserialize<'de> for Text<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<const N: usize>;
        impl<const N: usize> Visitor<'_> for TextVisitor<N> {
            type Value = Text<N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a string of at most {N} Latin-1 characters")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Text::new(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(TextVisitor::<N>)
    }
}

/// Why a value cannot be stored in a text field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// The value is wider than the field.
    #[error("{length} characters do not fit a {width}-character field")]
    TooLong {
        /// Characters in the value.
        length: usize,
        /// Width of the field.
        width: usize,
    },
    /// The value holds a character that Metro 2's single-byte character set cannot carry.
    #[error("character {character:?} is above U+00FF and has no byte in a Metro 2 file")]
    Unencodable {
        /// The first offending character.
        character: char,
    },
}

/// A reserved area `C` bytes wide in the character format and `P` bytes wide in the packed
/// format (the header's and trailer's reserved tails, the trailer's first reserved field).
///
/// Stored without trailing blanks, so the same value can be written at either width; a
/// reserved area whose content does not fit the target width cannot be written there.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Filler<const C: usize, const P: usize>(Vec<u8>);

impl<const C: usize, const P: usize> Filler<C, P> {
    /// The content without trailing blanks (empty when the area is blank, as it should be).
    pub fn trimmed(&self) -> &[u8] {
        &self.0
    }

    /// True when the area is blank.
    pub fn is_blank(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn from_record(bytes: &[u8]) -> Self {
        Self(trim_blanks(bytes).to_vec())
    }
}

impl<const C: usize, const P: usize> fmt::Debug for Filler<C, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        push_latin1(&mut s, &self.0);
        fmt::Debug::fmt(&s, f)
    }
}

impl<const C: usize, const P: usize> Serialize for Filler<C, P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = String::with_capacity(self.0.len());
        push_latin1(&mut s, &self.0);
        serializer.serialize_str(&s)
    }
}

impl<'de, const C: usize, const P: usize> Deserialize<'de> for Filler<C, P> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        let bytes = latin1_bytes(&s)
            .map_err(|c| de::Error::custom(TextError::Unencodable { character: c }))?;
        if trim_blanks(&bytes).len() > C.max(P) {
            return Err(de::Error::custom(TextError::TooLong {
                length: bytes.len(),
                width: C.max(P),
            }));
        }
        Ok(Self(trim_blanks(&bytes).to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_leading_blanks_and_drops_trailing_ones() {
        let t = Text::<6>::from_record(b"  AB  ");
        assert_eq!(t.trimmed(), b"  AB");
        assert_eq!(t.to_string(), "  AB");
        assert_eq!(Text::<6>::new("  AB").unwrap(), t);
    }

    #[test]
    fn every_byte_survives_the_string_form() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut s = String::new();
        push_latin1(&mut s, &bytes);
        assert_eq!(latin1_bytes(&s).unwrap(), bytes);
    }

    #[test]
    fn a_value_wider_than_its_field_is_refused() {
        assert_eq!(
            Text::<2>::new("ABC"),
            Err(TextError::TooLong {
                length: 3,
                width: 2
            })
        );
        assert!(Text::<4>::new("€").is_err());
    }
}
