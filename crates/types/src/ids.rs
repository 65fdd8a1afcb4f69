//! Identifiers. Each kind of object has its own newtype so that a record id can never be
//! passed where a consent id is expected.
//!
//! Objects created by transactions get sequential ids from counters in ledger state, so
//! they are small, dense and the same on every node. Subjects are the exception: their id is
//! a pseudonym derived from the key they registered with (see [`SubjectId::from_key`]).

use crate::{hash::Digest, keys::PublicKey};
use std::fmt;

macro_rules! sequential_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
        )]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The id after this one.
            pub fn next(self) -> Option<Self> {
                self.0.checked_add(1).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}-{}", $prefix, self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                let digits = text
                    .strip_prefix(concat!($prefix, "-"))
                    .unwrap_or(text);
                digits
                    .parse()
                    .map(Self)
                    .map_err(|_| format!("expected {}-<number>", $prefix))
            }
        }

        impl $crate::codec::Write for $name {
            fn write(&self, buf: &mut impl ::bytes::BufMut) {
                self.0.write(buf);
            }
        }
        impl $crate::codec::EncodeSize for $name {
            fn encode_size(&self) -> usize {
                8
            }
        }
        impl $crate::codec::Read for $name {
            type Cfg = ();
            fn read_cfg(
                buf: &mut impl ::commonware_codec::Buf,
                _: &(),
            ) -> Result<Self, ::commonware_codec::Error> {
                u64::read_cfg(buf, &()).map(Self)
            }
        }
    };
}

sequential_id!(
    /// A member institution (bank, lender, registrar, regulator).
    InstitutionId, "inst"
);
sequential_id!(
    /// A credit record furnished about a subject.
    RecordId, "rec"
);
sequential_id!(
    /// A consent a subject granted to a lender.
    ConsentId, "con"
);
sequential_id!(
    /// An inquiry (a read of a subject's file) recorded on the ledger.
    InquiryId, "inq"
);
sequential_id!(
    /// A dispute a subject opened against a record.
    DisputeId, "dsp"
);
sequential_id!(
    /// A governance proposal.
    ProposalId, "gov"
);
sequential_id!(
    /// A block height: the number of blocks before this one, genesis being height 0.
    Height, "h"
);
sequential_id!(
    /// A kind of asset a registrar attests.
    AssetClassId, "cls"
);
sequential_id!(
    /// A unique asset.
    AssetId, "ast"
);
sequential_id!(
    /// A currency issued on the ledger.
    CurrencyId, "cur"
);
sequential_id!(
    /// A loan contract.
    LoanId, "loan"
);

/// A subject's pseudonym on the ledger: a hash of the signing key it registered with.
/// It says nothing about the person or company behind it.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubjectId(pub [u8; 32]);
crate::byte_array_newtype!(SubjectId, 32);

impl SubjectId {
    /// The pseudonym of a subject that registers with `key`.
    pub fn from_key(key: &PublicKey) -> Self {
        Self(Digest::of(crate::hash::DOMAIN_SUBJECT, &[&key.0]).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse() {
        assert_eq!(RecordId(42).to_string(), "rec-42");
        assert_eq!("rec-42".parse::<RecordId>().unwrap(), RecordId(42));
        assert_eq!("42".parse::<RecordId>().unwrap(), RecordId(42));
        assert!("con-42".parse::<RecordId>().is_err());
        assert_eq!(RecordId(u64::MAX).next(), None);
    }
}
