//! The TAXII resources.

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::value::RawValue;
use tallinn_core::policy::Principal;
use tallinn_ledger::Via;
use tallinn_ledger::{Collection, Page, Status};

use super::error::TaxiiError;
use super::media::{STIX, TAXII, check_accept, check_content_type};
use super::query::{self, cursor};
use super::{API_ROOT, MAX_CONTENT_LENGTH};
use crate::AppState;
use crate::auth::Caller;

/// An authenticated caller who accepts TAXII: the public gets a 401.
pub struct Reader(Principal);

impl FromRequestParts<AppState> for Reader {
    type Rejection = TaxiiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        check_accept(&parts.headers)?;
        match Caller::from_request_parts(parts, state).await? {
            Caller(Principal::Public) => Err(TaxiiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", "sign in with HTTP Basic or a Bearer token")),
            Caller(p) => Ok(Reader(p)),
        }
    }
}

/// A TAXII answer: JSON text with the TAXII media type and extra headers.
fn taxii(status: StatusCode, body: String, headers: &[(&'static str, String)]) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, v);
        }
    }
    response
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    taxii(status, serde_json::to_string(value).unwrap_or_default(), &[])
}

/// `date_added` as TAXII writes it: always microseconds, so that a client
/// that feeds it back as `added_after` loses nothing.
fn added(t: jiff::Timestamp) -> String {
    format!("{t:.6}")
}

/// Whether `host` is a host name, an IPv4 address or a bracketed IPv6
/// address, with an optional port: nothing a client could smuggle a path,
/// a user or markup through.
fn is_authority(host: &str) -> bool {
    let port_ok = |p: Option<&str>| p.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    if let Some(rest) = host.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else { return false };
        let port = match after {
            "" => None,
            a => match a.strip_prefix(':') {
                Some(p) => Some(p),
                None => return false,
            },
        };
        return v6.parse::<std::net::Ipv6Addr>().is_ok() && port_ok(port);
    }
    let (name, port) = match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let labels_ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    labels_ok && port_ok(port)
}

/// The base URL clients reach us at: the configured public URL (what a
/// deployment should set), else the request's `Host` over http when it is
/// a plain host name or address.
fn base_url(state: &AppState, headers: &HeaderMap) -> Result<String, TaxiiError> {
    if let Some(url) = &state.options.public_url {
        return Ok(url.trim_end_matches('/').to_string());
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    if !is_authority(host) {
        return Err(TaxiiError::bad_request("the Host header is not a host name or address (set serve --public-url)"));
    }
    Ok(format!("http://{host}"))
}

pub async fn discovery(State(s): State<AppState>, Reader(_): Reader, headers: HeaderMap) -> Response {
    let base = match base_url(&s, &headers) {
        Ok(base) => base,
        Err(e) => return e.into_response(),
    };
    let root = format!("{base}/taxii2/{API_ROOT}/");
    json(
        StatusCode::OK,
        &serde_json::json!({
            "title": "Tallinn threat exchange",
            "description": "STIX 2.1 threat intelligence shared between the partner CERTs of the Tallinn Mechanism, under TLP.",
            "default": root,
            "api_roots": [root],
        }),
    )
}

pub async fn api_root(Reader(_): Reader) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({
            "title": "Tallinn",
            "description": "Collections of the partner CERTs.",
            "versions": [TAXII],
            "max_content_length": MAX_CONTENT_LENGTH,
        }),
    )
}

fn describe(c: &Collection, who: &Principal) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": c.id, "title": c.title, "can_read": c.can_read(who), "can_write": c.can_write(who), "media_types": [STIX],
    });
    if let Some(d) = &c.description {
        v["description"] = d.as_str().into();
    }
    if let Some(a) = &c.alias {
        v["alias"] = a.as_str().into();
    }
    v
}

pub async fn collections(State(s): State<AppState>, Reader(who): Reader) -> Result<Response, TaxiiError> {
    let list: Vec<serde_json::Value> = s.ledger.collections(&who).await?.iter().map(|c| describe(c, &who)).collect();
    if list.is_empty() {
        return Ok(json(StatusCode::OK, &serde_json::json!({})));
    }
    Ok(json(StatusCode::OK, &serde_json::json!({ "collections": list })))
}

pub async fn collection(State(s): State<AppState>, Reader(who): Reader, Path(key): Path<String>) -> Result<Response, TaxiiError> {
    let c = s.ledger.collection(&who, &key).await?;
    Ok(json(StatusCode::OK, &describe(&c, &who)))
}

/// Headers of a page: the first and last `date_added` it holds.
fn page_headers(page: &Page) -> Vec<(&'static str, String)> {
    match (page.items.first(), page.items.last()) {
        (Some(first), Some(last)) => vec![("x-taxii-date-added-first", added(first.date_added)), ("x-taxii-date-added-last", added(last.date_added))],
        _ => Vec::new(),
    }
}

/// `"more"` and, when there is more, `"next"`.
fn continuation(page: &Page) -> String {
    match page.items.last() {
        Some(last) if page.more => format!("\"more\":true,\"next\":\"{}\"", cursor(last.date_added)),
        _ => "\"more\":false".to_string(),
    }
}

/// An envelope of the stored JSON texts, exactly as received.
fn envelope(page: Page) -> Result<Response, TaxiiError> {
    let mut body = format!("{{{}", continuation(&page));
    if !page.items.is_empty() {
        body.push_str(",\"objects\":[");
        for (i, o) in page.items.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(o.body.as_deref().unwrap_or("null"));
        }
        body.push(']');
    }
    body.push('}');
    Ok(taxii(StatusCode::OK, body, &page_headers(&page)))
}

