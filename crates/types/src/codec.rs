//! The canonical encoding: `commonware-codec`, with every length bounded by the type.
//!
//! Every type in this crate decodes with `Cfg = ()`: the bound of each variable-length
//! field lives in its type ([`BoundedBytes<MAX>`], [`BoundedVec<T, MAX>`], [`Name<MAX>`]),
//! so no caller can forget a limit and two callers cannot disagree about one. Integers are
//! fixed-width big-endian, lengths are canonical varints, booleans are 0 or 1, and enums are
//! a one-byte tag followed by the variant's fields. Decoding rejects anything else,
//! including trailing bytes, so every value has exactly one encoding.

use bytes::{Buf as _, BufMut};
use commonware_codec::{Buf, Copying, Decode, Error, RangeCfg};
pub use commonware_codec::{Encode, EncodeSize, Read, Write};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A value could not be decoded from bytes.
#[derive(Debug, thiserror::Error)]
#[error("malformed {what}: {source}")]
pub struct DecodeError {
    /// The type that was being decoded.
    pub what: &'static str,
    /// What the decoder found wrong.
    #[source]
    pub source: Error,
}

/// Decodes a whole value from `bytes`, rejecting trailing bytes.
pub fn decode<T: Read<Cfg = ()>>(bytes: &[u8]) -> Result<T, DecodeError> {
    T::decode_cfg(Copying(bytes), &()).map_err(|source| DecodeError {
        what: std::any::type_name::<T>(),
        source,
    })
}

/// Encodes a value into its canonical bytes.
pub fn encode<T: Write + EncodeSize>(value: &T) -> Vec<u8> {
    value.encode().to_vec()
}

/// Implements the codec for a struct whose fields all decode with `Cfg = ()`, in field order.
#[macro_export]
macro_rules! codec_struct {
    ($name:ident { $($field:tt),* $(,)? }) => {
        impl $crate::codec::Write for $name {
            fn write(&self, _buf: &mut impl $crate::__private::bytes::BufMut) {
                $( $crate::codec::Write::write(&self.$field, _buf); )*
            }
        }
        impl $crate::codec::EncodeSize for $name {
            fn encode_size(&self) -> usize {
                0 $( + $crate::codec::EncodeSize::encode_size(&self.$field) )*
            }
        }
        impl $crate::codec::Read for $name {
            type Cfg = ();
            fn read_cfg(
                _buf: &mut impl $crate::__private::commonware_codec::Buf,
                _: &(),
            ) -> Result<Self, $crate::__private::commonware_codec::Error> {
                Ok(Self { $( $field: $crate::codec::Read::read_cfg(_buf, &())?, )* })
            }
        }
    };
}

/// Implements the codec for an enum whose variants each hold at most one field, tagged by a
/// one-byte code. Tags are part of the format: never reuse or renumber one.
#[macro_export]
macro_rules! codec_enum {
    ($name:ident { $($tag:literal => $variant:ident $(($inner:ty))?),* $(,)? }) => {
        impl $crate::codec::Write for $name {
            fn write(&self, buf: &mut impl $crate::__private::bytes::BufMut) {
                match self {
                    $( $crate::codec_enum!(@pat $name $variant inner $($inner)?) => {
                        $crate::__private::bytes::BufMut::put_u8(buf, $tag);
                        $crate::codec_enum!(@write buf inner $($inner)?);
                    } )*
                }
            }
        }
        impl $crate::codec::EncodeSize for $name {
            fn encode_size(&self) -> usize {
                match self {
                    $( $crate::codec_enum!(@pat $name $variant inner $($inner)?) => {
                        1 + $crate::codec_enum!(@size inner $($inner)?)
                    } )*
                }
            }
        }
        impl $crate::codec::Read for $name {
            type Cfg = ();
            fn read_cfg(
                buf: &mut impl $crate::__private::commonware_codec::Buf,
                _: &(),
            ) -> Result<Self, $crate::__private::commonware_codec::Error> {
                let tag = <u8 as $crate::codec::Read>::read_cfg(buf, &())?;
                match tag {
                    $( $tag => Ok($crate::codec_enum!(@read buf $name $variant $($inner)?)), )*
                    other => Err($crate::__private::commonware_codec::Error::InvalidEnum(other)),
                }
            }
        }
    };
    (@pat $name:ident $variant:ident $bind:ident $inner:ty) => { $name::$variant($bind) };
    (@pat $name:ident $variant:ident $bind:ident) => { $name::$variant };
    (@write $buf:ident $bind:ident $inner:ty) => { $crate::codec::Write::write($bind, $buf) };
    (@write $buf:ident $bind:ident) => { () };
    (@size $bind:ident $inner:ty) => { $crate::codec::EncodeSize::encode_size($bind) };
    (@size $bind:ident) => { 0 };
    (@read $buf:ident $name:ident $variant:ident $inner:ty) => {
        $name::$variant(<$inner as $crate::codec::Read>::read_cfg($buf, &())?)
    };
    (@read $buf:ident $name:ident $variant:ident) => { $name::$variant };
}

