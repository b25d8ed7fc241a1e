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
}
