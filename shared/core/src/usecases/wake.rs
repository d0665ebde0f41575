//! The wake consumer: for each queued command, push a wake-up to its device and record the
//! provider's message id. It runs behind the queue (SQS on AWS, the embedded queue locally).

use serde::{Deserialize, Serialize};

use super::lifecycle;
use crate::domain::{CommandId, CommandStatus, DeviceId, DeviceState, TenantId};
use crate::error::{Error, PushError, StoreError};
use crate::ports::{PushTarget, Update};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{DeviceRecord, from_item};

/// The queue message that asks for a device to be woken for one command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WakeMessage {
    pub tenant: String,
    pub device: String,
    pub command: String,
}

impl WakeMessage {
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// How one message ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done (pushed, or nothing left to do): delete the message.
    Done,
    /// Could never succeed (malformed): log it and delete it.
    Dropped(String),
    /// Failed transiently: leave it for redelivery (and, past the retry limit, the DLQ).
    Retry(String),
}

/// Handles one message body. Safe to run twice: a command already woken is not pushed again.
pub async fn handle(svc: &Services, body: &str) -> Outcome {
    let msg: WakeMessage = match serde_json::from_str(body) {
        Ok(m) => m,
        Err(e) => return Outcome::Dropped(format!("malformed wake message: {e}")),
    };
    let ids = (
        TenantId::parse(&msg.tenant),
        DeviceId::parse(&msg.device),
        CommandId::parse(&msg.command),
    );
    let (Ok(tenant), Ok(device), Ok(command)) = ids else {
        return Outcome::Dropped("wake message with invalid ids".into());
    };
    match wake(svc, &tenant, &device, &command).await {
        Ok(()) => Outcome::Done,
        Err(e) if e.is_retryable() => Outcome::Retry(e.to_string()),
        Err(e) => Outcome::Dropped(e.to_string()),
    }
}

async fn wake(
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
                None,
                Update::new().set("push_message_id", receipt.message_id.as_str()),
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
                    Update::new().set("push_token_invalid", true),
                    Some(crate::ports::Cond::eq(
                        "push_token",
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
            Update::new().set("push_message_id", message_id),
            Some(crate::ports::Cond::Exists),
        )
        .await;
    match kept {
        Ok(_) | Err(StoreError::Precondition { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
