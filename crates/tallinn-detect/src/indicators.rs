//! Indicators to detect: read from STIX (a bundle, a list of objects, or one
//! object or bundle per line), compiled into one index.

use std::sync::OnceLock;

use serde_json::Value;
use tallinn_core::policy::Tlp;
use tallinn_stix::matcher::{Matcher, PatternSet};
use tallinn_stix::pattern::StixVersion;

use crate::screen::LineScreen;

/// An indicator as detection needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: String,
    /// Its `object_marking_refs`: a sighting of it carries the same.
    pub markings: Vec<String>,
    /// The strictest TLP level among them (official definitions only);
    /// `None` when it carries none, or only markings defined elsewhere.
    pub tlp: Option<Tlp>,
    /// `x_tallinn_share_orgs`: the organisations an AMBER indicator admits.
    pub share_orgs: Vec<String>,
    /// `created_by_ref`.
    pub created_by: Option<String>,
    /// `valid_until`, microseconds since the epoch.
    pub valid_until: Option<i64>,
}

/// Why an indicator was not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Its pattern does not parse, or is not a STIX pattern.
    Pattern { id: String, reason: String },
    /// Its `valid_until` has passed.
    Expired { id: String },
}

/// Reads indicators from any number of sources as they come, compiling
/// each at once: what is held is the compiled index and, while a source is
/// read, one object (never a whole bundle's values).
#[derive(Debug)]
pub struct Loader {
    now: i64,
    pub detector: Detector,
    /// Objects of other types, ignored.
    pub other_objects: usize,
    pub refused: Vec<Refusal>,
}

impl Loader {
    /// A loader for indicators valid at `now` (microseconds since the epoch).
    pub fn new(now: i64) -> Self {
        Loader { now, detector: Detector::default(), other_objects: 0, refused: Vec::new() }
    }

    /// One STIX object: compiled if it is an indicator that can be detected.
    pub fn object(&mut self, object: Value) {
        self.take(indicator(&object, self.now));
    }

    /// What [`indicator`] made of an object: compiled into the index, or
    /// counted.
    fn take(&mut self, read: Read) {
        match read {
            Ok(None) => self.other_objects += 1,
            Ok(Some((ind, pattern))) => {
                if let Err(r) = self.detector.add(ind, &pattern) {
                    self.refused.push(r);
                }
            }
            Err(r) => self.refused.push(r),
        }
    }

    /// The objects of `text`: a bundle, a list, one object, or JSON lines
    /// of any of these. An error stops the reading where it is (the source
    /// is then to be refused whole: its objects before the error are kept).
    ///
    /// A large text is read in two stages on two threads: one parses the
    /// JSON and picks each indicator's fields, the other compiles the
    /// patterns into the index as they come, in order.
    pub fn read(&mut self, text: &str) -> Result<(), String> {
        self.read_staged(text, TWO_STAGES_FROM)
    }

    /// [`Loader::read`], in two stages when `text` has at least
    /// `two_stages_from` bytes.
    pub fn read_staged(&mut self, text: &str, two_stages_from: usize) -> Result<(), String> {
        if text.len() < two_stages_from {
            return each_object(text, &mut |o| self.object(o));
        }
        let now = self.now;
        let (sender, parsed) = std::sync::mpsc::sync_channel::<Vec<Read>>(BATCHES_AHEAD);
        std::thread::scope(|scope| {
            // The parsing stage also picks each object's fields, so that an
            // object is freed by the thread that allocated it.
            let parser = scope.spawn(move || {
                let mut batch = Vec::with_capacity(BATCH);
                let result = each_object(text, &mut |o| {
                    batch.push(indicator(&o, now));
                    if batch.len() == BATCH {
                        // The compiling side only stops early by ending the
                        // scope, after this thread: a send cannot fail here.
                        let _ = sender.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                    }
                });
                if !batch.is_empty() {
                    let _ = sender.send(batch);
                }
                result
            });
            for batch in parsed {
                batch.into_iter().for_each(|read| self.take(read));
            }
            parser.join().unwrap_or_else(|_| Err("reading the indicators stopped".into()))
        })
    }
}

/// An object as the compiling stage receives it: an indicator with its
/// pattern, another kind of object (`None`), or a refusal.
type Read = Result<Option<(Indicator, String)>, Refusal>;

/// Texts from this size on are read in two stages (smaller ones are read
/// before a thread would start).
const TWO_STAGES_FROM: usize = 1 << 20;
/// Objects handed from the parsing stage to the compiling one at a time.
const BATCH: usize = 512;
/// Batches parsed ahead of the compiling stage, at most.
const BATCHES_AHEAD: usize = 8;

/// Hands each object of `text` (see [`Loader::read`]) to `each`, in order.
fn each_object(text: &str, each: &mut dyn FnMut(Value)) -> Result<(), String> {
    if is_json_lines(text) {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .try_for_each(|(n, line)| tallinn_stix::strict_json::for_each_object(line, &mut *each).map_err(|e| format!("line {}: {e}", n + 1)))
    } else {
        tallinn_stix::strict_json::for_each_object(text, each).map_err(|e| e.to_string())
    }
}

/// Whether `text` is JSON lines: more than one line holding a value, the
/// first of them a whole value by itself (a document spread over lines
/// starts with a line that is not).
fn is_json_lines(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let (Some(first), Some(_)) = (lines.next(), lines.next()) else { return false };
    serde_json::from_str::<serde::de::IgnoredAny>(first).is_ok()
}

