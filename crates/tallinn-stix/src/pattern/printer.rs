//! Printing patterns so that `parse(print(p)) == p`: parentheses exactly
//! where precedence, or a run nested in a run of the same operator, would
//! otherwise change the tree. Recursion follows the tree's nesting, which
//! the parser bounds.

use std::fmt;

use base64::Engine;

use super::ast::{Comparison, Literal, ObjectPath, PathStep, Pattern, Qualifier, Test};

fn pattern_level(p: &Pattern) -> u8 {
    match p {
        Pattern::FollowedBy(..) => 1,
        Pattern::Or(..) => 2,
        Pattern::And(..) => 3,
        Pattern::Observation(_) | Pattern::Qualified(..) => 4,
    }
}

/// Writes `operands` joined by `word`; an operand as loose as the run, or
/// looser, was parenthesised (the parser reads a run into one node).
fn write_run<T>(
    f: &mut fmt::Formatter<'_>,
    operands: &[T],
    word: &str,
    level: u8,
    level_of: fn(&T) -> u8,
    write: fn(&mut fmt::Formatter<'_>, &T, bool) -> fmt::Result,
) -> fmt::Result {
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            write!(f, " {word} ")?;
        }
        write(f, operand, level_of(operand) <= level)?;
    }
    Ok(())
}

fn write_pattern(f: &mut fmt::Formatter<'_>, p: &Pattern, parens: bool) -> fmt::Result {
    if parens {
        f.write_str("(")?;
    }
    match p {
        Pattern::Observation(o) => write!(f, "[{}]", o.0)?,
        Pattern::Qualified(inner, qualifiers) => {
            // Qualifiers apply to what stands right before them: group anything
            // looser, and a qualified group (its qualifiers are its own).
            write_pattern(f, inner, !matches!(**inner, Pattern::Observation(_)))?;
            for q in qualifiers {
                write!(f, " {q}")?;
            }
        }
        Pattern::And(operands) => write_run(f, operands, "AND", 3, pattern_level, write_pattern)?,
        Pattern::Or(operands) => write_run(f, operands, "OR", 2, pattern_level, write_pattern)?,
        Pattern::FollowedBy(operands) => write_run(f, operands, "FOLLOWEDBY", 1, pattern_level, write_pattern)?,
    }
    if parens {
        f.write_str(")")?;
    }
    Ok(())
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_pattern(f, self, false)
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within(n) if n.fract() == 0.0 && *n < 1e15 => write!(f, "WITHIN {} SECONDS", *n as u64),
            Qualifier::Within(n) => write!(f, "WITHIN {} SECONDS", float(*n)),
            Qualifier::Repeats(n) => write!(f, "REPEATS {n} TIMES"),
            Qualifier::StartStop(a, b) => write!(f, "START t'{a}' STOP t'{b}'"),
        }
    }
}

fn comparison_level(c: &Comparison) -> u8 {
    match c {
        Comparison::Or(..) => 1,
        Comparison::And(..) => 2,
        Comparison::Test(_) => 3,
    }
}

fn write_comparison(f: &mut fmt::Formatter<'_>, c: &Comparison, parens: bool) -> fmt::Result {
    if parens {
        f.write_str("(")?;
    }
    match c {
        Comparison::Test(t) => write!(f, "{t}")?,
        Comparison::And(operands) => write_run(f, operands, "AND", 2, comparison_level, write_comparison)?,
        Comparison::Or(operands) => write_run(f, operands, "OR", 1, comparison_level, write_comparison)?,
    }
    if parens {
        f.write_str(")")?;
    }
    Ok(())
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_comparison(f, self, false)
    }
}

impl fmt::Display for Test {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = |n: &bool| if *n { "NOT " } else { "" };
        match self {
            Test::Compare { path, negated, op, value } => write!(f, "{path} {}{} {value}", not(negated), op.as_str()),
            Test::In { path, negated, values } => {
                write!(f, "{path} {}IN (", not(negated))?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
            Test::Exists { path, negated } => write!(f, "{}EXISTS {path}", not(negated)),
        }
    }
}

/// A property name as an identifier when it can be one, else quoted.
fn key(f: &mut fmt::Formatter<'_>, k: &str) -> fmt::Result {
    let plain = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !super::lexer::KEYWORDS.contains(&k)
        && k != "true"
        && k != "false";
    if plain { f.write_str(k) } else { write!(f, "'{}'", escape(k)) }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    key(f, k)?;
                }
                PathStep::Index(n) => write!(f, "[{n}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

/// A float the grammar accepts: digits, a point, digits, an optional exponent.
fn float(v: f64) -> String {
    let s = format!("{v:?}");
    match (s.contains('.'), s.find('e')) {
        (true, _) => s,
        (false, Some(e)) => format!("{}.0{}", &s[..e], &s[e..]),
        (false, None) => format!("{s}.0"),
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Float(v) => f.write_str(&float(*v)),
            Literal::String(s) => write!(f, "'{}'", escape(s)),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Binary(b) => write!(f, "b'{}'", base64::engine::general_purpose::STANDARD.encode(b)),
            Literal::Hex(h) => write!(f, "h'{}'", hex::encode(h)),
            Literal::Timestamp(t) => write!(f, "t'{t}'"),
        }
    }
}
