//! Reading a file: finding the records, then decoding them.
//!
//! Owns [`read()`] and [`ReadError`].
//!
//! Invariants:
//! - No input makes the reader panic; a structural problem (no header, a descriptor word that
//!   is not one, a record cut short, an unknown or misplaced segment) is a [`ReadError`] naming
//!   the 1-based record and the byte offset. Field content is never a read error: it is kept
//!   and left to [`validate`](fn@crate::validate).
//! - Whatever `read` accepts, [`write`](fn@crate::write) gives back byte for byte. That is why the
//!   reader refuses what it could not reproduce (segments out of order, mixed separators,
//!   stray bytes after the last segment).
//!
//! Layout detection: `HEADER` at offset 4 means records without blocks, at offset 8 means
//! blocks; the header's length (426 or 366) tells the character from the packed format; the
//! first descriptor word tells 4-digit from binary descriptors. Unblocked records are cut by
//! their RDWs, each optionally followed by LF or CRLF; when the RDWs do not delimit the file
//! but line feeds do (some furnishers write a wrong or constant RDW), records are cut at the
//! line feeds and each RDW is kept as read.

use serde::Serialize;

use crate::base::{Base, BaseRecord};
use crate::codec::Ctx;
use crate::digits::Enc;
use crate::header::{HEADER_IDENTIFIER, Header};
use crate::layout::{Blocking, Blocks, Descriptors, Format, Framing, Layout, Separator};
use crate::model::File;
use crate::segments::{J1, J2, K1, K2, K3, K4, L1, N1, SEGMENT_ORDER};
use crate::text::Text;
use crate::trailer::{TRAILER_IDENTIFIER, Trailer};

/// A structural problem that stops a file from being read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("record {record}, byte offset {offset}: {kind}")]
pub struct ReadError {
    /// 1-based record number (the header is record 1).
    pub record: u64,
    /// Offset in the input of the offending bytes.
    pub offset: u64,
    /// What is wrong.
    pub kind: ReadErrorKind,
}

/// What stops a file from being read; `code()` gives a stable snake_case name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ReadErrorKind {
    /// There are no bytes.
    #[error("the input is empty")]
    Empty,
    /// The first record is not a header record.
    #[error("the file does not start with a HEADER record")]
    MissingHeader,
    /// The last record is not a trailer record.
    #[error("the file does not end with a TRAILER record")]
    MissingTrailer,
    /// A header record after the first record.
    #[error("a second HEADER record")]
    UnexpectedHeader,
    /// A trailer record before the last record.
    #[error("a TRAILER record before the end of the file")]
    TrailerNotLast,
    /// Four bytes where a descriptor word belongs that are not one.
    #[error("{found} is not a descriptor word")]
    InvalidDescriptor {
        /// The bytes, in hex.
        found: String,
    },
    /// A record or block runs past the end of the input.
    #[error("{needed} bytes announced, {available} left")]
    Truncated {
        /// Bytes the descriptor announced.
        needed: u64,
        /// Bytes left in the input.
        available: u64,
    },
    /// A record runs past the end of its block.
    #[error("a record runs past the end of its block")]
    BlockOverrun,
    /// A record is shorter than its fixed part.
    #[error("{length} bytes, shorter than the {expected}-byte record")]
    RecordTooShort {
        /// Bytes in the record.
        length: u64,
        /// Bytes the record needs.
        expected: u64,
    },
    /// Bytes after the base segment that are neither a known segment nor blank padding.
    #[error("unknown segment identifier {id:?}")]
    UnknownSegment {
        /// The two bytes found, as Latin-1 text.
        id: String,
    },
    /// A segment cut short by the end of its record.
    #[error("{id} segment has {length} of its {expected} bytes")]
    TruncatedSegment {
        /// The segment identifier.
        id: String,
        /// Bytes left in the record.
        length: u64,
        /// Bytes the segment needs.
        expected: u64,
    },
    /// A segment after one that must follow it (the order is J1, J2, K1, K2, K3, K4, L1, N1).
    #[error("{id} segment out of order")]
    SegmentOutOfOrder {
        /// The segment identifier.
        id: String,
    },
    /// A second K1, K2, K3, K4, L1 or N1 segment in one record.
    #[error("a second {id} segment in one record")]
    DuplicateSegment {
        /// The segment identifier.
        id: String,
    },
    /// Non-blank bytes after the fixed part of a header or trailer record.
    #[error("unexpected bytes after the end of the record layout")]
    UnexpectedBytes,
    /// Records separated by different line endings.
    #[error("records are separated by different line endings")]
    InconsistentSeparator,
}

