//! Matching events and counting: per indicator, how many events matched it
//! and when the first and last of them happened; turned into STIX
//! sightings at the end.

use std::collections::HashMap;

use serde_json::{Value, json};
use tallinn_stix::matcher::json::Map;
use tallinn_stix::matcher::{Bump, Observations};
use tallinn_stix::pattern::StixVersion;

use crate::event::Event;
use crate::formats::{Format, Skip};
use crate::indicators::{Detector, Indicator, Role};
use tallinn_core::policy::Tlp;

/// Per indicator: events that matched it, first and last time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hits {
    pub count: u64,
    pub first: i64,
    pub last: i64,
}

impl Hits {
    fn add(&mut self, at: i64) {
        if self.count == 0 {
            (self.first, self.last) = (at, at);
        } else {
            self.first = self.first.min(at);
            self.last = self.last.max(at);
        }
        self.count += 1;
    }

    fn merge(&mut self, other: &Hits) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
        } else {
            self.count += other.count;
            self.first = self.first.min(other.first);
            self.last = self.last.max(other.last);
        }
    }
}

/// The UTC day of a time (microseconds since the epoch), as days since the epoch.
pub fn day(micros: i64) -> i64 {
    micros.div_euclid(86_400_000_000)
}

/// The counts of one worker (or of a whole run, once merged).
#[derive(Debug, Clone)]
pub struct Tally {
    /// Per indicator, over the whole run.
    pub hits: Vec<Hits>,
    /// Per indicator and UTC day of the events: what sightings are made of.
    pub days: HashMap<(u32, i64), Hits>,
    pub events: u64,
    /// (event, indicator) pairs counted.
    pub matches: u64,
    /// The events that matched a part of a compound indicator, in the order
    /// they were added, for the [`crate::Correlator`]: the caller takes them.
    pub parts: Vec<Part>,
}

/// An event that matched observation expressions of compound indicators:
/// when it happened, its observables (as a JSON object of the keys their
/// references use), and the (compound, observation expression) pairs it
/// matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub at: i64,
    pub objects: String,
    pub matched: Vec<(u32, u32)>,
}

impl Tally {
    pub fn new(indicators: usize) -> Self {
        Tally { hits: vec![Hits::default(); indicators], days: HashMap::new(), events: 0, matches: 0, parts: Vec::new() }
    }

    /// Reads one log line of `format` and matches it: an event is counted
    /// (and matched, unless the detector's screen lets the line go
    /// unread); a line that gives none says why. `arena` holds what the
    /// line is read into: the caller resets it.
    pub fn line(&mut self, detector: &Detector, line: &str, format: Format, arena: &Bump) -> Result<(), Skip> {
        if detector.screen().is_some_and(|s| s.lets_go(line, format, arena)) {
            self.events += 1;
            return Ok(());
        }
        let event = crate::formats::read(line, format, arena)?;
        self.add(detector, event, arena);
        Ok(())
    }

    /// Matches one event against every indicator; an event counts once per
    /// indicator it matches. An event matching a part of a compound
    /// indicator is kept in `parts`.
    pub fn add(&mut self, detector: &Detector, event: Event<'_>, arena: &Bump) {
        self.events += 1;
        let sdo: &Map<'_> = arena.alloc(Map::default());
        let at = event.at;
        let observations = Observations::single(StixVersion::V21, sdo, at, at, 1, event.objects);
        let mut matched: Vec<(u32, u32)> = Vec::new();
        for (i, result) in detector.set.matching(&observations) {
            if result.is_err() {
                continue;
            }
            match detector.roles[i] {
                Role::Whole(indicator) => self.count(indicator, at),
                Role::Part(compound, leaf) => matched.push((compound, leaf)),
            }
        }
        if !matched.is_empty() {
            self.parts.push(Part { at, objects: observations.objects_json(0), matched });
        }
    }

    /// Counts an event of a compound indicator's match.
    pub(crate) fn count(&mut self, indicator: u32, at: i64) {
        self.hits[indicator as usize].add(at);
        self.days.entry((indicator, day(at))).or_default().add(at);
        self.matches += 1;
    }

    pub fn merge(&mut self, other: &Tally) {
        for (a, b) in self.hits.iter_mut().zip(&other.hits) {
            a.merge(b);
        }
        for (key, hits) in &other.days {
            self.days.entry(*key).or_default().merge(hits);
        }
        self.events += other.events;
        self.matches += other.matches;
    }

