//! Money and rates: integers only.
//!
//! Amounts are minor units (cents, fen) of a named asset; rates are basis points. There is
//! no floating point anywhere in ledger state, and every division names its rounding.

use std::fmt;

/// An amount of some asset in its minor units (e.g. cents). Arithmetic is checked: an
/// overflow is an error for the caller to reject, never a wrap.
#[derive(
    Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Amount(pub u64);

impl Amount {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self - other`, or `None` when `other` is larger.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// `self × bps / 10_000`, rounded down (toward zero), or `None` on overflow.
    pub fn times_bps_floor(self, bps: BasisPoints) -> Option<Self> {
        let product = u128::from(self.0) * u128::from(bps.0);
        u64::try_from(product / 10_000).ok().map(Self)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A rate or ratio in basis points: 1 bp = 0.01%, 10_000 bp = 100%.
#[derive(
    Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct BasisPoints(pub u32);

impl BasisPoints {
    /// 100%.
    pub const ONE: Self = Self(10_000);
}

impl fmt::Debug for BasisPoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}bp", self.0)
    }
}

crate::codec_struct!(Amount { 0 });
crate::codec_struct!(BasisPoints { 0 });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basis_points_round_down() {
        assert_eq!(
            Amount(10_001).times_bps_floor(BasisPoints(5_000)),
            Some(Amount(5_000))
        );
        assert_eq!(
            Amount(u64::MAX).times_bps_floor(BasisPoints::ONE),
            Some(Amount(u64::MAX))
        );
        assert_eq!(Amount(u64::MAX).times_bps_floor(BasisPoints(20_000)), None);
        assert_eq!(Amount(1).checked_sub(Amount(2)), None);
    }
}
