//! Who may act on a pledge, and when: enforced by the store, consulted by
//! the web before it offers a step (as `policy::need`).

use crate::DomainError;
use crate::Lifecycle;
use crate::participant::Role;
use crate::pledge::{Pledge, PledgeStatus};

use super::{Principal, is_member_of, is_office, require};

/// Pledge on behalf of donor `donor`.
pub fn make(who: &Principal, donor: &str) -> Result<(), DomainError> {
    require(who, &format!("pledge for {donor}"), |a| is_office(a) || is_member_of(a, Role::Donor, donor))
}

/// Allocate pledges of donor `donor` to needs.
pub fn allocate(who: &Principal, donor: &str) -> Result<(), DomainError> {
    require(who, &format!("allocate pledges of {donor}"), |a| is_office(a) || is_member_of(a, Role::Donor, donor))
}

/// Move this pledge to `to` (commit, disburse, cancel): the office or its
/// donor, along the lifecycle, and never cancel money already allocated.
pub fn change(who: &Principal, pledge: &Pledge, to: PledgeStatus) -> Result<(), DomainError> {
    let donor = &pledge.donor;
    require(who, &format!("change pledges of {donor}"), |a| is_office(a) || is_member_of(a, Role::Donor, donor))?;
    pledge.status.check_move(to, pledge.id)?;
    if to == PledgeStatus::Cancelled && pledge.allocated_eur_minor > 0 {
        return Err(DomainError::Conflict(format!("pledge {} has allocations to needs and cannot be cancelled", pledge.id)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pledge(status: PledgeStatus, allocated: i64) -> Pledge {
        Pledge {
            id: crate::PledgeId::new(1),
            donor: "EE".into(),
            title: "EDR licences".into(),
            kind: crate::pledge::PledgeKind::Money,
            amount: "1000.00".into(),
            currency: "EUR".into(),
            amount_minor: 100_000,
            eur_minor: 100_000,
            allocated_eur_minor: allocated,
            rate: rust_decimal::Decimal::ONE,
            rate_date: jiff::civil::date(2026, 10, 1),
            rate_source: "ECB".into(),
            items: vec![],
            valuation: None,
            pledged_on: jiff::civil::date(2026, 10, 1),
            budget_years: vec![],
            earmarks: Default::default(),
            status,
            tlp: crate::policy::Tlp::Green,
            share_orgs: vec![],
            share_users: vec![],
            synthetic: false,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn donors_move_their_own_pledges_along_the_lifecycle() {
        use PledgeStatus::*;
        let own = Principal::User { name: "mart".into(), org: "EE".into(), role: Role::Donor };
        let other = Principal::User { name: "anne".into(), org: "FR".into(), role: Role::Donor };
        for (from, to, ok) in [
            (Announced, Committed, true),
            (Announced, Disbursed, false),
            (Committed, Disbursed, true),
            (Committed, Cancelled, true),
            (Disbursed, Cancelled, false),
        ] {
            assert_eq!(change(&own, &pledge(from, 0), to).is_ok(), ok, "{from} → {to}");
            assert!(change(&other, &pledge(from, 0), to).is_err());
        }
        assert!(change(&own, &pledge(Committed, 5), Cancelled).is_err(), "allocated money is not cancelled");
        assert!(make(&own, "EE").is_ok() && make(&own, "FR").is_err() && make(&Principal::System, "FR").is_ok());
    }
}
