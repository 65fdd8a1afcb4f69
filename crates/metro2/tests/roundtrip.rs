//! Generated files of every segment type round-trip byte for byte in every layout, and
//! conversion between character, packed and JSON keeps the typed model.
#![allow(clippy::unwrap_used)]

use credence_metro2::{
    Blocking, Blocks, Descriptors, File, Format, Layout, Separator, generate, read, validate,
    write, write_as,
};
use proptest::prelude::*;

fn layouts() -> Vec<Layout> {
    let mut blocked_binary = Layout::character_variable_blocked();
    blocked_binary.descriptors = Descriptors::Binary;
    let mut filled = Layout::character_variable_blocked();
    filled.blocking = Blocking::Blocked(Blocks::Fill {
        max_block_len: 9_999,
    });
    let mut packed_filled = Layout::packed();
    packed_filled.blocking = Blocking::Blocked(Blocks::Fill {
        max_block_len: 32_760,
    });
    vec![
        Layout::character_fixed(),
        Layout::character_lines(Separator::Lf),
        Layout::character_lines(Separator::CrLf),
        Layout {
            blocking: Blocking::Unblocked {
                separator: Separator::Lf,
                final_separator: false,
            },
            ..Layout::character_fixed()
        },
        Layout::character_variable_blocked(),
        blocked_binary,
        filled,
        Layout::packed(),
        packed_filled,
    ]
}

/// True when two files hold the same records; the layout is left out because a file written
/// with a filling block policy reads back with that policy's outcome spelled out.
fn same_records(a: &File, b: &File) -> bool {
    a.header == b.header
        && a.header_framing == b.header_framing
        && a.bases == b.bases
        && a.trailer == b.trailer
        && a.trailer_framing == b.trailer_framing
}

/// Reads `bytes`, writes the result back and checks nothing changed.
fn assert_round_trip(bytes: &[u8]) -> File {
    let file = read(bytes).expect("a written file reads back");
    let again = write(&file).expect("a read file writes back");
    assert!(
        again == bytes,
        "round trip changed the bytes (layout {:?})",
        file.layout
    );
    file
}

#[test]
fn every_layout_round_trips_a_file_with_every_segment_type() {
    for layout in layouts() {
        let file = generate::file(25, 1, layout.clone());
        let first = &file.bases[0];
        assert!(first.j1.len() == 2 && first.j2.len() == 1);
        assert!(first.k1.is_some() && first.k2.is_some() && first.k3.is_some());
        assert!(first.k4.is_some() && first.l1.is_some() && first.n1.is_some());
        let bytes = write(&file).unwrap();
        let back = assert_round_trip(&bytes);
        assert!(same_records(&back, &file), "{layout:?}");
        assert_eq!(back.layout.format, layout.format);
        assert_eq!(back.layout.descriptors, layout.descriptors);
        assert!(
            validate(&back).is_empty(),
            "{layout:?}: {:#?}",
            validate(&back)
        );
    }
}

#[test]
fn a_generated_character_record_has_the_published_shape() {
    let file = generate::file(1, 3, Layout::character_lines(Separator::Lf));
    let bytes = write(&file).unwrap();
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    assert_eq!(
        lines.len(),
        4,
        "header, one data record, trailer, empty tail"
    );
    assert_eq!(&lines[0][..10], b"0426HEADER");
    // Base 426 + J1 100 ×2 + J2 200 + K1 34 + K2 34 + K3 40 + K4 30 + L1 54 + N1 146.
    assert_eq!(lines[1].len(), 1164);
    assert_eq!(&lines[1][..5], b"11641");
    assert_eq!(&lines[1][426..428], b"J1");
    assert_eq!(&lines[1][526..528], b"J1");
    assert_eq!(&lines[1][626..628], b"J2");
    assert_eq!(&lines[1][826..828], b"K1");
    assert_eq!(&lines[1][860..862], b"K2");
    assert_eq!(&lines[1][894..896], b"K3");
    assert_eq!(&lines[1][934..936], b"K4");
    assert_eq!(&lines[1][964..966], b"L1");
    assert_eq!(&lines[1][1018..1020], b"N1");
    assert_eq!(&lines[2][..11], b"0426TRAILER");
    assert_eq!(&lines[2][11..20], b"000000001");
}

#[test]
fn a_generated_packed_record_has_the_published_shape() {
    let file = generate::file(1, 3, Layout::packed());
    let bytes = write(&file).unwrap();
    // Header block: BDW 370, RDW 366, both binary.
    assert_eq!(&bytes[..8], &[0x01, 0x72, 0, 0, 0x01, 0x6e, 0, 0]);
    assert_eq!(&bytes[8..14], b"HEADER");
    // Data block: BDW 1108, RDW 1104 (366 + 738 of segments).
    let data = &bytes[370..];
    assert_eq!(&data[..8], &[0x04, 0x54, 0, 0, 0x04, 0x50, 0, 0]);
    // Date opened sits at packed positions 70–74 (0-based 69 after the RDW).
    let opened = file.bases[0].base.date_opened.value().unwrap();
    let packed = &data[4 + 69..4 + 74];
    let digits: String = packed.iter().map(|b| format!("{b:02x}")).collect();
    let want = format!(
        "0{:02}{:02}{:04}f",
        opened.month(),
        opened.day(),
        opened.year()
    );
    assert_eq!(digits, want);
    assert_eq!(&data[4 + 366..4 + 368], b"J1");
}

