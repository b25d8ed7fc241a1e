//! Exact money: integer minor units and an ISO 4217 currency. No floating
//! point ever touches an amount (see docs/adr/0002-money.md).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// An ISO 4217 currency with its number of minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

impl Currency {
    pub const EUR: Currency = Currency { code: *b"EUR", exponent: 2 };

    /// Looks a code up in ISO 4217. Codes without minor units defined by the
    /// standard (precious metals, testing codes) are refused: money needs them.
    pub fn from_code(code: &str) -> Result<Currency, FieldError> {
        let known = iso_currency::Currency::from_code(code)
            .ok_or_else(|| FieldError::new("currency", format!("unknown currency '{code}' (expected an ISO 4217 code such as EUR, USD, UAH)")))?;
        let exponent = known.exponent().ok_or_else(|| FieldError::new("currency", format!("currency '{code}' has no minor unit and cannot hold money")))?;
        let bytes = code.as_bytes();
        Ok(Currency { code: [bytes[0], bytes[1], bytes[2]], exponent: exponent as u8 })
    }

    pub fn code(&self) -> &str {
        // The bytes come from a validated ISO code, always ASCII.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Digits after the decimal point (EUR 2, JPY 0, BHD 3).
    pub fn exponent(&self) -> u32 {
        u32::from(self.exponent)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// An exact amount: minor units of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn eur(minor: i64) -> Money {
        Money { minor, currency: Currency::EUR }
    }

    /// Parses a decimal amount such as `125000.00` or `42` in `currency`.
    /// Refuses negative amounts, more decimals than the currency has, signs,
    /// exponents, thousands separators and amounts beyond i64 minor units.
    pub fn parse(field: &str, text: &str, currency: Currency) -> Result<Money, FieldError> {
        let minor = parse_minor(field, text, currency.exponent())?;
        Ok(Money { minor, currency })
    }

    /// The amount as a decimal with exactly the currency's digits.
    pub fn to_decimal(&self) -> Decimal {
        Decimal::new(self.minor, self.currency.exponent())
    }

    /// `125000.00` (no currency code).
    pub fn amount_string(&self) -> String {
        format_minor(self.minor, self.currency.exponent())
    }
}

/// Wire form of money: `{"amount": "125000.00", "currency": "EUR"}`.
#[derive(Serialize, Deserialize)]
struct MoneyWire {
    amount: String,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyWire { amount: self.amount_string(), currency: self.currency }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = MoneyWire::deserialize(d)?;
        Money::parse("amount", &wire.amount, wire.currency).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

/// Amounts above zero that [`parse_minor`] takes with two decimals (EUR's),
/// as a regular expression for the API's document: `1250.50`, `42`,
/// `0.01`; at most 13 digits before the point, so every match fits.
pub const POSITIVE_AMOUNT_PATTERN: &str = r"^([1-9][0-9]{0,12}(\.[0-9]{1,2})?|0\.(0[1-9]|[1-9][0-9]?))$";

/// [`POSITIVE_AMOUNT_PATTERN`] for currencies without minor units (JPY, ISK).
pub const POSITIVE_WHOLE_AMOUNT_PATTERN: &str = "^[1-9][0-9]{0,12}$";

/// Parses a non-negative decimal into minor units with `exponent` digits.
pub fn parse_minor(field: &str, text: &str, exponent: u32) -> Result<i64, FieldError> {
    let bad = |why: &str| FieldError::new(field, format!("'{text}' is not a valid amount: {why}"));
    let t = text.trim();
    if t.is_empty() {
        return Err(bad("it is empty"));
    }
    if t.starts_with('-') {
        return Err(bad("amounts cannot be negative"));
    }
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("use digits with an optional '.' and decimals, e.g. 1250.50"));
    }
    if frac.len() > exponent as usize {
        return Err(bad(&format!("more than {exponent} decimal places (fractions of the smallest unit are not allowed)")));
    }
    let scale = 10i64.pow(exponent);
    let whole: i64 = whole.parse().map_err(|_| bad("too large"))?;
    let mut frac_minor: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| bad("bad decimals"))? };
    frac_minor *= 10i64.pow(exponent - frac.len() as u32);
    whole.checked_mul(scale).and_then(|w| w.checked_add(frac_minor)).ok_or_else(|| bad("too large"))
}

/// Formats minor units with `exponent` decimals: `12500000, 2 → "125000.00"`.
pub fn format_minor(minor: i64, exponent: u32) -> String {
    Decimal::new(minor, exponent).to_string()
}

/// Serde helper: EUR minor units as a decimal string with two decimals.
pub mod eur_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(minor: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_minor(*minor, 2))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_minor("amount", &text, 2).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str, code: &str, expected: Result<i64, &str>) {
        let currency = Currency::from_code(code).unwrap();
        match (Money::parse("amount", text, currency), expected) {
            (Ok(m), Ok(minor)) => assert_eq!(m.minor, minor, "{text} {code}"),
            (Err(e), Err(fragment)) => assert!(e.message.contains(fragment), "{text}: {e}"),
            (got, want) => panic!("{text} {code}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parses_amounts_exactly() {
        check("125000.00", "EUR", Ok(12_500_000));
        check("125000", "EUR", Ok(12_500_000));
        check("0.5", "EUR", Ok(50));
        check("1.05", "EUR", Ok(105));
        check("1500", "JPY", Ok(1500));
        check("1.234", "BHD", Ok(1234));
        check("1.005", "EUR", Err("more than 2 decimal places"));
        check("1.5", "JPY", Err("more than 0 decimal places"));
        check("-3.00", "EUR", Err("negative"));
        check("1,000.00", "EUR", Err("use digits"));
        check("1e5", "EUR", Err("use digits"));
        check("", "EUR", Err("empty"));
        check(".5", "EUR", Err("use digits"));
        check("99999999999999999999", "EUR", Err("too large"));
    }

    #[test]
    fn refuses_unknown_currencies() {
        let err = Currency::from_code("XYZ").unwrap_err();
        assert_eq!(err.field, "currency");
        assert!(err.message.contains("unknown currency 'XYZ'"));
        assert!(Currency::from_code("eur").is_err());
        assert_eq!(Currency::from_code("UAH").unwrap().exponent(), 2);
        assert_eq!(Currency::from_code("JPY").unwrap().exponent(), 0);
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(minor in 0i64..i64::MAX / 10, exp in 0u32..=3) {
            let text = format_minor(minor, exp);
            prop_assert_eq!(parse_minor("amount", &text, exp).unwrap(), minor);
        }
    }
}
