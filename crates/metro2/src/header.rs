//! The header record: who is reporting and for which period.
//!
//! Owns [`Header`]. Its layout is the same in both formats except the reserved tail: the
//! packed header keeps its dates and telephone number as characters (as the public packed
//! layouts show) and is 366 bytes because the reserved area shrinks from 146 to 86 bytes.
//! The record identifier `HEADER` is a constant the reader checks and the writer writes; it is
//! not stored.

use crate::codec::{Segment, segment};
use crate::text::{Filler, Text};
use crate::value::{DateValue, Telephone};

/// The constant in positions 5–10 that marks the header record.
pub const HEADER_IDENTIFIER: &[u8; 6] = b"HEADER";

segment! {
    /// The header record (after its record descriptor word and `HEADER` identifier).
    pub struct Header (Segment::Header) {
        /// Cycle identifier, when the file reports one billing cycle.
        ["3"] cycle_identifier: Text<2>,
        /// Program identifier assigned by Innovis.
        ["4"] innovis_program_identifier: Text<10>,
        /// Program identifier assigned by Equifax.
        ["5"] equifax_program_identifier: Text<10>,
        /// Program identifier assigned by Experian.
        ["6"] experian_program_identifier: Text<5>,
        /// Program identifier assigned by TransUnion.
        ["7"] transunion_program_identifier: Text<10>,
        /// Date of the reporting period the file covers.
        ["8"] activity_date: DateValue,
        /// Date the file was created.
        ["9"] date_created: DateValue,
        /// Date the reporter's Metro 2 program was first used.
        ["10"] program_date: DateValue,
        /// Date the reporter's Metro 2 program was last revised.
        ["11"] program_revision_date: DateValue,
        /// Name of the data furnisher.
        ["12"] reporter_name: Text<40>,
        /// Address of the data furnisher.
        ["13"] reporter_address: Text<96>,
        /// Telephone number of the data furnisher.
        ["14"] reporter_telephone_number: Telephone,
        /// Name of the software vendor, when a vendor's product wrote the file.
        ["15"] software_vendor_name: Text<40>,
        /// Version of that software.
        ["16"] software_version_number: Text<5>,
        /// Program identifier assigned by MicroBilt/PRBC.
        ["17"] prbc_program_identifier: Text<10>,
        /// Reserved: blank-filled.
        ["18"] reserved: Filler<146, 86>,
    }
}
