//! `recompute_trailer` counts what the CRRG trailer definitions count, and the writer refuses
//! what a layout cannot carry instead of truncating it.
#![allow(clippy::unwrap_used)]

use credence_metro2::{
    Blocking, Blocks, DateField, FieldProblem, Format, J1, Layout, Num, Raw, Segment, WriteError,
    generate, read, recompute_trailer, validate, write, write_as,
};

#[test]
fn recompute_trailer_counts_segments_ssns_births_phones_and_ecoa_z() {
    let mut file = generate::file(1, 77, Layout::character_fixed());
    let record = &mut file.bases[0];
    // One real J1, one placeholder J1 (blank-filled: not counted).
    record.j1.truncate(1);
    record.j1.push(J1::default());
    assert!(record.j1[1].is_placeholder());
    let j1 = &mut record.j1[0];
    j1.social_security_number = Num::Value(999_999_999); // 9-filled: not counted
    j1.date_of_birth = DateField::Zero; // zero-filled: not counted
    j1.telephone_number = Num::Value(5_175_550_100);
    j1.ecoa_code = "Z".parse().unwrap();
    let base = &mut record.base;
    base.social_security_number = Num::Value(123_456_789);
    base.telephone_number = Num::Value(0);
    base.ecoa_code = "1".parse().unwrap();
    base.account_status = "71".parse().unwrap();
    base.payment_rating = credence_metro2::Text::BLANK;
    let j2 = &mut record.j2[0];
    j2.social_security_number = Num::Value(223_456_789);
    j2.ecoa_code = "2".parse().unwrap();
    recompute_trailer(&mut file);

    let t = &file.trailer;
    let n = |c: &Num<9>| c.value().unwrap();
    assert_eq!(n(&t.total_base_records), 1);
    assert_eq!(n(&t.block_count), 3, "header, one data record, trailer");
    assert_eq!(n(&t.total_status_code_71), 1);
    assert_eq!(n(&t.total_j1_segments), 1);
    assert_eq!(n(&t.total_j2_segments), 1);
    assert_eq!(n(&t.total_original_creditor_segments), 1);
    assert_eq!(n(&t.total_purchased_sold_segments), 1);
    assert_eq!(n(&t.total_mortgage_information_segments), 1);
    assert_eq!(n(&t.total_specialized_payment_segments), 1);
    assert_eq!(n(&t.total_change_segments), 1);
    assert_eq!(n(&t.total_employment_segments), 1);
    assert_eq!(n(&t.total_ecoa_code_z), 1);
    assert_eq!(
        (n(&t.total_ssn_base_segments), n(&t.total_ssn_j1_segments)),
        (1, 0)
    );
    assert_eq!(
        (n(&t.total_ssn_j2_segments), n(&t.total_ssn_all_segments)),
        (1, 2)
    );
    assert_eq!(
        (n(&t.total_dob_j1_segments), n(&t.total_dob_base_segments)),
        (0, 1)
    );
    assert_eq!(n(&t.total_telephone_all_segments), 1);
    assert!(validate(&file).is_empty(), "{:#?}", validate(&file));

    // The placeholder is kept on the round trip.
    let back = read(&write(&file).unwrap()).unwrap();
    assert_eq!(back.bases[0].j1.len(), 2);
}

#[test]
fn the_block_count_follows_the_blocking_policy() {
    let mut file = generate::file(5, 3, Layout::character_variable_blocked());
    file.layout.blocking = Blocking::Blocked(Blocks::Fill {
        max_block_len: 2_000,
    });
    recompute_trailer(&mut file);
    let blocks = file.trailer.block_count.value().unwrap();
    let bytes = write(&file).unwrap();
    let back = read(&bytes).unwrap();
    let Blocking::Blocked(Blocks::Explicit(counts)) = &back.layout.blocking else {
        panic!("several records share blocks: {:?}", back.layout.blocking);
    };
    assert_eq!(u64::try_from(counts.len()).unwrap(), blocks);
    assert!(validate(&back).is_empty());
}

#[test]
fn a_number_wider_than_its_field_is_a_write_error() {
    let mut file = generate::file(1, 3, Layout::character_fixed());
    file.bases[0].base.current_balance = Num::Value(1_000_000_000);
    let err = write(&file).unwrap_err();
    assert_eq!(
        err,
        WriteError::Field {
            record: 2,
            segment: Segment::Base,
            field: "current_balance",
            problem: FieldProblem::ValueTooWide,
        }
    );
}

#[test]
fn an_unreadable_packed_field_cannot_be_converted_to_characters() {
    let mut file = generate::file(1, 3, Layout::packed());
    file.bases[0].base.amount_past_due = Num::Raw(Raw::new(&[0xAB; 5]).unwrap());
    let bytes = write(&file).unwrap();
    assert_eq!(read(&bytes).unwrap().bases, file.bases);
    let err = write_as(&file, &Layout::character_fixed()).unwrap_err();
    assert!(matches!(
        err,
        WriteError::Field {
            record: 2,
            field: "amount_past_due",
            problem: FieldProblem::Unconvertible,
            ..
        }
    ));
}

#[test]
fn a_packed_field_signed_c_is_kept_and_converts_through_its_value() {
    let mut file = generate::file(1, 3, Layout::packed());
    // 1234 signed C: valid packed decimal, but not the F this crate writes.
    file.bases[0].base.current_balance =
        Num::Raw(Raw::new(&[0x00, 0x00, 0x01, 0x23, 0x4C]).unwrap());
    let bytes = write(&file).unwrap();
    let back = read(&bytes).unwrap();
    assert_eq!(
        back.bases[0].base.current_balance.value_in(Format::Packed),
        Some(1234)
    );
    assert!(
        validate(&back)
            .for_field(2, "current_balance")
            .next()
            .is_none()
    );
    let character = read(&write_as(&back, &Layout::character_fixed()).unwrap()).unwrap();
    assert_eq!(character.bases[0].base.current_balance, Num::Value(1234));
}

#[test]
fn explicit_blocks_refuse_a_file_whose_record_count_changed() {
    let file = generate::file(3, 3, Layout::character_variable_blocked());
    let mut layout = file.layout.clone();
    layout.blocking = Blocking::Blocked(Blocks::Explicit(vec![2, 3]));
    let mut back = read(&write_as(&file, &layout).unwrap()).unwrap();
    assert_eq!(back.layout, layout);
    back.bases.push(back.bases[0].clone());
    assert_eq!(
        write(&back).unwrap_err(),
        WriteError::BlockCountsMismatch {
            listed: 5,
            records: 6
        }
    );
}
