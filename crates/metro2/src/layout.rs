//! How records are laid end to end in a file: the physical layout, apart from the fields.
//!
//! Owns [`Layout`] (format, descriptor spelling, blocking), [`Framing`] (what a single record
//! carried that the writer would not produce by itself) and the length limits.
//!
//! The three layouts Metro 2 furnishers send:
//! - **character, fixed**: records back to back, each starting with a 4-digit record
//!   descriptor word (RDW, e.g. `0426`), optionally each followed by LF or CRLF;
//! - **character, variable blocked**: records grouped into blocks, each block prefixed by a
//!   block descriptor word (BDW) and each record by an RDW;
//! - **packed**: 366-byte base records with packed-decimal numbers, variable blocked.
//!
//! A descriptor word is 4 bytes holding a length that counts its own 4 bytes. Following the
//! IBM variable-blocked convention, a *binary* descriptor is a 2-byte big-endian length and two
//! zero bytes; Metro 2's character layout also spells it as 4 ASCII digits. Both spellings are
//! read and written; the reader records which one a file used.

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// Longest record or block a 4-digit descriptor can describe.
pub const ASCII_DESCRIPTOR_MAX: usize = 9_999;
/// Longest block a binary descriptor may describe (the IBM variable-blocked maximum).
pub const BINARY_BLOCK_LEN_MAX: usize = 32_760;
/// Longest record a binary descriptor may describe (a block minus its BDW).
pub const BINARY_RECORD_LEN_MAX: usize = BINARY_BLOCK_LEN_MAX - 4;

/// The physical layout of a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// Character (426-byte base) or packed (366-byte base).
    pub format: Format,
    /// How RDWs and BDWs are spelled.
    pub descriptors: Descriptors,
    /// Whether records are grouped into blocks.
    pub blocking: Blocking,
}

impl Layout {
    /// Character format, fixed-length records back to back, no separators.
    pub fn character_fixed() -> Self {
        Self {
            format: Format::Character,
            descriptors: Descriptors::Ascii,
            blocking: Blocking::Unblocked {
                separator: Separator::None,
                final_separator: false,
            },
        }
    }

    /// Character format, fixed-length records each followed by `separator`.
    pub fn character_lines(separator: Separator) -> Self {
        Self {
            format: Format::Character,
            descriptors: Descriptors::Ascii,
            blocking: Blocking::Unblocked {
                separator,
                final_separator: separator != Separator::None,
            },
        }
    }

    /// Character format, variable blocked, one record per block, 4-digit descriptors.
    pub fn character_variable_blocked() -> Self {
        Self {
            format: Format::Character,
            descriptors: Descriptors::Ascii,
            blocking: Blocking::Blocked(Blocks::PerRecord),
        }
    }

    /// Packed format, variable blocked, one record per block, binary descriptors.
    pub fn packed() -> Self {
        Self {
            format: Format::Packed,
            descriptors: Descriptors::Binary,
            blocking: Blocking::Blocked(Blocks::PerRecord),
        }
    }

    /// Longest record this layout's descriptors can describe.
    pub fn record_len_max(&self) -> usize {
        match self.descriptors {
            Descriptors::Ascii => ASCII_DESCRIPTOR_MAX,
            Descriptors::Binary => BINARY_RECORD_LEN_MAX,
        }
    }

    /// Longest block this layout's descriptors can describe.
    pub fn block_len_max(&self) -> usize {
        match self.descriptors {
            Descriptors::Ascii => ASCII_DESCRIPTOR_MAX,
            Descriptors::Binary => BINARY_BLOCK_LEN_MAX,
        }
    }
}

impl Default for Layout {
    fn default() -> Self {
        Self::character_fixed()
    }
}

/// The record format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Every field as characters: header, base and trailer are 426 bytes.
    Character,
    /// Numbers and dates of the base and trailer packed: header, base and trailer are 366
    /// bytes. Appended segments stay characters.
    Packed,
}

impl Format {
    /// Bytes of the header, base segment and trailer in this format, RDW included.
    pub fn record_len(self) -> usize {
        match self {
            Self::Character => 426,
            Self::Packed => 366,
        }
    }

    /// How this format spells the base segment's and trailer's numbers and dates.
    pub(crate) fn field_enc(self) -> crate::digits::Enc {
        match self {
            Self::Character => crate::digits::Enc::Char,
            Self::Packed => crate::digits::Enc::Packed,
        }
    }
}

