//! Where each reader works: the forms and registers an interface leads a
//! reader to (the web's navigation, the pages' own gates), decided by the
//! rules of the actions behind them, so a link is offered exactly to those
//! the page serves. Each answers for a reader as a whole ("may file needs
//! for some institution"), where the action's rule answers for one record.

use super::{Principal, admin, is_office, need, pledge, project};
use crate::participant::Role;

/// The reader's own organisation, if a user.
fn own_org(who: &Principal) -> Option<&str> {
    match who {
        Principal::User { org, .. } => Some(org),
        _ => None,
    }
}

fn has_role(who: &Principal, role: Role) -> bool {
    matches!(who, Principal::User { role: r, .. } if *r == role)
}

/// Anyone signed in (or the operator).
pub fn signed_in(who: &Principal) -> bool {
    !matches!(who, Principal::Public)
}

/// Files needs: a beneficiary institution's users (for it), the office (for
/// any institution).
pub fn files_needs(who: &Principal) -> bool {
    is_office(who) || own_org(who).is_some_and(|org| need::file(who, org).is_ok())
}

/// Triages needs (the office) or scores them on a panel (reviewers).
pub fn reviews_needs(who: &Principal) -> bool {
    need::triager(who).is_ok() || has_role(who, Role::Reviewer)
}

/// Makes pledges: a donor's users (for it), the office (for any donor).
pub fn pledges(who: &Principal) -> bool {
    is_office(who) || own_org(who).is_some_and(|org| pledge::make(who, org).is_ok())
}

/// Follows the pledges register: those who pledge, those who oversee, and
/// observer states.
pub fn follows_pledges(who: &Principal) -> bool {
    pledges(who) || admin::oversees(who) || has_role(who, Role::Observer)
}

/// Follows projects: the office (which starts them), those who oversee,
/// the institutions they serve and the implementers who deliver them.
pub fn follows_projects(who: &Principal) -> bool {
    project::start(who).is_ok() || admin::oversees(who) || has_role(who, Role::Beneficiary) || has_role(who, Role::Implementer)
}

/// Works in the threat exchange's overview: analysts, and those who oversee.
pub fn uses_exchange(who: &Principal) -> bool {
    has_role(who, Role::Analyst) || admin::oversees(who)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, org: &str) -> Principal {
        Principal::User { name: "u".into(), org: org.into(), role }
    }

    #[test]
    fn each_reader_is_led_to_the_work_the_rules_allow() {
        let rows: &[(Role, &str, [bool; 6])] = &[
            // files needs, reviews, pledges, follows pledges, follows projects, exchange
            (Role::Beneficiary, "UA-CERT", [true, false, false, false, true, false]),
            (Role::Reviewer, "TMPO", [false, true, false, false, false, false]),
            (Role::Donor, "EE", [false, false, true, true, false, false]),
            (Role::Coordinator, "TMPO", [true, true, true, true, true, true]),
            (Role::Implementer, "ACME", [false, false, false, false, true, false]),
            (Role::Analyst, "CERT-EE", [false, false, false, false, false, true]),
            (Role::Auditor, "AUDIT", [false, false, false, true, true, true]),
            (Role::Observer, "JP", [false, false, false, true, false, false]),
        ];
        for (role, org, expected) in rows {
            let who = user(*role, org);
            let got = [files_needs(&who), reviews_needs(&who), pledges(&who), follows_pledges(&who), follows_projects(&who), uses_exchange(&who)];
            assert_eq!(&got, expected, "{role}");
        }
        assert!(!files_needs(&Principal::Public) && !signed_in(&Principal::Public));
    }
}
