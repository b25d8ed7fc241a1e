//! Projects deliver funded needs: an implementer, milestones, delivery items,
//! and the beneficiary's signed acceptance.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::DomainError;
use crate::id::{MilestoneId, NeedId, ProjectId};

vocabulary! {
    pub enum ProjectStatus as "project status" {
        InDelivery = "in_delivery",
        Delivered = "delivered",
        Accepted = "accepted",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProject {
    pub need: NeedId,
    pub implementer: String,
    pub title: String,
    #[serde(default)]
    pub items: Vec<NewDeliveryItem>,
    #[serde(default)]
    pub synthetic: bool,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDeliveryItem {
    #[cfg_attr(feature = "schema", schemars(regex(pattern = crate::text::NON_BLANK_PATTERN)))]
    pub description: String,
    #[serde(deserialize_with = "crate::integer::one")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = u32::MAX)))]
    pub quantity: u32,
}

impl NewProject {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.title.trim().is_empty() || self.title.chars().count() > crate::need::MAX_TITLE {
            return Err(DomainError::invalid("title", "a title is required (at most 200 characters)"));
        }
        if self.items.iter().any(|i| i.description.trim().is_empty() || i.quantity == 0) {
            return Err(DomainError::invalid("items", "each delivery item needs a description and a quantity above zero"));
        }
        Ok(())
    }
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub id: MilestoneId,
    pub title: String,
    pub due: Option<Date>,
    pub completed_at: Option<Timestamp>,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryItem {
    pub description: String,
    pub quantity: u32,
}

/// The beneficiary's acceptance: who, when, what they stated, and a SHA-256
/// seal over those facts so that any later change to them is detectable.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    pub by: String,
    pub at: Timestamp,
    pub statement: String,
    pub seal: String,
}

impl Acceptance {
    /// The ids enter the seal as people see them (`PR-1`, `N-1`).
    pub fn seal(project: ProjectId, need: NeedId, by: &str, at: Timestamp, statement: &str) -> String {
        let mut h = Sha256::new();
        for part in [&project.to_string(), &need.to_string(), by, &at.as_microsecond().to_string(), statement] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub need: NeedId,
    pub beneficiary: String,
    pub implementer: String,
    pub title: String,
    pub status: ProjectStatus,
    pub milestones: Vec<Milestone>,
    pub items: Vec<DeliveryItem>,
    pub acceptance: Option<Acceptance>,
    pub synthetic: bool,
    pub created_at: Timestamp,
}
