//! STIX timestamps, exactly as written.
//!
//! STIX 2.1 (§3.2) writes every timestamp as RFC 3339 in UTC,
//! `YYYY-MM-DDTHH:MM:SS[.s+]Z`, with any number of fractional digits, and
//! versions compare by the instant they name. A `jiff::Timestamp` cannot
//! hold them all: it stops at nanoseconds and at 9999-12-30T22:00Z (its
//! range allows any UTC offset), where STIX's "never expires" is
//! `9999-12-31T23:59:59Z`. So a [`StixTime`] keeps the text as given, the
//! whole microseconds since the epoch (for ordering and SQL), and the
//! digits beyond the sixth (trailing zeros dropped), which break ties
//! between instants that share their microsecond.

use std::cmp::Ordering;

/// One valid STIX timestamp.
#[derive(Debug, Clone, Eq)]
pub struct StixTime {
    text: String,
    micros: i64,
    /// Fractional digits beyond the microsecond, without trailing zeros.
    rest: String,
}

/// Why a text is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z, years 0000-9999)")]
pub struct TimestampError(pub String);

impl StixTime {
    /// Reads `YYYY-MM-DDTHH:MM:SS[.d+]Z` (a real calendar date; seconds up
    /// to 59: STIX has no leap seconds).
    pub fn parse(text: &str) -> Result<StixTime, TimestampError> {
        let bad = || TimestampError(text.chars().take(64).collect());
        let b = text.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[b.len() - 1] != b'Z' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> { b[r].iter().try_fold(0, |n, &c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))) };
        let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
            (num(0..4), num(5..7), num(8..10), num(11..13), num(14..16), num(17..19))
        else {
            return Err(bad());
        };
        let fraction = &text[19..text.len() - 1];
        let digits = match fraction {
            "" => "",
            f => match f.strip_prefix('.') {
                Some(d) if !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()) => d,
                _ => return Err(bad()),
            },
        };
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59 {
            return Err(bad());
        }
        let kept = &digits[..digits.len().min(6)];
        let sub_micros = if kept.is_empty() { 0 } else { kept.parse::<i64>().map_err(|_| bad())? * 10_i64.pow(6 - kept.len() as u32) };
        let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
        let rest = digits.get(6..).unwrap_or("").trim_end_matches('0').to_string();
        Ok(StixTime { text: text.to_string(), micros: seconds * 1_000_000 + sub_micros, rest })
    }

    /// The text exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whole microseconds since 1970-01-01T00:00:00Z (digits beyond are in
    /// [`StixTime::rest`]).
    pub fn micros(&self) -> i64 {
        self.micros
    }

    /// The fractional digits beyond the microsecond, trailing zeros dropped:
    /// `""` for most timestamps. Compared as text it orders instants that
    /// share a microsecond (`"" < "4" < "45" < "5"`).
    pub fn rest(&self) -> &str {
        &self.rest
    }

    /// How many fractional digits the text gives.
    pub fn fraction_digits(&self) -> usize {
        self.text.len() - 20 - usize::from(self.text.len() > 20)
    }

    /// The same instant as a `jiff::Timestamp`, when jiff can hold it
    /// (nanoseconds beyond are dropped).
    pub fn to_jiff(&self) -> Option<jiff::Timestamp> {
        jiff::Timestamp::from_microsecond(self.micros).ok()
    }

    fn key(&self) -> (i64, &str) {
        (self.micros, &self.rest)
    }
}

/// Equal when they name the same instant (`…00.1Z` = `…00.100Z`).
impl PartialEq for StixTime {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Ord for StixTime {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for StixTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::hash::Hash for StixTime {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl std::fmt::Display for StixTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for StixTime {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StixTime::parse(s)
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> StixTime {
        StixTime::parse(s).unwrap()
    }

    #[test]
    fn every_year_and_any_precision() {
        for s in ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2000-02-29T12:00:00.5Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999999999999Z"] {
            assert_eq!(t(s).as_str(), s);
        }
        assert_eq!(t("1970-01-01T00:00:00Z").micros(), 0);
        assert_eq!(t("1970-01-02T00:00:01.25Z").micros(), 86_401_250_000);
        let jiff: jiff::Timestamp = "2016-04-06T20:03:48.123456Z".parse().unwrap();
        assert_eq!(t("2016-04-06T20:03:48.123456Z").micros(), jiff.as_microsecond());
        assert_eq!(t("0001-01-01T00:00:00Z").micros(), jiff::Timestamp::from_second(-62_135_596_800).unwrap().as_microsecond());
        assert_eq!(t("9999-12-31T23:59:59Z").to_jiff(), None, "beyond jiff's range, and still exact");
    }

    #[test]
    fn instants_compare_exactly() {
        assert!(t("2020-01-01T00:00:00.1234567Z") < t("2020-01-01T00:00:00.1234568Z"));
        assert!(t("2020-01-01T00:00:00.123456Z") < t("2020-01-01T00:00:00.1234560001Z"));
        assert!(t("2020-01-01T00:00:00Z") < t("2020-01-01T00:00:00.000000001Z"));
        assert_eq!(t("2020-01-01T00:00:00.1Z"), t("2020-01-01T00:00:00.100000000Z"));
        assert_eq!(t("2020-01-01T00:00:00.1234567Z").rest(), "7");
        assert_eq!(t("2020-01-01T00:00:00.432Z").fraction_digits(), 3);
        assert_eq!(t("2020-01-01T00:00:00Z").fraction_digits(), 0);
    }

    #[test]
    fn refuses_what_is_not_a_utc_timestamp() {
        for s in [
            "",
            "2020-01-01",
            "2020-01-01T00:00:00",
            "2020-01-01T00:00:00+00:00",
            "2020-01-01 00:00:00Z",
            "2020-02-30T00:00:00Z",
            "2019-02-29T00:00:00Z",
            "2020-13-01T00:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:60:00Z",
            "2020-01-01T00:00:60Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00.1aZ",
            "-020-01-01T00:00:00Z",
            "2020-01-01T00:00:00zZ",
            "2020-01-01T00:00:00z",
        ] {
            assert!(StixTime::parse(s).is_err(), "{s}");
        }
    }
}
