//! The log formats `tallinn detect` reads, one JSON object per line, and
//! which fields of each become which STIX observables. The table is
//! `docs/guide/detection.md`'s; each module's tests hold it to real lines
//! from the format's own documentation.

use tallinn_stix::matcher::json::Map;
use tallinn_stix::matcher::{Bump, Json};

use crate::event::{Builder, Event};

pub mod ecs;
pub mod stix;
pub mod suricata;
pub mod zeek;

/// A log format, or `Auto`: decided for each line by its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Auto,
    Suricata,
    Zeek,
    Ecs,
    Stix,
}

impl Format {
    pub const NAMES: &[&str] = &["auto", "suricata", "zeek", "ecs", "stix"];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Suricata => "suricata",
            Format::Zeek => "zeek",
            Format::Ecs => "ecs",
            Format::Stix => "stix",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Format::Auto, Format::Suricata, Format::Zeek, Format::Ecs, Format::Stix]
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a log format (expected one of {})", Format::NAMES.join(", ")))
    }
}

/// Why a line gave no event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Not JSON, or not a JSON object: counted and reported as malformed.
    Malformed(String),
    /// A well-formed line of a kind that holds no observable (Suricata's
    /// `stats`, a Zeek `packet_filter` line): counted, not reported.
    Empty,
}

/// Which format a line is in, from the fields only that format writes.
pub fn recognise(line: &Map<'_>) -> Option<Format> {
    if line.get("event_type").is_some() && line.get("timestamp").is_some() {
        Some(Format::Suricata)
    } else if line.get("@timestamp").is_some() || line.get("ecs").is_some() || line.get("ecs.version").is_some() {
        Some(Format::Ecs)
    } else if line.get("ts").is_some() {
        Some(Format::Zeek)
    } else if matches!(line.get("type").and_then(Json::as_str), Some("bundle" | "observed-data")) {
        Some(Format::Stix)
    } else {
        None
    }
}

/// Reads one line into an event, its observables in `arena`.
pub fn read<'a>(text: &'a str, format: Format, arena: &'a Bump) -> Result<Event<'a>, Skip> {
    let json = Json::parse(text, arena).map_err(|e| Skip::Malformed(format!("not JSON: {} at column {}", e.message(), e.column())))?;
    let Some(line) = json.as_object() else {
        return Err(Skip::Malformed("not a JSON object".into()));
    };
    let line: &'a Map<'a> = arena.alloc(*line);
    let format = match format {
        Format::Auto => recognise(line).ok_or_else(|| Skip::Malformed("not a Suricata, Zeek, ECS or STIX line".into()))?,
        f => f,
    };
    let mut b = Builder::new(arena);
    let at = match format {
        Format::Suricata => suricata::read(line, &mut b)?,
        Format::Zeek => zeek::read(line, &mut b)?,
        Format::Ecs => ecs::read(line, &mut b)?,
        Format::Stix | Format::Auto => stix::read(line, &mut b)?,
    };
    if b.is_empty() {
        return Err(Skip::Empty);
    }
    Ok(b.finish(at))
}

/// A format's reading of a line's time.
type TimeOf = fn(&Map<'_>) -> Result<i64, Skip>;

/// Whether a line whose top-level members are `line` (nested lists and
/// objects may be left empty: a glance) is surely an event of `format`:
/// recognised, with a readable time, and an address where the reader
/// looks for the flow's first — so that [`read`] gives an event, whatever
/// else the line holds. False when that cannot be told from these alone
/// (STIX lines, nested ECS fields): the line is then read.
pub fn surely_an_event(line: &Map<'_>, format: Format) -> bool {
    let format = match format {
        Format::Auto => recognise(line),
        f => Some(f),
    };
    let (time, addresses): (TimeOf, [&str; 2]) = match format {
        Some(Format::Suricata) => (suricata::time, suricata::ADDRESSES),
        Some(Format::Zeek) => (zeek::time, zeek::ADDRESSES),
        Some(Format::Ecs) => (ecs::time, ecs::ADDRESSES),
        Some(Format::Stix | Format::Auto) | None => return false,
    };
    time(line).is_ok() && addresses.iter().any(|field| text(line, field).is_some_and(crate::event::is_address))
}

/// A string property.
pub(crate) fn text<'a>(map: &Map<'a>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Json::as_str).filter(|s| !s.is_empty())
}

/// A non-negative integer property (ports, sizes).
pub(crate) fn number(map: &Map<'_>, key: &str) -> Option<u64> {
    match map.get(key)? {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A nested object.
pub(crate) fn object<'a>(map: &Map<'a>, key: &str) -> Option<&'a Map<'a>> {
    match map.get(key)? {
        Json::Object(m) => Some(m),
        _ => None,
    }
}

/// The strings of a list property (non-strings skipped).
pub(crate) fn texts<'a>(map: &Map<'a>, key: &str) -> impl Iterator<Item = &'a str> {
    map.get(key).and_then(Json::as_array).unwrap_or_default().iter().filter_map(Json::as_str).filter(|s| !s.is_empty())
}

/// A timestamp as sensors write it: RFC 3339, with or without a colon in
/// the offset (`+0100`), or with no offset at all (read as UTC); in
/// microseconds since the epoch.
pub fn timestamp(text: &str) -> Option<i64> {
    use jiff::Timestamp;
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t.as_microsecond());
    }
    // `2017-04-07T22:24:37.251547+0100`: an offset without a colon.
    let b = text.as_bytes();
    if b.len() > 5 && matches!(b[b.len() - 5], b'+' | b'-') && b[b.len() - 4..].iter().all(u8::is_ascii_digit) {
        let fixed = format!("{}:{}", &text[..text.len() - 2], &text[text.len() - 2..]);
        if let Ok(t) = fixed.parse::<Timestamp>() {
            return Some(t.as_microsecond());
        }
    }
    // No offset: UTC.
    text.parse::<jiff::civil::DateTime>().ok().and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok()).map(|z| z.timestamp().as_microsecond())
}

/// Seconds since the epoch as a JSON number (Zeek's `ts`), in microseconds.
pub(crate) fn epoch_seconds(json: &Json<'_>) -> Option<i64> {
    match json {
        Json::Number(n) => n.as_f64().filter(|s| s.is_finite() && s.abs() < 1e12).map(|s| (s * 1e6).round() as i64),
        Json::String(s) => timestamp(s).or_else(|| s.parse::<f64>().ok().filter(|s| s.is_finite() && s.abs() < 1e12).map(|s| (s * 1e6).round() as i64)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_sensors_write_them() {
        let utc = timestamp("2017-04-07T21:24:37.251547Z").unwrap();
        assert_eq!(timestamp("2017-04-07T22:24:37.251547+0100"), Some(utc));
        assert_eq!(timestamp("2017-04-07T22:24:37.251547+01:00"), Some(utc));
        assert_eq!(timestamp("2017-04-07T21:24:37.251547"), Some(utc));
        assert_eq!(timestamp("1969-12-31T16:04:21.000000-0800"), Some(261_000_000));
        assert_eq!(epoch_seconds(&Json::Number(serde_json::Number::from_f64(1591367999.305988).unwrap())), Some(1_591_367_999_305_988));
        assert_eq!(timestamp("yesterday"), None);
    }

    #[test]
    fn formats_by_name() {
        assert_eq!("zeek".parse::<Format>(), Ok(Format::Zeek));
        assert!("syslog".parse::<Format>().unwrap_err().contains("auto, suricata"));
    }
}
