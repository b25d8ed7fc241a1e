//! Who is calling: `Authorization: Bearer TOKEN`, HTTP Basic (user name and
//! password, for protocol clients), or nobody (the public).
//!
//! Argon2 verification is deliberately slow, so it runs on the blocking pool,
//! and a successful check is remembered for a few minutes under a keyed
//! SHA-256 of the credentials (the key is random per process, so the cache
//! holds nothing that reveals a password). Bad credentials are a 401, never
//! a silent downgrade to the public.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use base64::Engine;
use sha2::{Digest, Sha256};
use tallinn_core::policy::Principal;

use crate::{ApiError, AppState};

/// How long a verified Basic credential is trusted without re-hashing.
const CACHE_TTL: Duration = Duration::from_secs(300);
/// How long a resolved Bearer token is trusted without reading the store:
/// short, because a token revoked by another server process stays usable
/// here for at most this long (this process forgets at once).
const TOKEN_TTL: Duration = Duration::from_secs(10);
const CACHE_MAX: usize = 10_000;

/// Remembers successful Basic checks.
pub struct CredentialCache {
    key: [u8; 32],
    /// The principal, when it was verified, and its account's credentials
    /// version then (checked against the store before each use).
    entries: Mutex<HashMap<[u8; 32], (Principal, Instant, i64)>>,
}

impl Default for CredentialCache {
    fn default() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        CredentialCache { key, entries: Mutex::new(HashMap::new()) }
    }
}

impl CredentialCache {
    fn digest(&self, user: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update((user.len() as u64).to_be_bytes());
        h.update(user.as_bytes());
        h.update(password.as_bytes());
        h.finalize().into()
    }

    fn token_digest(&self, token: &str) -> [u8; 32] {
        self.digest("", token)
    }

    fn get(&self, digest: &[u8; 32], ttl: Duration) -> Option<(Principal, i64)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(digest).filter(|(_, at, _)| at.elapsed() < ttl).map(|(p, _, v)| (p.clone(), *v))
    }

    fn forget(&self, digest: &[u8; 32]) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(digest);
    }

    /// Forgets every remembered credential (a token was revoked).
    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn put(&self, digest: [u8; 32], principal: Principal, version: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CACHE_MAX {
            entries.retain(|_, (_, at, _)| at.elapsed() < CACHE_TTL);
            if entries.len() >= CACHE_MAX {
                entries.clear();
            }
        }
        entries.insert(digest, (principal, Instant::now(), version));
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError { status: StatusCode::UNAUTHORIZED, code: "unauthorized", message: message.into(), field: None }
}

/// The caller, as the visibility policy sees it.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return session(parts, state).await.map(Caller);
        };
        let header = header.to_str().map_err(|_| unauthorized("the Authorization header is not readable"))?;
        let (scheme, value) = header.split_once(' ').ok_or_else(|| unauthorized("use Authorization: Bearer TOKEN or Basic"))?;
        match scheme.to_ascii_lowercase().as_str() {
            "bearer" => bearer(state, value.trim()).await.map(Caller),
            "basic" => basic(state, value.trim(), &client_address(parts, &state.options.trusted_proxies)).await.map(Caller),
            _ => Err(unauthorized("use Authorization: Bearer TOKEN or Basic")),
        }
    }
}

/// The client's IP address (for sign-in limits), or "unknown" when the
/// server runs without connection info (as in tests). A connection from a
/// trusted proxy carries many clients: the client is the last address of
/// `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends
/// the address it was reached from; the ones before it are the client's to
/// forge, so they are never read). Anyone else's `X-Forwarded-For` and
/// `X-Real-IP` are ignored.
pub fn client_address(parts: &Parts, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip()) else {
        return "unknown".to_string();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let entries: Vec<&str> =
        parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).map(str::trim).collect();
    // From the right: past our own proxies, the first address is the client.
    for entry in entries.iter().rev() {
        match entry.parse::<std::net::IpAddr>() {
            Ok(a) if trusted.contains(&a) => continue,
            Ok(a) => return a.to_string(),
            Err(_) => break,
        }
    }
    peer.to_string()
}

/// The client's address as an extractor.
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts, &state.options.trusted_proxies)))
    }
}

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "tallinn_session";

/// The session cookie's secret, if the request carries one.
pub fn session_secret(headers: &axum::http::HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}

/// The value of the cookie `name`, if the request carries it.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name).and_then(|r| r.strip_prefix('=')).map(str::to_string))
}

/// A browser session: reads need only the cookie; writes also need the
/// session's CSRF token in `x-csrf-token` (a cross-site page can make the
/// browser send the cookie, but cannot read the token). An unknown or
/// expired cookie is the public.
async fn session(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let Some(secret) = session_secret(&parts.headers) else { return Ok(Principal::Public) };
    let Some((principal, csrf)) = state.ledger.session(&secret).await? else { return Ok(Principal::Public) };
    let safe = matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS);
    if !safe && parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) != Some(csrf.as_str()) {
        return Err(ApiError { status: StatusCode::FORBIDDEN, code: "csrf", message: "send the session's CSRF token in x-csrf-token".into(), field: None });
    }
    Ok(principal)
}

