//! Printing lists as a table, JSON (an array of objects) or CSV, on stdout.

use std::io::Write;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use tallinn_core::agreement::{Agreement, Announcement};
use tallinn_core::allocation::Allocation;
use tallinn_core::audit::AuditEntry;
use tallinn_core::import;
use tallinn_core::money::format_minor;
use tallinn_core::need::Need;
use tallinn_core::participant::{Participant, User};
use tallinn_core::pledge::Pledge;
use tallinn_core::project::Project;
use tallinn_core::transaction::Transaction;

use crate::cli::Format;

/// A record that prints as one row of a table or CSV file.
pub trait Listing: Serialize {
    const COLUMNS: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
    /// The CSV file's columns: the table's, unless the records can be
    /// imported, whose CSV is what the importer reads (then what the ledger
    /// added, which the importer reads past).
    fn csv_columns() -> Vec<&'static str> {
        Self::COLUMNS.to_vec()
    }
    fn csv_cells(&self) -> Vec<String> {
        self.cells()
    }
}

/// The CSV columns of an importable record: the importer's, then the
/// ledger's own (`tallinn_core::import`).
fn importable(columns: &[&'static str], export_only: &[&'static str]) -> Vec<&'static str> {
    columns.iter().chain(export_only).copied().collect()
}

/// A list field as the importer reads it.
fn joined<T: ToString>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(";")
}

pub fn print<T: Listing>(items: &[T], format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, items)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(T::csv_columns())?;
            for item in items {
                w.write_record(item.csv_cells())?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_header(T::COLUMNS.to_vec());
            for item in items {
                table.add_row(item.cells());
            }
            writeln!(out, "{table}")?;
            writeln!(out, "{} row(s)", items.len())?;
        }
    }
    Ok(())
}

/// Prints one record: JSON, or a two-column table of its JSON fields.
pub fn print_one<T: Serialize>(item: &T, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let value = serde_json::to_value(item)?;
    match (format, &value) {
        (Format::Table, serde_json::Value::Object(map)) => {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            for (k, v) in map {
                table.add_row(vec![k.clone(), plain(v)]);
            }
            writeln!(out, "{table}")?;
        }
        _ => {
            serde_json::to_writer_pretty(&mut out, &value)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn eur(minor: i64) -> String {
    format_minor(minor, 2)
}

impl Listing for Participant {
    const COLUMNS: &'static [&'static str] = &["code", "name", "kind", "parent", "joined", "synthetic"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.code.clone(),
            self.name.clone(),
            self.kind.to_string(),
            opt(&self.parent),
            self.joined.as_ref().map(|d| d.as_str().to_string()).unwrap_or_default(),
            self.synthetic.to_string(),
        ]
    }
}

impl Listing for tallinn_ledger::Collection {
    const COLUMNS: &'static [&'static str] = &["id", "alias", "title", "read", "write", "created_at"];
    fn cells(&self) -> Vec<String> {
        let audience = |a: &tallinn_ledger::Audience| match a {
            tallinn_ledger::Audience::All => "all".to_string(),
            tallinn_ledger::Audience::Orgs(orgs) => orgs.join(","),
        };
        vec![self.id.to_string(), opt(&self.alias), self.title.clone(), audience(&self.read), audience(&self.write), self.created_at.to_string()]
    }
}

impl Listing for User {
    const COLUMNS: &'static [&'static str] = &["name", "org", "role", "panel", "status", "created_at"];
    fn cells(&self) -> Vec<String> {
        vec![self.name.clone(), self.org.clone(), self.role.to_string(), opt(&self.panel), self.status.to_string(), self.created_at.to_string()]
    }
}

