//! The TAXII 2.1 error message resource (TAXII 2.1 §3.6.1), served with the
//! TAXII media type for every error under `/taxii2/`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tallinn_core::DomainError;
use tallinn_ledger::StoreError;

use super::media::TAXII;
use crate::ApiError;

#[derive(Debug)]
pub struct TaxiiError {
    pub status: StatusCode,
    pub title: String,
    pub description: String,
}

#[derive(Serialize)]
struct Resource<'a> {
    title: &'a str,
    description: &'a str,
    /// TAXII writes the HTTP status as a string.
    http_status: String,
}

impl TaxiiError {
    pub fn new(status: StatusCode, title: &str, description: impl Into<String>) -> TaxiiError {
        TaxiiError { status, title: title.into(), description: description.into() }
    }

    pub fn bad_request(description: impl Into<String>) -> TaxiiError {
        TaxiiError::new(StatusCode::BAD_REQUEST, "Bad request", description)
    }

    pub fn not_found(description: impl Into<String>) -> TaxiiError {
        TaxiiError::new(StatusCode::NOT_FOUND, "Not found", description)
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = Resource { title: &self.title, description: &self.description, http_status: self.status.as_u16().to_string() };
        let mut response = (self.status, serde_json::to_string(&body).unwrap_or_default()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"tallinn\", Bearer"));
        }
        response
    }
}

/// The API's errors (authentication, the store) in TAXII form; internal
/// details stay in the log, as everywhere.
impl From<ApiError> for TaxiiError {
    fn from(e: ApiError) -> Self {
        let title = e.status.canonical_reason().unwrap_or("Error").to_string();
        TaxiiError { status: e.status, title, description: e.message }
    }
}

impl From<StoreError> for TaxiiError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Domain(DomainError::Invalid(_)) = &e {
            return TaxiiError::bad_request(e.to_string());
        }
        ApiError::from(e).into()
    }
}

/// Errors made outside the TAXII handlers (the router's 405, the timeout)
/// in TAXII form.
pub async fn taxii_errors(response: Response) -> Response {
    let status = response.status();
    let is_taxii = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/taxii+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_taxii {
        return response;
    }
    let description = match status {
        StatusCode::METHOD_NOT_ALLOWED => "this TAXII resource does not accept that method".to_string(),
        StatusCode::REQUEST_TIMEOUT => format!("the request took longer than {} s", crate::REQUEST_TIMEOUT.as_secs()),
        s if s.is_server_error() => "internal error; it has been logged".to_string(),
        s => s.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let mut out = TaxiiError::new(status, status.canonical_reason().unwrap_or("Error"), description).into_response();
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}
