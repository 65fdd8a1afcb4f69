//! The field machinery every record and segment is built from.
//!
//! Owns the [`segment!`] macro, which declares a record or segment once — its fields in wire
//! order with their CDIA field numbers — and derives from that single list the struct, its
//! width in each format, the decoder, the encoder and the field walk the validator uses. A
//! layout is therefore written down exactly once; positions follow from the field widths.
//!
//! Invariants:
//! - `decode` never fails and never panics: the reader has checked the record is at least
//!   `width` bytes long, and every field type keeps whatever bytes it is given.
//! - `encode` writes exactly `width` bytes or returns an error naming the field.

use crate::digits::Enc;
use crate::text::{Filler, Text, trim_blanks};
use crate::value::{Calendar, DateField, EncodeProblem, Num};
use crate::write::{FieldProblem, WriteError};

/// Which record or segment a field belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// The header record.
    Header,
    /// The base segment of a data record.
    Base,
    /// J1: associated consumer at the same address.
    J1,
    /// J2: associated consumer at a different address.
    J2,
    /// K1: original creditor name.
    K1,
    /// K2: purchased from / sold to.
    K2,
    /// K3: mortgage information.
    K3,
    /// K4: specialized payment information.
    K4,
    /// L1: account number / identification number change.
    L1,
    /// N1: employment.
    N1,
    /// The trailer record.
    Trailer,
}

impl Segment {
    /// The stable snake_case name (`"base"`, `"j1"`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Base => "base",
            Self::J1 => "j1",
            Self::J2 => "j2",
            Self::K1 => "k1",
            Self::K2 => "k2",
            Self::K3 => "k3",
            Self::K4 => "k4",
            Self::L1 => "l1",
            Self::N1 => "n1",
            Self::Trailer => "trailer",
        }
    }
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A field's identity: its segment, snake_case name and CDIA field number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FieldId {
    pub segment: Segment,
    pub name: &'static str,
    pub number: &'static str,
}

/// How the fields of one record are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ctx {
    /// Spelling of numeric and date fields (appended segments and the header are always
    /// characters, even in a packed file).
    pub fields: Enc,
    /// Format of the file, which sets the width of reserved areas.
    pub record: Enc,
}

impl Ctx {
    pub const CHAR: Self = Self {
        fields: Enc::Char,
        record: Enc::Char,
    };
}

/// A field type: how wide it is, how it reads and writes.
pub(crate) trait FieldCodec: FieldView + Sized {
    fn width(ctx: Ctx) -> usize;
    fn decode(bytes: &[u8], ctx: Ctx) -> Self;
    fn encode(&self, ctx: Ctx, out: &mut [u8]) -> Result<(), EncodeProblem>;
}

/// What the validator sees of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum View<'a> {
    /// Alphanumeric bytes, padding included.
    Text(&'a [u8]),
    /// A number as a reader takes it; `None` when the field is not digits.
    Number(Option<u64>),
    /// A date: `Ok(true)` a date, `Ok(false)` zero fill, `Err` not a date.
    Date(Result<bool, ()>),
    /// A reserved area: not validated.
    Reserved,
}

/// The object-safe half of a field type, for walking a segment's fields.
pub(crate) trait FieldView {
    fn view(&self, fields: Enc) -> View<'_>;
    /// The field as the offending value of a report: the bytes as Latin-1 text, or the value.
    fn show(&self) -> String;
    /// True when the field is blank-, zero- or nine-filled.
    fn is_fill(&self) -> bool;
}

impl<const N: usize> FieldCodec for Text<N> {
    fn width(_: Ctx) -> usize {
        N
    }
    fn decode(bytes: &[u8], _: Ctx) -> Self {
        Self::from_record(bytes)
    }
    fn encode(&self, _: Ctx, out: &mut [u8]) -> Result<(), EncodeProblem> {
        out.copy_from_slice(self.as_bytes());
        Ok(())
    }
}

