//! The URL parameters of TAXII reads: filters (`match[...]`), `added_after`,
//! `limit` and the `next` cursor. Each endpoint names the parameters it
//! takes; any other is a 400 that names it, as is a malformed value.

use jiff::Timestamp;
use tallinn_ledger::{ObjectQuery, VersionFilter};
use tallinn_stix::timestamp::StixTime;

use super::error::TaxiiError;

/// Items per page when the client does not say.
pub const DEFAULT_PAGE: usize = 100;
/// The most items per page (the API root's `max_page_size`); a larger
/// `limit` is clamped to it.
pub const MAX_PAGE: usize = 1000;

/// A parameter an endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Id,
    Type,
    Version,
    SpecVersion,
    AddedAfter,
    Limit,
    Next,
}

impl Param {
    fn name(self) -> &'static str {
        match self {
            Param::Id => "match[id]",
            Param::Type => "match[type]",
            Param::Version => "match[version]",
            Param::SpecVersion => "match[spec_version]",
            Param::AddedAfter => "added_after",
            Param::Limit => "limit",
            Param::Next => "next",
        }
    }
}

pub const OBJECTS: &[Param] = &[Param::Id, Param::Type, Param::Version, Param::SpecVersion, Param::AddedAfter, Param::Limit, Param::Next];
pub const OBJECT: &[Param] = &[Param::Version, Param::SpecVersion, Param::AddedAfter, Param::Limit, Param::Next];
pub const VERSIONS: &[Param] = &[Param::SpecVersion, Param::AddedAfter, Param::Limit, Param::Next];
pub const DELETE: &[Param] = &[Param::Version, Param::SpecVersion];

/// The opaque `next` value: the `date_added` (µs) of the last item served,
/// so any server process continues the walk, and objects added meanwhile
/// (always later) are reached in turn.
pub fn cursor(after: Timestamp) -> String {
    format!("{:x}", after.as_microsecond())
}

fn parse_cursor(s: &str) -> Result<Timestamp, TaxiiError> {
    i64::from_str_radix(s, 16)
        .ok()
        .and_then(|us| Timestamp::from_microsecond(us).ok())
        .ok_or_else(|| TaxiiError::bad_request(format!("next: '{s}' is not a value this server gave")))
}

fn timestamp(name: &str, s: &str) -> Result<StixTime, TaxiiError> {
    StixTime::parse(s).map_err(|_| TaxiiError::bad_request(format!("{name}: '{}' is not an RFC 3339 UTC timestamp", shorten(s))))
}

/// A value as an error message quotes it.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 80 { s.to_string() } else { format!("{}…", s.chars().take(80).collect::<String>()) }
}

/// A filter's comma-separated values; an empty one matches nothing anyone
/// could mean, so it is refused rather than read as "no filter".
fn list(param: Param, s: &str) -> Result<Vec<String>, TaxiiError> {
    let values: Vec<String> = s.split(',').map(str::trim).map(str::to_string).collect();
    if values.iter().any(String::is_empty) {
        return Err(TaxiiError::bad_request(format!("{}: an empty value (give one or more values separated by commas)", param.name())));
    }
    Ok(values)
}

/// Parses a query string for an endpoint that takes `allowed`.
pub fn parse(raw: Option<&str>, allowed: &[Param]) -> Result<ObjectQuery, TaxiiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or_default()).map_err(|e| TaxiiError::bad_request(format!("the query string is malformed: {e}")))?;
    let mut q = ObjectQuery { limit: DEFAULT_PAGE, ..Default::default() };
    for (key, value) in pairs {
        let Some(param) = allowed.iter().copied().find(|p| p.name() == key) else {
            let names: Vec<&str> = allowed.iter().map(|p| p.name()).collect();
            return Err(TaxiiError::bad_request(format!("'{key}' is not a parameter of this resource (it takes {})", names.join(", "))));
        };
        match param {
            Param::Id => q.ids.extend(list(param, &value)?),
            Param::Type => q.types.extend(list(param, &value)?),
            Param::SpecVersion => q.spec_versions.extend(list(param, &value)?),
            Param::Version => {
                for v in list(param, &value)? {
                    q.versions.push(v.parse::<VersionFilter>().map_err(|e| TaxiiError::bad_request(format!("match[version]: {e}")))?);
                }
            }
            Param::AddedAfter => q.added_after = Some(timestamp("added_after", &value)?),
            Param::Limit => {
                let n: usize =
                    value.parse().ok().filter(|n| *n > 0).ok_or_else(|| TaxiiError::bad_request(format!("limit: '{value}' is not a positive integer")))?;
                q.limit = n.min(MAX_PAGE);
            }
            Param::Next => q.after = Some(parse_cursor(&value)?),
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters_and_refuses_the_rest() {
        let q =
            parse(Some("match%5Btype%5D=indicator,malware&match[version]=first,2026-01-01T00:00:00Z&limit=5000&added_after=2026-01-01T00:00:00.5Z"), OBJECTS)
                .unwrap();
        assert_eq!(q.types, ["indicator", "malware"]);
        assert_eq!(q.versions.len(), 2);
        assert_eq!(q.limit, MAX_PAGE, "clamped");
        assert!(q.added_after.is_some());
        let far = parse(Some("added_after=9999-12-31T23:59:59.9999999Z&match[version]=2026-01-01T00:00:00.1234567Z"), OBJECTS).unwrap();
        assert_eq!(far.added_after.unwrap().as_str(), "9999-12-31T23:59:59.9999999Z", "any STIX timestamp");
        let next = cursor(Timestamp::from_microsecond(1_700_000_000_123_456).unwrap());
        assert_eq!(parse(Some(&format!("next={next}")), OBJECTS).unwrap().after.unwrap().as_microsecond(), 1_700_000_000_123_456);
        for (bad, says) in [
            ("match[type]=x&match[foo]=1", "'match[foo]' is not a parameter"),
            ("limit=0", "limit"),
            ("limit=ten", "limit"),
            ("added_after=yesterday", "added_after"),
            ("match[version]=newest", "match[version]"),
            ("next=zz", "next"),
            ("match[type]=", "match[type]: an empty value"),
            ("match[id]=a,,b", "match[id]: an empty value"),
            ("match[version]=", "match[version]: an empty value"),
        ] {
            let e = parse(Some(bad), OBJECTS).unwrap_err();
            assert!(e.description.contains(says), "{bad}: {}", e.description);
        }
        assert!(parse(Some("match[type]=indicator"), VERSIONS).is_err(), "versions take no type filter");
    }
}
