//! The trailer record and the totals it must carry.
//!
//! Owns [`Trailer`] and the one computation of its totals from the data records, used both by
//! [`recompute_trailer`] and by the validator, so the two cannot
//! disagree about what a total means.
//!
//! Counting rules (CRRG trailer field definitions): placeholder segments are not counted;
//! Social Security Numbers count when neither zero- nor 9-filled; dates of birth and telephone
//! numbers count when not zero-filled (and readable); ECOA code Z counts in the base, J1 and J2
//! segments; the block count is the number of blocks the layout writes (one per record when
//! unblocked).

use crate::base::BaseRecord;
use crate::codec::{Segment, segment};
use crate::codes::AccountStatus;
use crate::digits::Enc;
use crate::layout::Layout;
use crate::model::File;
use crate::text::{Filler, Text};
use crate::value::{Count, DateValue, Num, Ssn, Telephone};

/// The constant in positions 5–11 that marks the trailer record.
pub const TRAILER_IDENTIFIER: &[u8; 7] = b"TRAILER";

segment! {
    /// The trailer record (after its record descriptor word and `TRAILER` identifier).
    pub struct Trailer (Segment::Trailer) {
        /// Base segments in the file.
        ["3"] total_base_records: Count,
        /// Reserved: blank-filled.
        ["4"] reserved: Filler<9, 5>,
        /// Base segments with status DF.
        ["5"] total_status_code_df: Count,
        /// J1 segments.
        ["6"] total_j1_segments: Count,
        /// J2 segments.
        ["7"] total_j2_segments: Count,
        /// Blocks in the file.
        ["8"] block_count: Count,
        /// Base segments with status DA.
        ["9"] total_status_code_da: Count,
        /// Base segments with status 05.
        ["10"] total_status_code_05: Count,
        /// Base segments with status 11.
        ["11"] total_status_code_11: Count,
        /// Base segments with status 13.
        ["12"] total_status_code_13: Count,
        /// Base segments with status 61.
        ["13"] total_status_code_61: Count,
        /// Base segments with status 62.
        ["14"] total_status_code_62: Count,
        /// Base segments with status 63.
        ["15"] total_status_code_63: Count,
        /// Base segments with status 64.
        ["16"] total_status_code_64: Count,
        /// Base segments with status 65.
        ["17"] total_status_code_65: Count,
        /// Base segments with status 71.
        ["18"] total_status_code_71: Count,
        /// Base segments with status 78.
        ["19"] total_status_code_78: Count,
        /// Base segments with status 80.
        ["20"] total_status_code_80: Count,
        /// Base segments with status 82.
        ["21"] total_status_code_82: Count,
        /// Base segments with status 83.
        ["22"] total_status_code_83: Count,
        /// Base segments with status 84.
        ["23"] total_status_code_84: Count,
        /// Base segments with status 88.
        ["24"] total_status_code_88: Count,
        /// Base segments with status 89.
        ["25"] total_status_code_89: Count,
        /// Base segments with status 93.
        ["26"] total_status_code_93: Count,
        /// Base segments with status 94.
        ["27"] total_status_code_94: Count,
        /// Base segments with status 95.
        ["28"] total_status_code_95: Count,
        /// Base segments with status 96.
        ["29"] total_status_code_96: Count,
        /// Base segments with status 97.
        ["30"] total_status_code_97: Count,
        /// ECOA code Z in base, J1 and J2 segments.
        ["31"] total_ecoa_code_z: Count,
        /// N1 (employment) segments.
        ["32"] total_employment_segments: Count,
        /// K1 (original creditor) segments.
        ["33"] total_original_creditor_segments: Count,
        /// K2 (purchased from / sold to) segments.
        ["34"] total_purchased_sold_segments: Count,
        /// K3 (mortgage information) segments.
        ["35"] total_mortgage_information_segments: Count,
        /// K4 (specialized payment information) segments.
        ["36"] total_specialized_payment_segments: Count,
        /// L1 (account or identification number change) segments.
        ["37"] total_change_segments: Count,
        /// Social Security Numbers in base, J1 and J2 segments.
        ["38"] total_ssn_all_segments: Count,
        /// Social Security Numbers in base segments.
        ["39"] total_ssn_base_segments: Count,
        /// Social Security Numbers in J1 segments.
        ["40"] total_ssn_j1_segments: Count,
        /// Social Security Numbers in J2 segments.
        ["41"] total_ssn_j2_segments: Count,
        /// Dates of birth in base, J1 and J2 segments.
        ["42"] total_dob_all_segments: Count,
        /// Dates of birth in base segments.
        ["43"] total_dob_base_segments: Count,
        /// Dates of birth in J1 segments.
        ["44"] total_dob_j1_segments: Count,
        /// Dates of birth in J2 segments.
        ["45"] total_dob_j2_segments: Count,
        /// Telephone numbers in base, J1 and J2 segments.
        ["46"] total_telephone_all_segments: Count,
        /// Reserved: blank-filled.
        ["47"] reserved_2: Filler<19, 135>,
    }
}