impl Listing for Need {
    const COLUMNS: &'static [&'static str] =
        &["id", "title", "beneficiary", "capability", "sector", "urgency", "status", "tlp", "cost", "funded", "divisible", "reserved_by", "synthetic"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.title.clone(),
            self.beneficiary.clone(),
            self.capability.to_string(),
            self.sector.to_string(),
            self.urgency.to_string(),
            self.status.to_string(),
            self.tlp.to_string(),
            eur(self.cost_eur_minor),
            eur(self.funded_eur_minor),
            self.divisible.to_string(),
            reservation(self),
            self.synthetic.to_string(),
        ]
    }
    fn csv_columns() -> Vec<&'static str> {
        importable(import::NEED_COLUMNS, import::NEED_EXPORT_ONLY)
    }
    fn csv_cells(&self) -> Vec<String> {
        Self::csv_columns()
            .into_iter()
            .map(|column| match column {
                "beneficiary" => self.beneficiary.clone(),
                "title" => self.title.clone(),
                "description" => self.description.clone(),
                "capability" => self.capability.to_string(),
                "sector" => self.sector.to_string(),
                "urgency" => self.urgency.to_string(),
                "cost_eur" => eur(self.cost_eur_minor),
                "divisible" => self.divisible.to_string(),
                "deadline" => self.deadline.map(|d| d.to_string()).unwrap_or_default(),
                "tlp" => self.tlp.to_string(),
                "share_orgs" => joined(&self.share_orgs),
                "share_users" => joined(&self.share_users),
                "tags" => joined(&self.tags),
                "id" => self.id.to_string(),
                "status" => self.status.to_string(),
                "funded_eur" => eur(self.funded_eur_minor),
                "reserved_by" => reservation(self),
                "synthetic" => self.synthetic.to_string(),
                "created_at" => self.created_at.to_string(),
                "created_by" => self.created_by.clone(),
                other => unreachable!("need column {other} has no value"),
            })
            .collect()
    }
}

fn reservation(need: &Need) -> String {
    need.reservation.as_ref().map(|r| format!("{} until {}", r.donor.as_deref().unwrap_or("under discussion"), r.until)).unwrap_or_default()
}

impl Listing for Pledge {
    const COLUMNS: &'static [&'static str] =
        &["id", "donor", "title", "kind", "amount", "currency", "amount_eur", "allocated_eur", "rate", "rate_date", "status", "tlp", "synthetic"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.donor.clone(),
            self.title.clone(),
            self.kind.to_string(),
            self.amount.clone(),
            self.currency.clone(),
            eur(self.eur_minor),
            eur(self.allocated_eur_minor),
            self.rate.to_string(),
            self.rate_date.to_string(),
            self.status.to_string(),
            self.tlp.to_string(),
            self.synthetic.to_string(),
        ]
    }
    fn csv_columns() -> Vec<&'static str> {
        importable(import::PLEDGE_COLUMNS, import::PLEDGE_EXPORT_ONLY)
    }
    fn csv_cells(&self) -> Vec<String> {
        Self::csv_columns()
            .into_iter()
            .map(|column| match column {
                "donor" => self.donor.clone(),
                "title" => self.title.clone(),
                "kind" => self.kind.to_string(),
                "amount" => self.amount.clone(),
                "currency" => self.currency.clone(),
                "pledged_on" => self.pledged_on.to_string(),
                "status" => self.status.to_string(),
                "budget_years" => joined(&self.budget_years),
                "capabilities" => joined(&self.earmarks.capabilities),
                "sectors" => joined(&self.earmarks.sectors),
                "beneficiaries" => joined(&self.earmarks.beneficiaries),
                "tlp" => self.tlp.to_string(),
                "share_orgs" => joined(&self.share_orgs),
                "share_users" => joined(&self.share_users),
                "id" => self.id.to_string(),
                "amount_eur" => eur(self.eur_minor),
                "allocated_eur" => eur(self.allocated_eur_minor),
                "rate" => self.rate.to_string(),
                "rate_date" => self.rate_date.to_string(),
                "synthetic" => self.synthetic.to_string(),
                "created_at" => self.created_at.to_string(),
                other => unreachable!("pledge column {other} has no value"),
            })
            .collect()
    }
}

impl Listing for Allocation {
    const COLUMNS: &'static [&'static str] = &["id", "pledge", "need", "donor", "amount_eur", "created_at", "created_by"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.pledge.to_string(),
            self.need.to_string(),
            self.donor.clone(),
            eur(self.amount_eur_minor),
            self.created_at.to_string(),
            self.created_by.clone(),
        ]
    }
}

