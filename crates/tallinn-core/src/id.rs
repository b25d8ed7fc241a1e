//! Record identifiers. Rows have integer keys assigned by the database; people
//! see them with a type prefix (`N-42` for need 42) so that an id pasted into
//! a message says what it names (see docs/adr/0004-ids.md).

use std::fmt;

use crate::error::FieldError;

/// The kinds of numbered record and their prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Need,
    Pledge,
    Allocation,
    Transaction,
    Project,
    Milestone,
    Agreement,
    Announcement,
    Proposal,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Need => "N",
            Kind::Pledge => "P",
            Kind::Allocation => "AL",
            Kind::Transaction => "T",
            Kind::Project => "PR",
            Kind::Milestone => "M",
            Kind::Agreement => "AG",
            Kind::Announcement => "AN",
            Kind::Proposal => "AP",
        }
    }

    pub fn entity(self) -> &'static str {
        match self {
            Kind::Need => "need",
            Kind::Pledge => "pledge",
            Kind::Allocation => "allocation",
            Kind::Transaction => "transaction",
            Kind::Project => "project",
            Kind::Milestone => "milestone",
            Kind::Agreement => "agreement",
            Kind::Announcement => "announcement",
            Kind::Proposal => "allocation proposal",
        }
    }

    /// Formats a key: `Kind::Need.display(42) == "N-42"`.
    pub fn display(self, key: i64) -> String {
        format!("{}-{key}", self.prefix())
    }

    /// The ids [`Kind::parse`] takes, as a regular expression for the API's
    /// document: `N-42` or `42`, a key from 1 up (18 digits at most, so
    /// that every match fits an `i64`).
    pub fn pattern(self) -> String {
        format!("^({}-)?[1-9][0-9]{{0,17}}$", self.prefix())
    }

    /// Parses `N-42` or a bare `42` into the key of this kind.
    pub fn parse(self, text: &str) -> Result<i64, FieldError> {
        let digits = text.strip_prefix(self.prefix()).and_then(|r| r.strip_prefix('-')).unwrap_or(text);
        digits
            .parse::<i64>()
            .ok()
            .filter(|k| *k > 0)
            .ok_or_else(|| FieldError::new(self.entity(), format!("'{text}' is not a {} id (expected e.g. {})", self.entity(), self.display(1))))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.entity())
    }
}

/// The id of one kind of record: its key, shown and parsed with the kind's
/// prefix (`NeedId::new(42)` is `N-42`). The interfaces parse an id once,
/// where it arrives (`"N-42".parse::<NeedId>()`, or a bare `42`); inside,
/// an id of one kind cannot be passed where another is expected. In JSON it
/// is the string people see.
/// What every typed id is: a record's key of one kind.
pub trait TypedId: Copy + fmt::Display + std::str::FromStr<Err = FieldError> {
    const KIND: Kind;
    /// The id of the record with this key (as the database gave it).
    fn from_key(key: i64) -> Self;
    /// The record's key in the database.
    fn key(self) -> i64;
}

macro_rules! typed_ids {
    ($($(#[$doc:meta])* $name:ident => $kind:ident,)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            pub const KIND: Kind = Kind::$kind;

            /// The id of the record with this key (as the database gave it).
            pub const fn new(key: i64) -> Self {
                $name(key)
            }

            /// The record's key in the database.
            pub const fn key(self) -> i64 {
                self.0
            }
        }

        impl TypedId for $name {
            const KIND: Kind = Kind::$kind;
            fn from_key(key: i64) -> Self {
                $name(key)
            }
            fn key(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}-{}", Kind::$kind.prefix(), self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = FieldError;
            fn from_str(text: &str) -> Result<Self, FieldError> {
                Kind::$kind.parse(text).map($name)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(|e: FieldError| serde::de::Error::custom(e.message))
            }
        }

        /// A string in the API's document, as it is on the wire.
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> std::borrow::Cow<'static, str> {
                <String as schemars::JsonSchema>::schema_name()
            }
            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <String as schemars::JsonSchema>::json_schema(generator)
            }
        }
    )*};
}

typed_ids! {
    /// A need: `N-42`.
    NeedId => Need,
    /// A pledge: `P-7`.
    PledgeId => Pledge,
    /// An allocation of a pledge to a need: `AL-3`.
    AllocationId => Allocation,
    /// A financial transaction: `T-12`.
    TransactionId => Transaction,
    /// A project delivering a need: `PR-5`.
    ProjectId => Project,
    /// A milestone of a project: `M-9`.
    MilestoneId => Milestone,
    /// A framework agreement: `AG-2`.
    AgreementId => Agreement,
    /// An announcement: `AN-1`.
    AnnouncementId => Announcement,
    /// An allocation proposal: `AP-4`.
    ProposalId => Proposal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(Kind::Need.display(42), "N-42");
        assert_eq!(Kind::Need.parse("N-42").unwrap(), 42);
        assert_eq!(Kind::Pledge.parse("7").unwrap(), 7);
        assert!(Kind::Need.parse("P-7").is_err());
        assert!(Kind::Need.parse("N-0").is_err());
        assert_eq!(Kind::Allocation.parse("AL-3").unwrap(), 3);
    }

    #[test]
    fn typed_ids_show_parse_and_serialise_with_their_prefix() {
        let id: NeedId = "N-42".parse().unwrap();
        assert_eq!((id, id.key(), id.to_string(), format!("{id:?}")), (NeedId::new(42), 42, "N-42".to_string(), "N-42".to_string()));
        assert_eq!("42".parse::<NeedId>().unwrap(), id);
        let wrong = "P-42".parse::<NeedId>().unwrap_err();
        assert_eq!((wrong.field.as_str(), wrong.message.as_str()), ("need", "'P-42' is not a need id (expected e.g. N-1)"));
        assert_eq!(serde_json::to_string(&PledgeId::new(7)).unwrap(), "\"P-7\"");
        assert_eq!(serde_json::from_str::<PledgeId>("\"P-7\"").unwrap(), PledgeId::new(7));
        assert!(serde_json::from_str::<PledgeId>("\"N-7\"").is_err());
    }
}
