//! The evidence about one pair of needs and the score it adds up to.
//!
//! Each kind of evidence adds to or takes from the log-odds that the pair
//! is a duplicate; the score is the logistic of the sum, so it reads as a
//! likelihood. The weights were set by reasoning about what each piece of
//! evidence means and checked on the hand-written evaluation set
//! (`testdata/dedup`, see `docs/benchmarks.md`):
//! - shared text, weighted by rarity, is the main evidence; a translation
//!   shares less text than a rewording (only what the glossary and names
//!   carry across), so a pair in two languages needs less of it;
//! - naming different places, or different organisations or systems, caps
//!   the score at 0.25 however similar the rest: the same project for
//!   another city is the commonest near-duplicate that is not one;
//! - titles with numbers and none in common ("substation 4867", "hospital
//!   No. 5") are about another site or asset: evidence against;
//! - the same beneficiary, cost and deadline together are strong evidence
//!   for; a different beneficiary is weaker evidence against (two bodies
//!   do file the same need).

use tallinn_core::money::format_minor;

use super::DedupNeed;
use super::lexicon::LEXICON;

/// How the names two needs mention relate.
#[derive(Debug, Clone, PartialEq)]
pub enum Names {
    /// At least one of the two names none.
    Unknown,
    /// Every name of one is a name of the other.
    Same(Vec<u32>),
    /// Some names agree and others do not.
    Partly { shared: Vec<u32>, only_a: Vec<u32>, only_b: Vec<u32> },
    /// No name of one agrees with any of the other.
    Different(Vec<u32>, Vec<u32>),
}

/// Whether two names are the same place or body. A town and its region's
/// centre are not: "Odesa" in a request is the city far more often than the
/// oblast, and the port of Izmail is not the port of Odesa.
fn agree(x: u32, y: u32) -> bool {
    x == y
}

impl Names {
    pub fn compare(a: &[u32], b: &[u32]) -> Names {
        if a.is_empty() || b.is_empty() {
            return Names::Unknown;
        }
        let only_a: Vec<u32> = a.iter().copied().filter(|&x| !b.iter().any(|&y| agree(x, y))).collect();
        let only_b: Vec<u32> = b.iter().copied().filter(|&y| !a.iter().any(|&x| agree(x, y))).collect();
        let shared: Vec<u32> = a.iter().copied().filter(|x| !only_a.contains(x)).collect();
        match (shared.is_empty(), only_a.is_empty() && only_b.is_empty()) {
            (true, _) => Names::Different(a.to_vec(), b.to_vec()),
            (false, true) => Names::Same(shared),
            (false, false) => Names::Partly { shared, only_a, only_b },
        }
    }
}

/// How the numbers in two titles relate.
#[derive(Debug, Clone, PartialEq)]
pub enum Numbers {
    /// At least one title has none.
    Unknown,
    /// They share one.
    Shared,
    /// Both have numbers, none in common: another site, another asset.
    Different(String, String),
}

impl Numbers {
    pub fn compare(a: &[String], b: &[String]) -> Numbers {
        if a.is_empty() || b.is_empty() {
            Numbers::Unknown
        } else if a.iter().any(|x| b.contains(x)) {
            Numbers::Shared
        } else {
            Numbers::Different(a.join(", "), b.join(", "))
        }
    }
}

/// What is known about a pair of needs of the same capability and sector.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Rarity-weighted cosine of the titles' terms, 0 to 1.
    pub title: f64,
    /// The same over title and description.
    pub all: f64,
    pub same_language: bool,
    pub places: Names,
    pub organisations: Names,
    pub title_numbers: Numbers,
    pub same_beneficiary: bool,
    pub costs: (i64, i64),
    pub deadlines: (Option<jiff::civil::Date>, Option<jiff::civil::Date>),
}

/// Log-odds before any evidence: most pairs of needs are not duplicates.
const PRIOR: f64 = -4.0;
/// Log-odds per unit of shared text.
const TEXT: f64 = 9.0;
/// A translation shares less text than a rewording of the same request.
const OTHER_LANGUAGE: f64 = 1.0;
/// The most a pair whose needs name different places, organisations or
/// systems scores, however similar the rest: probably not a duplicate.
const CONFLICTING_NAMES: f64 = 0.25;

impl Evidence {
    /// The text similarity: the title counts, the description more.
    pub fn text(&self) -> f64 {
        0.4 * self.title + 0.6 * self.all
    }

    fn cost_ratio(&self) -> f64 {
        let (a, b) = (self.costs.0.max(1) as f64, self.costs.1.max(1) as f64);
        a.min(b) / a.max(b)
    }

    fn deadline_days(&self) -> Option<i64> {
        match self.deadlines {
            (Some(a), Some(b)) => Some((a - b).get_days().abs() as i64),
            _ => None,
        }
    }