impl Listing for Transaction {
    const COLUMNS: &'static [&'static str] =
        &["id", "kind", "provider", "receiver", "value_date", "amount", "currency", "amount_eur", "rate", "rate_date", "pledge", "need", "pass_through_of"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.kind.to_string(),
            self.provider.clone(),
            self.receiver.clone(),
            self.value_date.to_string(),
            self.amount.clone(),
            self.currency.clone(),
            eur(self.eur_minor),
            self.rate.to_string(),
            self.rate_date.to_string(),
            opt(&self.pledge),
            opt(&self.need),
            opt(&self.pass_through_of),
        ]
    }
    fn csv_columns() -> Vec<&'static str> {
        importable(import::TRANSACTION_COLUMNS, import::TRANSACTION_EXPORT_ONLY)
    }
    fn csv_cells(&self) -> Vec<String> {
        Self::csv_columns()
            .into_iter()
            .map(|column| match column {
                "kind" => self.kind.to_string(),
                "provider" => self.provider.clone(),
                "receiver" => self.receiver.clone(),
                "value_date" => self.value_date.to_string(),
                "amount" => self.amount.clone(),
                "currency" => self.currency.clone(),
                "pledge" => opt(&self.pledge),
                "need" => opt(&self.need),
                "pass_through_of" => opt(&self.pass_through_of),
                "description" => self.description.clone(),
                "id" => self.id.to_string(),
                "amount_eur" => eur(self.eur_minor),
                "rate" => self.rate.to_string(),
                "rate_date" => self.rate_date.to_string(),
                "synthetic" => self.synthetic.to_string(),
                "created_at" => self.created_at.to_string(),
                other => unreachable!("transaction column {other} has no value"),
            })
            .collect()
    }
}

impl Listing for Project {
    const COLUMNS: &'static [&'static str] = &["id", "need", "beneficiary", "implementer", "title", "status", "milestones_done", "accepted_by"];
    fn cells(&self) -> Vec<String> {
        let done = self.milestones.iter().filter(|m| m.completed_at.is_some()).count();
        vec![
            self.id.to_string(),
            self.need.to_string(),
            self.beneficiary.clone(),
            self.implementer.clone(),
            self.title.clone(),
            self.status.to_string(),
            format!("{done}/{}", self.milestones.len()),
            self.acceptance.as_ref().map(|a| a.by.clone()).unwrap_or_default(),
        ]
    }
}

impl Listing for Agreement {
    const COLUMNS: &'static [&'static str] = &["id", "title", "parties", "domain", "signed_on", "status", "pledges"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.title.clone(),
            self.parties.join(" "),
            self.domain.to_string(),
            opt(&self.signed_on),
            self.status.to_string(),
            self.pledges.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
        ]
    }
}

impl Listing for Announcement {
    const COLUMNS: &'static [&'static str] = &["id", "date", "place", "new_funding_eur", "year", "cumulative_eur", "endorsers"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.date.to_string(),
            self.place.clone(),
            eur(self.new_funding_eur_minor),
            self.new_funding_year.to_string(),
            eur(self.cumulative_eur_minor),
            self.endorsers.join(" "),
        ]
    }
}

impl Listing for AuditEntry {
    const COLUMNS: &'static [&'static str] = &["seq", "at", "actor", "action", "entity", "entity_id", "hash"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.seq.to_string(),
            self.at.to_string(),
            self.actor.clone(),
            self.action.clone(),
            self.entity.clone(),
            self.entity_id.clone(),
            self.hash.get(..16).unwrap_or(&self.hash).to_string(),
        ]
    }
}

impl Listing for tallinn_allocate::gaps::GapRow {
    const COLUMNS: &'static [&'static str] = &["group", "needs", "unfunded_eur", "weighted_eur", "top_need"];
    fn cells(&self) -> Vec<String> {
        vec![self.group.clone(), self.needs.to_string(), self.unfunded_eur.clone(), self.weighted_eur.clone(), self.top_need.clone()]
    }
}

impl Listing for tallinn_ledger::TokenInfo {
    const COLUMNS: &'static [&'static str] = &["id", "user", "prefix", "created_at", "expires_at", "revoked_at"];
    fn cells(&self) -> Vec<String> {
        vec![self.id.to_string(), self.user.clone(), self.prefix.clone(), self.created_at.to_string(), opt(&self.expires_at), opt(&self.revoked_at)]
    }
}

impl Listing for tallinn_ledger::AccessEntry {
    const COLUMNS: &'static [&'static str] = &["at", "actor", "entity", "entity_id", "tlp", "via"];
    fn cells(&self) -> Vec<String> {
        vec![self.at.to_string(), self.actor.clone(), self.entity.clone(), self.entity_id.clone(), self.tlp.to_string(), self.via.clone()]
    }
}