#[test]
fn character_packed_and_json_forms_carry_the_same_model() {
    let original = generate::file(40, 11, Layout::character_fixed());
    let packed_bytes = write_as(&original, &Layout::packed()).unwrap();
    let packed = read(&packed_bytes).unwrap();
    assert_eq!(packed.layout.format, Format::Packed);
    assert_eq!(packed.header, original.header);
    assert_eq!(packed.bases, original.bases);
    assert_eq!(packed.trailer, original.trailer);

    let json = serde_json::to_string(&packed).unwrap();
    let from_json: File = serde_json::from_str(&json).unwrap();
    assert_eq!(from_json, packed);
    assert_eq!(write(&from_json).unwrap(), packed_bytes);

    let character_bytes = write_as(&from_json, &Layout::character_fixed()).unwrap();
    assert_eq!(character_bytes, write(&original).unwrap());
}

#[test]
fn the_json_form_uses_snake_case_names_and_plain_values() {
    let file = generate::file(1, 5, Layout::character_fixed());
    let json: serde_json::Value = serde_json::to_value(&file).unwrap();
    let base = &json["bases"][0]["base"];
    assert_eq!(base["processing_indicator"], "1");
    assert!(base["current_balance"].is_u64());
    assert!(base["date_opened"].as_str().unwrap().len() == 10);
    assert_eq!(json["layout"]["format"], "character");
    assert!(json["bases"][0]["j1"].is_array());
    assert!(json["bases"][0].get("framing").is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generated_files_round_trip_in_every_layout(
        seed in any::<u64>(),
        accounts in 0usize..30,
        which in 0usize..9,
    ) {
        let layout = layouts()[which].clone();
        let file = generate::file(accounts, seed, layout);
        let bytes = write(&file).unwrap();
        let back = read(&bytes).unwrap();
        prop_assert!(same_records(&back, &file));
        prop_assert!(write(&back).unwrap() == bytes);
        prop_assert!(validate(&back).is_empty(), "{:#?}", validate(&back));
    }

    #[test]
    fn conversion_keeps_the_typed_model(seed in any::<u64>(), accounts in 0usize..20) {
        let file = generate::file(accounts, seed, Layout::character_fixed());
        for layout in layouts() {
            let bytes = write_as(&file, &layout).unwrap();
            let back = read(&bytes).unwrap();
            prop_assert_eq!(&back.header, &file.header);
            prop_assert_eq!(&back.bases, &file.bases);
            prop_assert_eq!(&back.trailer.total_base_records, &file.trailer.total_base_records);
        }
    }
}

#[test]
fn json_with_only_some_fields_fills_the_rest_and_refuses_unknown_names() {
    let json = r#"{
        "header": {"activity_date": "2024-05-31", "reporter_name": "ACME"},
        "bases": [{"base": {"surname": "SMITH", "current_balance": 1200, "date_closed": null}}],
        "trailer": {}
    }"#;
    let mut file: File = serde_json::from_str(json).unwrap();
    credence_metro2::recompute_trailer(&mut file);
    let bytes = write(&file).unwrap();
    assert_eq!(bytes.len(), 3 * 426);
    assert_eq!(&bytes[426 + 154..426 + 163], b"000001200");
    assert_eq!(&bytes[426 + 197..426 + 205], b"00000000");
    assert_eq!(read(&bytes).unwrap(), file);
    let unknown = r#"{"header": {"colour": "RED"}, "bases": [], "trailer": {}}"#;
    assert!(serde_json::from_str::<File>(unknown).is_err());
    let too_wide = r#"{"header": {"cycle_identifier": "123"}, "bases": [], "trailer": {}}"#;
    assert!(serde_json::from_str::<File>(too_wide).is_err());
}

#[test]
fn a_record_on_its_own_round_trips_and_matches_its_place_in_a_file() {
    let file = generate::file(30, 5, Layout::character_fixed());
    let bytes = write(&file).unwrap();
    let mut at = 426; // after the header
    for record in &file.bases {
        let alone = credence_metro2::write_record(record).unwrap();
        assert_eq!(
            alone,
            bytes[at..at + alone.len()],
            "the same bytes as in the file"
        );
        assert_eq!(&credence_metro2::read_record(&alone).unwrap(), record);
        at += alone.len();
    }
    // A packed file's records are written on their own in the character format.
    let packed = read(&write_as(&file, &Layout::packed()).unwrap()).unwrap();
    for (record, original) in packed.bases.iter().zip(&file.bases) {
        let alone = credence_metro2::write_record(record).unwrap();
        assert_eq!(
            credence_metro2::read_record(&alone).unwrap().base,
            original.base
        );
    }
}

#[test]
fn a_record_on_its_own_refuses_a_wrong_length_or_a_header() {
    let file = generate::file(1, 9, Layout::character_fixed());
    let alone = credence_metro2::write_record(&file.bases[0]).unwrap();
    assert!(credence_metro2::read_record(&alone[..alone.len() - 1]).is_err());
    assert!(credence_metro2::read_record(&[]).is_err());
    let header = write(&file).unwrap()[..426].to_vec();
    assert!(credence_metro2::read_record(&header).is_err());
}