/// How descriptor words are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Descriptors {
    /// Four ASCII digits, e.g. `0426`.
    Ascii,
    /// IBM convention: 2-byte big-endian length, then two zero bytes.
    Binary,
}

impl Descriptors {
    /// The descriptor for `len`, or `None` when this spelling cannot hold it.
    pub(crate) fn encode(self, len: usize) -> Option<[u8; 4]> {
        match self {
            Self::Ascii if len <= ASCII_DESCRIPTOR_MAX => {
                let mut out = [b'0'; 4];
                crate::digits::encode(u64::try_from(len).ok()?, crate::digits::Enc::Char, &mut out);
                Some(out)
            }
            Self::Binary if len <= BINARY_BLOCK_LEN_MAX => {
                let [hi, lo] = u16::try_from(len).ok()?.to_be_bytes();
                Some([hi, lo, 0, 0])
            }
            Self::Ascii | Self::Binary => None,
        }
    }

    /// The length a descriptor spelled this way holds, or `None` when it is not one.
    pub(crate) fn decode(self, bytes: &[u8]) -> Option<usize> {
        let len = match (self, bytes) {
            (Self::Ascii, [a, b, c, d]) if [a, b, c, d].iter().all(|x| x.is_ascii_digit()) => {
                [a, b, c, d]
                    .iter()
                    .fold(0usize, |v, &&x| v * 10 + usize::from(x - b'0'))
            }
            (Self::Binary, [hi, lo, 0, 0]) => usize::from(u16::from_be_bytes([*hi, *lo])),
            _ => return None,
        };
        // Only a canonical spelling counts, so that writing the length back gives the bytes.
        (self.encode(len)? == bytes).then_some(len)
    }
}

/// Record grouping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocking {
    /// Records back to back, each optionally followed by a separator.
    Unblocked {
        /// What follows each record.
        separator: Separator,
        /// Whether the last record is followed by the separator too.
        final_separator: bool,
    },
    /// Records grouped into blocks, each prefixed by a BDW.
    Blocked(Blocks),
}

/// What follows each record of an unblocked file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Separator {
    /// Nothing: the RDWs alone delimit records.
    None,
    /// A line feed.
    Lf,
    /// A carriage return and a line feed.
    CrLf,
}

impl Separator {
    /// The separator's bytes.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Self::None => b"",
            Self::Lf => b"\n",
            Self::CrLf => b"\r\n",
        }
    }
}

/// How records are grouped into blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocks {
    /// Every record in a block of its own.
    PerRecord,
    /// As many records per block as fit in `max_block_len` bytes (BDW included).
    Fill {
        /// Largest block to write.
        max_block_len: u16,
    },
    /// Exactly these many records in each block, in order (what the reader saw). Writing a
    /// file whose record count differs fails: pick another policy after adding records.
    Explicit(Vec<u32>),
}

/// What a record carried that the writer would not produce by itself. Default for every
/// record the writer builds; set by the reader only when the input needs it to round-trip.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Framing {
    /// The RDW as read, when it was not the canonical spelling of the record's actual length
    /// (possible only in files whose records are delimited by line separators). Written back
    /// as is in unblocked layouts; blocked layouts always write the true length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descriptor: Option<Text<4>>,
    /// Blanks after the last segment: fixed-length reporters pad every record to one length.
    #[serde(skip_serializing_if = "is_zero")]
    pub padding: u16,
}

fn is_zero(n: &u16) -> bool {
    *n == 0
}

impl Framing {
    /// True when the writer would frame the record this way by itself.
    pub fn is_canonical(&self) -> bool {
        self.descriptor.is_none() && self.padding == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_spell_lengths_both_ways() {
        assert_eq!(Descriptors::Ascii.encode(426), Some(*b"0426"));
        assert_eq!(Descriptors::Binary.encode(366), Some([0x01, 0x6e, 0, 0]));
        assert_eq!(Descriptors::Ascii.decode(b"0426"), Some(426));
        assert_eq!(Descriptors::Binary.decode(&[0x01, 0x6e, 0, 0]), Some(366));
        assert_eq!(Descriptors::Binary.decode(&[0x01, 0x6e, 0, 1]), None);
        assert_eq!(Descriptors::Ascii.decode(b" 426"), None);
        assert_eq!(Descriptors::Ascii.encode(10_000), None);
    }
}
