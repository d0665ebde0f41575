//! The compliance part of a check-in reply, made from the summary on the device item.

use serde::{Deserialize, Serialize};

use crate::domain::compliance::{Action, RuleKind};
use crate::domain::time::rfc3339;
use crate::store::records::ComplianceSummary;

/// The compliance part of a check-in reply: which rules the device fails and when the next
/// step of their ladders fires, so the agent can say "you have N hours".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ComplianceReply {
    pub compliant: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<RuleKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<NextStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NextStep {
    pub action: Action,
    /// RFC 3339.
    pub at: String,
}

impl ComplianceReply {
    pub fn of(s: &ComplianceSummary) -> Self {
        Self {
            compliant: s.fail.is_empty(),
            failing: s.fail.clone(),
            next_step: s.next.map(|(at, action)| NextStep {
                action,
                at: rfc3339(at),
            }),
        }
    }
}
