//! Who is looking at a page, and the CSRF checks of the forms they post.
//!
//! Pages use the session cookie only (no `Authorization` header: browsers
//! do not send one). Every form carries a hidden `csrf` field: for a signed-in
//! reader it must equal the session's CSRF token; for the sign-in form, which
//! has no session yet, it must equal a random value the login page put in a
//! short-lived cookie of its own (a cross-site page can make the browser send
//! cookies, but can read neither value).

use std::collections::HashMap;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tallinn_core::participant::Role;
use tallinn_core::policy::Principal;

use super::WebError;
use super::i18n::Catalogue;
use crate::AppState;
use crate::auth::session_secret;

/// The cookie that carries the sign-in form's CSRF value.
pub const LOGIN_CSRF_COOKIE: &str = "tallinn_login_csrf";

/// The reader of a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub principal: Principal,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: Option<String>,
    /// The session cookie's secret (to close the session on sign-out).
    pub secret: Option<String>,
    pub cat: &'static Catalogue,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let language = parts.headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        let chosen = crate::auth::cookie_value(&parts.headers, super::i18n::LANGUAGE_COOKIE);
        let cat = Catalogue::for_reader(chosen.as_deref(), language);
        let secret = session_secret(&parts.headers);
        let session = match &secret {
            Some(s) => state.ledger.session(s).await.map_err(WebError::from)?,
            None => None,
        };
        Ok(match session {
            Some((principal, csrf)) => Viewer { principal, csrf: Some(csrf), secret, cat },
            // An unknown or expired cookie reads as the public.
            None => Viewer { principal: Principal::Public, csrf: None, secret: None, cat },
        })
    }
}

impl Viewer {
    /// What this viewer is shown: the ledger's reads that write their
    /// confidential records to the access log (`via = web`).
    pub fn view<'a>(&'a self, ledger: &'a tallinn_ledger::Ledger) -> tallinn_ledger::View<'a> {
        ledger.view(&self.principal, tallinn_ledger::Via::Web)
    }

    pub fn role(&self) -> Option<Role> {
        match &self.principal {
            Principal::User { role, .. } => Some(*role),
            _ => None,
        }
    }

    pub fn org(&self) -> Option<&str> {
        match &self.principal {
            Principal::User { org, .. } => Some(org),
            _ => None,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match &self.principal {
            Principal::User { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The signed-in reader, or a redirect to the sign-in page.
    pub fn signed_in(&self, back_to: &str) -> Result<&Principal, WebError> {
        match self.principal {
            Principal::Public => Err(WebError::sign_in(back_to)),
            _ => Ok(&self.principal),
        }
    }

    /// Checks a posted form: signed in, and its `csrf` field is the
    /// session's token. Nothing is changed when this fails.
    pub fn check_form(&self, form: &HashMap<String, String>, back_to: &str) -> Result<Principal, WebError> {
        let principal = self.signed_in(back_to)?.clone();
        let sent = form.get("csrf").map(String::as_str).unwrap_or("");
        match &self.csrf {
            Some(token) if !sent.is_empty() && constant_time_eq(sent.as_bytes(), token.as_bytes()) => Ok(principal),
            _ => Err(WebError::csrf(self.cat)),
        }
    }
}

/// Compares two secrets without an early exit that would leak, by timing,
/// how much of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random value for the sign-in form's CSRF cookie.
pub fn new_login_token() -> String {
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The sign-in form's CSRF value for the cookie's `nonce`: the nonce and
/// its HMAC-SHA256 under the installation's key. A site that plants a
/// cookie of its own (from a sibling subdomain, say) cannot make the
/// matching form value without the key, which never leaves the server.
pub fn login_form_value(key: &[u8; 32], nonce: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(nonce.as_bytes());
    format!("{nonce}.{}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether a posted form value belongs to the cookie's nonce.
pub fn login_form_value_matches(key: &[u8; 32], nonce: &str, sent: &str) -> bool {
    !nonce.is_empty() && constant_time_eq(login_form_value(key, nonce).as_bytes(), sent.as_bytes())
}

/// The value of the sign-in form's CSRF cookie, if sent.
pub fn login_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    crate::auth::cookie_value(headers, LOGIN_CSRF_COOKIE)
}

#[cfg(test)]
mod tests {
    #[test]
    fn compares_secrets() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"ab"));
        assert_eq!(super::new_login_token().len(), 48);
    }

    #[test]
    fn a_login_form_value_needs_the_key() {
        let (key, other) = ([7u8; 32], [8u8; 32]);
        let value = super::login_form_value(&key, "abc");
        assert!(super::login_form_value_matches(&key, "abc", &value));
        assert!(!super::login_form_value_matches(&other, "abc", &value), "another key");
        assert!(!super::login_form_value_matches(&key, "abd", &value), "another cookie");
        assert!(!super::login_form_value_matches(&key, "abc", "abc"), "the planted cookie's own value");
        assert!(!super::login_form_value_matches(&key, "", &super::login_form_value(&key, "")));
    }
}
