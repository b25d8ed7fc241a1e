//! A recursive-descent parser for `STIXPattern.g4`. Precedence, loosest
//! first: FOLLOWEDBY, OR, AND between observations; qualifiers bind to the
//! observation (or parenthesised group) before them; OR, AND inside
//! brackets. All binary operators associate to the left.

use super::StixVersion;
use super::ast::{CompOp, Comparison, Literal, ObjectPath, Observation, PathStep, Pattern, Qualifier, Test};
use super::lexer::{Tok, tokens};

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
    let mut p = Parser { toks, pos: 0, end: src.len(), version };
    let pattern = p.followed_by()?;
    if p.pos < p.toks.len() {
        return Err(p.unexpected("AND, OR, FOLLOWEDBY, a qualifier or the end"));
    }
    Ok(pattern)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
    version: StixVersion,
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

    fn followed_by(&mut self) -> Result<Pattern, ParseError> {
        let mut left = self.obs_or()?;
        while self.keyword("FOLLOWEDBY") {
            left = Pattern::FollowedBy(Box::new(left), Box::new(self.obs_or()?));
        }
        Ok(left)
    }

    fn obs_or(&mut self) -> Result<Pattern, ParseError> {
        let mut left = self.obs_and()?;
        while self.keyword("OR") {
            left = Pattern::Or(Box::new(left), Box::new(self.obs_and()?));
        }
        Ok(left)
    }

    fn obs_and(&mut self) -> Result<Pattern, ParseError> {
        let mut left = self.obs_qualified()?;
        while self.keyword("AND") {
            left = Pattern::And(Box::new(left), Box::new(self.obs_qualified()?));
        }
        Ok(left)
    }

    fn obs_qualified(&mut self) -> Result<Pattern, ParseError> {
        let mut inner = match self.peek() {
            Some(Tok::LBracket) => {
                self.pos += 1;
                let c = self.comp_or()?;
                self.expect(&Tok::RBracket, "AND, OR or ']'")?;
                Pattern::Observation(Observation(c))
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                let p = self.followed_by()?;
                self.expect(&Tok::RParen, "AND, OR, FOLLOWEDBY, a qualifier or ')'")?;
                p
            }
            _ => return Err(self.unexpected("'[' or '('")),
        };
        while let Some(q) = self.qualifier()? {
            inner = Pattern::Qualified(Box::new(inner), q);
        }
        Ok(inner)
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
        let mut left = self.comp_and()?;
        while self.keyword("OR") {
            left = Comparison::Or(Box::new(left), Box::new(self.comp_and()?));
        }
        Ok(left)
    }

    fn comp_and(&mut self) -> Result<Comparison, ParseError> {
        let mut left = self.prop_test()?;
        while self.keyword("AND") {
            left = Comparison::And(Box::new(left), Box::new(self.prop_test()?));
        }
        Ok(left)
    }

    fn prop_test(&mut self) -> Result<Comparison, ParseError> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let c = self.comp_or()?;
            self.expect(&Tok::RParen, "AND, OR or ')'")?;
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
