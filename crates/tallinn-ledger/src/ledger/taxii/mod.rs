//! The threat exchange's store: TAXII 2.1 collections, every version of
//! every object exactly as received, and the status of each upload.
//!
//! Who may use a collection is its read and write audience (organisations,
//! or every analyst); who may see an object in it is the one visibility
//! policy (`tallinn_core::policy::may_see`) over the object's TLP level, its
//! creator's organisation and the organisations and users it names. Reads
//! apply the policy in SQL, so that pages stay full and flat however many
//! hidden objects a collection holds, and check every row again with
//! `may_see` before handing it out.

pub(crate) mod collections;
mod ingest;
mod read;

use jiff::Timestamp;
use serde::{Serialize, Serializer};
use tallinn_core::participant::Role;
use tallinn_core::policy::{Confidentiality, Principal, Tlp};

pub use collections::{ALIAS_PATTERN, UUID_PATTERN};
pub use read::{ObjectCount, ObjectQuery, VersionFilter, version_string};

/// Who may read or write a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every analyst of every participant.
    All,
    /// Analysts of these participants (codes).
    Orgs(Vec<String>),
}

impl Audience {
    fn admits(&self, org: &str) -> bool {
        match self {
            Audience::All => true,
            Audience::Orgs(orgs) => orgs.iter().any(|o| o == org),
        }
    }

    /// The stored form: NULL for everyone, else a JSON list.
    fn column(&self) -> Option<String> {
        match self {
            Audience::All => None,
            Audience::Orgs(orgs) => Some(super::json(orgs)),
        }
    }
}

/// `all`, or participant codes separated by commas.
impl std::str::FromStr for Audience {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("all") {
            return Ok(Audience::All);
        }
        let orgs: Vec<String> = s.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect();
        if orgs.is_empty() { Err("give 'all' or participant codes separated by commas".into()) } else { Ok(Audience::Orgs(orgs)) }
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Audience::All => s.serialize_str("all"),
            Audience::Orgs(orgs) => orgs.serialize(s),
        }
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Audience {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Audience".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "\"all\" (every analyst) or a list of participant codes",
            "oneOf": [{"type": "string", "enum": ["all"]}, {"type": "array", "items": {"type": "string"}}]
        })
    }
}

/// A TAXII collection.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collection {
    /// A UUID, as TAXII requires.
    pub id: String,
    /// A short name usable in place of the id (`community`).
    pub alias: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub read: Audience,
    pub write: Audience,
    pub created_at: Timestamp,
}

impl Collection {
    /// Coordinators and auditors read every collection (auditors read
    /// everything, docs/product.md: who uses it); analysts those whose read audience admits their
    /// organisation.
    pub fn can_read(&self, who: &Principal) -> bool {
        match who {
            Principal::System => true,
            Principal::User { role: Role::Coordinator | Role::Auditor, .. } => true,
            Principal::User { role: Role::Analyst, org, .. } => self.read.admits(org),
            _ => false,
        }
    }

    /// Coordinators write everywhere; analysts where the write audience
    /// admits their organisation; auditors never.
    pub fn can_write(&self, who: &Principal) -> bool {
        match who {
            Principal::System => true,
            Principal::User { role: Role::Coordinator, .. } => true,
            Principal::User { role: Role::Analyst, org, .. } => self.write.admits(org),
            _ => false,
        }
    }

    /// May `who` use it at all (it is listed and its errors name it)?
    pub fn is_usable_by(&self, who: &Principal) -> bool {
        self.can_read(who) || self.can_write(who)
    }
}

/// A new collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCollection {
    pub title: String,
    pub description: Option<String>,
    pub alias: Option<String>,
    pub read: Audience,
    pub write: Audience,
}

/// The alias of the collection `tallinn init` creates.
pub const COMMUNITY: &str = "community";

/// One stored version of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub id: String,
    pub spec_version: String,
    /// `modified`, else `created`, exactly as the object gives it; else the
    /// date it was first added.
    pub version: String,
    /// Unique within the collection, and growing in commit order.
    pub date_added: Timestamp,
    pub tlp: Tlp,
    /// The JSON exactly as received; `None` when only metadata was asked.
    pub body: Option<String>,
}

/// One page of a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<StoredObject>,
    /// Further items match after the last one.
    pub more: bool,
}

/// What happened to one object of an upload.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StatusDetail {
    pub id: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The outcome of one upload. Uploads are processed before they are
/// answered, so nothing is ever pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub id: String,
    pub collection: String,
    pub request_timestamp: Timestamp,
    pub successes: Vec<StatusDetail>,
    pub failures: Vec<StatusDetail>,
}

impl Status {
    pub fn total_count(&self) -> usize {
        self.successes.len() + self.failures.len()
    }
}

