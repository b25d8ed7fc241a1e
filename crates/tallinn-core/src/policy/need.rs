//! Who may act on a need, and when. The store enforces these inside the
//! transaction that makes the change; the web offers an action only where
//! the same function allows it, so the two cannot disagree. The lifecycle
//! steps themselves are `NeedStatus`'s one table (`Lifecycle`).

use crate::DomainError;
use crate::Lifecycle;
use crate::need::{Need, NeedStatus};
use crate::participant::{Panel, Role};
use crate::review::stage_of;

use super::{Principal, is_member_of, is_office, require};

/// The office or a user of the need's beneficiary institution.
fn office_or_owner(who: &Principal, beneficiary: &str) -> bool {
    is_office(who) || is_member_of(who, Role::Beneficiary, beneficiary)
}

/// File (or import) needs for beneficiary institution `beneficiary`.
pub fn file(who: &Principal, beneficiary: &str) -> Result<(), DomainError> {
    require(who, &format!("file needs for {beneficiary}"), |a| office_or_owner(a, beneficiary))
}

/// Rewrite a draft's fields.
pub fn edit(who: &Principal, need: &Need) -> Result<(), DomainError> {
    require(who, &format!("edit need {}", need.id), |a| office_or_owner(a, &need.beneficiary))?;
    if need.status != NeedStatus::Draft {
        return Err(DomainError::Conflict(format!("need {} is {}; only a draft may be edited", need.id, need.status)));
    }
    Ok(())
}

/// Submit a draft for triage.
pub fn submit(who: &Principal, need: &Need) -> Result<(), DomainError> {
    require(who, "submit this need", |a| office_or_owner(a, &need.beneficiary))?;
    need.status.check_move(NeedStatus::Submitted, need.id)
}

/// Triage needs at all (checked before any need is read).
pub fn triager(who: &Principal) -> Result<(), DomainError> {
    require(who, "triage needs", is_office)
}

/// Triage this need: accept it for the technical panel, or reject it.
pub fn triage(who: &Principal, need: &Need) -> Result<(), DomainError> {
    triager(who)?;
    need.status.check_move(NeedStatus::TechnicalReview, need.id)
}

/// Score needs for `panel`, as a user who sits on `sits_on` (checked before
/// any need is read).
pub fn reviewer(who: &Principal, sits_on: Option<Panel>, panel: Panel) -> Result<(), DomainError> {
    let Principal::User { name, role: Role::Reviewer, .. } = who else {
        return Err(DomainError::Forbidden(format!("{} is not a panel reviewer; reviews are scored by named reviewers", who.actor())));
    };
    if sits_on != Some(panel) {
        return Err(DomainError::Forbidden(format!("user {name} does not sit on the {panel} panel")));
    }
    Ok(())
}

/// Review this need for `panel`: it must be at that panel's stage.
pub fn review(who: &Principal, sits_on: Option<Panel>, panel: Panel, need: &Need) -> Result<(), DomainError> {
    reviewer(who, sits_on, panel)?;
    if need.status != stage_of(panel) {
        return Err(DomainError::Conflict(format!("need {} is {}; the {panel} panel reviews needs in {}", need.id, need.status, stage_of(panel))));
    }
    Ok(())
}

/// Reserve needs for donor `donor` (checked before any need is read).
pub fn reserver(who: &Principal, donor: &str) -> Result<(), DomainError> {
    require(who, &format!("reserve needs for {donor}"), |a| is_office(a) || is_member_of(a, Role::Donor, donor))
}

/// Reserve this need for `donor`: approved, and not under discussion by
/// another donor.
pub fn reserve(who: &Principal, need: &Need, donor: &str) -> Result<(), DomainError> {
    reserver(who, donor)?;
    if !need.status.is_reservable() {
        return Err(DomainError::Conflict(format!("need {} is {}; only approved needs can be reserved", need.id, need.status)));
    }
    if let Some(r) = &need.reservation
        && r.donor.as_deref() != Some(donor)
    {
        let by = r.donor.as_deref().unwrap_or("another donor");
        return Err(DomainError::Conflict(format!("need {} is already under discussion by {by} until {}", need.id, r.until)));
    }
    Ok(())
}

/// Record verdicts on pairs of needs (duplicate, complementary).
pub fn relate(who: &Principal) -> Result<(), DomainError> {
    require(who, "record verdicts on needs", is_office)
}

