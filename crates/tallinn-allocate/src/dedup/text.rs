//! Words of a request: its language, its tokens (French elision, English
//! possessives, Ukrainian apostrophes, digit grouping), each word's stem in
//! its language, and a script-independent folded spelling.

use std::borrow::Cow;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::ukrainian;

/// The languages requests are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    English,
    French,
    Ukrainian,
    Russian,
}

impl Language {
    pub const ALL: [Language; 4] = [Language::English, Language::French, Language::Ukrainian, Language::Russian];

    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::French => "fr",
            Language::Ukrainian => "uk",
            Language::Russian => "ru",
        }
    }

    fn is_cyrillic(self) -> bool {
        matches!(self, Language::Ukrainian | Language::Russian)
    }
}

/// Common French words that English does not use.
const FRENCH_MARKERS: &[&str] = &["le", "la", "les", "des", "du", "de", "et", "pour", "une", "un", "au", "aux", "sur", "dans", "avec", "par"];
/// Common English words.
const ENGLISH_MARKERS: &[&str] = &["the", "of", "and", "for", "to", "in", "with", "on", "at", "by", "from"];

/// The language of a text: Cyrillic is Russian when it has more of the
/// letters only Russian uses (ы, э, ъ, ё) than of those only Ukrainian uses
/// (і, ї, є, ґ), or none of either and the conjunction "и"; else Ukrainian.
/// Latin is French when it has French accents or more French than English
/// function words.
pub fn guess_language(text: &str) -> Language {
    let (mut cyrillic, mut latin, mut ukrainian, mut russian, mut accents) = (0usize, 0usize, 0usize, 0usize, 0usize);
    for c in text.chars() {
        match c {
            'і' | 'ї' | 'є' | 'ґ' | 'І' | 'Ї' | 'Є' | 'Ґ' => ukrainian += 1,
            'ы' | 'э' | 'ъ' | 'ё' | 'Ы' | 'Э' | 'Ё' => russian += 1,
            'é' | 'è' | 'ê' | 'à' | 'ç' | 'ù' | 'â' | 'î' | 'ô' | 'û' | 'œ' | 'É' => accents += 1,
            _ => {}
        }
        if ('\u{400}'..='\u{4ff}').contains(&c) {
            cyrillic += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        }
    }
    if cyrillic > latin {
        if ukrainian > 0 || russian > 0 {
            return if russian > ukrainian { Language::Russian } else { Language::Ukrainian };
        }
        // Neither alphabet's own letters: Russian writes "and" as "и",
        // Ukrainian as "і", "й" or "та".
        let russian_and = text.split(|c: char| !c.is_alphabetic()).any(|w| w == "и" || w == "И");
        return if russian_and { Language::Russian } else { Language::Ukrainian };
    }
    if accents > 0 {
        return Language::French;
    }
    let (mut french, mut english) = (0, 0);
    for w in text.split(|c: char| !c.is_alphabetic()) {
        let w = w.to_lowercase();
        french += usize::from(FRENCH_MARKERS.contains(&w.as_str()));
        english += usize::from(ENGLISH_MARKERS.contains(&w.as_str()));
    }
    if french > english { Language::French } else { Language::English }
}

/// Whether a word is written in Cyrillic.
pub fn is_cyrillic(word: &str) -> bool {
    word.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
}

/// The language a word is stemmed in: its text's, unless the word is in
/// the other script (an English acronym in a Ukrainian request, a Ukrainian
/// name quoted in a French one).
pub fn word_language(word: &str, text: Language) -> Language {
    match (is_cyrillic(word), text.is_cyrillic()) {
        (true, true) | (false, false) => text,
        (true, false) => Language::Ukrainian,
        (false, true) => Language::English,
    }
}

/// French elided articles and pronouns: "l'administration" → "administration".
const ELISIONS: &[&str] = &["l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"];

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '`')
}

/// A word of a text, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Whether it was written with a capital letter.
    pub capitalised: bool,
}

/// The lower-case words of a text. Hyphenated words are split; digit groups
/// ("3,500", "3 500", "3 500") are joined into one number; French elisions
/// and English possessives are removed; Ukrainian apostrophes inside a word
/// ("зв'язок") are dropped.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_alphanumeric() {
            i += 1;
            continue;
        }
        let mut word = String::new();
        let capitalised = chars[i].is_uppercase();
        while i < chars.len() {
            let c = chars[i];
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
                i += 1;
            } else if is_apostrophe(c) && chars.get(i + 1).is_some_and(|n| n.is_alphabetic()) && !word.is_empty() {
                word.push('\'');
                i += 1;
            } else if matches!(c, ',' | ' ' | '\u{a0}' | '\u{202f}' | '.')
                && word.chars().all(|d| d.is_ascii_digit())
                && chars.get(i + 1..i + 4).is_some_and(|g| g.iter().all(char::is_ascii_digit))
                && !chars.get(i + 4).is_some_and(|n| n.is_ascii_digit())
            {
                // A thousands separator: keep reading the number.
                i += 1;
            } else {
                break;
            }
        }
        out.push(Word { text: without_apostrophes(word), capitalised });
    }
    out
}

