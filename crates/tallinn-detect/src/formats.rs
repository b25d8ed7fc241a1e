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
    plain_timestamp(text).or_else(|| timestamp_by_jiff(text))
}

/// The shape nearly every sensor writes — `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction of up to nine digits, and `Z`, `±HH:MM`, `±HHMM` or
/// nothing — read by hand: every line of a log has one, and the general
/// parser costs as much as the rest of the line's glance. `None` for
/// anything else, and for what it does not judge alone (instants before
/// 1970 or after 9000 (the general parser's range ends in 9999), leap
/// seconds, offsets of a day or more, `-00:00`), which the
/// general parser then reads; where this answers, it answers as that
/// parser does (a property test holds them together).
fn plain_timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |at: usize, len: usize| -> Option<i64> {
        let part = b.get(at..at + len)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    let mut at = 19;
    let mut micros = 0i64;
    if b.get(at) == Some(&b'.') {
        let len = b[at + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
        if len == 0 || len > 9 {
            return None;
        }
        let fraction = digits(at + 1, len)?;
        micros = if len >= 6 { fraction / 10i64.pow(len as u32 - 6) } else { fraction * 10i64.pow(6 - len as u32) };
        at += 1 + len;
    }
    let offset_minutes = match &b[at..] {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 4 || (rest.len() == 5 && rest[2] == b':') => {
            let (h, m) = (digits(at + 1, 2)?, digits(at + rest.len() - 1, 2)?);
            if h > 23 || m > 59 || (*sign == b'-' && h == 0 && m == 0) {
                return None;
            }
            if *sign == b'-' { -(h * 60 + m) } else { h * 60 + m }
        }
        _ => return None,
    };
    if !(1970..=9000).contains(&year) || !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month as usize - 1];
    if !(1..=days_in_month).contains(&day) {
        return None;
    }
    // Days from 1970-01-01 to the civil date (Hinnant's days_from_civil).
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era_year = y.rem_euclid(400);
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = era_year * 365 + era_year / 4 - era_year / 100 + day_of_year;
    let days = y.div_euclid(400) * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    (seconds >= 0).then(|| seconds * 1_000_000 + micros)
}

/// [`timestamp`] by the general parser.
fn timestamp_by_jiff(text: &str) -> Option<i64> {
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 4096, ..Default::default() })]

        #[test]
        fn plain_timestamps_are_read_as_the_general_parser_reads_them(
            text in "(19[5-9][0-9]|20[0-9]{2}|9999)-(0[0-9]|1[0-3])-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{0,10})?(Z|z|[+-][0-2][0-9]:?[0-6][0-9])?"
        ) {
            let general = timestamp_by_jiff(&text);
            let plain = plain_timestamp(&text);
            proptest::prop_assert!(plain.is_none() || plain == general, "{text:?}: {plain:?} against {general:?}");
        }
    }

    #[test]
    fn the_usual_shapes_are_read_by_hand() {
        for text in [
            "2017-04-07T22:24:37.251547+0100",
            "2017-04-07T21:24:37.251547Z",
            "2026-11-01T00:00:00.000000+0000",
            "2024-02-29T23:59:59+05:30",
            "2017-04-07T21:24:37.1",
        ] {
            assert_eq!(plain_timestamp(text), timestamp_by_jiff(text), "{text}");
            assert!(plain_timestamp(text).is_some(), "{text} is read by hand");
        }
        for text in
            ["2023-02-29T00:00:00Z", "2017-04-07T24:00:00Z", "2017-13-01T00:00:00Z", "2017-04-07T21:24:60Z", "1969-12-31T23:59:59Z", "2017-04-07 21:24:37Z"]
        {
            assert_eq!(plain_timestamp(text), None, "{text} is left to the general parser");
        }
    }

    #[test]
    fn formats_by_name() {
        assert_eq!("zeek".parse::<Format>(), Ok(Format::Zeek));
        assert!("syslog".parse::<Format>().unwrap_err().contains("auto, suricata"));
    }
}
