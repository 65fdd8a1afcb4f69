//! No input panics the reader, and whatever it accepts it writes back unchanged.
//!
//! This is the property twin of the fuzz target CI runs on `credence_metro2::read`: random
//! bytes, random bytes behind a plausible header, and random mutations of valid files in every
//! layout (byte flips, insertions, deletions, truncation). For every input the reader accepts,
//! writing gives back the input, validation completes, and the JSON form carries the model.
#![allow(clippy::unwrap_used)]

use credence_metro2::{Layout, Separator, generate, read, write};
use proptest::prelude::*;

fn layout(which: u8) -> Layout {
    match which % 5 {
        0 => Layout::character_fixed(),
        1 => Layout::character_lines(Separator::Lf),
        2 => Layout::character_lines(Separator::CrLf),
        3 => Layout::character_variable_blocked(),
        _ => Layout::packed(),
    }
}

/// The checks every input gets: the contract of both fuzz targets (no panic, and an accepted
/// input survives the round trip), as `credence_metro2::fuzzing` states it.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    credence_metro2::fuzzing::file(bytes);
    credence_metro2::fuzzing::record(bytes);
    Ok(())
}

#[derive(Clone, Debug)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => any::<usize>().prop_map(Mutation::Remove),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match *m {
        Mutation::Set(i, b) if !bytes.is_empty() => {
            let i = at(i, bytes.len());
            bytes[i] = b;
        }
        Mutation::Insert(i, b) => {
            let i = at(i, bytes.len() + 1);
            bytes.insert(i, b);
        }
        Mutation::Remove(i) if !bytes.is_empty() => {
            let i = at(i, bytes.len());
            bytes.remove(i);
        }
        Mutation::Truncate(i) => {
            let i = at(i, bytes.len() + 1);
            bytes.truncate(i);
        }
        Mutation::Set(..) | Mutation::Remove(_) => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..1_500)) {
        check(&bytes)?;
    }

    #[test]
    fn random_bytes_behind_a_header_never_panic_the_reader(
        prefix in prop_oneof![Just(&b"0426HEADER"[..]), Just(&b"04300426HEADER"[..]), Just(&[1u8, 0x72, 0, 0, 1, 0x6e, 0, 0, b'H', b'E', b'A', b'D', b'E', b'R'][..])],
        tail in proptest::collection::vec(any::<u8>(), 0..2_000),
    ) {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&tail);
        check(&bytes)?;
    }

    #[test]
    fn mutated_records_never_panic_the_record_reader(
        seed in any::<u64>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let file = generate::file(1, seed, Layout::character_fixed());
        let mut bytes = credence_metro2::write_record(&file.bases[0]).unwrap();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        check(&bytes)?;
    }

    #[test]
    fn mutated_valid_files_never_panic_the_reader(
        seed in any::<u64>(),
        accounts in 0usize..4,
        which in any::<u8>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let file = generate::file(accounts, seed, layout(which));
        let mut bytes = write(&file).unwrap();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        check(&bytes)?;
    }

    #[test]
    fn a_mutated_field_byte_is_read_and_kept(
        seed in any::<u64>(),
        which in any::<u8>(),
        position in any::<usize>(),
        value in any::<u8>(),
    ) {
        // Mutations inside the fields (not the framing) must always read: field content is
        // never a read error.
        let layout = layout(which);
        let file = generate::file(2, seed, layout.clone());
        let mut bytes = write(&file).unwrap();
        let header_end = match layout.blocking {
            credence_metro2::Blocking::Blocked(_) => 8 + 6,
            credence_metro2::Blocking::Unblocked { .. } => 4 + 6,
        };
        let i = header_end + position % (layout.format.record_len() - header_end);
        bytes[i] = value;
        prop_assert!(read(&bytes).is_ok(), "a header field byte made the file unreadable");
        check(&bytes)?;
    }
}
