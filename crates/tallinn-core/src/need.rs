//! Needs: Ukraine's project requests, and their lifecycle (docs/product.md: the ledger).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FieldError};
use crate::id::NeedId;
use crate::policy::{Confidentiality, Tlp};

vocabulary! {
    /// Capability areas of the 2025 declaration.
    pub enum Capability as "capability" {
        Detect = "detect",
        ImposeCost = "impose_cost",
        Remediate = "remediate",
        Resilience = "resilience",
        DigitalState = "digital_state",
        Connectivity = "connectivity",
    }
}

vocabulary! {
    pub enum Sector as "sector" {
        Government = "government",
        Energy = "energy",
        Telecom = "telecom",
        Finance = "finance",
        Health = "health",
        Transport = "transport",
        Water = "water",
        DefenceIndustry = "defence_industry",
        Education = "education",
        Media = "media",
        LocalGovernment = "local_government",
        Other = "other",
    }
}

vocabulary! {
    pub enum Urgency as "urgency" {
        Critical = "critical",
        High = "high",
        Medium = "medium",
        Low = "low",
    }
}

impl Urgency {
    /// The allocation engine's default weight (docs/product.md: allocation).
    pub fn default_weight(self) -> u32 {
        match self {
            Urgency::Critical => 8,
            Urgency::High => 4,
            Urgency::Medium => 2,
            Urgency::Low => 1,
        }
    }
}

vocabulary! {
    pub enum NeedStatus as "need status" {
        Draft = "draft",
        Submitted = "submitted",
        TechnicalReview = "technical_review",
        StrategicReview = "strategic_review",
        Approved = "approved",
        PartiallyFunded = "partially_funded",
        Funded = "funded",
        InDelivery = "in_delivery",
        Delivered = "delivered",
        Accepted = "accepted",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
}

impl crate::Lifecycle for NeedStatus {
    const ENTITY: &'static str = "need";

    /// The lifecycle, as one table: may a need go from `self` to `to`?
    fn can_move_to(self, to: NeedStatus) -> bool {
        use NeedStatus::*;
        matches!(
            (self, to),
            (Draft, Submitted)
                | (Submitted, TechnicalReview)
                | (TechnicalReview, StrategicReview)
                | (StrategicReview, Approved)
                | (Approved, PartiallyFunded | Funded)
                | (PartiallyFunded, Funded)
                | (Funded, InDelivery)
                | (InDelivery, Delivered)
                | (Delivered, Accepted)
                | (Submitted | TechnicalReview | StrategicReview, Rejected)
                | (Draft | Submitted | TechnicalReview | StrategicReview | Approved, Withdrawn)
        )
    }
}

impl NeedStatus {
    /// Before a panel: what reviewers may read whatever its level.
    pub fn is_in_review(self) -> bool {
        matches!(self, NeedStatus::TechnicalReview | NeedStatus::StrategicReview)
    }

    /// In the Catalogue: approved and open to funding.
    pub fn is_fundable(self) -> bool {
        matches!(self, NeedStatus::Approved | NeedStatus::PartiallyFunded)
    }

    /// Statuses a donor may reserve in.
    pub fn is_reservable(self) -> bool {
        self.is_fundable()
    }

    /// The funding status for `funded` euros of `cost`.
    pub fn for_funding(funded: i64, cost: i64) -> NeedStatus {
        if funded >= cost {
            NeedStatus::Funded
        } else if funded > 0 {
            NeedStatus::PartiallyFunded
        } else {
            NeedStatus::Approved
        }
    }
}

/// A need as filed: what every interface reads its own syntax into (the
/// API's JSON, whose shape is this type's serde form, the CLI's flags, the
/// web form, a CSV row).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(description = "A need to file; it starts as a draft."))]
pub struct NewNeed {
    #[cfg_attr(feature = "schema", schemars(regex(pattern = crate::participant::CODE_PATTERN)))]
    pub beneficiary: String,
    #[cfg_attr(feature = "schema", schemars(regex(pattern = crate::text::NON_BLANK_PATTERN), length(max = MAX_TITLE)))]
    pub title: String,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(regex(pattern = crate::text::PATTERN), length(max = MAX_DESCRIPTION)))]
    pub description: String,
    pub capability: Capability,
    pub sector: Sector,
    pub urgency: Urgency,
    /// Estimated cost in EUR cents: the Catalogue is costed in the reporting
    /// currency so that allocations from any donor compare exactly. Written
    /// `cost_eur`, in EUR, e.g. "125000.00".
    #[serde(rename = "cost_eur", with = "cost_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String", regex(pattern = crate::money::POSITIVE_AMOUNT_PATTERN), description = "EUR, e.g. \"125000.00\"."))]
    pub cost_eur_minor: i64,
    #[serde(default = "divisible_by_default")]
    pub divisible: bool,
    pub deadline: Option<Date>,
    pub tlp: Tlp,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(inner(regex(pattern = crate::participant::CODE_PATTERN))))]
    pub share_orgs: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(inner(regex(pattern = crate::participant::USER_NAME_PATTERN))))]
    pub share_users: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(inner(regex(pattern = TAG_PATTERN))))]
    pub tags: Vec<String>,
    /// Made by the demo generator. Never read from outside: only the
    /// generator sets it.
    #[serde(skip)]
    pub synthetic: bool,
}

