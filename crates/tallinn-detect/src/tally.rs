//! Matching events and counting: per indicator, how many events matched it
//! and when the first and last of them happened; turned into STIX
//! sightings at the end.

use serde_json::{Value, json};
use tallinn_stix::matcher::json::Map;
use tallinn_stix::matcher::{Bump, Observations};
use tallinn_stix::pattern::StixVersion;

use crate::event::Event;
use crate::indicators::{Detector, Indicator};
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

/// The counts of one worker (or of a whole run, once merged).
#[derive(Debug, Clone)]
pub struct Tally {
    pub hits: Vec<Hits>,
    pub events: u64,
    pub matches: u64,
}

impl Tally {
    pub fn new(indicators: usize) -> Self {
        Tally { hits: vec![Hits::default(); indicators], events: 0, matches: 0 }
    }

    /// Matches one event against every indicator; an event counts once per
    /// indicator it matches.
    pub fn add(&mut self, detector: &Detector, event: Event<'_>, arena: &Bump) {
        self.events += 1;
        let sdo: &Map<'_> = arena.alloc(Map::default());
        let at = event.at;
        let observations = Observations::single(StixVersion::V21, sdo, at, at, 1, event.objects);
        for (i, result) in detector.set.matching(&observations) {
            if result.is_ok() {
                self.hits[i].add(at);
                self.matches += 1;
            }
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        for (a, b) in self.hits.iter_mut().zip(&other.hits) {
            a.merge(b);
        }
        self.events += other.events;
        self.matches += other.matches;
    }

    /// The indicators that matched, with their counts, in the order the
    /// indicators were given.
    pub fn sighted<'d>(&'d self, detector: &'d Detector) -> impl Iterator<Item = (&'d Indicator, &'d Hits)> {
        detector.indicators.iter().zip(&self.hits).filter(|(_, h)| h.count > 0)
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
/// count and the first and last events' times, with the markings of
/// [`sighting_markings`]. Its id is derived from the indicator, the
/// sighting organisation and the days of the first and last events, and it
/// is dated by its last event, so counting the same events again gives the
/// same object (stored again, it is already held).
pub fn sighting(indicator: &Indicator, hits: &Hits, sighted_by: &str, poster: Option<Poster<'_>>) -> Value {
    let day = |t: i64| t.div_euclid(86_400_000_000);
    let key = format!("{}|{sighted_by}|{}|{}", indicator.id, day(hits.first), day(hits.last));
    let mut s = json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": format!("sighting--{}", uuid::Uuid::new_v5(&NAMESPACE, key.as_bytes())),
        "created": time(hits.last),
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
