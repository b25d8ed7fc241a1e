//! docs/product.md: performance targets: duplicate detection over 100,000 needs in <= 10 s, with
//! precision and recall on planted duplicates.
//!
//!     cargo bench -p tallinn-allocate --bench dedup
//!
//! 97,000 distinct synthetic needs ("{object} for {asset} {number} in
//! {city}", every capability and sector, 50 beneficiaries) and 3,000 planted
//! duplicates of random ones, in the same capability and sector: 1,000 exact
//! copies filed by another institution, 1,000 reworded in English, 1,000
//! translated to French or Ukrainian. Precision and recall are printed.
//!
//! A second shape, formulaic multilingual text: 100,000 needs whose titles
//! and descriptions are the hand-written ones of `testdata/dedup` (English,
//! French, Ukrainian, Russian), each title followed by a random town and a
//! site number and each description made of two of them, so that
//! vocabulary is shared widely and descriptions are long. Only the time and
//! the number of pairs are meaningful there.

use std::collections::HashSet;
use std::sync::LazyLock;

use tallinn_allocate::dedup::{DEFAULT_THRESHOLD, DedupNeed, find_duplicates};
use tallinn_core::need::{Capability, Sector};

fn main() {
    divan::main();
    // Precision and recall at several thresholds, from one run at the lowest.
    let data = LazyLock::force(&DATA);
    let pairs = find_duplicates(&data.needs, 0.5);
    eprintln!("threshold | reported | precision | recall | exact | reworded | translated");
    for threshold in [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8] {
        let kept: Vec<_> = pairs.iter().filter(|p| p.score >= threshold).collect();
        let reported: HashSet<(&str, &str)> = kept.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
        let found =
            |kind: Option<Planted>| data.truth.iter().filter(|t| kind.is_none_or(|k| t.2 == k) && reported.contains(&(t.0.as_str(), t.1.as_str()))).count();
        let correct = kept.iter().filter(|p| data.duplicates.contains(&(p.a.clone(), p.b.clone()))).count();
        eprintln!(
            "{threshold:.2} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3}",
            kept.len(),
            correct as f64 / kept.len().max(1) as f64,
            found(None) as f64 / data.truth.len() as f64,
            found(Some(Planted::Exact)) as f64 / 1_000.0,
            found(Some(Planted::Reworded)) as f64 / 1_000.0,
            found(Some(Planted::Translated)) as f64 / 1_000.0
        );
    }
    if std::env::var_os("TALLINN_BENCH_ERRORS").is_some() {
        let title = |id: &str| data.needs.iter().find(|n| n.id == id).map(|n| n.title.clone()).unwrap_or_default();
        for p in pairs.iter().filter(|p| p.score >= DEFAULT_THRESHOLD && !data.duplicates.contains(&(p.a.clone(), p.b.clone()))).take(12) {
            eprintln!("wrong {:.3}: {} | {} | {}", p.score, title(&p.a), title(&p.b), p.reason);
        }
    }
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

/// (English, English reworded, French, Ukrainian)
const OBJECTS: &[(&str, &str, &str, &str)] = &[
    ("Network sensors", "sensors on the network", "Capteurs réseau", "Мережеві сенсори"),
    ("Backup servers", "servers for backups", "Serveurs de sauvegarde", "Сервери резервного копіювання"),
    ("Incident response tools", "tools for incident response", "Outils de réponse aux incidents", "Інструменти реагування на інциденти"),
    ("Forensic laboratory equipment", "equipment for the forensic lab", "Équipement de laboratoire criminalistique", "Обладнання криміналістичної лабораторії"),
    ("Malware analysis sandbox", "sandbox for malware analysis", "Sandbox d'analyse de logiciels malveillants", "Пісочниця для аналізу шкідливого ПЗ"),
    ("Firewall replacement", "replacement of firewalls", "Remplacement des pare-feu", "Заміна брандмауерів"),
    ("Satellite terminals", "terminals with satellite links", "Terminaux satellites", "Супутникові термінали"),
    ("Power generators", "generators for power", "Générateurs d'alimentation", "Генератори живлення"),
    (
        "Staff security awareness training",
        "security awareness training of staff",
        "Formation de sensibilisation du personnel à la sécurité",
        "Навчання персоналу з обізнаності щодо безпеки",
    ),
    ("Log collection upgrade", "upgrade of log collection", "Modernisation de la collecte des journaux", "Модернізація збору журналів"),
    ("Router replacement", "replacement of routers", "Remplacement des routeurs", "Заміна маршрутизаторів"),
    ("Cloud hosting of registries", "registries moved to cloud hosting", "Hébergement cloud des registres", "Хмарний хостинг реєстрів"),
];

/// (English, French, Ukrainian)
const ASSETS: &[(&str, &str, &str)] = &[
    ("grid dispatch centre", "centre de dispatching du réseau électrique", "диспетчерського центру електромережі"),
    ("water utility", "service des eaux", "водоканалу"),
    ("regional hospital", "hôpital régional", "обласної лікарні"),
    ("railway control centre", "centre de contrôle ferroviaire", "центру керування залізниці"),
    ("state bank branch", "agence de la banque d'État", "відділення державного банку"),
    ("mobile operator", "opérateur mobile", "мобільного оператора"),
    ("regional administration", "administration régionale", "обласної адміністрації"),
    ("police cyber unit", "unité cyber de la police", "підрозділу кіберполіції"),
    ("substation", "sous-station", "підстанції"),
    ("data centre", "centre de données", "центру обробки даних"),
];

/// (English, French, Ukrainian genitive)
const CITIES: &[(&str, &str, &str)] = &[
    ("Kharkiv", "Kharkiv", "Харкова"),
    ("Odesa", "Odessa", "Одеси"),
    ("Dnipro", "Dnipro", "Дніпра"),
    ("Zaporizhzhia", "Zaporijia", "Запоріжжя"),
    ("Mykolaiv", "Mykolaïv", "Миколаєва"),
    ("Poltava", "Poltava", "Полтави"),
    ("Chernihiv", "Tchernihiv", "Чернігова"),
    ("Vinnytsia", "Vinnytsia", "Вінниці"),
    ("Kherson", "Kherson", "Херсона"),
    ("Rivne", "Rivne", "Рівного"),
    ("Ternopil", "Ternopil", "Тернополя"),
    ("Lviv", "Lviv", "Львова"),
    ("Sumy", "Soumy", "Сум"),
    ("Zhytomyr", "Jytomyr", "Житомира"),
    ("Kropyvnytskyi", "Kropyvnytskyï", "Кропивницького"),
    ("Cherkasy", "Tcherkassy", "Черкас"),
    ("Uzhhorod", "Oujhorod", "Ужгорода"),
    ("Lutsk", "Loutsk", "Луцька"),
    ("Ivano-Frankivsk", "Ivano-Frankivsk", "Івано-Франківська"),
    ("Kramatorsk", "Kramatorsk", "Краматорська"),
];

const DESCRIPTIONS: &[&str] = &[
    "Urgent request following repeated attacks on the operator.",
    "Replaces equipment lost in recent strikes; delivery within six months.",
    "Part of the national resilience programme; co-funding welcome.",
    "Needed to keep public services running during outages.",
    "Request validated by the national CERT.",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Planted {
    Exact,
    Reworded,
    Translated,
}

struct Dataset {
    needs: Vec<DedupNeed>,
    /// Planted pairs (original, duplicate, kind).
    truth: Vec<(String, String, Planted)>,
    /// Every pair of needs that are copies of one another, including two
    /// duplicates planted from the same original.
    duplicates: HashSet<(String, String)>,
}

static DATA: LazyLock<Dataset> = LazyLock::new(|| {
    let mut rng = Lcg(31);
    let mut needs = Vec::with_capacity(100_000);
    let mut parts = Vec::with_capacity(100_000);
    let mut seen = HashSet::new();
    while needs.len() < 97_000 {
        let (o, a, c, k) = (rng.next(OBJECTS.len()), rng.next(ASSETS.len()), rng.next(CITIES.len()), 1 + rng.next(9_999));
        let (cap, sec) = (Capability::ALL[rng.next(6)], Sector::ALL[rng.next(12)]);
        if !seen.insert((o, a, c, k, cap, sec)) {
            continue;
        }
        let i = needs.len();
        needs.push(DedupNeed {
            id: format!("N-{i}"),
            beneficiary: format!("UA-{:02}", rng.next(50)),
            title: format!("{} for {} {k} in {}", OBJECTS[o].0, ASSETS[a].0, CITIES[c].0),
            description: DESCRIPTIONS[rng.next(DESCRIPTIONS.len())].to_string(),
            capability: cap,
            sector: sec,
            cost_eur_minor: (10_000 + rng.next(2_000_000) as i64) * 100,
            deadline: None,
        });
        parts.push((o, a, c, k));
    }
    let mut truth = Vec::new();
    for d in 0..3_000 {
        let kind = [Planted::Exact, Planted::Reworded, Planted::Translated][d / 1_000];
        let b = rng.next(97_000);
        let (o, a, c, k) = parts[b];
        let base = needs[b].clone();
        let title = match kind {
            Planted::Exact => base.title.clone(),
            Planted::Reworded => format!("{} {} {k}: {}", CITIES[c].0, ASSETS[a].0, OBJECTS[o].1),
            Planted::Translated if d % 2 == 0 => format!("{} pour {} {k} à {}", OBJECTS[o].2, ASSETS[a].1, CITIES[c].1),
            Planted::Translated => format!("{} для {} {k} у {}", OBJECTS[o].3, ASSETS[a].2, CITIES[c].2),
        };
        let id = format!("N-{}", needs.len());
        let cost = base.cost_eur_minor + (base.cost_eur_minor / 100) * (rng.next(7) as i64 - 3);
        truth.push((base.id.clone(), id.clone(), kind));
        needs.push(DedupNeed {
            id,
            beneficiary: format!("UA-{:02}", rng.next(50)),
            title,
            description: String::new(),
            capability: base.capability,
            sector: base.sector,
            cost_eur_minor: cost,
            deadline: None,
        });
    }
    let mut groups: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for (a, b, _) in &truth {
        groups.entry(a.as_str()).or_insert_with(|| vec![a.as_str()]).push(b.as_str());
    }
    let mut duplicates = HashSet::new();
    for members in groups.values() {
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                let (x, y) = if a[2..].parse::<usize>().unwrap_or(0) < b[2..].parse::<usize>().unwrap_or(0) { (a, b) } else { (b, a) };
                duplicates.insert((x.to_string(), y.to_string()));
            }
        }
    }
    Dataset { needs, truth, duplicates }
});

