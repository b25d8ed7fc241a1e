//! Pledges: recording, the status steps, and CSV import.

use serde_json::json;
use tallinn_core::DomainError;
use tallinn_core::PledgeId;
use tallinn_core::import::{Parsed, PledgeRow, RowError, merge_errors};
use tallinn_core::participant::ParticipantKind;
use tallinn_core::pledge::{Earmarks, NewPledge, Pledge, PledgeStatus};
use tallinn_core::policy::{Principal, may_see};
use tallinn_core::time::{from_micros, to_micros};

use super::{Ledger, audit, fx, json, participants};
use crate::args;
use crate::error::Result;
use crate::sql::Row;
use crate::tx::Tx;

pub(crate) const COLUMNS: &str = "id, donor, title, kind, amount_minor, currency, eur_minor, allocated_eur_minor, rate, rate_date, rate_source, items, valuation, pledged_on, budget_years, earmark_capabilities, earmark_sectors, earmark_beneficiaries, status, tlp, share_orgs, share_users, synthetic, created_at";

pub(crate) fn from_row(r: &Row) -> Result<Pledge> {
    let currency: tallinn_core::Currency = r.parse("currency")?;
    let amount_minor = r.int("amount_minor")?;
    Ok(Pledge {
        id: r.id("id")?,
        donor: r.text("donor")?,
        title: r.text("title")?,
        kind: r.parse("kind")?,
        amount: tallinn_core::money::format_minor(amount_minor, currency.exponent()),
        currency: currency.code().to_string(),
        amount_minor,
        eur_minor: r.int("eur_minor")?,
        allocated_eur_minor: r.int("allocated_eur_minor")?,
        rate: r.parse("rate")?,
        rate_date: r.parse("rate_date")?,
        rate_source: r.text("rate_source")?,
        items: r.json("items")?,
        valuation: r.opt_parse("valuation")?,
        pledged_on: r.parse("pledged_on")?,
        budget_years: r.json("budget_years")?,
        earmarks: Earmarks {
            capabilities: r.json("earmark_capabilities")?,
            sectors: r.json("earmark_sectors")?,
            beneficiaries: r.json("earmark_beneficiaries")?,
        },
        status: r.parse("status")?,
        tlp: r.parse("tlp")?,
        share_orgs: r.json("share_orgs")?,
        share_users: r.json("share_users")?,
        synthetic: r.bool("synthetic")?,
        created_at: from_micros(r.int("created_at")?),
    })
}

/// Reads and locks a pledge the actor may see.
pub(crate) async fn lock(tx: &mut Tx, key: PledgeId) -> Result<Pledge> {
    let sql = format!("SELECT {COLUMNS} FROM pledges WHERE id = $1{}", tx.dialect.lock_rows);
    let pledge = tx.fetch_optional(&sql, args![key]).await?.map(|r| from_row(&r)).transpose()?;
    match pledge {
        Some(p) if may_see(&tx.actor, &p.confidentiality()) => Ok(p),
        _ => Err(DomainError::not_found("pledge", key).into()),
    }
}

/// Checks the pledge's organisations and the actor's right to pledge for the donor.
async fn check_donor(tx: &mut Tx, pledge: &NewPledge) -> Result<()> {
    let kind = participants::kind_of(tx, &pledge.donor).await?;
    if !matches!(kind, ParticipantKind::Member | ParticipantKind::Observer) {
        return Err(DomainError::refused("donor", format!("{} is a {kind}; pledges come from members and observers", pledge.donor)).into());
    }
    let donor = pledge.donor.clone();
    tallinn_core::policy::pledge::make(&tx.actor, &donor)?;
    for org in pledge.share_orgs.iter().chain(&pledge.earmarks.beneficiaries) {
        participants::get(tx, org).await?;
    }
    Ok(())
}

/// Records a pledge as announced, converting it to EUR at the rate of the
/// pledge day.
pub(crate) async fn insert(tx: &mut Tx, pledge: &NewPledge) -> Result<Pledge> {
    pledge.validate()?;
    check_donor(tx, pledge).await?;
    // The recording user always sees their own pledge, RED included (ADR 0005).
    let mut pledge = pledge.clone();
    if let Principal::User { name, .. } = &tx.actor
        && !pledge.share_users.contains(name)
    {
        pledge.share_users.push(name.clone());
    }
    let pledge = &pledge;
    let eur = fx::convert(tx, pledge.amount, pledge.pledged_on).await?;
    let (at, actor) = (to_micros(tx.at), tx.actor.actor());
    let e = &pledge.earmarks;
    let id = tx
        .fetch_one(
            &format!("INSERT INTO pledges ({}, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) RETURNING id", &COLUMNS[4..]),
            args![
                &pledge.donor,
                pledge.title.trim(),
                pledge.kind.as_str(),
                pledge.amount.minor,
                pledge.amount.currency.code(),
                eur.eur_minor,
                0i64,
                eur.rate.to_string(),
                eur.rate_date.to_string(),
                &eur.rate_source,
                json(&pledge.items),
                pledge.valuation.map(|v| v.as_str()),
                pledge.pledged_on.to_string(),
                json(&pledge.budget_years),
                json(&e.capabilities),
                json(&e.sectors),
                json(&e.beneficiaries),
                PledgeStatus::Announced.as_str(),
                pledge.tlp.as_str(),
                json(&pledge.share_orgs),
                json(&pledge.share_users),
                pledge.synthetic,
                at,
                &actor
            ],
        )
        .await?
        .id::<PledgeId>(0)?;
    tx.execute("INSERT INTO pledge_transitions (pledge_id, from_status, to_status, at, actor) VALUES ($1, NULL, 'announced', $2, $3)", args![id, at, &actor])
        .await?;
    lock(tx, id).await
}