impl ReadErrorKind {
    /// The stable snake_case name of this kind.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::MissingHeader => "missing_header",
            Self::MissingTrailer => "missing_trailer",
            Self::UnexpectedHeader => "unexpected_header",
            Self::TrailerNotLast => "trailer_not_last",
            Self::InvalidDescriptor { .. } => "invalid_descriptor",
            Self::Truncated { .. } => "truncated",
            Self::BlockOverrun => "block_overrun",
            Self::RecordTooShort { .. } => "record_too_short",
            Self::UnknownSegment { .. } => "unknown_segment",
            Self::TruncatedSegment { .. } => "truncated_segment",
            Self::SegmentOutOfOrder { .. } => "segment_out_of_order",
            Self::DuplicateSegment { .. } => "duplicate_segment",
            Self::UnexpectedBytes => "unexpected_bytes",
            Self::InconsistentSeparator => "inconsistent_separator",
        }
    }
}

fn n64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn err(record: usize, offset: usize, kind: ReadErrorKind) -> ReadError {
    ReadError {
        record: n64(record),
        offset: n64(offset),
        kind,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Where one record sits in the input.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
}

/// The records of a file and how they were laid out.
struct Split {
    spans: Vec<Span>,
    descriptors: Descriptors,
    blocking: Blocking,
    /// True when records were cut at line feeds, so RDWs are data to keep, not structure.
    by_lines: bool,
}

/// Reads a Metro 2 file in any of the supported layouts, detecting which.
///
/// This is the entry point for untrusted bytes (and for a fuzz target): it never panics.
pub fn read(bytes: &[u8]) -> Result<File, ReadError> {
    if bytes.is_empty() {
        return Err(err(1, 0, ReadErrorKind::Empty));
    }
    let split = if bytes.get(4..10) == Some(HEADER_IDENTIFIER.as_slice()) {
        split_unblocked(bytes)?
    } else if bytes.get(8..14) == Some(HEADER_IDENTIFIER.as_slice()) {
        split_blocked(bytes)?
    } else {
        return Err(err(1, 0, ReadErrorKind::MissingHeader));
    };
    decode_records(bytes, split)
}

/// Reads one data record written by [`crate::write_record`]: character format, its record
/// descriptor word giving its whole length. Errors name it record 1. Never panics.
pub fn read_record(bytes: &[u8]) -> Result<BaseRecord, ReadError> {
    let word = bytes.get(..4).unwrap_or(bytes);
    if Descriptors::Ascii.decode(word) != Some(bytes.len()) {
        return Err(err(
            1,
            0,
            ReadErrorKind::InvalidDescriptor { found: hex(word) },
        ));
    }
    if bytes.get(4..11) == Some(TRAILER_IDENTIFIER.as_slice())
        || bytes.get(4..10) == Some(HEADER_IDENTIFIER.as_slice())
    {
        return Err(err(1, 0, ReadErrorKind::UnexpectedHeader));
    }
    let split = Split {
        spans: Vec::new(),
        descriptors: Descriptors::Ascii,
        blocking: Blocking::Unblocked {
            separator: Separator::None,
            final_separator: false,
        },
        by_lines: false,
    };
    decode_data_record(bytes, 0, 1, Format::Character, &split)
}

/// Detects how the first descriptor word is spelled.
fn descriptors_of(word: &[u8]) -> Option<Descriptors> {
    [Descriptors::Ascii, Descriptors::Binary]
        .into_iter()
        .find(|d| d.decode(word).is_some())
}

fn split_unblocked(bytes: &[u8]) -> Result<Split, ReadError> {
    let descriptors = bytes.get(..4).and_then(descriptors_of);
    let by_rdw = match descriptors {
        Some(d) => split_by_rdw(bytes, d),
        None => Err(err(
            1,
            0,
            ReadErrorKind::InvalidDescriptor {
                found: hex(&bytes[..4]),
            },
        )),
    };
    match by_rdw {
        Ok(split) => Ok(split),
        Err(e) if bytes.contains(&b'\n') => {
            split_by_lines(bytes, descriptors.unwrap_or(Descriptors::Ascii)).or(Err(e))
        }
        Err(e) => Err(e),
    }
}

fn separator_at(bytes: &[u8], pos: usize) -> Separator {
    match bytes.get(pos..) {
        Some([b'\r', b'\n', ..]) => Separator::CrLf,
        Some([b'\n', ..]) => Separator::Lf,
        _ => Separator::None,
    }
}

fn split_by_rdw(bytes: &[u8], descriptors: Descriptors) -> Result<Split, ReadError> {
    let mut spans = Vec::new();
    let mut separator = None;
    let mut final_separator = false;
    let mut pos = 0;
    while pos < bytes.len() {
        let record = spans.len() + 1;
        let word = bytes.get(pos..pos + 4).unwrap_or(&bytes[pos..]);
        let len = descriptors
            .decode(word)
            .filter(|&len| len > 4)
            .ok_or_else(|| {
                err(
                    record,
                    pos,
                    ReadErrorKind::InvalidDescriptor { found: hex(word) },
                )
            })?;
        let end = pos + len;
        if end > bytes.len() {
            let kind = ReadErrorKind::Truncated {
                needed: n64(len),
                available: n64(bytes.len() - pos),
            };
            return Err(err(record, pos, kind));
        }
        spans.push(Span { start: pos, end });
        let found = separator_at(bytes, end);
        let expected = *separator.get_or_insert(found);
        pos = end + found.bytes().len();
        if found != expected {
            // Only the last record may lack the separator the others carry.
            if found != Separator::None || pos < bytes.len() {
                return Err(err(record + 1, end, ReadErrorKind::InconsistentSeparator));
            }
        }
        final_separator = found != Separator::None;
    }
    let separator = separator.unwrap_or(Separator::None);
    Ok(Split {
        spans,
        descriptors,
        blocking: Blocking::Unblocked {
            separator,
            final_separator,
        },
        by_lines: false,
    })
}

fn split_by_lines(bytes: &[u8], descriptors: Descriptors) -> Result<Split, ReadError> {
    let first_lf = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let separator = if first_lf > 0 && bytes[first_lf - 1] == b'\r' {
        Separator::CrLf
    } else {
        Separator::Lf
    };
    let mut spans = Vec::new();
    let mut start = 0;
    let mut final_separator = false;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_start = start;
        start += line.len() + 1;
        let ends_in_lf = start <= bytes.len();
        if !ends_in_lf && line.is_empty() {
            break; // the input ended with a line feed
        }
        let has_cr = line.last() == Some(&b'\r');
        let end = match (separator, ends_in_lf, has_cr) {
            (Separator::CrLf, true, true) => line_start + line.len() - 1,
            (Separator::CrLf, true, false) | (Separator::Lf, true, true) => {
                return Err(err(
                    i + 1,
                    line_start + line.len(),
                    ReadErrorKind::InconsistentSeparator,
                ));
            }
            _ => line_start + line.len(),
        };
        spans.push(Span {
            start: line_start,
            end,
        });
        final_separator = ends_in_lf;
    }
    Ok(Split {
        spans,
        descriptors,
        blocking: Blocking::Unblocked {
            separator,
            final_separator,
        },
        by_lines: true,
    })
}

