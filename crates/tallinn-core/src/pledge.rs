//! Pledges: a donor's offer of money or in-kind help, with earmarks.
//!
//! Statuses follow the humanitarian-finance rule: `announced` pledges are
//! recorded but never counted in totals; `committed` and `disbursed` money is.

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::id::PledgeId;
use crate::money::{Currency, Money};
use crate::need::{Capability, Need, Sector};
use crate::policy::{Confidentiality, Tlp};

vocabulary! {
    pub enum PledgeStatus as "pledge status" {
        Announced = "announced",
        Committed = "committed",
        Disbursed = "disbursed",
        Cancelled = "cancelled",
    }
}

impl crate::Lifecycle for PledgeStatus {
    const ENTITY: &'static str = "pledge";

    fn can_move_to(self, to: PledgeStatus) -> bool {
        use PledgeStatus::*;
        matches!((self, to), (Announced, Committed) | (Committed, Disbursed) | (Announced | Committed, Cancelled))
    }
}

impl PledgeStatus {
    /// Counted in totals (committed or disbursed).
    pub fn is_counted(self) -> bool {
        matches!(self, PledgeStatus::Committed | PledgeStatus::Disbursed)
    }

    /// Money that may be allocated to needs: only committed money funds a need.
    pub fn is_allocatable(self) -> bool {
        self.is_counted()
    }
}

vocabulary! {
    pub enum PledgeKind as "pledge kind" {
        Money = "money",
        InKind = "in_kind",
    }
}

vocabulary! {
    /// How in-kind help is valued.
    pub enum ValuationMethod as "valuation method" {
        MarketPrice = "market_price",
        DonorCost = "donor_cost",
        ReplacementCost = "replacement_cost",
    }
}

/// One line of in-kind help, valued per unit in the pledge's currency.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InKindItem {
    pub description: String,
    pub quantity: u32,
    /// Minor units of the pledge currency per unit.
    pub unit_value_minor: i64,
}

/// What a pledge may fund. An empty list means "any".
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earmarks {
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    #[serde(default)]
    pub sectors: Vec<Sector>,
    #[serde(default)]
    pub beneficiaries: Vec<String>,
}

