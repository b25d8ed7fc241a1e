//! The deconfliction lexicon: the domain glossary (`glossary.tsv`: one
//! concept a line, its words in English, French, Ukrainian and Russian) and
//! the gazetteer of named places, organisations and systems (`names.tsv`).
//!
//! Glossary words are lemmas; they are stemmed with the stemmer of their
//! language when the lexicon is built, so every inflected form a request
//! uses meets them. Entries of several words ("pare-feu", "bac à sable")
//! match a run of words. The concept `-` lists function words, which say
//! nothing about what is asked for.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::text::{Language, fold, stem};

const GLOSSARY: &str = include_str!("glossary.tsv");
const NAMES: &str = include_str!("names.tsv");

/// What a glossary lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    Concept(u32),
    FunctionWord,
}

/// The kinds of names: a different place or a different organisation or
/// system is evidence against a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    Place,
    Organisation,
}

#[derive(Debug, Clone)]
pub struct Name {
    pub kind: NameKind,
    /// How reasons print it ("Kharkiv").
    pub label: String,
}

/// A glossary entry of several words: their keys, and its meaning.
type Phrase = (Vec<String>, Meaning);
/// A name of several words: each word's folded spelling and whether it is a
/// prefix, and the name.
type NamePhrase = (Vec<(String, bool)>, u32);

pub struct Lexicon {
    /// Concept labels (English), by id.
    pub concepts: Vec<String>,
    /// Words by key, for each language (indexed by `Language as usize`).
    words: [HashMap<String, Meaning>; 4],
    /// Entries of several words, by their first word's key.
    phrases: [HashMap<String, Vec<Phrase>>; 4],
    pub names: Vec<Name>,
    /// Spellings by folded form: the name and whether only a capitalised
    /// word spells it.
    exact_names: HashMap<String, (u32, bool)>,
    name_prefixes: HashMap<String, (u32, bool)>,
    /// Lengths of the prefixes, longest first.
    prefix_lengths: Vec<usize>,
    /// Names of several words ("National Bank of Ukraine"): each word's
    /// folded spelling and whether it is a prefix; by the first four
    /// letters of the first word.
    name_phrases: HashMap<String, Vec<NamePhrase>>,
}

/// Letters of a phrase's first word that index it.
const PHRASE_INDEX: usize = 4;

/// The key of a word in a language: its stem, folded to ASCII.
pub fn key(word: &str, language: Language) -> String {
    fold(&stem(word, language))
}

