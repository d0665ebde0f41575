//! Device check-in: one conditional write of the device's small item and no read. The condition
//! enforces that the credential is still valid; the returned item says whether work is pending,
//! whether the directory is due its (at most hourly) refresh, and whether the device's effective
//! policy must be sent (only then is it read).
//!
//! The body (`POST /v1/device/checkin`, all optional): `battery_level`, `storage_free_bytes`,
//! `storage_total_bytes`, `os_version`, `location`, `push_token`, `push_magic`, `policy_version`
//! (the version the device applied), `time_zone`, `data_usage`. The reply: `{pending_commands,
//! checkin_interval_seconds, policy?: {version, document}, compliance?}`: the policy only while
//! the device has not reported applying that version, the compliance summary for a device with
//! rules (see `policies`, `compliance`). An idle check-in costs 1 write unit and 0 read units;
//! under compliance rules too, unless it brings news for them.

use serde::Serialize;

use crate::domain::{CheckinRequest, DeviceCredential};
use crate::error::{Error, StoreError};
use crate::ports::Update;
use crate::services::Services;
use crate::store::conditions::credential_holds;
use crate::store::keys;
use crate::store::records::{DeviceRecord, attr, from_item};
use crate::usecases::posture::compliance;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CheckinReply {
    /// Fetch commands now when this is above zero.
    pub pending_commands: i64,
    pub checkin_interval_seconds: i64,
    /// The device's effective policy, present only while it differs from the version the
    /// device last reported applying (`policy_version`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::usecases::policy::policies::PolicyDelivery>,
    /// Present while compliance rules apply to the device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance: Option<crate::usecases::posture::compliance::ComplianceReply>,
    /// No policy applies any more but the device still has one applied: an agent learns it
    /// from the absent policy, an Apple device must be told to remove the profile.
    #[serde(skip)]
    pub policy_removed: bool,
}

pub async fn checkin(
    svc: &Services,
    cred: &DeviceCredential,
    req: CheckinRequest,
) -> Result<CheckinReply, Error> {
    req.validate()?;
    let now = svc.now();
    let mut update = Update::new().set(attr::LAST_SEEN, now);
    if let Some(b) = req.battery_level {
        update = update.set(attr::BATTERY_LEVEL, b);
    }
    if let Some(v) = req.storage_free_bytes {
        update = update.set(attr::STORAGE_FREE_BYTES, v);
    }
    if let Some(v) = req.storage_total_bytes {
        update = update.set(attr::STORAGE_TOTAL_BYTES, v);
    }
    if let Some(v) = &req.os_version {
        update = update.set(attr::OS_VERSION, v.as_str());
    }
    if let Some(v) = &req.policy_version {
        update = update.set(attr::POLICY_APPLIED, v.as_str());
    }
    if let Some(z) = &req.time_zone {
        update = update.set(attr::DEVICE_TIME_ZONE, crate::domain::tenant::time_zone(z)?);
    }
    if let Some(l) = &req.location {
        update = update
            .set(attr::LOCATION, serde_json::to_value(l).unwrap_or_default())
            .set(attr::LOCATION_AT, now);
    }
    if let Some(t) = &req.push_token {
        update = update
            .set(attr::PUSH_TOKEN, t.as_str())
            .remove(attr::PUSH_TOKEN_INVALID);
        // A PushMagic belongs to the token it came with; a new token without one clears it.
        update = match &req.push_magic {
            Some(m) => update.set(attr::PUSH_MAGIC, m.as_str()),
            None => update.remove(attr::PUSH_MAGIC),
        };
    }
    let item = svc
        .table
        .update(
            &keys::device(&cred.tenant, &cred.device),
            update,
            Some(credential_holds(cred)),
        )
        .await
        .map_err(|e| match e {
            StoreError::Precondition { .. } => Error::DeviceCredentialInvalid,
            other => other.into(),
        })?;
    let mut device: DeviceRecord = from_item(&item)?;
    // A window opened or closed since the version was set (or the zone it is read in moved).
    let window_moved =
        device.sw.is_some_and(|at| at <= now) || (req.time_zone.is_some() && device.sw.is_some());
    if window_moved {
        match crate::usecases::policy::policies::schedule_changed(svc, cred, &device).await {
            Ok(d) => device = d,
            Err(e) => {
                tracing::warn!(error = %e, device = %cred.device, "schedule change not applied; the next check-in retries");
            }
        }
    }
    if crate::usecases::fleet::directory::is_due(&device, now) {
        crate::usecases::fleet::directory::refresh_after_checkin(svc, cred, &device, now).await;
    }
    let policy =
        crate::usecases::policy::policies::delivery(svc, &cred.tenant, &cred.device, &device)
            .await?;
    let mut pending = device.pending.max(0);
    let mut summary = device.cs.clone();
    let usage = req.data_usage.clone();
    if compliance::due_at_checkin(&device, now, req.location.is_some(), usage.as_ref()) {
        let input = compliance::Input {
            hot: Some(&device),
            location: req.location,
            usage,
            ..Default::default()
        };
        // The check-in itself is stored: a failed evaluation is retried by the next one (or
        // the sweep), and the device hears what was known before.
        match compliance::evaluate(svc, &cred.tenant, &cred.device, input).await {
            Ok(done) => {
                summary = done.summary;
                pending += done.queued as i64;
            }
            Err(e) => {
                tracing::warn!(error = %e, device = %cred.device, "compliance evaluation failed");
            }
        }
    }
    Ok(CheckinReply {
        pending_commands: pending,
        checkin_interval_seconds: svc.settings.checkin_interval_secs,
        policy,
        compliance: summary.as_ref().map(compliance::ComplianceReply::of),
        policy_removed: device.pv.is_none() && device.pa.is_some(),
    })
}
