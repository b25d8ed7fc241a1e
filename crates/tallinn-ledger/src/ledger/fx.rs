//! The dated rate table and conversion of amounts to EUR.

use jiff::civil::Date;
use serde_json::json;
use tallinn_core::DomainError;
use tallinn_core::fx::{EurValue, FxRate, to_eur};
use tallinn_core::money::{Currency, Money};
use tallinn_core::policy::Principal;

use super::{Ledger, audit};
use crate::args;
use crate::error::Result;
use crate::sql::{Value, insert_many};
use crate::tx::Tx;

/// The oldest a rate may be, in days before the value date, to convert an
/// amount. The ECB publishes every business day; a longer gap means the rate
/// table is missing data, and converting with a stale rate would be wrong.
pub const MAX_RATE_AGE_DAYS: i32 = 14;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FxImportReport {
    pub rates: usize,
    pub added: usize,
    pub currencies: usize,
    pub first_day: Option<Date>,
    pub last_day: Option<Date>,
}

/// The EUR value of `money` on `on`, with the rate used.
pub(crate) async fn convert(tx: &mut Tx, money: Money, on: Date) -> Result<EurValue> {
    if money.currency == Currency::EUR {
        return Ok(EurValue::identity(money, on));
    }
    let code = money.currency.code().to_string();
    let row = tx
        .fetch_optional("SELECT day, rate, source FROM fx_rates WHERE currency = $1 AND day <= $2 ORDER BY day DESC LIMIT 1", args![&code, on.to_string()])
        .await?;
    let missing = || DomainError::refused("currency", format!("no EUR rate for {code} on or before {on}; import rates with `tallinn fx import`"));
    let row = row.ok_or_else(missing)?;
    let rate = FxRate { date: row.parse("day")?, currency: code.clone(), rate: row.parse("rate")?, source: row.text("source")? };
    let age = (on - rate.date).get_days();
    if age > MAX_RATE_AGE_DAYS {
        return Err(DomainError::refused(
            "currency",
            format!("the latest EUR rate for {code} before {on} is from {} ({age} days older); import current rates", rate.date),
        )
        .into());
    }
    Ok(to_eur(money, &rate)?)
}

impl Ledger {
    /// Adds rates to the table; a (currency, day) already present keeps its
    /// stored rate (rates are facts of their day and never change).
    pub async fn import_rates(&self, actor: Principal, rates: Vec<FxRate>, progress: &(dyn Fn(u64) + Send + Sync)) -> Result<FxImportReport> {
        tallinn_core::policy::admin::import_rates(&actor)?;
        let mut tx = self.write(actor).await?;
        let result = async {
            let report = insert_rates(&mut tx, &rates, progress).await?;
            audit(&mut tx, "fx.import", "fx_rates", "", &json!(report)).await?;
            Ok(report)
        }
        .await;
        tx.finish(result).await
    }
}

/// Adds rates to the table; a (currency, day) already present keeps its
/// stored rate.
pub(crate) async fn insert_rates(tx: &mut Tx, rates: &[FxRate], progress: &(dyn Fn(u64) + Send + Sync)) -> Result<FxImportReport> {
    let existing: std::collections::HashSet<(String, String)> =
        tx.fetch("SELECT currency, day FROM fx_rates", vec![]).await?.iter().map(|r| Ok((r.text("currency")?, r.text("day")?))).collect::<Result<_>>()?;
    let mut seen = std::collections::HashSet::new();
    let currencies: std::collections::BTreeSet<&str> = rates.iter().map(|r| r.currency.as_str()).collect();
    let fresh: Vec<Vec<Value>> = rates
        .iter()
        .filter(|r| {
            let key = (r.currency.clone(), r.date.to_string());
            !existing.contains(&key) && seen.insert(key)
        })
        .map(|r| args![&r.currency, r.date.to_string(), r.rate.to_string(), &r.source])
        .collect();
    let report = FxImportReport {
        rates: rates.len(),
        added: fresh.len(),
        currencies: currencies.len(),
        first_day: rates.iter().map(|r| r.date).min(),
        last_day: rates.iter().map(|r| r.date).max(),
    };
    let dialect = tx.dialect;
    insert_many(tx.conn(), dialect, "fx_rates", &["currency", "day", "rate", "source"], fresh, progress).await?;
    Ok(report)
}
