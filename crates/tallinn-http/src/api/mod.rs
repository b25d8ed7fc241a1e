//! The JSON API under `/api/v1` for signed-in callers.

pub mod accounts;
pub mod engine;
pub mod flows;
pub mod needs;
pub mod pledges;
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

pub fn check_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
        Some(l) => Err(ApiError::bad_request("limit", &format!("{l} is not between 1 and {MAX_LIMIT}"))),
    }
}
