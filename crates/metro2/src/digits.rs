//! The two spellings of a Metro 2 number: zero-filled ASCII digits (character format) and
//! packed decimal (packed format).
//!
//! A number of `D` digits takes `D` bytes as characters and `D / 2 + 1` bytes packed: one
//! decimal digit per nibble, a leading zero nibble when `D` is even, and a sign nibble last
//! (`0MMDDYYYYs` for a date, `s` being the sign). Metro 2 numbers are never negative; this
//! crate writes the unsigned sign `F` and reads `A`, `C`, `E` and `F` as positive (the IBM
//! convention). A field spelled any other way than the canonical spelling of its value is kept
//! verbatim by the field types, so it is written back as it came.
//!
//! Invariant: `decode(encode(v)) == Canonical(v)` for every `v < 10^D`.

/// How a field is spelled on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Enc {
    /// ASCII digits, zero-filled on the left.
    Char,
    /// Packed decimal with a trailing sign nibble.
    Packed,
}

/// The sign nibble this crate writes: unsigned positive.
pub(crate) const SIGN_UNSIGNED: u8 = 0x0F;

/// Bytes a `digits`-digit number takes in `enc`.
pub(crate) const fn width(digits: usize, enc: Enc) -> usize {
    match enc {
        Enc::Char => digits,
        Enc::Packed => digits / 2 + 1,
    }
}

/// `10^digits`, the first value that no longer fits; saturates far above any Metro 2 width.
pub(crate) const fn pow10(digits: usize) -> u64 {
    let mut v: u64 = 1;
    let mut i = 0;
    while i < digits {
        v = v.saturating_mul(10);
        i += 1;
    }
    v
}

fn limit(digits: usize) -> u64 {
    pow10(digits)
}

/// What a run of bytes says, read as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Digits {
    /// The canonical spelling of this value.
    Canonical(u64),
    /// Every byte is an ASCII blank.
    Blank,
    /// Anything else: lowercase, embedded blanks, a negative or odd sign, bad nibbles.
    Other,
}

/// Reads `bytes` (already cut to the field's width) as a `digits`-digit number.
pub(crate) fn decode(bytes: &[u8], digits: usize, enc: Enc) -> Digits {
    if bytes.len() != width(digits, enc) {
        return Digits::Other;
    }
    if bytes.iter().all(|&b| b == b' ') {
        return Digits::Blank;
    }
    match enc {
        Enc::Char => match parse_ascii(bytes) {
            Some(v) => Digits::Canonical(v),
            None => Digits::Other,
        },
        Enc::Packed => match parse_packed(bytes) {
            // Canonical means: positive unsigned sign, and no digit beyond the field's width
            // (the spare leading nibble of an even-digit field must be zero).
            Some((v, SIGN_UNSIGNED)) if v < limit(digits) => Digits::Canonical(v),
            _ => Digits::Other,
        },
    }
}

/// Reads `bytes` leniently: the value a reader of the format would accept, canonical or not.
/// Used by the validator and when converting a verbatim field to the other format.
pub(crate) fn interpret(bytes: &[u8], digits: usize, enc: Enc) -> Option<u64> {
    if bytes.len() != width(digits, enc) {
        return None;
    }
    let v = match enc {
        Enc::Char => parse_ascii(bytes)?,
        Enc::Packed => match parse_packed(bytes)? {
            (v, 0x0A | 0x0C | 0x0E | 0x0F) => v,
            _ => return None,
        },
    };
    (v < limit(digits)).then_some(v)
}

/// Writes `value` into `out` (exactly the field's width). The caller has checked
/// `value < limit(digits)`.
pub(crate) fn encode(value: u64, enc: Enc, out: &mut [u8]) {
    match enc {
        Enc::Char => {
            let mut v = value;
            for b in out.iter_mut().rev() {
                *b = b'0' + digit(v);
                v /= 10;
            }
        }
        Enc::Packed => {
            // Fill from the right: the last byte holds the lowest digit and the sign.
            let mut v = value;
            let mut nibbles_low_first =
                std::iter::once(SIGN_UNSIGNED).chain(std::iter::from_fn(|| {
                    let d = digit(v);
                    v /= 10;
                    Some(d)
                }));
            for b in out.iter_mut().rev() {
                let low = nibbles_low_first.next().unwrap_or(0);
                let high = nibbles_low_first.next().unwrap_or(0);
                *b = (high << 4) | low;
            }
        }
    }
}

fn digit(v: u64) -> u8 {
    // `v % 10` is below 10, so it always fits a byte.
    u8::try_from(v % 10).unwrap_or(0)
}

fn parse_ascii(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(b - b'0');
    }
    Some(v)
}

/// Digits and sign nibble of a packed decimal, or `None` when a digit nibble is above 9 or the
/// sign nibble is not a sign (below A).
fn parse_packed(bytes: &[u8]) -> Option<(u64, u8)> {
    let (&last, rest) = bytes.split_last()?;
    if bytes.len() > 9 {
        return None;
    }
    let sign = last & 0x0F;
    if sign < 0x0A {
        return None;
    }
    let mut v: u64 = 0;
    for nibble in rest
        .iter()
        .flat_map(|&b| [b >> 4, b & 0x0F])
        .chain([last >> 4])
    {
        if nibble > 9 {
            return None;
        }
        v = v * 10 + u64::from(nibble);
    }
    Some((v, sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_date_spells_zero_month_day_year_and_sign() {
        let mut out = [0u8; 5];
        encode(1_152_020, Enc::Packed, &mut out); // 01/15/2020
        assert_eq!(out, [0x00, 0x11, 0x52, 0x02, 0x0F]);
        assert_eq!(decode(&out, 8, Enc::Packed), Digits::Canonical(1_152_020));
    }

    #[test]
    fn an_amount_round_trips_in_both_spellings() {
        for (v, digits) in [
            (0, 9),
            (1, 9),
            (999_999_999, 9),
            (5_175_555_555, 10),
            (7, 1),
        ] {
            for enc in [Enc::Char, Enc::Packed] {
                let mut out = vec![0u8; width(digits, enc)];
                encode(v, enc, &mut out);
                assert_eq!(
                    decode(&out, digits, enc),
                    Digits::Canonical(v),
                    "{v} {enc:?}"
                );
            }
        }
    }

    #[test]
    fn a_positive_sign_other_than_f_is_read_but_not_canonical() {
        let bytes = [0x00, 0x00, 0x00, 0x12, 0x3C];
        assert_eq!(decode(&bytes, 9, Enc::Packed), Digits::Other);
        assert_eq!(interpret(&bytes, 9, Enc::Packed), Some(123));
        assert_eq!(
            interpret(&[0x00, 0x00, 0x00, 0x12, 0x3D], 9, Enc::Packed),
            None
        );
    }

    #[test]
    fn blanks_and_stray_characters_are_not_digits() {
        assert_eq!(decode(b"   ", 3, Enc::Char), Digits::Blank);
        assert_eq!(decode(b" 12", 3, Enc::Char), Digits::Other);
        assert_eq!(decode(b"1a2", 3, Enc::Char), Digits::Other);
    }
}