impl Earmarks {
    /// Why the earmarks exclude `need`, if they do.
    pub fn excludes(&self, need: &Need) -> Option<String> {
        if !self.capabilities.is_empty() && !self.capabilities.contains(&need.capability) {
            return Some(format!("capability {} is not among the earmarks ({})", need.capability, crate::vocabulary::join(&self.capabilities)));
        }
        if !self.sectors.is_empty() && !self.sectors.contains(&need.sector) {
            return Some(format!("sector {} is not among the earmarks ({})", need.sector, crate::vocabulary::join(&self.sectors)));
        }
        if !self.beneficiaries.is_empty() && !self.beneficiaries.contains(&need.beneficiary) {
            return Some(format!("beneficiary {} is not among the earmarks ({})", need.beneficiary, self.beneficiaries.join(", ")));
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPledge {
    pub donor: String,
    pub title: String,
    pub kind: PledgeKind,
    pub amount: Money,
    #[serde(default)]
    pub items: Vec<InKindItem>,
    pub valuation: Option<ValuationMethod>,
    /// The day the pledge was made; its EUR value uses the rate of that day.
    pub pledged_on: Date,
    #[serde(default)]
    pub budget_years: Vec<i16>,
    #[serde(default)]
    pub earmarks: Earmarks,
    pub tlp: Tlp,
    #[serde(default)]
    pub share_orgs: Vec<String>,
    #[serde(default)]
    pub share_users: Vec<String>,
    #[serde(default)]
    pub synthetic: bool,
}

/// The budget years a pledge may name.
pub const MIN_BUDGET_YEAR: i16 = 2000;
pub const MAX_BUDGET_YEAR: i16 = 2100;

impl NewPledge {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.title.trim().is_empty() || self.title.chars().count() > crate::need::MAX_TITLE {
            return Err(DomainError::invalid("title", "a title is required (at most 200 characters)"));
        }
        if self.amount.minor <= 0 {
            return Err(DomainError::invalid("amount", "a pledge must be more than zero"));
        }
        match self.kind {
            PledgeKind::Money => {
                if !self.items.is_empty() || self.valuation.is_some() {
                    return Err(DomainError::invalid("items", "a money pledge has no in-kind items or valuation method"));
                }
            }
            PledgeKind::InKind => {
                let total = items_total(&self.items)?;
                if total != self.amount.minor {
                    return Err(DomainError::invalid(
                        "amount",
                        format!("the amount {} differs from the items' value {}", self.amount, Money::new(total, self.amount.currency)),
                    ));
                }
            }
        }
        for year in &self.budget_years {
            if !(MIN_BUDGET_YEAR..=MAX_BUDGET_YEAR).contains(year) {
                return Err(DomainError::invalid("budget_years", format!("{year} is not a budget year")));
            }
        }
        for org in &self.share_orgs {
            crate::participant::validate_code("share_orgs", org)?;
        }
        for org in &self.earmarks.beneficiaries {
            crate::participant::validate_code("beneficiaries", org)?;
        }
        for user in &self.share_users {
            crate::participant::validate_user_name(user).map_err(|e| crate::error::FieldError::new("share_users", e.message))?;
        }
        Ok(())
    }
}

/// What a pledge is, from what a form, a request or the command line gives:
/// money when no items are listed; in-kind otherwise, worth the items' total
/// unless an amount is given (which must then agree, as `validate` checks),
/// valued at market price unless another method is named.
pub fn kind_and_amount(
    amount: Option<Money>,
    currency: Currency,
    items: &[InKindItem],
    valuation: Option<ValuationMethod>,
) -> Result<(PledgeKind, Money, Option<ValuationMethod>), DomainError> {
    if items.is_empty() {
        let amount = amount.ok_or_else(|| DomainError::invalid("amount", "a money pledge needs its amount"))?;
        return Ok((PledgeKind::Money, amount, valuation));
    }
    let amount = match amount {
        Some(a) => a,
        None => Money::new(items_total(items)?, currency),
    };
    Ok((PledgeKind::InKind, amount, Some(valuation.unwrap_or(ValuationMethod::MarketPrice))))
}

/// At most this many lines of in-kind help in one pledge.
pub const MAX_ITEMS: usize = 50;

/// At most this many units in one line.
pub const MAX_ITEM_QUANTITY: u32 = 1_000_000;

/// A unit value the API's document offers: above zero, at most
/// 999,999,999.99. With [`MAX_ITEMS`] and [`MAX_ITEM_QUANTITY`] this keeps
/// every pledge's total within i64 minor units (larger unit values are
/// taken while the total fits).
pub const UNIT_VALUE_PATTERN: &str = r"^([1-9][0-9]{0,8}(\.[0-9]{1,2})?|0\.(0[1-9]|[1-9][0-9]?))$";

/// [`UNIT_VALUE_PATTERN`] for currencies without minor units.
pub const WHOLE_UNIT_VALUE_PATTERN: &str = "^[1-9][0-9]{0,8}$";

/// The value of in-kind items in minor units of their currency: quantity ×
/// unit value, summed; every item checked.
pub fn items_total(items: &[InKindItem]) -> Result<i64, DomainError> {
    if items.is_empty() {
        return Err(DomainError::invalid("items", "an in-kind pledge lists its items"));
    }
    if items.len() > MAX_ITEMS {
        return Err(DomainError::invalid("items", format!("at most {MAX_ITEMS} items in one pledge")));
    }
    if items.iter().any(|i| i.quantity > MAX_ITEM_QUANTITY) {
        return Err(DomainError::invalid("items", format!("at most {MAX_ITEM_QUANTITY} units in one item")));
    }
    let mut total: i64 = 0;
    for item in items {
        if item.description.trim().is_empty() || item.quantity == 0 || item.unit_value_minor <= 0 {
            return Err(DomainError::invalid("items", "each item needs a description, a quantity and a unit value above zero"));
        }
        total = i64::from(item.quantity)
            .checked_mul(item.unit_value_minor)
            .and_then(|v| v.checked_add(total))
            .ok_or_else(|| DomainError::invalid("items", "item values are too large"))?;
    }
    Ok(total)
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pledge {
    pub id: PledgeId,
    pub donor: String,
    pub title: String,
    pub kind: PledgeKind,
    pub amount: String,
    pub currency: String,
    #[serde(skip)]
    pub amount_minor: i64,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "crate::money::eur_string", rename = "amount_eur")]
    pub eur_minor: i64,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "crate::money::eur_string", rename = "allocated_eur")]
    pub allocated_eur_minor: i64,
    pub rate: Decimal,
    pub rate_date: Date,
    pub rate_source: String,
    pub items: Vec<InKindItem>,
    pub valuation: Option<ValuationMethod>,
    pub pledged_on: Date,
    pub budget_years: Vec<i16>,
    pub earmarks: Earmarks,
    pub status: PledgeStatus,
    pub tlp: Tlp,
    pub share_orgs: Vec<String>,
    pub share_users: Vec<String>,
    pub synthetic: bool,
    pub created_at: Timestamp,
}

