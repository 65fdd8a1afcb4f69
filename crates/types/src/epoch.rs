//! Epochs: the stretches of blocks over which one validator set votes.
//!
//! Governance changes who may validate at any block; consensus sees the change only at an
//! epoch boundary. The state at the last block of epoch N holds the [`EpochRecord`] of epoch
//! N + 1: its first and last heights and its validators, each with its consensus key and
//! peer address. So every node, and every light client holding a proof of that record
//! against a certified header, derives the same next set from the same history.
//!
//! A validator's consensus key is its own key, apart from the key its institution signs
//! transactions with: re-keying the institution never touches consensus, and a consensus
//! key is rotated by governance ([`crate::governance::GovernanceAction::SetConsensusSeat`]),
//! taking effect at the next boundary.

use crate::{
    codec::BoundedVec,
    ids::{Height, InstitutionId},
    keys::PublicKey,
    limits::VALIDATORS_MAX,
};
use bytes::BufMut;
use commonware_codec::{Buf, Error};
use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    str::FromStr,
};

/// Where a validator listens for its peers: an IP address and port.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerAddress(pub SocketAddr);

impl fmt::Display for PeerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for PeerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerAddress({})", self.0)
    }
}

/// The text form's pattern: an IPv4 address and a port, each without leading zeros — the
/// form [`PeerAddress`]'s `Display` writes, and the only one its `FromStr` reads.
pub const PEER_ADDRESS_PATTERN: &str = "^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0)$";

impl FromStr for PeerAddress {
    type Err = String;
    /// Reads `a.b.c.d:port`, exactly as `Display` writes it. (The binary encoding holds IPv6
    /// too; the text form, and so the API and the network file, take IPv4 only for now.)
    fn from_str(text: &str) -> Result<Self, String> {
        let refused = || format!("{text:?} is not an IPv4 address and port (a.b.c.d:port)");
        let address = text.parse::<SocketAddr>().map_err(|_| refused())?;
        if !address.is_ipv4() || address.to_string() != text {
            return Err(refused());
        }
        Ok(Self(address))
    }
}

impl serde::Serialize for PeerAddress {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PeerAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for PeerAddress {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        use utoipa::openapi::{ObjectBuilder, Schema, Type, schema::SchemaType};
        utoipa::openapi::RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::String))
                .description(Some(
                    "Where a validator listens for its peers: an IPv4 address and a port, `a.b.c.d:port`.",
                ))
                .pattern(Some(PEER_ADDRESS_PATTERN))
                .build(),
        ))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for PeerAddress {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("PeerAddress")
    }
}

/// Tags of the address's encoding: the IP version, then its bytes, then the port.
const IPV4: u8 = 4;
const IPV6: u8 = 6;

impl crate::codec::Write for PeerAddress {
    fn write(&self, buf: &mut impl BufMut) {
        match self.0.ip() {
            IpAddr::V4(ip) => {
                buf.put_u8(IPV4);
                buf.put_slice(&ip.octets());
            }
            IpAddr::V6(ip) => {
                buf.put_u8(IPV6);
                buf.put_slice(&ip.octets());
            }
        }
        buf.put_u16(self.0.port());
    }
}

impl crate::codec::EncodeSize for PeerAddress {
    fn encode_size(&self) -> usize {
        let ip = match self.0.ip() {
            IpAddr::V4(_) => 4,
            IpAddr::V6(_) => 16,
        };
        1 + ip + 2
    }
}

impl crate::codec::Read for PeerAddress {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let tag = u8::read_cfg(buf, &())?;
        let ip = match tag {
            IPV4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::read_cfg(buf, &())?)),
            IPV6 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::read_cfg(buf, &())?)),
            other => return Err(Error::InvalidEnum(other)),
        };
        let port = u16::read_cfg(buf, &())?;
        Ok(Self(SocketAddr::new(ip, port)))
    }
}

/// A validator's seat in consensus: the key its votes are signed with (and its peers know it
/// by), and where its peers reach it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsensusSeat {
    /// Its consensus key: never an institution's transaction key, never used twice.
    pub key: PublicKey,
    /// Where it listens for its peers.
    pub address: PeerAddress,
}
crate::codec_struct!(ConsensusSeat { key, address });

