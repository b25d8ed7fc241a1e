//! Dated exchange rates and conversion to EUR, the reporting currency.
//!
//! Rates follow the ECB convention: units of the foreign currency per one euro.
//! A converted amount always carries the rate, its date and its source, so a
//! figure can be re-derived years later.

use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::money::{Currency, Money};

/// The source name written with every rate imported from an ECB file.
pub const ECB_SOURCE: &str = "ECB euro foreign exchange reference rates";

/// One rate: `rate` units of `currency` buy one euro on `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxRate {
    pub date: Date,
    pub currency: String,
    pub rate: Decimal,
    pub source: String,
}

/// An amount converted to EUR, with the provenance of the rate used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EurValue {
    pub eur_minor: i64,
    pub rate: Decimal,
    pub rate_date: Date,
    pub rate_source: String,
}

impl EurValue {
    /// The trivial conversion of an amount that is already in EUR.
    pub fn identity(money: Money, on: Date) -> EurValue {
        EurValue { eur_minor: money.minor, rate: Decimal::ONE, rate_date: on, rate_source: "identity (amount in EUR)".into() }
    }
}

/// Converts `money` to EUR cents with `rate`, rounding half to even (banker's
/// rounding, so that rounding errors do not drift in one direction).
pub fn to_eur(money: Money, rate: &FxRate) -> Result<EurValue, FieldError> {
    if rate.currency != money.currency.code() {
        return Err(FieldError::new("currency", format!("rate is for {}, amount is in {}", rate.currency, money.currency)));
    }
    if rate.rate <= Decimal::ZERO {
        return Err(FieldError::new("rate", "a rate must be positive"));
    }
    let eur = money
        .to_decimal()
        .checked_div(rate.rate)
        .ok_or_else(|| FieldError::new("amount", "amount too large to convert"))?
        .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    let minor = (eur * Decimal::ONE_HUNDRED).trunc().to_string().parse::<i64>().map_err(|_| FieldError::new("amount", "converted amount too large"))?;
    Ok(EurValue { eur_minor: minor, rate: rate.rate, rate_date: rate.date, rate_source: rate.source.clone() })
}

/// A problem in a rate file, with its line number (1-based, header is line 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct RateFileError {
    pub line: usize,
    pub message: String,
}

/// Parses the ECB reference-rate CSV (`Date,USD,JPY,...`): one row per
/// business day, `N/A` where a currency was not quoted, and the trailing comma
/// the ECB puts on every line. Returns every quoted rate.
pub fn parse_ecb_csv(text: &str) -> Result<Vec<FxRate>, RateFileError> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or(RateFileError { line: 1, message: "the file is empty".into() })?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    if columns.first().map(|c| c.trim_start_matches('\u{feff}')) != Some("Date") {
        return Err(RateFileError { line: 1, message: "the first column must be 'Date' (ECB format: Date,USD,JPY,...)".into() });
    }
    let mut currencies = Vec::with_capacity(columns.len());
    for (i, code) in columns.iter().enumerate().skip(1) {
        if code.is_empty() && i == columns.len() - 1 {
            continue; // the ECB's trailing comma
        }
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(RateFileError { line: 1, message: format!("column {}: '{code}' is not a currency code", i + 1) });
        }
        currencies.push((i, code.to_string()));
    }
    let mut rates = Vec::new();
    for (index, line) in lines {
        let n = index + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let date = Date::from_str(cells[0]).map_err(|e| RateFileError { line: n, message: format!("bad date '{}': {e}", cells[0]) })?;
        for (column, code) in &currencies {
            let cell = cells.get(*column).copied().unwrap_or("");
            if cell.is_empty() || cell == "N/A" {
                continue;
            }
            let rate = Decimal::from_str(cell).map_err(|_| RateFileError { line: n, message: format!("{code}: '{cell}' is not a number") })?;
            if rate <= Decimal::ZERO {
                return Err(RateFileError { line: n, message: format!("{code}: rate must be positive") });
            }
            rates.push(FxRate { date, currency: code.clone(), rate, source: ECB_SOURCE.into() });
        }
    }
    Ok(rates)
}

/// The currencies of the ECB's euro reference rates (those quoted on the
/// last day of `tallinn fx import`'s usual file): with EUR, what the API's
/// document offers for amounts. Rates for other ISO 4217 currencies can be
/// imported too, and amounts in them are then accepted.
pub const ECB_CURRENCIES: &[&str] = &[
    "USD", "JPY", "CZK", "DKK", "GBP", "HUF", "PLN", "RON", "SEK", "CHF", "ISK", "NOK", "TRY", "AUD", "BRL", "CAD", "CNY", "HKD", "IDR", "ILS", "INR", "KRW",
    "MXN", "MYR", "NZD", "PHP", "SGD", "THB", "ZAR",
];

/// Ensures a currency code is usable for conversion.
pub fn convertible(code: &str) -> Result<Currency, FieldError> {
    Currency::from_code(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Date,USD,JPY,CYP,\n2026-10-30,1.1172,175.68,N/A,\n1999-01-04,1.1789,133.73,0.58231,\n";

    #[test]
    fn parses_ecb_quirks() {
        let rates = parse_ecb_csv(SAMPLE).unwrap();
        assert_eq!(rates.len(), 5, "N/A cells are skipped, trailing comma ignored");
        assert_eq!(rates[0].currency, "USD");
        assert_eq!(rates[0].rate, Decimal::from_str("1.1172").unwrap());
        assert_eq!(rates[4].currency, "CYP");
    }

    #[test]
    fn names_the_bad_line() {
        let err = parse_ecb_csv("Date,USD,\n2026-10-30,abc,\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("USD"));
        assert!(parse_ecb_csv("Day,USD\n").unwrap_err().message.contains("Date"));
        assert_eq!(parse_ecb_csv("Date,USD,\n2026-13-01,1.0,\n").unwrap_err().line, 2);
    }

    #[test]
    fn converts_with_bankers_rounding() {
        let usd = Currency::from_code("USD").unwrap();
        let rate =
            FxRate { date: "2026-10-30".parse().unwrap(), currency: "USD".into(), rate: Decimal::from_str("1.1172").unwrap(), source: ECB_SOURCE.into() };
        // 1,000,000.00 USD / 1.1172 = 895094.880057...
        assert_eq!(to_eur(Money::new(100_000_000, usd), &rate).unwrap().eur_minor, 89_509_488);
        let two = FxRate { rate: Decimal::from(2), ..rate.clone() };
        assert_eq!(to_eur(Money::new(1, usd), &two).unwrap().eur_minor, 0, "0.005 rounds to even 0.00");
        assert_eq!(to_eur(Money::new(3, usd), &two).unwrap().eur_minor, 2, "0.015 rounds to even 0.02");
        let jpy = Currency::from_code("JPY").unwrap();
        assert!(to_eur(Money::new(1, jpy), &rate).is_err(), "a USD rate cannot convert yen");
    }

    #[test]
    fn imports_the_real_ecb_history() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ecb/eurofxref-hist.csv");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let rates = parse_ecb_csv(&text).unwrap();
        assert!(rates.len() > 150_000, "{} rates", rates.len());
        let first = rates.iter().find(|r| r.currency == "USD").unwrap();
        assert_eq!(first.date.to_string(), "2026-10-30");
    }
}
