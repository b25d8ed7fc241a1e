//! CSV imports of needs, pledges and transactions.
//!
//! Parsing is all-or-nothing: every row is checked and every bad field of
//! every bad row is reported (row = line number in the file, header = 1), so
//! that a file can be fixed in one pass. Nothing is returned for writing
//! unless the whole file is good.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

use crate::money::{Currency, Money, parse_minor};
use crate::need::NewNeed;
use crate::pledge::{Earmarks, NewPledge, PledgeKind, PledgeStatus};
use crate::policy::Tlp;
use crate::transaction::{NewTransaction, TransactionKind};

/// One bad field in one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}, {}: {}", self.row, self.field, self.message)
    }
}

/// Every problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportErrors(pub Vec<RowError>);

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} problem(s) found; nothing was imported:", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

/// A parsed file: the good rows, and every problem found in the others.
/// The store adds its own checks (unknown participants) to `errors` and
/// writes nothing unless the merged list is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub rows: Vec<Numbered<T>>,
    pub errors: Vec<RowError>,
}

impl<T> Parsed<T> {
    /// The rows if the whole file is good.
    pub fn into_result(self) -> Result<Vec<Numbered<T>>, ImportErrors> {
        if self.errors.is_empty() { Ok(self.rows) } else { Err(ImportErrors(self.errors)) }
    }
}

/// Merges row errors found later with those of parsing, in file order.
pub fn merge_errors(mut errors: Vec<RowError>, more: Vec<RowError>) -> Vec<RowError> {
    errors.extend(more);
    errors.sort_by_key(|e| e.row);
    errors
}

/// A parsed row with its line number, for error reports from later checks
/// (unknown participants are found by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbered<T> {
    pub row: usize,
    pub value: T,
}

pub const NEED_COLUMNS: &[&str] = &[
    "beneficiary",
    "title",
    "description",
    "capability",
    "sector",
    "urgency",
    "cost_eur",
    "divisible",
    "deadline",
    "tlp",
    "share_orgs",
    "share_users",
    "tags",
];
const NEED_REQUIRED: &[&str] = &["beneficiary", "title", "capability", "sector", "urgency", "cost_eur", "tlp"];
/// Columns `need list --format csv` adds after `NEED_COLUMNS`: what the
/// ledger gave the need. An import reads past them, so a list re-imports
/// as it is.
pub const NEED_EXPORT_ONLY: &[&str] = &["id", "status", "funded_eur", "reserved_by", "synthetic", "created_at", "created_by"];

pub const PLEDGE_COLUMNS: &[&str] = &[
    "donor",
    "title",
    "kind",
    "amount",
    "currency",
    "pledged_on",
    "status",
    "budget_years",
    "capabilities",
    "sectors",
    "beneficiaries",
    "tlp",
    "share_orgs",
    "share_users",
];
const PLEDGE_REQUIRED: &[&str] = &["donor", "title", "amount", "currency", "pledged_on", "tlp"];
/// Columns `pledge list --format csv` adds after `PLEDGE_COLUMNS`.
pub const PLEDGE_EXPORT_ONLY: &[&str] = &["id", "amount_eur", "allocated_eur", "rate", "rate_date", "synthetic", "created_at"];

pub const TRANSACTION_COLUMNS: &[&str] =
    &["kind", "provider", "receiver", "value_date", "amount", "currency", "pledge", "need", "pass_through_of", "description"];
const TRANSACTION_REQUIRED: &[&str] = &["kind", "provider", "receiver", "value_date", "amount", "currency"];
/// Columns `transaction list --format csv` adds after `TRANSACTION_COLUMNS`.
pub const TRANSACTION_EXPORT_ONLY: &[&str] = &["id", "amount_eur", "rate", "rate_date", "synthetic", "created_at"];

