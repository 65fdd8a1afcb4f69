//! Writing a file in a chosen layout.
//!
//! Owns [`write()`], [`write_as()`], [`write_record()`] and [`WriteError`].
//!
//! Invariants:
//! - Every descriptor word is computed from the bytes actually written, except an RDW the
//!   reader kept verbatim ([`Framing::descriptor`]) in an unblocked layout.
//! - A value the target layout cannot carry (a number wider than its field, a verbatim packed
//!   spelling with no value to re-spell as characters, a record longer than a descriptor can
//!   say) is a [`WriteError`] naming the record and field; nothing is truncated or dropped.

use serde::Serialize;

use crate::base::BaseRecord;
use crate::codec::{Ctx, FieldWriter, Segment};
use crate::digits::Enc;
use crate::header::HEADER_IDENTIFIER;
use crate::layout::{Blocking, Blocks, Framing, Layout};
use crate::model::File;
use crate::read::segment_width;
use crate::segments::SEGMENT_ORDER;
use crate::trailer::TRAILER_IDENTIFIER;

/// Why a file cannot be written in a layout.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum WriteError {
    /// A field value the layout cannot carry.
    #[error("record {record}, {segment} field {field}: {problem}")]
    Field {
        /// 1-based record number.
        record: u64,
        /// Segment of the field.
        segment: Segment,
        /// The field's snake_case name.
        field: &'static str,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// A record longer than the layout's descriptor words can describe.
    #[error("record {record} is {length} bytes; the layout's descriptors reach {max}")]
    RecordTooLong {
        /// 1-based record number.
        record: u64,
        /// Bytes in the record, RDW included.
        length: u64,
        /// Longest record the layout can describe.
        max: u64,
    },
    /// A record that does not fit in a block of the layout's maximum size.
    #[error("record {record} ({length} bytes) does not fit a block of {max} bytes")]
    BlockTooLong {
        /// 1-based record number.
        record: u64,
        /// Bytes in the record.
        length: u64,
        /// Largest block the layout allows.
        max: u64,
    },
    /// [`Blocks::Explicit`] lists a different number of records than the file has.
    #[error("the block layout lists {listed} records but the file has {records}")]
    BlockCountsMismatch {
        /// Records the block layout lists.
        listed: u64,
        /// Records in the file (header and trailer included).
        records: u64,
    },
}

/// What is wrong with a field value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldProblem {
    /// The number has more digits than the field.
    #[error("the value has more digits than the field")]
    ValueTooWide,
    /// A verbatim spelling from the other format that has no value to re-spell.
    #[error("the field was read as unreadable bytes of the other format")]
    Unconvertible,
    /// Text wider than the field.
    #[error("the text is wider than the field")]
    TextTooWide,
}

fn n64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Writes `file` in its own layout.
pub fn write(file: &File) -> Result<Vec<u8>, WriteError> {
    write_as(file, &file.layout)
}

/// Writes `file` in `layout` (to convert between character, packed and blocked forms).
pub fn write_as(file: &File, layout: &Layout) -> Result<Vec<u8>, WriteError> {
    let records = file.bases.len() + 2;
    let mut out = Vec::with_capacity(records * (layout.format.record_len() + 16));
    let mut rec = Vec::with_capacity(2 * layout.format.record_len());
    let mut blocks = Blocker::new(layout, records)?;
    for index in 0..records {
        rec.clear();
        let framing = encode_record(file, layout, index, &mut rec)?;
        let record = n64(index + 1);
        let length = rec.len();
        let descriptor = match (&layout.blocking, &framing.descriptor) {
            (Blocking::Unblocked { .. }, Some(raw)) => Some(*raw.as_bytes()),
            _ => layout
                .descriptors
                .encode(length)
                .filter(|_| length <= layout.record_len_max()),
        };
        let descriptor = descriptor.ok_or(WriteError::RecordTooLong {
            record,
            length: n64(length),
            max: n64(layout.record_len_max()),
        })?;
        rec[..4].copy_from_slice(&descriptor);
        blocks.push(&mut out, &rec, record, index + 1 == records)?;
    }
    blocks.finish(&mut out)?;
    Ok(out)
}