/// Implements the codec for an enum of struct-like variants, tagged by a one-byte code, each
/// variant's fields written in the order listed. Tags are part of the format.
#[macro_export]
macro_rules! codec_tagged {
    ($name:ident { $($tag:literal => $variant:ident { $($field:ident),* $(,)? }),* $(,)? }) => {
        impl $crate::codec::Write for $name {
            fn write(&self, buf: &mut impl $crate::__private::bytes::BufMut) {
                match self {
                    $( $name::$variant { $($field),* } => {
                        $crate::__private::bytes::BufMut::put_u8(buf, $tag);
                        $( $crate::codec::Write::write($field, buf); )*
                    } )*
                }
            }
        }
        impl $crate::codec::EncodeSize for $name {
            fn encode_size(&self) -> usize {
                match self {
                    $( $name::$variant { $($field),* } => {
                        1 $( + $crate::codec::EncodeSize::encode_size($field) )*
                    } )*
                }
            }
        }
        impl $crate::codec::Read for $name {
            type Cfg = ();
            fn read_cfg(
                buf: &mut impl $crate::__private::commonware_codec::Buf,
                _: &(),
            ) -> Result<Self, $crate::__private::commonware_codec::Error> {
                let tag = <u8 as $crate::codec::Read>::read_cfg(buf, &())?;
                match tag {
                    $( $tag => Ok($name::$variant {
                        $( $field: $crate::codec::Read::read_cfg(buf, &())?, )*
                    }), )*
                    other => Err($crate::__private::commonware_codec::Error::InvalidEnum(other)),
                }
            }
        }
    };
}

/// Bytes whose length is at most `MAX`, checked before any allocation.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BoundedBytes<const MAX: usize>(Vec<u8>);

impl<const MAX: usize> BoundedBytes<MAX> {
    /// Wraps `bytes`, or returns `None` when they exceed `MAX`.
    pub fn new(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() <= MAX).then_some(Self(bytes))
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Unwraps the bytes.
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

impl<const MAX: usize> fmt::Debug for BoundedBytes<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes", self.0.len())
    }
}

impl<const MAX: usize> Write for BoundedBytes<MAX> {
    fn write(&self, buf: &mut impl BufMut) {
        self.0.len().write(buf);
        buf.put_slice(&self.0);
    }
}

impl<const MAX: usize> EncodeSize for BoundedBytes<MAX> {
    fn encode_size(&self) -> usize {
        self.0.len().encode_size() + self.0.len()
    }
}

impl<const MAX: usize> Read for BoundedBytes<MAX> {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let len = usize::read_cfg(buf, &RangeCfg::new(0..=MAX))?;
        if buf.remaining() < len {
            return Err(Error::EndOfBuffer);
        }
        let mut bytes = vec![0u8; len];
        buf.copy_to_slice(&mut bytes);
        Ok(Self(bytes))
    }
}

impl<const MAX: usize> Serialize for BoundedBytes<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for BoundedBytes<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(text).map_err(serde::de::Error::custom)?;
        Self::new(bytes).ok_or_else(|| serde::de::Error::custom(format!("longer than {MAX} bytes")))
    }
}

/// A list of at most `MAX` items, checked before any allocation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<T>", into = "Vec<T>")]
pub struct BoundedVec<T: Clone, const MAX: usize>(Vec<T>);

impl<T: Clone, const MAX: usize> BoundedVec<T, MAX> {
    /// Wraps `items`, or returns `None` when there are more than `MAX`.
    pub fn new(items: Vec<T>) -> Option<Self> {
        (items.len() <= MAX).then_some(Self(items))
    }

