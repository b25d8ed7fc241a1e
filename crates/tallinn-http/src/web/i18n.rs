//! Every user-facing string of the web interface, in one catalogue per
//! language (`locales/LANG.json`, embedded in the binary): English (complete,
//! and the fallback for any missing key), Ukrainian and French. A language is
//! added with its file and a line in `CATALOGUES`; a test checks that every
//! catalogue has exactly English's keys and placeholders.
//!
//! The reader's language is the one chosen with `/language/{lang}` (a
//! cookie), else the first shipped language of `Accept-Language`, else
//! English. Messages that come from the store (a refused rule) stay English.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The languages shipped, English first (the fallback): code, own name, strings.
const CATALOGUES: &[(&str, &str, &str)] = &[
    ("en", "English", include_str!("../../locales/en.json")),
    ("uk", "Українська", include_str!("../../locales/uk.json")),
    ("fr", "Français", include_str!("../../locales/fr.json")),
];

/// The cookie that keeps a reader's choice of language.
pub const LANGUAGE_COOKIE: &str = "tallinn_lang";

/// One language's strings.
#[derive(Debug)]
pub struct Catalogue {
    pub lang: &'static str,
    /// The language's name in itself, for the language menu.
    pub name: &'static str,
    strings: HashMap<String, String>,
}

static LOADED: LazyLock<Vec<Catalogue>> = LazyLock::new(|| {
    CATALOGUES
        .iter()
        .map(|(lang, name, text)| {
            // A malformed catalogue is a build defect caught by the tests below.
            let strings: HashMap<String, String> = serde_json::from_str(text).unwrap_or_default();
            Catalogue { lang, name, strings }
        })
        .collect()
});

