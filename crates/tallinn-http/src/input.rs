//! The text rule (`tallinn_core::text`) at the HTTP edge, in one place for
//! every route: the path, the query string, Basic credentials and the body
//! (JSON or a form) are checked before any handler, extractor or database
//! sees them, and a refused character is a 400 that names the field —
//! `title`, `objects[0].name`, `match[id]` — in the interface's own error
//! form (the API's JSON error, a TAXII error resource, the web's error page).
//!
//! TAXII envelopes are the exception: STIX objects are stored as the JSON
//! text received (an escaped `\u0000` is six printable characters there),
//! threat data may legitimately hold control characters (a malicious file
//! name), and the properties the exchange indexes are checked by the STIX
//! rules. The store refuses any text that reaches it against the rule
//! (`tallinn_ledger::sql::storable`), so an entry point that forgot answers
//! 422, never a database error.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::Value;
use tallinn_core::text::{forbidden_char, is_forbidden, message};

use crate::ApiError;

/// Bodies larger than this are not read here: every route's own limit
/// (1 MiB for the API, 16 MiB for TAXII envelopes) refuses them first.
const MAX_CHECKED_BODY: usize = 2 * 1024 * 1024;

/// A refused field and the character.
struct Refused {
    field: String,
    c: char,
}

/// Checks every text input of the request; see the module docs.
pub async fn guard(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let taxii = parts.uri.path().starts_with("/taxii2");
    let respond = |r: Refused| refusal(parts.uri.path(), r);
    if let Some(r) = check_head(&parts) {
        return respond(r);
    }
    let envelope = taxii && parts.method == axum::http::Method::POST;
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let has_body = !matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::DELETE) || declared.is_some_and(|n| n > 0);
    if envelope || !has_body || declared.is_some_and(|n| n > MAX_CHECKED_BODY) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let bytes = match axum::body::to_bytes(body, MAX_CHECKED_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "payload_too_large",
                message: format!("the request body is larger than {MAX_CHECKED_BODY} bytes"),
                field: None,
            }
            .into_response();
        }
    };
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    if let Some(r) = check_body(&content_type, &bytes) {
        return respond(r);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The answer in the form of the interface the path belongs to.
fn refusal(path: &str, r: Refused) -> Response {
    let text = format!("{}: {}", r.field, message(r.c));
    if path.starts_with("/taxii2") {
        return crate::taxii::TaxiiError::bad_request(text).into_response();
    }
    if path.starts_with("/api/") || path == "/metrics" || path.starts_with("/healthz") || path.starts_with("/readyz") {
        return ApiError { status: StatusCode::BAD_REQUEST, code: "control_character", message: text, field: Some(r.field) }.into_response();
    }
    crate::web::WebError::bad_request(text).into_response()
}

fn first_forbidden(field: &str, text: &str) -> Option<Refused> {
    forbidden_char(text).map(|c| Refused { field: field.to_string(), c })
}

/// The path (decoded), every query parameter (decoded) and Basic credentials.
fn check_head(parts: &axum::http::request::Parts) -> Option<Refused> {
    let path = percent_encoding::percent_decode_str(parts.uri.path()).decode_utf8_lossy();
    if let Some(r) = first_forbidden("path", &path) {
        return Some(r);
    }
    if let Some(query) = parts.uri.query() {
        // A query that does not decode is the handler's to refuse.
        if let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) {
            for (key, value) in &pairs {
                if let Some(c) = forbidden_char(key).or_else(|| forbidden_char(value)) {
                    return Some(Refused { field: key.chars().filter(|c| !is_forbidden(*c)).collect(), c });
                }
            }
        }
    }
    let basic =
        parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    if let Some(encoded) = basic
        && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim())
        && let Ok(credentials) = String::from_utf8(decoded)
    {
        return first_forbidden("authorization", &credentials);
    }
    None
}

/// A JSON body (any string, keys included, named by its path), a form
/// (named by the field), or any other text.
fn check_body(content_type: &str, bytes: &Bytes) -> Option<Refused> {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).ok()?;
        return pairs.iter().find_map(|(key, value)| forbidden_char(key).or_else(|| forbidden_char(value)).map(|c| Refused { field: key.clone(), c }));
    }
    let text = std::str::from_utf8(bytes).ok()?;
    if content_type.contains("json") || text.trim_start().starts_with(['{', '[']) {
        // Raw control characters are not JSON (but for DEL); otherwise only
        // escapes can carry them, so the walk runs only when one could.
        if !text.contains("\\u00") && !text.contains('\u{7f}') {
            return None;
        }
        let value: Value = serde_json::from_str(text).ok()?;
        return json_path(&value);
    }
    first_forbidden("body", text)
}

/// The first string (or key) of a JSON value the rule refuses, named by its
/// path: walked with an explicit stack (serde_json bounds the depth anyway).
fn json_path(value: &Value) -> Option<Refused> {
    let mut stack: Vec<(String, &Value)> = vec![(String::new(), value)];
    while let Some((path, v)) = stack.pop() {
        match v {
            Value::String(s) => {
                if let Some(c) = forbidden_char(s) {
                    return Some(Refused { field: if path.is_empty() { "body".into() } else { path }, c });
                }
            }
            Value::Array(items) => stack.extend(items.iter().enumerate().rev().map(|(i, item)| (format!("{path}[{i}]"), item))),
            Value::Object(map) => {
                for (key, item) in map.iter().rev() {
                    let shown: String = key.chars().filter(|c| !is_forbidden(*c)).collect();
                    let at = if path.is_empty() { shown } else { format!("{path}.{shown}") };
                    if let Some(c) = forbidden_char(key) {
                        return Some(Refused { field: at, c });
                    }
                    stack.push((at, item));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_in_json_forms_and_text() {
        let json = |s: &str| check_body("application/json", &Bytes::from(s.to_string())).map(|r| (r.field, r.c));
        assert_eq!(json(r#"{"title": "ok", "description": "a\u0000b"}"#), Some(("description".into(), '\0')));
        assert_eq!(json(r#"{"items": [{"name": "x"}, {"name": "\u001b[31m"}]}"#), Some(("items[1].name".into(), '\u{1b}')));
        assert_eq!(json(r#"{"title": "line\nbreak\ttab", "x": "\\u0000 is text"}"#), None);
        assert_eq!(json(r#"["\u007f"]"#), Some(("[0]".into(), '\u{7f}')));
        let form = check_body("application/x-www-form-urlencoded", &Bytes::from_static(b"title=a&reason=b%00c")).map(|r| (r.field, r.c));
        assert_eq!(form, Some(("reason".into(), '\0')));
        assert_eq!(check_body("text/csv", &Bytes::from_static(b"id,title\n1,a\x00")).map(|r| r.field), Some("body".into()));
    }
}
