//! The report flows in compact form (migration 0008, table `flow_chunks`).
//!
//! Reports read every flow; a million is a normal benchmark. Through the
//! database driver a million rows of ten columns cost seconds (every value is
//! copied and boxed on its own), while a few thousand rows of text cost tens
//! of milliseconds. So each transaction is also written as one line of text,
//! appended to the chunk `id / PER_CHUNK` in the same database transaction as
//! its row: the table always says exactly what `transactions` says.
//!
//! A line is `id,kind,provider,receiver,value_date,eur_minor,pledge_id,need_id,pass_through,synthetic;`
//! with empty ids for none and `0`/`1` flags; `pass_through` is `0`, or `p`
//! and the id of the flow passed on (migration 0011; lines written before it
//! say `1`, the origin unknown). Kinds are vocabulary words and
//! participant codes are `[A-Z0-9-]` (`participant::validate_code`), so no
//! field holds `,` or `;`. Lines within a chunk are in commit order, not id
//! order: on PostgreSQL ids are taken before commit.

use std::collections::BTreeMap;

use jiff::civil::Date;
use tallinn_core::transaction::TransactionKind;
use tallinn_report::facts::Flow;

use crate::args;
use crate::error::{Result, StoreError};
use crate::tx::Tx;

/// Transactions per chunk: small enough that appending one line rewrites
/// little (a chunk is about 14 KB), large enough that a million flows are
/// about 4,000 rows.
pub(crate) const PER_CHUNK: i64 = 256;

/// The SQL expression that writes a `transactions` row as its line, the same
/// on both databases (migration 0008 backfills with it).
pub(crate) const LINE: &str = "CAST(id AS TEXT) || ',' || kind || ',' || provider || ',' || receiver || ',' || value_date || ',' || \
     CAST(eur_minor AS TEXT) || ',' || COALESCE(CAST(pledge_id AS TEXT), '') || ',' || COALESCE(CAST(need_id AS TEXT), '') || ',' || \
     CASE WHEN pass_through_of IS NULL THEN '0' ELSE 'p' || CAST(pass_through_of AS TEXT) END || ',' || CASE WHEN synthetic THEN '1' ELSE '0' END || ';'";

/// Appends the lines of newly inserted transactions (each as returned by
/// `RETURNING {LINE}`) to their chunks. Appending, rather than rewriting a
/// chunk from a read, is what stays right when two PostgreSQL writers add
/// to the same chunk: the second upsert waits for the first and appends to
/// what it committed.
pub(crate) async fn append(tx: &mut Tx, lines: impl IntoIterator<Item = String>) -> Result<()> {
    let mut chunks: BTreeMap<i64, (i64, String)> = BTreeMap::new();
    for line in lines {
        let id: i64 = line.split(',').next().and_then(|id| id.parse().ok()).ok_or_else(|| bad_line(&line))?;
        let (count, data) = chunks.entry(id / PER_CHUNK).or_default();
        *count += 1;
        data.push_str(&line);
    }
    for (chunk, (count, data)) in chunks {
        tx.execute(
            "INSERT INTO flow_chunks (chunk, flows, data) VALUES ($1, $2, $3) \
             ON CONFLICT (chunk) DO UPDATE SET flows = flow_chunks.flows + excluded.flows, data = flow_chunks.data || excluded.data",
            args![chunk, count, data],
        )
        .await?;
    }
    Ok(())
}

/// Decodes the lines of one chunk, appending to `out`; `org` gives the
/// index of a participant code.
pub(crate) fn decode(data: &str, org: &mut impl FnMut(&str) -> u32, out: &mut Vec<Flow>) -> Result<()> {
    for line in data.split_terminator(';') {
        out.push(decode_line(line, org).ok_or_else(|| bad_line(line))?);
    }
    Ok(())
}

fn decode_line(line: &str, org: &mut impl FnMut(&str) -> u32) -> Option<Flow> {
    let mut fields = line.split(',');
    let mut next = || fields.next();
    let key = next()?.parse().ok()?;
    let kind: TransactionKind = next()?.parse().ok()?;
    let provider = org(next()?);
    let receiver = org(next()?);
    let value_date = date(next()?)?;
    let eur_minor = next()?.parse().ok()?;
    let optional = |field: &str| if field.is_empty() { Some(None) } else { field.parse().ok().map(Some) };
    let pledge = optional(next()?)?;
    let need = optional(next()?)?;
    let flag = |field: &str| match field {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    };
    let (pass_through, upstream) = match next()? {
        "0" => (false, None),
        "1" => (true, None),
        field => (true, Some(field.strip_prefix('p')?.parse().ok()?)),
    };
    let synthetic = flag(next()?)?;
    next().is_none().then_some(Flow { key, kind, provider, receiver, value_date, eur_minor, pledge, need, pass_through, upstream, synthetic })
}

/// `YYYY-MM-DD`, without the general parser: a million of them are read.
fn date(text: &str) -> Option<Date> {
    let (year, rest) = text.split_once('-')?;
    let (month, day) = rest.split_once('-')?;
    Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
}

fn bad_line(line: &str) -> StoreError {
    StoreError::Corrupt(format!("flow_chunks: unreadable line '{line}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(data: &str) -> Result<Vec<Flow>> {
        let mut orgs: Vec<String> = Vec::new();
        let mut out = Vec::new();
        decode(
            data,
            &mut |code| match orgs.iter().position(|o| o == code) {
                Some(i) => i as u32,
                None => {
                    orgs.push(code.to_string());
                    orgs.len() as u32 - 1
                }
            },
            &mut out,
        )?;
        Ok(out)
    }

    #[test]
    fn reads_every_field() {
        let flows = decoded("7,commitment,EE,UA,2025-02-28,123456,3,,0,1;8,expenditure,IMP-A,UA,2024-12-01,5,,12,1,0;").unwrap();
        assert_eq!(
            flows[0],
            Flow {
                key: 7,
                kind: TransactionKind::Commitment,
                provider: 0,
                receiver: 1,
                value_date: Date::constant(2025, 2, 28),
                eur_minor: 123_456,
                pledge: Some(3),
                need: None,
                pass_through: false,
                upstream: None,
                synthetic: true,
            }
        );
        assert_eq!((flows[1].provider, flows[1].receiver, flows[1].need, flows[1].pass_through, flows[1].upstream), (2, 1, Some(12), true, None));
        let passed = decoded("9,disbursement,WB,UA,2025-03-01,10,,,p5,0;").unwrap();
        assert_eq!((passed[0].pass_through, passed[0].upstream), (true, Some(5)), "the flow passed on, by id");
        assert!(decoded("").unwrap().is_empty());
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in [
            "x,commitment,EE,UA,2025-02-28,1,,,0,0;",
            "1,gift,EE,UA,2025-02-28,1,,,0,0;",
            "1,commitment,EE,UA,2025-02-30,1,,,0,0;",
            "1,commitment,EE,UA,2025-02-28,1,,,2,0;",
            "1,commitment,EE,UA,2025-02-28,1,,,px,0;",
            "1,commitment,EE,UA,2025-02-28,1,,,0;",
            "1,commitment,EE,UA,2025-02-28,1,,,0,0,extra;",
        ] {
            let err = decoded(bad).unwrap_err().to_string();
            assert!(err.contains("flow_chunks: unreadable line"), "{bad}: {err}");
        }
    }
}
