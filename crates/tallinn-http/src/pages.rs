//! The public dashboard page: server-rendered HTML, no JavaScript.

use axum::extract::State;
use axum::response::Html;
use tallinn_core::money::format_minor;
use tallinn_core::policy::Principal;

use crate::public_api::summarise;
use crate::{ApiError, AppState};

/// Escapes text for HTML element and attribute content.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The funding totals and the reconciliation with each announcement, over
/// TLP:CLEAR records.
fn funding_section(o: &tallinn_report::Overview) -> String {
    let t = &o.totals;
    let mut html = format!(
        "<div class=\"figures\"><div>Committed<br><strong>EUR {}</strong></div><div>Disbursed<br><strong>EUR {}</strong></div><div>Spent on delivery<br><strong>EUR {}</strong></div><div>Announced, not yet committed (not counted)<br><strong>EUR {}</strong></div></div>",
        format_minor(t.committed, 2),
        format_minor(t.disbursed, 2),
        format_minor(t.spent, 2),
        format_minor(t.announced, 2)
    );
    for r in &o.reconciliation {
        html.push_str(&format!(
            "<h3>Reconciliation with {} ({})</h3><table><thead><tr><th scope=col></th><th class=num scope=col>Announced EUR</th><th class=num scope=col>In this ledger EUR</th><th class=num scope=col>Difference EUR</th></tr></thead><tbody><tr><th scope=row>New support in {}</th><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td></tr><tr><th scope=row>Cumulative</th><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td></tr></tbody></table><ul>",
            esc(&r.announcement),
            r.date,
            r.year,
            format_minor(r.announced_new, 2),
            format_minor(r.ledger_new, 2),
            format_minor(r.difference_new, 2),
            format_minor(r.announced_cumulative, 2),
            format_minor(r.ledger_cumulative, 2),
            format_minor(r.difference_cumulative, 2)
        ));
        for line in &r.explanation {
            html.push_str(&format!("<li>{}</li>", esc(line)));
        }
        html.push_str("</ul>");
    }
    html.push_str("<h3>Charts</h3><div class=\"charts\">");
    for (kind, alt) in [
        ("funding-by-year", "Committed funding by year, stacked by capability"),
        ("coverage-by-sector", "Coverage of approved needs by sector"),
        ("top-gaps", "The largest unfunded needs"),
        ("time-to-fund", "Median days from approval to full funding, by capability"),
    ] {
        html.push_str(&format!("<figure><img src=\"/api/v1/reports/charts/{kind}.svg\" alt=\"{alt}\" width=\"760\" loading=\"lazy\"><figcaption>{alt} (<a href=\"/api/v1/reports/charts/{kind}.svg\">SVG</a>)</figcaption></figure>"));
    }
    html.push_str("</div>");
    html
}

pub async fn dashboard(State(s): State<AppState>) -> Result<Html<String>, ApiError> {
    let needs = s.ledger.needs(&Principal::Public, &Default::default()).await?;
    let summary = summarise(&needs);
    let announcements = s.ledger.announcements().await?;
    let report = tallinn_report::overview(&s.ledger.report_facts(&Principal::Public).await?, None);
    let mut rows = String::new();
    for n in needs.iter().take(100) {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=num>{}</td><td class=num>{}</td></tr>\n",
            esc(&n.id),
            esc(&n.title),
            esc(&n.beneficiary),
            n.capability,
            n.sector,
            n.status,
            format_minor(n.cost_eur_minor, 2),
            format_minor(n.funded_eur_minor, 2)
        ));
    }
    let mut facts = String::new();
    for a in &announcements {
        facts.push_str(&format!(
            "<li>{} ({}): EUR {} of new support in {}; EUR {} in total. Endorsed by {}.</li>",
            esc(&a.place),
            a.date,
            format_minor(a.new_funding_eur_minor, 2),
            a.new_funding_year,
            format_minor(a.cumulative_eur_minor, 2),
            esc(&a.endorsers.join(", "))
        ));
    }
    Ok(Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tallinn — civil cyber assistance to Ukraine</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}}table{{border-collapse:collapse;width:100%}}th,td{{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left}}.num{{text-align:right;font-variant-numeric:tabular-nums}}.figures{{display:flex;gap:2rem;flex-wrap:wrap}}.figures div{{background:#f6f8fa;padding:1rem;border-radius:.5rem}}figure{{margin:1rem 0}}img{{max-width:100%;height:auto;border:1px solid #d0d7de}}</style>
</head><body>
<header><h1>Tallinn</h1><p>Coordination of civil cyber assistance to Ukraine. Public view: TLP:CLEAR records only.</p></header>
<main>
<section aria-labelledby="fig"><h2 id="fig">Catalogue</h2><div class="figures">
<div>Needs shown<br><strong>{}</strong></div><div>Approved cost<br><strong>EUR {}</strong></div><div>Funded<br><strong>EUR {}</strong></div><div>Unfunded<br><strong>EUR {}</strong></div></div></section>
<section aria-labelledby="funding"><h2 id="funding">Funding</h2>{}</section>
<section aria-labelledby="ann"><h2 id="ann">Announcements</h2><ul>{}</ul></section>
<section aria-labelledby="needs"><h2 id="needs">Needs (latest 100)</h2>
<table><thead><tr><th>Id</th><th>Title</th><th>Beneficiary</th><th>Capability</th><th>Sector</th><th>Status</th><th class=num>Cost EUR</th><th class=num>Funded EUR</th></tr></thead><tbody>
{}</tbody></table></section>
</main><footer><p>Records marked "(demo)" are synthetic. JSON: <a href="/api/v1/public/needs">/api/v1/public/needs</a>, <a href="/api/v1/public/summary">/api/v1/public/summary</a>, <a href="/api/v1/public/dashboard">/api/v1/public/dashboard</a>; IATI: <a href="/api/v1/public/iati.xml">/api/v1/public/iati.xml</a>.</p></footer>
</body></html>"#,
        summary.needs,
        summary.approved_cost_eur,
        summary.funded_eur,
        summary.unfunded_eur,
        funding_section(&report),
        facts,
        rows
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(super::esc("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
    }
}
