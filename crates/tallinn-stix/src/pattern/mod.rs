//! The STIX patterning language.

mod ast;
mod lexer;
mod parser;
mod printer;

pub use ast::{CompOp, Comparison, Literal, ObjectPath, Observation, PathStep, Pattern, Qualifier, Test};
pub use parser::{ParseError, parse};