/// One validator of an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochValidator {
    /// Its institution.
    pub institution: InstitutionId,
    /// Its seat: consensus key and peer address.
    pub seat: ConsensusSeat,
}
crate::codec_struct!(EpochValidator { institution, seat });

/// The validators, sorted by consensus key, at most [`VALIDATORS_MAX`].
pub type ValidatorList = BoundedVec<EpochValidator, VALIDATORS_MAX>;

/// An epoch: its heights and its validators. Written once, at the last block of the epoch
/// before (epoch 0's at genesis), and never changed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochRecord {
    /// Its number, from 0.
    pub epoch: u64,
    /// Its first height (0 for epoch 0: genesis belongs to it).
    pub first_height: Height,
    /// Its last height: the block whose state holds the next epoch's record.
    pub last_height: Height,
    /// Its validators, sorted by consensus key.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<EpochValidator>))]
    pub validators: ValidatorList,
}
crate::codec_struct!(EpochRecord {
    epoch,
    first_height,
    last_height,
    validators
});

impl EpochRecord {
    /// Whether `height` is in this epoch.
    pub fn contains(&self, height: Height) -> bool {
        self.first_height <= height && height <= self.last_height
    }

    /// The validators' consensus keys, sorted.
    pub fn keys(&self) -> Vec<PublicKey> {
        self.validators.iter().map(|v| v.seat.key).collect()
    }
}

/// Which epoch the chain is in, kept in [`crate::state::Meta`]: the executor ends the epoch
/// at its last height.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochCursor {
    /// The epoch the next block belongs to.
    pub number: u64,
    /// Its last height.
    pub last_height: Height,
}
crate::codec_struct!(EpochCursor {
    number,
    last_height
});

/// Who would validate if an epoch began now: every active institution with the validator
/// role and a seat, sorted by consensus key. Governance keeps it current; the boundary copies
/// it into the next [`EpochRecord`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Roster {
    /// The validators, sorted by consensus key.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<EpochValidator>))]
    pub validators: ValidatorList,
}
crate::codec_struct!(Roster { validators });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode, encode};

    #[test]
    fn peer_addresses_round_trip() {
        for text in ["127.0.0.1:9000", "10.1.2.3:65535", "0.0.0.0:0"] {
            let address: PeerAddress = text.parse().expect("an address");
            let bytes = encode(&address);
            assert_eq!(bytes.len(), crate::codec::EncodeSize::encode_size(&address));
            assert_eq!(decode::<PeerAddress>(&bytes).expect("decodes"), address);
            let json = serde_json::to_string(&address).expect("serialises");
            assert_eq!(
                serde_json::from_str::<PeerAddress>(&json).expect("parses"),
                address
            );
        }
        // The binary form holds IPv6 too.
        let six = PeerAddress(SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 443));
        assert_eq!(decode::<PeerAddress>(&encode(&six)).expect("decodes"), six);
    }

    proptest::proptest! {
        /// The documented pattern admits only what `FromStr` reads, so a request valid by the
        /// API document is never refused.
        #[test]
        fn every_address_the_pattern_admits_is_read(
            text in proptest::string::string_regex(
                PEER_ADDRESS_PATTERN.trim_start_matches('^').trim_end_matches('$'),
            )
            .unwrap()
        ) {
            proptest::prop_assert!(text.parse::<PeerAddress>().is_ok(), "{}", text);
        }
    }

    #[test]
    fn only_the_documented_text_form_is_read() {
        assert!(decode::<PeerAddress>(&[5, 1, 2, 3, 4, 0, 80]).is_err());
        assert!(decode::<PeerAddress>(&[4, 1, 2, 3]).is_err());
        for text in [
            "bank-a:9000",
            "[::1]:443",
            "10.0.0.1:080",
            "10.0.0.1:65536",
            "10.0.0.01:80",
            "10.0.0.1",
        ] {
            assert!(text.parse::<PeerAddress>().is_err(), "{text}");
        }
    }
}