/// Writes one data record on its own, in the character format with its record descriptor
/// word: the form a record travels in apart from its file (sealed in a ledger record, say).
/// [`crate::read_record`] reads it back to the same record.
pub fn write_record(record: &BaseRecord) -> Result<Vec<u8>, WriteError> {
    let layout = Layout::character_fixed();
    let file = File {
        bases: vec![record.clone()],
        ..File::default()
    };
    let mut rec = Vec::with_capacity(layout.format.record_len());
    encode_record(&file, &layout, 1, &mut rec)?;
    let length = rec.len();
    let descriptor = layout
        .descriptors
        .encode(length)
        .ok_or(WriteError::RecordTooLong {
            record: 1,
            length: n64(length),
            max: n64(layout.record_len_max()),
        })?;
    rec[..4].copy_from_slice(&descriptor);
    Ok(rec)
}

/// Appends record `index` (0 = header) to `rec` with a placeholder RDW; returns its framing.
fn encode_record<'f>(
    file: &'f File,
    layout: &Layout,
    index: usize,
    rec: &mut Vec<u8>,
) -> Result<&'f Framing, WriteError> {
    let enc = layout.format.field_enc();
    let record = n64(index + 1);
    rec.extend_from_slice(&[0; 4]);
    let framing = if index == 0 {
        rec.extend_from_slice(HEADER_IDENTIFIER);
        let ctx = Ctx {
            fields: Enc::Char,
            record: enc,
        };
        file.header
            .encode(&mut FieldWriter::new(rec, ctx, record))?;
        &file.header_framing
    } else if let Some(data) = file.bases.get(index - 1) {
        let ctx = Ctx {
            fields: enc,
            record: enc,
        };
        data.base.encode(&mut FieldWriter::new(rec, ctx, record))?;
        encode_segments(data, rec, record)?;
        &data.framing
    } else {
        rec.extend_from_slice(TRAILER_IDENTIFIER);
        let ctx = Ctx {
            fields: enc,
            record: enc,
        };
        file.trailer
            .encode(&mut FieldWriter::new(rec, ctx, record))?;
        &file.trailer_framing
    };
    rec.resize(rec.len() + usize::from(framing.padding), b' ');
    Ok(framing)
}

fn encode_segments(data: &BaseRecord, rec: &mut Vec<u8>, record: u64) -> Result<(), WriteError> {
    let ids = SEGMENT_ORDER.map(|(_, id)| id);
    let w = |order: usize, rec: &mut Vec<u8>| rec.extend_from_slice(ids[order]);
    for s in &data.j1 {
        w(0, rec);
        s.encode(&mut FieldWriter::new(rec, Ctx::CHAR, record))?;
    }
    for s in &data.j2 {
        w(1, rec);
        s.encode(&mut FieldWriter::new(rec, Ctx::CHAR, record))?;
    }
    if let Some(s) = &data.k1 {
        w(2, rec);
        s.encode(&mut FieldWriter::new(rec, Ctx::CHAR, record))?;
    }
    if let Some(s) = &data.k2 {
        w(3, rec);
        s.encode(&mut FieldWriter::new(rec, Ctx::CHAR, record))?;
    }
    if let Some(s) = &data.k3 {
        w(4, rec);
        s.encode(&mut FieldWriter::new(rec, Ctx::CHAR, record))?;
    }
    if let Some(s) = &data.k4 {
        w(5, rec);
        s.encode(&mut FieldWriter::new(rec, Ctx::CHAR, record))?;
    }
    if let Some(s) = &data.l1 {
        w(6, rec);
        s.encode(&mut FieldWriter::new(rec, Ctx::CHAR, record))?;
    }
    if let Some(s) = &data.n1 {
        w(7, rec);
        s.encode(&mut FieldWriter::new(rec, Ctx::CHAR, record))?;
    }
    Ok(())
}

/// Length of record `index` (0 = header) in `layout`, RDW included, without encoding it.
pub(crate) fn record_len(file: &File, layout: &Layout, index: usize) -> usize {
    let fixed = layout.format.record_len();
    let padding = |f: &Framing| usize::from(f.padding);
    if index == 0 {
        return fixed + padding(&file.header_framing);
    }
    let Some(data) = file.bases.get(index - 1) else {
        return fixed + padding(&file.trailer_framing);
    };
    let seg = |order: usize| 2 + segment_width(order);
    let singles = [
        data.k1.is_some(),
        data.k2.is_some(),
        data.k3.is_some(),
        data.k4.is_some(),
        data.l1.is_some(),
        data.n1.is_some(),
    ];
    fixed
        + data.j1.len() * seg(0)
        + data.j2.len() * seg(1)
        + singles
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .map(|(i, _)| seg(i + 2))
            .sum::<usize>()
        + padding(&data.framing)
}

