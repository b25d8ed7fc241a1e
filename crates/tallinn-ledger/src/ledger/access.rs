//! API tokens and the access log.

use jiff::Timestamp;
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use tallinn_core::DomainError;
use tallinn_core::auth::{TOKEN_BYTES, is_token, token_display_prefix, token_from_bytes, token_hash};
use tallinn_core::policy::{Principal, Tlp};
use tallinn_core::throttle::{Count, Failures, WINDOW_MICROS, next_attempt};
use tallinn_core::time::{from_micros, plus_days, to_micros};

use super::{Ledger, audit};
use crate::args;
use crate::error::Result;
use crate::sql::{Value, fetch_optional, insert_many};

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub user: String,
    /// The start of the token, to recognise it.
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// One read of a confidential record.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    /// Its place in the log (entries are numbered as they are written).
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub tlp: Tlp,
    /// Which interface served the read (`api`, `cli`, `web`).
    pub via: String,
}

/// The interface a reader is served through, as the access log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    Api,
    Web,
    Cli,
    Taxii,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Api => "api",
            Via::Web => "web",
            Via::Cli => "cli",
            Via::Taxii => "taxii",
        }
    }
}

/// One read to write to the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRead {
    /// Who read (`Principal::actor`).
    pub actor: String,
    pub via: Via,
    pub entity: String,
    pub id: String,
    pub tlp: Tlp,
}

/// The longest a token may last, in days (ten years).
pub const MAX_TOKEN_DAYS: i64 = 3650;

