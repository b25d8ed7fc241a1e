//! The error contract of docs/product.md: interfaces: `{"error": {"code", "message", "field"?}}`.
//! Internal failures are logged with their detail and answered with a
//! generic message: internals are never echoed.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tallinn_core::DomainError;
use tallinn_ledger::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct Body<'a> {
    error: Inner<'a>,
}

/// The error resource of every 4xx and 5xx answer.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "ErrorDetail")]
pub struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: Inner { code: self.code, message: &self.message, field: self.field.as_deref() } };
        (self.status, Json(body)).into_response()
    }
}

/// A field that does not parse where it arrives (a record id in the path,
/// say): answered as the store answers an invalid field.
impl From<tallinn_core::FieldError> for ApiError {
    fn from(e: tallinn_core::FieldError) -> Self {
        StoreError::from(e).into()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let (status, code) = match &e {
            StoreError::Domain(DomainError::Invalid(_)) | StoreError::Import(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            StoreError::Domain(DomainError::NotFound { .. }) => (StatusCode::NOT_FOUND, "not_found"),
            StoreError::Domain(DomainError::AlreadyExists { .. }) => (StatusCode::CONFLICT, "already_exists"),
            StoreError::Domain(DomainError::InvalidTransition { .. }) => (StatusCode::CONFLICT, "invalid_transition"),
            StoreError::Domain(DomainError::Conflict(_)) | StoreError::Constraint(_) => (StatusCode::CONFLICT, "conflict"),
            StoreError::Domain(DomainError::Refused(_)) => (StatusCode::CONFLICT, "refused"),
            StoreError::Domain(DomainError::Forbidden(_)) => (StatusCode::FORBIDDEN, "forbidden"),
            StoreError::Unavailable(reason) => {
                // Logged once per outage by the store's availability guard.
                return ApiError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "unavailable",
                    message: if reason.contains("out of space") || reason.contains("read-only") {
                        "the store cannot accept changes now (out of space or read-only); nothing was changed".into()
                    } else {
                        "the store is unreachable; try again shortly".into()
                    },
                    field: None,
                };
            }
            StoreError::Database(_) | StoreError::Corrupt(_) => {
                tracing::error!(error = %e, "internal error");
                return ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "internal",
                    message: "internal error; it has been logged".into(),
                    field: None,
                };
            }
        };
        let field = match &e {
            StoreError::Domain(d) => d.field().map(str::to_string),
            _ => None,
        };
        ApiError { status, code, message: e.to_string(), field }
    }
}

impl ApiError {
    pub fn bad_request(field: &str, message: &str) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, code: "bad_request", message: message.into(), field: Some(field.into()) }
    }

    /// A resource that does not exist, with what would have existed.
    pub fn missing(message: &str) -> ApiError {
        ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: message.into(), field: None }
    }
}

/// Malformed query strings (unknown parameters, words outside a vocabulary).
impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        ApiError { status: StatusCode::BAD_REQUEST, code: "bad_query", message: e.body_text(), field: None }
    }
}

/// Malformed JSON bodies (syntax, types, unknown fields, wrong media type).
/// A value refused at a field (a word outside a vocabulary, an amount that
/// is not one) is a 422 `invalid` naming the field by its path (`cost_eur`,
/// `items[1].quantity`), like a value the ledger refuses.
impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        if let Some(at) = field_error(&e) {
            let path = at.path().to_string();
            if path != "." {
                // Both echo the body (an unknown key, a refused word): a
                // hostile body's megabyte key is not sent back whole.
                let (field, message) = (shortened(&path), shortened(&at.inner().to_string()));
                return ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, field: Some(field) };
            }
        }
        ApiError { status: e.status(), code: "bad_body", message: e.body_text(), field: None }
    }
}

/// The most characters of the body an error message echoes.
const ECHOED_CHARS: usize = 200;

/// `text`, cut to [`ECHOED_CHARS`] characters (marked with `…`).
fn shortened(text: &str) -> String {
    match text.char_indices().nth(ECHOED_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The error axum's `Json` met at a path of the body, if it was a value's
/// (axum reads bodies with `serde_path_to_error`, and keeps its error as the
/// rejection's source).
fn field_error(e: &axum::extract::rejection::JsonRejection) -> Option<&serde_path_to_error::Error<serde_json::Error>> {
    if !matches!(e, axum::extract::rejection::JsonRejection::JsonDataError(_)) {
        return None;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(found) = err.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>() {
            return Some(found);
        }
        source = err.source();
    }
    None
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/taxii2/") {
        return crate::taxii::TaxiiError::not_found("no such TAXII resource").into_response();
    }
    if !uri.path().starts_with("/api/") {
        return crate::web::not_found();
    }
    ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: "no such resource".into(), field: None }.into_response()
}

/// Gives error responses made outside our handlers (the body limit, the
/// timeout, the router's 405) the JSON error body of docs/product.md: interfaces.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    // JSON, TAXII's own error resource, or an error page of the web interface.
    let is_json = response.headers().get(axum::http::header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(b"application/json") || v.starts_with(b"application/taxii+json") || v.starts_with(b"text/html")
    });
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", format!("the request body is larger than {} bytes", crate::MAX_BODY_BYTES)),
        StatusCode::REQUEST_TIMEOUT => ("timeout", format!("the request took longer than {} s", crate::REQUEST_TIMEOUT.as_secs())),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this resource does not accept that method".to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "send application/json".to_string()),
        s if s.is_server_error() => ("internal", "internal error; it has been logged".to_string()),
        _ => ("bad_request", status.canonical_reason().unwrap_or("bad request").to_lowercase()),
    };
    let mut out = ApiError { status, code, message, field: None }.into_response();
    // Keep headers such as `allow` and `x-request-id`.
    for (name, value) in response.headers() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// The longest request URI read. hyper itself refuses URIs past 64 KiB with
/// a bare 414 (no body); below that, a request this long gets an answer in
/// its interface's own error form that says what to do.
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// Refuses over-long URIs before routing: a TAXII error resource under
/// `/taxii2/`, the JSON error elsewhere.
pub async fn uri_limit(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let length = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if length <= MAX_URI_BYTES {
        return next.run(request).await;
    }
    let message = format!("the request URI is {length} bytes, more than the {MAX_URI_BYTES} read: ask for fewer ids or types per request");
    if request.uri().path().starts_with("/taxii2") {
        return crate::taxii::TaxiiError::new(StatusCode::URI_TOO_LONG, "URI Too Long", message).into_response();
    }
    ApiError { status: StatusCode::URI_TOO_LONG, code: "uri_too_long", message, field: None }.into_response()
}
