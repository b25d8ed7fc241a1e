//! Deconfliction: likely duplicate needs, in any of the mechanism's
//! languages, and pledges one donor may have recorded twice.
//!
//! A need's text is reduced to terms that mean the same in English,
//! French, Ukrainian and Russian (`analyze`): each word is stemmed in its
//! language (`text`; Snowball, and this crate's stemmer for Ukrainian in
//! `ukrainian`) and looked up in the domain glossary and the gazetteer of
//! places, organisations and systems (`lexicon`). Needs are compared within the same capability and sector;
//! candidate pairs share an uncommon term. Each pair's evidence — how much
//! of the text they share, weighted by rarity; whether they name the same
//! or different places and organisations; beneficiary, cost and deadline —
//! is combined into a score that reads as the likelihood that the pair is
//! a duplicate (`evidence`), and its reason names the evidence for and
//! against. ADR 0019 records the choices.

mod analyze;
mod evidence;
mod lexicon;
mod pledges;
mod text;
mod ukrainian;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use tallinn_core::money::parse_minor;
use tallinn_core::need::{Capability, Sector};

pub use self::analyze::Term;
pub use self::pledges::{OVERLAP_DAYS, OverlapPledge, overlapping_pledges};
pub use self::text::Language;
use crate::model::InputError;

/// The default score above which a pair is reported. Scores are calibrated
/// on the hand-written evaluation set (`testdata/dedup`): a pair scoring
/// 0.65 or more is more likely a duplicate than not, by a clear margin.
pub const DEFAULT_THRESHOLD: f64 = 0.65;

/// A need as the deduplicator sees it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DedupNeedInput {
    pub id: String,
    pub beneficiary: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub capability: Capability,
    pub sector: Sector,
    pub cost_eur: String,
    #[serde(default)]
    pub deadline: Option<jiff::civil::Date>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DedupInput {
    pub needs: Vec<DedupNeedInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DedupNeed {
    pub id: String,
    pub beneficiary: String,
    pub title: String,
    pub description: String,
    pub capability: Capability,
    pub sector: Sector,
    pub cost_eur_minor: i64,
    pub deadline: Option<jiff::civil::Date>,
}

/// Parses and validates `{"needs": [...]}`.
pub fn parse_dedup_input(json: &str) -> Result<Vec<DedupNeed>, InputError> {
    let input: DedupInput =
        serde_json::from_str(json).map_err(|e| InputError { path: format!("line {} column {}", e.line(), e.column()), message: e.to_string() })?;
    let mut ids = HashSet::new();
    input
        .needs
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            if !ids.insert(n.id.clone()) {
                return Err(InputError { path: format!("needs[{i}].id"), message: format!("duplicate need id '{}'", n.id) });
            }
            let cost = parse_minor("cost_eur", &n.cost_eur, 2).map_err(|e| InputError { path: format!("needs[{i}].cost_eur"), message: e.message })?;
            Ok(DedupNeed {
                id: n.id,
                beneficiary: n.beneficiary,
                title: n.title,
                description: n.description,
                capability: n.capability,
                sector: n.sector,
                cost_eur_minor: cost,
                deadline: n.deadline,
            })
        })
        .collect()
}

/// A likely duplicate pair, `a` before `b` in input order.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicatePair {
    pub a: String,
    pub b: String,
    /// How likely the pair is a duplicate, 0 to 1.
    pub score: f64,
    /// The evidence for and against, in words.
    pub reason: String,
}

/// Terms rarer than one need in this many weigh no more.
const RAREST: f64 = 50.0;

/// A need's text as terms, interned.
struct Analysed {
    language: Language,
    /// Sorted, without repeats.
    title: Vec<u32>,
    all: Vec<u32>,
    places: Vec<u32>,
    organisations: Vec<u32>,
    /// Numbers in the title: a site's or an asset's number ("substation
    /// 4867", "hospital No. 5") or a quantity.
    title_numbers: Vec<String>,
}

