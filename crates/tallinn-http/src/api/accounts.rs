//! Participants, users and tokens, for coordinators (and auditors, to read).

use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Argon2, PasswordHasher};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tallinn_core::participant::{CODE_PATTERN, MIN_PASSWORD_CHARS, NewUser, Panel, PartialDate, Participant, ParticipantKind, Role, USER_NAME_PATTERN, User};
use tallinn_ledger::TokenInfo;

use super::needs::signed_in;
use crate::auth::Caller;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateParticipant {
    #[schemars(regex(pattern = CODE_PATTERN))]
    code: String,
    #[schemars(regex(pattern = tallinn_core::text::NON_BLANK_PATTERN), length(max = tallinn_core::need::MAX_TITLE))]
    name: String,
    kind: ParticipantKind,
    #[schemars(regex(pattern = CODE_PATTERN))]
    parent: Option<String>,
    joined: Option<PartialDate>,
}

/// `POST /api/v1/participants`
pub async fn create_participant(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: Result<Json<CreateParticipant>, JsonRejection>,
) -> Result<(StatusCode, Json<Participant>), ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let p = Participant { code: b.code, name: b.name, kind: b.kind, parent: b.parent, joined: b.joined, left: None, synthetic: false };
    Ok((StatusCode::CREATED, Json(s.ledger.add_participant(who, p).await?)))
}

/// `GET /api/v1/users`
pub async fn users(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<axum::extract::Query<super::NameQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<super::Page<User>>, ApiError> {
    let axum::extract::Query(q) = query?;
    Ok(Json(super::paginate_by_name(s.ledger.users(&signed_in(who)?).await?, |u| u.name.as_str(), q.cursor.as_deref(), q.limit)?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("if" = { "properties": { "role": { "const": "reviewer" } } },
                  "then" = { "required": ["panel"], "properties": { "panel": { "type": "string" } } },
                  "else" = { "properties": { "panel": { "type": "null" } } }))]
pub struct CreateUser {
    #[schemars(regex(pattern = USER_NAME_PATTERN))]
    name: String,
    #[schemars(regex(pattern = CODE_PATTERN))]
    org: String,
    role: Role,
    /// Reviewers only, and required for them.
    panel: Option<Panel>,
    /// At least 12 characters; stored only as an Argon2id hash.
    #[schemars(regex(pattern = tallinn_core::text::PATTERN), length(min = MIN_PASSWORD_CHARS))]
    password: Option<String>,
}

/// `POST /api/v1/users`
pub async fn create_user(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: Result<Json<CreateUser>, JsonRejection>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let password_hash = match b.password {
        None => None,
        Some(p) => Some(hash_new_password(p).await?),
    };
    let user = NewUser { name: b.name, org: b.org, role: b.role, panel: b.panel, password_hash };
    Ok((StatusCode::CREATED, Json(s.ledger.add_user(who, user).await?)))
}

/// Hashes a new password (at least 12 characters) on the blocking pool:
/// the one way a password is hashed, for the API and the pages alike.
pub(crate) async fn hash_new_password(password: String) -> Result<String, ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            message: format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
            field: Some("password".into()),
        });
    }
    tokio::task::spawn_blocking(move || Argon2::default().hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng)).map(|h| h.to_string()))
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error; it has been logged".into(),
            field: None,
        })
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// Required when users change their own password.
    #[schemars(regex(pattern = tallinn_core::text::PATTERN))]
    current_password: Option<String>,
    /// At least 12 characters; stored only as an Argon2id hash.
    #[schemars(regex(pattern = tallinn_core::text::PATTERN), length(min = MIN_PASSWORD_CHARS))]
    password: String,
}

