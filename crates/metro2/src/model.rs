//! The typed model of a whole file.
//!
//! Owns [`File`]. Its JSON form (serde) is this model with snake_case field names; see the
//! crate documentation for the shape of each value.

use serde::{Deserialize, Serialize};

use crate::base::BaseRecord;
use crate::header::Header;
use crate::layout::{Framing, Layout};
use crate::trailer::Trailer;

/// A Metro 2 file: a header, data records and a trailer, and the layout they were (or will be)
/// written in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// Physical layout: what [`write`](fn@crate::write) produces and what [`read`](fn@crate::read)
    /// found.
    #[serde(default)]
    pub layout: Layout,
    /// The header record.
    pub header: Header,
    /// Framing of the header record, when not canonical.
    #[serde(default, skip_serializing_if = "Framing::is_canonical")]
    pub header_framing: Framing,
    /// The data records, in file order.
    pub bases: Vec<BaseRecord>,
    /// The trailer record.
    pub trailer: Trailer,
    /// Framing of the trailer record, when not canonical.
    #[serde(default, skip_serializing_if = "Framing::is_canonical")]
    pub trailer_framing: Framing,
}

impl File {
    /// The 1-based record number of data record `index` (the header is record 1).
    pub fn record_number(index: usize) -> u64 {
        u64::try_from(index).unwrap_or(u64::MAX).saturating_add(2)
    }

    /// The 1-based record number of the trailer.
    pub fn trailer_record_number(&self) -> u64 {
        Self::record_number(self.bases.len())
    }
}
