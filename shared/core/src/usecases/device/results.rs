//! A device reports the result of one command (`POST /v1/device/commands/{id}/result` `{status:
//! acknowledged|error|not_now, error?: {code, message}, data?}`, the device credential). Results
//! are idempotent: the same result twice changes nothing (an identical retry is accepted), and a
//! different one after the command closed is refused as `409 command_closed`. The transition
//! itself is `lifecycle`'s.

use crate::domain::{
    CommandId, CommandSpec, CommandStatus, DeviceCredential, DeviceState, ReportStatus,
    ResultReport,
};
use crate::error::{Error, StoreError};
use crate::ports::Update;
use crate::services::Services;
use crate::store::conditions::credential_holds;
use crate::store::keys;
use crate::store::records::StoredResult;
use crate::store::records::attr;
use crate::usecases::fleet::directory;
use crate::usecases::fleet::lifecycle::{self, Located};
use crate::usecases::fleet::views::CommandView;
use crate::usecases::tenancy::audit::Mover;

pub async fn report(
    svc: &Services,
    cred: &DeviceCredential,
    id: &CommandId,
    report: ResultReport,
) -> Result<CommandView, Error> {
    report.validate()?;
    let (tenant, device) = (&cred.tenant, &cred.device);
    let hot = svc.table.get(&keys::device(tenant, device), true).await?;
    if !hot.is_some_and(|h| credential_holds(cred).holds(Some(&h))) {
        return Err(Error::DeviceCredentialInvalid);
    }
    for _ in 0..3 {
        let Located { record, open } = lifecycle::load(svc, tenant, device, id)
            .await?
            .ok_or(Error::NotFound("command"))?;
        let same = record.result.as_ref().is_some_and(|r| {
            r.status == report.status && r.error == report.error && r.data == report.data
        });
        if !open {
            return if same {
                Ok(CommandView::new(device.as_str(), &record))
            } else {
                Err(Error::CommandClosed {
                    status: record.status.as_str().to_owned(),
                })
            };
        }
        // A repeated not_now before the command was served again changes nothing.
        if record.status == CommandStatus::NotNow && report.status == ReportStatus::NotNow {
            return Ok(CommandView::new(device.as_str(), &record));
        }
        let now = svc.now();
        let stored = StoredResult {
            status: report.status,
            error: report.error.clone(),
            data: report.data.clone(),
            at: now,
        };
        let detail = report
            .error
            .as_ref()
            .map(|e| format!("{}: {}", e.code, e.message));
        let outcome = match report.status {
            ReportStatus::NotNow => {
                lifecycle::advance(
                    svc,
                    tenant,
                    device,
                    &record,
                    CommandStatus::NotNow,
                    Mover::Device,
                    None,
                    Update::new().set(attr::NOT_NOW_AT, now).set(
                        attr::RESULT,
                        serde_json::to_value(&stored).unwrap_or_default(),
                    ),
                )
                .await
            }
            status => {
                let (effect, mirror) = if status == ReportStatus::Acknowledged {
                    (
                        device_effect(&record.spec, &report, now),
                        revoked_state(&record.spec)
                            .map(|s| directory::set_state(tenant, device, s))
                            .into_iter()
                            .collect(),
                    )
                } else {
                    (Update::new(), Vec::new())
                };
                lifecycle::close(
                    svc,
                    tenant,
                    device,
                    &record,
                    status.status(),
                    Some(Mover::Device),
                    detail,
                    Some(stored),
                    effect,
                    mirror,
                )
                .await
            }
        };
        match outcome {
            Ok(r) => {
                if r.status == CommandStatus::Acknowledged
                    && let Some(state) = revoked_state(&r.spec)
                {
                    // The wipe revoked the credential in the close's own transaction.
                    let data =
                        serde_json::json!({"reason": r.spec.kind(), "state": state.as_str()});
                    let event = crate::usecases::integrations::events::Event::new(
                        crate::usecases::integrations::events::EventKind::DeviceUnenrolled,
                        Some(device),
                        data,
                    );
                    crate::usecases::integrations::events::publish(svc, tenant, event).await;
                }
                return Ok(CommandView::new(device.as_str(), &r));
            }
            // Changed under us (a cancel, expiry, a duplicate report): look again.
            Err(StoreError::Precondition { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict(
        "the command kept changing while the result was recorded; retry".into(),
    ))
}

/// The state an acknowledged wipe leaves the device in (its credential revoked).
fn revoked_state(spec: &CommandSpec) -> Option<DeviceState> {
    match spec {
        CommandSpec::Wipe { .. } => Some(DeviceState::Wiped),
        CommandSpec::EnterpriseWipe {} => Some(DeviceState::Unenrolled),
        _ => None,
    }
}

/// What an acknowledged command changes on the device record, in the same transaction (the
/// directory mirrors a state change in that transaction too).
fn device_effect(spec: &CommandSpec, report: &ResultReport, now: i64) -> Update {
    if let Some(state) = revoked_state(spec) {
        // A wiped device holds no credential any more: revoke it at once.
        return Update::new().set(attr::STATE, state.as_str());
    }
    match spec {
        CommandSpec::Lock { .. } => Update::new().set(attr::LOCKED, true),
        CommandSpec::Locate {} => {
            let fix = report.data.as_ref().and_then(|d| {
                serde_json::from_value::<crate::domain::Location>(serde_json::Value::Object(
                    d.clone(),
                ))
                .ok()
                .filter(|l| l.validate().is_ok())
            });
            match fix {
                Some(l) => Update::new()
                    .set(attr::LOCATION, serde_json::to_value(l).unwrap_or_default())
                    .set(attr::LOCATION_AT, now),
                None => Update::new(),
            }
        }
        _ => Update::new(),
    }
}
