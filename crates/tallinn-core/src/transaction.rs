//! Funding flows, aligned with IATI transaction types. Each carries its EUR
//! value with the rate, rate date and rate source used.

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::id::{NeedId, PledgeId, TransactionId};
use crate::money::Money;

vocabulary! {
    pub enum TransactionKind as "transaction kind" {
        IncomingPledge = "incoming_pledge",
        OutgoingPledge = "outgoing_pledge",
        Commitment = "commitment",
        Disbursement = "disbursement",
        Expenditure = "expenditure",
        IncomingFunds = "incoming_funds",
    }
}

impl TransactionKind {
    /// The IATI TransactionType code.
    pub fn iati_code(self) -> u8 {
        match self {
            TransactionKind::IncomingFunds => 1,
            TransactionKind::Commitment => 2,
            TransactionKind::Disbursement => 3,
            TransactionKind::Expenditure => 4,
            TransactionKind::OutgoingPledge => 12,
            TransactionKind::IncomingPledge => 13,
        }
    }

    /// Money that has actually moved cannot be dated in the future (an IATI
    /// validator rule); pledges and commitments may name a future value date.
    pub fn must_not_be_future(self) -> bool {
        matches!(self, TransactionKind::Disbursement | TransactionKind::Expenditure | TransactionKind::IncomingFunds)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTransaction {
    pub kind: TransactionKind,
    pub provider: String,
    pub receiver: String,
    pub value_date: Date,
    pub amount: Money,
    pub pledge: Option<PledgeId>,
    pub need: Option<NeedId>,
    /// The transaction this one passes on (a donor funding through another
    /// body): reports count the euro once, at its origin.
    pub pass_through_of: Option<TransactionId>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub synthetic: bool,
}

impl NewTransaction {
    pub fn validate(&self, today: Date) -> Result<(), DomainError> {
        if self.amount.minor <= 0 {
            return Err(DomainError::invalid("amount", "a transaction must be more than zero"));
        }
        if self.provider == self.receiver {
            // Refused (409), not invalid: the schema language cannot relate two
            // fields, so the API's document cannot state this rule (ADR 0014).
            return Err(DomainError::refused("receiver", "provider and receiver must differ"));
        }
        if self.kind.must_not_be_future() && self.value_date > today {
            return Err(DomainError::refused("value_date", format!("a {} cannot be dated in the future ({})", self.kind, self.value_date)));
        }
        Ok(())
    }
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub id: TransactionId,
    pub kind: TransactionKind,
    pub provider: String,
    pub receiver: String,
    pub value_date: Date,
    pub amount: String,
    pub currency: String,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "crate::money::eur_string", rename = "amount_eur")]
    pub eur_minor: i64,
    pub rate: Decimal,
    pub rate_date: Date,
    pub rate_source: String,
    pub pledge: Option<PledgeId>,
    pub need: Option<NeedId>,
    pub pass_through_of: Option<TransactionId>,
    pub description: String,
    pub synthetic: bool,
    pub created_at: Timestamp,
}
