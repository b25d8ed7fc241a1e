//! A recursive-descent parser for `STIXPattern.g4`. Precedence, loosest
//! first: FOLLOWEDBY, OR, AND between observations; qualifiers bind to the
//! observation (or parenthesised group) before them; OR, AND inside
//! brackets. A run of one operator is read in a loop into one node (the
//! operators associate, so `a OR b OR c` means what `(a OR b) OR c` does);
//! the parser recurses only into parentheses and brackets, at most
//! [`MAX_NESTING`] deep.

use super::ast::{CompOp, Comparison, Literal, ObjectPath, Observation, PathStep, Pattern, Qualifier, Test};
use super::lexer::{Tok, tokens};
use super::{MAX_NESTING, StixVersion};

/// Where the pattern stops making sense, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at offset {offset}: {message}")]
pub struct ParseError {
    /// Byte offset into the pattern.
    pub offset: usize,
    pub message: String,
}

/// Parses a whole STIX 2.1 pattern.
pub fn parse(src: &str) -> Result<Pattern, ParseError> {
    parse_version(src, StixVersion::V21)
}

/// Parses a whole pattern of the given STIX version. The only difference:
/// STIX 2.0 writes `START '…' STOP '…'` with strings, 2.1 with `t'…'`.
pub fn parse_version(src: &str, version: StixVersion) -> Result<Pattern, ParseError> {
    let toks = tokens(src)?;
    let mut p = Parser { toks, pos: 0, end: src.len(), version, depth: 0 };
    let pattern = p.followed_by()?;
    if p.pos < p.toks.len() {
        return Err(p.unexpected("AND, OR, FOLLOWEDBY, a qualifier or the end"));
    }
    Ok(pattern)
}