fn without_apostrophes(word: String) -> String {
    if !word.contains('\'') {
        return word;
    }
    if !is_cyrillic(&word) {
        // Elisions may repeat ("jusqu'à l'administration" is two words, but
        // nothing stops "l'l'l'…"): strip them in a loop, not by recursion.
        let mut rest = word.as_str();
        while let Some((head, tail)) = rest.split_once('\'') {
            if ELISIONS.contains(&head) {
                rest = tail;
            } else if tail == "s" {
                return head.to_string();
            } else {
                break;
            }
        }
        return rest.replace('\'', "");
    }
    word.replace('\'', "")
}

static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));
static FRENCH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::French));
static RUSSIAN: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Russian));

/// The stem of a lower-case word in a language: Snowball for English,
/// French and Russian, this crate's stemmer for Ukrainian.
pub fn stem(word: &str, language: Language) -> Cow<'_, str> {
    match language {
        Language::English => ENGLISH.stem(word),
        Language::French => FRENCH.stem(word),
        Language::Russian => RUSSIAN.stem(word),
        Language::Ukrainian => Cow::Owned(ukrainian::stem(word)),
    }
}

/// A spelling that is the same in every script and transliteration:
/// transliterated to ASCII, lower-case letters and digits only, with the
/// differences between transliterations of Ukrainian folded (kh/h, g/h,
/// zh/z, ts/c, ch/tch/c, sh/s, y/i, j/z, ou/u, x/ks, doubled letters): Mykolaiv,
/// Mikolaiev, Миколаєва and Mykolayiv all begin "mikola"; Zhytomyr and
/// Jytomyr both fold to "zitomir"; Чернігів and Chernihiv to "cernihiv".
pub fn fold(word: &str) -> String {
    let ascii: String = deunicode::deunicode(word).to_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
    let phonetic = ascii
        .replace("kh", "h")
        .replace('g', "h")
        .replace("zh", "z")
        .replace("tch", "c")
        .replace("ts", "c")
        .replace("ch", "c")
        .replace("sh", "s")
        .replace('y', "i")
        .replace('j', "z")
        .replace("ou", "u")
        .replace('x', "ks");
    let mut out = String::with_capacity(phonetic.len());
    for c in phonetic.chars() {
        if !out.ends_with(c) || c.is_ascii_digit() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_told_apart() {
        assert_eq!(guess_language("Захист серверів міської ради"), Language::Ukrainian);
        assert_eq!(guess_language("Сбор журналов и SIEM для водоканала"), Language::Russian);
        assert_eq!(guess_language("Sauvegardes hors ligne pour la compagnie des eaux"), Language::French);
        assert_eq!(guess_language("Offline backups for the Odesa water utility"), Language::English);
        assert_eq!(guess_language("Réparation"), Language::French);
    }

    fn texts(text: &str) -> Vec<String> {
        words(text).into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn words_handle_elision_possessives_apostrophes_and_numbers() {
        assert_eq!(texts("l'administration d’Odessa"), ["administration", "odessa"]);
        assert_eq!(texts("Ukrenergo's backup"), ["ukrenergo", "backup"]);
        assert_eq!(texts("зв'язок, комп’ютерів"), ["звязок", "компютерів"]);
        assert_eq!(texts("3,500 workstations; 3 500 postes; 3500; 2026-12-31"), ["3500", "workstations", "3500", "postes", "3500", "2026", "12", "31"]);
        assert_eq!(texts("anti-DDoS, 1,2"), ["anti", "ddos", "1", "2"]);
        // Hostile input: a word of a million elisions is one word, read in one pass.
        assert_eq!(texts(&format!("{}x", "l'".repeat(1_000_000))), ["x"]);
    }

    #[test]
    fn folding_meets_across_scripts() {
        assert_eq!(fold("Zhytomyr"), fold("Jytomyr"));
        assert_eq!(fold("Чернігів"), fold("Chernihiv"));
        assert_eq!(fold("Tchernihiv"), fold("Chernihiv"));
        assert!(fold("Миколаєва").starts_with("mikola") && fold("Mykolaiv").starts_with("mikola"));
    }
}
