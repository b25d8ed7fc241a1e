//! A request's text reduced to terms that mean the same in every language:
//! glossary concepts, named places and organisations, numbers, and, for
//! words the glossary does not know, their stem in a script-independent
//! spelling (so that "Ukrzaliznytsia" and "Укрзалізниці" still meet).

use std::collections::HashMap;

use super::lexicon::{LEXICON, Meaning, NameKind, key};
use super::text::{Language, Word, fold, guess_language, word_language, words};

/// One term of a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    Concept(u32),
    Name(u32),
    Number(String),
    /// A word the glossary does not know: its folded stem, at most six
    /// letters (long enough to tell words apart, short enough that
    /// transliterations of one name meet).
    Word(String),
}

impl Term {
    /// How a reason prints the term.
    pub fn label(&self) -> String {
        match self {
            Term::Concept(id) => LEXICON.concepts[*id as usize].clone(),
            Term::Name(id) => LEXICON.names[*id as usize].label.clone(),
            Term::Number(n) => n.clone(),
            Term::Word(w) => w.clone(),
        }
    }
}

/// Prefixes that only say "cyber": "кіберполіція" is "поліція",
/// "cybermenaces" is "menaces".
const CYBER: &[&str] = &["кібер", "кибер", "cyber"];

/// Letters kept of a word the glossary does not know.
const WORD_KEY: usize = 6;

/// What a word means on its own, worked out once per distinct word and
/// text language: stemming and transliteration are the costly part of
/// analysis, and requests repeat their vocabulary.
struct WordInfo {
    language: Language,
    /// Stem, folded: the glossary key.
    key: String,
    /// The spelling names are matched on.
    folded: String,
    /// The name it spells, written with a capital and without.
    name_capitalised: Option<u32>,
    name_lower: Option<u32>,
    /// The term it gives alone, if it is not a name or part of a phrase.
    alone: Option<Term>,
}

/// Turns texts into terms, remembering each word it has analysed.
#[derive(Default)]
pub struct Analyzer {
    words: Vec<WordInfo>,
    index: HashMap<(String, Language), usize>,
}

impl Analyzer {
    fn word(&mut self, text: &str, language: Language) -> usize {
        if let Some(&i) = self.index.get(&(text.to_string(), language)) {
            return i;
        }
        let lang = word_language(text, language);
        let key = key(text, lang);
        let folded = fold(text);
        let meaning = LEXICON.word(lang, &key).or_else(|| {
            let other = sibling(lang);
            LEXICON.word(other, &super::lexicon::key(text, other))
        });
        let alone = match meaning {
            Some(m) => meaning_term(m),
            None if text.chars().all(|c| c.is_ascii_digit()) => {
                let n = text.trim_start_matches('0');
                Some(Term::Number(if n.is_empty() { "0".into() } else { n.into() }))
            }
            None if text.chars().count() >= 3 => {
                let end = key.char_indices().nth(WORD_KEY).map_or(key.len(), |(at, _)| at);
                (end > 0).then(|| Term::Word(key[..end].to_string()))
            }
            None => None,
        };
        let info = WordInfo { language: lang, name_capitalised: LEXICON.name(&folded, true), name_lower: LEXICON.name(&folded, false), key, folded, alone };
        self.words.push(info);
        self.index.insert((text.to_string(), language), self.words.len() - 1);
        self.words.len() - 1
    }

