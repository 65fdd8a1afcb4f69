//! Decompressed public keys, kept so that a signer seen before costs one point decompression
//! a signature (its `R`) instead of two.
//!
//! Verifying an Ed25519 signature decompresses two curve points: the signer's key and the
//! signature's `R`. Decompression is a field exponentiation (the key's alone was about 4%
//! of a validator's CPU in `mixed`, against about 35% for all of verification), and signers
//! repeat: a furnisher signs thousands of transactions a block, and a validator verifies
//! each of them. So a validator keeps the keys it has decompressed.
//!
//! The cache is bounded: two generations of at most `capacity` keys each. A key found in the
//! older generation moves to the younger; when the younger is full, the older is dropped and
//! the younger takes its place. A flood of fresh keys (anyone can make them) can only push
//! keys out, which costs their decompression again; it never grows memory past twice the
//! capacity and never changes a verdict, since a cached key is the decoding of the same 32
//! bytes. The maps are keyed with a randomly seeded hash, so chosen keys cannot make lookups
//! slow, and nothing ever iterates them.

use commonware_codec::{Copying, DecodeExt as _};
use commonware_cryptography::ed25519;
use credence_types::PublicKey;
use std::{
    collections::{BTreeMap, HashMap},
    num::NonZeroUsize,
    sync::{Mutex, PoisonError},
};

/// Public keys already decompressed, shared by every verification of a node.
#[derive(Debug)]
pub struct KeyCache {
    capacity: usize,
    generations: Mutex<Generations>,
}

#[derive(Debug, Default)]
struct Generations {
    young: HashMap<[u8; 32], ed25519::PublicKey>,
    old: HashMap<[u8; 32], ed25519::PublicKey>,
}

impl Generations {
    /// The key decoded from `key`, if held; one found in the older generation moves to the
    /// younger.
    fn get(&mut self, capacity: usize, key: &[u8; 32]) -> Option<ed25519::PublicKey> {
        if let Some(found) = self.young.get(key) {
            return Some(found.clone());
        }
        let found = self.old.remove(key)?;
        self.insert(capacity, *key, found.clone());
        Some(found)
    }

    fn insert(&mut self, capacity: usize, key: [u8; 32], decoded: ed25519::PublicKey) {
        if self.young.len() >= capacity {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, decoded);
    }
}

impl KeyCache {
    /// A cache of at most `capacity` keys a generation (two generations).
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self {
            capacity: capacity.get(),
            generations: Mutex::default(),
        }
    }

    /// How many keys it holds now (both generations).
    pub fn len(&self) -> usize {
        let generations = self.lock();
        generations.young.len() + generations.old.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // The maps hold no invariant a panicking holder could break half-way.
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Each of `keys` decoded (`None` for bytes that are not a point), from the cache where it
    /// is there. Decompression happens outside the lock, so concurrent verifications only
    /// wait for lookups.
    pub fn decode(&self, keys: &[&PublicKey]) -> Vec<Option<ed25519::PublicKey>> {
        let mut decoded: Vec<Option<ed25519::PublicKey>> = {
            let mut generations = self.lock();
            keys.iter()
                .map(|key| generations.get(self.capacity, &key.0))
                .collect()
        };
        // A batch's misses, each decompressed once however often its signer appears.
        let mut fresh: BTreeMap<[u8; 32], Option<ed25519::PublicKey>> = BTreeMap::new();
        for (slot, key) in decoded.iter_mut().zip(keys) {
            if slot.is_none() {
                *slot = fresh
                    .entry(key.0)
                    .or_insert_with(|| ed25519::PublicKey::decode(Copying(&key.0[..])).ok())
                    .clone();
            }
        }
        if !fresh.is_empty() {
            let mut generations = self.lock();
            for (key, found) in fresh {
                if let Some(found) = found {
                    generations.insert(self.capacity, key, found);
                }
            }
        }
        decoded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    fn key(n: u8) -> PublicKey {
        SigningKey::from_seed(&[n; 32]).public_key()
    }

    #[test]
    fn a_cached_key_is_the_key_its_bytes_decode_to() {
        let cache = KeyCache::new(NonZeroUsize::new(4).unwrap());
        let keys = [key(1), key(2), key(1)];
        let refs: Vec<&PublicKey> = keys.iter().collect();
        for _ in 0..3 {
            let decoded = cache.decode(&refs);
            for (decoded, key) in decoded.iter().zip(&keys) {
                let direct = ed25519::PublicKey::decode(Copying(&key.0[..])).unwrap();
                assert_eq!(decoded.as_ref(), Some(&direct));
            }
        }
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn bytes_that_are_no_point_are_never_cached() {
        let cache = KeyCache::new(NonZeroUsize::new(4).unwrap());
        // y = 2 is not the y-coordinate of a curve point.
        let mut bytes = [0u8; 32];
        bytes[0] = 2;
        let not_a_point = PublicKey(bytes);
        assert!(ed25519::PublicKey::decode(Copying(&bytes[..])).is_err());
        assert_eq!(cache.decode(&[&not_a_point]), vec![None]);
        assert!(cache.is_empty());
    }

    #[test]
    fn a_flood_of_fresh_keys_never_grows_it_past_two_generations() {
        let cache = KeyCache::new(NonZeroUsize::new(8).unwrap());
        let regular = key(0);
        for n in 1..=100u8 {
            let fresh = key(n);
            let decoded = cache.decode(&[&regular, &fresh]);
            assert!(decoded.iter().all(Option::is_some));
            assert!(cache.len() <= 16, "{} keys held", cache.len());
        }
        // A key looked up as often as it is here stays in.
        assert!(cache.lock().young.contains_key(&regular.0));
    }
}