    /// An empty list.
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    /// The items.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// Iterates over the items.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends an item, or returns it back when the list is full.
    pub fn push(&mut self, item: T) -> Result<(), T> {
        if self.0.len() >= MAX {
            return Err(item);
        }
        self.0.push(item);
        Ok(())
    }

    /// Unwraps the items.
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

impl<T: Clone, const MAX: usize> Default for BoundedVec<T, MAX> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<T: Clone, const MAX: usize> TryFrom<Vec<T>> for BoundedVec<T, MAX> {
    type Error = String;
    fn try_from(items: Vec<T>) -> Result<Self, String> {
        let len = items.len();
        Self::new(items).ok_or_else(|| format!("{len} items, at most {MAX} allowed"))
    }
}

impl<T: Clone, const MAX: usize> From<BoundedVec<T, MAX>> for Vec<T> {
    fn from(list: BoundedVec<T, MAX>) -> Self {
        list.0
    }
}

impl<'a, T: Clone, const MAX: usize> IntoIterator for &'a BoundedVec<T, MAX> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Clone + Write, const MAX: usize> Write for BoundedVec<T, MAX> {
    fn write(&self, buf: &mut impl BufMut) {
        self.0.len().write(buf);
        for item in &self.0 {
            item.write(buf);
        }
    }
}

impl<T: Clone + EncodeSize, const MAX: usize> EncodeSize for BoundedVec<T, MAX> {
    fn encode_size(&self) -> usize {
        self.0.len().encode_size() + self.0.iter().map(EncodeSize::encode_size).sum::<usize>()
    }
}

impl<T: Clone + Read<Cfg = ()>, const MAX: usize> Read for BoundedVec<T, MAX> {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let len = usize::read_cfg(buf, &RangeCfg::new(0..=MAX))?;
        // Each item takes at least one byte, so a length beyond what remains is malformed;
        // checking first keeps the allocation proportional to the input.
        if len > buf.remaining() {
            return Err(Error::EndOfBuffer);
        }
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(T::read_cfg(buf, &())?);
        }
        Ok(Self(items))
    }
}

/// A short machine name: 1 to `MAX` bytes of lowercase ASCII letters, digits and `-`,
/// starting with a letter. Used for chain ids, institution handles and asset symbols, which
/// appear in logs and URLs and so must carry no personal data and need no escaping.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name<const MAX: usize>(String);

