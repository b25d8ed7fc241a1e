//! The public read API: what anyone may see, TLP:CLEAR only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use tallinn_core::agreement::Announcement;
use tallinn_core::need::{Need, NeedStatus};
use tallinn_core::participant::Participant;
use tallinn_core::policy::Principal;
use tallinn_ledger::availability::Health;

use crate::{ApiError, AppState};

/// Ready when the store answers within `READY_TIMEOUT`, is migrated, and
/// accepts writes (the last write refused for want of space or because the
/// database is read-only makes it not ready until a write succeeds).
pub async fn ready(State(s): State<AppState>) -> Result<&'static str, ApiError> {
    let not_ready = |message: String| ApiError { status: StatusCode::SERVICE_UNAVAILABLE, code: "not_ready", message, field: None };
    match tokio::time::timeout(READY_TIMEOUT, s.ledger.backend().is_current()).await {
        Err(_) => return Err(not_ready(format!("the store did not answer within {} s", READY_TIMEOUT.as_secs()))),
        Ok(Err(_)) => return Err(not_ready("the store is unreachable".into())),
        Ok(Ok(false)) => return Err(not_ready("the store is not migrated to this version".into())),
        Ok(Ok(true)) => {}
    }
    match s.ledger.health() {
        Health::RefusingWrites(_) => Err(not_ready("the store refuses writes (out of space or read-only)".into())),
        Health::Unreachable(_) => Err(not_ready("the store is unreachable".into())),
        Health::Available => Ok("ready"),
    }
}

/// How long `/readyz` waits for the store.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn needs(State(s): State<AppState>) -> Result<Json<Vec<Need>>, ApiError> {
    Ok(Json(s.ledger.needs(&Principal::Public, &Default::default()).await?))
}

pub async fn participants(
    State(s): State<AppState>,
    query: Result<axum::extract::Query<crate::api::NameQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<crate::api::Page<Participant>>, ApiError> {
    let axum::extract::Query(q) = query?;
    Ok(Json(crate::api::paginate_by_name(s.ledger.participants().await?, |p| p.code.as_str(), q.cursor.as_deref(), q.limit)?))
}

pub async fn announcements(State(s): State<AppState>) -> Result<Json<Vec<Announcement>>, ApiError> {
    Ok(Json(s.ledger.announcements().await?))
}

/// Headline figures over the needs the public may see.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub needs: usize,
    pub approved_cost_eur: String,
    pub funded_eur: String,
    pub unfunded_eur: String,
    pub note: &'static str,
}

pub fn summarise(needs: &[Need]) -> Summary {
    use tallinn_core::money::format_minor;
    let (cost, funded) = catalogue_totals(needs);
    Summary {
        needs: needs.len(),
        approved_cost_eur: format_minor(cost, 2),
        funded_eur: format_minor(funded, 2),
        unfunded_eur: format_minor(cost - funded, 2),
        note: "TLP:CLEAR records only. Figures cover approved needs and committed allocations.",
    }
}

/// EUR cents of approved cost and of funding over the needs in the
/// Catalogue (approved onwards; not drafts, reviews, rejected or withdrawn).
pub fn catalogue_totals(needs: &[Need]) -> (i64, i64) {
    let in_catalogue = |n: &&Need| {
        !matches!(
            n.status,
            NeedStatus::Draft
                | NeedStatus::Submitted
                | NeedStatus::TechnicalReview
                | NeedStatus::StrategicReview
                | NeedStatus::Rejected
                | NeedStatus::Withdrawn
        )
    };
    let cost: i64 = needs.iter().filter(in_catalogue).map(|n| n.cost_eur_minor).sum();
    let funded: i64 = needs.iter().filter(in_catalogue).map(|n| n.funded_eur_minor).sum();
    (cost, funded)
}

pub async fn summary(State(s): State<AppState>) -> Result<Json<Summary>, ApiError> {
    let needs = s.ledger.needs(&Principal::Public, &Default::default()).await?;
    Ok(Json(summarise(&needs)))
}
