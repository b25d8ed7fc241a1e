//! TAXII media types: what a client may ask for (`Accept`) and send
//! (`Content-Type`). A version-less `application/taxii+json` and the
//! wildcards are accepted; any other version, or another type only, is
//! refused (406 / 415).

use axum::http::{HeaderMap, StatusCode, header};

use super::error::TaxiiError;

pub const TAXII: &str = "application/taxii+json;version=2.1";
pub const STIX: &str = "application/stix+json;version=2.1";

/// Does one media range (`type/subtype; params`) name TAXII 2.1?
fn is_taxii(range: &str, wildcards: bool) -> bool {
    let mut parts = range.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default().to_ascii_lowercase();
    let mut version = None;
    for p in parts {
        if let Some((k, v)) = p.split_once('=') {
            match k.trim().to_ascii_lowercase().as_str() {
                "version" => version = Some(v.trim().trim_matches('"').to_string()),
                // A range the client refuses.
                "q" if v.trim().parse::<f32>().is_ok_and(|q| q <= 0.0) => return false,
                _ => {}
            }
        }
    }
    match essence.as_str() {
        "application/taxii+json" => version.is_none_or(|v| v == "2.1"),
        "*/*" | "application/*" => wildcards,
        _ => false,
    }
}

/// 406 unless the client accepts TAXII 2.1 (no `Accept` accepts anything).
pub fn check_accept(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let values: Vec<&str> = headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).collect();
    if values.is_empty() || values.iter().flat_map(|v| v.split(',')).any(|r| is_taxii(r, true)) {
        return Ok(());
    }
    Err(TaxiiError::new(StatusCode::NOT_ACCEPTABLE, "Not acceptable", format!("this server answers {TAXII}; the Accept header does not allow it")))
}

/// 415 unless the body is declared as TAXII 2.1.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let value = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if is_taxii(value, false) {
        return Ok(());
    }
    Err(TaxiiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type", format!("send the envelope as {TAXII}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_ranges() {
        for ok in
            [TAXII, "application/taxii+json", "application/taxii+json; version=\"2.1\"", "*/*", "application/*", "text/html, application/taxii+json;q=0.5"]
        {
            assert!(ok.split(',').any(|r| is_taxii(r, true)), "{ok}");
        }
        for bad in ["application/taxii+json;version=2.0", "application/json", "text/html", "application/taxii+json;q=0"] {
            assert!(!bad.split(',').any(|r| is_taxii(r, true)), "{bad}");
        }
        assert!(!is_taxii("*/*", false), "a body must say what it is");
    }
}
