//! The wake consumer: for each queued command, push a wake-up to its device and record the
//! provider's message id. It runs behind the queue (SQS on AWS, the embedded queue locally),
//! which also carries the fan-out steps of jobs (`jobs::JobStep`), of policy refreshes
//! (`policies::PolicyRefresh`), the batches of a deleted tenant's purge (`purge.rs`), webhook
//! delivery attempts (`events::DeliveryMessage`) and the compliance evaluations the sweep asks
//! for (`compliance_sweep::EvaluateMessage`): the one consumer tells the kinds apart
//! (`Message::decode`) and hands the others on.

use serde::{Deserialize, Serialize};

use super::audit::Mover;
use super::events::DeliveryMessage;
use super::lifecycle;
use super::purge::PurgeMessage;
use crate::domain::job::JobTarget;
use crate::domain::{
    CommandId, CommandStatus, DeviceId, DeviceState, EventId, JobId, TenantId, WebhookId,
};
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

    /// Decodes a queue message body into the ids it names; the error is why the message must
    /// be dropped. The body is untrusted, so the reason never quotes it: it gives the kind of
    /// JSON error and where it is, not serde's message (which repeats unknown field names and
    /// string values in full).
    pub fn decode(body: &str) -> Result<(TenantId, DeviceId, CommandId), String> {
        let msg: WakeMessage = serde_json::from_str(body).map_err(|e| {
            format!(
                "malformed wake message: {:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            )
        })?;
        match (
            TenantId::parse(&msg.tenant),
            DeviceId::parse(&msg.device),
            CommandId::parse(&msg.command),
        ) {
            (Ok(tenant), Ok(device), Ok(command)) => Ok((tenant, device, command)),
            _ => Err("wake message with invalid ids".into()),
        }
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

/// One message of the queue, of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Wake(TenantId, DeviceId, CommandId),
    Purge(TenantId, PurgeMessage),
    JobStep(TenantId, JobId, String),
    PolicyRefresh(TenantId, JobTarget, String),
    EvaluateCompliance(TenantId, DeviceId),
    WebhookDelivery(TenantId, WebhookId, EventId, Box<DeliveryMessage>),
}

impl Message {
    /// The kinds' fields differ and each refuses unknown ones, so at most one decoding
    /// succeeds. A body that is none of them gets the wake message's reason (by far the
    /// common kind), which never quotes the body.
    pub fn decode(body: &str) -> Result<Message, String> {
        if let Some((t, j, at)) = super::jobs::JobStep::decode(body) {
            return Ok(Message::JobStep(t, j, at));
        }
        if let Some((t, target, at)) = super::policies::PolicyRefresh::decode(body) {
            return Ok(Message::PolicyRefresh(t, target, at));
        }
        if let Some((t, d)) = super::compliance_sweep::EvaluateMessage::decode(body) {
            return Ok(Message::EvaluateCompliance(t, d));
        }
        if let Some((t, w, e, msg)) = DeliveryMessage::decode(body) {
            return Ok(Message::WebhookDelivery(t, w, e, Box::new(msg)));
        }
        match WakeMessage::decode(body) {
            Ok((t, d, c)) => Ok(Message::Wake(t, d, c)),
            Err(reason) => match PurgeMessage::decode(body) {
                Ok((t, m)) => Ok(Message::Purge(t, m)),
                Err(_) => Err(reason),
            },
        }
    }
}

/// Handles one message body. Safe to run twice: a command already woken is not pushed again,
/// a fan-out or refresh step already done does nothing more, a purge batch already done
/// removes nothing more, and a webhook delivery recorded as delivered is not sent again.
pub async fn handle(svc: &Services, body: &str) -> Outcome {
    let (tenant, device, command) = match Message::decode(body) {
        Ok(Message::Wake(t, d, c)) => (t, d, c),
        Ok(Message::JobStep(tenant, job, at)) => {
            return super::jobs::step(svc, &tenant, &job, &at).await;
        }
        Ok(Message::PolicyRefresh(tenant, target, at)) => {
            return super::policies::refresh_step(svc, &tenant, &target, &at).await;
        }
        Ok(Message::EvaluateCompliance(tenant, device)) => {
            return super::compliance_sweep::handle(svc, &tenant, &device).await;
        }
        Ok(Message::WebhookDelivery(tenant, webhook, event, msg)) => {
            return super::webhooks::handle(svc, &tenant, &webhook, &event, &msg).await;
        }
        Ok(Message::Purge(tenant, msg)) => {
            return match super::purge::step(svc, &tenant, &msg).await {
                Ok(()) => Outcome::Done,
                Err(e) if e.is_retryable() => Outcome::Retry(e.to_string()),
                Err(e) => Outcome::Dropped(e.to_string()),
            };
        }
        Err(reason) => return Outcome::Dropped(reason),
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
                Mover::Service,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_message_round_trips_through_encode_and_decode() {
        let msg = WakeMessage {
            tenant: "acme".into(),
            device: "01DEV".into(),
            command: "01CMD".into(),
        };
        let (t, d, c) = WakeMessage::decode(&msg.encode()).unwrap();
        assert_eq!(
            (t.as_str(), d.as_str(), c.as_str()),
            ("acme", "01DEV", "01CMD")
        );
    }

    #[test]
    fn each_kind_of_message_decodes_as_itself_and_never_as_the_other() {
        let wake = WakeMessage {
            tenant: "acme".into(),
            device: "01DEV".into(),
            command: "01CMD".into(),
        };
        assert!(matches!(
            Message::decode(&wake.encode()),
            Ok(Message::Wake(..))
        ));
        let purge = PurgeMessage::first(&TenantId::parse("acme").unwrap());
        assert_eq!(
            Message::decode(&purge.encode()),
            Ok(Message::Purge(TenantId::parse("acme").unwrap(), purge))
        );
        for mixed in [
            r#"{"tenant":"acme","device":"d","command":"c","purge":"acme"}"#,
            r#"{"purge":"acme","stage":"devices","shard":16}"#,
            r#"{"purge":"acme","stage":"tokens","shard":3}"#,
            r#"{"purge":"acme","stage":"everything"}"#,
            r#"{"purge":"Not A Tenant","stage":"audit"}"#,
        ] {
            assert!(Message::decode(mixed).is_err(), "{mixed}");
        }
    }

    #[test]
    fn a_malformed_wake_message_is_dropped_without_echoing_its_body() {
        let long = "x".repeat(10_000);
        for body in [
            format!(r#"{{"tenant":"acme","device":"d","command":"c","{long}":1}}"#),
            format!(r#"{{"tenant":7,"device":"{long}","command":"c"}}"#),
            format!(r#"{{"tenant":"acme","device":"d","command":["{long}"]}}"#),
        ] {
            let reason = WakeMessage::decode(&body).unwrap_err();
            assert!(reason.len() < 100 && !reason.contains("xxxx"), "{reason}");
        }
    }
}