    /// The terms of a text, in order, with repeats.
    pub fn terms(&mut self, text: &str) -> (Language, Vec<Term>) {
        let language = guess_language(text);
        let list: Vec<Word> = words(text);
        let ids: Vec<(usize, bool)> = list
            .iter()
            .map(|w| {
                let text = CYBER.iter().find_map(|p| w.text.strip_prefix(p)).filter(|rest| rest.chars().count() >= 3).unwrap_or(&w.text);
                (self.word(text, language), w.capitalised)
            })
            .collect();
        let info: Vec<&WordInfo> = ids.iter().map(|&(i, _)| &self.words[i]).collect();
        let keys: Vec<&str> = info.iter().map(|w| w.key.as_str()).collect();
        let folded: Vec<&str> = info.iter().map(|w| w.folded.as_str()).collect();
        let mut out = Vec::with_capacity(list.len());
        let mut i = 0;
        while i < info.len() {
            let word = info[i];
            if let Some((id, len)) = LEXICON.name_phrase(&folded[i..]) {
                out.push(Term::Name(id));
                i += len;
                continue;
            }
            if let Some(id) = if ids[i].1 { word.name_capitalised } else { word.name_lower } {
                out.push(Term::Name(id));
                i += 1;
                continue;
            }
            // A phrase: the following words must be in the same language.
            let same = info[i..].iter().take_while(|w| w.language == word.language).count();
            if let Some((meaning, len)) = LEXICON.phrase(word.language, &keys[i..i + same]) {
                out.extend(meaning_term(meaning));
                i += len;
                continue;
            }
            out.extend(word.alone.clone());
            i += 1;
        }
        (language, out)
    }
}

/// The terms of one text (tests; analysis of many texts uses an
/// [`Analyzer`]).
#[cfg(test)]
pub fn terms(text: &str) -> (Language, Vec<Term>) {
    Analyzer::default().terms(text)
}

/// The term a glossary meaning gives: none for a function word, a number
/// for a number word.
fn meaning_term(meaning: Meaning) -> Option<Term> {
    let Meaning::Concept(id) = meaning else { return None };
    let label = &LEXICON.concepts[id as usize];
    Some(if label.chars().all(|c| c.is_ascii_digit()) { Term::Number(label.clone()) } else { Term::Concept(id) })
}

/// The other language of the same script: requests mix English terms into
/// French, and Ukrainian requests quote Russian ones.
fn sibling(language: Language) -> Language {
    match language {
        Language::English => Language::French,
        Language::French => Language::English,
        Language::Ukrainian => Language::Russian,
        Language::Russian => Language::Ukrainian,
    }
}

/// The places and the organisations among terms.
pub fn names(terms: &[Term], kind: NameKind) -> Vec<u32> {
    let mut out: Vec<u32> =
        terms.iter().filter_map(|t| if let Term::Name(id) = t { Some(*id) } else { None }).filter(|id| LEXICON.names[*id as usize].kind == kind).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Vec<String> {
        let mut l: Vec<String> = terms(text).1.iter().map(Term::label).collect();
        l.sort();
        l.dedup();
        l
    }

    #[test]
    fn one_request_in_three_languages_gives_the_same_concepts() {
        let en = labels("Network sensors for the Kharkiv grid substations");
        let fr = labels("Sondes réseau pour les postes électriques de Kharkiv");
        let uk = labels("Мережеві сенсори для підстанцій Харківської області");
        for label in ["network", "sensor", "substation", "Kharkiv"] {
            for (lang, got) in [("en", &en), ("fr", &fr), ("uk", &uk)] {
                assert!(got.contains(&label.to_string()), "{label} missing in {lang}: {got:?}");
            }
        }
    }

    #[test]
    fn inflected_forms_meet_their_lemma() {
        assert_eq!(labels("лікарні"), labels("лікарнями"));
        assert_eq!(labels("лікарні"), labels("hospitals"));
        assert_eq!(labels("hôpitaux"), labels("hospital"));
        assert_eq!(labels("кіберполіції"), labels("police"));
        assert_eq!(labels("резервного копіювання"), labels("backups"));
        assert_eq!(labels("soixante terminaux"), labels("60 terminals"));
    }

    #[test]
    fn unknown_names_meet_across_scripts() {
        assert_eq!(labels("Infoxvodokanal"), labels("Інфоксводоканал"));
        assert_eq!(labels("Modbus"), labels("Modbus"));
    }
}
