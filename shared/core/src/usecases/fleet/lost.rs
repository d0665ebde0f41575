//! A device reported lost, by an admin or operator (`POST /v1/devices/{id}/lost`) or by its own
//! user (`POST /v1/me/devices/{id}/lost`), with `{message, phone_number?}`: lost mode (the
//! message and a number to call on the lock screen), a position fix and a lock, that is
//! `start_lost_mode`, `locate` and `lock`, queued together in one transaction so none of them is
//! left out.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::{CommandId, CommandSpec, DeviceId};
use crate::error::{Error, StoreError};
use crate::ports::Principal;
use crate::services::Services;
use crate::usecases::fleet::commands::{new_record, queue_many_writes, send_wakes};
use crate::usecases::fleet::views::CommandView;
use crate::usecases::{COMMANDERS, require_role, tenancy::audit};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LostRequest {
    /// Shown on the lock screen, such as "This phone is lost, please call".
    #[schemars(length(min = 1, max = 200), regex(pattern = crate::domain::command::LINE_TEXT))]
    pub message: String,
    /// E.164, shown with a button to call it.
    #[serde(default)]
    #[schemars(regex(pattern = crate::domain::command::E164))]
    pub phone_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LostReply {
    /// start_lost_mode, locate and lock, in the order the device runs them.
    pub commands: Vec<CommandView>,
}

/// An admin or operator reports a device lost.
pub async fn report(
    svc: &Services,
    who: &Principal,
    d: &DeviceId,
    req: LostRequest,
) -> Result<LostReply, Error> {
    require_role(who, COMMANDERS, "report devices lost")?;
    report_for(svc, who, d, req).await
}

/// Queues the three commands once the caller's right to the device is established.
pub(crate) async fn report_for(
    svc: &Services,
    who: &Principal,
    d: &DeviceId,
    req: LostRequest,
) -> Result<LostReply, Error> {
    let specs = [
        CommandSpec::StartLostMode {
            message: req.message.clone(),
            phone_number: req.phone_number.clone(),
            footnote: None,
        },
        CommandSpec::Locate {},
        CommandSpec::Lock {
            message: Some(req.message),
            phone_number: req.phone_number,
            pin: None,
        },
    ];
    for spec in &specs {
        spec.validate()?;
    }
    let ttl = svc.settings.default_command_ttl_secs;
    let records: Vec<_> = specs
        .into_iter()
        .map(|spec| new_record(svc, &who.subject, spec, ttl))
        .collect();
    let t = &who.tenant;
    let mut ops = queue_many_writes(t, d, &records, None);
    ops.push(audit::entry(
        svc,
        who,
        "device.report_lost",
        format!("device/{d}"),
        Some(json!({"commands": records.iter().map(|r| &r.id).collect::<Vec<_>>()})),
    ));
    match svc.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::Precondition { index: Some(0) }) => {
            return Err(
                match svc
                    .table
                    .get(&crate::store::keys::device(t, d), true)
                    .await?
                {
                    Some(_) => Error::Conflict(
                        "the device is no longer enrolled; it can no longer be reported lost"
                            .into(),
                    ),
                    None => Error::NotFound("device"),
                },
            );
        }
        Err(e) => return Err(e.into()),
    }
    let woken: Vec<_> = records
        .iter()
        .map(|r| (d.clone(), CommandId::from_generated(r.id.clone())))
        .collect();
    send_wakes(svc, t, &woken).await;
    Ok(LostReply {
        commands: records
            .iter()
            .map(|r| CommandView::new(d.as_str(), r))
            .collect(),
    })
}
