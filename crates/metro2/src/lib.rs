//! Read, write and validate Metro 2® credit-reporting files.
//!
//! Metro 2 is the CDIA format in which lenders ("data furnishers") send account data to the
//! consumer reporting agencies. A file is a header record, one data record per account (a base
//! segment with optional appended segments J1, J2, K1, K2, K3, K4, L1 and N1), and a trailer
//! record of totals. This crate reads and writes all of it in the three physical layouts in use
//! — character fixed-length (optionally one record per line, LF or CRLF), character variable
//! blocked, and packed — and checks every field against the CDIA rules. `FORMAT.md` beside this
//! crate lists the layouts field by field, with their public sources.
//!
//! ```
//! use credence_metro2::{generate, read, validate, write, write_as, Layout};
//!
//! let file = generate::file(3, 7, Layout::character_fixed());
//! let bytes = write(&file)?;
//! let back = read(&bytes)?;                    // layout detected from the bytes
//! assert_eq!(back, file);
//! assert!(validate(&back).is_empty());
//! let packed = write_as(&back, &Layout::packed())?;
//! assert_eq!(read(&packed)?.bases, file.bases);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Guarantees
//!
//! - **Round trip.** Whatever [`read()`] accepts, [`write()`] gives back byte for byte: fields are
//!   kept as the file spelled them (a blank-filled amount stays blank-filled, a packed sign `C`
//!   stays `C`), and the record framing (descriptor words, blocks, separators, padding) is
//!   recorded in [`File::layout`] and [`Framing`]. Input the writer could not reproduce is
//!   refused with a [`ReadError`].
//! - **No panics on input.** [`read()`] returns a [`ReadError`] (record number, byte offset,
//!   kind) for structural problems; it is the entry point for a fuzz target.
//! - **Field problems are data, not errors.** [`validate()`] returns an [`ErrorReport`] listing,
//!   for every broken rule, the 1-based record number (the header is record 1), the segment,
//!   the field's snake_case name and CDIA number, the [`Rule`] (a stable snake_case code) and
//!   the offending value.
//! - **Conversion.** [`write_as()`] writes the same typed model in another layout; a value the
//!   target cannot hold is a [`WriteError`], never a silent truncation.
//!
//! # The typed model and its JSON form
//!
//! [`File`] holds a [`Header`], a `Vec` of [`BaseRecord`] (a [`Base`] plus `j1`/`j2` lists
//! and optional `k1`…`n1`) and a [`Trailer`]. Fields are typed by kind:
//!
//! | kind | Rust type | JSON form |
//! |---|---|---|
//! | alphanumeric / code | [`Text<N>`](Text) (the `N` bytes as read) | string, trailing blanks removed |
//! | amount, count, SSN, phone, numeric code | [`Num<D>`](Num) | number; `"blank"`; `{"raw": "…"}` |
//! | date `MMDDYYYY` | [`DateValue`] | `"2024-05-31"`; `null` when zero-filled; `"blank"`; `{"raw": "…"}` |
//! | time stamp | [`TimestampValue`] | `"2024-05-31T13:45:00"`, or as a date field |
//! | reserved area | [`Filler`] | string, trailing blanks removed |
//!
//! Amounts are whole dollars, as Metro 2 reports them. The JSON form is the typed model
//! serialised with serde: snake_case field names, the layout under `"layout"`, non-canonical
//! framing under `"framing"` (left out when canonical). A field missing from JSON input takes
//! Metro 2's fill for its kind (blanks, zero, zero-filled date), so a caller may send only the
//! fields it knows; an unknown field name is an error. Writing the JSON form back to a file
//! gives the same bytes as writing the model it came from.
//!
//! # Modules
//!
//! Records and segments are declared once each ([`header`], [`base`], [`segments`],
//! [`trailer`]) through one macro that derives their codecs; [`read`](mod@read) and
//! [`write`](mod@write) own the physical layouts; [`validate`](mod@validate) and [`codes`] own the
//! rules; [`generate`] builds valid files for tests and benchmarks.

pub mod base;
mod codec;
pub mod codes;
mod digits;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod generate;
pub mod header;
pub mod layout;
mod model;
pub mod read;
pub mod segments;
pub mod text;
pub mod trailer;
pub mod validate;
pub mod value;
pub mod write;

pub use base::{Base, BaseRecord};
pub use codec::Segment;
pub use codes::{AccountStatus, PortfolioType};
pub use header::Header;
pub use layout::{Blocking, Blocks, Descriptors, Format, Framing, Layout, Separator};
pub use model::File;
pub use read::{ReadError, ReadErrorKind, read, read_record};
pub use segments::{J1, J2, K1, K2, K3, K4, L1, N1};
pub use text::{Filler, Text, TextError};
pub use trailer::{Trailer, recompute_trailer};
pub use validate::{ErrorReport, FieldError, Rule, validate};
pub use value::{
    Amount, Calendar, Count, Date, DateField, DateTime, DateValue, Num, Raw, Ssn, Telephone,
    TimestampValue,
};
pub use write::{FieldProblem, WriteError, write, write_as, write_record};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Ctx;
    use crate::digits::Enc;

    #[test]
    fn fixed_parts_have_the_published_lengths() {
        let packed = Ctx {
            fields: Enc::Packed,
            record: Enc::Packed,
        };
        let header_packed = Ctx {
            fields: Enc::Char,
            record: Enc::Packed,
        };
        assert_eq!(4 + 6 + Header::width(Ctx::CHAR), 426);
        assert_eq!(4 + 6 + Header::width(header_packed), 366);
        assert_eq!(4 + Base::width(Ctx::CHAR), 426);
        assert_eq!(4 + Base::width(packed), 366);
        assert_eq!(4 + 7 + Trailer::width(Ctx::CHAR), 426);
        assert_eq!(4 + 7 + Trailer::width(packed), 366);
        let segments = [
            J1::width(Ctx::CHAR),
            J2::width(Ctx::CHAR),
            K1::width(Ctx::CHAR),
            K2::width(Ctx::CHAR),
            K3::width(Ctx::CHAR),
            K4::width(Ctx::CHAR),
            L1::width(Ctx::CHAR),
            N1::width(Ctx::CHAR),
        ];
        assert_eq!(segments.map(|w| w + 2), [100, 200, 34, 34, 40, 30, 54, 146]);
    }
}
