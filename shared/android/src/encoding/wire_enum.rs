//! AMAPI's enums as Rust enums spelled exactly as the discovery document spells them. Two kinds:
//! `sent_enum!` for values only we write (closed: an unknown value is an error), and
//! `received_enum!` for values Google writes, which keep values Google adds after this crate was
//! written in an `Unknown(String)` variant instead of refusing the whole message.

/// What every AMAPI enum here offers; the tests use it to hold each enum to the discovery document.
pub trait WireEnum: Sized {
    /// Every value this crate knows, in Google's spelling.
    const WIRE_VALUES: &'static [&'static str];
    /// Whether values unknown to this crate are kept (`Unknown`) rather than refused.
    const OPEN: bool;
    /// The value as Google spells it.
    fn as_str(&self) -> &str;
}

/// A closed enum of values we send. `UNSPECIFIED` values are left out on purpose: to leave a
/// setting at Google's default we omit the field.
macro_rules! sent_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $crate::encoding::WireEnum for $name {
            const WIRE_VALUES: &'static [&'static str] = &[$($wire),+];
            const OPEN: bool = false;
            fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire ),+
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::encoding::WireEnum::as_str(self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = String::deserialize(d)?;
                match s.as_str() {
                    $( $wire => Ok($name::$variant), )+
                    other => Err(serde::de::Error::unknown_variant(other, &[$($wire),+])),
                }
            }
        }
    };
}

/// An open enum of values Google sends: anything unknown lands in `Unknown`, keeping Google's
/// text so that it can be logged, and written back unchanged if the resource is.
macro_rules! received_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know (Google adds values over time), as Google spelt it.
            Unknown(String),
        }

        impl $crate::encoding::WireEnum for $name {
            const WIRE_VALUES: &'static [&'static str] = &[$($wire),+];
            const OPEN: bool = true;
            fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::encoding::WireEnum::as_str(self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = String::deserialize(d)?;
                Ok(match s.as_str() {
                    $( $wire => $name::$variant, )+
                    _ => $name::Unknown(s),
                })
            }
        }
    };
}
