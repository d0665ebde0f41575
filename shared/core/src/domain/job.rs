//! Jobs: one command sent to many devices. The target a job names, how far its fan-out has
//! come, and its progress as admins read it.

use serde::{Deserialize, Serialize};

use super::{DeviceId, GroupId};
use crate::error::Error;

/// Most devices a job may name one by one (larger sets are a group or the whole tenant).
pub const MAX_LISTED_DEVICES: usize = 500;

/// Devices one fan-out step queues commands for. Each is a small transaction; a step must end
/// well within a Lambda's timeout and a queue message's visibility, even when throttled.
pub const STEP_SIZE: usize = 25;

/// Which devices a job sends its command to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum JobTarget {
    /// These devices (1 to 500, each once).
    Devices {
        #[schemars(length(min = 1, max = 500))]
        devices: Vec<DeviceId>,
    },
    /// The group's members when the fan-out reaches them.
    Group { group: GroupId },
    /// Every enrolled device of the tenant.
    Tenant {},
}

impl JobTarget {
    pub fn validate(&self) -> Result<(), Error> {
        if let JobTarget::Devices { devices } = self {
            if devices.is_empty() || devices.len() > MAX_LISTED_DEVICES {
                return Err(Error::invalid_field(
                    "target.devices",
                    format!("must name 1 to {MAX_LISTED_DEVICES} devices"),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(twice) = devices.iter().find(|d| !seen.insert(*d)) {
                return Err(Error::invalid_field(
                    "target.devices",
                    format!("names device {twice} twice"),
                ));
            }
        }
        Ok(())
    }

    pub fn kind(&self) -> &'static str {
        match self {
            JobTarget::Devices { .. } => "devices",
            JobTarget::Group { .. } => "group",
            JobTarget::Tenant {} => "tenant",
        }
    }
}

/// A job's counts. `targeted` devices were reached by the fan-out; each was then either
/// `queued` a command or `not_queued` (not enrolled, or a platform that cannot carry the
/// command). A queued command is `delivered` once its device fetched it, and ends
/// `acknowledged`, `errored`, `expired` or `cancelled`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct JobProgress {
    #[serde(default)]
    pub targeted: i64,
    #[serde(default)]
    pub queued: i64,
    #[serde(default)]
    pub not_queued: i64,
    #[serde(default)]
    pub delivered: i64,
    #[serde(default)]
    pub acknowledged: i64,
    #[serde(default)]
    pub errored: i64,
    #[serde(default)]
    pub expired: i64,
    #[serde(default)]
    pub cancelled: i64,
}

impl JobProgress {
    /// Commands queued by the job that have not ended yet.
    pub fn open(&self) -> i64 {
        self.queued - self.acknowledged - self.errored - self.expired - self.cancelled
    }

    /// What went wrong: devices not queued, commands errored or expired.
    pub fn failed(&self) -> i64 {
        self.not_queued + self.errored + self.expired
    }
}

/// Where a job stands, derived from its fan-out and its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Still finding devices and queueing their commands.
    FanningOut,
    /// Every command is queued; some have not ended yet.
    InProgress,
    /// Every queued command has ended (acknowledged, errored, expired or cancelled).
    Completed,
}

impl JobState {
    pub fn of(fanned_out: bool, progress: &JobProgress) -> Self {
        match (fanned_out, progress.open()) {
            (false, _) => JobState::FanningOut,
            (true, open) if open > 0 => JobState::InProgress,
            (true, _) => JobState::Completed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_target_reads_as_its_kind() {
        let t: JobTarget = serde_json::from_str(r#"{"kind":"group","group":"G1"}"#).unwrap();
        assert_eq!(t.kind(), "group");
        let t: JobTarget = serde_json::from_str(r#"{"kind":"tenant"}"#).unwrap();
        assert_eq!(t, JobTarget::Tenant {});
        assert!(serde_json::from_str::<JobTarget>(r#"{"kind":"tenant","group":"G1"}"#).is_err());
        assert!(serde_json::from_str::<JobTarget>(r#"{"kind":"everyone"}"#).is_err());
    }

    #[test]
    fn a_device_list_target_names_one_to_five_hundred_distinct_devices() {
        let list = |n: usize| JobTarget::Devices {
            devices: (0..n)
                .map(|i| DeviceId::parse(&format!("D{i}")).unwrap())
                .collect(),
        };
        assert!(list(1).validate().is_ok());
        assert!(list(500).validate().is_ok());
        assert!(list(0).validate().is_err());
        assert!(list(501).validate().is_err());
    }

    #[test]
    fn a_job_is_completed_only_when_fanned_out_and_every_command_ended() {
        let mut p = JobProgress {
            targeted: 3,
            queued: 2,
            not_queued: 1,
            ..Default::default()
        };
        assert_eq!(JobState::of(false, &p), JobState::FanningOut);
        assert_eq!(JobState::of(true, &p), JobState::InProgress);
        p.acknowledged = 1;
        p.expired = 1;
        assert_eq!(JobState::of(true, &p), JobState::Completed);
        assert_eq!(p.failed(), 2);
    }
}
