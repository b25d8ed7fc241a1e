//! Collections: creation (the office), listing and lookup (by id or alias),
//! and the default `community` collection.

use tallinn_core::DomainError;
use tallinn_core::policy::Principal;
use tallinn_core::time::{from_micros, to_micros};

use super::{Audience, COMMUNITY, Collection, NewCollection};
use crate::args;
use crate::error::Result;
use crate::ledger::{Ledger, audit, participants};
use crate::sql::{Connection, Row};
use crate::tx::Tx;

const COLUMNS: &str = "id, alias, title, description, read_orgs, write_orgs, created_at";

fn audience(r: &Row, i: usize) -> Result<Audience> {
    Ok(match r.opt_text(i)? {
        None => Audience::All,
        Some(_) => Audience::Orgs(r.json(i)?),
    })
}

fn from_row(r: &Row) -> Result<Collection> {
    Ok(Collection {
        id: r.text("id")?,
        alias: r.opt_text("alias")?,
        title: r.text("title")?,
        description: r.opt_text("description")?,
        read: audience(r, 4)?,
        write: audience(r, 5)?,
        created_at: from_micros(r.int("created_at")?),
    })
}

/// An alias: 2-64 of a-z, 0-9 and '-', and not UUID-shaped, so that it can
/// never be mistaken for a collection id.
/// An alias's characters and length (the rule of `validate_alias`), as a regular expression for
/// the API's document (which also says: not [`UUID_PATTERN`]).
pub const ALIAS_PATTERN: &str = "^[a-z0-9-]{2,64}$";

/// A UUID, as `uuid` reads one in an alias's characters; such an alias
/// would be mistaken for a collection id.
pub const UUID_PATTERN: &str = "^(urn:uuid:)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$";

fn validate_alias(alias: &str) -> Result<()> {
    let ok = (2..=64).contains(&alias.len())
        && alias.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && uuid::Uuid::parse_str(alias).is_err();
    if ok { Ok(()) } else { Err(DomainError::invalid("alias", "2-64 of a-z, 0-9 and '-' (not a UUID)").into()) }
}

/// Finds a collection by id or alias, in any transaction; `lock` holds its
/// row until the transaction ends (the writers' per-collection lock).
pub(super) async fn find(conn: &mut dyn Connection, key: &str, lock: &str) -> Result<Option<(Collection, i64)>> {
    let row =
        crate::sql::fetch_optional(conn, &format!("SELECT {COLUMNS}, last_added FROM taxii_collections WHERE id = $1 OR alias = $1{lock}"), args![key]).await?;
    row.map(|r| Ok((from_row(&r)?, r.int("last_added")?))).transpose()
}

/// The collection `key` names, if `who` may use it; otherwise "not found",
/// exactly as if it did not exist.
pub(super) async fn usable(conn: &mut dyn Connection, who: &Principal, key: &str, lock: &str) -> Result<(Collection, i64)> {
    match find(conn, key, lock).await? {
        Some((c, last)) if c.is_usable_by(who) => Ok((c, last)),
        _ => Err(DomainError::not_found("collection", key).into()),
    }
}

async fn insert(tx: &mut Tx, new: &NewCollection) -> Result<Collection> {
    tallinn_core::policy::admin::create_collections(&tx.actor)?;
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > tallinn_core::need::MAX_TITLE {
        return Err(DomainError::invalid("title", "1-200 characters").into());
    }
    if let Some(alias) = &new.alias {
        validate_alias(alias)?;
        if tx.fetch_optional("SELECT 1 FROM taxii_collections WHERE alias = $1", args![alias]).await?.is_some() {
            return Err(DomainError::AlreadyExists { entity: "collection", id: alias.clone() }.into());
        }
    }
    for audience in [&new.read, &new.write] {
        if let Audience::Orgs(orgs) = audience {
            for org in orgs {
                participants::get(tx, org).await?;
            }
        }
    }
    let collection = Collection {
        id: uuid::Uuid::new_v4().to_string(),
        alias: new.alias.clone(),
        title: title.to_string(),
        description: new.description.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::to_string),
        read: new.read.clone(),
        write: new.write.clone(),
        created_at: from_micros(to_micros(tx.at)),
    };
    tx.execute(
        &format!("INSERT INTO taxii_collections ({COLUMNS}, last_added) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)"),
        args![
            &collection.id,
            collection.alias.clone(),
            &collection.title,
            collection.description.clone(),
            collection.read.column(),
            collection.write.column(),
            to_micros(tx.at)
        ],
    )
    .await?;
    audit(tx, "collection.add", "collection", &collection.id.clone(), &collection).await?;
    Ok(collection)
}

/// Creates the `community` collection (every analyst reads and writes) if
/// it does not exist. Returns how many collections it created.
pub(crate) async fn ensure_community(tx: &mut Tx) -> Result<usize> {
    if tx.fetch_optional("SELECT 1 FROM taxii_collections WHERE alias = $1", args![COMMUNITY]).await?.is_some() {
        return Ok(0);
    }
    let community = NewCollection {
        title: "Community".into(),
        description: Some("Threat intelligence shared by every partner CERT, under the TLP marking of each object.".into()),
        alias: Some(COMMUNITY.into()),
        read: Audience::All,
        write: Audience::All,
    };
    insert(tx, &community).await?;
    Ok(1)
}

impl Ledger {
    /// Creates a collection (coordinators and the operator).
    pub async fn add_collection(&self, actor: Principal, new: NewCollection) -> Result<Collection> {
        let mut tx = self.write(actor).await?;
        let result = insert(&mut tx, &new).await;
        tx.finish(result).await
    }

    /// The collections `reader` may read or write, oldest first.
    pub async fn collections(&self, reader: &Principal) -> Result<Vec<Collection>> {
        let mut conn = self.read().await?;
        let rows = conn.fetch(&format!("SELECT {COLUMNS} FROM taxii_collections ORDER BY created_at, title, id"), vec![]).await?;
        let _ = conn.rollback().await;
        let all: Result<Vec<Collection>> = rows.iter().map(from_row).collect();
        Ok(all?.into_iter().filter(|c| c.is_usable_by(reader)).collect())
    }

    /// One collection by id or alias, if `reader` may use it.
    pub async fn collection(&self, reader: &Principal, key: &str) -> Result<Collection> {
        let mut conn = self.read().await?;
        let found = usable(conn.as_mut(), reader, key, "").await;
        let _ = conn.rollback().await;
        Ok(found?.0)
    }
}
