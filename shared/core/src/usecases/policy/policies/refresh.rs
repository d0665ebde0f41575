//! The queued refresh of effective policies: a change that reaches many devices (a new version,
//! a group's policy or members, the tenant default) is handed to the work queue, which
//! recomputes them a batch per step, so no API call grows with the number of devices.

use serde::{Deserialize, Serialize};

use super::effective::recompute;
use crate::domain::job::JobTarget;
use crate::domain::{DeviceId, GroupId, PolicyId, TenantId};
use crate::error::Error;
use crate::ports::Query;
use crate::services::Services;
use crate::store::keys;
use crate::usecases::consumer::WorkMessage;
use crate::usecases::fleet::jobs;

/// The work-queue payload that refreshes the effective policy of a group's members, of every
/// enrolled device or of listed devices, a step at a time from `at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshStep {
    pub tenant: TenantId,
    pub target: JobTarget,
    pub at: String,
}

impl RefreshStep {
    /// The rule beyond the types: a device list names 1 to `MAX_REFRESHED` devices.
    pub(crate) fn check(&self) -> Result<(), String> {
        match &self.target {
            JobTarget::Devices { devices } if !(1..=MAX_REFRESHED).contains(&devices.len()) => {
                Err("policy refresh with no or too many devices".into())
            }
            _ => Ok(()),
        }
    }

    fn message(t: &TenantId, target: JobTarget, at: String) -> String {
        WorkMessage::PolicyRefresh(RefreshStep {
            tenant: t.clone(),
            target,
            at,
        })
        .encode()
    }
}

/// Starts refreshing every device a policy scope covers: `G#<group>` or `TENANT`, as a
/// `keys::policy_use` key names them (device scopes are refreshed by `refresh_devices`).
pub(super) async fn start_refresh(svc: &Services, t: &TenantId, scope: &str) -> Result<(), Error> {
    let target = match scope.strip_prefix("G#") {
        Some(g) => JobTarget::Group {
            group: GroupId::parse(g)?,
        },
        None if scope == "TENANT" => JobTarget::Tenant {},
        None => return Err(Error::Internal(format!("unknown policy scope {scope:?}"))),
    };
    let msg = RefreshStep::message(t, target, String::new());
    svc.wake_queue.send_batch(vec![msg]).await?;
    Ok(())
}

/// Most devices one refresh message names.
const MAX_REFRESHED: usize = 100;

/// Refreshes these devices' effective policies through the queue: an API call that changes
/// many devices' inputs (a membership call, a policy assigned to many devices) stays short.
pub(crate) async fn refresh_devices(
    svc: &Services,
    t: &TenantId,
    devices: &[DeviceId],
) -> Result<(), Error> {
    let bodies = devices
        .chunks(MAX_REFRESHED)
        .map(|chunk| {
            let target = JobTarget::Devices {
                devices: chunk.to_vec(),
            };
            RefreshStep::message(t, target, String::new())
        })
        .collect();
    svc.wake_queue.send_batch(bodies).await?;
    Ok(())
}

/// One refresh step, run by the queue consumer: recomputes a batch of devices and queues the
/// next step. Recomputing is idempotent, so a repeated step only costs its reads.
pub async fn refresh_step(
    svc: &Services,
    t: &TenantId,
    target: &JobTarget,
    at: &str,
) -> Result<(), Error> {
    let (devices, next) = jobs::batch(svc, t, target, at).await?;
    for d in &devices {
        recompute(svc, t, d).await?;
    }
    if let Some(next) = next {
        let msg = RefreshStep::message(t, target.clone(), next);
        svc.wake_queue.send_batch(vec![msg]).await?;
    }
    Ok(())
}

/// Sends a refresh for each place the policy is assigned.
pub(super) async fn refresh_uses(svc: &Services, t: &TenantId, id: &PolicyId) -> Result<(), Error> {
    let mut cursor = None;
    loop {
        let mut q = Query::prefix(keys::policy_pk(t, id), keys::POLICY_USE_PREFIX);
        q.cursor = cursor;
        q.consistent = true;
        let page = svc.table.query(q).await?;
        let mut scopes = Vec::new();
        let mut devices = Vec::new();
        for item in &page.items {
            let scope = item.key.sk.trim_start_matches(keys::POLICY_USE_PREFIX);
            match scope.strip_prefix("D#").map(DeviceId::parse) {
                Some(Ok(d)) => devices.push(d),
                Some(Err(_)) => {}
                None => scopes.push(scope.to_owned()),
            }
        }
        if !devices.is_empty() {
            refresh_devices(svc, t, &devices).await?;
        }
        for scope in scopes {
            start_refresh(svc, t, &scope).await?;
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(()),
        }
    }
}