fn divisible_by_default() -> bool {
    true
}

/// `cost_eur` as text: a positive amount with at most two decimals.
mod cost_eur {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(minor: &i64, s: S) -> Result<S::Ok, S::Error> {
        crate::money::eur_string::serialize(minor, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        crate::money::parse_minor("cost_eur", &text, 2).map_err(|e| serde::de::Error::custom(e.message))
    }
}

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 20_000;

/// A tag: 1-40 characters, no white space, ';' or ',' (the rule in
/// [`NewNeed::validate`], as a regular expression for the API's document).
pub const TAG_PATTERN: &str = r"^[^\s;,\u0000-\u001F\u007F]{1,40}$";

impl NewNeed {
    pub fn validate(&self) -> Result<(), DomainError> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            return Err(DomainError::invalid("title", format!("a title is required (at most {MAX_TITLE} characters)")));
        }
        if self.description.chars().count() > MAX_DESCRIPTION {
            return Err(DomainError::invalid("description", format!("at most {MAX_DESCRIPTION} characters")));
        }
        if self.cost_eur_minor <= 0 {
            return Err(DomainError::invalid("cost_eur", "the estimated cost must be more than zero"));
        }
        for tag in &self.tags {
            let ok = (1..=40).contains(&tag.chars().count()) && !tag.chars().any(|c| c.is_whitespace() || c == ';' || c == ',');
            if !ok {
                return Err(DomainError::invalid("tags", format!("'{tag}' is not a tag (1-40 characters, no spaces, ';' or ',')")));
            }
        }
        for org in &self.share_orgs {
            crate::participant::validate_code("share_orgs", org)?;
        }
        for user in &self.share_users {
            crate::participant::validate_user_name(user).map_err(|e| FieldError::new("share_users", e.message))?;
        }
        Ok(())
    }
}

vocabulary! {
    /// A coordinator's verdict on a pair of needs found by deconfliction.
    pub enum Relation as "relation" {
        Duplicate = "duplicate",
        Complementary = "complementary",
    }
}

/// A recorded verdict, as seen from one of the two needs.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedRelation {
    pub other: NeedId,
    pub relation: Relation,
    pub note: String,
    pub decided_at: Timestamp,
    pub decided_by: String,
}

/// Funding remainder with a reservation, as the store reads it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// The reserving donor; `None` for the public, who see only that the
    /// need is under discussion (ADR 0005).
    pub donor: Option<String>,
    pub until: Timestamp,
}

impl Reservation {
    /// A reservation is over once its time has passed; nothing needs to run
    /// for it to expire.
    pub fn is_active(&self, now: Timestamp) -> bool {
        now < self.until
    }
}

/// The default reservation period.
pub const DEFAULT_RESERVATION_DAYS: i64 = 30;
/// The longest a donor may hold a need without funding it.
pub const MAX_RESERVATION_DAYS: i64 = 90;

