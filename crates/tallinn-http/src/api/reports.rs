//! `/api/v1/reports/...`: the figures of `tallinn report` over what the
//! caller may see (the public: TLP:CLEAR only), as JSON or CSV, the SVG
//! charts, and the public dashboard and IATI file.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tallinn_core::policy::Principal;
use tallinn_ledger::Via;
use tallinn_report::facts::Facts;
use tallinn_report::table::{Tabular, coverage_lines, timing_lines, to_csv};
use tallinn_report::{By, ChartKind, Overview, chart, funding, overview};

use crate::auth::Caller;
use crate::{ApiError, AppState};

/// `GET /api/v1/reports`: the whole report, JSON only.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// Only flows and pledges of this year in the funding figures.
    year: Option<i16>,
    /// `json`, the only form of the whole report.
    #[schemars(extend("enum" = ["json"]))]
    format: Option<String>,
}

/// `GET /api/v1/reports/funding`
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingQuery {
    /// Funding grouping: donor (default), year, capability, sector, beneficiary, status.
    #[schemars(with = "Option<By>")]
    by: Option<String>,
    /// Only flows and pledges of this year.
    year: Option<i16>,
    /// `json` (default) or `csv`.
    #[schemars(with = "Option<Wire>")]
    format: Option<String>,
}

/// `GET /api/v1/reports/{section}`
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionQuery {
    /// Only flows and pledges of this year in the funding figures.
    year: Option<i16>,
    /// `json` (default) or `csv`.
    #[schemars(with = "Option<Wire>")]
    format: Option<String>,
}

/// The forms a table is answered in.
#[derive(Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Wire {
    Json,
    Csv,
}

fn wire(format: Option<&str>) -> Result<Wire, ApiError> {
    match format {
        None | Some("json") => Ok(Wire::Json),
        Some("csv") => Ok(Wire::Csv),
        Some(other) => Err(ApiError::bad_request("format", &format!("unknown format '{other}' (expected json or csv)"))),
    }
}

/// The report sections `GET /api/v1/reports/{section}` answers.
pub const SECTIONS: &[&str] = &["coverage", "gaps", "timing", "agreements", "reconciliation"];

fn csv_response<T: Tabular>(rows: &[T]) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], to_csv(rows)).into_response()
}

fn answer<T: Serialize, R: Tabular>(wire: Wire, value: &T, rows: &[R]) -> Response {
    match wire {
        Wire::Json => Json(value).into_response(),
        Wire::Csv => csv_response(rows),
    }
}

/// The facts of the caller, with the named AMBER and RED needs of the gap
/// list written to the access log.
async fn facts_for(s: &AppState, who: &Principal) -> Result<Facts, ApiError> {
    Ok(s.ledger.view(who, Via::Api).report_facts().await?)
}

/// `GET /api/v1/reports?year=`: every figure.
pub async fn all(State(s): State<AppState>, Caller(who): Caller, query: Result<Query<OverviewQuery>, QueryRejection>) -> Result<Json<Overview>, ApiError> {
    let Query(q) = query?;
    if wire(q.format.as_deref())? != Wire::Json {
        return Err(ApiError::bad_request("format", "the whole report is JSON; for one table use /api/v1/reports/funding or a section"));
    }
    Ok(Json(overview(&facts_for(&s, &who).await?, q.year)))
}

/// `GET /api/v1/reports/funding?by=&year=&format=`
pub async fn funding_table(State(s): State<AppState>, Caller(who): Caller, query: Result<Query<FundingQuery>, QueryRejection>) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let by: By = q.by.as_deref().unwrap_or("donor").parse().map_err(|e: String| ApiError::bad_request("by", &e))?;
    let wire = wire(q.format.as_deref())?;
    let table = funding(&s.ledger.report_facts(&who).await?, by, q.year);
    Ok(answer(wire, &table, &table.rows))
}

/// `GET /api/v1/reports/{section}`: coverage, gaps, timing, agreements, reconciliation.
pub async fn section(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(section): Path<String>,
    query: Result<Query<SectionQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let wire = wire(q.format.as_deref())?;
    let o = overview(&facts_for(&s, &who).await?, q.year);
    Ok(match section.as_str() {
        "coverage" => answer(wire, &o.coverage, &coverage_lines(&o)),
        "gaps" => answer(wire, &o.gaps, &o.gaps.top),
        "timing" => answer(wire, &o.timing, &timing_lines(&o)),
        "agreements" => answer(wire, &o.agreements, &o.agreements),
        "reconciliation" => answer(wire, &o.reconciliation, &o.reconciliation),
        other => {
            return Err(ApiError::missing(&format!("no report section '{other}' (expected funding, coverage, gaps, timing, agreements or reconciliation)")));
        }
    })
}

/// `GET /api/v1/reports/charts/{kind}.svg`
pub async fn chart_svg(State(s): State<AppState>, Caller(who): Caller, Path(file): Path<String>) -> Result<Response, ApiError> {
    let kind: ChartKind = file.strip_suffix(".svg").unwrap_or("").parse().map_err(|e: String| ApiError::missing(&e))?;
    let svg = chart::render(kind, &facts_for(&s, &who).await?);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// `GET /api/v1/public/dashboard`: every figure over TLP:CLEAR records, whoever asks.
pub async fn public_dashboard(State(s): State<AppState>) -> Result<Json<Overview>, ApiError> {
    Ok(Json(overview(&s.ledger.report_facts(&Principal::Public).await?, None)))
}

/// `GET /api/v1/public/iati.xml`: the IATI 2.03 activity file (TLP:CLEAR only).
pub async fn public_iati(State(s): State<AppState>) -> Result<Response, ApiError> {
    let facts = s.ledger.report_facts(&Principal::Public).await?;
    let export = tallinn_report::iati::export(&facts, &tallinn_report::iati::IatiOptions::new(s.ledger.now()));
    Ok(([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], export.xml).into_response())
}
