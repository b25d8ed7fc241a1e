//! Several operations in one transaction, each stamped at a time the caller
//! chooses: how a history is seeded (the demo dataset, `tallinn-demo`,
//! lays down two years of needs, reviews, pledges and deliveries at once).
//!
//! Each step is the body of the operation of the same name — the same
//! checks, including who may act (the actor set with [`Batch::act_as`]),
//! the same rows — but writes no audit entry of its own: committing the
//! batch appends one entry that names it. All steps are written, or none.
//! No interface offers a batch: choosing the time of a change is for code
//! that seeds a store, never for a user.

use jiff::Timestamp;
use serde::Serialize;
use tallinn_core::agreement::{Agreement, NewAgreement};
use tallinn_core::allocation::Allocation;
use tallinn_core::fx::FxRate;
use tallinn_core::need::{Need, NewNeed};
use tallinn_core::participant::{NewUser, Participant, User};
use tallinn_core::pledge::{NewPledge, Pledge, PledgeStatus};
use tallinn_core::policy::Principal;
use tallinn_core::project::{NewProject, Project};
use tallinn_core::review::NewReview;
use tallinn_core::transaction::{NewTransaction, Transaction};
use tallinn_core::{DomainError, MilestoneId, NeedId, PledgeId, ProjectId};

use crate::error::{Result, StoreError};
use crate::ledger::{Ledger, agreements, allocations, audit, fx, needs, participants, pledges, projects, transactions};
use crate::{AllocationLine, FxImportReport, TriageDecision, Tx};

/// See the module's text.
pub struct Batch {
    tx: Tx,
}

impl Ledger {
    /// Opens a batch, acting as the system at the ledger's current time.
    pub async fn batch(&self) -> Result<Batch> {
        Ok(Batch { tx: self.write(Principal::System).await? })
    }
}

impl Batch {
    /// The time the next step is stamped with.
    pub fn now(&self) -> Timestamp {
        self.tx.at
    }

    pub fn set_time(&mut self, at: Timestamp) {
        self.tx.at = at;
    }

    /// Who takes the next steps (their permissions are checked).
    pub fn act_as(&mut self, who: Principal) {
        self.tx.actor = who;
    }

    /// The participant with this code, if there is one.
    pub async fn participant(&mut self, code: &str) -> Result<Option<Participant>> {
        match participants::get(&mut self.tx, code).await {
            Ok(p) => Ok(Some(p)),
            Err(StoreError::Domain(DomainError::NotFound { .. })) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn add_participant(&mut self, p: &Participant) -> Result<()> {
        participants::insert(&mut self.tx, p).await
    }

    pub async fn add_user(&mut self, user: &NewUser) -> Result<User> {
        participants::insert_user(&mut self.tx, user).await
    }

    pub async fn import_rates(&mut self, rates: &[FxRate]) -> Result<FxImportReport> {
        fx::insert_rates(&mut self.tx, rates, &|_| {}).await
    }

    pub async fn add_pledge(&mut self, pledge: &NewPledge) -> Result<Pledge> {
        pledges::insert(&mut self.tx, pledge).await
    }

    /// The pledge, locked for the rest of the batch.
    pub async fn pledge(&mut self, id: PledgeId) -> Result<Pledge> {
        pledges::lock(&mut self.tx, id).await
    }

    pub async fn set_pledge_status(&mut self, id: PledgeId, to: PledgeStatus) -> Result<Pledge> {
        pledges::move_to(&mut self.tx, id, to).await
    }

    pub async fn add_transaction(&mut self, t: &NewTransaction) -> Result<Transaction> {
        transactions::insert(&mut self.tx, t).await
    }

    pub async fn add_need(&mut self, need: &NewNeed) -> Result<Need> {
        needs::insert(&mut self.tx, need).await
    }

    /// The need, locked for the rest of the batch.
    pub async fn need(&mut self, id: NeedId) -> Result<Need> {
        needs::lock(&mut self.tx, id).await
    }

    pub async fn submit_need(&mut self, id: NeedId) -> Result<Need> {
        needs::submit(&mut self.tx, id).await
    }

    pub async fn triage_need(&mut self, id: NeedId, decision: TriageDecision, comment: &str) -> Result<Need> {
        needs::triage(&mut self.tx, id, decision, comment).await
    }

    pub async fn review_need(&mut self, id: NeedId, review: &NewReview) -> Result<Need> {
        needs::review(&mut self.tx, id, review).await
    }

    pub async fn reserve_need(&mut self, id: NeedId, donor: &str, days: i64) -> Result<Need> {
        needs::reserve(&mut self.tx, id, donor, days).await
    }

    pub async fn withdraw_need(&mut self, id: NeedId, reason: &str) -> Result<Need> {
        needs::withdraw(&mut self.tx, id, reason).await
    }

    pub async fn allocate(&mut self, lines: &[AllocationLine]) -> Result<Vec<Allocation>> {
        allocations::apply(&mut self.tx, lines).await
    }

    pub async fn add_project(&mut self, p: &NewProject) -> Result<Project> {
        projects::create(&mut self.tx, p).await
    }

    pub async fn add_milestone(&mut self, project: ProjectId, title: &str, due: Option<jiff::civil::Date>) -> Result<Project> {
        projects::add_milestone(&mut self.tx, project, title, due).await
    }

    pub async fn complete_milestone(&mut self, project: ProjectId, milestone: MilestoneId) -> Result<Project> {
        projects::complete_milestone(&mut self.tx, project, milestone).await
    }

    pub async fn deliver_project(&mut self, project: ProjectId) -> Result<Project> {
        projects::deliver(&mut self.tx, project).await
    }

    pub async fn accept_project(&mut self, project: ProjectId, statement: &str) -> Result<Project> {
        projects::accept(&mut self.tx, project, statement).await
    }

    pub async fn add_agreement(&mut self, a: &NewAgreement) -> Result<Agreement> {
        agreements::insert(&mut self.tx, a).await
    }

    /// Writes every step, with one audit entry (`action` on `entity`, with
    /// `details`) stamped at the time set last, acting as the system.
    pub async fn commit<T: Serialize>(mut self, action: &'static str, entity: &'static str, details: &T) -> Result<()> {
        self.tx.actor = Principal::System;
        let result = audit(&mut self.tx, action, entity, "", details).await;
        self.tx.finish(result).await
    }

    /// Writes nothing.
    pub async fn rollback(self) {
        self.tx.rollback().await
    }
}
