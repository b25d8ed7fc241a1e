//! `/`: the public dashboard, over TLP:CLEAR records only, whoever reads it.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use tallinn_core::agreement::Announcement;
use tallinn_core::need::Need;
use tallinn_core::policy::Principal;

use super::{Layout, Viewer, WebError, render};
use crate::AppState;
use crate::public_api::catalogue_totals;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    needs: Vec<Need>,
    shown: usize,
    approved_cost: i64,
    funded: i64,
    report: tallinn_report::Overview,
    announcements: Vec<Announcement>,
    charts: Vec<(&'static str, &'static str)>,
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn page(State(s): State<AppState>, viewer: Viewer, Query(query): Query<DoneQuery>) -> Result<Response, WebError> {
    // The public figures, whoever is signed in: the page people link to.
    let mut needs = s.ledger.needs(&Principal::Public, &Default::default()).await?;
    let (approved_cost, funded) = catalogue_totals(&needs);
    let announcements = s.ledger.announcements().await?;
    let report = tallinn_report::overview(&s.ledger.report_facts(&Principal::Public).await?, None);
    let shown = needs.len();
    needs.truncate(100);
    let charts = vec![
        ("funding-by-year", "dashboard.chart_funding_by_year"),
        ("coverage-by-sector", "dashboard.chart_coverage_by_sector"),
        ("top-gaps", "dashboard.chart_top_gaps"),
        ("time-to-fund", "dashboard.chart_time_to_fund"),
    ];
    let done = query.done;
    let l = Layout::new(&viewer, "dashboard.title", "/").with_flash(done.as_deref());
    render(&DashboardPage { l, needs, shown, approved_cost, funded, report, announcements, charts })
}
