//! STIX 2.1 for Tallinn, free of I/O: objects kept verbatim and validated
//! (`object`), typed per type (`model`), and the patterning language (STIX 2.1 §9, grammar `STIXPattern.g4`): an AST, a parser with
//! errors that give the position and what was expected, and a printer such
//! that parsing the printed form gives the same AST.
//!
//! # Modules
//!
//! STIX 2.1, no I/O. `object`: objects kept as JSON values (every property, custom ones included,
//! verbatim) and validated with per-property messages. `model`: the object model — every SDO, SCO,
//! SRO and meta type of STIX 2.1 declared once (one macro table: type name, category, each property
//! and its kind), giving `Object` (the received JSON, serde-transparent, common properties typed),
//! a typed view per type (`Object::typed()` → `Typed::Indicator(view)`, `view.valid_from() ->
//! Option<Timestamp>`…; views read the JSON on demand, so nothing is dropped or rewritten) and the
//! kinds that validation checks (`mistyped`). `object` and the matcher take the categories from it.
//! `marking`: the official TLP 2.0 and TLP 1.0 marking definitions and what a definition states
//! (`MarkingKind`: a TLP level, or no audience for statements and PAP). `strict_json`: serde_json
//! that refuses repeated keys, for every object that enters. `timestamp`: `StixTime`, a STIX
//! timestamp exactly as written (any precision, years to 9999). `exchange`: what the threat
//! exchange indexes about the objects of one envelope (`describe_envelope`: id, type, spec_version,
//! created/modified, TLP, and the `x_tallinn_share_orgs` / `x_tallinn_share_users` audience), after
//! validating each and resolving its markings — unknown markings refuse the object, granular
//! markings count, unmarked objects inherit from what references them (ADR 0011). `pattern`: the
//! AST, a lexer and a recursive-descent parser for `STIXPattern.g4` (precedence AND > OR >
//! FOLLOWEDBY, qualifiers postfix; errors with byte offset and what was expected), and a printer
//! with minimal parentheses such that parse ∘ print ∘ parse = parse (`parse_version` takes 2.0's
//! `START '…' STOP '…'`). A run of one operator is one node with its operands, so trees are as deep
//! as their parentheses, which the parser bounds (`MAX_NESTING`, ADR 0011). `matcher`: the
//! reference matcher's semantics (`stix2-matcher` 3.0.0) with the divergences listed in its module
//! docs. `json` is the input it reads: a JSON tree held in an arena (`bumpalo`, re-exported as
//! `matcher::Bump`), whose strings borrow from the text it was parsed from and whose objects are
//! short lists (a `serde_json::Value` converts without copying strings), so a caller resets one
//! arena per line instead of freeing a tree; `json::read` parses text into it in one pass (strings
//! scanned sixteen bytes at a time with `wide`'s portable vectors; the same language, values and
//! error words as serde_json, held to it by property tests and the `json_read` fuzz target) (ADR
//! 0010). `observations` reads 2.1 bundles or 2.0 observed-data into observations (interval,
//! `number_observed`, objects by reference key); `value` is the comparison table (kinds that
//! compare, timestamps, binary/string, CIDR blocks of both families); `compare` compiles and
//! evaluates one `[…]` on each root object (paths, `*_ref(s)` dereferencing, NFC for LIKE/MATCHES,
//! linear-time regular expressions on the lazy DFA, each expression compiled once per thread and
//! shared by the patterns that use it, in a cache bounded in count and bytes); `plan` turns the
//! observation expressions into a DAG of leaves (distinct comparisons) and operators, equal AND
//! operands becoming one REPEATS; `search` finds the first binding by a depth-first search that
//! counts instances instead of listing them, keeps time bounds per open scope, binds REPEATS copies
//! in order, and after every choice checks by a bipartite flow that what must still be bound can be
//! (so an impossible pattern fails early instead of enumerating N! or C(n, k) bindings, as the
//! reference does); `set` indexes many patterns by the values, CIDR blocks (keyed by the masked
//! block, looked up under each prefix length in use), literals (a LIKE pattern's longest plain run,
//! a regular expression's prefix literals as regex-syntax extracts them; all of a path's in one
//! Aho-Corasick automaton, searched in the NFC text the test reads) or object types they need, for
//! streams; a pattern that is one `=`, `IN` or `ISSUBSET`-a-block comparison on a plain path is
//! answered from the hit itself, without running the matcher (its `Proof` says when a hit proves
//! the matcher's own answer; a property test holds it to that), and an index list carries each
//! pattern's version and proof so that a hit is answered without reading the pattern.

pub mod exchange;
pub mod marking;
pub mod matcher;
pub mod model;
pub mod object;
pub mod pattern;
pub mod strict_json;
pub mod timestamp;