/// Parses a needs file (columns: `NEED_COLUMNS`; lists separated by `;`).
pub fn parse_needs(text: &str, synthetic: bool) -> Result<Parsed<NewNeed>, ImportErrors> {
    parse_rows(text, NEED_COLUMNS, NEED_EXPORT_ONLY, NEED_REQUIRED, |r| {
        // Every field is read before any is combined, so that one bad field
        // does not hide another.
        let beneficiary = r.required("beneficiary", code);
        let title = r.required("title", |s| Ok(s.to_string()));
        let description = r.optional("description", |s| Ok(s.to_string()));
        let capability = r.required("capability", vocab);
        let sector = r.required("sector", vocab);
        let urgency = r.required("urgency", vocab);
        let cost = r.required("cost_eur", |s| parse_minor("cost_eur", s, 2).map_err(|e| e.message));
        let divisible = r.optional("divisible", boolean);
        let deadline = r.optional("deadline", date);
        let tlp = r.required("tlp", vocab::<Tlp>);
        let share_orgs = r.optional("share_orgs", |s| list(s, code));
        let share_users = r.optional("share_users", |s| list(s, |u| Ok(u.to_string())));
        let tags = r.optional("tags", |s| list(s, |t| Ok(t.to_string())));
        let need = NewNeed {
            beneficiary: beneficiary?,
            title: title?,
            description: description?.unwrap_or_default(),
            capability: capability?,
            sector: sector?,
            urgency: urgency?,
            cost_eur_minor: cost?,
            divisible: divisible?.unwrap_or(true),
            deadline: deadline?,
            tlp: tlp?,
            share_orgs: share_orgs?.unwrap_or_default(),
            share_users: share_users?.unwrap_or_default(),
            tags: tags?.unwrap_or_default(),
            synthetic,
        };
        r.check(need.validate());
        Some(need)
    })
}

/// A pledge row: the pledge and the status to bring it to once recorded.
pub type PledgeRow = (NewPledge, PledgeStatus);

/// Parses a pledges file of money pledges (columns: `PLEDGE_COLUMNS`).
pub fn parse_pledges(text: &str, synthetic: bool) -> Result<Parsed<PledgeRow>, ImportErrors> {
    parse_rows(text, PLEDGE_COLUMNS, PLEDGE_EXPORT_ONLY, PLEDGE_REQUIRED, |r| {
        // In-kind pledges carry their items, which a row cannot: they are
        // recorded one by one (`pledge add`).
        let kind = r.optional("kind", |s| match vocab::<PledgeKind>(s)? {
            PledgeKind::Money => Ok(PledgeKind::Money),
            other => Err(format!("{other} pledges are recorded one by one with their items (pledge add), not imported")),
        });
        let amount = r.money();
        let donor = r.required("donor", code);
        let title = r.required("title", |s| Ok(s.to_string()));
        let pledged_on = r.required("pledged_on", date);
        let budget_years = r.optional("budget_years", |s| list(s, |y| y.parse::<i16>().map_err(|_| format!("'{y}' is not a year"))));
        let capabilities = r.optional("capabilities", |s| list(s, vocab));
        let sectors = r.optional("sectors", |s| list(s, vocab));
        let beneficiaries = r.optional("beneficiaries", |s| list(s, code));
        let tlp = r.required("tlp", vocab::<Tlp>);
        let share_orgs = r.optional("share_orgs", |s| list(s, code));
        let share_users = r.optional("share_users", |s| list(s, |u| Ok(u.to_string())));
        let status = r.optional("status", |s| match vocab::<PledgeStatus>(s)? {
            PledgeStatus::Cancelled => Err("import pledges as announced, committed or disbursed".to_string()),
            other => Ok(other),
        });
        let pledge = NewPledge {
            donor: donor?,
            title: title?,
            kind: kind?.unwrap_or(PledgeKind::Money),
            amount: amount?,
            items: vec![],
            valuation: None,
            pledged_on: pledged_on?,
            budget_years: budget_years?.unwrap_or_default(),
            earmarks: Earmarks {
                capabilities: capabilities?.unwrap_or_default(),
                sectors: sectors?.unwrap_or_default(),
                beneficiaries: beneficiaries?.unwrap_or_default(),
            },
            tlp: tlp?,
            share_orgs: share_orgs?.unwrap_or_default(),
            share_users: share_users?.unwrap_or_default(),
            synthetic,
        };
        r.check(pledge.validate());
        Some((pledge, status?.unwrap_or(PledgeStatus::Announced)))
    })
}