    /// The sightings to make: per indicator that matched, per UTC day of
    /// its events, the counts; by indicator (in the order given), then day.
    pub fn sighted<'d>(&'d self, detector: &'d Detector) -> impl Iterator<Item = (&'d Indicator, &'d Hits)> {
        let mut keys: Vec<&(u32, i64)> = self.days.keys().collect();
        keys.sort_unstable();
        keys.into_iter().filter_map(move |k| Some((detector.indicators.get(k.0 as usize)?, self.days.get(k)?)))
    }

    /// The sightings whose counts changed since `written` (what was last
    /// written of each), which is brought up to date.
    pub fn changed<'d>(&'d self, detector: &'d Detector, written: &mut HashMap<(u32, i64), Hits>) -> Vec<(&'d Indicator, Hits)> {
        let mut keys: Vec<&(u32, i64)> = self.days.iter().filter(|(k, h)| written.get(k) != Some(h)).map(|(k, _)| k).collect();
        keys.sort_unstable();
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let (Some(indicator), Some(hits)) = (detector.indicators.get(k.0 as usize), self.days.get(k)) else { continue };
            written.insert(*k, *hits);
            out.push((indicator, *hits));
        }
        out
    }
}

/// Tallinn's namespace for the ids it derives (UUID version 5).
const NAMESPACE: uuid::Uuid = uuid::uuid!("6f7f3c1e-5a52-4d0e-9d3b-2b1f0a7c9e41");

/// The STIX identity of a participant: the same id wherever it is derived.
pub fn identity_id(participant: &str) -> String {
    format!("identity--{}", uuid::Uuid::new_v5(&NAMESPACE, format!("participant:{participant}").as_bytes()))
}

fn time(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros).map(|t| format!("{t:.6}")).unwrap_or_default()
}

/// Who stores a sighting in a collection (`tallinn detect --post`): the
/// organisation that sighted and the user that posts.
#[derive(Debug, Clone, Copy)]
pub struct Poster<'a> {
    pub org: &'a str,
    pub user: &'a str,
}

/// The markings of a sighting: the indicator's, so that it is never less
/// confidential; and, when it is stored where others read, RED for the
/// posting user alone whenever the indicator's audience might not include
/// the whole sighting organisation (AMBER not addressed to it, AMBER+STRICT,
/// RED, or a marking defined elsewhere), so that nobody reads a sighting of
/// an indicator they may not read. Returns the marking ids and the users
/// the sighting is shared with.
pub fn sighting_markings(indicator: &Indicator, poster: Option<Poster<'_>>) -> (Vec<String>, Vec<String>) {
    let Some(p) = poster else { return (indicator.markings.clone(), Vec::new()) };
    let own = indicator.created_by.as_deref() == Some(identity_id(p.org).as_str());
    let known = indicator.markings.iter().all(|m| tallinn_stix::marking::tlp_of_marking_id(m).is_some());
    let whole_org_reads = known
        && match indicator.tlp {
            None | Some(Tlp::Clear | Tlp::Green) => true,
            Some(Tlp::Amber) => own || indicator.share_orgs.iter().any(|o| o == p.org),
            Some(Tlp::AmberStrict | Tlp::Red) => false,
        };
    if whole_org_reads {
        (indicator.markings.clone(), Vec::new())
    } else {
        let red = tallinn_stix::marking::TLP_2.iter().find(|(t, _, _)| *t == Tlp::Red).map(|(_, id, _)| id.to_string()).unwrap_or_default();
        (vec![red], vec![p.user.to_string()])
    }
}

/// A STIX 2.1 sighting of `indicator` by `sighted_by` (an identity id): its
/// count and the first and last events' times (of one UTC day, as
/// [`Tally::sighted`] gives them), with the markings of
/// [`sighting_markings`]. Its id is derived from the indicator, the
/// sighting organisation and the day; it is created at the start of the
/// day and modified at its last event, so counting the same events again gives the same object (stored again,
/// it is already held), and a day's sighting that grows (`--follow`) is a
/// newer version of one object. Days never overlap: counts add up.
///
/// `worker` names the counting process when several share a stream (NATS):
/// each then makes its own objects, whose counts add up, instead of
/// versions of one object that would replace each other's counts.
pub fn sighting(indicator: &Indicator, hits: &Hits, sighted_by: &str, poster: Option<Poster<'_>>, worker: Option<&str>) -> Value {
    let mut key = format!("{}|{sighted_by}|{}|{}", indicator.id, day(hits.first), day(hits.last));
    if let Some(w) = worker {
        key.push('|');
        key.push_str(w);
    }
    let mut s = json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": format!("sighting--{}", uuid::Uuid::new_v5(&NAMESPACE, key.as_bytes())),
        // Every version of a day's sighting has the same `created`: the day.
        "created": time(day(hits.first) * 86_400_000_000),
        "modified": time(hits.last),
        "created_by_ref": sighted_by,
        "sighting_of_ref": indicator.id,
        "count": hits.count.min(999_999_999),
        "first_seen": time(hits.first),
        "last_seen": time(hits.last),
        "where_sighted_refs": [sighted_by],
    });
    let (markings, users) = sighting_markings(indicator, poster);
    if !markings.is_empty() {
        s["object_marking_refs"] = json!(markings);
    }
    if !users.is_empty() {
        s["x_tallinn_share_users"] = json!(users);
    }
    s
}
