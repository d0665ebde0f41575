//! The wake-up: push a wake to the device a queued command waits for, and record the push
//! provider's message id on the command. Run by the work queue's consumer (`consumer.rs`) for
//! each `WorkMessage::Wake` that queueing a command (`commands::send_wakes`) sent.

use serde::{Deserialize, Serialize};

use crate::domain::{CommandId, CommandStatus, DeviceId, DeviceState, TenantId};
use crate::error::{Error, PushError, StoreError};
use crate::ports::{PushTarget, Update};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::attr;
use crate::store::records::{DeviceRecord, from_item};
use crate::usecases::fleet::lifecycle;
use crate::usecases::tenancy::audit::Mover;

/// The work-queue payload that asks for a device to be woken for one command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WakeUp {
    pub tenant: TenantId,
    pub device: DeviceId,
    pub command: CommandId,
}

/// Wakes the device for the command if it is still queued, the device enrolled and its push
/// token good. Safe to run twice: a command already woken is not pushed again.
pub(crate) async fn wake(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    command: &CommandId,
) -> Result<(), Error> {
    let Some(found) = lifecycle::load(svc, tenant, device, command).await? else {
        return Ok(());
    };
    if !found.open || found.record.status != CommandStatus::Queued {
        return Ok(());
    }
    let Some(item) = svc.table.get(&keys::device(tenant, device), true).await? else {
        return Ok(());
    };
    let hot: DeviceRecord = from_item(&item)?;
    if hot.state != DeviceState::Enrolled || hot.push_token_invalid {
        // The device gets its commands at its next check-in (if it still may).
        return Ok(());
    }
    let target = PushTarget {
        tenant: tenant.to_string(),
        device: device.to_string(),
        platform: hot.platform,
        token: hot.push_token.clone(),
        push_magic: hot.push_magic.clone(),
    };
    match svc.pusher.wake(&target).await {
        Ok(receipt) => {
            let sent = lifecycle::advance(
                svc,
                tenant,
                device,
                &found.record,
                CommandStatus::PushSent,
                Mover::Service,
                None,
                Update::new().set(attr::PUSH_MESSAGE_ID, receipt.message_id.as_str()),
            )
            .await;
            match sent {
                Ok(_) => Ok(()),
                // The device was faster than this write and already fetched the command:
                // keep the provider's message id for support anyway.
                Err(StoreError::Precondition { .. }) => {
                    keep_message_id(svc, tenant, device, command, &receipt.message_id).await
                }
                Err(e) => Err(e.into()),
            }
        }
        Err(PushError::InvalidToken) => {
            tracing::info!(%tenant, %device, "push token invalid; waiting for the device to check in with a new one");
            // Only mark the token that failed, not one the device rotated in meanwhile.
            let marked = svc
                .table
                .update(
                    &keys::device(tenant, device),
                    Update::new().set(attr::PUSH_TOKEN_INVALID, true),
                    Some(crate::ports::Cond::eq(
                        attr::PUSH_TOKEN,
                        hot.push_token.as_str(),
                    )),
                )
                .await;
            match marked {
                Ok(_) | Err(StoreError::Precondition { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        Err(PushError::Retryable { reason, .. }) => Err(Error::Unavailable(reason)),
        Err(PushError::Rejected(reason)) => {
            tracing::warn!(%tenant, %device, %reason, "push rejected; the device gets the command at its next check-in");
            Ok(())
        }
    }
}

/// Records the push's message id on the command if it is still open, without touching its
/// status. A closed command is never rewritten: what its reader saw at closing stays true.
async fn keep_message_id(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    command: &CommandId,
    message_id: &str,
) -> Result<(), Error> {
    let kept = svc
        .table
        .update(
            &keys::open_command(tenant, device, command),
            Update::new().set(attr::PUSH_MESSAGE_ID, message_id),
            Some(crate::ports::Cond::Exists),
        )
        .await;
    match kept {
        Ok(_) | Err(StoreError::Precondition { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