fn split_blocked(bytes: &[u8]) -> Result<Split, ReadError> {
    let descriptors = descriptors_of(&bytes[..4]).ok_or_else(|| {
        err(
            1,
            0,
            ReadErrorKind::InvalidDescriptor {
                found: hex(&bytes[..4]),
            },
        )
    })?;
    let mut spans = Vec::new();
    let mut counts = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let record = spans.len() + 1;
        let word = bytes.get(pos..pos + 4).unwrap_or(&bytes[pos..]);
        let block_len = descriptors
            .decode(word)
            .filter(|&len| len >= 4)
            .ok_or_else(|| {
                err(
                    record,
                    pos,
                    ReadErrorKind::InvalidDescriptor { found: hex(word) },
                )
            })?;
        let block_end = pos + block_len;
        if block_end > bytes.len() {
            let kind = ReadErrorKind::Truncated {
                needed: n64(block_len),
                available: n64(bytes.len() - pos),
            };
            return Err(err(record, pos, kind));
        }
        let mut q = pos + 4;
        let mut count: u32 = 0;
        while q < block_end {
            let record = spans.len() + 1;
            let word = bytes.get(q..q + 4).filter(|_| q + 4 <= block_end);
            let word = word.ok_or_else(|| err(record, q, ReadErrorKind::BlockOverrun))?;
            let len = descriptors
                .decode(word)
                .filter(|&len| len > 4)
                .ok_or_else(|| {
                    err(
                        record,
                        q,
                        ReadErrorKind::InvalidDescriptor { found: hex(word) },
                    )
                })?;
            if q + len > block_end {
                return Err(err(record, q, ReadErrorKind::BlockOverrun));
            }
            spans.push(Span {
                start: q,
                end: q + len,
            });
            q += len;
            count = count.saturating_add(1);
        }
        counts.push(count);
        pos = block_end;
    }
    let blocks = if counts.iter().all(|&c| c == 1) {
        Blocks::PerRecord
    } else {
        Blocks::Explicit(counts)
    };
    Ok(Split {
        spans,
        descriptors,
        blocking: Blocking::Blocked(blocks),
        by_lines: false,
    })
}

