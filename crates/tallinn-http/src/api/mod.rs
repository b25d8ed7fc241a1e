//! The JSON API under `/api/v1` for signed-in callers.

pub mod accounts;
pub mod engine;
pub mod exchange;
pub mod flows;
pub mod needs;
pub mod pledges;
pub mod reports;
pub mod session;

use serde::Serialize;

use crate::ApiError;

/// A page of a list: the items and the cursor for the next page.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque; pass as `cursor` for the next page. Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// Cursors are the key to continue after, in hex: stateless, so any server
/// process can continue any client's listing.
pub fn encode_cursor(key: i64) -> String {
    format!("{key:x}")
}

pub fn decode_cursor(cursor: &str) -> Result<i64, ApiError> {
    i64::from_str_radix(cursor, 16).ok().filter(|k| *k > 0).ok_or_else(|| ApiError::bad_request("cursor", "the cursor is not one this server issued"))
}

/// List order: by record id, newest (the default) or oldest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
}

/// The paging part of a list's query string.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub sort: Option<Sort>,
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub limit: Option<usize>,
    #[schemars(regex(pattern = CURSOR_PATTERN))]
    pub cursor: Option<String>,
}

/// The cursors [`encode_cursor`] writes (and [`decode_cursor`] takes).
pub const CURSOR_PATTERN: &str = "^[1-9a-f][0-9a-f]{0,14}$";

/// The cursors of lists keyed by name: the hex of an ASCII code or name.
pub const NAME_CURSOR_PATTERN: &str = "^([2-7][0-9a-f]){1,64}$";

/// Keyset pagination of a list already filtered by visibility: `key` is the
/// record's integer id, the cursor the last key of the previous page.
pub fn paginate<T>(items: Vec<T>, key: impl Fn(&T) -> i64, sort: Option<Sort>, cursor: Option<&str>, limit: Option<usize>) -> Result<Page<T>, ApiError> {
    let (items, next) = tallinn_ledger::keyset_page(items, key, &keyset(sort, cursor, limit)?);
    Ok(Page { items, next_cursor: next.map(encode_cursor) })
}

/// The page a list's query asks for: its order, cursor and limit, checked.
pub fn keyset(sort: Option<Sort>, cursor: Option<&str>, limit: Option<usize>) -> Result<tallinn_ledger::Keyset, ApiError> {
    Ok(tallinn_ledger::Keyset { after: cursor.map(decode_cursor).transpose()?, limit: check_limit(limit)?, oldest_first: sort == Some(Sort::Oldest) })
}

/// Keyset pagination by a text key (organisation codes, user names),
/// ascending; the cursor is the hex of the last key.
pub fn paginate_by_name<T>(mut items: Vec<T>, key: impl Fn(&T) -> &str, cursor: Option<&str>, limit: Option<usize>) -> Result<Page<T>, ApiError> {
    let limit = check_limit(limit)?;
    let after = cursor
        .map(|c| {
            hex::decode(c)
                .ok()
                .filter(|b| !b.is_empty())
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| ApiError::bad_request("cursor", "the cursor is not one this server issued"))
        })
        .transpose()?;
    items.sort_by(|a, b| key(a).cmp(key(b)));
    let mut rest: Vec<T> = items.into_iter().filter(|t| after.as_deref().is_none_or(|a| key(t) > a)).collect();
    let next_cursor = (rest.len() > limit).then(|| hex::encode(key(&rest[limit - 1])));
    rest.truncate(limit);
    Ok(Page { items: rest, next_cursor })
}

/// The paging part of a list keyed by name.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NameQuery {
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub limit: Option<usize>,
    #[schemars(regex(pattern = NAME_CURSOR_PATTERN))]
    pub cursor: Option<String>,
}

/// The schema of a `currency` field: EUR (the default) or a currency of the
/// ECB's reference rates.
pub fn currency_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut codes = vec!["EUR"];
    codes.extend_from_slice(tallinn_core::fx::ECB_CURRENCIES);
    schemars::json_schema!({ "type": "string", "enum": codes, "default": "EUR" })
}

/// Those of [`currency_schema`]'s currencies that have no minor unit: their
/// amounts are whole numbers.
pub fn whole_currencies() -> Vec<&'static str> {
    tallinn_core::fx::ECB_CURRENCIES.iter().copied().filter(|c| tallinn_core::money::Currency::from_code(c).is_ok_and(|c| c.exponent() == 0)).collect()
}

/// An organisation code given as a list filter, checked: a filter that
/// cannot match any code is a mistake to report, not an empty list.
pub fn code_filter<'a>(field: &str, code: Option<&'a str>) -> Result<Option<&'a str>, ApiError> {
    match code {
        Some(c) => tallinn_core::participant::validate_code(field, c).map(|()| Some(c)).map_err(|e| ApiError::bad_request(field, &e.message)),
        None => Ok(None),
    }
}

pub fn check_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
        Some(l) => Err(ApiError::bad_request("limit", &format!("{l} is not between 1 and {MAX_LIMIT}"))),
    }
}