/// Likely duplicates among `needs` scoring at least `threshold`, best first.
pub fn find_duplicates(needs: &[DedupNeed], threshold: f64) -> Vec<DuplicatePair> {
    let mut vocabulary: HashMap<Term, u32> = HashMap::new();
    let mut terms: Vec<Term> = Vec::new();
    let mut intern = |t: Term| {
        let next = terms.len() as u32;
        *vocabulary.entry(t.clone()).or_insert_with(|| {
            terms.push(t);
            next
        })
    };
    let analysed: Vec<Analysed> = analyse_in_parallel(needs)
        .into_iter()
        .map(|(language, title, description)| {
            let mut title_numbers: Vec<String> = title.iter().filter_map(|t| if let Term::Number(n) = t { Some(n.clone()) } else { None }).collect();
            title_numbers.sort();
            title_numbers.dedup();
            let places = analyze::names(&[&title[..], &description[..]].concat(), lexicon::NameKind::Place);
            let organisations = analyze::names(&[&title[..], &description[..]].concat(), lexicon::NameKind::Organisation);
            // Names are evidence of their own, not text.
            let text = |t: &Term| !matches!(t, Term::Name(_));
            let mut t: Vec<u32> = title.into_iter().filter(text).map(&mut intern).collect();
            t.sort_unstable();
            t.dedup();
            let mut all: Vec<u32> = description.into_iter().filter(text).map(&mut intern).chain(t.iter().copied()).collect();
            all.sort_unstable();
            all.dedup();
            Analysed { language, title: t, all, places, organisations, title_numbers }
        })
        .collect();
    // Rarity over the whole input: a site's name or a number says more than
    // the vocabulary every request shares. Beyond one need in fifty, rarer
    // says no more: otherwise one number shared by chance outweighs all the
    // rest in a large input, and a score would mean less the more needs
    // there are.
    let mut df = vec![0u32; terms.len()];
    for a in &analysed {
        for &t in &a.all {
            df[t as usize] += 1;
        }
    }
    let n = needs.len().max(1) as f64;
    let weight: Vec<f64> = df.iter().map(|&d| (1.0 + (n / f64::from(d.max(1))).min(RAREST)).ln()).collect();
    let norm = |set: &[u32]| set.iter().map(|&t| weight[t as usize] * weight[t as usize]).sum::<f64>().sqrt();
    let norms: Vec<(f64, f64)> = analysed.iter().map(|a| (norm(&a.title), norm(&a.all))).collect();

    let mut blocks: HashMap<(Capability, Sector), Vec<usize>> = HashMap::new();
    for (i, need) in needs.iter().enumerate() {
        blocks.entry((need.capability, need.sector)).or_default().push(i);
    }
    // Blocks are independent: the largest first, dealt out to every core.
    let mut members: Vec<&Vec<usize>> = blocks.values().collect();
    members.sort_by_key(|m| std::cmp::Reverse(m.len()));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(members.len()).max(1);
    let corpus = Corpus { needs, analysed: &analysed, weight: &weight, norms: &norms, terms: &terms };
    let mut pairs: Vec<(f64, usize, usize, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (corpus, members) = (&corpus, &members);
                scope.spawn(move || members.iter().skip(t).step_by(threads).flat_map(|block| corpus.pairs_in(block, threshold)).collect::<Vec<_>>())
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    pairs
        .into_iter()
        .map(|(score, i, j, reason)| DuplicatePair { a: needs[i].id.clone(), b: needs[j].id.clone(), score: (score * 1000.0).round() / 1000.0, reason })
        .collect()
}

/// What pairs are scored against.
struct Corpus<'a> {
    needs: &'a [DedupNeed],
    analysed: &'a [Analysed],
    weight: &'a [f64],
    /// Each need's title and whole-text norms.
    norms: &'a [(f64, f64)],
    terms: &'a [Term],
}

impl Corpus<'_> {
    /// The pairs of one block (same capability and sector) scoring at least
    /// `threshold`: (score, i, j, reason), i < j.
    fn pairs_in(&self, members: &[usize], threshold: f64) -> Vec<(f64, usize, usize, String)> {
        let (needs, analysed, weight, norms) = (self.needs, self.analysed, self.weight, self.norms);
        // Terms shared by many needs of the block do not make candidates.
        let common = (members.len() / 20).max(40);
        let mut postings: HashMap<u32, Vec<usize>> = HashMap::new();
        for &i in members {
            for &t in &analysed[i].all {
                postings.entry(t).or_default().push(i);
            }
        }
        let mut pairs = Vec::new();
        let mut seen = HashSet::new();
        for &i in members {
            seen.clear();
            for &t in &analysed[i].all {
                let list = &postings[&t];
                if list.len() > common {
                    continue;
                }
                for &j in list {
                    if j <= i || !seen.insert(j) {
                        continue;
                    }
                    let (a, b) = (&analysed[i], &analysed[j]);
                    let found = evidence::Evidence {
                        title: cosine(&a.title, &b.title, weight, norms[i].0, norms[j].0),
                        all: cosine(&a.all, &b.all, weight, norms[i].1, norms[j].1),
                        same_language: a.language == b.language,
                        places: evidence::Names::compare(&a.places, &b.places),
                        organisations: evidence::Names::compare(&a.organisations, &b.organisations),
                        title_numbers: evidence::Numbers::compare(&a.title_numbers, &b.title_numbers),
                        same_beneficiary: needs[i].beneficiary == needs[j].beneficiary,
                        costs: (needs[i].cost_eur_minor, needs[j].cost_eur_minor),
                        deadlines: (needs[i].deadline, needs[j].deadline),
                    };
                    let score = found.score();
                    if score >= threshold {
                        let shared = shared_labels(&a.all, &b.all, weight, self.terms);
                        pairs.push((score, i, j, found.reason(&needs[i], &needs[j], &shared)));
                    }
                }
            }
        }
        pairs
    }
}

