//! Accounts after they are made: password changes, disabling, enabling
//! and removal, each ending the account's sessions at once, and the
//! credentials version every server process checks before trusting what it
//! remembered (ADR 0013).

use serde_json::json;
use tallinn_core::DomainError;
use tallinn_core::policy::Principal;
use tallinn_core::time::to_micros;

use super::{Ledger, audit};
use crate::args;
use crate::error::Result;
use crate::tx::Tx;

/// What can happen to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Disable,
    Enable,
    /// For good: the password and tokens are gone, the name stays in the
    /// records it signed (reviews, audit, acceptances) and cannot be reused.
    Remove,
}

impl AccountChange {
    fn word(self) -> &'static str {
        match self {
            AccountChange::Disable => "disable",
            AccountChange::Enable => "enable",
            AccountChange::Remove => "remove",
        }
    }

    /// The audit log's name for it.
    fn action(self) -> &'static str {
        match self {
            AccountChange::Disable => "user.disable",
            AccountChange::Enable => "user.enable",
            AccountChange::Remove => "user.remove",
        }
    }
}

/// The account's status, locked for the change.
async fn status(tx: &mut Tx, user: &str) -> Result<String> {
    let lock = tx.dialect.lock_rows;
    let row = tx.fetch_optional(&format!("SELECT status FROM users WHERE name = $1{lock}"), args![user]).await?;
    match row {
        Some(r) => r.text("status"),
        None => Err(DomainError::not_found("user", user).into()),
    }
}

/// Ends every session of `user` and makes every remembered credential of
/// it stale.
async fn end_sessions(tx: &mut Tx, user: &str) -> Result<()> {
    let at = to_micros(tx.at);
    tx.execute("UPDATE sessions SET closed_at = $1 WHERE user_name = $2 AND closed_at IS NULL", args![at, user]).await?;
    tx.execute("UPDATE users SET credentials_version = credentials_version + 1 WHERE name = $1", args![user]).await?;
    Ok(())
}

impl Ledger {
    /// Sets `user`'s password (an Argon2id PHC string the caller computed,
    /// after checking the current password when users change their own).
    /// The office sets anyone's; a user only their own. Every session of
    /// the account ends.
    pub async fn change_password(&self, actor: Principal, user: &str, password_hash: &str) -> Result<()> {
        tallinn_core::policy::admin::change_password(&actor, user)?;
        let mut tx = self.write(actor).await?;
        let result = async {
            if status(&mut tx, user).await? != "active" {
                return Err(DomainError::Conflict(format!("{user} is not active; enable it first")).into());
            }
            tx.execute("UPDATE users SET password_hash = $1 WHERE name = $2", args![password_hash, user]).await?;
            end_sessions(&mut tx, user).await?;
            // The hash itself never enters the audit log.
            audit(&mut tx, "user.password", "user", user, &json!({})).await
        }
        .await;
        tx.finish(result).await
    }

    /// Disables, enables or removes an account (the office only). Disabling
    /// and removal end every session and make every token and remembered
    /// password of the account fail at once, on every server process.
    pub async fn change_account(&self, actor: Principal, user: &str, change: AccountChange) -> Result<()> {
        tallinn_core::policy::admin::change_accounts(&actor, change.word())?;
        if matches!(&actor, Principal::User { name, .. } if name == user) && change != AccountChange::Enable {
            return Err(DomainError::Conflict("you cannot disable or remove your own account".into()).into());
        }
        let mut tx = self.write(actor).await?;
        let result = async {
            let now = status(&mut tx, user).await?;
            let next = match (change, now.as_str()) {
                (_, "removed") => return Err(DomainError::Conflict(format!("{user} was removed")).into()),
                (AccountChange::Disable, _) => "disabled",
                (AccountChange::Enable, _) => "active",
                (AccountChange::Remove, _) => "removed",
            };
            tx.execute("UPDATE users SET status = $1 WHERE name = $2", args![next, user]).await?;
            if change == AccountChange::Remove {
                let at = to_micros(tx.at);
                tx.execute("UPDATE users SET password_hash = NULL WHERE name = $1", args![user]).await?;
                tx.execute("UPDATE api_tokens SET revoked_at = $1 WHERE user_name = $2 AND revoked_at IS NULL", args![at, user]).await?;
            }
            end_sessions(&mut tx, user).await?;
            audit(&mut tx, change.action(), "user", user, &json!({ "from": now, "to": next })).await
        }
        .await;
        tx.finish(result).await
    }

    /// Signs a user out everywhere: every session of the account ends (its
    /// tokens are not sessions and stay valid).
    pub async fn close_all_sessions(&self, user: &str) -> Result<()> {
        let mut tx = self.write(Principal::Public).await?;
        let at = to_micros(tx.at);
        let result = tx.execute("UPDATE sessions SET closed_at = $1 WHERE user_name = $2 AND closed_at IS NULL", args![at, user]).await.map(|_| ());
        tx.finish_unaudited(result).await
    }

    /// The credentials version of an active account (`None`: no such
    /// account, or not active). Server processes compare it with the one
    /// they saw when they verified a credential.
    pub async fn credentials_version(&self, user: &str) -> Result<Option<i64>> {
        let rows = self.backend().fetch_alone("SELECT credentials_version FROM users WHERE name = $1 AND status = 'active'", args![user]).await?;
        rows.into_iter().next().map(|r| r.int("credentials_version")).transpose()
    }
}