impl Catalogue {
    /// Every language shipped, English first.
    pub fn all() -> &'static [Catalogue] {
        &LOADED
    }

    /// The shipped catalogue of a language code, if there is one.
    pub fn named(lang: &str) -> Option<&'static Catalogue> {
        LOADED.iter().find(|c| c.lang.eq_ignore_ascii_case(lang))
    }

    /// The reader's catalogue: the language chosen (cookie), else the first
    /// shipped language of `Accept-Language`, else English.
    pub fn for_reader(chosen: Option<&str>, accept_language: Option<&str>) -> &'static Catalogue {
        chosen.and_then(Catalogue::named).unwrap_or_else(|| Catalogue::for_accept_language(accept_language))
    }

    /// The catalogue for the first language of an `Accept-Language` header
    /// that we ship, else English.
    pub fn for_accept_language(header: Option<&str>) -> &'static Catalogue {
        let wanted = header.unwrap_or("").split(',').filter_map(|part| part.split(';').next()).map(|tag| tag.trim().split('-').next().unwrap_or(""));
        for tag in wanted {
            if let Some(c) = Catalogue::named(tag) {
                return c;
            }
        }
        Catalogue::english()
    }

    pub fn english() -> &'static Catalogue {
        &LOADED[0]
    }

    /// The string for `key`; English when this language lacks it; the key
    /// itself when no catalogue has it (a test keeps that from shipping).
    pub fn get<'a>(&'static self, key: &'a str) -> &'a str {
        self.strings.get(key).or_else(|| LOADED[0].strings.get(key)).map_or(key, String::as_str)
    }

    /// The label of a vocabulary word (`capability`, `detect`), else the word.
    pub fn word<'a>(&'static self, vocabulary: &str, word: &'a str) -> &'a str {
        let key = format!("{vocabulary}.{word}");
        match self.strings.get(&key).or_else(|| LOADED[0].strings.get(&key)) {
            Some(s) => s.as_str(),
            None => word,
        }
    }

    /// `get(key)` with `{name}` placeholders filled in.
    pub fn fill(&'static self, key: &str, values: &[(&str, &str)]) -> String {
        let mut out = self.get(key).to_string();
        for (name, value) in values {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    #[cfg(test)]
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.strings.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every catalogue key the web interface names: string literals shaped
    /// like `group.name` in the templates and in the web module's code.
    fn used_keys() -> std::collections::BTreeSet<String> {
        let is_key = |s: &str| {
            let mut parts = s.split('.');
            let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else { return false };
            let word = |w: &str| !w.is_empty() && w.bytes().all(|c| c.is_ascii_lowercase() || c == b'_');
            word(a) && word(b) && b != "html" && b != "css"
        };
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut keys = std::collections::BTreeSet::new();
        for dir in ["templates", "src/web"] {
            for entry in std::fs::read_dir(format!("{root}{dir}")).unwrap() {
                let path = entry.unwrap().path();
                if path.ends_with("i18n.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                keys.extend(text.split('"').filter(|s| is_key(s)).map(str::to_string));
            }
        }
        keys
    }

    /// `{name}` placeholders of a string, sorted.
    fn placeholders(text: &str) -> Vec<&str> {
        let mut found: Vec<&str> = text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn every_translation_has_english_keys_and_placeholders() {
        let english = Catalogue::english();
        for c in &LOADED[1..] {
            let mut missing: Vec<&String> = english.keys().filter(|k| !c.strings.contains_key(*k)).collect();
            let mut extra: Vec<&String> = c.keys().filter(|k| !english.strings.contains_key(*k)).collect();
            missing.sort();
            extra.sort();
            assert!(missing.is_empty() && extra.is_empty(), "locales/{}.json: missing {missing:?}, unknown {extra:?}", c.lang);
            for (key, text) in &c.strings {
                assert_eq!(placeholders(text), placeholders(english.get(key)), "locales/{}.json: {key}", c.lang);
                assert!(!text.trim().is_empty() || key == "number.group", "locales/{}.json: {key} is empty", c.lang);
            }
        }
    }

    #[test]
    fn every_catalogue_parses_and_english_has_every_key_used() {
        for (lang, _, text) in CATALOGUES {
            let parsed: Result<HashMap<String, String>, _> = serde_json::from_str(text);
            assert!(parsed.is_ok(), "locales/{lang}.json: {:?}", parsed.err());
        }
        let english: std::collections::BTreeSet<String> = Catalogue::english().keys().cloned().collect();
        let used = used_keys();
        let missing: Vec<_> = used.difference(&english).collect();
        assert!(missing.is_empty(), "keys used but not in locales/en.json: {missing:?}");
        assert!(used.len() > 100, "the scan found the keys ({})", used.len());
    }

    #[test]
    fn negotiates_and_falls_back_to_english() {
        assert_eq!(Catalogue::for_accept_language(Some("uk-UA,uk;q=0.9,fr;q=0.8")).lang, "uk");
        assert_eq!(Catalogue::for_accept_language(Some("de-DE, fr-CH;q=0.8")).lang, "fr");
        assert_eq!(Catalogue::for_accept_language(Some("en-GB")).lang, "en");
        assert_eq!(Catalogue::for_accept_language(Some("de")).lang, "en");
        assert_eq!(Catalogue::for_accept_language(None).lang, "en");
        assert_eq!(Catalogue::for_reader(Some("fr"), Some("uk")).lang, "fr", "the choice wins");
        assert_eq!(Catalogue::for_reader(Some("xx"), Some("uk")).lang, "uk", "an unknown choice is ignored");
        assert_eq!(Catalogue::named("uk").unwrap().get("nav.catalogue"), "Каталог");
        let en = Catalogue::english();
        assert_eq!(en.get("no.such.key"), "no.such.key");
        assert_eq!(en.word("capability", "detect"), "Detect");
        assert_eq!(en.word("capability", "unknown-word"), "unknown-word");
        assert_eq!(en.fill("error.bad_filter", &[("field", "sort"), ("value", "x")]), "'x' is not a valid sort.");
    }
}