/// `PUT /api/v1/users/{name}/password`: users change their own (giving
/// the current one), the office anyone's. Every session of the account
/// ends, and every credential remembered by any server process goes stale.
pub async fn change_password(
    State(s): State<AppState>,
    Caller(who): Caller,
    crate::auth::ClientAddress(address): crate::auth::ClientAddress,
    Path(name): Path<String>,
    body: Result<Json<ChangePassword>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let own = matches!(&who, tallinn_core::policy::Principal::User { name: n, .. } if *n == name);
    if own {
        // 403: the request is well formed; this caller may not do it without
        // proving again who it is (a stolen token alone must not suffice).
        let current = b.current_password.as_deref().ok_or_else(|| ApiError {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: "give your current password to change your own".into(),
            field: Some("current_password".into()),
        })?;
        crate::auth::verify_password(&s, &name, current, &address).await?;
    }
    let hash = hash_new_password(b.password).await?;
    s.ledger.change_password(who, &name, &hash).await?;
    s.credentials.clear();
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/users/{name}/disable` (coordinators).
pub async fn disable_user(State(s): State<AppState>, Caller(who): Caller, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    account(&s, who, &name, tallinn_ledger::AccountChange::Disable).await
}

/// `POST /api/v1/users/{name}/enable` (coordinators).
pub async fn enable_user(State(s): State<AppState>, Caller(who): Caller, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    account(&s, who, &name, tallinn_ledger::AccountChange::Enable).await
}

/// `DELETE /api/v1/users/{name}` (coordinators): removed for good.
pub async fn remove_user(State(s): State<AppState>, Caller(who): Caller, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    account(&s, who, &name, tallinn_ledger::AccountChange::Remove).await
}

async fn account(s: &AppState, who: tallinn_core::policy::Principal, name: &str, change: tallinn_ledger::AccountChange) -> Result<StatusCode, ApiError> {
    s.ledger.change_account(signed_in(who)?, name, change).await?;
    s.credentials.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// Default: never.
    #[serde(default, deserialize_with = "tallinn_core::integer::optional")]
    #[schemars(range(min = 1, max = tallinn_ledger::MAX_TOKEN_DAYS))]
    expires_days: Option<i64>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NewToken {
    #[serde(flatten)]
    info: TokenInfo,
    /// Shown once; only its hash is stored.
    token: String,
}

/// `POST /api/v1/users/{name}/tokens`
pub async fn create_token(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(name): Path<String>,
    body: Result<Json<CreateToken>, JsonRejection>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let (info, token) = s.ledger.create_token(who, &name, b.expires_days).await?;
    Ok((StatusCode::CREATED, Json(NewToken { info, token })))
}

/// `GET /api/v1/tokens`
pub async fn tokens(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<axum::extract::Query<super::PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<super::Page<TokenInfo>>, ApiError> {
    let axum::extract::Query(q) = query?;
    Ok(Json(super::paginate(s.ledger.tokens(&signed_in(who)?).await?, |t| t.id, q.sort, q.cursor.as_deref(), q.limit)?))
}

/// `DELETE /api/v1/tokens/{id}` (the office, or the token's own user)
pub async fn revoke_token(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    s.ledger.revoke_token(signed_in(who)?, id).await?;
    // This process stops accepting it at once (others within the token TTL).
    s.credentials.clear();
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/participants/{code}`
pub async fn participant(State(s): State<AppState>, Path(code): Path<String>) -> Result<Json<Participant>, ApiError> {
    let found = s.ledger.participants().await?.into_iter().find(|p| p.code == code);
    found.map(Json).ok_or_else(|| tallinn_ledger::StoreError::from(tallinn_core::DomainError::not_found("participant", &code)).into())
}

/// `GET /api/v1/users/{name}` (coordinators, auditors)
pub async fn user(State(s): State<AppState>, Caller(who): Caller, Path(name): Path<String>) -> Result<Json<User>, ApiError> {
    let found = s.ledger.users(&signed_in(who)?).await?.into_iter().find(|u| u.name == name);
    found.map(Json).ok_or_else(|| tallinn_ledger::StoreError::from(tallinn_core::DomainError::not_found("user", &name)).into())
}
