//! The command endpoint (the MDM payload's ServerURL): the device says Idle or answers the last
//! command, and gets the next command, or an empty answer when none waits. Idle is the agent's
//! check-in (one conditional write, no read, when nothing waits); answers are the agent's
//! results, so lifecycle, audit, jobs, compliance and webhooks are the same.

use mdm_apple::command::{self, AppleCommand};
use mdm_apple::response::{self, Response, Status};
use serde_json::json;

use super::commands::{INVENTORY_STEPS, Refusal, inventory_step, to_apple};
use super::format_error;
use super::identity::{Admit, Proof};
use crate::domain::command::ReportedError;
use crate::domain::{
    CheckinRequest, CommandId, CommandSpec, DeviceCredential, Location, ReportStatus, ResultReport,
    TenantId,
};
use crate::error::Error;
use crate::ports::{Cond, Update};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::attr;
use crate::usecases::{
    device::checkin, device::fetch, device::results, fleet::lifecycle, tenancy::audit,
};

/// The command UUID of the policy profile's installation, `policy.<version>`, and of its
/// removal: not commands of the lifecycle, but the device's policy kept in step, as an agent's
/// check-in reply carries it.
const POLICY_PREFIX: &str = "policy.";
const POLICY_REMOVAL: &str = "policy-removal";

/// Most commands skipped in one answer because they cannot be sent (each closed as an error).
const MAX_REFUSED: usize = 5;

pub async fn handle(
    svc: &Services,
    tenant: &TenantId,
    proof: Proof<'_>,
    body: &[u8],
    admit: Admit<'_>,
) -> Result<Option<Vec<u8>>, Error> {
    let id = super::identity::authenticate(svc, tenant, proof, body, admit).await?;
    let resp = response::parse(body).map_err(format_error)?;
    if resp.enrollment.is_user_channel() {
        // No command is ever queued for a user's channel.
        return Ok(None);
    }
    let udid = resp
        .enrollment
        .device_id()
        .ok_or_else(|| Error::AppleMessageInvalid("UDID: missing".into()))?;
    let cred = id.credential(udid);
    let answer = match resp.status {
        Status::Idle => idle(svc, &cred).await,
        _ => result(svc, &cred, &resp).await,
    };
    match answer {
        Err(Error::DeviceCredentialInvalid) => Err(explain(svc, &id, udid).await),
        other => other,
    }
}

/// Why a verified identity's device credential failed: another device's UDID, or a device no
/// longer enrolled. Read only on this failure path, so an Idle never pays for it.
async fn explain(svc: &Services, id: &super::identity::AppleIdentity, udid: &str) -> Error {
    let record = svc
        .table
        .get(&keys::apple_enrolment(&id.tenant, &id.device), true)
        .await
        .ok()
        .flatten()
        .and_then(|i| {
            crate::store::records::from_item::<super::records::AppleEnrolmentRecord>(&i).ok()
        });
    match record {
        Some(r) if r.udid.as_deref().is_some_and(|u| u != udid) => Error::AppleIdentityRefused(
            "the UDID does not match the identity certificate's device".into(),
        ),
        _ => Error::DeviceCredentialInvalid,
    }
}

async fn idle(svc: &Services, cred: &DeviceCredential) -> Result<Option<Vec<u8>>, Error> {
    let reply = checkin::checkin(svc, cred, CheckinRequest::default()).await?;
    if let Some(policy) = reply.policy {
        let payload = super::policy_profile::render(&cred.tenant, &policy);
        return Ok(Some(command::render(
            &format!("{POLICY_PREFIX}{}", policy.version),
            &AppleCommand::InstallProfile { payload },
        )));
    }
    if reply.policy_removed {
        return Ok(Some(command::render(
            POLICY_REMOVAL,
            &AppleCommand::RemoveProfile {
                identifier: super::policy_profile::identifier(&cred.tenant),
            },
        )));
    }
    if reply.pending_commands > 0 {
        return next(svc, cred).await;
    }
    Ok(None)
}

/// The next open command, marked fetched and rendered; a command that cannot be sent to this
/// device is closed as an error and the one after it tried.
async fn next(svc: &Services, cred: &DeviceCredential) -> Result<Option<Vec<u8>>, Error> {
    for _ in 0..MAX_REFUSED {
        let served = fetch::serve_up_to(svc, cred, 1).await?;
        let Some(record) = served.commands.into_iter().next() else {
            return Ok(None);
        };
        match to_apple(svc, cred, served.platform, &record.spec, 0).await? {
            Ok(cmd) => return Ok(Some(command::render(&record.id, &cmd))),
            Err(Refusal { code, message }) => {
                let id = CommandId::parse(&record.id)?;
                let report = ResultReport {
                    status: ReportStatus::Error,
                    error: Some(ReportedError {
                        code: code.into(),
                        message,
                    }),
                    data: None,
                };
                results::report(svc, cred, &id, report).await?;
            }
        }
    }
    Ok(None)
}

/// `<command id>` or `<command id>.<step>`.
fn split_uuid(uuid: &str) -> Result<(CommandId, u8), Error> {
    let unknown = || Error::AppleMessageInvalid("CommandUUID: not a command of this server".into());
    let (id, step) = match uuid.split_once('.') {
        Some((id, step)) => (id, step.parse::<u8>().map_err(|_| unknown())?),
        None => (uuid, 0),
    };
    if step >= INVENTORY_STEPS {
        return Err(unknown());
    }
    Ok((CommandId::parse(id).map_err(|_| unknown())?, step))
}

