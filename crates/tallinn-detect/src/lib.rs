//! Detection: the partners' own network logs matched against shared
//! indicators, giving STIX sightings. No I/O: the caller reads lines and
//! writes sightings (`tallinn detect` does, on every core).
//!
//! A line is read into an [`Event`] (`formats`: Suricata EVE, Zeek JSON,
//! Elastic Common Schema, STIX observed-data — each module's table says
//! which field becomes which STIX observable), the event is matched against
//! every indicator at once (`tallinn_stix::matcher::PatternSet`, the full
//! semantics of the patterning language over the event's observables), and
//! a [`Tally`] counts per indicator the events that matched and when; at
//! the end each indicator that matched gives one sighting ([`sighting`]).
//!
//! Each event is one observation. A compound indicator — observation
//! expressions joined by `AND` or `FOLLOWEDBY`, or repeated — is matched
//! across events: its parts are looked for in each event, and the events
//! that match one are kept in a bounded window where the whole pattern is
//! decided ([`Correlator`]; what counts is documented there).

pub mod correlate;
pub mod event;
pub mod formats;
pub mod indicators;
pub mod screen;
pub mod tally;

pub use correlate::Correlator;
pub use event::Event;
pub use formats::{Format, Skip};
pub use indicators::{Detector, Indicator, Loaded, Loader, Refusal};
pub use tally::{Hits, Part, Poster, Tally, day, identity_id, sighting, sighting_markings};
