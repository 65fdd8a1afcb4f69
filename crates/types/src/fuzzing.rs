//! Fuzz entry points: the contract of each decoder of untrusted bytes in this crate, one
//! function per decoder, which panics when the contract is broken.
//!
//! The cargo-fuzz targets in `fuzz/` and the proptest twins in `tests/decoding_fuzz.rs` call
//! these same functions, so CI (stable toolchain, no cargo-fuzz) checks on every run the
//! properties the fuzzer explores for hours. Built only with the `fuzzing` feature: nothing
//! here is part of a node.
//!
//! The contract of every decoder: it never panics, whatever the bytes; and a value that
//! decodes re-encodes to exactly its input, so every value has one encoding and a hash of
//! the bytes is a hash of the value.

use crate::{
    Block, SignedTransaction,
    codec::{EncodeSize, Write, decode, encode},
    keys::Signature,
    transaction::Transaction,
};

/// Panics unless `value` encodes to exactly `bytes`, and its declared size is that length.
pub fn assert_canonical<T: Write + EncodeSize>(value: &T, bytes: &[u8]) {
    let encoded = encode(value);
    assert_eq!(
        value.encode_size(),
        encoded.len(),
        "the encoded size of a {} must be its encoding's length",
        std::any::type_name::<T>()
    );
    assert!(
        encoded == bytes,
        "a decoded {} must re-encode to its input: {} bytes in, {} bytes out",
        std::any::type_name::<T>(),
        bytes.len(),
        encoded.len()
    );
}

/// A signed transaction, as a client or a peer sends it: decoding never panics; what decodes
/// re-encodes to the input; the signed part is the input without its signature and decodes
/// alone to the same transaction. Returns the transaction, if the bytes are one.
pub fn transaction(bytes: &[u8]) -> Option<SignedTransaction> {
    let signed = decode::<SignedTransaction>(bytes).ok()?;
    assert_canonical(&signed, bytes);
    let signing = signed.transaction.signing_bytes();
    assert_eq!(
        signing.len() + Signature::default().encode_size(),
        bytes.len(),
        "a signed transaction is its signing bytes and a signature"
    );
    assert!(
        bytes.starts_with(&signing),
        "the signature must cover the transaction exactly as it was received"
    );
    assert_eq!(
        decode::<Transaction>(&signing).ok().as_ref(),
        Some(&signed.transaction),
        "the signing bytes must decode alone to the transaction"
    );
    Some(signed)
}

/// A block, by the format's own bounds: decoding never panics; what decodes re-encodes to
/// the input, and so does each of its transactions; its header's commitment to them can be
/// checked. Returns the block, if the bytes are one.
pub fn block(bytes: &[u8]) -> Option<Block> {
    let block = decode::<Block>(bytes).ok()?;
    assert_canonical(&block, bytes);
    let hashes: Vec<_> = block
        .transactions
        .iter()
        .map(|signed| {
            let encoded = encode(signed);
            assert!(
                transaction(&encoded).is_some(),
                "a block's transaction must decode on its own"
            );
            signed.hash()
        })
        .collect();
    let _ = block.commits_to(&hashes);
    let _ = block.header.digest();
    Some(block)
}

/// The repository's `fuzz/` directory: the targets, their seed corpus and regressions.
pub fn fuzz_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files under `fuzz/<part>` (as `corpus/proof`), by name; none if it does not exist.
/// Panics on an unreadable file: the corpus is part of the repository.
pub fn fuzz_files(part: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(part)) else {
        return std::collections::BTreeMap::new();
    };
    entries
        .map(|entry| {
            let entry = entry.expect("the fuzz corpus is readable");
            let name = entry
                .file_name()
                .into_string()
                .expect("corpus file names are UTF-8");
            (
                name,
                std::fs::read(entry.path()).expect("the fuzz corpus is readable"),
            )
        })
        .collect()
}

/// `seed` changed by a few of the edits a fuzzer makes (bit flips, byte overwrites with
/// boundary values, truncations, removals, insertions, duplications, and a splice with
/// `other`), chosen by `entropy`: for the proptest twins of the fuzz targets, which start
/// from the seed corpus as the fuzzer does.
pub fn mutate(seed: &[u8], other: &[u8], entropy: u64) -> Vec<u8> {
    let mut rng = SplitMix(entropy);
    let mut bytes = seed.to_vec();
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        let at = rng.below(bytes.len() + 1);
        match rng.below(8) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 if at < bytes.len() => {
                const BOUNDARIES: [u8; 6] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
                bytes[at] = BOUNDARIES[rng.below(BOUNDARIES.len())];
            }
            2 if at < bytes.len() => bytes[at] = rng.byte(),
            3 => bytes.truncate(at),
            4 => {
                let end = at.saturating_add(1 + rng.below(16)).min(bytes.len());
                bytes.drain(at..end);
            }
            5 => {
                let inserted: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.byte()).collect();
                bytes.splice(at..at, inserted);
            }
            6 => {
                let end = at.saturating_add(1 + rng.below(64)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(end..end, copy);
            }
            _ => {
                let from = rng.below(other.len() + 1);
                bytes.truncate(at);
                bytes.extend_from_slice(&other[from..]);
            }
        }
    }
    bytes
}

/// SplitMix64: a tiny deterministic generator, so a twin's failure replays from its inputs.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        usize::try_from(self.next().checked_rem(n).unwrap_or(0)).unwrap_or(0)
    }

    fn byte(&mut self) -> u8 {
        self.next().to_be_bytes()[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_deterministic_and_change_the_seed() {
        let seed: Vec<u8> = (0..=255).collect();
        let other = vec![0xaa; 32];
        assert_eq!(mutate(&seed, &other, 7), mutate(&seed, &other, 7));
        let changed = (0..100)
            .filter(|entropy| mutate(&seed, &other, *entropy) != seed)
            .count();
        assert!(changed > 90, "{changed} of 100 mutations changed the seed");
        assert!(mutate(&[], &[], 3).len() <= 64);
    }
}
