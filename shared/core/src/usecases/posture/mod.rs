//! Whether devices comply and what follows when they do not: rule evaluation with escalation
//! ladders, the due-time sweep, alerts.

pub mod alerts;
pub mod compliance;
pub mod compliance_sweep;
