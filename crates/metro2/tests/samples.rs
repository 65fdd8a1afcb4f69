//! Public sample files (see `tests/data/README.md` for their origin and licences).
//!
//! They come from other implementations, so they also pin where this crate and those
//! implementations read the format differently.
#![allow(clippy::unwrap_used)]

use credence_metro2::{
    Blocking, Descriptors, Format, ReadErrorKind, Rule, Segment, Separator, read, validate, write,
};

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn moov_fixed_sample_reads_round_trips_and_reports_its_field_problems() {
    let bytes = sample("moov_unpacked_fixed_file.dat");
    let file = read(&bytes).unwrap();
    assert_eq!(file.layout.format, Format::Character);
    assert_eq!(file.layout.descriptors, Descriptors::Ascii);
    assert_eq!(
        file.layout.blocking,
        Blocking::Unblocked {
            separator: Separator::None,
            final_separator: false
        }
    );
    // Fixed-length reporting: the header is padded to 470 bytes, the data record to 1000.
    assert_eq!(file.header_framing.padding, 44);
    assert_eq!(file.bases.len(), 1);
    let record = &file.bases[0];
    assert_eq!(record.framing.padding, 34);
    assert_eq!((record.j1.len(), record.j2.len()), (1, 1));
    assert!(record.k3.is_some() && record.l1.is_some() && record.n1.is_some());
    assert_eq!(record.base.surname.to_string(), "SMITH-JONES");
    assert_eq!(record.base.current_balance.value(), Some(2233));
    assert_eq!(write(&file).unwrap(), bytes);

    let report = validate(&file);
    let has = |field: &str, rule: Rule| {
        report
            .errors
            .iter()
            .any(|e| e.record == 2 && e.field == field && e.rule == rule)
    };
    // Mixed-case address lines, a mortgage portfolio for a collection account type (48 is
    // Open), and status 62 (paid, was a collection) without its payment rating.
    assert!(has("first_line_of_address", Rule::LowercaseAlpha));
    assert!(has("portfolio_type", Rule::PortfolioTypeMismatch));
    assert!(has("payment_rating", Rule::PaymentRatingMissing));
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.segment == Segment::N1 && e.rule == Rule::LowercaseAlpha)
    );
    assert!(
        !report
            .errors
            .iter()
            .any(|e| e.rule == Rule::TrailerTotalMismatch),
        "{report:#?}"
    );
}

#[test]
fn moov_packed_sample_is_refused_at_its_trailer_which_has_no_block_descriptor() {
    // moov-io writes every packed record in a block of its own except the trailer, which
    // follows with a bare RDW. A variable-blocked file needs a BDW before every block.
    let err = read(&sample("moov_packed_file.dat")).unwrap_err();
    assert_eq!((err.record, err.offset), (3, 1382));
    assert!(matches!(err.kind, ReadErrorKind::InvalidDescriptor { .. }));
}

#[test]
fn moov_variable_sample_is_refused_where_its_block_overruns_its_header() {
    // Its BDW announces 496 bytes around a 426-byte header and 66 blanks.
    let err = read(&sample("moov_unpacked_variable_file.dat")).unwrap_err();
    assert_eq!((err.record, err.offset), (2, 430));
    assert_eq!(err.kind.code(), "invalid_descriptor");
}

#[test]
fn cfpb_sample_is_refused_at_its_first_segment_out_of_order() {
    // The third data record appends L1 before J2; Metro 2 fixes the order J1 … N1.
    let err = read(&sample("cfpb_m2_file_small.txt")).unwrap_err();
    assert_eq!((err.record, err.offset), (4, 2029));
    assert_eq!(
        err.kind,
        ReadErrorKind::SegmentOutOfOrder { id: "J2".into() }
    );
}
