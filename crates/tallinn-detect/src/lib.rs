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
//! Each event is one observation: patterns of several observation
//! expressions joined by `AND` or `FOLLOWEDBY` (which need two events, or a
//! time window across events) do not match yet.

pub mod event;
pub mod formats;
pub mod indicators;
pub mod tally;

pub use event::Event;
pub use formats::{Format, Skip};
pub use indicators::{Detector, Indicator, Loaded, Refusal};
pub use tally::{Hits, Poster, Tally, identity_id, sighting, sighting_markings};