/// Blocks `layout` writes for `file` (the trailer's block count): one per record when
/// unblocked or one record per block. A record too long for a filled block counts as its own.
pub(crate) fn block_count(file: &File, layout: &Layout) -> u64 {
    let records = file.bases.len() + 2;
    match &layout.blocking {
        Blocking::Unblocked { .. } | Blocking::Blocked(Blocks::PerRecord) => n64(records),
        Blocking::Blocked(Blocks::Explicit(counts)) => n64(counts.len()),
        Blocking::Blocked(Blocks::Fill { max_block_len }) => {
            let max = usize::from(*max_block_len);
            let (mut blocks, mut current) = (0u64, 0usize);
            for index in 0..records {
                let len = record_len(file, layout, index);
                if current == 0 || current + len > max {
                    blocks += 1;
                    current = 4;
                }
                current += len;
            }
            blocks
        }
    }
}

/// Groups records into blocks (or separates them) as they are written.
struct Blocker<'l> {
    layout: &'l Layout,
    /// Records still to go in the open explicit block.
    remaining: u32,
    /// Record counts of the explicit blocks not opened yet (empty for other policies).
    counts: std::slice::Iter<'l, u32>,
    /// Offset of the open block's BDW in the output.
    open: Option<usize>,
}

impl<'l> Blocker<'l> {
    fn new(layout: &'l Layout, records: usize) -> Result<Self, WriteError> {
        let mut counts: &'l [u32] = &[];
        if let Blocking::Blocked(Blocks::Explicit(listed)) = &layout.blocking {
            let sum: u64 = listed.iter().map(|&c| u64::from(c)).sum();
            if sum != n64(records) {
                return Err(WriteError::BlockCountsMismatch {
                    listed: sum,
                    records: n64(records),
                });
            }
            counts = listed;
        }
        Ok(Self {
            layout,
            remaining: 0,
            counts: counts.iter(),
            open: None,
        })
    }

    fn push(
        &mut self,
        out: &mut Vec<u8>,
        rec: &[u8],
        record: u64,
        last: bool,
    ) -> Result<(), WriteError> {
        match &self.layout.blocking {
            Blocking::Unblocked {
                separator,
                final_separator,
            } => {
                out.extend_from_slice(rec);
                if !last || *final_separator {
                    out.extend_from_slice(separator.bytes());
                }
            }
            Blocking::Blocked(Blocks::PerRecord) => {
                self.open_block(out);
                out.extend_from_slice(rec);
                self.close_block(out, record)?;
            }
            Blocking::Blocked(Blocks::Fill { max_block_len }) => {
                let limit = usize::from(*max_block_len).min(self.layout.block_len_max());
                if rec.len() + 4 > limit {
                    let (length, max) = (n64(rec.len()), n64(limit));
                    return Err(WriteError::BlockTooLong {
                        record,
                        length,
                        max,
                    });
                }
                if matches!(self.open, Some(start) if out.len() - start + rec.len() > limit) {
                    self.close_block(out, record)?;
                }
                if self.open.is_none() {
                    self.open_block(out);
                }
                out.extend_from_slice(rec);
            }
            Blocking::Blocked(Blocks::Explicit(_)) => {
                // Close the finished block and open the next, passing over empty blocks the
                // reader saw (they are written as empty blocks again).
                while self.remaining == 0 {
                    self.close_block(out, record)?;
                    let Some(&n) = self.counts.next() else { break };
                    self.open_block(out);
                    self.remaining = n;
                }
                out.extend_from_slice(rec);
                self.remaining = self.remaining.saturating_sub(1);
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), WriteError> {
        self.close_block(out, 0)?;
        // Empty blocks after the last record: the counts add up, so only zeros remain.
        while self.counts.next().is_some() {
            self.open_block(out);
            self.close_block(out, 0)?;
        }
        Ok(())
    }

    fn open_block(&mut self, out: &mut Vec<u8>) {
        self.open = Some(out.len());
        out.extend_from_slice(&[0; 4]);
    }

    fn close_block(&mut self, out: &mut [u8], record: u64) -> Result<(), WriteError> {
        let Some(start) = self.open.take() else {
            return Ok(());
        };
        let length = out.len() - start;
        let max = self.layout.block_len_max();
        let bdw = self
            .layout
            .descriptors
            .encode(length)
            .filter(|_| length <= max)
            .ok_or(WriteError::BlockTooLong {
                record,
                length: n64(length),
                max: n64(max),
            })?;
        out[start..start + 4].copy_from_slice(&bdw);
        Ok(())
    }
}
