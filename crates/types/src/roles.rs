//! What a member institution may do on the ledger.

use std::fmt;

/// One role an institution can hold.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Votes in consensus.
    Validator,
    /// Reports credit records about its customers.
    Furnisher,
    /// Asks subjects for consent, reads reports, originates loans.
    Lender,
    /// Attests that on-ledger assets correspond to real ones, and values them.
    Registrar,
    /// Supervises the network; reads through the escrowed audit key, and is logged doing so.
    Regulator,
}

impl Role {
    /// Every role, in bit order.
    pub const ALL: [Role; 5] = [
        Role::Validator,
        Role::Furnisher,
        Role::Lender,
        Role::Registrar,
        Role::Regulator,
    ];

    const fn bit(self) -> u8 {
        match self {
            Role::Validator => 1,
            Role::Furnisher => 1 << 1,
            Role::Lender => 1 << 2,
            Role::Registrar => 1 << 3,
            Role::Regulator => 1 << 4,
        }
    }

    /// The role's name as written in configuration and rejection messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Validator => "validator",
            Role::Furnisher => "furnisher",
            Role::Lender => "lender",
            Role::Registrar => "registrar",
            Role::Regulator => "regulator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of roles, encoded as one byte of flags.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Roles(u8);

impl Roles {
    const VALID_BITS: u8 = 0b1_1111;

    /// The set holding `roles`.
    pub fn of(roles: &[Role]) -> Self {
        Self(roles.iter().fold(0, |bits, role| bits | role.bit()))
    }

    /// Whether the set holds `role`.
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles in the set, in bit order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |role| self.has(*role))
    }
}

impl fmt::Debug for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl serde::Serialize for Roles {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for Roles {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let roles = Vec::<Role>::deserialize(d)?;
        Ok(Self::of(&roles))
    }
}

impl crate::codec::Write for Roles {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        buf.put_u8(self.0);
    }
}

impl crate::codec::EncodeSize for Roles {
    fn encode_size(&self) -> usize {
        1
    }
}

impl crate::codec::Read for Roles {
    type Cfg = ();
    fn read_cfg(
        buf: &mut impl commonware_codec::Buf,
        _: &(),
    ) -> Result<Self, commonware_codec::Error> {
        let bits = u8::read_cfg(buf, &())?;
        if bits & !Self::VALID_BITS != 0 {
            return Err(commonware_codec::Error::Invalid(
                "Roles",
                "unknown role bit",
            ));
        }
        Ok(Self(bits))
    }
}