fn reported_error(resp: &Response) -> ReportedError {
    if resp.status == Status::CommandFormatError {
        return ReportedError {
            code: "CommandFormatError".into(),
            message: "the device could not read the command".into(),
        };
    }
    match resp.error_chain.first() {
        Some(e) => {
            let code: String = format!("{}:{}", e.domain, e.code)
                .chars()
                .take(64)
                .collect();
            let message = e
                .us_english_description
                .clone()
                .or(e.localized_description.clone())
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(500)
                .collect();
            ReportedError { code, message }
        }
        None => ReportedError {
            code: "Error".into(),
            message: String::new(),
        },
    }
}

async fn result(
    svc: &Services,
    cred: &DeviceCredential,
    resp: &Response,
) -> Result<Option<Vec<u8>>, Error> {
    let uuid = resp
        .command_uuid
        .as_deref()
        .ok_or_else(|| Error::AppleMessageInvalid("CommandUUID: missing".into()))?;
    if let Some(version) = uuid.strip_prefix(POLICY_PREFIX) {
        policy_result(svc, cred, resp, Some(version)).await?;
        return next(svc, cred).await;
    }
    if uuid == POLICY_REMOVAL {
        policy_result(svc, cred, resp, None).await?;
        return next(svc, cred).await;
    }
    let (id, step) = split_uuid(uuid)?;
    let located = lifecycle::load(svc, &cred.tenant, &cred.device, &id)
        .await?
        .ok_or(Error::NotFound("command"))?;
    let spec = located.record.spec.clone();
    let mut data = None;
    if resp.status == Status::Acknowledged {
        match &spec {
            CommandSpec::RefreshInventory {} => {
                let part = match step {
                    0 => super::inventory::from_device_information(
                        &response::device_information(resp).map_err(format_error)?,
                    ),
                    1 => super::inventory::from_security_info(
                        &response::security_info(resp).map_err(format_error)?,
                    ),
                    _ => super::inventory::from_installed_apps(
                        &response::installed_applications(resp).map_err(format_error)?,
                    ),
                };
                super::inventory::record(svc, cred, part).await?;
                if step + 1 < INVENTORY_STEPS && located.open {
                    // The next step at once, under the same command.
                    let cmd = inventory_step(step + 1);
                    return Ok(Some(command::render(&format!("{id}.{}", step + 1), &cmd)));
                }
            }
            CommandSpec::Locate {} => {
                let fix = response::device_location(resp).map_err(format_error)?;
                let location = Location {
                    latitude: fix.latitude,
                    longitude: fix.longitude,
                    accuracy_m: fix.horizontal_accuracy,
                };
                location.validate()?;
                data = serde_json::to_value(location)
                    .ok()
                    .and_then(|v| v.as_object().cloned());
            }
            _ => {}
        }
    }
    let report = match resp.status {
        Status::Acknowledged => ResultReport {
            status: ReportStatus::Acknowledged,
            error: None,
            data,
        },
        Status::NotNow => ResultReport {
            status: ReportStatus::NotNow,
            error: None,
            data: None,
        },
        Status::Error | Status::CommandFormatError => ResultReport {
            status: ReportStatus::Error,
            error: Some(reported_error(resp)),
            data: None,
        },
        Status::Idle => unreachable!("Idle is answered by idle()"),
    };
    match results::report(svc, cred, &id, report).await {
        Ok(_) => {}
        // Cancelled or expired while the device worked on it: that close stands, and the device
        // goes on with the next command.
        Err(Error::CommandClosed { status }) => {
            tracing::info!(device = %cred.device, command = %id, %status, "an Apple answer came for a closed command");
        }
        Err(e) => return Err(e),
    }
    if resp.status == Status::NotNow {
        // The device said it cannot work now: it comes back by itself when it can.
        return Ok(None);
    }
    next(svc, cred).await
}

/// The policy profile's installation (or removal) answered: acknowledged, the device has the
/// version (the agent reports it the same way); an error is audited for the admins, and the
/// profile is offered again at the next Idle.
async fn policy_result(
    svc: &Services,
    cred: &DeviceCredential,
    resp: &Response,
    version: Option<&str>,
) -> Result<(), Error> {
    match (resp.status, version) {
        (Status::Acknowledged, Some(v)) => {
            let applied = CheckinRequest {
                policy_version: Some(v.to_owned()),
                ..Default::default()
            };
            checkin::checkin(svc, cred, applied).await?;
        }
        (Status::Acknowledged, None) => {
            svc.table
                .update(
                    &keys::device(&cred.tenant, &cred.device),
                    Update::new().remove(attr::POLICY_APPLIED),
                    Some(Cond::And(vec![
                        crate::store::conditions::credential_holds(cred),
                        Cond::Absent(attr::POLICY_VERSION.into()),
                    ])),
                )
                .await?;
        }
        (Status::Error | Status::CommandFormatError, _) => {
            let e = reported_error(resp);
            let entry = audit::entry_by(
                svc,
                &cred.tenant,
                &format!("device/{}", cred.device),
                "device",
                "apple.profile_failed",
                format!("device/{}", cred.device),
                Some(json!({"version": version, "code": e.code, "message": e.message})),
            );
            svc.table.transact(vec![entry]).await?;
        }
        _ => {}
    }
    Ok(())
}
