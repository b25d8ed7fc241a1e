//! The reader's choice of language: `GET /language/{lang}` keeps it in a
//! cookie for a year and returns to the page the reader came from.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::i18n::{Catalogue, LANGUAGE_COOKIE};
use super::{WebError, see_other};
use crate::AppState;

/// `GET /language/{lang}`: a preference, not a change to the ledger, so a
/// plain link (no form, no token) may set it.
pub async fn choose(State(s): State<AppState>, Path(lang): Path<String>, headers: HeaderMap) -> Result<Response, WebError> {
    let Some(cat) = Catalogue::named(&lang) else {
        return Err(WebError::page(StatusCode::NOT_FOUND, Catalogue::english().get("error.not_found").to_string()));
    };
    let mut response = see_other(&back_to(&headers));
    let secure = if s.options.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{LANGUAGE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}", cat.lang);
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response.into_response())
}

/// The path (and query) of the page the link was on, from `Referer`; only
/// ever a local path, so the redirect cannot lead off the site.
fn back_to(headers: &HeaderMap) -> String {
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let path = match referer.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => "/",
    };
    super::local_path(path).filter(|p| !p.starts_with("/language/")).unwrap_or("/").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(referer: &str) -> String {
        let mut h = HeaderMap::new();
        h.insert(header::REFERER, referer.parse().unwrap());
        back_to(&h)
    }

    #[test]
    fn returns_only_to_local_paths() {
        assert_eq!(from("http://127.0.0.1:8080/needs?status=approved"), "/needs?status=approved");
        assert_eq!(from("https://tallinn.example/"), "/");
        assert_eq!(from("https://tallinn.example"), "/");
        assert_eq!(from("https://evil.example//evil.example/x"), "/");
        assert_eq!(from("https://tallinn.example/\\evil.example"), "/", "browsers read /\\ as //");
        assert_eq!(from("https://tallinn.example/language/fr"), "/");
        assert_eq!(from("javascript:alert(1)"), "/");
        assert_eq!(back_to(&HeaderMap::new()), "/");
    }
}
