//! Time: instants are `jiff::Timestamp` (UTC), calendar days are
//! `jiff::civil::Date`. Stores keep instants as integer microseconds since the
//! Unix epoch (see docs/adr/0001-time.md).

use jiff::{SignedDuration, Timestamp};

/// Microseconds since the Unix epoch, the stored form of an instant.
pub fn to_micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// The instant for stored microseconds; out-of-range values (a corrupted
/// row) are clamped rather than panicking.
pub fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(if us < 0 { Timestamp::MIN } else { Timestamp::MAX })
}

/// `days` whole days after `t`.
pub fn plus_days(t: Timestamp, days: i64) -> Timestamp {
    t.saturating_add(SignedDuration::from_hours(24 * days)).unwrap_or(Timestamp::MAX)
}

/// The UTC calendar day of an instant.
pub fn utc_date(t: Timestamp) -> jiff::civil::Date {
    t.to_zoned(jiff::tz::TimeZone::UTC).date()
}