/// Resolves a token, remembered for `TOKEN_TTL` (machine clients send
/// thousands of requests a minute with the same token).
/// A remembered credential, if its account's credentials version is still
/// the one it was verified under: a password change, disabling or removal
/// on any server process makes it stale here at once (one indexed read).
async fn remembered(state: &AppState, digest: &[u8; 32], ttl: Duration) -> Result<Option<Principal>, ApiError> {
    let Some((principal, version)) = state.credentials.get(digest, ttl) else { return Ok(None) };
    let Principal::User { name, .. } = &principal else { return Ok(Some(principal)) };
    if state.ledger.credentials_version(name).await? == Some(version) {
        return Ok(Some(principal));
    }
    state.credentials.forget(digest);
    Ok(None)
}

/// The account's credentials version now, to remember beside a credential.
async fn version_of(state: &AppState, principal: &Principal) -> Result<Option<i64>, ApiError> {
    match principal {
        Principal::User { name, .. } => Ok(state.ledger.credentials_version(name).await?),
        _ => Ok(Some(0)),
    }
}

async fn bearer(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let digest = state.credentials.token_digest(token);
    if let Some(p) = remembered(state, &digest, TOKEN_TTL).await? {
        return Ok(p);
    }
    match state.ledger.principal_for_token(token).await? {
        Some(p) => {
            if let Some(version) = version_of(state, &p).await? {
                state.credentials.put(digest, p.clone(), version);
            }
            Ok(p)
        }
        None => Err(unauthorized("the token is unknown, expired or revoked")),
    }
}

async fn basic(state: &AppState, value: &str, address: &str) -> Result<Principal, ApiError> {
    let bad = || unauthorized("the user name or password is wrong");
    let decoded = base64::engine::general_purpose::STANDARD.decode(value).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (user, password) = text.split_once(':').ok_or_else(bad)?;
    verify_password(state, user, password, address).await
}

/// Checks a user name and password (rate-limited, Argon2 on the blocking
/// pool, remembered briefly once verified).
pub async fn verify_password(state: &AppState, user: &str, password: &str, address: &str) -> Result<Principal, ApiError> {
    let bad = || unauthorized("the user name or password is wrong");
    let digest = state.credentials.digest(user, password);
    if let Some(p) = remembered(state, &digest, CACHE_TTL).await? {
        return Ok(p);
    }
    // Recent failures for this account, from this address or anywhere:
    // wait before trying again (progressive delays, never a lock-out), and
    // spend no work on the password meanwhile.
    if let Some(at) = state.ledger.next_sign_in(user, address).await? {
        let seconds = (at - state.ledger.now()).get_seconds().max(0) + 1;
        return Err(ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
            message: format!("too many failed sign-ins; try again in {seconds} s"),
            field: None,
        });
    }
    // Read before the hash: a change made meanwhile leaves this number
    // behind, so what is remembered below is checked again next time.
    let version = state.ledger.credentials_version(user).await?;
    // The same work whether or not the user exists, so that timing does not
    // tell which user names are real.
    let stored = state.ledger.password_hash(user).await.ok().flatten();
    let hash = stored.clone().unwrap_or_else(|| DUMMY_HASH.clone());
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    if !(ok && stored.is_some()) {
        state.ledger.record_login_failure(user, address).await?;
        return Err(bad());
    }
    let principal = state.ledger.principal(user).await.map_err(|_| bad())?;
    if let Some(version) = version {
        state.credentials.put(digest, principal.clone(), version);
    }
    Ok(principal)
}

/// An Argon2id hash of a random password, verified against when the user
/// does not exist (or has no password).
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use argon2::PasswordHasher;
    let salt = argon2::password_hash::SaltString::generate(&mut OsRng);
    let mut password = [0u8; 32];
    OsRng.fill_bytes(&mut password);
    Argon2::default().hash_password(&password, &salt).map(|h| h.to_string()).unwrap_or_default()
});

/// Shared across handlers.
pub type Credentials = Arc<CredentialCache>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_behind_trusted_proxies() {
        let request = |peer: &str, forwarded: &[&str]| {
            let mut r = axum::http::Request::builder();
            for f in forwarded {
                r = r.header("x-forwarded-for", *f);
            }
            let (mut parts, _) = r.body(()).unwrap().into_parts();
            parts.extensions.insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(peer.parse().unwrap(), 1)));
            parts
        };
        let trusted: Vec<std::net::IpAddr> = vec!["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        assert_eq!(client_address(&request("203.0.113.5", &["198.51.100.1"]), &trusted), "203.0.113.5", "an untrusted peer's header is ignored");
        assert_eq!(client_address(&request("10.0.0.1", &["forged, 198.51.100.7"]), &trusted), "198.51.100.7");
        assert_eq!(client_address(&request("10.0.0.1", &["1.2.3.4", "198.51.100.7, 10.0.0.2"]), &trusted), "198.51.100.7", "past our own proxies");
        assert_eq!(client_address(&request("10.0.0.1", &[]), &trusted), "10.0.0.1");
        assert_eq!(client_address(&request("10.0.0.1", &["garbage"]), &trusted), "10.0.0.1");
    }
}
