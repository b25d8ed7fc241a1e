//! The records a report is computed from: exactly the ones its reader may
//! see, already filtered by the store with the one visibility policy. Every
//! function of this crate is a function of these facts alone, so a report read
//! by a donor is, by construction, the report of the ledger restricted to
//! what that donor may see.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use tallinn_core::agreement::{AgreementDomain, Announcement};
use tallinn_core::need::{Capability, NeedStatus, Sector, Urgency};
use tallinn_core::pledge::PledgeStatus;
use tallinn_core::policy::Tlp;
use tallinn_core::transaction::TransactionKind;

/// Who the report is for, said on every report so that no reader mistakes a
/// partial view for the whole ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Scope {
    /// `true` for the operator, coordinators and auditors: nothing is hidden.
    pub whole_ledger: bool,
    /// Plain words: "the public (TLP:CLEAR records only)", "user anna (FR, donor)".
    pub reader: String,
}

/// A need, with the instants its lifecycle first reached the stages that
/// timing figures measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedFact {
    pub key: i64,
    pub id: String,
    pub title: String,
    pub description: String,
    pub beneficiary: String,
    pub capability: Capability,
    pub sector: Sector,
    pub urgency: Urgency,
    pub status: NeedStatus,
    pub cost_eur_minor: i64,
    pub funded_eur_minor: i64,
    pub deadline: Option<Date>,
    /// For the access log: naming an AMBER or RED need in a report is a read of it.
    pub tlp: Tlp,
    pub approved_at: Option<Timestamp>,
    pub funded_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub synthetic: bool,
}

impl NeedFact {
    /// In the Catalogue: approved by both panels and not withdrawn.
    pub fn in_catalogue(&self) -> bool {
        use NeedStatus::*;
        matches!(self.status, Approved | PartiallyFunded | Funded | InDelivery | Delivered | Accepted)
    }

    /// Some money has been allocated to it.
    pub fn is_funded(&self) -> bool {
        use NeedStatus::*;
        matches!(self.status, PartiallyFunded | Funded | InDelivery | Delivered | Accepted)
    }

    pub fn remainder_eur_minor(&self) -> i64 {
        self.cost_eur_minor - self.funded_eur_minor
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PledgeFact {
    pub key: i64,
    pub donor: String,
    pub status: PledgeStatus,
    pub eur_minor: i64,
    pub pledged_on: Date,
    pub synthetic: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationFact {
    pub pledge: i64,
    pub need: i64,
    pub eur_minor: i64,
    pub at: Timestamp,
}

/// One funding flow (a ledger transaction) in a compact form: reports read a
/// million of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    pub key: i64,
    pub kind: TransactionKind,
    /// Index into [`Facts::orgs`].
    pub provider: u32,
    pub receiver: u32,
    pub value_date: Date,
    pub eur_minor: i64,
    pub pledge: Option<i64>,
    pub need: Option<i64>,
    /// A flow that passes on another is the same euro: counted once, at its
    /// origin. In a reader's facts, only when the reader may see the origin:
    /// otherwise this flow is where the reader's money starts.
    pub pass_through: bool,
    /// The flow passed on (its key), when known.
    pub upstream: Option<i64>,
    pub synthetic: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFact {
    pub need: i64,
    pub implementer: String,
    pub started: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub accepted_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementFact {
    pub domain: AgreementDomain,
    pub signed_on: Option<Date>,
    pub synthetic: bool,
}

/// A participant as reports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub code: String,
    pub name: String,
    /// A member or observer: its flows are its own money.
    pub donor: bool,
}

/// Everything one reader may see that reports are made of.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub scope: Option<Scope>,
    /// Participants; flows refer to them by index.
    pub orgs: Vec<Org>,
    pub needs: Vec<NeedFact>,
    pub pledges: Vec<PledgeFact>,
    pub allocations: Vec<AllocationFact>,
    pub flows: Vec<Flow>,
    pub projects: Vec<ProjectFact>,
    pub agreements: Vec<AgreementFact>,
    pub announcements: Vec<Announcement>,
}

impl Facts {
    pub fn org_code(&self, ix: u32) -> &str {
        self.orgs.get(ix as usize).map_or("?", |o| o.code.as_str())
    }

    pub fn org_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.orgs.iter().find(|o| o.code == code).map_or(code, |o| o.name.as_str())
    }

    pub fn needs_by_key(&self) -> HashMap<i64, &NeedFact> {
        self.needs.iter().map(|n| (n.key, n)).collect()
    }

    pub fn pledges_by_key(&self) -> HashMap<i64, &PledgeFact> {
        self.pledges.iter().map(|p| (p.key, p)).collect()
    }

    /// The needs among `ids` whose reading must be written to the access
    /// log (AMBER and above), as `(kind, id, tlp)`.
    pub fn logged_reads<'a>(&'a self, ids: impl IntoIterator<Item = &'a str>) -> Vec<(&'static str, &'a str, Tlp)> {
        let by_id: HashMap<&str, Tlp> = self.needs.iter().map(|n| (n.id.as_str(), n.tlp)).collect();
        ids.into_iter().filter_map(|id| by_id.get(id).filter(|t| t.is_logged_on_read()).map(|t| ("need", id, *t))).collect()
    }
}

/// The visibility of a flow, derived from what it is linked to: flows carry
/// no TLP of their own, so a flow is visible when the pledge and the need it
/// names are (an unlinked flow is visible to everyone). The store applies the
/// same rule to its transaction lists.
pub fn flow_visible<P, N>(pledge: Option<P>, need: Option<N>, pledge_visible: impl FnOnce(P) -> bool, need_visible: impl FnOnce(N) -> bool) -> bool {
    pledge.is_none_or(pledge_visible) && need.is_none_or(need_visible)
}
