//! A light stemmer for Ukrainian: strips the inflectional ending of a
//! word so that its case, number and gender forms meet ("мережа", "мережі",
//! "мережу", "мережею", "мереж" → "мереж"; "обласна", "обласної",
//! "обласній" → "обласн").
//!
//! The Snowball project has no Ukrainian algorithm and no maintained crate
//! has one (ADR 0019), so this follows the shape of Snowball's Russian
//! stemmer: endings are removed only from the part of the word after its
//! first vowel (RV), longest ending first, then a soft sign and a doubled
//! final "н" ("навчання" → "навчан") are dropped. It does not undo the
//! vowel alternation of closed syllables ("Харків" / "Харкова"): place
//! names are recognised by the gazetteer instead, and the glossary lists
//! both forms where a common word alternates ("засіб", "засоби").

use std::sync::LazyLock;

/// Vowels, which open the RV region.
const VOWELS: &[char] = &['а', 'е', 'є', 'и', 'і', 'ї', 'о', 'у', 'ю', 'я'];

/// Inflectional endings of nouns, adjectives, participles and verbs; the
/// longest that fits is removed.
const ENDINGS: &[&str] = &[
    // Verbs: infinitive, present, past, gerund, reflexive.
    "ується",
    "юються",
    "ються",
    "ається",
    "ватися",
    "тися",
    "ться",
    "ювати",
    "увати",
    "ування",
    "ювання",
    "вши",
    "ючи",
    "учи",
    "ячи",
    "ачи",
    "ати",
    "яти",
    "ити",
    "іти",
    "ають",
    "яють",
    "ують",
    "юють",
    "уть",
    "ють",
    "ать",
    "ять",
    "ить",
    "ємо",
    "емо",
    "имо",
    "ете",
    "єте",
    "ите",
    "ала",
    "ало",
    "али",
    "ила",
    "или",
    "ило",
    "ає",
    "яє",
    "ує",
    "ює",
    "ся",
    "сь",
    // Adjectives and participles.
    "ього",
    "ьому",
    "ими",
    "іми",
    "ого",
    "ому",
    "ої",
    "ою",
    "ий",
    "ій",
    "им",
    "ім",
    "их",
    "іх",
    "ая",
    "яя",
    "еє",
    "єє",
    "ую",
    "юю",
    // Nouns.
    "іями",
    "ями",
    "ами",
    "ією",
    "іям",
    "іях",
    "ія",
    "ії",
    "ію",
    "ові",
    "ям",
    "ам",
    "ях",
    "ах",
    "ів",
    "їв",
    "ей",
    "ею",
    "єю",
    "ом",
    "ем",
    "єм",
    "ьо", //
    // Single letters.
    "а",
    "я",
    "о",
    "е",
    "є",
    "у",
    "ю",
    "і",
    "ї",
    "и",
    "й",
    "ь",
];

/// The endings as characters, longest first.
static BY_LENGTH: LazyLock<Vec<Vec<char>>> = LazyLock::new(|| {
    let mut endings: Vec<Vec<char>> = ENDINGS.iter().map(|e| e.chars().collect()).collect();
    endings.sort_by_key(|e| std::cmp::Reverse(e.len()));
    endings
});

/// The stem of a lower-case Ukrainian word (apostrophes already removed).
pub fn stem(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    // RV: everything after the first vowel.
    let Some(first_vowel) = chars.iter().position(|c| VOWELS.contains(c)) else {
        return word.to_string();
    };
    let rv = first_vowel + 1;
    let mut end = chars.len();
    // A stem keeps at least two letters.
    if let Some(ending) = BY_LENGTH.iter().find(|e| end >= rv + e.len() && end - e.len() >= 2 && chars[end - e.len()..end] == e[..]) {
        end -= ending.len();
    }
    if end > rv && chars[end - 1] == 'ь' {
        end -= 1;
    }
    if end > rv + 1 && chars[end - 1] == 'н' && chars[end - 2] == 'н' {
        end -= 1;
    }
    chars[..end].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::stem;

    fn all_meet(forms: &[&str]) {
        let first = stem(forms[0]);
        for f in forms {
            assert_eq!(stem(f), first, "{f} and {} do not meet", forms[0]);
        }
    }

    #[test]
    fn case_forms_of_nouns_meet() {
        all_meet(&["мережа", "мережі", "мережу", "мережею", "мереж", "мережами", "мережах"]);
        all_meet(&["сервер", "сервера", "серверу", "сервером", "сервери", "серверів", "серверами", "серверах"]);
        all_meet(&["лікарня", "лікарні", "лікарню", "лікарнею", "лікарнями", "лікарнях"]);
        all_meet(&["навчання", "навчанню", "навчанням", "навчаннях"]);
        all_meet(&["захист", "захисту", "захистом"]);
        all_meet(&["підстанція", "підстанції", "підстанцію", "підстанцій", "підстанціями"]);
    }

    #[test]
    fn case_and_gender_forms_of_adjectives_meet() {
        all_meet(&["обласна", "обласної", "обласній", "обласну", "обласною", "обласний", "обласного", "обласному", "обласні", "обласних"]);
        all_meet(&["резервне", "резервного", "резервному", "резервний", "резервні", "резервних", "резервна"]);
        all_meet(&["мережевий", "мережевого", "мережеві", "мережевих"]);
    }

    #[test]
    fn verbs_lose_their_endings() {
        all_meet(&["відновити", "відновить", "відновили"]);
        all_meet(&["захищати", "захищають", "захищає"]);
    }

    #[test]
    fn short_words_and_words_without_vowels_are_kept() {
        assert_eq!(stem("та"), "та");
        assert_eq!(stem("сеп"), "сеп");
        assert_eq!(stem("мвс"), "мвс");
        assert_eq!(stem(""), "");
    }
}