pub async fn objects(State(s): State<AppState>, Reader(who): Reader, Path(key): Path<String>, RawQuery(q): RawQuery) -> Result<Response, TaxiiError> {
    let q = query::parse(q.as_deref(), query::OBJECTS)?;
    let (_, page) = s.ledger.view(&who, Via::Taxii).stix_objects(&key, &q, None, true).await?;
    envelope(page)
}

/// A first page about one object that holds nothing: the object does not
/// exist for this reader (hidden looks exactly like missing).
fn existing(page: Page, q: &tallinn_ledger::ObjectQuery, object: &str) -> Result<Page, TaxiiError> {
    if page.items.is_empty() && q.after.is_none() {
        return Err(TaxiiError::not_found(format!("no object {object} in this collection")));
    }
    Ok(page)
}

pub async fn object(
    State(s): State<AppState>,
    Reader(who): Reader,
    Path((key, object)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, TaxiiError> {
    let q = query::parse(q.as_deref(), query::OBJECT)?;
    let (_, page) = s.ledger.view(&who, Via::Taxii).stix_objects(&key, &q, Some(&object), true).await?;
    envelope(existing(page, &q, &object)?)
}

pub async fn versions(
    State(s): State<AppState>,
    Reader(who): Reader,
    Path((key, object)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, TaxiiError> {
    let mut q = query::parse(q.as_deref(), query::VERSIONS)?;
    q.versions = vec![tallinn_ledger::VersionFilter::All];
    let page = existing(s.ledger.view(&who, Via::Taxii).stix_objects(&key, &q, Some(&object), false).await?.1, &q, &object)?;
    let versions: Vec<String> = page.items.iter().map(|o| o.version.clone()).collect();
    let body = format!("{{{},\"versions\":{}}}", continuation(&page), serde_json::to_string(&versions).unwrap_or_default());
    Ok(taxii(StatusCode::OK, body, &page_headers(&page)))
}

pub async fn manifest(State(s): State<AppState>, Reader(who): Reader, Path(key): Path<String>, RawQuery(q): RawQuery) -> Result<Response, TaxiiError> {
    let q = query::parse(q.as_deref(), query::OBJECTS)?;
    let (_, page) = s.ledger.view(&who, Via::Taxii).stix_objects(&key, &q, None, false).await?;
    let records: Vec<serde_json::Value> = page
        .items
        .iter()
        .map(|o| serde_json::json!({"id": o.id, "date_added": added(o.date_added), "version": o.version, "media_type": format!("application/stix+json;version={}", o.spec_version)}))
        .collect();
    let mut body = format!("{{{}", continuation(&page));
    if !records.is_empty() {
        body.push_str(&format!(",\"objects\":{}", serde_json::to_string(&records).unwrap_or_default()));
    }
    body.push('}');
    Ok(taxii(StatusCode::OK, body, &page_headers(&page)))
}

#[derive(serde::Deserialize)]
struct Envelope {
    objects: Option<Vec<Box<RawValue>>>,
}

/// Reads the body up to `MAX_CONTENT_LENGTH` (413 beyond).
async fn read_body(headers: &HeaderMap, body: Body) -> Result<axum::body::Bytes, TaxiiError> {
    let too_large = || {
        TaxiiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload too large",
            format!("the envelope is larger than max_content_length ({MAX_CONTENT_LENGTH} bytes)"),
        )
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_CONTENT_LENGTH) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_CONTENT_LENGTH).await.map_err(|_| too_large())
}

pub async fn add_objects(
    State(s): State<AppState>,
    Reader(who): Reader,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, TaxiiError> {
    check_content_type(&headers)?;
    let bytes = read_body(&headers, body).await?;
    let envelope: Envelope = serde_json::from_slice(&bytes).map_err(|e| TaxiiError::bad_request(format!("the body is not a TAXII envelope: {e}")))?;
    let objects = envelope.objects.filter(|o| !o.is_empty()).ok_or_else(|| TaxiiError::bad_request("the envelope lists no objects"))?;
    let status = s.ledger.add_stix_objects(who, &key, &objects).await?;
    Ok(json(StatusCode::ACCEPTED, &status_resource(&status)))
}

pub async fn delete_object(
    State(s): State<AppState>,
    Reader(who): Reader,
    Path((key, object)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, TaxiiError> {
    let q = query::parse(q.as_deref(), query::DELETE)?;
    s.ledger.delete_stix_object(who, &key, &object, &q).await?;
    Ok(taxii(StatusCode::OK, String::new(), &[]))
}

pub async fn status(State(s): State<AppState>, Reader(who): Reader, Path(id): Path<String>) -> Result<Response, TaxiiError> {
    let status = s.ledger.stix_status(&who, &id).await?;
    Ok(json(StatusCode::OK, &status_resource(&status)))
}

/// The TAXII status resource; uploads are complete when answered.
fn status_resource(s: &Status) -> serde_json::Value {
    serde_json::json!({
        "id": s.id,
        "status": "complete",
        "request_timestamp": added(s.request_timestamp),
        "total_count": s.total_count(),
        "success_count": s.successes.len(),
        "successes": s.successes,
        "failure_count": s.failures.len(),
        "failures": s.failures,
        "pending_count": 0,
        "pendings": [],
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn hosts_that_may_be_reflected() {
        for ok in ["localhost", "127.0.0.1:8080", "tallinn.example.org", "[::1]:8080", "[2001:db8::1]", "a-b.c"] {
            assert!(super::is_authority(ok), "{ok}");
        }
        for bad in ["", "evil.example/path", "user@host", "host:port", "a..b", "<script>", "host:123456", "[not-v6]", "ex ample.org"] {
            assert!(!super::is_authority(bad), "{bad}");
        }
    }
}