/// A consumer's identifying fields, wherever they sit (base, J1 or J2).
struct Consumer<'a> {
    ssn: &'a Ssn,
    dob: &'a DateValue,
    phone: &'a Telephone,
    ecoa: &'a Text<1>,
}

impl Consumer<'_> {
    fn has_ssn(&self, enc: Enc) -> bool {
        matches!(self.ssn.reading(enc), Some(v) if v != 0 && v != Ssn::MAX)
    }
    fn has_dob(&self, enc: Enc) -> bool {
        matches!(self.dob.reading(enc), Ok(Some(_)))
    }
    fn has_phone(&self, enc: Enc) -> bool {
        matches!(self.phone.reading(enc), Some(v) if v != 0)
    }
}

fn add(count: &mut Count, n: u64) {
    let sum = count.value().unwrap_or(0).saturating_add(n);
    *count = Num::Value(sum);
}

/// The trailer `file` should carry when written in `layout`: every total recomputed, reserved
/// areas blank.
pub(crate) fn expected_totals(file: &File, layout: &Layout) -> Trailer {
    let base_enc = file.layout.format.field_enc();
    let mut t = Trailer {
        block_count: Num::Value(crate::write::block_count(file, layout)),
        ..Trailer::default()
    };
    add(
        &mut t.total_base_records,
        u64::try_from(file.bases.len()).unwrap_or(u64::MAX),
    );
    for record in &file.bases {
        count_record(&mut t, record, base_enc);
    }
    t
}