impl Pledge {
    pub fn confidentiality(&self) -> Confidentiality {
        Confidentiality { tlp: self.tlp, owner_org: self.donor.clone(), share_orgs: self.share_orgs.clone(), share_users: self.share_users.clone() }
    }

    pub fn balance_eur_minor(&self) -> i64 {
        self.eur_minor - self.allocated_eur_minor
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lifecycle;

    fn pledge() -> NewPledge {
        NewPledge {
            donor: "EE".into(),
            title: "t".into(),
            kind: PledgeKind::Money,
            amount: Money::eur(100),
            items: vec![],
            valuation: None,
            pledged_on: "2025-01-01".parse().unwrap(),
            budget_years: vec![2025],
            earmarks: Earmarks::default(),
            tlp: Tlp::Green,
            share_orgs: vec![],
            share_users: vec![],
            synthetic: false,
        }
    }

    #[test]
    fn statuses() {
        assert!(PledgeStatus::Announced.can_move_to(PledgeStatus::Committed));
        assert!(!PledgeStatus::Announced.can_move_to(PledgeStatus::Disbursed));
        assert!(!PledgeStatus::Cancelled.can_move_to(PledgeStatus::Committed));
        assert!(!PledgeStatus::Disbursed.can_move_to(PledgeStatus::Cancelled));
        assert!(!PledgeStatus::Announced.is_counted());
    }

    #[test]
    fn in_kind_items_must_add_up() {
        let items = vec![InKindItem { description: "terminal".into(), quantity: 3, unit_value_minor: 50 }];
        let ok = NewPledge {
            kind: PledgeKind::InKind,
            items: items.clone(),
            valuation: Some(ValuationMethod::MarketPrice),
            amount: Money::new(150, Currency::EUR),
            ..pledge()
        };
        assert!(ok.validate().is_ok());
        assert_eq!(
            kind_and_amount(None, Currency::EUR, &items, None).unwrap(),
            (PledgeKind::InKind, Money::new(150, Currency::EUR), Some(ValuationMethod::MarketPrice))
        );
        assert_eq!(kind_and_amount(Some(Money::eur(2)), Currency::EUR, &[], None).unwrap(), (PledgeKind::Money, Money::eur(2), None));
        assert_eq!(kind_and_amount(None, Currency::EUR, &[], None).unwrap_err().field(), Some("amount"));
        let bad = [InKindItem { quantity: 0, ..items[0].clone() }];
        assert_eq!(kind_and_amount(None, Currency::EUR, &bad, None).unwrap_err().field(), Some("items"));
        let off = NewPledge { amount: Money::eur(151), ..ok.clone() };
        assert_eq!(off.validate().unwrap_err().field(), Some("amount"));
        assert_eq!(NewPledge { amount: Money::eur(0), ..pledge() }.validate().unwrap_err().field(), Some("amount"));
        assert_eq!(NewPledge { budget_years: vec![1990], ..pledge() }.validate().unwrap_err().field(), Some("budget_years"));
    }
}