impl<const N: usize> FieldView for Text<N> {
    fn view(&self, _: Enc) -> View<'_> {
        View::Text(self.as_bytes())
    }
    fn show(&self) -> String {
        self.to_string()
    }
    fn is_fill(&self) -> bool {
        is_fill(self.as_bytes())
    }
}

impl<const C: usize, const P: usize> FieldCodec for Filler<C, P> {
    fn width(ctx: Ctx) -> usize {
        match ctx.record {
            Enc::Char => C,
            Enc::Packed => P,
        }
    }
    fn decode(bytes: &[u8], _: Ctx) -> Self {
        Self::from_record(bytes)
    }
    fn encode(&self, _: Ctx, out: &mut [u8]) -> Result<(), EncodeProblem> {
        let content = self.trimmed();
        let slot = out
            .get_mut(..content.len())
            .ok_or(EncodeProblem::TextTooWide)?;
        slot.copy_from_slice(content);
        out[content.len()..].fill(b' ');
        Ok(())
    }
}

impl<const C: usize, const P: usize> FieldView for Filler<C, P> {
    fn view(&self, _: Enc) -> View<'_> {
        View::Reserved
    }
    fn show(&self) -> String {
        format!("{self:?}")
    }
    fn is_fill(&self) -> bool {
        is_fill(self.trimmed())
    }
}

impl<const D: usize> FieldCodec for Num<D> {
    fn width(ctx: Ctx) -> usize {
        crate::digits::width(D, ctx.fields)
    }
    fn decode(bytes: &[u8], ctx: Ctx) -> Self {
        Self::decode(bytes, ctx.fields)
    }
    fn encode(&self, ctx: Ctx, out: &mut [u8]) -> Result<(), EncodeProblem> {
        self.encode(ctx.fields, out)
    }
}

impl<const D: usize> FieldView for Num<D> {
    fn view(&self, fields: Enc) -> View<'_> {
        View::Number(self.reading(fields))
    }
    fn show(&self) -> String {
        match self {
            Self::Value(v) => format!("{v:0D$}"),
            Self::Blank => " ".repeat(D),
            Self::Raw(raw) => show_raw(raw.as_bytes()),
        }
    }
    fn is_fill(&self) -> bool {
        match self {
            Self::Value(v) => *v == 0 || *v == Self::MAX,
            Self::Blank => true,
            Self::Raw(raw) => is_fill(raw.as_bytes()),
        }
    }
}

impl<T: Calendar> FieldCodec for DateField<T> {
    fn width(ctx: Ctx) -> usize {
        crate::digits::width(T::DIGITS, ctx.fields)
    }
    fn decode(bytes: &[u8], ctx: Ctx) -> Self {
        Self::decode(bytes, ctx.fields)
    }
    fn encode(&self, ctx: Ctx, out: &mut [u8]) -> Result<(), EncodeProblem> {
        self.encode(ctx.fields, out)
    }
}

impl<T: Calendar> FieldView for DateField<T> {
    fn view(&self, fields: Enc) -> View<'_> {
        View::Date(self.reading(fields).map(|d| d.is_some()))
    }
    fn show(&self) -> String {
        match self {
            Self::Value(v) => v.to_string(),
            Self::Zero => "0".repeat(T::DIGITS),
            Self::Blank => " ".repeat(T::DIGITS),
            Self::Raw(raw) => show_raw(raw.as_bytes()),
        }
    }
    fn is_fill(&self) -> bool {
        match self {
            Self::Value(_) => false,
            Self::Zero | Self::Blank => true,
            Self::Raw(raw) => is_fill(raw.as_bytes()),
        }
    }
}

/// Verbatim bytes as a report shows them: the text when printable, else `0x` and hex (a
/// packed field that is not packed decimal).
fn show_raw(bytes: &[u8]) -> String {
    if bytes.iter().all(|b| (b' '..=b'~').contains(b)) {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        std::iter::once("0x".to_owned())
            .chain(bytes.iter().map(|b| format!("{b:02x}")))
            .collect()
    }
}

/// Cuts a record into consecutive fields.
pub(crate) struct FieldReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    ctx: Ctx,
}