/// What reading a list of objects found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Each with its pattern as written.
    pub indicators: Vec<(Indicator, String)>,
    /// Objects of other types, ignored.
    pub other_objects: usize,
    pub refused: Vec<Refusal>,
}

/// The indicators among `objects` that can be detected `now` (microseconds
/// since the epoch), not yet compiled.
pub fn load(objects: Vec<Value>, now: i64) -> Loaded {
    let mut loaded = Loaded::default();
    for o in objects {
        match indicator(&o, now) {
            Ok(None) => loaded.other_objects += 1,
            Ok(Some(ind)) => loaded.indicators.push(ind),
            Err(r) => loaded.refused.push(r),
        }
    }
    loaded
}

/// `o` as an indicator to detect, with its pattern; `None` if it is not an
/// indicator, why not if it cannot be detected `now`.
fn indicator(o: &Value, now: i64) -> Result<Option<(Indicator, String)>, Refusal> {
    if o.get("type").and_then(Value::as_str) != Some("indicator") {
        return Ok(None);
    }
    let id = o.get("id").and_then(Value::as_str).unwrap_or("indicator without id").to_string();
    let pattern_type = o.get("pattern_type").and_then(Value::as_str).unwrap_or("stix");
    let Some(pattern) = o.get("pattern").and_then(Value::as_str).filter(|_| pattern_type == "stix") else {
        return Err(Refusal::Pattern { id, reason: format!("not a STIX pattern (pattern_type {pattern_type})") });
    };
    let valid_until = o.get("valid_until").and_then(Value::as_str).and_then(crate::formats::timestamp);
    if valid_until.is_some_and(|t| t <= now) {
        return Err(Refusal::Expired { id });
    }
    let strings = |key: &str| -> Vec<String> {
        o.get(key).and_then(Value::as_array).map(|m| m.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
    };
    let indicator = Indicator {
        id,
        markings: strings("object_marking_refs"),
        tlp: o.as_object().and_then(|obj| tallinn_stix::marking::object_tlp(obj, &|_| None)),
        share_orgs: strings("x_tallinn_share_orgs"),
        created_by: o.get("created_by_ref").and_then(Value::as_str).map(str::to_string),
        valid_until,
    };
    Ok(Some((indicator, pattern.to_string())))
}

/// Indicators compiled into one index.
///
/// An indicator whose pattern one event can satisfy is matched on each
/// event as a whole. A compound one (observation expressions joined by
/// `AND` or `FOLLOWEDBY`, or repeated) is matched in two steps: each of its
/// observation expressions is in the index as a part, and the events that
/// match a part are kept in the indicator's window, where the whole
/// pattern is matched across them ([`crate::Correlator`]).
#[derive(Debug, Default)]
pub struct Detector {
    pub(crate) set: PatternSet,
    /// What each pattern of `set` stands for, by its index there.
    pub(crate) roles: Vec<Role>,
    pub(crate) compounds: Vec<Compound>,
    pub indicators: Vec<Indicator>,
    /// The screen of `set`, made when first needed after a change.
    screen: OnceLock<Option<LineScreen>>,
}

/// What a pattern in the index stands for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role {
    /// An indicator (its index), matched by one event.
    Whole(u32),
    /// An observation expression of a compound indicator: the compound's
    /// index, and the expression's place among its
    /// (`Matcher::observation_expressions`).
    Part(u32, u32),
}

/// A compound indicator: its whole pattern, matched across the events of its window.
#[derive(Debug)]
pub(crate) struct Compound {
    pub(crate) indicator: u32,
    pub(crate) matcher: Matcher,
}

impl Detector {
    /// Compiles `indicators` (patterns read as STIX 2.1's language, which
    /// 2.0 patterns are, but for their timestamp literals); those that do
    /// not compile are returned with why.
    pub fn new(indicators: Vec<(Indicator, String)>) -> (Detector, Vec<Refusal>) {
        let mut d = Detector::default();
        let mut refused = Vec::new();
        for (ind, pattern) in indicators {
            if let Err(r) = d.add(ind, &pattern) {
                refused.push(r);
            }
        }
        (d, refused)
    }

    /// Compiles one more indicator, of this pattern; why not, if it cannot be.
    pub fn add(&mut self, ind: Indicator, pattern: &str) -> Result<(), Refusal> {
        let refusal = |e: tallinn_stix::matcher::CompileError| Refusal::Pattern { id: ind.id.clone(), reason: e.to_string() };
        let m = Matcher::compile(pattern, StixVersion::V21).map_err(refusal)?;
        let index = self.indicators.len() as u32;
        if m.spans_observations() {
            let parts = Matcher::observation_expressions(pattern, StixVersion::V21).map_err(refusal)?;
            let compound = self.compounds.len() as u32;
            for (leaf, part) in parts.into_iter().enumerate() {
                self.set.add(part);
                self.roles.push(Role::Part(compound, leaf as u32));
            }
            self.compounds.push(Compound { indicator: index, matcher: m });
        } else {
            self.set.add(m);
            self.roles.push(Role::Whole(index));
        }
        self.indicators.push(ind);
        self.screen = OnceLock::new();
        Ok(())
    }

    /// The screen that lets lines go unread (`crate::screen`); `None` when
    /// some indicator leaves none (one anchored on an object type alone).
    pub fn screen(&self) -> Option<&LineScreen> {
        self.screen.get_or_init(|| self.set.screen().map(LineScreen::new)).as_ref()
    }

    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }

    /// Whether some indicator is compound (events must then also be
    /// correlated, in the order they happened to arrive).
    pub fn has_compounds(&self) -> bool {
        !self.compounds.is_empty()
    }
}
