//! Allocations: part of a pledge assigned to a need. The invariants of docs/product.md: the ledger
//! are checked here, by the store, inside the transaction that writes them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::id::{AllocationId, NeedId, PledgeId};
use crate::need::Need;
use crate::pledge::Pledge;
use crate::policy::Principal;

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub id: AllocationId,
    pub pledge: PledgeId,
    pub need: NeedId,
    pub donor: String,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "crate::money::eur_string", rename = "amount_eur")]
    pub amount_eur_minor: i64,
    pub created_at: Timestamp,
    pub created_by: String,
}

/// Checks one allocation of `amount` EUR cents from `pledge` to `need`, both
/// read (and locked) in the current transaction. `donor` is the pledging
/// organisation as a principal, for the visibility rule.
pub fn check(need: &Need, pledge: &Pledge, donor: &Principal, amount: i64, now: Timestamp) -> Result<(), DomainError> {
    if amount <= 0 {
        return Err(DomainError::invalid("amount", "an allocation must be more than zero"));
    }
    if !need.visible_to(donor) {
        // Said as "not found" so that the error reveals nothing about the need.
        return Err(DomainError::not_found("need", need.id));
    }
    if !need.status.is_fundable() {
        return Err(DomainError::Conflict(format!("need {} is {}, only approved needs can be funded", need.id, need.status)));
    }
    if !pledge.status.is_allocatable() {
        return Err(DomainError::Conflict(format!("pledge {} is {}; only committed money can be allocated", pledge.id, pledge.status)));
    }
    if let Some(why) = pledge.earmarks.excludes(need) {
        return Err(DomainError::Conflict(format!("pledge {} cannot fund need {}: {why}", pledge.id, need.id)));
    }
    if let Some(r) = &need.reservation
        && r.is_active(now)
        && r.donor.as_deref() != Some(pledge.donor.as_str())
    {
        return Err(DomainError::Conflict(format!(
            "need {} is under discussion by {} until {}",
            need.id,
            r.donor.as_deref().unwrap_or("another donor"),
            r.until
        )));
    }
    let remainder = need.remainder_eur_minor();
    if amount > remainder {
        return Err(DomainError::Conflict(format!(
            "allocating EUR {} to need {} would exceed its cost: only EUR {} is unfunded",
            crate::money::format_minor(amount, 2),
            need.id,
            crate::money::format_minor(remainder, 2)
        )));
    }
    let balance = pledge.balance_eur_minor();
    if amount > balance {
        return Err(DomainError::Conflict(format!(
            "allocating EUR {} from pledge {} would exceed its amount: only EUR {} is unallocated",
            crate::money::format_minor(amount, 2),
            pledge.id,
            crate::money::format_minor(balance, 2)
        )));
    }
    Ok(())
}

/// After a batch, an all-or-nothing need is funded entirely or not at all.
pub fn check_all_or_nothing(need: &Need) -> Result<(), DomainError> {
    if !need.divisible && need.funded_eur_minor != 0 && need.funded_eur_minor != need.cost_eur_minor {
        return Err(DomainError::Conflict(format!(
            "need {} is all-or-nothing: its EUR {} must be funded whole, in one operation",
            need.id,
            crate::money::format_minor(need.cost_eur_minor, 2)
        )));
    }
    Ok(())
}
