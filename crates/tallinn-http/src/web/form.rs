//! A posted form as the page shows it again: what the user typed, and the
//! error beside each field.

use std::collections::{BTreeMap, HashMap};

use axum::extract::FromRequest;
use axum::extract::rejection::FormRejection;

use super::WebError;

/// The fields of a posted form, as text (so that a refused form shows
/// exactly what was typed), and the errors found, by field.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    values: HashMap<String, String>,
    errors: BTreeMap<String, String>,
}

impl FormState {
    pub fn new(values: HashMap<String, String>) -> FormState {
        FormState { values, errors: BTreeMap::new() }
    }

    /// A blank form with some fields filled in.
    pub fn with(values: &[(&str, &str)]) -> FormState {
        FormState::new(values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", |v| v.trim())
    }

    /// The raw text, untrimmed (text areas).
    pub fn raw(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    /// For `<option selected>` and checked radios.
    pub fn is(&self, field: &str, option: &str) -> bool {
        self.value(field) == option
    }

    /// For checkboxes (`on`, as browsers send them).
    pub fn checked(&self, field: &str) -> bool {
        matches!(self.value(field), "on" | "true" | "yes")
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Errors in field order, for the summary at the top of the form.
    pub fn errors(&self) -> impl Iterator<Item = (&String, &String)> {
        self.errors.iter()
    }

    /// The errors of `form` without any of its values (a password form is
    /// never shown again as typed).
    pub fn default_with_errors(form: &FormState) -> FormState {
        FormState { values: HashMap::new(), errors: form.errors.clone() }
    }

    /// Records an error (the first one per field is kept).
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.entry(field.to_string()).or_insert_with(|| message.into());
    }

    /// A value that must be given.
    pub fn required(&mut self, field: &str, message: &str) -> Option<String> {
        let v = self.value(field).to_string();
        if v.is_empty() {
            self.fail(field, message);
            None
        } else {
            Some(v)
        }
    }

    /// A vocabulary word (`<select>`), parsed.
    pub fn parse<T: std::str::FromStr>(&mut self, field: &str, message: &str) -> Option<T> {
        match self.value(field).parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.fail(field, message);
                None
            }
        }
    }

    /// An optional value, parsed when given.
    pub fn optional<T: std::str::FromStr>(&mut self, field: &str, message: &str) -> Option<Option<T>> {
        if self.value(field).is_empty() {
            return Some(None);
        }
        self.parse(field, message).map(Some)
    }

    /// A comma- or space-separated list.
    pub fn list(&self, field: &str) -> Vec<String> {
        self.value(field).split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
    }

    pub fn values(&self) -> &HashMap<String, String> {
        &self.values
    }
}

/// `application/x-www-form-urlencoded` bodies as a `FormState`; a body that
/// is not a form is a 400 page.
pub struct Posted(pub FormState);

impl<S: Send + Sync> FromRequest<S> for Posted {
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<HashMap<String, String>>::from_request(req, state).await {
            Ok(axum::Form(values)) => Ok(Posted(FormState::new(values))),
            Err(e) => Err(WebError::bad_request(rejection_message(&e))),
        }
    }
}

fn rejection_message(e: &FormRejection) -> String {
    format!("the form could not be read: {}", e.body_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_values_and_errors() {
        let mut f = FormState::with(&[("title", "  Sensors "), ("tlp", "amber"), ("tags", "a, b c")]);
        assert_eq!(f.value("title"), "Sensors");
        assert!(f.is("tlp", "amber"));
        assert_eq!(f.list("tags"), ["a", "b", "c"]);
        assert_eq!(f.required("cost", "give a cost"), None);
        f.fail("cost", "second message is ignored");
        assert_eq!(f.error("cost"), Some("give a cost"));
        assert!(f.has_errors());
        assert_eq!(f.optional::<i64>("days", "a number").unwrap(), None);
    }
}