impl Lexicon {
    fn build() -> Result<Lexicon, String> {
        let mut lexicon = Lexicon {
            concepts: Vec::new(),
            words: Default::default(),
            phrases: Default::default(),
            names: Vec::new(),
            exact_names: HashMap::new(),
            name_prefixes: HashMap::new(),
            prefix_lengths: Vec::new(),
            name_phrases: HashMap::new(),
        };
        let mut concept_ids: HashMap<String, u32> = HashMap::new();
        for (n, line) in GLOSSARY.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#')) {
            let columns: Vec<&str> = line.split('\t').collect();
            if columns.len() != 5 {
                return Err(format!("glossary.tsv line {}: {} columns, expected 5", n + 1, columns.len()));
            }
            let meaning = if columns[0] == "-" {
                Meaning::FunctionWord
            } else {
                let next = concept_ids.len() as u32;
                let id = *concept_ids.entry(columns[0].to_string()).or_insert(next);
                if id == next {
                    lexicon.concepts.push(columns[0].to_string());
                }
                Meaning::Concept(id)
            };
            for (language, column) in Language::ALL.into_iter().zip(&columns[1..]) {
                for entry in column.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                    let keys: Vec<String> = super::text::words(entry).iter().map(|w| key(&w.text, language)).filter(|k| !k.is_empty()).collect();
                    match keys.len() {
                        0 => return Err(format!("glossary.tsv line {}: '{entry}' has no word", n + 1)),
                        1 => {
                            lexicon.words[language as usize].entry(keys[0].clone()).or_insert(meaning);
                        }
                        _ => lexicon.phrases[language as usize].entry(keys[0].clone()).or_default().push((keys, meaning)),
                    }
                }
            }
        }
        for list in lexicon.phrases.iter_mut().flat_map(HashMap::values_mut) {
            list.sort_by_key(|(keys, _)| std::cmp::Reverse(keys.len()));
        }
        let mut regions: Vec<(u32, String)> = Vec::new();
        let mut ids: HashMap<String, u32> = HashMap::new();
        for (n, line) in NAMES.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#')) {
            let columns: Vec<&str> = line.split('\t').collect();
            if columns.len() != 4 {
                return Err(format!("names.tsv line {}: {} columns, expected 4", n + 1, columns.len()));
            }
            let kind = match columns[0] {
                "place" => NameKind::Place,
                "organisation" => NameKind::Organisation,
                other => return Err(format!("names.tsv line {}: unknown kind '{other}'", n + 1)),
            };
            let id = lexicon.names.len() as u32;
            if ids.insert(columns[1].to_string(), id).is_some() {
                return Err(format!("names.tsv line {}: '{}' twice", n + 1, columns[1]));
            }
            lexicon.names.push(Name { kind, label: columns[1].to_string() });
            if !columns[2].is_empty() {
                regions.push((id, columns[2].to_string()));
            }
            for pattern in columns[3].split(',').map(str::trim).filter(|p| !p.is_empty()) {
                if pattern.contains(' ') {
                    let parts: Vec<(String, bool)> = pattern
                        .split(' ')
                        .map(|part| match part.strip_suffix('*') {
                            Some(p) => (fold(p), true),
                            None => (fold(part), false),
                        })
                        .collect();
                    if parts[0].0.len() < PHRASE_INDEX || parts.iter().any(|(p, _)| p.is_empty()) {
                        return Err(format!("names.tsv line {}: '{pattern}' must begin with a word of {PHRASE_INDEX} letters or more", n + 1));
                    }
                    lexicon.name_phrases.entry(parts[0].0[..PHRASE_INDEX].to_string()).or_default().push((parts, id));
                    continue;
                }
                let (spelling, prefix) = match pattern.strip_suffix('*') {
                    Some(p) => (p, true),
                    None => (pattern, false),
                };
                let (spelling, capitalised) = match spelling.strip_prefix('^') {
                    Some(s) => (s, true),
                    None => (spelling, false),
                };
                let folded = fold(spelling);
                if prefix && folded.len() < 4 {
                    return Err(format!("names.tsv line {}: prefix '{pattern}' is shorter than 4 letters", n + 1));
                }
                let map = if prefix { &mut lexicon.name_prefixes } else { &mut lexicon.exact_names };
                if let Some((other, _)) = map.insert(folded.clone(), (id, capitalised))
                    && other != id
                {
                    return Err(format!("names.tsv line {}: '{pattern}' ({folded}) also names '{}'", n + 1, lexicon.names[other as usize].label));
                }
            }
        }
        // The region column documents a town; it must name a region listed.
        for (id, region) in regions {
            if !ids.contains_key(&region) {
                return Err(format!("names.tsv: '{}' lies in unknown region '{region}'", lexicon.names[id as usize].label));
            }
        }
        let mut lengths: Vec<usize> = lexicon.name_prefixes.keys().map(String::len).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        lengths.dedup();
        lexicon.prefix_lengths = lengths;
        Ok(lexicon)
    }

    /// The meaning of a single word's key, if the glossary knows it.
    pub fn word(&self, language: Language, key: &str) -> Option<Meaning> {
        self.words[language as usize].get(key).copied()
    }

    /// The longest glossary phrase starting at `keys[0]`: its meaning and
    /// how many words it covers.
    pub fn phrase(&self, language: Language, keys: &[&str]) -> Option<(Meaning, usize)> {
        let candidates = self.phrases[language as usize].get(*keys.first()?)?;
        candidates.iter().find(|(phrase, _)| keys.len() >= phrase.len() && phrase.iter().zip(keys).all(|(p, k)| p == k)).map(|(phrase, m)| (*m, phrase.len()))
    }

    /// The name of several words that `folded` begins with, and how many
    /// words it covers.
    pub fn name_phrase(&self, folded: &[&str]) -> Option<(u32, usize)> {
        let candidates = self.name_phrases.get(folded.first()?.get(..PHRASE_INDEX)?)?;
        candidates
            .iter()
            .filter(|(parts, _)| {
                parts.len() <= folded.len()
                    && parts.iter().zip(folded).all(|((part, prefix), word)| if *prefix { word.starts_with(part.as_str()) } else { *word == part })
            })
            .max_by_key(|(parts, _)| parts.len())
            .map(|(parts, id)| (*id, parts.len()))
    }

    /// The name a word spells, by its folded form: an exact spelling, or the
    /// longest prefix ("Харківської", "Kharkivoblenergo" → Kharkiv).
    pub fn name(&self, folded: &str, capitalised: bool) -> Option<u32> {
        let usable = |&(id, only_capitalised): &(u32, bool)| (capitalised || !only_capitalised).then_some(id);
        if let Some(found) = self.exact_names.get(folded) {
            return usable(found);
        }
        self.prefix_lengths
            .iter()
            .filter(|&&len| len <= folded.len())
            .find_map(|&len| folded.get(..len).and_then(|p| self.name_prefixes.get(p)))
            .and_then(usable)
    }
}