fn count_record(t: &mut Trailer, record: &BaseRecord, base_enc: Enc) {
    let b = &record.base;
    if let Some(status) = AccountStatus::from_code(b.account_status.as_bytes()) {
        add(status_total(t, status), 1);
    }
    let base = Consumer {
        ssn: &b.social_security_number,
        dob: &b.date_of_birth,
        phone: &b.telephone_number,
        ecoa: &b.ecoa_code,
    };
    let j1s = record
        .j1
        .iter()
        .filter(|s| !s.is_placeholder())
        .map(|s| Consumer {
            ssn: &s.social_security_number,
            dob: &s.date_of_birth,
            phone: &s.telephone_number,
            ecoa: &s.ecoa_code,
        });
    let j2s = record
        .j2
        .iter()
        .filter(|s| !s.is_placeholder())
        .map(|s| Consumer {
            ssn: &s.social_security_number,
            dob: &s.date_of_birth,
            phone: &s.telephone_number,
            ecoa: &s.ecoa_code,
        });
    let mut tally = |c: &Consumer<'_>, enc: Enc, segment: Segment| {
        let (ssn, dob) = match segment {
            Segment::J1 => (&mut t.total_ssn_j1_segments, &mut t.total_dob_j1_segments),
            Segment::J2 => (&mut t.total_ssn_j2_segments, &mut t.total_dob_j2_segments),
            _ => (
                &mut t.total_ssn_base_segments,
                &mut t.total_dob_base_segments,
            ),
        };
        if c.has_ssn(enc) {
            add(ssn, 1);
            add(&mut t.total_ssn_all_segments, 1);
        }
        if c.has_dob(enc) {
            add(dob, 1);
            add(&mut t.total_dob_all_segments, 1);
        }
        if c.has_phone(enc) {
            add(&mut t.total_telephone_all_segments, 1);
        }
        if c.ecoa.is("Z") {
            add(&mut t.total_ecoa_code_z, 1);
        }
        match segment {
            Segment::J1 => add(&mut t.total_j1_segments, 1),
            Segment::J2 => add(&mut t.total_j2_segments, 1),
            _ => {}
        }
    };
    tally(&base, base_enc, Segment::Base);
    for c in j1s {
        tally(&c, Enc::Char, Segment::J1);
    }
    for c in j2s {
        tally(&c, Enc::Char, Segment::J2);
    }
    let present = |placeholder: Option<bool>| u64::from(placeholder == Some(false));
    add(
        &mut t.total_original_creditor_segments,
        present(record.k1.as_ref().map(|s| s.is_placeholder())),
    );
    add(
        &mut t.total_purchased_sold_segments,
        present(record.k2.as_ref().map(|s| s.is_placeholder())),
    );
    add(
        &mut t.total_mortgage_information_segments,
        present(record.k3.as_ref().map(|s| s.is_placeholder())),
    );
    add(
        &mut t.total_specialized_payment_segments,
        present(record.k4.as_ref().map(|s| s.is_placeholder())),
    );
    add(
        &mut t.total_change_segments,
        present(record.l1.as_ref().map(|s| s.is_placeholder())),
    );
    add(
        &mut t.total_employment_segments,
        present(record.n1.as_ref().map(|s| s.is_placeholder())),
    );
}

fn status_total(t: &mut Trailer, status: AccountStatus) -> &mut Count {
    match status {
        AccountStatus::Transferred => &mut t.total_status_code_05,
        AccountStatus::Current => &mut t.total_status_code_11,
        AccountStatus::PaidOrClosed => &mut t.total_status_code_13,
        AccountStatus::PaidWasVoluntarySurrender => &mut t.total_status_code_61,
        AccountStatus::PaidWasCollection => &mut t.total_status_code_62,
        AccountStatus::PaidWasRepossession => &mut t.total_status_code_63,
        AccountStatus::PaidWasChargeOff => &mut t.total_status_code_64,
        AccountStatus::PaidForeclosureStarted => &mut t.total_status_code_65,
        AccountStatus::PastDue30 => &mut t.total_status_code_71,
        AccountStatus::PastDue60 => &mut t.total_status_code_78,
        AccountStatus::PastDue90 => &mut t.total_status_code_80,
        AccountStatus::PastDue120 => &mut t.total_status_code_82,
        AccountStatus::PastDue150 => &mut t.total_status_code_83,
        AccountStatus::PastDue180 => &mut t.total_status_code_84,
        AccountStatus::GovernmentClaimFiled => &mut t.total_status_code_88,
        AccountStatus::DeedInLieu => &mut t.total_status_code_89,
        AccountStatus::Collection => &mut t.total_status_code_93,
        AccountStatus::ForeclosureCompleted => &mut t.total_status_code_94,
        AccountStatus::VoluntarySurrender => &mut t.total_status_code_95,
        AccountStatus::Repossession => &mut t.total_status_code_96,
        AccountStatus::ChargeOff => &mut t.total_status_code_97,
        AccountStatus::Delete => &mut t.total_status_code_da,
        AccountStatus::DeleteFraud => &mut t.total_status_code_df,
    }
}

/// Fills every total of `file`'s trailer from its data records, for the file's own layout.
/// Reserved areas are left as they are.
pub fn recompute_trailer(file: &mut File) {
    let expected = expected_totals(file, &file.layout);
    let reserved = std::mem::take(&mut file.trailer.reserved);
    let reserved_2 = std::mem::take(&mut file.trailer.reserved_2);
    file.trailer = Trailer {
        reserved,
        reserved_2,
        ..expected
    };
}