/// How many qualifiers stand on the deepest path through `p`, plus one (the
/// observation). Recurses along parentheses, which the parser bounds.
fn qualified_height(p: &Pattern) -> usize {
    match p {
        Pattern::Observation(_) => 1,
        Pattern::And(run) | Pattern::Or(run) | Pattern::FollowedBy(run) => run.iter().map(qualified_height).max().unwrap_or(0),
        Pattern::Qualified(inner, qualifiers) => qualified_height(inner) + qualifiers.len(),
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
    version: StixVersion,
    /// Parentheses and brackets open at this point.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(o, _)| *o)
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        let found = self.peek().map_or("the end of the pattern".to_string(), Tok::describe);
        ParseError { offset: self.offset(), message: format!("expected {expected}, found {found}") }
    }

    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Keyword(w)) if *w == k) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok, expected: &str) -> Result<(), ParseError> {
        if self.peek() == Some(tok) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|(_, t)| t.clone());
        self.pos += 1;
        t
    }

    /// Opens a parenthesis or bracket, refusing one too many.
    fn open(&mut self) -> Result<(), ParseError> {
        if self.depth >= MAX_NESTING {
            return Err(ParseError { offset: self.offset(), message: format!("parentheses, brackets and qualifiers nest deeper than {MAX_NESTING} levels") });
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    /// `operand (word operand)*` as one node when there are several.
    fn run<T>(&mut self, word: &str, mut operand: impl FnMut(&mut Self) -> Result<T, ParseError>, node: impl FnOnce(Vec<T>) -> T) -> Result<T, ParseError> {
        let first = operand(self)?;
        if !self.keyword(word) {
            return Ok(first);
        }
        let mut operands = vec![first];
        loop {
            operands.push(operand(self)?);
            if !self.keyword(word) {
                return Ok(node(operands));
            }
        }
    }

    fn followed_by(&mut self) -> Result<Pattern, ParseError> {
        self.run("FOLLOWEDBY", Self::obs_or, Pattern::FollowedBy)
    }

    fn obs_or(&mut self) -> Result<Pattern, ParseError> {
        self.run("OR", Self::obs_and, Pattern::Or)
    }

    fn obs_and(&mut self) -> Result<Pattern, ParseError> {
        self.run("AND", Self::obs_qualified, Pattern::And)
    }

    fn obs_qualified(&mut self) -> Result<Pattern, ParseError> {
        let inner = match self.peek() {
            Some(Tok::LBracket) => {
                self.open()?;
                let c = self.comp_or()?;
                self.expect(&Tok::RBracket, "AND, OR or ']'")?;
                Pattern::Observation(Observation(c))
            }
            Some(Tok::LParen) => {
                self.open()?;
                let p = self.followed_by()?;
                self.expect(&Tok::RParen, "AND, OR, FOLLOWEDBY, a qualifier or ')'")?;
                p
            }
            _ => return Err(self.unexpected("'[' or '('")),
        };
        self.depth -= 1;
        let mut qualifiers = Vec::new();
        let mut height = None;
        loop {
            let at = self.offset();
            let Some(q) = self.qualifier()? else { break };
            // Each qualifier is one more level for whatever walks the
            // matcher's plan: counted with the parentheses around it.
            let h = *height.get_or_insert_with(|| qualified_height(&inner));
            if self.depth + h + qualifiers.len() + 1 > MAX_NESTING {
                return Err(ParseError { offset: at, message: format!("parentheses, brackets and qualifiers nest deeper than {MAX_NESTING} levels") });
            }
            qualifiers.push(q);
        }
        Ok(if qualifiers.is_empty() { inner } else { Pattern::Qualified(Box::new(inner), qualifiers) })
    }

    fn qualifier(&mut self) -> Result<Option<Qualifier>, ParseError> {
        if self.keyword("WITHIN") {
            let at = self.offset();
            let n = match self.next() {
                // Zero parses (as in the OASIS grammar); matching refuses it.
                Some(Tok::Int(n)) if n >= 0 => n as f64,
                Some(Tok::Float(f)) if f >= 0.0 => f,
                _ => return Err(ParseError { offset: at, message: "WITHIN takes a positive number of seconds".into() }),
            };
            if !self.keyword("SECONDS") {
                return Err(self.unexpected("SECONDS"));
            }
            return Ok(Some(Qualifier::Within(n)));
        }
        if self.keyword("REPEATS") {
            let at = self.offset();
            let n = match self.next() {
                Some(Tok::Int(n)) if n >= 0 => n as u64,
                _ => return Err(ParseError { offset: at, message: "REPEATS takes a positive whole number".into() }),
            };
            if !self.keyword("TIMES") {
                return Err(self.unexpected("TIMES"));
            }
            return Ok(Some(Qualifier::Repeats(n)));
        }
        if self.keyword("START") {
            let start = self.timestamp()?;
            if !self.keyword("STOP") {
                return Err(self.unexpected("STOP"));
            }
            return Ok(Some(Qualifier::StartStop(start, self.timestamp()?)));
        }
        Ok(None)
    }

    fn timestamp(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(Tok::Str(t)) if self.version == StixVersion::V20 => {
                let t = t.clone();
                self.pos += 1;
                Ok(t)
            }
            _ if self.version == StixVersion::V20 => Err(self.unexpected("a timestamp string '…'")),
            Some(Tok::Timestamp(t)) => {
                let t = t.clone();
                self.pos += 1;
                Ok(t)
            }
            _ => Err(self.unexpected("a timestamp t'…'")),
        }
    }

    fn comp_or(&mut self) -> Result<Comparison, ParseError> {
        self.run("OR", Self::comp_and, Comparison::Or)
    }

    fn comp_and(&mut self) -> Result<Comparison, ParseError> {
        self.run("AND", Self::prop_test, Comparison::And)
    }

    fn prop_test(&mut self) -> Result<Comparison, ParseError> {
        if self.peek() == Some(&Tok::LParen) {
            self.open()?;
            let c = self.comp_or()?;
            self.expect(&Tok::RParen, "AND, OR or ')'")?;
            self.depth -= 1;
            return Ok(c);
        }
        let exists_negated = self.keyword("NOT");
        if self.keyword("EXISTS") {
            return Ok(Comparison::Test(Test::Exists { path: self.path()?, negated: exists_negated }));
        }
        if exists_negated {
            return Err(self.unexpected("EXISTS"));
        }
        let path = self.path()?;
        let negated = self.keyword("NOT");
        let at = self.offset();
        let op = match self.next() {
            Some(Tok::Op("=")) => CompOp::Eq,
            Some(Tok::Op("!=")) => CompOp::Neq,
            Some(Tok::Op("<")) => CompOp::Lt,
            Some(Tok::Op("<=")) => CompOp::Le,
            Some(Tok::Op(">")) => CompOp::Gt,
            Some(Tok::Op(">=")) => CompOp::Ge,
            Some(Tok::Keyword("LIKE")) => CompOp::Like,
            Some(Tok::Keyword("MATCHES")) => CompOp::Matches,
            Some(Tok::Keyword("ISSUBSET")) => CompOp::IsSubset,
            Some(Tok::Keyword("ISSUPERSET")) => CompOp::IsSuperset,
            Some(Tok::Keyword("IN")) => return Ok(Comparison::Test(Test::In { path, negated, values: self.set()? })),
            _ => {
                self.pos -= 1;
                return Err(ParseError {
                    offset: at,
                    message: self.unexpected("a comparison operator (= != < <= > >= IN LIKE MATCHES ISSUBSET ISSUPERSET)").message,
                });
            }
        };
        let at = self.offset();
        let value = self.literal()?;
        let fits = match op {
            CompOp::Like | CompOp::Matches | CompOp::IsSubset | CompOp::IsSuperset => matches!(value, Literal::String(_)),
            CompOp::Lt | CompOp::Le | CompOp::Gt | CompOp::Ge => !matches!(value, Literal::Bool(_)),
            CompOp::Eq | CompOp::Neq => true,
        };
        if !fits {
            return Err(ParseError {
                offset: at,
                message: format!(
                    "{} takes {}",
                    op.as_str(),
                    if matches!(op, CompOp::Lt | CompOp::Le | CompOp::Gt | CompOp::Ge) { "an orderable literal, not a boolean" } else { "a string" }
                ),
            });
        }
        Ok(Comparison::Test(Test::Compare { path, negated, op, value }))
    }

    fn set(&mut self) -> Result<Vec<Literal>, ParseError> {
        self.expect(&Tok::LParen, "'(' starting a set")?;
        let mut values = Vec::new();
        if self.peek() == Some(&Tok::RParen) {
            self.pos += 1;
            return Ok(values);
        }
        loop {
            values.push(self.literal()?);
            match self.next() {
                Some(Tok::Comma) => continue,
                Some(Tok::RParen) => return Ok(values),
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected("',' or ')'"));
                }
            }
        }
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        let lit = match self.peek() {
            Some(Tok::Int(n)) => Literal::Int(*n),
            Some(Tok::Float(f)) => Literal::Float(*f),
            Some(Tok::Str(s)) => Literal::String(s.clone()),
            Some(Tok::Bool(b)) => Literal::Bool(*b),
            Some(Tok::Hex(h)) => Literal::Hex(h.clone()),
            Some(Tok::Binary(b)) => Literal::Binary(b.clone()),
            Some(Tok::Timestamp(t)) => Literal::Timestamp(t.clone()),
            _ => return Err(self.unexpected("a literal")),
        };
        self.pos += 1;
        Ok(lit)
    }

    fn path(&mut self) -> Result<ObjectPath, ParseError> {
        let object_type = match self.next() {
            Some(Tok::Ident(t)) => t,
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("an object type such as file or ipv4-addr"));
            }
        };
        self.expect(&Tok::Colon, "':' after the object type")?;
        let mut steps = vec![self.key("a property name")?];
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    steps.push(self.key("a property name after '.'")?);
                }
                Some(Tok::LBracket) => {
                    self.pos += 1;
                    let at = self.offset();
                    let step = match self.next() {
                        Some(Tok::Int(n)) => PathStep::Index(n),
                        Some(Tok::Star) => PathStep::AnyIndex,
                        _ => return Err(ParseError { offset: at, message: "a list index is a whole number or '*'".into() }),
                    };
                    self.expect(&Tok::RBracket, "']' closing the index")?;
                    steps.push(step);
                }
                _ => return Ok(ObjectPath { object_type, steps }),
            }
        }
    }

    fn key(&mut self, expected: &str) -> Result<PathStep, ParseError> {
        match self.peek() {
            Some(Tok::Ident(k)) if !k.contains('-') => {
                let k = k.clone();
                self.pos += 1;
                Ok(PathStep::Key(k))
            }
            Some(Tok::Str(k)) => {
                let k = k.clone();
                self.pos += 1;
                Ok(PathStep::Key(k))
            }
            _ => Err(self.unexpected(&format!("{expected} (quote names with '-' or spaces: 'SHA-256')"))),
        }
    }
}