/// The lexicon, built on first use from the files compiled in.
pub static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| match Lexicon::build() {
    Ok(lexicon) => lexicon,
    // The files are part of the source; a test builds them.
    Err(e) => panic!("the deconfliction lexicon is malformed: {e}"),
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_builds() {
        let lexicon = Lexicon::build().unwrap();
        assert!(lexicon.concepts.len() >= 300, "{} concepts", lexicon.concepts.len());
        assert!(lexicon.names.len() >= 80, "{} names", lexicon.names.len());
    }

    fn place(word: &str) -> Option<String> {
        LEXICON.name(&fold(word), word.starts_with(char::is_uppercase)).map(|id| LEXICON.names[id as usize].label.clone())
    }

    #[test]
    fn places_are_found_in_every_case_and_spelling() {
        for (city, forms) in [
            ("Kyiv", &["Київ", "Києва", "Києві", "Київської", "Kyiv", "Kiev", "Kyivska", "Киев", "Киевской", "Kyjiv"][..]),
            (
                "Kharkiv",
                &["Харків", "Харкова", "Харківської", "Харьков", "Харьковского", "Kharkiv", "Kharkov", "Kharkivoblenergo", "Харківобленерго", "Харківщини"],
            ),
            ("Lviv", &["Львів", "Львова", "Львівської", "Lviv", "Lvov", "Lwów", "Львове"]),
            ("Odesa", &["Одеса", "Одеси", "Одеського", "Odesa", "Odessa", "Одесса", "Одесской"]),
            ("Dnipro", &["Дніпро", "Дніпра", "Дніпровської", "Дніпропетровській", "Dnipro", "Днепропетровской", "Dniprooblenergo"]),
            ("Zaporizhzhia", &["Запоріжжя", "Запорізької", "Zaporizhzhia", "Zaporijjia", "Запорожья", "Zaporizhzhiaoblenergo"]),
            ("Chernihiv", &["Чернігів", "Чернігова", "Chernihiv", "Tchernihiv", "Чернигов"]),
            ("Chernivtsi", &["Чернівці", "Чернівецької", "Chernivtsi", "Tchernivtsi"]),
            ("Kherson", &["Херсон", "Херсонщини", "Херсонської", "Kherson"]),
            ("Sumy", &["Суми", "Сумської", "Сумщини", "Sumy", "Soumy", "Сумской"]),
            ("Mykolaiv", &["Миколаїв", "Миколаєва", "Mykolaiv", "Mykolaïv", "Николаев"]),
            ("Kryvyi Rih", &["Кривого", "Kryvyi", "Кривбассводопровод", "Kryvbasvodoprovid", "Криворізької"]),
            ("Ivano-Frankivsk", &["Франківської", "Frankivsk", "Прикарпаття"]),
            ("Zhytomyr", &["Житомир", "Житомира", "Житомирської", "Jytomyr", "Zhytomyr"]),
        ] {
            for form in forms {
                assert_eq!(place(form).as_deref(), Some(city), "{form}");
            }
        }
        assert_eq!(place("Дії"), Some("Diia".to_string()));
        for word in ["сума", "сумісний", "church", "network", "рівень", "kiwi", "судно", "лікарня", "дії", "криміналістичний", "кримінальний"]
        {
            assert_eq!(place(word), None, "{word}");
        }
    }
}
