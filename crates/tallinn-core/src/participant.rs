//! Participants (organisations) and their users.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FieldError};

vocabulary! {
    /// What an organisation is to the mechanism.
    pub enum ParticipantKind as "participant kind" {
        Member = "member",
        Observer = "observer",
        Beneficiary = "beneficiary",
        Implementer = "implementer",
        Office = "office",
    }
}

vocabulary! {
    /// Whether an account may sign in (ADR 0013).
    pub enum AccountStatus as "account status" {
        Active = "active",
        Disabled = "disabled",
        Removed = "removed",
    }
}

vocabulary! {
    /// What a user may do (docs/product.md: who uses it).
    pub enum Role as "role" {
        Coordinator = "coordinator",
        Beneficiary = "beneficiary",
        Reviewer = "reviewer",
        Donor = "donor",
        Observer = "observer",
        Implementer = "implementer",
        Analyst = "analyst",
        Auditor = "auditor",
    }
}

vocabulary! {
    /// The two review panels.
    pub enum Panel as "panel" {
        Technical = "technical",
        Strategic = "strategic",
    }
}

/// A date known to the precision the public sources give: `2025`, `2023-12`
/// or `2025-03-14`. Membership dates are often only announced by year, and we
/// never invent the missing part.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(extend("anyOf" = [{ "pattern": "^[0-9]{4}$" }, { "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$" }, { "format": "date" }]))
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartialDate(String);

impl PartialDate {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PartialDate {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        let ok = match s.len() {
            4 => s.bytes().all(|b| b.is_ascii_digit()),
            7 => jiff::civil::Date::strptime("%Y-%m-%d", format!("{s}-01")).is_ok(),
            10 => s.parse::<jiff::civil::Date>().is_ok(),
            _ => false,
        };
        if ok { Ok(PartialDate(s)) } else { Err(FieldError::new("date", format!("'{s}' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"))) }
    }
}

impl From<PartialDate> for String {
    fn from(d: PartialDate) -> String {
        d.0
    }
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub code: String,
    pub name: String,
    pub kind: ParticipantKind,
    /// The organisation this one belongs to (a Ukrainian institution under `UA`).
    pub parent: Option<String>,
    pub joined: Option<PartialDate>,
    pub left: Option<PartialDate>,
    pub synthetic: bool,
}

impl Participant {
    pub fn validate(&self) -> Result<(), DomainError> {
        validate_code("code", &self.code)?;
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(DomainError::invalid("name", "a name is required (at most 200 characters)"));
        }
        if let (Some(joined), Some(left)) = (&self.joined, &self.left)
            && left.as_str() < joined.as_str()
        {
            return Err(DomainError::invalid("left", "an organisation cannot leave before it joined"));
        }
        Ok(())
    }
}

/// [`validate_code`]'s rule as a regular expression (for the API's document).
pub const CODE_PATTERN: &str = "^[A-Z0-9-]{2,32}$";

/// [`validate_user_name`]'s rule as a regular expression.
pub const USER_NAME_PATTERN: &str = "^[a-z0-9._-]{2,64}$";

/// The shortest password Tallinn takes, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Organisation codes: 2–32 characters, upper-case letters, digits and '-'.
pub fn validate_code(field: &str, code: &str) -> Result<(), FieldError> {
    let ok = (2..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok { Ok(()) } else { Err(FieldError::new(field, format!("'{code}' is not an organisation code (2-32 characters: A-Z, 0-9, '-')"))) }
}

/// User names: 2–64 characters, lower-case letters, digits, '.', '-', '_'.
pub fn validate_user_name(name: &str) -> Result<(), FieldError> {
    let ok = (2..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'));
    if ok { Ok(()) } else { Err(FieldError::new("name", format!("'{name}' is not a user name (2-64 characters: a-z, 0-9, '.', '-', '_')"))) }
}

/// Which roles an organisation of each kind may hold. Analysts and auditors
/// can come from any participant.
pub fn role_fits(kind: ParticipantKind, role: Role) -> bool {
    use ParticipantKind as K;
    match role {
        Role::Coordinator => kind == K::Office,
        Role::Beneficiary => kind == K::Beneficiary,
        Role::Donor => matches!(kind, K::Member | K::Observer),
        Role::Observer => kind == K::Observer,
        Role::Implementer => kind == K::Implementer,
        Role::Reviewer => matches!(kind, K::Office | K::Member | K::Observer),
        Role::Analyst | Role::Auditor => true,
    }
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub org: String,
    pub role: Role,
    pub panel: Option<Panel>,
    pub status: AccountStatus,
    pub created_at: Timestamp,
}

/// A user to create: validated against its organisation's kind.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub org: String,
    pub role: Role,
    pub panel: Option<Panel>,
    /// Argon2id PHC string, computed by the caller (hashing is slow on purpose).
    pub password_hash: Option<String>,
}

impl NewUser {
    pub fn validate(&self, org_kind: ParticipantKind) -> Result<(), DomainError> {
        validate_user_name(&self.name)?;
        if !role_fits(org_kind, self.role) {
            return Err(DomainError::refused("role", format!("a {org_kind} organisation cannot hold the {} role", self.role)));
        }
        match (self.role, self.panel) {
            (Role::Reviewer, None) => Err(DomainError::invalid("panel", "a reviewer needs a panel (technical or strategic)")),
            (Role::Reviewer, Some(_)) | (_, None) => Ok(()),
            (_, Some(_)) => Err(DomainError::invalid("panel", "only reviewers sit on a panel")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        assert!(validate_code("code", "UA-MINDIGIT").is_ok());
        assert!(validate_code("code", "ua").is_err());
        assert!(validate_code("code", "X").is_err());
        assert!(validate_user_name("olena.k").is_ok());
        assert!(validate_user_name("Olena").is_err());
    }

    #[test]
    fn roles_fit_kinds() {
        assert!(role_fits(ParticipantKind::Member, Role::Donor));
        assert!(!role_fits(ParticipantKind::Beneficiary, Role::Donor));
        assert!(!role_fits(ParticipantKind::Member, Role::Coordinator));
        let user = NewUser { name: "rev".into(), org: "EE".into(), role: Role::Reviewer, panel: None, password_hash: None };
        assert_eq!(user.validate(ParticipantKind::Member).unwrap_err().field(), Some("panel"));
    }

    #[test]
    fn partial_dates() {
        for ok in ["2025", "2023-12", "2025-10-31"] {
            assert!(PartialDate::try_from(ok.to_string()).is_ok(), "{ok}");
        }
        for bad in ["25", "2023-13", "2025-02-30", "soon"] {
            assert!(PartialDate::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }
}
