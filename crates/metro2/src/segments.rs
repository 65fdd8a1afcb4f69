//! The appended segments J1, J2, K1, K2, K3, K4, L1 and N1.
//!
//! Owns one struct per segment. Appended segments are always characters, even in a packed
//! file, so their widths never change. The two-character segment identifier is a constant the
//! reader dispatches on and the writer writes; it is not stored.
//!
//! Invariant: within a data record the segments follow the order of [`SEGMENT_ORDER`]; J1 and
//! J2 may repeat, the others appear at most once. The reader refuses any other arrangement, so
//! a file it accepts is written back unchanged.

use crate::codec::{Segment, segment};
use crate::text::Text;
use crate::value::{Amount, DateValue, Num, Ssn, Telephone};

/// Segment identifiers in the order a data record must carry them.
pub const SEGMENT_ORDER: [(Segment, &[u8; 2]); 8] = [
    (Segment::J1, b"J1"),
    (Segment::J2, b"J2"),
    (Segment::K1, b"K1"),
    (Segment::K2, b"K2"),
    (Segment::K3, b"K3"),
    (Segment::K4, b"K4"),
    (Segment::L1, b"L1"),
    (Segment::N1, b"N1"),
];

segment! {
    /// J1: an associated consumer who lives at the primary consumer's address (100 bytes).
    pub struct J1 (Segment::J1) {
        /// Reserved: blank-filled.
        ["2"] reserved: Text<1>,
        /// Surname.
        ["3"] surname: Text<25>,
        /// First name.
        ["4"] first_name: Text<20>,
        /// Middle name or initial.
        ["5"] middle_name: Text<20>,
        /// Generation code (J, S, 2–9).
        ["6"] generation_code: Text<1>,
        /// Social Security Number.
        ["7"] social_security_number: Ssn,
        /// Date of birth.
        ["8"] date_of_birth: DateValue,
        /// Telephone number.
        ["9"] telephone_number: Telephone,
        /// ECOA code: the consumer's relationship to the account.
        ["10"] ecoa_code: Text<1>,
        /// Consumer information indicator (bankruptcy and the like).
        ["11"] consumer_information_indicator: Text<2>,
        /// Reserved: blank-filled.
        ["12"] reserved_2: Text<1>,
    }
}

segment! {
    /// J2: an associated consumer at a different address (200 bytes).
    pub struct J2 (Segment::J2) {
        /// Reserved: blank-filled.
        ["2"] reserved: Text<1>,
        /// Surname.
        ["3"] surname: Text<25>,
        /// First name.
        ["4"] first_name: Text<20>,
        /// Middle name or initial.
        ["5"] middle_name: Text<20>,
        /// Generation code (J, S, 2–9).
        ["6"] generation_code: Text<1>,
        /// Social Security Number.
        ["7"] social_security_number: Ssn,
        /// Date of birth.
        ["8"] date_of_birth: DateValue,
        /// Telephone number.
        ["9"] telephone_number: Telephone,
        /// ECOA code.
        ["10"] ecoa_code: Text<1>,
        /// Consumer information indicator.
        ["11"] consumer_information_indicator: Text<2>,
        /// Country code.
        ["12"] country_code: Text<2>,
        /// First line of address.
        ["13"] first_line_of_address: Text<32>,
        /// Second line of address.
        ["14"] second_line_of_address: Text<32>,
        /// City.
        ["15"] city: Text<20>,
        /// State (postal abbreviation).
        ["16"] state: Text<2>,
        /// Postal/ZIP code.
        ["17"] postal_code: Text<9>,
        /// Address indicator.
        ["18"] address_indicator: Text<1>,
        /// Residence code (O owns, R rents).
        ["19"] residence_code: Text<1>,
        /// Reserved: blank-filled.
        ["20"] reserved_2: Text<2>,
    }
}

segment! {
    /// K1: the original creditor (34 bytes).
    pub struct K1 (Segment::K1) {
        /// Original creditor name.
        ["2"] original_creditor_name: Text<30>,
        /// Creditor classification code (01–15).
        ["3"] creditor_classification: Num<2>,
    }
}

segment! {
    /// K2: the company the account was purchased from or sold to (34 bytes).
    pub struct K2 (Segment::K2) {
        /// 1 purchased from, 2 sold to, 9 remove previously reported K2.
        ["2"] purchased_or_sold_indicator: Num<1>,
        /// Name of the company.
        ["3"] purchased_or_sold_name: Text<30>,
        /// Reserved: blank-filled.
        ["4"] reserved: Text<1>,
    }
}

segment! {
    /// K3: mortgage information (40 bytes).
    pub struct K3 (Segment::K3) {
        /// Agency identifier: 00 none, 01 Fannie Mae, 02 Freddie Mac.
        ["2"] agency_identifier: Num<2>,
        /// Account number the agency assigned.
        ["3"] account_number: Text<18>,
        /// Mortgage Identification Number (MERS).
        ["4"] mortgage_identification_number: Text<18>,
    }
}

segment! {
    /// K4: specialized payment information, deferred or balloon (30 bytes).
    pub struct K4 (Segment::K4) {
        /// 01 balloon payment, 02 deferred payment.
        ["2"] specialized_payment_indicator: Num<2>,
        /// First payment date of a deferred loan.
        ["3"] deferred_payment_start_date: DateValue,
        /// Due date of the balloon payment.
        ["4"] balloon_payment_due_date: DateValue,
        /// Balloon payment amount, whole dollars.
        ["5"] balloon_payment_amount: Amount,
        /// Reserved: blank-filled.
        ["6"] reserved: Text<1>,
    }
}

segment! {
    /// L1: a new consumer account number and/or identification number (54 bytes).
    pub struct L1 (Segment::L1) {
        /// 1 account number changed, 2 identification number changed, 3 both.
        ["2"] change_indicator: Num<1>,
        /// The new consumer account number.
        ["3"] new_consumer_account_number: Text<30>,
        /// The new identification number.
        ["4"] new_identification_number: Text<20>,
        /// Reserved: blank-filled.
        ["5"] reserved: Text<1>,
    }
}

segment! {
    /// N1: the primary consumer's employer (146 bytes).
    pub struct N1 (Segment::N1) {
        /// Employer name.
        ["2"] employer_name: Text<30>,
        /// First line of the employer's address.
        ["3"] first_line_of_employer_address: Text<32>,
        /// Second line of the employer's address.
        ["4"] second_line_of_employer_address: Text<32>,
        /// Employer city.
        ["5"] employer_city: Text<20>,
        /// Employer state.
        ["6"] employer_state: Text<2>,
        /// Employer postal/ZIP code.
        ["7"] employer_postal_code: Text<9>,
        /// Occupation.
        ["8"] occupation: Text<18>,
        /// Reserved: blank-filled.
        ["9"] reserved: Text<1>,
    }
}
