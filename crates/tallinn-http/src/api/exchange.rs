//! TAXII collections in the JSON API: listed for whoever may use them,
//! created by coordinators (the TAXII protocol itself has no way to create
//! one).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde::Deserialize;
use tallinn_store::{Audience, Collection, NewCollection};

use super::needs::signed_in;
use crate::auth::Caller;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCollection {
    #[schemars(regex(pattern = tallinn_core::text::NON_BLANK_PATTERN), length(max = tallinn_core::need::MAX_TITLE))]
    title: String,
    #[schemars(regex(pattern = tallinn_core::text::PATTERN))]
    description: Option<String>,
    /// A short name usable in TAXII URLs in place of the id (a-z, 0-9, '-'; not a UUID).
    #[schemars(regex(pattern = tallinn_store::ALIAS_PATTERN), extend("not" = { "type": "string", "pattern": tallinn_store::UUID_PATTERN }))]
    alias: Option<String>,
    /// "all" (every analyst, the default) or participant codes.
    read: Option<AudienceBody>,
    /// "all" (every analyst, the default) or participant codes.
    write: Option<AudienceBody>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum AudienceBody {
    Word(String),
    Orgs(Vec<String>),
}

impl schemars::JsonSchema for AudienceBody {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AudienceBody".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "\"all\", or the codes of the participants admitted (at least one)",
            "oneOf": [
                { "const": "all" },
                { "type": "array", "minItems": 1, "items": { "type": "string", "pattern": tallinn_core::participant::CODE_PATTERN } }
            ]
        })
    }
}

fn audience(field: &str, body: Option<AudienceBody>) -> Result<Audience, ApiError> {
    match body {
        None => Ok(Audience::All),
        Some(AudienceBody::Word(w)) if w == "all" => Ok(Audience::All),
        Some(AudienceBody::Word(w)) => Err(ApiError::bad_request(field, &format!("'{w}': give \"all\" or a list of participant codes"))),
        Some(AudienceBody::Orgs(orgs)) if !orgs.is_empty() => Ok(Audience::Orgs(orgs)),
        Some(AudienceBody::Orgs(_)) => Err(ApiError::bad_request(field, "an empty list admits nobody; give \"all\" or participant codes")),
    }
}

/// `GET /api/v1/collections`
pub async fn list(State(s): State<AppState>, Caller(who): Caller) -> Result<Json<Vec<Collection>>, ApiError> {
    Ok(Json(s.ledger.collections(&signed_in(who)?).await?))
}

/// `POST /api/v1/collections`
pub async fn create(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: Result<Json<CreateCollection>, JsonRejection>,
) -> Result<(StatusCode, Json<Collection>), ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let new = NewCollection { title: b.title, description: b.description, alias: b.alias, read: audience("read", b.read)?, write: audience("write", b.write)? };
    Ok((StatusCode::CREATED, Json(s.ledger.add_collection(who, new).await?)))
}