impl<const MAX: usize> Name<MAX> {
    /// Validates `text` as a name.
    pub fn new(text: &str) -> Result<Self, String> {
        let valid_chars = text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let starts_with_letter = text.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
        if text.is_empty() || text.len() > MAX {
            return Err(format!("name must be 1 to {MAX} bytes long"));
        }
        if !valid_chars || !starts_with_letter {
            return Err("name must start with a letter and hold only a-z, 0-9 and '-'".to_string());
        }
        Ok(Self(text.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for Name<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> fmt::Debug for Name<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl<const MAX: usize> Write for Name<MAX> {
    fn write(&self, buf: &mut impl BufMut) {
        self.0.len().write(buf);
        buf.put_slice(self.0.as_bytes());
    }
}

impl<const MAX: usize> EncodeSize for Name<MAX> {
    fn encode_size(&self) -> usize {
        self.0.len().encode_size() + self.0.len()
    }
}

impl<const MAX: usize> Read for Name<MAX> {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let len = usize::read_cfg(buf, &RangeCfg::new(1..=MAX))?;
        if buf.remaining() < len {
            return Err(Error::EndOfBuffer);
        }
        let mut bytes = vec![0u8; len];
        buf.copy_to_slice(&mut bytes);
        let text = String::from_utf8(bytes).map_err(|_| Error::Invalid("Name", "not UTF-8"))?;
        Self::new(&text).map_err(|_| Error::Invalid("Name", "not a valid name"))
    }
}

impl<const MAX: usize> Serialize for Name<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Name<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Free text of at most `MAX` bytes of UTF-8 without control characters. Only ever stored
/// inside sealed payloads: cleartext state holds no free text.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    /// Validates `text`.
    pub fn new(text: &str) -> Result<Self, String> {
        if text.len() > MAX {
            return Err(format!("text must be at most {MAX} bytes"));
        }
        if text.chars().any(char::is_control) {
            return Err("text must not hold control characters".to_string());
        }
        Ok(Self(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Debug for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Text lives only in sealed payloads and may be personal: never print it.
        write!(f, "Text({} bytes)", self.0.len())
    }
}

impl<const MAX: usize> Write for Text<MAX> {
    fn write(&self, buf: &mut impl BufMut) {
        self.0.len().write(buf);
        buf.put_slice(self.0.as_bytes());
    }
}

impl<const MAX: usize> EncodeSize for Text<MAX> {
    fn encode_size(&self) -> usize {
        self.0.len().encode_size() + self.0.len()
    }
}

impl<const MAX: usize> Read for Text<MAX> {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let bytes = BoundedBytes::<MAX>::read_cfg(buf, &())?.into_inner();
        let text = String::from_utf8(bytes).map_err(|_| Error::Invalid("Text", "not UTF-8"))?;
        Self::new(&text).map_err(|_| Error::Invalid("Text", "control characters"))
    }
}

impl<const MAX: usize> Serialize for Text<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Implements codec, `Debug`, `Display` (hex), serde (hex string) and `FromStr` for a
/// newtype over `[u8; N]`.
#[macro_export]
macro_rules! byte_array_newtype {
    ($name:ident, $len:literal) => {
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                $crate::openapi::hex_string(stringify!($name), $len)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $crate::codec::Write for $name {
            fn write(&self, buf: &mut impl $crate::__private::bytes::BufMut) {
                $crate::__private::bytes::BufMut::put_slice(buf, &self.0);
            }
        }
        impl $crate::codec::EncodeSize for $name {
            fn encode_size(&self) -> usize {
                $len
            }
        }
        impl $crate::codec::Read for $name {
            type Cfg = ();
            fn read_cfg(
                buf: &mut impl $crate::__private::commonware_codec::Buf,
                _: &(),
            ) -> Result<Self, $crate::__private::commonware_codec::Error> {
                if $crate::__private::bytes::Buf::remaining(buf) < $len {
                    return Err($crate::__private::commonware_codec::Error::EndOfBuffer);
                }
                let mut bytes = [0u8; $len];
                $crate::__private::bytes::Buf::copy_to_slice(buf, &mut bytes);
                Ok(Self(bytes))
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&$crate::__private::hex::encode(self.0))
            }
        }
        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(
                    f,
                    "{}({})",
                    stringify!($name),
                    $crate::__private::hex::encode(self.0)
                )
            }
        }
        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                let bytes = $crate::__private::hex::decode(text).map_err(|e| e.to_string())?;
                let array: [u8; $len] = bytes
                    .try_into()
                    .map_err(|_| format!("expected {} hex-encoded bytes", $len))?;
                Ok(Self(array))
            }
        }
        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> Result<S::Ok, S::Error> {
                s.serialize_str(&$crate::__private::hex::encode(self.0))
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Self, D::Error> {
                let text = <String as $crate::__private::serde::Deserialize>::deserialize(d)?;
                text.parse()
                    .map_err($crate::__private::serde::de::Error::custom)
            }
        }
        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_bytes_rejects_over_limit_length_before_allocating() {
        // A length prefix of 2^31 with no data behind it must fail fast.
        let mut bytes = Vec::new();
        (1usize << 31).write(&mut bytes);
        assert!(decode::<BoundedBytes<16>>(&bytes).is_err());
    }

    #[test]
    fn bounded_vec_rejects_more_items_than_bytes() {
        let mut bytes = Vec::new();
        8usize.write(&mut bytes);
        bytes.extend_from_slice(&[1, 2, 3]);
        assert!(decode::<BoundedVec<u8, 100>>(&bytes).is_err());
    }

    #[test]
    fn names_are_validated_on_decode() {
        let good = Name::<8>::new("bank-a").unwrap();
        assert_eq!(decode::<Name<8>>(&encode(&good)).unwrap(), good);
        for bad in ["", "Bank", "9bank", "bank a", "toolongname"] {
            assert!(Name::<8>::new(bad).is_err(), "{bad:?}");
        }
        // A name that validates at 16 bytes must not decode where 8 are allowed.
        let long = Name::<16>::new("a-long-name").unwrap();
        assert!(decode::<Name<8>>(&encode(&long)).is_err());
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut bytes = encode(&7u64);
        bytes.push(0);
        assert!(decode::<u64>(&bytes).is_err());
    }
}
