//! The one visibility policy (docs/product.md: confidentiality). Every read path — CLI, API, pages,
//! exports, reports — asks `may_see` before it shows a record, and a record
//! the reader may not see is reported exactly like one that does not exist.

use serde::{Deserialize, Serialize};

use crate::participant::Role;

pub mod admin;
pub mod need;
pub mod pledge;
pub mod project;
pub mod work;

vocabulary! {
    /// Traffic Light Protocol 2.0.
    pub enum Tlp as "TLP level" {
        Clear = "clear",
        Green = "green",
        Amber = "amber",
        AmberStrict = "amber+strict",
        Red = "red",
    }
}

impl Tlp {
    /// Reads of these levels are written to the access log.
    pub fn is_logged_on_read(self) -> bool {
        matches!(self, Tlp::Amber | Tlp::AmberStrict | Tlp::Red)
    }
}

/// Who may see a record: its TLP level, the organisation that owns it, and
/// the organisations and users it is shared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confidentiality {
    pub tlp: Tlp,
    pub owner_org: String,
    pub share_orgs: Vec<String>,
    pub share_users: Vec<String>,
}

/// Who is reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials: TLP:CLEAR only.
    Public,
    /// A signed-in user.
    User { name: String, org: String, role: Role },
    /// An organisation as a whole (used to check that a donor may be allocated
    /// a need): `users` are its user names, so that RED records shared with one
    /// of them count.
    Organisation { code: String, users: Vec<String> },
    /// The operator of this installation on the command line: the project
    /// office's own tool, which manages the whole ledger.
    System,
}

impl Principal {
    /// The name written to the audit log for changes made by this principal.
    pub fn actor(&self) -> String {
        match self {
            Principal::Public => "public".into(),
            Principal::User { name, .. } => name.clone(),
            Principal::Organisation { code, .. } => format!("org:{code}"),
            Principal::System => "system".into(),
        }
    }

    /// Roles that read the whole ledger (docs/product.md: who uses it: coordinators manage it,
    /// auditors read everything).
    pub fn reads_everything(&self) -> bool {
        matches!(self, Principal::System | Principal::User { role: Role::Coordinator | Role::Auditor, .. })
    }
}

/// The office: the command-line operator or a coordinator.
pub fn is_office(who: &Principal) -> bool {
    matches!(who, Principal::System | Principal::User { role: Role::Coordinator, .. })
}

/// A user with `role` in organisation `org`.
pub fn is_member_of(who: &Principal, role: Role, org: &str) -> bool {
    matches!(who, Principal::User { role: r, org: o, .. } if *r == role && o == org)
}

/// Refuses unless `allowed` holds for `who`. The message names what was
/// refused, never what exists.
pub fn require(who: &Principal, what: &str, allowed: impl FnOnce(&Principal) -> bool) -> Result<(), crate::DomainError> {
    if allowed(who) { Ok(()) } else { Err(crate::DomainError::Forbidden(format!("{} may not {what}", describe(who)))) }
}

fn describe(who: &Principal) -> String {
    match who {
        Principal::User { name, role, .. } => format!("user {name} ({role})"),
        other => other.actor(),
    }
}

/// The single decision: may `who` see a record marked `conf`?
pub fn may_see(who: &Principal, conf: &Confidentiality) -> bool {
    if who.reads_everything() {
        return true;
    }
    let (org, names): (&str, &[String]) = match who {
        Principal::Public => return conf.tlp == Tlp::Clear,
        Principal::User { name, org, .. } => (org, std::slice::from_ref(name)),
        Principal::Organisation { code, users } => (code, users),
        Principal::System => return true,
    };
    let named = names.iter().any(|n| conf.share_users.contains(n));
    let owner = conf.owner_org == org;
    match conf.tlp {
        Tlp::Clear | Tlp::Green => true,
        Tlp::Amber => owner || named || conf.share_orgs.iter().any(|o| o == org),
        Tlp::AmberStrict => owner || named,
        Tlp::Red => named,
    }
}

/// Whether `who` may see a need: the one rule, and also, for panel
/// reviewers, every need under review whatever its level (they must vet
/// what reaches them) — except RED, which names the reviewers who may read
/// it. The exception covers needs in review only: not drafts, not pledges,
/// not needs before or after their review (ADR 0005).
pub fn may_see_need(who: &Principal, conf: &Confidentiality, in_review: bool) -> bool {
    may_see(who, conf) || (in_review && conf.tlp != Tlp::Red && matches!(who, Principal::User { role: Role::Reviewer, .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, org: &str, role: Role) -> Principal {
        Principal::User { name: name.into(), org: org.into(), role }
    }

    #[test]
    fn access_matrix() {
        let conf = |tlp| Confidentiality { tlp, owner_org: "UA-CERT".into(), share_orgs: vec!["EE".into()], share_users: vec!["anna".into()] };
        let owner = user("ivan", "UA-CERT", Role::Beneficiary);
        let shared_org = user("mart", "EE", Role::Donor);
        let named = user("anna", "FR", Role::Donor);
        let other = user("bob", "US", Role::Donor);
        let coordinator = user("kate", "TMPO", Role::Coordinator);
        let auditor = user("aud", "TMPO", Role::Auditor);
        // (tlp, public, owner, shared org, named user, other participant)
        let table = [
            (Tlp::Clear, true, true, true, true, true),
            (Tlp::Green, false, true, true, true, true),
            (Tlp::Amber, false, true, true, true, false),
            (Tlp::AmberStrict, false, true, false, true, false),
            (Tlp::Red, false, false, false, true, false),
        ];
        for (tlp, public, own, shared, name, rest) in table {
            let c = conf(tlp);
            assert_eq!(may_see(&Principal::Public, &c), public, "public {tlp}");
            assert_eq!(may_see(&owner, &c), own, "owner {tlp}");
            assert_eq!(may_see(&shared_org, &c), shared, "shared org {tlp}");
            assert_eq!(may_see(&named, &c), name, "named user {tlp}");
            assert_eq!(may_see(&other, &c), rest, "other {tlp}");
            assert!(may_see(&coordinator, &c) && may_see(&auditor, &c) && may_see(&Principal::System, &c));
        }
        let reviewer = user("rev", "EE", Role::Reviewer);
        assert!(may_see_need(&reviewer, &conf(Tlp::AmberStrict), true), "reviewers vet AMBER+STRICT needs in review");
        assert!(!may_see_need(&reviewer, &conf(Tlp::Red), true), "but RED only when named");
        assert!(!may_see_need(&reviewer, &conf(Tlp::AmberStrict), false), "not drafts, nor needs past review");
        assert!(!may_see(&reviewer, &conf(Tlp::AmberStrict)), "nor pledges");
        assert!(may_see_need(&owner, &conf(Tlp::AmberStrict), false), "the rule itself still holds");
        let org = Principal::Organisation { code: "FR".into(), users: vec!["anna".into()] };
        assert!(may_see(&org, &conf(Tlp::Red)), "an organisation sees RED shared with one of its users");
    }
}