impl Ledger {
    /// Creates a token for `user`; the secret is returned once and never
    /// stored.
    pub async fn create_token(&self, actor: Principal, user: &str, expires_in_days: Option<i64>) -> Result<(TokenInfo, String)> {
        tallinn_core::policy::admin::create_tokens(&actor)?;
        if let Some(days) = expires_in_days
            && !(1..=MAX_TOKEN_DAYS).contains(&days)
        {
            return Err(DomainError::invalid("expires_days", format!("a token lasts 1 to {MAX_TOKEN_DAYS} days")).into());
        }
        let mut random = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut random);
        let secret = token_from_bytes(&random);
        let mut tx = self.write(actor).await?;
        let result = async {
            if tx.fetch_optional("SELECT 1 FROM users WHERE name = $1", args![user]).await?.is_none() {
                return Err(DomainError::not_found("user", user).into());
            }
            let expires = expires_in_days.map(|d| plus_days(tx.at, d));
            let prefix = token_display_prefix(&secret);
            let id = tx
                .fetch_one(
                    "INSERT INTO api_tokens (user_name, prefix, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    args![user, &prefix, token_hash(&secret), to_micros(tx.at), expires.map(to_micros)],
                )
                .await?
                .int(0)?;
            audit(&mut tx, "token.create", "user", user, &json!({ "token": id, "prefix": prefix, "expires_at": expires })).await?;
            Ok(TokenInfo { id, user: user.to_string(), prefix, created_at: tx.at, expires_at: expires, revoked_at: None })
        }
        .await;
        Ok((tx.finish(result).await?, secret))
    }

    /// Revokes a token by id (the office, or the token's own user).
    pub async fn revoke_token(&self, actor: Principal, id: i64) -> Result<()> {
        let mut tx = self.write(actor).await?;
        let result = async {
            let row = tx.fetch_optional("SELECT user_name, revoked_at FROM api_tokens WHERE id = $1", args![id]).await?;
            let row = row.ok_or_else(|| DomainError::not_found("token", id))?;
            let owner = row.text("user_name")?;
            // Another user's token is reported like a missing one.
            if tallinn_core::policy::admin::revoke_token(&tx.actor, &owner).is_err() {
                return Err(DomainError::not_found("token", id).into());
            }
            if row.opt_int("revoked_at")?.is_some() {
                return Err(DomainError::Conflict(format!("token {id} is already revoked")).into());
            }
            tx.execute("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2", args![to_micros(tx.at), id]).await?;
            audit(&mut tx, "token.revoke", "user", &owner, &json!({ "token": id })).await
        }
        .await;
        tx.finish(result).await
    }

    pub async fn tokens(&self, reader: &Principal) -> Result<Vec<TokenInfo>> {
        tallinn_core::policy::admin::list_tokens(reader)?;
        let mut conn = self.read().await?;
        let rows = conn.fetch("SELECT id, user_name, prefix, created_at, expires_at, revoked_at FROM api_tokens ORDER BY id", vec![]).await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.int("id")?,
                    user: r.text("user_name")?,
                    prefix: r.text("prefix")?,
                    created_at: from_micros(r.int("created_at")?),
                    expires_at: r.opt_int("expires_at")?.map(from_micros),
                    revoked_at: r.opt_int("revoked_at")?.map(from_micros),
                })
            })
            .collect()
    }

    /// The user a live token belongs to, or `None` (unknown, revoked or
    /// expired tokens look alike).
    pub async fn principal_for_token(&self, token: &str) -> Result<Option<Principal>> {
        if !is_token(token) {
            return Ok(None);
        }
        let row = self
            .backend()
            .fetch_alone(
                "SELECT u.name, u.org, u.role FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.status = 'active'",
                args![token_hash(token), to_micros(self.now())],
            )
            .await?
            .into_iter()
            .next();
        row.map(|r| Ok(Principal::User { name: r.text("name")?, org: r.text("org")?, role: r.parse("role")? })).transpose()
    }

    /// Writes reads (of any readers) in one transaction; only AMBER,
    /// AMBER+STRICT and RED reads are kept. Reads are not changes, so this
    /// is the one write without an audit entry. Readers log through a
    /// [`View`](super::view::View), whose reads call this through the
    /// group-commit [`AccessLogger`](super::access_log::AccessLogger).
    pub(crate) async fn log_reads(&self, reads: Vec<AccessRead>) -> Result<()> {
        let at = to_micros(self.now());
        let logged: Vec<Vec<Value>> =
            reads.into_iter().filter(|r| r.tlp.is_logged_on_read()).map(|r| args![at, r.actor, r.entity, r.id, r.tlp.as_str(), r.via.as_str()]).collect();
        if logged.is_empty() {
            return Ok(());
        }
        let columns = ["at", "actor", "entity", "entity_id", "tlp", "via"];
        if logged.len() <= crate::sql::rows_per_insert(self.backend().dialect(), &columns) {
            let (sql, args) = crate::sql::insert_statement("access_log", &columns, logged);
            return self.backend().execute_alone(&sql, args).await.map(drop);
        }
        let mut tx = self.write(Principal::System).await?;
        let dialect = tx.dialect;
        let result = insert_many(tx.conn(), dialect, "access_log", &["at", "actor", "entity", "entity_id", "tlp", "via"], logged, |_| {}).await;
        tx.finish_unaudited(result).await
    }

    /// Opens a browser session for a user whose password the caller has
    /// verified. Returns the cookie secret and the CSRF token.
    pub async fn open_session(&self, user: &str, hours: i64) -> Result<(String, String)> {
        let mut random = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut random);
        let secret = hex::encode(random);
        rand::rng().fill_bytes(&mut random);
        let csrf = hex::encode(random);
        let mut tx = self.write(Principal::Public).await?;
        let (at, expires) = (to_micros(tx.at), to_micros(tx.at) + hours * 3600 * 1_000_000);
        let result = tx
            .execute(
                "INSERT INTO sessions (hash, user_name, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                args![token_hash(&secret), user, &csrf, at, expires],
            )
            .await
            .map(|_| ());
        tx.finish_unaudited(result).await?;
        Ok((secret, csrf))
    }

    /// The user and CSRF token of a live session.
    pub async fn session(&self, secret: &str) -> Result<Option<(Principal, String)>> {
        if secret.len() != TOKEN_BYTES * 2 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let mut conn = self.read().await?;
        let row = fetch_optional(
            conn.as_mut(),
            "SELECT u.name, u.org, u.role, s.csrf FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.hash = $1 AND s.closed_at IS NULL AND s.expires_at > $2 AND u.status = 'active'",
            args![token_hash(secret), to_micros(self.now())],
        )
        .await?;
        row.map(|r| Ok((Principal::User { name: r.text("name")?, org: r.text("org")?, role: r.parse("role")? }, r.text("csrf")?))).transpose()
    }

    /// Signs a session out.
    pub async fn close_session(&self, secret: &str) -> Result<()> {
        let mut tx = self.write(Principal::Public).await?;
        let at = to_micros(tx.at);
        let result = tx.execute("UPDATE sessions SET closed_at = $1 WHERE hash = $2 AND closed_at IS NULL", args![at, token_hash(secret)]).await.map(|_| ());
        tx.finish_unaudited(result).await
    }

    /// When the next sign-in attempt for `account` from `address` may be
    /// made, if not now: the progressive delays of
    /// `tallinn_core::throttle`, over the failures every server process
    /// recorded.
    pub async fn next_sign_in(&self, account: &str, address: &str) -> Result<Option<Timestamp>> {
        let now = to_micros(self.now());
        let since = now - WINDOW_MICROS;
        let mut conn = self.read().await?;
        let failures = async {
            Ok::<_, crate::StoreError>(Failures {
                account_at_address: failures(conn.as_mut(), "account = $1 AND address = $2 AND at > $3", args![account, address, since]).await?,
                account: failures(conn.as_mut(), "account = $1 AND at > $2", args![account, since]).await?,
                address: failures(conn.as_mut(), "address = $1 AND at > $2", args![address, since]).await?,
            })
        }
        .await;
        let _ = conn.rollback().await;
        let failures = failures?;
        Ok(next_attempt(&failures, now).map(from_micros))
    }

    /// The installation's secret named `name` (32 random bytes), made on
    /// first use and the same for every server process. Not a ledger
    /// change: no audit entry.
    pub async fn server_key(&self, name: &str) -> Result<[u8; 32]> {
        let mut tx = self.write(Principal::System).await?;
        let result = async {
            let mut fresh = [0u8; 32];
            rand::rng().fill_bytes(&mut fresh);
            tx.execute("INSERT INTO server_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", args![name, hex::encode(fresh)]).await?;
            let row = tx.fetch_one("SELECT value FROM server_keys WHERE name = $1", args![name]).await?;
            let mut key = [0u8; 32];
            hex::decode_to_slice(row.text("value")?, &mut key).map_err(|_| crate::StoreError::Corrupt(format!("server key {name} is not 32 bytes of hex")))?;
            Ok(key)
        }
        .await;
        tx.finish_unaudited(result).await
    }

    /// Counts a failed sign-in (not a ledger change: no audit entry).
    pub async fn record_login_failure(&self, account: &str, address: &str) -> Result<()> {
        let mut tx = self.write(Principal::Public).await?;
        let at = to_micros(tx.at);
        let result = async {
            tx.execute("INSERT INTO login_failures (at, account, address) VALUES ($1, $2, $3)", args![at, account, address]).await?;
            // Failures out of the window are of no further use.
            tx.execute("DELETE FROM login_failures WHERE at < $1", args![at - WINDOW_MICROS]).await?;
            Ok(())
        }
        .await;
        tx.finish_unaudited(result).await
    }

    /// The access log, newest first (auditors and the office).
    pub async fn access_log(&self, reader: &Principal, limit: i64) -> Result<Vec<AccessEntry>> {
        self.access_page(reader, limit, None).await
    }

    /// Access-log entries before number `before`, newest first.
    pub async fn access_page(&self, reader: &Principal, limit: i64, before: Option<i64>) -> Result<Vec<AccessEntry>> {
        tallinn_core::policy::admin::read_access_log(reader)?;
        let mut conn = self.read().await?;
        let rows = conn
            .fetch(
                "SELECT id, at, actor, entity, entity_id, tlp, via FROM access_log WHERE id < $2 ORDER BY id DESC LIMIT $1",
                args![limit.max(0), before.unwrap_or(i64::MAX)],
            )
            .await;
        let _ = conn.rollback().await;
        rows?
            .iter()
            .map(|r| {
                Ok(AccessEntry {
                    seq: r.int("id")?,
                    at: from_micros(r.int("at")?),
                    actor: r.text("actor")?,
                    entity: r.text("entity")?,
                    entity_id: r.text("entity_id")?,
                    tlp: r.parse("tlp")?,
                    via: r.text("via")?,
                })
            })
            .collect()
    }
}

/// How many sign-in failures match `filter`, and when the last was.
async fn failures(conn: &mut dyn crate::sql::Connection, filter: &str, args: Vec<Value>) -> Result<Count> {
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS failures, CAST(COALESCE(MAX(at), 0) AS BIGINT) AS last FROM login_failures WHERE {filter}");
    match fetch_optional(conn, &sql, args).await? {
        Some(r) => Ok(Count { failures: r.int("failures")?, last: r.int("last")? }),
        None => Ok(Count::default()),
    }
}
