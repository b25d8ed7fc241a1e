//! The agreements register and the announcements.

use jiff::civil::Date;
use tallinn_core::DomainError;
use tallinn_core::agreement::{Agreement, Announcement, NewAgreement};
use tallinn_core::policy::Principal;
use tallinn_core::{AgreementId, PledgeId};

use super::{Ledger, audit, json, participants, pledges};
use crate::args;
use crate::error::Result;
use crate::tx::Tx;

/// An agreement as given on the command line (pledge ids as text).
pub type AgreementDraft = NewAgreement;

pub(crate) async fn insert(tx: &mut Tx, a: &NewAgreement) -> Result<Agreement> {
    a.validate()?;
    tallinn_core::policy::admin::register_agreements(&tx.actor)?;
    for party in &a.parties {
        participants::get(tx, party).await?;
    }
    for p in &a.pledges {
        pledges::lock(tx, *p).await?;
    }
    let id = tx
        .fetch_one(
            "INSERT INTO agreements (title, parties, domain, signed_on, status, synthetic, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            args![
                a.title.trim(),
                json(&a.parties),
                a.domain.as_str(),
                a.signed_on.map(|d| d.to_string()),
                a.status.as_str(),
                a.synthetic,
                tallinn_core::time::to_micros(tx.at)
            ],
        )
        .await?
        .id::<AgreementId>(0)?;
    for p in &a.pledges {
        tx.execute("INSERT INTO agreement_pledges (agreement_id, pledge_id) VALUES ($1, $2)", args![id, *p]).await?;
    }
    let agreement = Agreement {
        id,
        title: a.title.trim().to_string(),
        parties: a.parties.clone(),
        domain: a.domain,
        signed_on: a.signed_on,
        status: a.status,
        pledges: a.pledges.clone(),
        synthetic: a.synthetic,
    };
    audit(tx, "agreement.add", "agreement", agreement.id, &agreement).await?;
    Ok(agreement)
}

impl Ledger {
    pub async fn add_agreement(&self, actor: Principal, a: NewAgreement) -> Result<Agreement> {
        let mut tx = self.write(actor).await?;
        let result = insert(&mut tx, &a).await;
        tx.finish(result).await
    }

    /// Agreements are public facts of the register; their linked pledges are
    /// listed only where the reader may see the pledge.
    pub async fn agreements(&self, reader: &Principal) -> Result<Vec<Agreement>> {
        let visible: std::collections::HashSet<PledgeId> = self.pledges(reader, None, None).await?.into_iter().map(|p| p.id).collect();
        let mut conn = self.read().await?;
        let rows = conn.fetch("SELECT id, title, parties, domain, signed_on, status, synthetic FROM agreements ORDER BY id", vec![]).await?;
        let links = conn.fetch("SELECT agreement_id, pledge_id FROM agreement_pledges ORDER BY pledge_id", vec![]).await?;
        let mut out = Vec::new();
        for r in &rows {
            let key: AgreementId = r.id("id")?;
            let mut pledges = Vec::new();
            for l in &links {
                let pledge: PledgeId = l.id("pledge_id")?;
                if l.id::<AgreementId>("agreement_id")? == key && visible.contains(&pledge) {
                    pledges.push(pledge);
                }
            }
            out.push(Agreement {
                id: key,
                title: r.text("title")?,
                parties: r.json("parties")?,
                domain: r.parse("domain")?,
                signed_on: r.opt_parse::<Date>("signed_on")?,
                status: r.parse("status")?,
                pledges,
                synthetic: r.bool("synthetic")?,
            });
        }
        Ok(out)
    }

    /// One agreement (the register is public; linked pledges as visible).
    pub async fn agreement(&self, reader: &Principal, id: AgreementId) -> Result<Agreement> {
        self.agreements(reader).await?.into_iter().find(|a| a.id == id).ok_or_else(|| DomainError::not_found("agreement", id).into())
    }

    pub async fn announcements(&self) -> Result<Vec<Announcement>> {
        let mut conn = self.read().await?;
        announcements_on(conn.as_mut()).await
    }
}

/// The announcements, oldest first, read through `conn`.
pub(crate) async fn announcements_on(conn: &mut dyn crate::sql::Connection) -> Result<Vec<Announcement>> {
    let rows = conn
        .fetch(
            "SELECT id, day, end_day, place, new_funding_eur_minor, new_funding_year, cumulative_eur_minor, endorsers, note FROM announcements ORDER BY day",
            vec![],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Announcement {
                id: r.id("id")?,
                date: r.parse("day")?,
                end_date: r.opt_parse("end_day")?,
                place: r.text("place")?,
                new_funding_eur_minor: r.int("new_funding_eur_minor")?,
                new_funding_year: i16::try_from(r.int("new_funding_year")?).map_err(|_| crate::StoreError::Corrupt("bad year".into()))?,
                cumulative_eur_minor: r.int("cumulative_eur_minor")?,
                endorsers: r.json("endorsers")?,
                note: r.text("note")?,
            })
        })
        .collect()
}
