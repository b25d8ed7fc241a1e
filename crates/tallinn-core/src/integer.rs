//! Integers in JSON bodies as JSON Schema reads them: a number with no
//! fractional part, so `2.0` is the integer 2 (the API's document says
//! "integer", and JSON does not tell `2` from `2.0`). serde alone would
//! refuse `2.0` for an integer field. Used with `deserialize_with`.

use serde::de::Error;
use serde::{Deserialize, Deserializer};

/// The integer a JSON number stands for, if it is one that fits `T`.
fn integer<T: TryFrom<i64>>(n: &serde_json::Number) -> Option<T> {
    let whole = match n.as_i64() {
        Some(i) => i,
        // Within ±2^53 every f64 with no fraction is exact.
        None => n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)? as i64,
    };
    T::try_from(whole).ok()
}

fn from_number<'de, D: Deserializer<'de>, T: TryFrom<i64>>(n: serde_json::Number) -> Result<T, D::Error> {
    integer(&n).ok_or_else(|| D::Error::custom(format!("{n} is not an integer in range")))
}

/// One integer.
pub fn one<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
    from_number::<D, T>(serde_json::Number::deserialize(d)?)
}

/// An optional integer (`null` or absent: `None`; use with `#[serde(default)]`).
pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<serde_json::Number>::deserialize(d)?.map(from_number::<D, T>).transpose()
}

/// A list of integers.
pub fn list<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Vec<T>, D::Error> {
    Vec::<serde_json::Number>::deserialize(d)?.into_iter().map(from_number::<D, T>).collect()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::one")]
        quantity: u32,
        #[serde(default, deserialize_with = "super::optional")]
        days: Option<i64>,
        #[serde(default, deserialize_with = "super::list")]
        years: Vec<i16>,
    }

    #[test]
    fn whole_numbers_in_either_spelling() {
        let b: Body = serde_json::from_str(r#"{"quantity": 3.0, "days": 30, "years": [2025, 2026.0]}"#).unwrap();
        assert_eq!((b.quantity, b.days, b.years), (3, Some(30), vec![2025, 2026]));
        let b: Body = serde_json::from_str(r#"{"quantity": 1, "days": null}"#).unwrap();
        assert_eq!((b.quantity, b.days, b.years), (1, None, vec![]));
    }

    #[test]
    fn fractions_and_out_of_range_are_refused() {
        for bad in [r#"{"quantity": 2.5}"#, r#"{"quantity": -1}"#, r#"{"quantity": 1e300}"#, r#"{"quantity": 1, "years": [40000]}"#, r#"{"quantity": "1"}"#] {
            assert!(serde_json::from_str::<Body>(bad).is_err(), "{bad}");
        }
    }
}
