//! Browser sign-in and sign-out.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::{ClientAddress, SESSION_COOKIE, verify_password};
use crate::{ApiError, AppState};

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 8;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    #[schemars(regex(pattern = tallinn_core::text::PATTERN))]
    user: String,
    #[schemars(regex(pattern = tallinn_core::text::PATTERN))]
    password: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Signed {
    user: String,
    /// Send as `x-csrf-token` with every write made with the cookie.
    csrf: String,
}

/// `POST /api/v1/session`: sets an HttpOnly, SameSite=Strict session cookie.
pub async fn sign_in(
    State(s): State<AppState>,
    ClientAddress(address): ClientAddress,
    body: Result<Json<SignIn>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    verify_password(&s, &b.user, &b.password, &address).await?;
    let (secret, csrf) = s.ledger.open_session(&b.user, SESSION_HOURS).await?;
    let secure = if s.options.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}", SESSION_HOURS * 3600);
    Ok(([(header::SET_COOKIE, cookie)], Json(Signed { user: b.user, csrf })).into_response())
}

/// `DELETE /api/v1/session` (a write: needs the CSRF token): signs the
/// user out everywhere — every session of the account ends.
pub async fn sign_out(State(s): State<AppState>, crate::auth::Caller(who): crate::auth::Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    match &who {
        tallinn_core::policy::Principal::User { name, .. } => s.ledger.close_all_sessions(name).await?,
        _ => {
            if let Some(secret) = crate::auth::session_secret(&headers) {
                s.ledger.close_session(&secret).await?;
            }
        }
    }
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expired)]).into_response())
}
