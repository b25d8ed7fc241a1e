//! What only the office does, and what the office and the auditors read:
//! enforced by the store, consulted by the web before it offers a form or a
//! register (as `policy::need`).

use crate::DomainError;
use crate::participant::Role;

use super::{Principal, is_office, require};

/// The office or an auditor: those who read the registers and logs whole.
pub fn oversees(who: &Principal) -> bool {
    is_office(who) || matches!(who, Principal::User { role: Role::Auditor, .. })
}

pub fn add_participants(who: &Principal) -> Result<(), DomainError> {
    require(who, "add participants", is_office)
}

pub fn add_users(who: &Principal) -> Result<(), DomainError> {
    require(who, "add users", is_office)
}

pub fn list_users(who: &Principal) -> Result<(), DomainError> {
    require(who, "list users", oversees)
}

/// Set any account's password outright (imports, the command line).
pub fn set_passwords(who: &Principal) -> Result<(), DomainError> {
    require(who, "set passwords", is_office)
}

/// Change `user`'s password: one's own, or anyone's for the office.
pub fn change_password(who: &Principal, user: &str) -> Result<(), DomainError> {
    let own = matches!(who, Principal::User { name, .. } if name == user);
    require(who, &format!("change the password of {user}"), |a| own || is_office(a))
}

/// Disable, enable or remove accounts (`verb`: what the change does).
pub fn change_accounts(who: &Principal, verb: &str) -> Result<(), DomainError> {
    require(who, &format!("{verb} accounts"), is_office)
}

pub fn create_tokens(who: &Principal) -> Result<(), DomainError> {
    require(who, "create API tokens", is_office)
}

/// Revoke a token of user `owner`: one's own, or anyone's for the office.
pub fn revoke_token(who: &Principal, owner: &str) -> Result<(), DomainError> {
    let own = matches!(who, Principal::User { name, .. } if name == owner);
    require(who, &format!("revoke tokens of {owner}"), |a| own || is_office(a))
}

pub fn list_tokens(who: &Principal) -> Result<(), DomainError> {
    require(who, "list API tokens", oversees)
}

pub fn read_access_log(who: &Principal) -> Result<(), DomainError> {
    require(who, "read the access log", oversees)
}

pub fn read_audit_log(who: &Principal) -> Result<(), DomainError> {
    require(who, "read the audit log", oversees)
}

pub fn record_transactions(who: &Principal) -> Result<(), DomainError> {
    require(who, "record transactions", is_office)
}

pub fn import_rates(who: &Principal) -> Result<(), DomainError> {
    require(who, "import exchange rates", is_office)
}

pub fn register_agreements(who: &Principal) -> Result<(), DomainError> {
    require(who, "register agreements", is_office)
}

pub fn create_collections(who: &Principal) -> Result<(), DomainError> {
    require(who, "create collections", is_office)
}

pub fn run_engine(who: &Principal) -> Result<(), DomainError> {
    require(who, "run the allocation engine", is_office)
}

pub fn apply_proposals(who: &Principal) -> Result<(), DomainError> {
    require(who, "apply allocation proposals", is_office)
}

pub fn read_proposals(who: &Principal) -> Result<(), DomainError> {
    require(who, "read allocation proposals", oversees)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_office_acts_and_auditors_read() {
        let user = |role| Principal::User { name: "u".into(), org: "TMPO".into(), role };
        let (office, auditor, donor) = (user(Role::Coordinator), user(Role::Auditor), user(Role::Donor));
        for act in [
            add_participants,
            add_users,
            set_passwords,
            create_tokens,
            record_transactions,
            import_rates,
            register_agreements,
            create_collections,
            run_engine,
            apply_proposals,
        ] {
            assert!(act(&office).is_ok() && act(&Principal::System).is_ok());
            assert!(act(&auditor).is_err() && act(&donor).is_err() && act(&Principal::Public).is_err());
        }
        for read in [list_users, list_tokens, read_access_log, read_audit_log, read_proposals] {
            assert!(read(&office).is_ok() && read(&auditor).is_ok() && read(&Principal::System).is_ok());
            assert!(read(&donor).is_err() && read(&Principal::Public).is_err());
        }
        assert!(change_password(&donor, "u").is_ok() && change_password(&donor, "other").is_err() && change_password(&office, "other").is_ok());
        assert_eq!(change_accounts(&donor, "disable").unwrap_err().to_string(), "user u (donor) may not disable accounts");
    }
}