    /// The log-odds each kind of evidence adds.
    fn parts(&self) -> [f64; 8] {
        let text = TEXT * self.text() + if self.same_language { 0.0 } else { OTHER_LANGUAGE };
        let places = match self.places {
            Names::Unknown => 0.0,
            Names::Same(_) => 1.0,
            Names::Partly { .. } | Names::Different(..) => -0.5,
        };
        let organisations = match self.organisations {
            Names::Unknown => 0.0,
            Names::Same(_) => 1.0,
            Names::Partly { .. } | Names::Different(..) => -0.5,
        };
        let numbers = match self.title_numbers {
            Numbers::Unknown => 0.0,
            Numbers::Shared => 0.5,
            Numbers::Different(..) => -3.0,
        };
        let beneficiary = if self.same_beneficiary { 0.8 } else { -0.5 };
        let ratio = self.cost_ratio();
        let cost = match ratio {
            r if r >= 0.97 => 1.0,
            r if r >= 0.9 => 0.3,
            r if r >= 0.75 => -0.5,
            r if r >= 0.5 => -1.0,
            _ => -2.0,
        };
        let deadline = match self.deadline_days() {
            Some(0) => 0.5,
            Some(d) if d > 60 => -0.5,
            _ => 0.0,
        };
        [PRIOR, text, places, organisations, numbers, beneficiary, cost, deadline]
    }

    /// The likelihood, 0 to 1, that the pair is a duplicate.
    pub fn score(&self) -> f64 {
        let z: f64 = self.parts().iter().sum();
        let likelihood = 1.0 / (1.0 + (-z).exp());
        if self.names_conflict() { likelihood.min(CONFLICTING_NAMES) } else { likelihood }
    }

    /// Whether each need names a place (or an organisation or system) the
    /// other does not: the same project for another city (Kyiv–Zhytomyr
    /// against Kyiv–Chernihiv, Kharkiv's grid against Odesa's).
    pub fn names_conflict(&self) -> bool {
        [&self.places, &self.organisations].into_iter().any(|names| match names {
            Names::Different(..) => true,
            Names::Partly { only_a, only_b, .. } => !only_a.is_empty() && !only_b.is_empty(),
            Names::Unknown | Names::Same(_) => false,
        })
    }

    /// The evidence in words: for, then against.
    pub fn reason(&self, a: &DedupNeed, b: &DedupNeed, shared: &[String]) -> String {
        let labels = |ids: &[u32]| ids.iter().map(|&id| LEXICON.names[id as usize].label.as_str()).collect::<Vec<_>>().join(", ");
        let mut pro = vec![format!("same capability ({}) and sector ({})", a.capability, a.sector)];
        let mut con = Vec::new();
        let text = format!(
            "{} text {:.2}{}",
            if self.same_language { "shared" } else { "shared across languages," },
            self.text(),
            if shared.is_empty() { String::new() } else { format!(" ({})", shared.join(", ")) }
        );
        if self.text() >= 0.3 {
            pro.push(text)
        } else {
            con.push(text)
        }
        for (what, names) in [("place", &self.places), ("organisation", &self.organisations)] {
            match names {
                Names::Unknown => {}
                Names::Same(ids) => pro.push(format!("same {what} ({})", labels(ids))),
                Names::Partly { shared, only_a, only_b } => {
                    pro.push(format!("same {what} ({})", labels(shared)));
                    con.push(format!("also different {what}s ({}; {})", labels(only_a), labels(only_b)));
                }
                Names::Different(x, y) => con.push(format!("different {what}s ({}; {})", labels(x), labels(y))),
            }
        }
        if let Numbers::Different(x, y) = &self.title_numbers {
            con.push(format!("different numbers in the titles ({x}; {y})"));
        }
        if self.same_beneficiary {
            pro.push(format!("same beneficiary ({})", a.beneficiary));
        } else {
            con.push(format!("beneficiaries {} and {}", a.beneficiary, b.beneficiary));
        }
        let costs = format!("costs EUR {} and {}", format_minor(a.cost_eur_minor, 2), format_minor(b.cost_eur_minor, 2));
        if self.cost_ratio() >= 0.9 {
            pro.push(costs)
        } else if self.cost_ratio() < 0.75 {
            con.push(costs)
        }
        match self.deadline_days() {
            Some(0) => pro.push("same deadline".into()),
            Some(d) if d > 60 => con.push(format!("deadlines {d} days apart")),
            _ => {}
        }
        let mut out = format!("for: {}", pro.join("; "));
        if !con.is_empty() {
            out.push_str(&format!(". Against: {}", con.join("; ")));
        }
        out
    }
}
