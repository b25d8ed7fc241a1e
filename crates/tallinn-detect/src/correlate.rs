//! Compound indicators across events: each keeps a window of the recent
//! events that matched one of its observation expressions, and its whole
//! pattern is matched against that window whenever an event joins it.
//!
//! * **What counts.** When the pattern matches, the events of the binding
//!   found are counted (each once) and leave the window: an event takes part
//!   in at most one match of an indicator, so `count` is the number of
//!   events in its matches, and `first_seen`/`last_seen` theirs.
//! * **How long an event waits.** A pattern whose outermost qualifier is
//!   `WITHIN n SECONDS` keeps events n seconds (of their own time, behind
//!   the newest); any other keeps them the default window (`tallinn detect
//!   --window`, 24 hours). The STIX language sets no bound without `WITHIN`;
//!   state must have one.
//! * **How many.** At most twice the events one binding takes, and at
//!   least [`MIN_HELD`], at most [`MAX_HELD`]; beyond that the oldest
//!   leave. Memory is bounded by compounds × held events, whatever the logs.
//! * **Order.** Events join in the order they are fed; the pattern's own
//!   time rules (`FOLLOWEDBY`, `WITHIN`, `START`/`STOP`) use the events'
//!   times, so a window fed slightly out of order still decides rightly.

use std::collections::VecDeque;
use std::sync::Arc;

use tallinn_stix::matcher::json::Map;
use tallinn_stix::matcher::{Bump, Json, Matcher, Observations};
use tallinn_stix::pattern::StixVersion;

use crate::indicators::Detector;
use crate::tally::{Part, Tally};

/// Fewest events a compound's window holds before the oldest leave.
pub const MIN_HELD: usize = 64;
/// Most events a compound's window holds.
pub const MAX_HELD: usize = 1024;
/// The window of a pattern without an outer `WITHIN`: 24 hours.
pub const DEFAULT_WINDOW_SECONDS: u64 = 86_400;

/// The windows of a detector's compound indicators.
#[derive(Debug)]
pub struct Correlator {
    windows: Vec<VecDeque<Held>>,
    /// Microseconds.
    default_window: i64,
}

#[derive(Debug)]
struct Held {
    at: i64,
    objects: Arc<str>,
    /// The compound's observation expressions the event matched.
    leaves: Vec<u32>,
}

impl Correlator {
    /// Empty windows for `detector`'s compounds; `default_window` in seconds.
    pub fn new(detector: &Detector, default_window: u64) -> Self {
        let micros = i64::try_from(default_window.saturating_mul(1_000_000)).unwrap_or(i64::MAX);
        Correlator { windows: detector.compounds.iter().map(|_| VecDeque::new()).collect(), default_window: micros }
    }

    /// Events held in all windows.
    pub fn held(&self) -> usize {
        self.windows.iter().map(VecDeque::len).sum()
    }

    /// Adds the events in `parts` (in the order they arrived) to their
    /// compounds' windows, and counts in `tally` the events of every match.
    pub fn feed(&mut self, detector: &Detector, parts: Vec<Part>, tally: &mut Tally) {
        for mut part in parts {
            let objects: Arc<str> = part.objects.into();
            part.matched.sort_unstable();
            for group in part.matched.chunk_by(|a, b| a.0 == b.0) {
                let c = group[0].0 as usize;
                let Some(compound) = detector.compounds.get(c) else { continue };
                let window = &mut self.windows[c];
                let leaves = group.iter().map(|(_, leaf)| *leaf).collect();
                window.push_back(Held { at: part.at, objects: objects.clone(), leaves });
                let span = compound.matcher.within().unwrap_or(self.default_window);
                let newest = window.iter().map(|h| h.at).max().unwrap_or(part.at);
                window.retain(|h| h.at >= newest.saturating_sub(span));
                let cap = usize::try_from(compound.matcher.binding_size()).unwrap_or(MAX_HELD).saturating_mul(2).clamp(MIN_HELD, MAX_HELD);
                while window.len() > cap {
                    window.pop_front();
                }
                // Each match takes its events out, so this ends.
                while could_match(&compound.matcher, window)
                    && let Some(bound) = bind(&compound.matcher, window)
                    && !bound.is_empty()
                {
                    for &i in bound.iter().rev() {
                        if let Some(h) = window.remove(i) {
                            tally.count(compound.indicator, h.at);
                        }
                    }
                }
            }
        }
    }
}

/// Whether the window holds, for each observation expression every binding
/// requires, as many events as it requires: a cheap test that spares
/// matching a window that cannot match (the usual case while one part
/// keeps arriving and the other never does).
fn could_match(matcher: &Matcher, window: &VecDeque<Held>) -> bool {
    matcher.required().iter().all(|&(leaf, times)| window.iter().filter(|h| h.leaves.contains(&(leaf as u32))).count() as u64 >= times)
}

/// The events (indexes into `window`) of the first binding of `matcher`
/// over the window, if there is one.
fn bind(matcher: &Matcher, window: &VecDeque<Held>) -> Option<Vec<usize>> {
    let arena = Bump::new();
    let sdo: &Map<'_> = arena.alloc(Map::default());
    let mut list = Vec::with_capacity(window.len());
    for held in window {
        // The window holds what `Observations::objects_json` wrote: it reads.
        let json: &Json<'_> = arena.alloc(Json::parse(&held.objects, &arena).ok()?);
        let objects = json.as_object()?.iter().collect();
        list.push(Observations::single(StixVersion::V21, sdo, held.at, held.at, 1, objects));
    }
    let observations = Observations::concat(list, StixVersion::V21);
    matcher.matches(&observations).ok().flatten().map(|m| m.observations().to_vec())
}
