//! Panel reviews: the technical panel scores feasibility and relevance, the
//! inter-agency (strategic) panel scores strategic importance. Both must
//! approve before a need enters the Catalogue.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::id::NeedId;
use crate::need::NeedStatus;
use crate::participant::Panel;

vocabulary! {
    pub enum Decision as "decision" {
        Approve = "approve",
        Reject = "reject",
        /// Recorded without effect; the only decision allowed after declaring
        /// a conflict of interest.
        Abstain = "abstain",
    }
}

/// Scores are whole numbers from 0 to 5.
pub const MAX_SCORE: u8 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReview {
    pub panel: Panel,
    pub decision: Decision,
    /// Technical panel.
    pub feasibility: Option<u8>,
    /// Technical panel.
    pub relevance: Option<u8>,
    /// Strategic panel.
    pub importance: Option<u8>,
    pub comment: String,
    pub conflict_of_interest: bool,
}

impl NewReview {
    pub fn validate(&self) -> Result<(), DomainError> {
        for (field, score) in [("feasibility", self.feasibility), ("relevance", self.relevance), ("importance", self.importance)] {
            if let Some(s) = score
                && s > MAX_SCORE
            {
                return Err(DomainError::invalid(field, format!("a score is 0 to {MAX_SCORE}, not {s}")));
            }
        }
        if self.conflict_of_interest && self.decision != Decision::Abstain {
            return Err(DomainError::invalid("decision", "a reviewer who declares a conflict of interest must abstain"));
        }
        if self.decision != Decision::Abstain {
            let missing = match self.panel {
                Panel::Technical => [("feasibility", self.feasibility), ("relevance", self.relevance)].into_iter().find(|(_, s)| s.is_none()),
                Panel::Strategic => [("importance", self.importance)].into_iter().find(|(_, s)| s.is_none()),
            };
            if let Some((field, _)) = missing {
                return Err(DomainError::invalid(field, format!("the {} panel scores {field} (0-{MAX_SCORE})", self.panel)));
            }
            let foreign = match self.panel {
                Panel::Technical => self.importance.map(|_| "importance"),
                Panel::Strategic => self.feasibility.or(self.relevance).map(|_| "feasibility/relevance"),
            };
            if let Some(field) = foreign {
                return Err(DomainError::invalid(field, format!("the {} panel does not score {field}", self.panel)));
            }
        }
        if self.decision == Decision::Reject && self.comment.trim().is_empty() {
            return Err(DomainError::invalid("comment", "a rejection needs a comment that says why"));
        }
        Ok(())
    }
}

/// The status a need must be in for `panel` to review it.
pub fn stage_of(panel: Panel) -> NeedStatus {
    match panel {
        Panel::Technical => NeedStatus::TechnicalReview,
        Panel::Strategic => NeedStatus::StrategicReview,
    }
}

/// Where a decision moves the need, if anywhere.
pub fn outcome(panel: Panel, decision: Decision) -> Option<NeedStatus> {
    match (panel, decision) {
        (_, Decision::Abstain) => None,
        (_, Decision::Reject) => Some(NeedStatus::Rejected),
        (Panel::Technical, Decision::Approve) => Some(NeedStatus::StrategicReview),
        (Panel::Strategic, Decision::Approve) => Some(NeedStatus::Approved),
    }
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub need: NeedId,
    pub panel: Panel,
    pub reviewer: String,
    pub decision: Decision,
    pub feasibility: Option<u8>,
    pub relevance: Option<u8>,
    pub importance: Option<u8>,
    pub comment: String,
    pub conflict_of_interest: bool,
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(panel: Panel, decision: Decision) -> NewReview {
        NewReview { panel, decision, feasibility: Some(4), relevance: Some(5), importance: None, comment: "ok".into(), conflict_of_interest: false }
    }

    #[test]
    fn validates_scores_and_conflicts() {
        assert!(review(Panel::Technical, Decision::Approve).validate().is_ok());
        let too_high = NewReview { feasibility: Some(6), ..review(Panel::Technical, Decision::Approve) };
        assert_eq!(too_high.validate().unwrap_err().field(), Some("feasibility"));
        let conflicted = NewReview { conflict_of_interest: true, ..review(Panel::Technical, Decision::Approve) };
        assert_eq!(conflicted.validate().unwrap_err().field(), Some("decision"));
        let strategic = review(Panel::Strategic, Decision::Approve);
        assert_eq!(strategic.validate().unwrap_err().field(), Some("importance"));
        let silent_reject = NewReview { comment: " ".into(), ..review(Panel::Technical, Decision::Reject) };
        assert_eq!(silent_reject.validate().unwrap_err().field(), Some("comment"));
    }

    #[test]
    fn both_panels_must_approve() {
        assert_eq!(outcome(Panel::Technical, Decision::Approve), Some(NeedStatus::StrategicReview));
        assert_eq!(outcome(Panel::Strategic, Decision::Approve), Some(NeedStatus::Approved));
        assert_eq!(outcome(Panel::Strategic, Decision::Reject), Some(NeedStatus::Rejected));
        assert_eq!(outcome(Panel::Technical, Decision::Abstain), None);
    }
}
