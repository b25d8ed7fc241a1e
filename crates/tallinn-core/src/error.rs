//! Domain errors: every rule the ledger refuses to break has a variant with a
//! message that names the problem, and a field where one is to blame.

use crate::vocabulary::ParseVocabularyError;

/// A bad value in a named field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Input that is malformed or out of range: wrong on its face, whatever
    /// the ledger holds (the API answers 422).
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// A well-formed value that the ledger as it stands refuses: the named
    /// organisation is of the wrong kind, no exchange rate is on file for
    /// the day, a flow names a pledge of another donor (the API answers 409;
    /// ADR 0014).
    #[error("{0}")]
    Refused(FieldError),
    /// A referenced record does not exist (or the actor may not see it; the
    /// two are reported identically on purpose).
    #[error("{entity} '{id}' not found")]
    NotFound { entity: &'static str, id: String },
    /// A record with the same key exists already.
    #[error("{entity} '{id}' already exists")]
    AlreadyExists { entity: &'static str, id: String },
    /// A lifecycle step that the current state does not allow.
    #[error("{entity} {id} cannot go from {from} to {to}")]
    InvalidTransition { entity: &'static str, id: String, from: String, to: String },
    /// An allocation, reservation or review that would break a ledger invariant.
    #[error("{0}")]
    Conflict(String),
    /// The actor's role or organisation does not allow the operation.
    #[error("{0}")]
    Forbidden(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid(FieldError::new(field, message))
    }

    pub fn refused(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Refused(FieldError::new(field, message))
    }

    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        DomainError::NotFound { entity, id: id.to_string() }
    }

    /// The field to blame, if there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            DomainError::Invalid(e) | DomainError::Refused(e) => Some(&e.field),
            _ => None,
        }
    }
}

/// Turns a vocabulary parse failure into a field error.
pub fn in_field(field: &str) -> impl Fn(ParseVocabularyError) -> FieldError + '_ {
    move |e| FieldError::new(field, e.to_string())
}
