//! Tokens of the pattern language.

use base64::Engine;

use super::parser::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    LBracket,
    RBracket,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Op(&'static str),
    Keyword(&'static str),
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Hex(Vec<u8>),
    Binary(Vec<u8>),
    Timestamp(String),
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Colon => "':'".into(),
            Tok::Dot => "'.'".into(),
            Tok::Comma => "','".into(),
            Tok::Star => "'*'".into(),
            Tok::Op(o) => format!("'{o}'"),
            Tok::Keyword(k) => (*k).to_string(),
            Tok::Ident(i) => format!("'{i}'"),
            Tok::Str(_) => "a string".into(),
            Tok::Int(_) | Tok::Float(_) => "a number".into(),
            Tok::Bool(_) => "a boolean".into(),
            Tok::Hex(_) => "a hex literal".into(),
            Tok::Binary(_) => "a binary literal".into(),
            Tok::Timestamp(_) => "a timestamp".into(),
        }
    }
}

pub const KEYWORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "LAST",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "TIMES",
    "WITHIN",
    "REPEATS",
    "EXISTS",
];

/// Splits a pattern into (offset, token) pairs.
pub fn tokens(src: &str) -> Result<Vec<(usize, Tok)>, ParseError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, message: String| ParseError { offset: at, message };
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'[' | b']' | b'(' | b')' | b':' | b',' | b'*' => {
                i += 1;
                out.push((
                    start,
                    match c {
                        b'[' => Tok::LBracket,
                        b']' => Tok::RBracket,
                        b'(' => Tok::LParen,
                        b')' => Tok::RParen,
                        b':' => Tok::Colon,
                        b',' => Tok::Comma,
                        _ => Tok::Star,
                    },
                ));
            }
            b'=' => {
                i += 1;
                out.push((start, Tok::Op("=")));
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                out.push((start, Tok::Op("!=")));
            }
            b'<' => {
                let (op, n) = match b.get(i + 1) {
                    Some(b'=') => ("<=", 2),
                    Some(b'>') => ("!=", 2),
                    _ => ("<", 1),
                };
                i += n;
                out.push((start, Tok::Op(op)));
            }
            b'>' => {
                let (op, n) = if b.get(i + 1) == Some(&b'=') { (">=", 2) } else { (">", 1) };
                i += n;
                out.push((start, Tok::Op(op)));
            }
            b'\'' => {
                let (s, next) = string_body(src, i + 1).ok_or_else(|| err(start, "unterminated string (a string is '…' with \\' and \\\\ escapes)".into()))?;
                i = next;
                out.push((start, Tok::Str(s)));
            }
            b'h' | b'b' | b't' if b.get(i + 1) == Some(&b'\'') => {
                let (body, next) = string_body(src, i + 2).ok_or_else(|| err(start, "unterminated literal".into()))?;
                i = next;
                out.push((
                    start,
                    match c {
                        b'h' => {
                            if body.len() % 2 != 0 || !body.bytes().all(|x| x.is_ascii_hexdigit()) {
                                return Err(err(start, format!("h'{body}' is not hex (an even number of 0-9a-f)")));
                            }
                            Tok::Hex(hex::decode(&body).map_err(|_| err(start, "bad hex".into()))?)
                        }
                        b'b' => {
                            Tok::Binary(base64::engine::general_purpose::STANDARD.decode(&body).map_err(|_| err(start, format!("b'{body}' is not base64")))?)
                        }
                        _ => {
                            check_timestamp(&body).map_err(|m| err(start, m))?;
                            Tok::Timestamp(body)
                        }
                    },
                ));
            }
            b'.' if !b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                out.push((start, Tok::Dot));
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => {
                let (tok, next) = number(src, i).ok_or_else(|| err(start, "not a number".into()))?;
                i = next;
                out.push((start, tok));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                    i += 1;
                }
                let word = &src[start..i];
                let tok = match word {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    w => match KEYWORDS.iter().find(|k| **k == w) {
                        Some(k) => Tok::Keyword(k),
                        None => Tok::Ident(w.to_string()),
                    },
                };
                out.push((start, tok));
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(err(start, format!("unexpected character '{ch}'")));
            }
        }
    }
    Ok(out)
}

/// The body of a quoted literal starting after its opening quote, with
/// `\'` and `\\` unescaped; and the offset after the closing quote.
fn string_body(src: &str, from: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = src[from..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '\'' => return Some((out, from + k + 1)),
            '\\' => match chars.next() {
                Some((_, e @ ('\'' | '\\'))) => out.push(e),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    None
}

fn number(src: &str, from: usize) -> Option<(Tok, usize)> {
    let b = src.as_bytes();
    let mut i = from;
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = i - digits;
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(b.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if b.get(j).is_some_and(u8::is_ascii_digit) {
                while b.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                i = j;
            }
        }
        let v: f64 = src[from..i].parse().ok()?;
        return v.is_finite().then_some((Tok::Float(v), i));
    }
    if int_digits == 0 || (int_digits > 1 && b[digits] == b'0') {
        return None;
    }
    Some((Tok::Int(src[from..i].parse().ok()?), i))
}

/// `YYYY-MM-DDTHH:MM:SS[.s+]Z`, a real instant.
fn check_timestamp(text: &str) -> Result<(), String> {
    crate::timestamp::StixTime::parse(text).map(|_| ()).map_err(|_| format!("t'{text}' is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)"))
}
