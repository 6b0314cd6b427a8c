//! Serde adapters for saw-core's text enums, which carry `as_str`/`parse` but no serde
//! derives: inbound events serialise with the same words the database stores.

macro_rules! text_enum_serde {
    ($module:ident, $ty:ty) => {
        pub(crate) mod $module {
            use serde::{Deserialize, Deserializer, Serializer, de::Error};

            pub(crate) fn serialize<S: Serializer>(value: &$ty, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(value.as_str())
            }

            pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                let raw = String::deserialize(d)?;
                <$ty>::parse(&raw).ok_or_else(|| D::Error::custom(format!("unknown value `{raw}`")))
            }
        }
    };
}

text_enum_serde!(message_kind, saw_core::conversation::MessageKind);
text_enum_serde!(delivery_status, saw_core::conversation::DeliveryStatus);