impl<'a> FieldReader<'a> {
    pub fn new(bytes: &'a [u8], ctx: Ctx) -> Self {
        Self { bytes, pos: 0, ctx }
    }

    pub fn field<T: FieldCodec>(&mut self) -> T {
        let end = self.pos + T::width(self.ctx);
        // The reader checked the length; an empty slice (never reached) would decode as junk,
        // not panic.
        let bytes = self.bytes.get(self.pos..end).unwrap_or(&[]);
        self.pos = end;
        T::decode(bytes, self.ctx)
    }
}

/// Appends consecutive fields to a record being written.
pub(crate) struct FieldWriter<'a> {
    out: &'a mut Vec<u8>,
    ctx: Ctx,
    record: u64,
}

impl<'a> FieldWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>, ctx: Ctx, record: u64) -> Self {
        Self { out, ctx, record }
    }

    pub fn field<T: FieldCodec>(&mut self, value: &T, id: FieldId) -> Result<(), WriteError> {
        let start = self.out.len();
        self.out.resize(start + T::width(self.ctx), b' ');
        value
            .encode(self.ctx, &mut self.out[start..])
            .map_err(|p| WriteError::Field {
                record: self.record,
                segment: id.segment,
                field: id.name,
                problem: match p {
                    EncodeProblem::ValueTooWide => FieldProblem::ValueTooWide,
                    EncodeProblem::Unconvertible => FieldProblem::Unconvertible,
                    EncodeProblem::TextTooWide => FieldProblem::TextTooWide,
                },
            })
    }
}

/// True when every byte is blank, zero or nine: the fill of a placeholder segment.
fn is_fill(bytes: &[u8]) -> bool {
    trim_blanks(bytes)
        .iter()
        .all(|&b| matches!(b, b' ' | b'0' | b'9'))
}

/// Declares a record or segment: the struct and, from the same field list, its width,
/// decoder, encoder and field walk. Fields are listed in wire order with their CDIA number.
macro_rules! segment {
    (
        $(#[$meta:meta])*
        pub struct $name:ident ($seg:expr) {
            $( $(#[$fmeta:meta])* [$num:literal] $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[doc = concat!("\n\nCDIA field ", $num, ".")]
                pub $field: $ty,
            )*
        }

        impl $name {
            /// Bytes the fields take in `ctx` (the segment identifier or RDW excluded).
            #[allow(dead_code, reason = "records use their published lengths; tests pin both")]
            pub(crate) fn width(ctx: $crate::codec::Ctx) -> usize {
                0 $( + <$ty as $crate::codec::FieldCodec>::width(ctx) )*
            }

            pub(crate) fn decode(bytes: &[u8], ctx: $crate::codec::Ctx) -> Self {
                let mut r = $crate::codec::FieldReader::new(bytes, ctx);
                Self { $( $field: r.field(), )* }
            }

            pub(crate) fn encode(
                &self,
                w: &mut $crate::codec::FieldWriter<'_>,
            ) -> Result<(), $crate::write::WriteError> {
                $(
                    w.field(&self.$field, $crate::codec::FieldId {
                        segment: $seg,
                        name: stringify!($field),
                        number: $num,
                    })?;
                )*
                Ok(())
            }

            pub(crate) fn visit(
                &self,
                mut f: impl FnMut($crate::codec::FieldId, &dyn $crate::codec::FieldView),
            ) {
                $(
                    f(
                        $crate::codec::FieldId { segment: $seg, name: stringify!($field), number: $num },
                        &self.$field,
                    );
                )*
            }

            /// True when every field is blank-, zero- or nine-filled: the placeholder that
            /// fixed-length reporters send for a segment with nothing to say. A placeholder is
            /// kept for the round trip but neither validated nor counted in the trailer.
            pub fn is_placeholder(&self) -> bool {
                let mut fill = true;
                self.visit(|_, f| fill &= f.is_fill());
                fill
            }
        }
    };
}

pub(crate) use segment;