/// Moves a pledge to `to`.
pub(crate) async fn move_to(tx: &mut Tx, key: PledgeId, to: PledgeStatus) -> Result<Pledge> {
    let mut pledge = lock(tx, key).await?;
    tallinn_core::policy::pledge::change(&tx.actor, &pledge, to)?;
    let at = to_micros(tx.at);
    tx.execute("UPDATE pledges SET status = $1 WHERE id = $2", args![to.as_str(), key]).await?;
    let actor = tx.actor.actor();
    tx.execute(
        "INSERT INTO pledge_transitions (pledge_id, from_status, to_status, at, actor) VALUES ($1, $2, $3, $4, $5)",
        args![key, pledge.status.as_str(), to.as_str(), at, actor],
    )
    .await?;
    let action = match to {
        PledgeStatus::Committed => "pledge.commit",
        PledgeStatus::Disbursed => "pledge.disburse",
        PledgeStatus::Cancelled => "pledge.cancel",
        PledgeStatus::Announced => "pledge.announce",
    };
    audit(tx, action, "pledge", pledge.id, &json!({ "from": pledge.status, "to": to })).await?;
    pledge.status = to;
    Ok(pledge)
}

impl Ledger {
    pub async fn add_pledge(&self, actor: Principal, pledge: NewPledge) -> Result<Pledge> {
        let mut tx = self.write(actor).await?;
        let result = async {
            let pledge = insert(&mut tx, &pledge).await?;
            audit(&mut tx, "pledge.add", "pledge", pledge.id, &pledge).await?;
            Ok(pledge)
        }
        .await;
        tx.finish(result).await
    }

    pub async fn pledges(&self, reader: &Principal, donor: Option<&str>, status: Option<PledgeStatus>) -> Result<Vec<Pledge>> {
        let mut conn = self.read().await?;
        let rows = conn
            .fetch(
                &format!("SELECT {COLUMNS} FROM pledges WHERE ($1 = '' OR donor = $1) AND ($2 = '' OR status = $2) ORDER BY id DESC"),
                args![donor.unwrap_or(""), status.map_or("", |s| s.as_str())],
            )
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            let p = from_row(row)?;
            if may_see(reader, &p.confidentiality()) {
                out.push(p);
            }
        }
        Ok(out)
    }

    pub async fn pledge(&self, reader: &Principal, key: PledgeId) -> Result<Pledge> {
        let mut conn = self.read().await?;
        let row = crate::sql::fetch_optional(conn.as_mut(), &format!("SELECT {COLUMNS} FROM pledges WHERE id = $1"), args![key]).await?;
        match row.map(|r| from_row(&r)).transpose()? {
            Some(p) if may_see(reader, &p.confidentiality()) => Ok(p),
            _ => Err(DomainError::not_found("pledge", key).into()),
        }
    }

    pub async fn set_pledge_status(&self, actor: Principal, key: PledgeId, to: PledgeStatus) -> Result<Pledge> {
        let mut tx = self.write(actor).await?;
        let result = move_to(&mut tx, key, to).await;
        tx.finish(result).await
    }

    /// Imports money pledges, all or nothing, each brought to its row's status.
    pub async fn import_pledges(&self, actor: Principal, parsed: Parsed<PledgeRow>, progress: &(dyn Fn(u64) + Send + Sync)) -> Result<usize> {
        let mut tx = self.write(actor).await?;
        let result = async {
            let (rows, parsed_errors) = (parsed.rows, parsed.errors);
            let mut errors = Vec::new();
            let count = rows.len();
            for (n, row) in rows.iter().enumerate() {
                // Row-level problems (unknown donor, missing rate) are collected,
                // not returned at the first one; the transaction is rolled back
                // below if there are any.
                match insert(&mut tx, &row.value.0).await {
                    Ok(pledge) => {
                        let key = pledge.id;
                        let steps: &[PledgeStatus] = match row.value.1 {
                            PledgeStatus::Committed => &[PledgeStatus::Committed],
                            PledgeStatus::Disbursed => &[PledgeStatus::Committed, PledgeStatus::Disbursed],
                            _ => &[],
                        };
                        for step in steps {
                            move_to(&mut tx, key, *step).await?;
                        }
                    }
                    Err(crate::StoreError::Domain(e)) => {
                        errors.push(RowError { row: row.row, field: e.field().unwrap_or("row").to_string(), message: e.to_string() });
                    }
                    Err(other) => return Err(other),
                }
                progress((n + 1) as u64);
            }
            let errors = merge_errors(parsed_errors, errors);
            if !errors.is_empty() {
                return Err(tallinn_core::import::ImportErrors(errors).into());
            }
            audit(&mut tx, "pledge.import", "pledge", "", &json!({ "count": count })).await?;
            Ok(count)
        }
        .await;
        tx.finish(result).await
    }
}