/// Withdraw this need: nothing allocated to it yet.
pub fn withdraw(who: &Principal, need: &Need) -> Result<(), DomainError> {
    require(who, "withdraw this need", |a| office_or_owner(a, &need.beneficiary))?;
    if need.funded_eur_minor > 0 {
        return Err(DomainError::Conflict(format!("need {} has allocations and cannot be withdrawn", need.id)));
    }
    need.status.check_move(NeedStatus::Withdrawn, need.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::need::{Capability, Reservation, Sector, Urgency};
    use crate::policy::Tlp;

    fn user(name: &str, org: &str, role: Role) -> Principal {
        Principal::User { name: name.into(), org: org.into(), role }
    }

    fn need(status: NeedStatus) -> Need {
        Need {
            id: crate::NeedId::new(1),
            beneficiary: "UA-CERT".into(),
            title: "EDR licences".into(),
            description: String::new(),
            capability: Capability::Detect,
            sector: Sector::Energy,
            urgency: Urgency::High,
            cost_eur_minor: 100_000,
            funded_eur_minor: 0,
            divisible: true,
            deadline: None,
            status,
            tlp: Tlp::Green,
            share_orgs: vec![],
            share_users: vec![],
            tags: vec![],
            reservation: None,
            synthetic: false,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            created_by: "ivan".into(),
        }
    }

    /// Every action, for every kind of user, at every status: the one table
    /// both the store and the web read.
    #[test]
    fn who_may_do_what_and_when() {
        use NeedStatus::*;
        let owner = user("ivan", "UA-CERT", Role::Beneficiary);
        let stranger = user("olha", "UA-SSSCIP", Role::Beneficiary);
        let donor = user("mart", "EE", Role::Donor);
        let office = user("kate", "TMPO", Role::Coordinator);
        let technical = user("tech", "EE", Role::Reviewer);
        let auditor = user("aud", "TMPO", Role::Auditor);
        for status in NeedStatus::ALL.iter().copied() {
            let n = need(status);
            for who in [&owner, &office, &Principal::System] {
                assert_eq!(submit(who, &n).is_ok(), status == Draft, "{who:?} submits at {status}");
                assert_eq!(edit(who, &n).is_ok(), status == Draft);
                assert_eq!(withdraw(who, &n).is_ok(), matches!(status, Draft | Submitted | TechnicalReview | StrategicReview | Approved));
            }
            for who in [&stranger, &donor, &technical, &auditor, &Principal::Public] {
                assert!(submit(who, &n).is_err() && edit(who, &n).is_err() && withdraw(who, &n).is_err(), "{who:?} at {status}");
            }
            assert_eq!(triage(&office, &n).is_ok(), status == Submitted);
            assert!(triage(&owner, &n).is_err() && triage(&donor, &n).is_err());
            assert_eq!(review(&technical, Some(Panel::Technical), Panel::Technical, &n).is_ok(), status == TechnicalReview);
            assert_eq!(review(&technical, Some(Panel::Strategic), Panel::Strategic, &n).is_ok(), status == StrategicReview);
            assert!(review(&technical, Some(Panel::Technical), Panel::Strategic, &n).is_err(), "only the panel one sits on");
            assert!(review(&office, Some(Panel::Technical), Panel::Technical, &n).is_err(), "only named reviewers");
            let reservable = matches!(status, Approved | PartiallyFunded);
            assert_eq!(reserve(&donor, &n, "EE").is_ok(), reservable);
            assert_eq!(reserve(&office, &n, "EE").is_ok(), reservable);
            assert!(reserve(&donor, &n, "FR").is_err(), "a donor reserves for itself only");
            assert!(reserve(&owner, &n, "UA-CERT").is_err());
        }
    }

    #[test]
    fn money_and_reservations_bind() {
        let office = user("kate", "TMPO", Role::Coordinator);
        let mut n = need(NeedStatus::Approved);
        n.funded_eur_minor = 1;
        assert!(matches!(withdraw(&office, &n), Err(DomainError::Conflict(_))), "funded needs stay");
        n.reservation = Some(Reservation { donor: Some("FR".into()), until: jiff::Timestamp::UNIX_EPOCH });
        assert!(reserve(&user("mart", "EE", Role::Donor), &n, "EE").is_err(), "held by another donor");
        assert!(reserve(&office, &n, "FR").is_ok(), "the holder may extend");
        let refusal = submit(&user("olha", "UA-SSSCIP", Role::Beneficiary), &need(NeedStatus::Draft)).unwrap_err().to_string();
        assert_eq!(refusal, "user olha (beneficiary) may not submit this need");
    }
}