/// Parses a transactions file (columns: `TRANSACTION_COLUMNS`). Record ids
/// are plain numbers or prefixed (`P-3`, `N-12`, `T-7`).
pub fn parse_transactions(text: &str, today: Date, synthetic: bool) -> Result<Parsed<NewTransaction>, ImportErrors> {
    fn id<T: std::str::FromStr<Err = crate::FieldError>>(s: &str) -> Result<T, String> {
        s.parse().map_err(|e: crate::FieldError| e.message)
    }
    parse_rows(text, TRANSACTION_COLUMNS, TRANSACTION_EXPORT_ONLY, TRANSACTION_REQUIRED, |r| {
        let amount = r.money();
        let kind = r.required("kind", vocab::<TransactionKind>);
        let provider = r.required("provider", code);
        let receiver = r.required("receiver", code);
        let value_date = r.required("value_date", date);
        let pledge = r.optional("pledge", id);
        let need = r.optional("need", id);
        let pass_through_of = r.optional("pass_through_of", id);
        let description = r.optional("description", |s| Ok(s.to_string()));
        let t = NewTransaction {
            kind: kind?,
            provider: provider?,
            receiver: receiver?,
            value_date: value_date?,
            amount: amount?,
            pledge: pledge?,
            need: need?,
            pass_through_of: pass_through_of?,
            description: description?.unwrap_or_default(),
            synthetic,
        };
        r.check(t.validate(today));
        Some(t)
    })
}

/// Every bad field of one row: (field, message).
type FieldErrors = Vec<(String, String)>;

/// Reads one record's fields by column name, collecting every bad field
/// rather than stopping at the first.
struct RowReader<'a> {
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
    errors: std::cell::RefCell<FieldErrors>,
}

impl RowReader<'_> {
    fn cell(&self, name: &str) -> Option<&str> {
        self.columns.get(name).and_then(|i| self.record.get(*i)).map(str::trim).filter(|s| !s.is_empty())
    }

    fn fail(&self, field: &str, message: String) {
        self.errors.borrow_mut().push((field.to_string(), message));
    }

    /// The parsed value, or `None` after recording why not.
    fn required<T>(&self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        match self.cell(name) {
            None => {
                self.fail(name, "a value is required".into());
                None
            }
            Some(cell) => parse(cell).map_err(|m| self.fail(name, m)).ok(),
        }
    }

    /// `Some(None)` for an empty cell, `None` after recording a bad value.
    fn optional<T>(&self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<Option<T>> {
        match self.cell(name) {
            None => Some(None),
            Some(cell) => parse(cell).map(Some).map_err(|m| self.fail(name, m)).ok(),
        }
    }

    /// The `amount` column in the row's `currency`.
    fn money(&self) -> Option<Money> {
        let currency = self.required("currency", |s| Currency::from_code(s).map_err(|e| e.message));
        let amount = self.required("amount", |s| Ok(s.to_string()));
        Money::parse("amount", &amount?, currency?).map_err(|e| self.fail("amount", e.message)).ok()
    }

    /// Records a whole-value check (run once every field parsed).
    fn check(&self, result: Result<(), crate::DomainError>) {
        if let Err(e) = result {
            self.fail(e.field().unwrap_or("row"), e.to_string());
        }
    }
}

/// Parses every row; `Err` only when the header itself is unusable.
/// Columns in `ignored` (what a list export adds) are read past.
fn parse_rows<T>(
    text: &str,
    known: &[&str],
    ignored: &[&str],
    required: &[&str],
    mut parse: impl FnMut(&RowReader) -> Option<T>,
) -> Result<Parsed<T>, ImportErrors> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(ImportErrors(vec![RowError { row: 1, field: "header".into(), message: e.to_string() }])),
    };
    let mut columns = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}');
        if ignored.contains(&name) {
            continue;
        }
        if !known.contains(&name) {
            errors.push(RowError { row: 1, field: name.into(), message: format!("unknown column (known: {})", known.join(", ")) });
        } else if columns.insert(name.to_string(), i).is_some() {
            errors.push(RowError { row: 1, field: name.into(), message: "column appears twice".into() });
        }
    }
    for name in required {
        if !columns.contains_key(*name) {
            errors.push(RowError { row: 1, field: (*name).into(), message: "required column is missing".into() });
        }
    }
    if !errors.is_empty() {
        return Err(ImportErrors(errors));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = record.as_ref().ok().and_then(|r| r.position()).map_or(i + 2, |p| p.line() as usize);
        match record {
            Err(e) => errors.push(RowError { row, field: "row".into(), message: format!("malformed CSV: {e}") }),
            Ok(record) => {
                let reader = RowReader { record: &record, columns: &columns, errors: Default::default() };
                let value = parse(&reader);
                let bad = reader.errors.into_inner();
                match value {
                    Some(value) if bad.is_empty() => rows.push(Numbered { row, value }),
                    _ => errors.extend(bad.into_iter().map(|(field, message)| RowError { row, field, message })),
                }
            }
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError { row: 2, field: "row".into(), message: "the file has no rows".into() });
    }
    Ok(Parsed { rows, errors })
}

