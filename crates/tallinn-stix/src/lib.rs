//! STIX 2.1 for Tallinn, free of I/O: objects kept verbatim and validated
//! (`object`), typed per type (`model`), and the patterning language (STIX 2.1 §9, grammar `STIXPattern.g4`): an AST, a parser with
//! errors that give the position and what was expected, and a printer such
//! that parsing the printed form gives the same AST.

pub mod exchange;
pub mod marking;
pub mod matcher;
pub mod model;
pub mod object;
pub mod pattern;
pub mod strict_json;
pub mod timestamp;
