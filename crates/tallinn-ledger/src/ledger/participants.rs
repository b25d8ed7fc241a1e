//! Participants, users and the reference data.

use serde_json::json;
use tallinn_core::DomainError;
use tallinn_core::participant::{AccountStatus, NewUser, Participant, ParticipantKind, User};
use tallinn_core::policy::Principal;
use tallinn_core::reference;
use tallinn_core::time::{from_micros, to_micros};

use super::{Ledger, audit, json};
use crate::args;
use crate::error::Result;
use crate::sql::Row;
use crate::tx::Tx;

const COLUMNS: &str = "code, name, kind, parent, joined, left_on, synthetic";

fn from_row(r: &Row) -> Result<Participant> {
    Ok(Participant {
        code: r.text("code")?,
        name: r.text("name")?,
        kind: r.parse("kind")?,
        parent: r.opt_text("parent")?,
        joined: r.opt_text("joined")?.map(|d| d.try_into()).transpose().map_err(|e: tallinn_core::FieldError| crate::StoreError::Corrupt(e.to_string()))?,
        left: r.opt_text("left_on")?.map(|d| d.try_into()).transpose().map_err(|e: tallinn_core::FieldError| crate::StoreError::Corrupt(e.to_string()))?,
        synthetic: r.bool("synthetic")?,
    })
}

/// Reads a participant in a transaction.
pub(crate) async fn get(tx: &mut Tx, code: &str) -> Result<Participant> {
    let row = tx.fetch_optional(&format!("SELECT {COLUMNS} FROM participants WHERE code = $1"), args![code]).await?;
    row.as_ref().map(from_row).transpose()?.ok_or_else(|| DomainError::not_found("participant", code).into())
}

/// Inserts one participant (no audit: callers audit the operation).
pub(crate) async fn insert(tx: &mut Tx, p: &Participant) -> Result<()> {
    p.validate()?;
    if tx.fetch_optional("SELECT 1 FROM participants WHERE code = $1", args![&p.code]).await?.is_some() {
        return Err(DomainError::AlreadyExists { entity: "participant", id: p.code.clone() }.into());
    }
    if let Some(parent) = &p.parent {
        get(tx, parent).await?;
    }
    tx.execute(
        &format!("INSERT INTO participants ({COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        args![
            &p.code,
            &p.name,
            p.kind.as_str(),
            p.parent.clone(),
            p.joined.as_ref().map(|d| d.as_str()),
            p.left.as_ref().map(|d| d.as_str()),
            p.synthetic,
            to_micros(tx.at)
        ],
    )
    .await?;
    Ok(())
}

/// Inserts the reference participants and announcement that are missing.
/// Returns how many rows were added.
/// Adds a user of an organisation that exists, under a name not taken.
pub(crate) async fn insert_user(tx: &mut Tx, user: &NewUser) -> Result<User> {
    let org = get(tx, &user.org).await?;
    user.validate(org.kind)?;
    if tx.fetch_optional("SELECT 1 FROM users WHERE name = $1", args![&user.name]).await?.is_some() {
        return Err(DomainError::AlreadyExists { entity: "user", id: user.name.clone() }.into());
    }
    let at = tx.at;
    tx.execute(
        "INSERT INTO users (name, org, role, panel, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        args![&user.name, &user.org, user.role.as_str(), user.panel.map(|p| p.as_str()), user.password_hash.clone(), to_micros(at)],
    )
    .await?;
    Ok(User { name: user.name.clone(), org: user.org.clone(), role: user.role, panel: user.panel, status: AccountStatus::Active, created_at: at })
}

pub(crate) async fn load_reference(tx: &mut Tx) -> Result<usize> {
    let mut added = Vec::new();
    for p in reference::participants() {
        if tx.fetch_optional("SELECT 1 FROM participants WHERE code = $1", args![&p.code]).await?.is_none() {
            insert(tx, &p).await?;
            added.push(p.code.clone());
        }
    }
    let fact = &reference::PARIS_2025;
    let known = tx.fetch_optional("SELECT 1 FROM announcements WHERE day = $1 AND place = $2", args![fact.date, fact.place]).await?;
    if known.is_none() {
        tx.execute(
            "INSERT INTO announcements (day, end_day, place, new_funding_eur_minor, new_funding_year, cumulative_eur_minor, endorsers, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![fact.date, fact.end_date, fact.place, fact.new_funding_eur_minor, i64::from(fact.new_funding_year), fact.cumulative_eur_minor, json(fact.endorsers), fact.note],
        )
        .await?;
        added.push(format!("announcement {} {}", fact.place, fact.date));
    }
    if !added.is_empty() {
        audit(tx, "reference.load", "reference", "SPEC-10", &json!({ "added": added })).await?;
    }
    Ok(added.len())
}

