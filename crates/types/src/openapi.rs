//! OpenAPI schemas for the types whose JSON form is written by hand (hex strings, codes,
//! dates, bounded lists): the derived schemas of every other type refer to these, so the
//! document the node serves describes exactly what it sends.

use crate::{
    Date, Rejection, Roles,
    api::EventId,
    codec::{BoundedBytes, BoundedVec, Name, Text},
    metro2::AccountStatus,
};
use std::borrow::Cow;
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        ArrayBuilder, ObjectBuilder, RefOr, Schema, Type,
        schema::{ArrayItems, SchemaType},
    },
};

/// The schema of a byte array of `len` bytes, written as hex.
pub(crate) fn hex_string(name: &str, len: usize) -> RefOr<Schema> {
    let description = format!("{name}: {len} bytes, as {} hex characters.", 2 * len);
    string(
        &description,
        Some(&format!("^[0-9a-f]{{{}}}$", 2 * len)),
        None,
    )
}

fn string(description: &str, pattern: Option<&str>, max_length: Option<usize>) -> RefOr<Schema> {
    let mut builder = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description));
    if let Some(pattern) = pattern {
        builder = builder.pattern(Some(pattern));
    }
    if let Some(max) = max_length {
        builder = builder.max_length(Some(max));
    }
    RefOr::T(Schema::Object(builder.build()))
}

/// A named string schema for a type.
macro_rules! string_schema {
    ($ty:ty, $name:literal, $description:expr, $pattern:expr, $max:expr) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string($description, $pattern, $max)
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

impl PartialSchema for Date {
    fn schema() -> RefOr<Schema> {
        // The ledger counts days from 1970-01-01: earlier dates, or impossible ones, are
        // refused, so the pattern admits years from 1970 and the format a real day.
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::String))
                .description(Some(
                    "A calendar date on or after 1970-01-01, `YYYY-MM-DD`.",
                ))
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Date,
                )))
                .pattern(Some(
                    "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
                ))
                .build(),
        ))
    }
}

impl ToSchema for Date {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Date")
    }
}
string_schema!(
    EventId,
    "EventId",
    "An event's position: `height:index`.",
    Some("^[0-9]{1,19}:[0-9]{1,9}$"),
    None
);
string_schema!(
    Rejection,
    "Rejection",
    "A rejection code (snake_case); every code is listed in docs/reference/rejections.md.",
    None,
    None
);
impl PartialSchema for AccountStatus {
    fn schema() -> RefOr<Schema> {
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::String))
                .description(Some(
                    "A Metro 2 account status code (e.g. `11` current, `13` paid, `71` 30 days past due, `97` charge-off).",
                ))
                .enum_values(Some(AccountStatus::ALL.map(AccountStatus::code)))
                .build(),
        ))
    }
}

impl ToSchema for AccountStatus {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AccountStatus")
    }
}

impl<const MAX: usize> PartialSchema for BoundedBytes<MAX> {
    fn schema() -> RefOr<Schema> {
        string("Bytes, hex.", Some("^([0-9a-f]{2})*$"), Some(2 * MAX))
    }
}

/// A sealed payload's ciphertext: hex of at most the largest payload.
pub(crate) fn sealed_ciphertext() -> RefOr<Schema> {
    <BoundedBytes<{ crate::limits::SEALED_PAYLOAD_BYTES_MAX }> as PartialSchema>::schema()
}

impl<const MAX: usize> ToSchema for BoundedBytes<MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("Bytes{MAX}"))
    }
}

impl<const MAX: usize> PartialSchema for Name<MAX> {
    fn schema() -> RefOr<Schema> {
        string(
            "A short name: lowercase ASCII letters, digits and hyphens, starting with a letter.",
            Some("^[a-z][a-z0-9-]*$"),
            Some(MAX),
        )
    }
}

impl<const MAX: usize> ToSchema for Name<MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("Name{MAX}"))
    }
}

impl<const MAX: usize> PartialSchema for Text<MAX> {
    fn schema() -> RefOr<Schema> {
        string("Text (UTF-8).", None, Some(MAX))
    }
}

impl<const MAX: usize> ToSchema for Text<MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("Text{MAX}"))
    }
}

impl PartialSchema for Roles {
    fn schema() -> RefOr<Schema> {
        RefOr::T(Schema::Array(
            ArrayBuilder::new()
                .items(ArrayItems::RefOrSchema(Box::new(
                    <crate::Role as PartialSchema>::schema(),
                )))
                .description(Some("The roles an institution holds."))
                .build(),
        ))
    }
}

impl ToSchema for Roles {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            crate::Role::name().into(),
            <crate::Role as PartialSchema>::schema(),
        ));
    }
}

impl<T: Clone + ToSchema, const MAX: usize> PartialSchema for BoundedVec<T, MAX> {
    fn schema() -> RefOr<Schema> {
        RefOr::T(Schema::Array(
            ArrayBuilder::new()
                .items(ArrayItems::RefOrSchema(Box::new(RefOr::Ref(
                    utoipa::openapi::Ref::from_schema_name(T::name()),
                ))))
                .max_items(Some(MAX))
                .build(),
        ))
    }
}

impl<T: Clone + ToSchema, const MAX: usize> ToSchema for BoundedVec<T, MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("ListOf{}", T::name()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into(), T::schema()));
        T::schemas(schemas);
    }
}
