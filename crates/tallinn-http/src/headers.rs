//! Security headers on every response, errors included.
//!
//! The pages are server-rendered with one stylesheet from `/assets/` and no
//! script, inline style or frame, so the content security policy can allow
//! nothing else: an injected `<script>` or `style` would not run.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// What a page may load: its own stylesheets and images (the SVG charts),
/// forms posting to itself; no script, no frame, in or around it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// HSTS for a server whose public address is https: a year, subdomains too.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Adds the headers; `https` (the public address is https) adds HSTS.
pub fn add(response: &mut Response, https: bool) {
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    if https {
        set(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
}
