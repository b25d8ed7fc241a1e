//! Funding flows (IATI-aligned transactions) with their EUR value and the
//! pass-through links that keep reports from counting a euro twice.

use jiff::civil::Date;
use serde_json::json;
use tallinn_core::DomainError;
use tallinn_core::import::{Parsed, RowError, merge_errors};
use tallinn_core::policy::Principal;
use tallinn_core::time::{from_micros, to_micros, utc_date};
use tallinn_core::transaction::{NewTransaction, Transaction, TransactionKind};
use tallinn_core::{NeedId, PledgeId, TransactionId};

use super::{Ledger, audit, flow_chunks, fx, needs, pledges};
use crate::args;
use crate::error::Result;
use crate::sql::{Row, Value, insert_many_returning};
use crate::tx::Tx;

const COLUMNS: &str = "id, kind, provider, receiver, value_date, amount_minor, currency, eur_minor, rate, rate_date, rate_source, pledge_id, need_id, pass_through_of, description, synthetic, created_at";
const INSERT_COLUMNS: &[&str] = &[
    "kind",
    "provider",
    "receiver",
    "value_date",
    "amount_minor",
    "currency",
    "eur_minor",
    "rate",
    "rate_date",
    "rate_source",
    "pledge_id",
    "need_id",
    "pass_through_of",
    "description",
    "synthetic",
    "created_at",
];

fn from_row(r: &Row) -> Result<Transaction> {
    let currency: tallinn_core::Currency = r.parse("currency")?;
    Ok(Transaction {
        id: r.id("id")?,
        kind: r.parse("kind")?,
        provider: r.text("provider")?,
        receiver: r.text("receiver")?,
        value_date: r.parse("value_date")?,
        amount: tallinn_core::money::format_minor(r.int("amount_minor")?, currency.exponent()),
        currency: currency.code().to_string(),
        eur_minor: r.int("eur_minor")?,
        rate: r.parse("rate")?,
        rate_date: r.parse("rate_date")?,
        rate_source: r.text("rate_source")?,
        pledge: r.opt_id("pledge_id")?,
        need: r.opt_id("need_id")?,
        pass_through_of: r.opt_id("pass_through_of")?,
        description: r.text("description")?,
        synthetic: r.bool("synthetic")?,
        created_at: from_micros(r.int("created_at")?),
    })
}

/// Filters for listing transactions.
#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    pub kind: Option<TransactionKind>,
    pub year: Option<i16>,
    /// Only the flows linked to this need.
    pub need: Option<NeedId>,
    pub limit: Option<usize>,
}

/// EUR passed on per upstream transaction by rows not yet written (an
/// import checks each row against the stored rows *and* the earlier rows of
/// the same file).
type PendingPassThrough = std::collections::HashMap<TransactionId, i64>;

/// Checks references of one transaction and returns its row values.
async fn prepare(
    tx: &mut Tx,
    t: &NewTransaction,
    today: Date,
    known: &std::collections::HashSet<String>,
    pending: &mut PendingPassThrough,
) -> Result<Vec<Value>> {
    t.validate(today)?;
    for (field, org) in [("provider", &t.provider), ("receiver", &t.receiver)] {
        if !known.contains(org) {
            return Err(DomainError::refused(field, format!("unknown participant '{org}'")).into());
        }
    }
    if let Some(p) = t.pledge {
        let pledge = pledges::lock(tx, p).await?;
        if pledge.donor != t.provider && t.kind != TransactionKind::IncomingFunds && t.kind != TransactionKind::IncomingPledge {
            return Err(DomainError::refused("provider", format!("pledge {} is from {}, not {}", pledge.id, pledge.donor, t.provider)).into());
        }
    }
    if let Some(n) = t.need {
        needs::lock(tx, n).await?;
    }
    let eur = fx::convert(tx, t.amount, t.value_date).await?;
    if let Some(upstream) = t.pass_through_of {
        let row = tx.fetch_optional(&format!("SELECT {COLUMNS} FROM transactions WHERE id = $1{}", tx.dialect.lock_rows), args![upstream]).await?;
        let up = row.map(|r| from_row(&r)).transpose()?.ok_or_else(|| DomainError::refused("pass_through_of", format!("no transaction {upstream}")))?;
        if up.receiver != t.provider {
            return Err(DomainError::refused("pass_through_of", format!("{} went to {}, so {} cannot pass it on", up.id, up.receiver, t.provider)).into());
        }
        let stored: i64 =
            tx.fetch_one("SELECT CAST(COALESCE(SUM(eur_minor), 0) AS BIGINT) FROM transactions WHERE pass_through_of = $1", args![upstream]).await?.int(0)?;
        let passed = stored + pending.get(&upstream).copied().unwrap_or(0);
        if passed + eur.eur_minor > up.eur_minor {
            return Err(DomainError::Conflict(format!(
                "passing on EUR {} would exceed what {} brought (EUR {}, of which EUR {} is already passed on)",
                tallinn_core::money::format_minor(eur.eur_minor, 2),
                up.id,
                tallinn_core::money::format_minor(up.eur_minor, 2),
                tallinn_core::money::format_minor(passed, 2)
            ))
            .into());
        }
        *pending.entry(upstream).or_default() += eur.eur_minor;
    }
    Ok(args![
        t.kind.as_str(),
        &t.provider,
        &t.receiver,
        t.value_date.to_string(),
        t.amount.minor,
        t.amount.currency.code(),
        eur.eur_minor,
        eur.rate.to_string(),
        eur.rate_date.to_string(),
        eur.rate_source,
        t.pledge,
        t.need,
        t.pass_through_of,
        &t.description,
        t.synthetic,
        to_micros(tx.at)
    ])
}

