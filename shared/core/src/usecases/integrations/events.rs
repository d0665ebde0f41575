//! Domain events, published to the tenant's webhook endpoints: what the rest of the core calls
//! when something a tenant may want to hear about happened (a device enrolled, a command changed
//! state, a compliance rule fired). Publishing is best effort and never fails the caller: the
//! thing itself already happened and is recorded; only its notification is lost if the queue is
//! down, and that is logged.
//!
//! Event types:
//!
//! - `device.enrolled`; `device.unenrolled` (unenrol, acknowledged wipe or enterprise wipe, an
//!   Apple CheckOut);
//! - `command.state_changed`: every transition, `data` has `command`, `kind`, `from`, `to`;
//! - from the compliance code: `device.noncompliant`, `device.compliant`,
//!   `escalation.step_fired`, `geofence.exited`, `sim.changed` (any SIM change an inventory report
//!   brings, rules or not), `data_usage.threshold`;
//! - `push_certificate.expiring`: the tenant's APNs push certificate expires in 30, 7 or 1 days,
//!   once each per certificate, `data` has `platform`, `topic`, `expires_at`, `days_left` (also in
//!   the audit log, by `system`; see `push_cert_warnings`).
//!
//! How they are delivered, signed and retried: `webhooks`.
//!
//! Cost: most tenants subscribe to nothing, and check-ins and command transitions publish
//! constantly, so which types each tenant subscribes to is cached per process for at most
//! `SUBSCRIPTIONS_TTL_MS` (like the tenant states, see `cache.rs`): in steady state a publish reads no
//! table item (one query of the tenant's endpoints a minute per process), and an unsubscribed
//! event sends nothing. Changes made through this process (create, update, delete of an endpoint)
//! are seen at once; another process (another Lambda instance) sees them within that minute: a
//! new endpoint may miss up to a minute of events published elsewhere, and a deleted or disabled
//! one may get messages queued for up to a minute, which the delivery handler drops (it reads the
//! endpoint before sending).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::time::rfc3339;
pub use crate::domain::webhook::EventKind;
use crate::domain::webhook::Subscription;
use crate::domain::{DeviceId, EventId, TenantId, WebhookId};
use crate::error::Error;
use crate::ports::Query;
use crate::services::Services;
use crate::store::keys;
use crate::store::records::from_item;

use crate::usecases::consumer::WorkMessage;
use crate::usecases::integrations::webhooks::WebhookRecord;

/// How long a process trusts what it read of a tenant's subscriptions.
pub const SUBSCRIPTIONS_TTL_MS: i64 = 60_000;

/// Something that happened, as its publisher describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    /// The device it is about, if any.
    pub device: Option<DeviceId>,
    /// The event's own fields (for `command.state_changed`: command, kind, from, to).
    pub data: Value,
}

impl Event {
    pub fn new(kind: EventKind, device: Option<&DeviceId>, data: Value) -> Self {
        Self {
            kind,
            device: device.cloned(),
            data,
        }
    }
}

/// The body every receiver gets, exactly as signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// Stable across retries: receivers deduplicate on it (delivery is at least once).
    pub id: EventId,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub occurred_at: String,
    pub tenant: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    pub data: Value,
}

/// The work-queue payload of one delivery attempt of one event to one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryMessage {
    pub tenant: TenantId,
    pub webhook: WebhookId,
    /// 1 for the first attempt; each retry is a new message with the next number.
    pub attempt: u32,
    pub event: EventBody,
}

impl DeliveryMessage {
    /// The rule beyond the types: attempts count from 1.
    pub(crate) fn check(&self) -> Result<(), String> {
        match self.attempt {
            0 => Err("webhook delivery with attempt 0".into()),
            _ => Ok(()),
        }
    }
}

/// The tenant's enabled subscriptions, read from the table at most once a minute.
pub async fn subscriptions(
    svc: &Services,
    tenant: &TenantId,
) -> Result<Arc<Vec<Subscription>>, Error> {
    let now = svc.now();
    let generation = match svc
        .webhook_subscriptions
        .fresh(tenant, now, SUBSCRIPTIONS_TTL_MS)
    {
        Ok(subs) => return Ok(subs),
        Err(generation) => generation,
    };
    let mut q = Query::prefix(keys::webhooks_pk(tenant), "");
    // The cap is far below a page; a page is read whole.
    q.limit = 100;
    let page = svc.table.query(q).await?;
    let mut subs = Vec::new();
    for item in &page.items {
        let record: WebhookRecord = from_item(item)?;
        if let (true, Ok(webhook)) = (record.enabled, WebhookId::parse(&item.key.sk)) {
            subs.push(Subscription {
                webhook,
                events: record.events,
            });
        }
    }
    let subs = Arc::new(subs);
    svc.webhook_subscriptions
        .remember_unless_forgotten(tenant, now, generation, subs.clone());
    Ok(subs)
}

/// Publishes the event to every enabled endpoint of the tenant subscribed to its type: one
/// queue message per endpoint (sent in batches), each delivered, signed, by the consumer.
/// Never fails: a failure is logged and the event is not delivered.
pub async fn publish(svc: &Services, tenant: &TenantId, event: Event) {
    let subs = match subscriptions(svc, tenant).await {
        Ok(subs) => subs,
        Err(e) => {
            tracing::warn!(%tenant, kind = %event.kind, error = %e, "webhook subscriptions unreadable; event not published");
            return;
        }
    };
    let targets: Vec<&Subscription> = subs
        .iter()
        .filter(|s| s.events.contains(&event.kind))
        .collect();
    if targets.is_empty() {
        return;
    }
    let now = svc.now();
    let body = EventBody {
        id: EventId::from_generated(svc.ids.id(now)),
        kind: event.kind,
        occurred_at: rfc3339(now),
        tenant: tenant.to_string(),
        device: event.device.map(|d| d.to_string()),
        data: event.data,
    };
    let messages = targets
        .iter()
        .map(|s| {
            WorkMessage::WebhookDelivery(DeliveryMessage {
                tenant: tenant.clone(),
                webhook: s.webhook.clone(),
                attempt: 1,
                event: body.clone(),
            })
            .encode()
        })
        .collect();
    if let Err(e) = svc.wake_queue.send_batch(messages).await {
        tracing::warn!(%tenant, kind = %event.kind, event = %body.id, error = %e, "webhook deliveries not queued; event lost");
    }
}
