//! The one rule for text that enters Tallinn from outside, whatever the
//! interface (API, forms, query strings, paths, CSV, the command line):
//! printable characters, tabs and line breaks. NUL and the other C0 control
//! characters, and DEL, are refused, naming the field: PostgreSQL cannot
//! store NUL at all (SQLite can), and the rest only ever arrive by mistake
//! or malice, and would reach exports, logs and terminals.

use crate::error::FieldError;

/// The rule as a regular expression (ECMA-262, as JSON Schema and OpenAPI
/// take it; Rust's `regex` and Python's `re` read it the same way), for the
/// API's document: what [`is_forbidden`] refuses, no character of it.
pub const PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$";

/// [`PATTERN`] with at least one character that is not white space: what a
/// required title or name takes (they are trimmed, then must not be empty).
pub const NON_BLANK_PATTERN: &str =
    r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\s\u0000-\u001F\u007F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$";

/// The first character the rule refuses, if any.
pub fn forbidden_char(text: &str) -> Option<char> {
    text.chars().find(|&c| is_forbidden(c))
}

/// Whether the rule refuses `c`.
pub fn is_forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}'
}

/// The rule for one field.
pub fn check(field: &str, text: &str) -> Result<(), FieldError> {
    match forbidden_char(text) {
        None => Ok(()),
        Some(c) => Err(FieldError::new(field, message(c))),
    }
}

/// What to tell the sender about `c`.
pub fn message(c: char) -> String {
    format!("contains the control character U+{:04X}; text takes printable characters, tabs and line breaks", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_tabs_and_line_breaks_pass() {
        for ok in ["", "Захист енергомережі Києва", "a\tb\r\nc", "é ✓ 🙂", "\u{a0}\u{2028}"] {
            assert!(check("title", ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn control_characters_are_refused_by_name() {
        for (bad, code) in [("a\0b", "U+0000"), ("\u{1b}[31m", "U+001B"), ("x\u{7f}", "U+007F"), ("\u{8}", "U+0008")] {
            let e = check("title", bad).unwrap_err();
            assert_eq!(e.field, "title");
            assert!(e.message.contains(code), "{}", e.message);
        }
    }
}
