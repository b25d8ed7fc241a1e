//! The agreements register and the public announcements that reports
//! reconcile against.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::id::{AgreementId, AnnouncementId, PledgeId};

vocabulary! {
    pub enum AgreementDomain as "agreement domain" {
        Cybersecurity = "cybersecurity",
        DigitalState = "digital_state",
    }
}

vocabulary! {
    pub enum AgreementStatus as "agreement status" {
        Negotiating = "negotiating",
        Signed = "signed",
        InForce = "in_force",
        Expired = "expired",
        Terminated = "terminated",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAgreement {
    pub title: String,
    pub parties: Vec<String>,
    pub domain: AgreementDomain,
    pub signed_on: Option<Date>,
    pub status: AgreementStatus,
    #[serde(default)]
    pub pledges: Vec<PledgeId>,
    #[serde(default)]
    pub synthetic: bool,
}

impl NewAgreement {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.title.trim().is_empty() || self.title.chars().count() > crate::need::MAX_TITLE {
            return Err(DomainError::invalid("title", "a title is required (at most 200 characters)"));
        }
        if self.parties.len() < 2 {
            return Err(DomainError::invalid("parties", "an agreement has at least two parties"));
        }
        let signed = !matches!(self.status, AgreementStatus::Negotiating);
        if signed && self.signed_on.is_none() {
            return Err(DomainError::invalid("signed_on", format!("a {} agreement has a signing date", self.status)));
        }
        if !signed && self.signed_on.is_some() {
            return Err(DomainError::invalid("signed_on", "an agreement under negotiation has no signing date"));
        }
        Ok(())
    }
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub id: AgreementId,
    pub title: String,
    pub parties: Vec<String>,
    pub domain: AgreementDomain,
    pub signed_on: Option<Date>,
    pub status: AgreementStatus,
    pub pledges: Vec<PledgeId>,
    pub synthetic: bool,
}

/// A public statement with figures (docs/product.md: the ledger, reference data).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub id: AnnouncementId,
    pub date: Date,
    pub end_date: Option<Date>,
    pub place: String,
    /// New funding announced for `new_funding_year`, EUR.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "crate::money::eur_string", rename = "new_funding_eur")]
    pub new_funding_eur_minor: i64,
    pub new_funding_year: i16,
    /// Cumulative coordinated support to date, EUR.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "crate::money::eur_string", rename = "cumulative_eur")]
    pub cumulative_eur_minor: i64,
    pub endorsers: Vec<String>,
    pub note: String,
}
