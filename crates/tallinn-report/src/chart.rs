//! SVG charts drawn by us: plain SVG 1.1 with no script, no external font or
//! stylesheet, a `<title>` and `<desc>` for screen readers, and the figures
//! written on the bars so that nothing depends on reading a scale.
//!
//! Geometry is computed in floating point (pixels are not money); every
//! figure written on a chart comes from the exact report.

use std::fmt::Write;
use std::str::FromStr;

use quick_xml::escape::escape;
use tallinn_core::money::format_minor;
use tallinn_core::need::Capability;

use crate::facts::Facts;
use crate::funding::{By, UNSPECIFIED, funding};

/// The charts we draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    FundingByYear,
    CoverageBySector,
    TopGaps,
    TimeToFund,
}

impl ChartKind {
    pub const ALL: &[ChartKind] = &[ChartKind::FundingByYear, ChartKind::CoverageBySector, ChartKind::TopGaps, ChartKind::TimeToFund];

    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::FundingByYear => "funding-by-year",
            ChartKind::CoverageBySector => "coverage-by-sector",
            ChartKind::TopGaps => "top-gaps",
            ChartKind::TimeToFund => "time-to-fund",
        }
    }
}

impl FromStr for ChartKind {
    type Err = String;
    fn from_str(s: &str) -> Result<ChartKind, String> {
        ChartKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown chart '{s}' (expected one of: {})", ChartKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")))
    }
}

/// Colour-blind-safe palette (Okabe–Ito), one colour per capability, grey for
/// money no need explains.
const PALETTE: &[&str] = &["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"];
const GREY: &str = "#999999";
const INK: &str = "#1b1f24";
const FAINT: &str = "#d0d7de";

const WIDTH: f64 = 760.0;
const FONT: &str = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\"";

pub fn render(kind: ChartKind, facts: &Facts) -> String {
    match kind {
        ChartKind::FundingByYear => funding_by_year(facts),
        ChartKind::CoverageBySector => coverage_by_sector(facts),
        ChartKind::TopGaps => top_gaps(facts),
        ChartKind::TimeToFund => time_to_fund(facts),
    }
}

/// EUR in a short form for labels: "EUR 1.25 M", "EUR 830 k", "EUR 12".
pub fn short_eur(minor: i64) -> String {
    let euros = minor / 100;
    if euros.abs() >= 1_000_000 {
        format!("EUR {} M", format_minor(euros / 10_000, 2))
    } else if euros.abs() >= 1_000 {
        format!("EUR {} k", euros / 1_000)
    } else {
        format!("EUR {euros}")
    }
}

/// A step of 1, 2 or 5 × 10ⁿ giving at most about five grid lines up to `max`.
fn nice_step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= rough).unwrap_or(10.0 * magnitude)
}

struct Svg {
    out: String,
}

impl Svg {
    fn new(height: f64, title: &str, desc: &str) -> Svg {
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" {FONT} font-size=\"12\">\n<title id=\"chart-title\">{}</title>\n<desc id=\"chart-desc\">{}</desc>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n<text x=\"16\" y=\"26\" font-size=\"16\" font-weight=\"600\" fill=\"{INK}\">{}</text>\n",
            escape(title),
            escape(desc),
            escape(title)
        );
        Svg { out }
    }

    fn text(&mut self, x: f64, y: f64, anchor: &str, text: &str) {
        let _ = writeln!(self.out, "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" fill=\"{INK}\">{}</text>", escape(text));
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, label: &str) {
        let _ = writeln!(
            self.out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"><title>{}</title></rect>",
            w.max(0.0),
            h.max(0.0),
            escape(label)
        );
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64) {
        let _ = writeln!(self.out, "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{FAINT}\"/>");
    }

    fn empty(mut self, message: &str) -> String {
        self.text(WIDTH / 2.0, 90.0, "middle", message);
        self.finish()
    }

    fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max - 1).collect::<String>()) }
}

const NOTHING: &str = "Nothing to show in the records you may see.";