impl Ledger {
    /// Every participant, by kind then code.
    pub async fn participants(&self) -> Result<Vec<Participant>> {
        let mut conn = self.read().await?;
        let rows = conn
            .fetch(
                &format!("SELECT {COLUMNS} FROM participants ORDER BY CASE kind WHEN 'member' THEN 1 WHEN 'observer' THEN 2 WHEN 'beneficiary' THEN 3 WHEN 'implementer' THEN 4 ELSE 5 END, code"),
                vec![],
            )
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn add_participant(&self, actor: Principal, p: Participant) -> Result<Participant> {
        tallinn_core::policy::admin::add_participants(&actor)?;
        let mut tx = self.write(actor).await?;
        let result = async {
            insert(&mut tx, &p).await?;
            audit(&mut tx, "participant.add", "participant", &p.code, &p).await?;
            Ok(p)
        }
        .await;
        tx.finish(result).await
    }

    pub async fn add_user(&self, actor: Principal, user: NewUser) -> Result<User> {
        tallinn_core::policy::admin::add_users(&actor)?;
        let mut tx = self.write(actor).await?;
        let result = async {
            let added = insert_user(&mut tx, &user).await?;
            // The password hash never enters the audit log.
            audit(
                &mut tx,
                "user.add",
                "user",
                &user.name,
                &json!({ "org": user.org, "role": user.role, "panel": user.panel, "password": user.password_hash.is_some() }),
            )
            .await?;
            Ok(added)
        }
        .await;
        tx.finish(result).await
    }

    /// Users, for coordinators and auditors.
    pub async fn users(&self, reader: &Principal) -> Result<Vec<User>> {
        tallinn_core::policy::admin::list_users(reader)?;
        let mut conn = self.read().await?;
        let rows = conn.fetch("SELECT name, org, role, panel, created_at, status FROM users ORDER BY name", vec![]).await?;
        rows.iter()
            .map(|r| {
                Ok(User {
                    name: r.text("name")?,
                    org: r.text("org")?,
                    role: r.parse("role")?,
                    panel: r.opt_parse("panel")?,
                    status: r.parse("status")?,
                    created_at: from_micros(r.int("created_at")?),
                })
            })
            .collect()
    }

    /// The panel the reader sits on (each user may know their own).
    pub async fn own_panel(&self, reader: &Principal) -> Result<Option<tallinn_core::participant::Panel>> {
        let Principal::User { name, .. } = reader else { return Ok(None) };
        let mut conn = self.read().await?;
        let rows = conn.fetch("SELECT panel FROM users WHERE name = $1", args![name.as_str()]).await?;
        let _ = conn.rollback().await;
        match rows.first() {
            Some(r) => r.opt_parse("panel"),
            None => Ok(None),
        }
    }

    /// Sets a user's password (an Argon2id PHC string computed by the caller).
    pub async fn set_password(&self, actor: Principal, user: &str, password_hash: &str) -> Result<()> {
        tallinn_core::policy::admin::set_passwords(&actor)?;
        let mut tx = self.write(actor).await?;
        let result = async {
            if tx.execute("UPDATE users SET password_hash = $1 WHERE name = $2", args![password_hash, user]).await? == 0 {
                return Err(DomainError::not_found("user", user).into());
            }
            // The hash itself never enters the audit log.
            audit(&mut tx, "user.password", "user", user, &json!({})).await
        }
        .await;
        tx.finish(result).await
    }

    /// The stored Argon2 hash of a user's password, for sign-in.
    pub async fn password_hash(&self, user: &str) -> Result<Option<String>> {
        let mut conn = self.read().await?;
        let row = crate::sql::fetch_optional(conn.as_mut(), "SELECT password_hash FROM users WHERE name = $1 AND status = 'active'", args![user]).await?;
        Ok(row.map(|r| r.opt_text("password_hash")).transpose()?.flatten())
    }
}

/// The organisation's kind, for checks like "only members and observers pledge".
pub(crate) async fn kind_of(tx: &mut Tx, code: &str) -> Result<ParticipantKind> {
    Ok(get(tx, code).await?.kind)
}

/// The organisation as a principal, with its user names (for RED sharing).
pub(crate) async fn as_principal(tx: &mut Tx, code: &str) -> Result<Principal> {
    let users = tx.fetch("SELECT name FROM users WHERE org = $1", args![code]).await?;
    Ok(Principal::Organisation { code: code.to_string(), users: users.iter().map(|r| r.text("name")).collect::<Result<_>>()? })
}