async fn participant_codes(tx: &mut Tx) -> Result<std::collections::HashSet<String>> {
    tx.fetch("SELECT code FROM participants", vec![]).await?.iter().map(|r| r.text("code")).collect()
}

pub(crate) async fn insert(tx: &mut Tx, t: &NewTransaction) -> Result<Transaction> {
    let known = participant_codes(tx).await?;
    let values = prepare(tx, t, utc_date(tx.at), &known, &mut PendingPassThrough::new()).await?;
    let placeholders = (1..=INSERT_COLUMNS.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let inserted = tx
        .fetch_one(
            &format!("INSERT INTO transactions ({}) VALUES ({placeholders}) RETURNING id, {} AS line", INSERT_COLUMNS.join(", "), flow_chunks::LINE),
            values,
        )
        .await?;
    let id: TransactionId = inserted.id("id")?;
    flow_chunks::append(tx, [inserted.text("line")?]).await?;
    let row = tx.fetch_one(&format!("SELECT {COLUMNS} FROM transactions WHERE id = $1"), args![id]).await?;
    from_row(&row)
}

impl Ledger {
    pub async fn add_transaction(&self, actor: Principal, t: NewTransaction) -> Result<Transaction> {
        tallinn_core::policy::admin::record_transactions(&actor)?;
        let mut tx = self.write(actor).await?;
        let result = async {
            let t = insert(&mut tx, &t).await?;
            audit(&mut tx, "transaction.add", "transaction", t.id, &t).await?;
            Ok(t)
        }
        .await;
        tx.finish(result).await
    }

    /// Imports transactions, all or nothing, every bad row reported.
    pub async fn import_transactions(&self, actor: Principal, parsed: Parsed<NewTransaction>, progress: &(dyn Fn(u64) + Send + Sync)) -> Result<usize> {
        tallinn_core::policy::admin::record_transactions(&actor)?;
        let mut tx = self.write(actor).await?;
        let result = async {
            let known = participant_codes(&mut tx).await?;
            let today = utc_date(tx.at);
            let (rows, parsed_errors) = (parsed.rows, parsed.errors);
            let mut values = Vec::with_capacity(rows.len());
            let mut errors = Vec::new();
            let mut pending = PendingPassThrough::new();
            for row in &rows {
                match prepare(&mut tx, &row.value, today, &known, &mut pending).await {
                    Ok(v) => values.push(v),
                    Err(crate::StoreError::Domain(e)) => {
                        errors.push(RowError { row: row.row, field: e.field().unwrap_or("row").to_string(), message: e.to_string() })
                    }
                    Err(other) => return Err(other),
                }
            }
            let errors = merge_errors(parsed_errors, errors);
            if !errors.is_empty() {
                return Err(tallinn_core::import::ImportErrors(errors).into());
            }
            let count = values.len();
            let dialect = tx.dialect;
            let lines = insert_many_returning(tx.conn(), dialect, "transactions", INSERT_COLUMNS, values, flow_chunks::LINE, progress).await?;
            flow_chunks::append(&mut tx, lines.iter().map(|r| r.text(0)).collect::<Result<Vec<_>>>()?).await?;
            audit(&mut tx, "transaction.import", "transaction", "", &json!({ "count": count })).await?;
            Ok(count)
        }
        .await;
        tx.finish(result).await
    }

    /// One transaction, under the same rule as the list and the reports:
    /// visible when the pledge and the need it is linked to are. The flow it
    /// passes on is named only when the reader may see that one too.
    pub async fn transaction(&self, reader: &Principal, key: TransactionId) -> Result<Transaction> {
        let hidden = || DomainError::not_found("transaction", key);
        let mut t = self.transaction_row(key).await?.ok_or_else(hidden)?;
        if !self.flow_is_visible(reader, &t).await? {
            return Err(hidden().into());
        }
        if let Some(up) = t.pass_through_of {
            let upstream = self.transaction_row(up).await?;
            if !matches!(&upstream, Some(u) if self.flow_is_visible(reader, u).await?) {
                t.pass_through_of = None;
            }
        }
        Ok(t)
    }

    async fn transaction_row(&self, key: TransactionId) -> Result<Option<Transaction>> {
        let mut conn = self.read().await?;
        let row = crate::sql::fetch_optional(conn.as_mut(), &format!("SELECT {COLUMNS} FROM transactions WHERE id = $1"), args![key]).await?;
        drop(conn);
        row.map(|r| from_row(&r)).transpose()
    }

    /// The rule of `tallinn_report::facts::flow_visible` for one flow.
    async fn flow_is_visible(&self, reader: &Principal, t: &Transaction) -> Result<bool> {
        if let Some(p) = t.pledge
            && self.pledge(reader, p).await.is_err()
        {
            return Ok(false);
        }
        if let Some(n) = t.need
            && self.need(reader, n).await.is_err()
        {
            return Ok(false);
        }
        Ok(true)
    }

    /// Transactions, newest value date first. Flows carry no TLP of their
    /// own: they are visible to anyone who may see the pledge and the need
    /// they are linked to, and to everyone when unlinked (the rule of
    /// `tallinn_report::facts::flow_visible`, which reports apply too).
    pub async fn transactions(&self, reader: &Principal, filter: &TransactionFilter) -> Result<Vec<Transaction>> {
        let mut conn = self.read().await?;
        let year = filter.year.map(|y| format!("{y:04}-%")).unwrap_or_else(|| "%".into());
        let need = filter.need.map_or(0, NeedId::key);
        let rows = conn
            .fetch(
                &format!(
                    "SELECT {COLUMNS} FROM transactions WHERE ($1 = '' OR kind = $1) AND value_date LIKE $2 AND ($3 = 0 OR need_id = $3) ORDER BY value_date DESC, id DESC"
                ),
                args![filter.kind.map_or("", |k| k.as_str()), year, need],
            )
            .await?;
        drop(conn);
        let visible_pledges: std::collections::HashSet<PledgeId> = self.pledges(reader, None, None).await?.into_iter().map(|p| p.id).collect();
        let visible_needs: std::collections::HashSet<NeedId> = self.needs(reader, &Default::default()).await?.into_iter().map(|n| n.id).collect();
        let visible = |t: &Transaction| tallinn_report::facts::flow_visible(t.pledge, t.need, |p| visible_pledges.contains(&p), |n| visible_needs.contains(&n));
        let mut out = Vec::new();
        for row in &rows {
            let t = from_row(row)?;
            if visible(&t) {
                out.push(t);
                if filter.limit.is_some_and(|l| out.len() >= l) {
                    break;
                }
            }
        }
        // A flow passed on is named only when the reader may see it too.
        let upstream: Vec<TransactionId> = out.iter().filter_map(|t| t.pass_through_of).collect();
        if !upstream.is_empty() {
            let mut conn = self.read().await?;
            let mut seen = std::collections::HashSet::new();
            for chunk in upstream.chunks(500) {
                let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let args = chunk.iter().map(|&k| crate::sql::Value::from(k)).collect();
                for row in conn.fetch(&format!("SELECT {COLUMNS} FROM transactions WHERE id IN ({})", list.join(", ")), args).await? {
                    let u = from_row(&row)?;
                    if visible(&u) {
                        seen.insert(u.id);
                    }
                }
            }
            let _ = conn.rollback().await;
            for t in &mut out {
                if t.pass_through_of.is_some_and(|up| !seen.contains(&up)) {
                    t.pass_through_of = None;
                }
            }
        }
        Ok(out)
    }
}
