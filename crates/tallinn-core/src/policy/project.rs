//! Who may take a project's steps, and when: enforced by the store,
//! consulted by the web before it offers a step (as `policy::need`).

use crate::DomainError;
use crate::participant::Role;
use crate::project::{Project, ProjectStatus};

use super::{Principal, is_member_of, is_office, require};

/// Start projects (to deliver funded needs).
pub fn start(who: &Principal) -> Result<(), DomainError> {
    require(who, "start projects", is_office)
}

/// The project's implementer or the office.
fn delivers(who: &Principal, project: &Project) -> bool {
    is_office(who) || is_member_of(who, Role::Implementer, &project.implementer)
}

fn in_delivery(project: &Project, what: &str) -> Result<(), DomainError> {
    if project.status != ProjectStatus::InDelivery {
        return Err(DomainError::Conflict(format!("project {} is {}; {what} belong to projects in delivery", project.id, project.status)));
    }
    Ok(())
}

/// Plan a milestone.
pub fn plan(who: &Principal, project: &Project) -> Result<(), DomainError> {
    require(who, "plan this project", |a| delivers(a, project))?;
    in_delivery(project, "milestones")
}

/// Report a milestone complete.
pub fn report(who: &Principal, project: &Project) -> Result<(), DomainError> {
    require(who, "report on this project", |a| delivers(a, project))?;
    in_delivery(project, "milestone reports")
}

/// Report the delivery: every milestone complete.
pub fn deliver(who: &Principal, project: &Project) -> Result<(), DomainError> {
    require(who, "report delivery of this project", |a| delivers(a, project))?;
    if project.status != ProjectStatus::InDelivery {
        return Err(DomainError::InvalidTransition { entity: "project", id: project.id.to_string(), from: project.status.to_string(), to: "delivered".into() });
    }
    if let Some(open) = project.milestones.iter().find(|m| m.completed_at.is_none()) {
        return Err(DomainError::Conflict(format!("milestone {} ({}) is not complete", open.id, open.title)));
    }
    Ok(())
}

/// Accept the delivery: signed by a named user of the beneficiary institution.
pub fn accept(who: &Principal, project: &Project) -> Result<(), DomainError> {
    if !matches!(who, Principal::User { .. }) {
        return Err(DomainError::Forbidden("acceptance is signed by a named user of the beneficiary institution".into()));
    }
    require(who, &format!("accept deliveries for {}", project.beneficiary), |a| is_member_of(a, Role::Beneficiary, &project.beneficiary))?;
    if project.status != ProjectStatus::Delivered {
        return Err(DomainError::InvalidTransition { entity: "project", id: project.id.to_string(), from: project.status.to_string(), to: "accepted".into() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Milestone;

    fn project(status: ProjectStatus, open_milestone: bool) -> Project {
        Project {
            id: crate::ProjectId::new(1),
            need: crate::NeedId::new(1),
            beneficiary: "UA-CERT".into(),
            implementer: "IMP-A".into(),
            title: "Workstations".into(),
            status,
            milestones: vec![Milestone {
                id: crate::MilestoneId::new(1),
                title: "Installed".into(),
                due: None,
                completed_at: if open_milestone { None } else { Some(jiff::Timestamp::UNIX_EPOCH) },
            }],
            items: vec![],
            acceptance: None,
            synthetic: false,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn implementers_deliver_and_beneficiaries_accept() {
        use ProjectStatus::*;
        let implementer = Principal::User { name: "imp".into(), org: "IMP-A".into(), role: Role::Implementer };
        let other_implementer = Principal::User { name: "imp2".into(), org: "IMP-B".into(), role: Role::Implementer };
        let beneficiary = Principal::User { name: "ivan".into(), org: "UA-CERT".into(), role: Role::Beneficiary };
        let office = Principal::User { name: "kate".into(), org: "TMPO".into(), role: Role::Coordinator };
        for who in [&implementer, &office] {
            assert!(plan(who, &project(InDelivery, true)).is_ok() && report(who, &project(InDelivery, true)).is_ok());
            assert!(plan(who, &project(Delivered, false)).is_err());
            assert!(deliver(who, &project(InDelivery, true)).is_err(), "a milestone is open");
            assert!(deliver(who, &project(InDelivery, false)).is_ok());
            assert!(accept(who, &project(Delivered, false)).is_err(), "only the beneficiary signs");
        }
        assert!(plan(&other_implementer, &project(InDelivery, true)).is_err() && deliver(&beneficiary, &project(InDelivery, false)).is_err());
        assert!(accept(&beneficiary, &project(Delivered, false)).is_ok());
        assert!(accept(&beneficiary, &project(InDelivery, false)).is_err() && accept(&Principal::System, &project(Delivered, false)).is_err());
        assert!(start(&office).is_ok() && start(&implementer).is_err());
    }
}