fn vocab<T: FromStr<Err = crate::ParseVocabularyError>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: crate::ParseVocabularyError| e.to_string())
}

fn code(s: &str) -> Result<String, String> {
    crate::participant::validate_code("code", s).map(|_| s.to_string()).map_err(|e| e.message)
}

fn date(s: &str) -> Result<Date, String> {
    s.parse().map_err(|_| format!("'{s}' is not a date (YYYY-MM-DD)"))
}

fn boolean(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!("'{s}' is not true or false")),
    }
}

fn list<T>(s: &str, item: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    s.split(';').map(str::trim).filter(|p| !p.is_empty()).map(item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(text: &str) -> Result<Vec<Numbered<NewNeed>>, ImportErrors> {
        parse_needs(text, false).and_then(Parsed::into_result)
    }

    const HEADER: &str = "beneficiary,title,capability,sector,urgency,cost_eur,tlp,tags\n";

    #[test]
    fn imports_good_needs() {
        let text = format!("{HEADER}UA-CERT,SOC sensors,detect,energy,critical,125000.00,green,soc;ids\nUA-MOD,Backups,resilience,government,low,50,clear,\n");
        let rows = needs(&text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].value.cost_eur_minor, 12_500_000);
        assert_eq!(rows[0].value.tags, vec!["soc", "ids"]);
        assert!(rows[1].value.divisible);
    }

    #[test]
    fn reports_every_bad_row_and_field() {
        let text = format!(
            "{HEADER}UA-CERT,ok,detect,energy,critical,1.00,green,\nUA-CERT,bad cost,detect,energy,critical,-5,green,\nUA-CERT,bad sector,detect,space,critical,5,green,\nUA-CERT,cents,detect,energy,high,1.001,green,\n"
        );
        let errors = needs(&text).unwrap_err().0;
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(got, vec![(3, "cost_eur"), (4, "sector"), (5, "cost_eur")]);
        assert!(errors[1].message.contains("unknown sector 'space'"));
        // Several bad fields in one row are all named.
        let many = format!("{HEADER}UA-CERT,,detekt,energy,urgent,-1,grey,\n");
        let fields: Vec<String> = needs(&many).unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "capability", "urgency", "cost_eur", "tlp"]);
    }

    #[test]
    fn refuses_bad_headers_and_ragged_rows() {
        let errors = needs("title,colour\nx,y\n").unwrap_err().0;
        assert!(errors.iter().any(|e| e.field == "colour" && e.message.contains("unknown column")));
        assert!(errors.iter().any(|e| e.field == "beneficiary" && e.message.contains("missing")));
        let ragged = format!("{HEADER}UA-CERT,a,detect,energy,critical,1.00\n");
        let errors = needs(&ragged).unwrap_err().0;
        assert_eq!(errors[0].field, "row");
        assert!(errors[0].message.contains("malformed CSV"));
        assert!(needs(HEADER).is_err(), "an empty file imports nothing and says so");
    }

    #[test]
    fn pledges_and_transactions() {
        let pledges = "donor,title,amount,currency,pledged_on,tlp,capabilities,status\nEE,Support,1000.50,USD,2025-05-01,green,detect;remediate,committed\n";
        let rows = parse_pledges(pledges, false).and_then(Parsed::into_result).unwrap();
        assert_eq!(rows[0].value.0.amount.minor, 100_050);
        assert_eq!(rows[0].value.1, PledgeStatus::Committed);
        let bad = "donor,title,amount,currency,pledged_on,tlp\nEE,Support,10,XYZ,2025-05-01,green\n";
        assert_eq!(parse_pledges(bad, false).and_then(Parsed::into_result).unwrap_err().0[0].field, "currency");

        let today: Date = "2026-01-01".parse().unwrap();
        let tx = "kind,provider,receiver,value_date,amount,currency,pledge\ndisbursement,EE,UA-CERT,2025-06-01,10.00,EUR,P-3\ndisbursement,EE,UA-CERT,2027-06-01,10.00,EUR,\n";
        let errors = parse_transactions(tx, today, false).and_then(Parsed::into_result).unwrap_err().0;
        assert_eq!((errors[0].row, errors[0].field.as_str()), (3, "value_date"));
    }
}
