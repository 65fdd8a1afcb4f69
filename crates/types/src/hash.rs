//! SHA-256 digests with domain separation.
//!
//! Every hash in Credence names its purpose (`credence/tx`, `credence/subject`, …) so a
//! digest made for one use can never be mistaken for another.

use sha2::{Digest as _, Sha256};

/// A SHA-256 digest.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; 32]);
crate::byte_array_newtype!(Digest, 32);

impl Digest {
    /// Hashes `parts` under `domain`: `SHA-256(len(domain) || domain || parts...)`.
    pub fn of(domain: &str, parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        let domain_len = u8::try_from(domain.len()).expect("domain names must be short");
        hasher.update([domain_len]);
        hasher.update(domain.as_bytes());
        for part in parts {
            hasher.update(part);
        }
        Self(hasher.finalize().into())
    }
}

/// Domain of transaction hashes.
pub const DOMAIN_TRANSACTION: &str = "credence/tx";
/// Domain of subject pseudonyms derived from a subject's first signing key.
pub const DOMAIN_SUBJECT: &str = "credence/subject";
/// Domain of block hashes.
pub const DOMAIN_BLOCK: &str = "credence/block";
/// Domain of genesis hashes.
pub const DOMAIN_GENESIS: &str = "credence/genesis";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_separate_digests() {
        assert_ne!(Digest::of("a", &[b"bc"]), Digest::of("ab", &[b"c"]));
        assert_eq!(Digest::of("a", &[b"b", b"c"]), Digest::of("a", &[b"bc"]));
    }
}
