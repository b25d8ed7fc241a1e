//! Closed vocabularies (capability areas, sectors, statuses...) share one shape:
//! a Rust enum whose wire form is a fixed snake_case word, used identically in
//! JSON, CSV, the command line and the database.

use std::fmt;

/// A word that is not part of a closed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}' (expected one of: {expected})")]
pub struct ParseVocabularyError {
    pub kind: &'static str,
    pub value: String,
    pub expected: String,
}

/// Declares a closed vocabulary: the enum, its words, `Display`, `FromStr`,
/// serde as the word, and `ALL` in declaration order.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $vis:vis enum $name:ident as $kind:literal { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::vocabulary::ParseVocabularyError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err($crate::vocabulary::ParseVocabularyError {
                        kind: $kind,
                        value: s.to_string(),
                        expected: [$($word),+].join(", "),
                    }),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": [$($word),+] })
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                word.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Joins displayable items with ", " (for messages).
pub(crate) fn join<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// A status with a transition table: `check_move` names both ends when a
/// step is not allowed.
pub trait Lifecycle: Copy + fmt::Display {
    /// The record kind, for messages ("need", "pledge").
    const ENTITY: &'static str;

    fn can_move_to(self, to: Self) -> bool;

    fn check_move(self, to: Self, id: impl std::fmt::Display) -> Result<(), crate::DomainError> {
        if self.can_move_to(to) {
            Ok(())
        } else {
            Err(crate::DomainError::InvalidTransition { entity: Self::ENTITY, id: id.to_string(), from: self.to_string(), to: to.to_string() })
        }
    }
}