/// A need as read from the ledger.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Need {
    pub id: NeedId,
    pub beneficiary: String,
    pub title: String,
    pub description: String,
    pub capability: Capability,
    pub sector: Sector,
    pub urgency: Urgency,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "crate::money::eur_string", rename = "cost")]
    pub cost_eur_minor: i64,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "crate::money::eur_string", rename = "funded")]
    pub funded_eur_minor: i64,
    pub divisible: bool,
    pub deadline: Option<Date>,
    pub status: NeedStatus,
    pub tlp: Tlp,
    pub share_orgs: Vec<String>,
    pub share_users: Vec<String>,
    pub tags: Vec<String>,
    /// Present only while active.
    pub reservation: Option<Reservation>,
    pub synthetic: bool,
    pub created_at: Timestamp,
    pub created_by: String,
}

impl Need {
    pub fn confidentiality(&self) -> Confidentiality {
        Confidentiality { tlp: self.tlp, owner_org: self.beneficiary.clone(), share_orgs: self.share_orgs.clone(), share_users: self.share_users.clone() }
    }

    /// The need as `who` reads it: the public does not learn which donor
    /// reserved it, only that it is under discussion.
    pub fn as_seen_by(mut self, who: &crate::policy::Principal) -> Need {
        if matches!(who, crate::policy::Principal::Public)
            && let Some(r) = &mut self.reservation
        {
            r.donor = None;
        }
        self
    }

    /// Whether `who` may see this need (`policy::may_see_need`).
    pub fn visible_to(&self, who: &crate::policy::Principal) -> bool {
        crate::policy::may_see_need(who, &self.confidentiality(), self.status.is_in_review())
    }

    pub fn remainder_eur_minor(&self) -> i64 {
        self.cost_eur_minor - self.funded_eur_minor
    }
}

/// One stamped step of a need's lifecycle.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedTransition {
    pub need: NeedId,
    pub from: Option<NeedStatus>,
    pub to: NeedStatus,
    pub at: Timestamp,
    pub actor: String,
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lifecycle;
    use NeedStatus::*;

    #[test]
    fn lifecycle_table() {
        let allowed = [
            (Draft, Submitted),
            (Submitted, TechnicalReview),
            (TechnicalReview, StrategicReview),
            (StrategicReview, Approved),
            (Approved, PartiallyFunded),
            (Approved, Funded),
            (PartiallyFunded, Funded),
            (Funded, InDelivery),
            (InDelivery, Delivered),
            (Delivered, Accepted),
            (TechnicalReview, Rejected),
            (Approved, Withdrawn),
        ];
        for (from, to) in allowed {
            assert!(from.can_move_to(to), "{from} -> {to}");
        }
        let refused = [
            (Draft, Approved),
            (Submitted, Approved),
            (Rejected, Submitted),
            (Funded, Withdrawn),
            (Accepted, Draft),
            (Withdrawn, Submitted),
            (Approved, Rejected),
        ];
        for (from, to) in refused {
            assert!(!from.can_move_to(to), "{from} -> {to}");
            assert!(matches!(from.check_move(to, "N-1"), Err(DomainError::InvalidTransition { .. })));
        }
        for s in NeedStatus::ALL {
            assert!(!s.can_move_to(*s), "no self-loop at {s}");
        }
    }

    #[test]
    fn funding_status() {
        assert_eq!(NeedStatus::for_funding(0, 100), Approved);
        assert_eq!(NeedStatus::for_funding(1, 100), PartiallyFunded);
        assert_eq!(NeedStatus::for_funding(100, 100), Funded);
    }

    #[test]
    fn vocabulary_words() {
        assert_eq!("impose_cost".parse::<Capability>().unwrap(), Capability::ImposeCost);
        let err = "cyber".parse::<Capability>().unwrap_err();
        assert!(err.to_string().contains("unknown capability 'cyber'"));
        assert_eq!(serde_json::to_string(&Sector::DefenceIndustry).unwrap(), "\"defence_industry\"");
        assert_eq!("amber+strict".parse::<Tlp>().unwrap(), Tlp::AmberStrict);
    }
}
