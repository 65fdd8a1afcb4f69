//! Asset identity commitments: what the ledger knows of a real asset's public identifier
//! (a VIN, a parcel number, a hull number).
//!
//! The ledger refuses a second registration of the same commitment, so the commitment must
//! be the same whichever registrar computes it; and it must not be reversible by anyone
//! holding a list of public identifiers, or a pseudonym's car would be a lookup away. A plain
//! hash satisfies the first and fails the second. The commitment is therefore an
//! HMAC-SHA256 of the normalised identifier under an *identity secret*: 32 random bytes the
//! registrars of one kind of asset (every class that denotes vehicles, say) share
//! off-ledger, and nobody else holds. Uniqueness holds across all classes: a car registered
//! as a "vehicle" and again as a "car" by registrars sharing the secret is refused.

use crate::keyfile::{
    KeyFileError, decode_secret, malformed, read_private_json, write_private_json,
};
use credence_types::Digest;
use hmac::{KeyInit as _, Mac as _};
use std::path::Path;
use zeroize::Zeroizing;

/// The label the identifier is bound under, so no other HMAC under the same secret collides.
const DOMAIN: &[u8] = b"credence/asset-identity";

/// The secret the registrars of one kind of asset share.
#[derive(Clone)]
pub struct IdentitySecret(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for IdentitySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentitySecret(..)")
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDisk {
    asset_identity_secret: String,
}

impl IdentitySecret {
    /// A fresh secret from the operating system's randomness.
    pub fn generate() -> Self {
        Self(crate::random_bytes())
    }

    /// The secret from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Writes the secret to a new file, readable by its owner only; never overwrites.
    pub fn write(&self, path: &Path) -> Result<(), KeyFileError> {
        let on_disk = OnDisk {
            asset_identity_secret: hex::encode(self.0.as_ref()),
        };
        write_private_json(path, &on_disk)
    }

    /// Reads a secret file, refusing one that others can read.
    pub fn read(path: &Path) -> Result<Self, KeyFileError> {
        let on_disk: OnDisk = read_private_json(path)?;
        let secret = decode_secret(&on_disk.asset_identity_secret)
            .map_err(|reason| malformed(path, reason))?;
        Ok(Self(secret))
    }

    /// The commitment to `identifier`: HMAC-SHA256 under this secret of the domain label,
    /// its length, and the identifier normalised (surrounding whitespace trimmed, ASCII
    /// letters upper-cased), so ` 1hgcm82633a004352` and `1HGCM82633A004352` are one car.
    pub fn commit(&self, identifier: &str) -> Digest {
        let normalised = identifier.trim().to_ascii_uppercase();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.0.as_ref())
            .expect("HMAC takes a key of any length");
        mac.update(DOMAIN);
        mac.update(&(normalised.len() as u64).to_be_bytes());
        mac.update(normalised.as_bytes());
        Digest(mac.finalize().into_bytes().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrars_sharing_the_secret_agree_and_outsiders_cannot_recompute() {
        let shared = IdentitySecret::from_bytes([7; 32]);
        let vin = "1HGCM82633A004352";
        assert_eq!(
            shared.commit(vin),
            shared.clone().commit(" 1hgcm82633a004352\n")
        );
        assert_ne!(shared.commit(vin), shared.commit("1HGCM82633A004353"));
        // Without the secret, neither a plain hash nor another secret finds the car.
        assert_ne!(shared.commit(vin), Digest::of("vin", &[vin.as_bytes()]));
        assert_ne!(
            shared.commit(vin),
            IdentitySecret::from_bytes([8; 32]).commit(vin)
        );
    }

    #[test]
    fn the_secret_file_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vehicles.secret");
        let secret = IdentitySecret::generate();
        secret.write(&path).unwrap();
        let read = IdentitySecret::read(&path).unwrap();
        assert_eq!(read.commit("x"), secret.commit("x"));
        assert!(secret.write(&path).is_err(), "never overwritten");
        assert!(!format!("{read:?}").contains(&hex::encode(secret.0.as_ref())));
    }
}