/// The organisation and user recorded as an object's creator.
fn creator(who: &Principal) -> (String, String) {
    match who {
        Principal::User { name, org, .. } => (org.clone(), name.clone()),
        other => (String::new(), other.actor()),
    }
}

/// The policy's view of a stored object.
fn confidentiality(tlp: Tlp, creator_org: &str, share_orgs: &str, share_users: &str) -> Confidentiality {
    let list = |s: &str| s.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect();
    Confidentiality { tlp, owner_org: creator_org.to_string(), share_orgs: list(share_orgs), share_users: list(share_users) }
}

/// The columns of a stored version that identify it and decide who sees
/// it, read the same way by uploads, reads and deletion.
#[derive(Debug, Clone)]
pub(crate) struct StoredRow {
    pub(crate) object_id: String,
    pub(crate) spec_version: String,
    pub(crate) version: i64,
    pub(crate) version_rest: String,
    pub(crate) version_text: Option<String>,
    pub(crate) date_added: i64,
    pub(crate) tlp: Tlp,
    pub(crate) creator_org: String,
    pub(crate) share_orgs: String,
    pub(crate) share_users: String,
    pub(crate) private_org: Option<String>,
}

impl StoredRow {
    /// The columns `read` takes (by name: a query may add others).
    pub(crate) const COLUMNS: &str =
        "object_id, spec_version, version, version_rest, version_text, date_added, tlp, creator_org, share_orgs, share_users, private_org";

    pub(crate) fn read(r: &crate::sql::Row) -> crate::error::Result<StoredRow> {
        Ok(StoredRow {
            object_id: r.text("object_id")?,
            spec_version: r.text("spec_version")?,
            version: r.int("version")?,
            version_rest: r.text("version_rest")?,
            version_text: r.opt_text("version_text")?,
            date_added: r.int("date_added")?,
            tlp: r.parse("tlp")?,
            creator_org: r.text("creator_org")?,
            share_orgs: r.text("share_orgs")?,
            share_users: r.text("share_users")?,
            private_org: r.opt_text("private_org")?,
        })
    }

    /// The one policy, and a private copy only to its organisation.
    pub(crate) fn visible_to(&self, reader: &Principal) -> bool {
        let private_ok = match (&self.private_org, reader) {
            (None, _) => true,
            (Some(_), r) if r.reads_everything() => true,
            (Some(org), Principal::User { org: own, .. }) => org == own,
            (Some(_), _) => false,
        };
        private_ok && tallinn_core::policy::may_see(reader, &confidentiality(self.tlp, &self.creator_org, &self.share_orgs, &self.share_users))
    }

    /// The version as the object gave it.
    pub(crate) fn version_shown(&self) -> String {
        ingest::shown_version(self.version_text.clone(), self.version)
    }
}

/// A ','-delimited list as stored (`,EE,FI,`), sorted and without repeats.
fn delimited(items: impl IntoIterator<Item = String>) -> String {
    let set: std::collections::BTreeSet<String> = items.into_iter().collect();
    let mut out = String::from(",");
    for item in set {
        out.push_str(&item);
        out.push(',');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_parse_and_admit() {
        assert_eq!("all".parse::<Audience>(), Ok(Audience::All));
        assert_eq!(" EE, FI ".parse::<Audience>(), Ok(Audience::Orgs(vec!["EE".into(), "FI".into()])));
        assert!(",".parse::<Audience>().is_err());
        let c = Collection {
            id: "x".into(),
            alias: None,
            title: "t".into(),
            description: None,
            read: Audience::Orgs(vec!["EE".into()]),
            write: Audience::Orgs(vec![]),
            created_at: Timestamp::UNIX_EPOCH,
        };
        let analyst = |org: &str| Principal::User { name: "a".into(), org: org.into(), role: Role::Analyst };
        assert!(c.can_read(&analyst("EE")) && !c.can_write(&analyst("EE")));
        assert!(!c.is_usable_by(&analyst("FI")));
        let donor = Principal::User { name: "d".into(), org: "EE".into(), role: Role::Donor };
        assert!(!c.is_usable_by(&donor), "the exchange is for analysts");
        let auditor = Principal::User { name: "x".into(), org: "TMPO".into(), role: Role::Auditor };
        assert!(c.can_read(&auditor) && !c.can_write(&auditor));
    }

    #[test]
    fn delimited_lists_round_trip_through_the_policy_view() {
        let d = delimited(["FI".to_string(), "EE".to_string(), "EE".to_string()]);
        assert_eq!(d, ",EE,FI,");
        assert_eq!(confidentiality(Tlp::Amber, "UA", &d, ",").share_orgs, ["EE", "FI"]);
    }
}