/// Committed EUR per year, stacked by capability.
fn funding_by_year(facts: &Facts) -> String {
    let mut years: Vec<i16> = facts.flows.iter().map(|f| f.value_date.year()).collect();
    years.sort_unstable();
    years.dedup();
    let keys: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).chain([UNSPECIFIED]).collect();
    let stacks: Vec<(i16, Vec<i64>)> = years
        .iter()
        .map(|&y| {
            let table = funding(facts, By::Capability, Some(y));
            let values = keys.iter().map(|k| table.rows.iter().find(|r| r.key == *k).map_or(0, |r| r.amounts.committed)).collect();
            (y, values)
        })
        .filter(|(_, v): &(i16, Vec<i64>)| v.iter().any(|&x| x > 0))
        .collect();
    let height = 420.0;
    let desc = stacks.iter().map(|(y, v)| format!("{y}: EUR {} committed", format_minor(v.iter().sum(), 2))).collect::<Vec<_>>().join("; ");
    let mut svg = Svg::new(height, "Committed funding by year and capability", if desc.is_empty() { NOTHING } else { &desc });
    if stacks.is_empty() {
        return svg.empty(NOTHING);
    }
    let (left, right, top, bottom) = (90.0, WIDTH - 170.0, 50.0, height - 50.0);
    let max = stacks.iter().map(|(_, v)| v.iter().sum::<i64>()).max().unwrap_or(0) as f64;
    let step = nice_step(max);
    let scale_max = (max / step).ceil().max(1.0) * step;
    let y_of = |v: f64| bottom - (bottom - top) * v / scale_max;
    let mut tick = 0.0;
    while tick <= scale_max + 0.5 {
        svg.line(left, y_of(tick), right, y_of(tick));
        svg.text(left - 8.0, y_of(tick) + 4.0, "end", &short_eur(tick as i64));
        tick += step;
    }
    let slot = (right - left) / stacks.len() as f64;
    let bar = (slot * 0.6).min(80.0);
    for (i, (year, values)) in stacks.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut base = 0i64;
        for (k, &v) in values.iter().enumerate() {
            if v == 0 {
                continue;
            }
            let colour = if keys[k] == UNSPECIFIED { GREY } else { PALETTE[k % PALETTE.len()] };
            let (y0, y1) = (y_of((base + v) as f64), y_of(base as f64));
            svg.rect(x, y0, bar, y1 - y0, colour, &format!("{year}, {}: EUR {}", keys[k], format_minor(v, 2)));
            base += v;
        }
        svg.text(x + bar / 2.0, y_of(base as f64) - 6.0, "middle", &short_eur(base));
        svg.text(x + bar / 2.0, bottom + 18.0, "middle", &year.to_string());
    }
    for (k, key) in keys.iter().enumerate() {
        let y = top + 20.0 * k as f64;
        let colour = if *key == UNSPECIFIED { GREY } else { PALETTE[k % PALETTE.len()] };
        svg.rect(right + 20.0, y, 12.0, 12.0, colour, key);
        svg.text(right + 38.0, y + 10.0, "start", key);
    }
    svg.finish()
}

/// One labelled horizontal bar per row: `(label, value, bar length 0..=1, caption)`.
fn horizontal_bars(title: &str, rows: &[(String, f64, String)], max: f64, background: bool) -> String {
    let row_height = 28.0;
    let height = 60.0 + row_height * rows.len().max(1) as f64 + 10.0;
    let desc = rows.iter().map(|(label, _, caption)| format!("{label}: {caption}")).collect::<Vec<_>>().join("; ");
    let mut svg = Svg::new(height, title, if desc.is_empty() { NOTHING } else { &desc });
    if rows.is_empty() {
        return svg.empty(NOTHING);
    }
    let (left, right) = (260.0, WIDTH - 150.0);
    for (i, (label, value, caption)) in rows.iter().enumerate() {
        let y = 50.0 + row_height * i as f64;
        svg.text(left - 8.0, y + 15.0, "end", &truncate(label, 38));
        if background {
            svg.rect(left, y + 3.0, right - left, row_height - 8.0, "#eef1f4", "");
        }
        let length = if max > 0.0 { (right - left) * value / max } else { 0.0 };
        svg.rect(left, y + 3.0, length, row_height - 8.0, PALETTE[0], &format!("{label}: {caption}"));
        svg.text(right + 8.0, y + 15.0, "start", caption);
    }
    svg.finish()
}

/// Coverage of approved need cost per sector, on a 0–100 % scale.
fn coverage_by_sector(facts: &Facts) -> String {
    let coverage = crate::coverage::coverage(facts);
    let rows: Vec<(String, f64, String)> = coverage
        .by_sector
        .iter()
        .map(|r| {
            let share = if r.approved_cost > 0 { r.funded as f64 / r.approved_cost as f64 * 100.0 } else { 0.0 };
            (r.key.clone(), share, format!("{} % of {}", r.coverage_percent, short_eur(r.approved_cost)))
        })
        .collect();
    horizontal_bars("Coverage of approved needs by sector", &rows, 100.0, true)
}

/// The ten approved needs that lack the most.
fn top_gaps(facts: &Facts) -> String {
    let gaps = crate::coverage::gaps(facts, 10);
    let max = gaps.top.first().map_or(0.0, |g| g.unfunded as f64);
    let rows: Vec<(String, f64, String)> = gaps.top.iter().map(|g| (format!("{} {}", g.id, g.title), g.unfunded as f64, short_eur(g.unfunded))).collect();
    horizontal_bars("Largest unfunded needs", &rows, max, false)
}

/// Median days from approval to full funding, per capability.
fn time_to_fund(facts: &Facts) -> String {
    let timing = crate::timing::timing(facts);
    let rows: Vec<(String, f64, String)> = timing
        .by_capability
        .iter()
        .filter_map(|r| {
            let days = r.median_days_to_fund.as_ref()?;
            Some((r.key.clone(), days.parse::<f64>().unwrap_or(0.0), format!("{days} days (n = {})", r.funded_needs)))
        })
        .collect();
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    horizontal_bars("Median days from approval to full funding", &rows, max, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_short_amounts() {
        assert_eq!(nice_step(1000.0), 200.0);
        assert_eq!(nice_step(7.0), 2.0);
        assert_eq!(short_eur(125_000_000), "EUR 1.25 M");
        assert_eq!(short_eur(83_000_000), "EUR 830 k");
        assert_eq!(short_eur(1_200), "EUR 12");
        assert_eq!("top-gaps".parse::<ChartKind>(), Ok(ChartKind::TopGaps));
        assert!("pie".parse::<ChartKind>().unwrap_err().contains("funding-by-year"));
    }

    #[test]
    fn empty_charts_say_so() {
        for kind in ChartKind::ALL {
            let svg = render(*kind, &Facts::default());
            assert!(svg.contains(NOTHING), "{}", kind.as_str());
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        }
    }
}