/// Each need's language, title terms and description terms, analysed on
/// every core (stemming and transliteration are most of the work).
fn analyse_in_parallel(needs: &[DedupNeed]) -> Vec<(Language, Vec<Term>, Vec<Term>)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(needs.len().div_ceil(1_000)).max(1);
    let chunk = needs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = needs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut analyzer = analyze::Analyzer::default();
                    part.iter()
                        .map(|n| {
                            let (language, title) = analyzer.terms(&n.title);
                            let (_, description) = analyzer.terms(&n.description);
                            (language, title, description)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // A panic in a worker is a bug in analysis; surface it as one.
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// Cosine of two sorted term sets, each term weighted by its rarity.
fn cosine(a: &[u32], b: &[u32], weight: &[f64], norm_a: f64, norm_b: f64) -> f64 {
    if norm_a == 0.0 || norm_b == 0.0 {
        return 0.0;
    }
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Equal => {
                dot += weight[a[i] as usize] * weight[a[i] as usize];
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    dot / (norm_a * norm_b)
}

/// The shared terms, rarest first, at most eight.
fn shared_labels(a: &[u32], b: &[u32], weight: &[f64], terms: &[Term]) -> Vec<String> {
    let mut shared: Vec<u32> = a.iter().copied().filter(|t| b.binary_search(t).is_ok()).collect();
    shared.sort_by(|x, y| weight[*y as usize].total_cmp(&weight[*x as usize]).then(x.cmp(y)));
    shared.into_iter().take(8).map(|t| terms[t as usize].label()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(id: &str, title: &str, cost: i64) -> DedupNeed {
        DedupNeed {
            id: id.into(),
            beneficiary: "UA-A".into(),
            title: title.into(),
            description: String::new(),
            capability: Capability::Detect,
            sector: Sector::Energy,
            cost_eur_minor: cost,
            deadline: None,
        }
    }

    #[test]
    fn finds_translations_and_rewordings_not_neighbours() {
        let needs = vec![
            need("N-1", "Network sensors for Kharkiv grid dispatch centre", 10_000_000),
            need("N-2", "Мережеві сенсори для диспетчерського центру електромережі Харкова", 9_800_000),
            need("N-3", "Kharkiv grid dispatch centre: network sensors", 10_000_000),
            need("N-4", "Network sensors for the Odesa grid dispatch centre", 10_000_000),
            need("N-5", "Capteurs réseau pour le centre de dispatching du réseau électrique de Kharkiv", 10_100_000),
        ];
        let pairs = find_duplicates(&needs, DEFAULT_THRESHOLD);
        let got: HashSet<(&str, &str)> = pairs.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
        for expected in [("N-1", "N-2"), ("N-1", "N-3"), ("N-1", "N-5"), ("N-2", "N-5")] {
            assert!(got.contains(&expected), "{expected:?} not found in {pairs:#?}");
        }
        assert!(!got.iter().any(|(a, b)| *a == "N-4" || *b == "N-4"), "another city is not a duplicate: {pairs:#?}");
        assert!(pairs[0].reason.contains("same capability (detect) and sector (energy)"), "{}", pairs[0].reason);
        let all = find_duplicates(&needs, 0.0);
        let other_city = all.iter().find(|p| p.b == "N-4").expect("scored");
        assert!(other_city.reason.contains("different places (Kharkiv; Odesa)"), "{}", other_city.reason);
    }

    #[test]
    fn different_capability_or_sector_is_never_a_duplicate() {
        let mut b = need("N-2", "Network sensors for Kharkiv grid", 1);
        b.sector = Sector::Health;
        assert!(find_duplicates(&[need("N-1", "Network sensors for Kharkiv grid", 1), b], 0.0).is_empty());
    }
}