/// Counts the blank padding after a record's last field; refuses anything else.
fn padding(rest: &[u8], record: usize, offset: usize) -> Result<u16, ReadError> {
    if let Some(i) = rest.iter().position(|&b| b != b' ') {
        return Err(err(record, offset + i, ReadErrorKind::UnexpectedBytes));
    }
    u16::try_from(rest.len()).map_err(|_| err(record, offset, ReadErrorKind::UnexpectedBytes))
}

/// The framing a record needs to be written back as read.
fn framing(rec: &[u8], split: &Split, padding: u16) -> Framing {
    let word = &rec[..4];
    let descriptor = if split.by_lines && split.descriptors.decode(word) != Some(rec.len()) {
        Some(Text::from_record(word))
    } else {
        None
    };
    Framing {
        descriptor,
        padding,
    }
}

fn decode_records(bytes: &[u8], split: Split) -> Result<File, ReadError> {
    let Some((&header_span, rest)) = split.spans.split_first() else {
        return Err(err(1, 0, ReadErrorKind::MissingHeader));
    };
    let Some((&trailer_span, data_spans)) = rest.split_last() else {
        return Err(err(2, header_span.end, ReadErrorKind::MissingTrailer));
    };
    let header_rec = &bytes[header_span.start..header_span.end];
    let format = match header_rec.len() {
        n if n >= Format::Character.record_len() => Format::Character,
        n if n >= Format::Packed.record_len() => Format::Packed,
        n => {
            let kind = ReadErrorKind::RecordTooShort {
                length: n64(n),
                expected: n64(Format::Packed.record_len()),
            };
            return Err(err(1, header_span.start, kind));
        }
    };
    if header_rec.get(4..10) != Some(HEADER_IDENTIFIER.as_slice()) {
        return Err(err(1, header_span.start, ReadErrorKind::MissingHeader));
    }
    let fixed = format.record_len();
    let enc = format.field_enc();
    let header = Header::decode(
        &header_rec[10..fixed],
        Ctx {
            fields: Enc::Char,
            record: enc,
        },
    );
    let pad = padding(&header_rec[fixed..], 1, header_span.start + fixed)?;
    let header_framing = framing(header_rec, &split, pad);

    let mut bases = Vec::with_capacity(data_spans.len());
    for (i, span) in data_spans.iter().enumerate() {
        let record = i + 2;
        let rec = &bytes[span.start..span.end];
        match rec.get(4..11) {
            Some(id) if id == TRAILER_IDENTIFIER => {
                return Err(err(record, span.start, ReadErrorKind::TrailerNotLast));
            }
            Some(id) if id.starts_with(HEADER_IDENTIFIER) => {
                return Err(err(record, span.start, ReadErrorKind::UnexpectedHeader));
            }
            _ => {}
        }
        bases.push(decode_data_record(rec, span.start, record, format, &split)?);
    }

    let trailer_no = data_spans.len() + 2;
    let trailer_rec = &bytes[trailer_span.start..trailer_span.end];
    if trailer_rec.get(4..11) != Some(TRAILER_IDENTIFIER.as_slice()) {
        return Err(err(
            trailer_no,
            trailer_span.start,
            ReadErrorKind::MissingTrailer,
        ));
    }
    if trailer_rec.len() < fixed {
        let kind = ReadErrorKind::RecordTooShort {
            length: n64(trailer_rec.len()),
            expected: n64(fixed),
        };
        return Err(err(trailer_no, trailer_span.start, kind));
    }
    let trailer = Trailer::decode(
        &trailer_rec[11..fixed],
        Ctx {
            fields: enc,
            record: enc,
        },
    );
    let pad = padding(
        &trailer_rec[fixed..],
        trailer_no,
        trailer_span.start + fixed,
    )?;
    let trailer_framing = framing(trailer_rec, &split, pad);

    let layout = Layout {
        format,
        descriptors: split.descriptors,
        blocking: split.blocking,
    };
    Ok(File {
        layout,
        header,
        header_framing,
        bases,
        trailer,
        trailer_framing,
    })
}