#[divan::bench(sample_count = 3, sample_size = 1)]
fn dedup_100k_needs(bencher: divan::Bencher) {
    let data = LazyLock::force(&DATA);
    bencher.bench(|| {
        let pairs = find_duplicates(&data.needs, DEFAULT_THRESHOLD);
        let reported: HashSet<(&str, &str)> = pairs.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
        let found = |kind: Planted| data.truth.iter().filter(|t| t.2 == kind && reported.contains(&(t.0.as_str(), t.1.as_str()))).count();
        let hits: usize = [Planted::Exact, Planted::Reworded, Planted::Translated].into_iter().map(found).sum();
        let correct = pairs.iter().filter(|p| data.duplicates.contains(&(p.a.clone(), p.b.clone()))).count();
        eprintln!(
            "pairs reported {} | precision {:.3} | recall {:.3} (exact {:.3}, reworded {:.3}, translated {:.3})",
            pairs.len(),
            correct as f64 / pairs.len().max(1) as f64,
            hits as f64 / data.truth.len() as f64,
            found(Planted::Exact) as f64 / 1_000.0,
            found(Planted::Reworded) as f64 / 1_000.0,
            found(Planted::Translated) as f64 / 1_000.0
        );
        pairs
    });
}

/// The formulaic multilingual shape (see the top of the file).
static FORMULAIC: LazyLock<Vec<DedupNeed>> = LazyLock::new(|| {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/dedup/needs.json");
    let text = std::fs::read_to_string(path).expect("testdata/dedup/needs.json");
    let source = tallinn_allocate::dedup::parse_dedup_input(&text).expect("valid");
    let mut rng = Lcg(47);
    (0..100_000)
        .map(|i| {
            let (t, d1, d2) = (&source[rng.next(source.len())], &source[rng.next(source.len())], &source[rng.next(source.len())]);
            DedupNeed {
                id: format!("F-{i}"),
                beneficiary: format!("UA-{:02}", rng.next(50)),
                title: format!("{} — {} {}", t.title, CITIES[rng.next(CITIES.len())].0, rng.next(10_000)),
                description: format!("{} {}", d1.description, d2.description),
                capability: Capability::ALL[rng.next(6)],
                sector: Sector::ALL[rng.next(12)],
                cost_eur_minor: (10_000 + rng.next(2_000_000) as i64) * 100,
                deadline: None,
            }
        })
        .collect()
});

#[divan::bench(sample_count = 3, sample_size = 1)]
fn dedup_100k_needs_formulaic_multilingual_text(bencher: divan::Bencher) {
    let needs = LazyLock::force(&FORMULAIC);
    bencher.bench(|| {
        let pairs = find_duplicates(needs, DEFAULT_THRESHOLD);
        eprintln!("pairs reported {}", pairs.len());
        pairs
    });
}