fn decode_data_record(
    rec: &[u8],
    start: usize,
    record: usize,
    format: Format,
    split: &Split,
) -> Result<BaseRecord, ReadError> {
    let fixed = format.record_len();
    if rec.len() < fixed {
        let kind = ReadErrorKind::RecordTooShort {
            length: n64(rec.len()),
            expected: n64(fixed),
        };
        return Err(err(record, start, kind));
    }
    let enc = format.field_enc();
    let mut out = BaseRecord::new(Base::decode(
        &rec[4..fixed],
        Ctx {
            fields: enc,
            record: enc,
        },
    ));
    let mut pos = fixed;
    let mut last = 0;
    let mut pad = 0;
    while pos < rec.len() {
        let rest = &rec[pos..];
        if rest.iter().all(|&b| b == b' ') {
            pad = padding(rest, record, start + pos)?;
            break;
        }
        let id = rest.get(..2).unwrap_or(rest);
        let Some(order) = SEGMENT_ORDER
            .iter()
            .position(|(_, code)| code.as_slice() == id)
        else {
            return Err(err(
                record,
                start + pos,
                ReadErrorKind::UnknownSegment { id: latin1(id) },
            ));
        };
        if order < last {
            return Err(err(
                record,
                start + pos,
                ReadErrorKind::SegmentOutOfOrder { id: latin1(id) },
            ));
        }
        let width = 2 + segment_width(order);
        let body = rest.get(2..width).ok_or_else(|| {
            let kind = ReadErrorKind::TruncatedSegment {
                id: latin1(id),
                length: n64(rest.len()),
                expected: n64(width),
            };
            err(record, start + pos, kind)
        })?;
        if !attach(&mut out, order, body) {
            return Err(err(
                record,
                start + pos,
                ReadErrorKind::DuplicateSegment { id: latin1(id) },
            ));
        }
        last = order;
        pos += width;
    }
    out.framing = framing(rec, split, pad);
    Ok(out)
}

/// Width of the body (identifier excluded) of the segment at `order` in [`SEGMENT_ORDER`].
pub(crate) fn segment_width(order: usize) -> usize {
    let c = Ctx::CHAR;
    match order {
        0 => J1::width(c),
        1 => J2::width(c),
        2 => K1::width(c),
        3 => K2::width(c),
        4 => K3::width(c),
        5 => K4::width(c),
        6 => L1::width(c),
        _ => N1::width(c),
    }
}

/// Decodes a segment body into its slot; `false` when a single-occurrence slot is taken.
fn attach(out: &mut BaseRecord, order: usize, body: &[u8]) -> bool {
    fn once<T>(slot: &mut Option<T>, value: T) -> bool {
        if slot.is_some() {
            return false;
        }
        *slot = Some(value);
        true
    }
    let c = Ctx::CHAR;
    match order {
        0 => {
            out.j1.push(J1::decode(body, c));
            true
        }
        1 => {
            out.j2.push(J2::decode(body, c));
            true
        }
        2 => once(&mut out.k1, K1::decode(body, c)),
        3 => once(&mut out.k2, K2::decode(body, c)),
        4 => once(&mut out.k3, K3::decode(body, c)),
        5 => once(&mut out.k4, K4::decode(body, c)),
        6 => once(&mut out.l1, L1::decode(body, c)),
        _ => once(&mut out.n1, N1::decode(body, c)),
    }
}
