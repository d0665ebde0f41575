//! The delivery of events to webhook endpoints: one signed attempt per queue message, the
//! retries with backoff, the delivery records and their listing.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::endpoints::load;
use super::stored::{SigningSecrets, WebhookRecord};
use super::target::vet;
use crate::domain::time::rfc3339;
use crate::domain::time::secs_from_ms;
use crate::domain::webhook::{WebhookUrl, signature_header};
use crate::domain::{EventId, TenantId, WebhookId};
use crate::error::{Error, StoreError};
use crate::ports::{Cmp, Cond, Principal, Query, WebhookPost, WebhookResponse};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::attr;
use crate::store::records::{from_item, to_item};
use crate::usecases::Page;
use crate::usecases::consumer::WorkMessage;
use crate::usecases::fleet::views::Listing;
use crate::usecases::integrations::events::{DeliveryMessage, EventKind};
use crate::usecases::{READERS, require_role};

/// How long delivery records are kept (their TTL).
pub const DELIVERY_RETENTION_SECS: i64 = 30 * 86_400;

/// Where one event's delivery to one endpoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Delivered,
    /// Failed so far; another attempt is queued.
    Retrying,
    /// Failed on every attempt; dropped.
    Dead,
}

/// The stored record of one event's delivery to one endpoint, rewritten after each attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub event_type: EventKind,
    pub attempts: u32,
    pub state: DeliveryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
    pub ttl: i64,
}

/// A delivery as readers see it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeliveryView {
    pub event_id: String,
    pub event_type: EventKind,
    pub attempts: u32,
    pub state: DeliveryState,
    /// The receiver's last HTTP status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status_code: Option<u16>,
    /// Why the last attempt got no answer (or was not made).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub first_attempt_at: String,
    pub last_attempt_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
}

impl DeliveryView {
    fn new(event_id: &str, r: &DeliveryRecord) -> Self {
        Self {
            event_id: event_id.to_owned(),
            event_type: r.event_type,
            attempts: r.attempts,
            state: r.state,
            last_status_code: r.last_status,
            last_error: r.last_error.clone(),
            first_attempt_at: rfc3339(r.created_at),
            last_attempt_at: rfc3339(r.updated_at),
            next_attempt_at: r.next_attempt_at.map(rfc3339),
        }
    }
}

/// Deletes one page of an endpoint's delivery records; returns whether more may follow.
pub(crate) async fn delete_deliveries_page(
    svc: &Services,
    tenant: &TenantId,
    id: &WebhookId,
) -> Result<Option<String>, Error> {
    let mut q = Query::prefix(keys::webhook_deliveries_pk(tenant, id), "");
    q.consistent = true;
    let page = svc.table.query(q).await?;
    for item in &page.items {
        svc.table.delete(&item.key, None).await?;
    }
    Ok(page.cursor)
}

/// An endpoint's deliveries, newest first.
pub async fn deliveries(
    svc: &Services,
    who: &Principal,
    id: &WebhookId,
    page: Page,
) -> Result<Listing<DeliveryView>, Error> {
    require_role(who, READERS, "read webhooks")?;
    load(svc, &who.tenant, id).await?;
    let mut q = Query::prefix(keys::webhook_deliveries_pk(&who.tenant, id), "");
    q.cursor = crate::usecases::id_cursor(page.cursor(), EventId::parse)?;
    q.limit = page.limit();
    q.descending = true;
    let page = svc.table.query(q).await?;
    let now_secs = secs_from_ms(svc.now());
    let mut items = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let record: DeliveryRecord = from_item(item)?;
        // The store may delete expired items late.
        if record.ttl > now_secs {
            items.push(DeliveryView::new(&item.key.sk, &record));
        }
    }
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}

/// The delay before attempt `attempt + 1`: the base, doubled per attempt, at most 15 minutes.
pub fn backoff(base_secs: u64, attempt: u32) -> Duration {
    let secs = base_secs.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    Duration::from_secs(secs).min(crate::ports::queue::MAX_DELAY)
}

/// Handles one delivery message: the queue consumer's entry point.
///
/// One attempt. A failed attempt queues the next one (delayed by the backoff) before it is
/// recorded, so a crash in between repeats the attempt rather than losing the retry.
pub async fn handle(svc: &Services, msg: &DeliveryMessage) -> Result<(), Error> {
    let (tenant, webhook, event) = (&msg.tenant, &msg.webhook, &msg.event.id);
    let Some(item) = svc.table.get(&keys::webhook(tenant, webhook), true).await? else {
        tracing::info!(%tenant, %webhook, %event, "webhook deleted; delivery dropped");
        return Ok(());
    };
    let hook: WebhookRecord = from_item(&item)?;
    let key = keys::webhook_delivery(tenant, webhook, event);
    let previous: Option<DeliveryRecord> = svc
        .table
        .get(&key, true)
        .await?
        .map(|i| from_item(&i))
        .transpose()?;
    if let Some(p) = &previous
        && (p.state != DeliveryState::Retrying || p.attempts >= msg.attempt)
    {
        // Delivered, dead, or this attempt was made and its successor queued already.
        return Ok(());
    }
    let answer = if hook.enabled {
        let secrets: SigningSecrets = svc
            .secrets
            .get(&hook.secret)
            .await?
            .and_then(|s| serde_json::from_str(&s).ok())
            .ok_or_else(|| {
                Error::Unavailable(format!("the secret of webhook {webhook} is missing"))
            })?;
        attempt(svc, &hook, &secrets, msg).await
    } else {
        // Queued before the endpoint was disabled (or by a process whose cache had not seen
        // it yet): not sent, and recorded as dead so the listing says what became of it.
        tracing::info!(%tenant, %webhook, %event, "webhook disabled; delivery dropped");
        WebhookResponse::Failed("the endpoint is disabled".into())
    };
    let now = svc.now();
    let (status, error) = match answer {
        WebhookResponse::Status(code) => (Some(code), None),
        WebhookResponse::Failed(reason) => (None, Some(reason)),
    };
    let delivered = status.is_some_and(|c| (200..300).contains(&c));
    let state = if delivered {
        DeliveryState::Delivered
    } else if !hook.enabled || msg.attempt >= svc.settings.webhook_max_attempts {
        DeliveryState::Dead
    } else {
        DeliveryState::Retrying
    };
    let mut next_attempt_at = None;
    if state == DeliveryState::Retrying {
        let delay = backoff(svc.settings.webhook_backoff_secs, msg.attempt);
        let next = WorkMessage::WebhookDelivery(DeliveryMessage {
            attempt: msg.attempt + 1,
            ..msg.clone()
        });
        svc.wake_queue.send_delayed(next.encode(), delay).await?;
        next_attempt_at = Some(now + delay.as_millis() as i64);
    }
    let record = DeliveryRecord {
        event_type: msg.event.kind,
        // A disabled endpoint's delivery was not attempted this time.
        attempts: if hook.enabled {
            msg.attempt
        } else {
            msg.attempt - 1
        },
        state,
        last_status: status,
        last_error: error,
        created_at: previous.as_ref().map_or(now, |p| p.created_at),
        updated_at: now,
        next_attempt_at,
        ttl: secs_from_ms(now) + DELIVERY_RETENTION_SECS,
    };
    // Never over a later attempt's record or a final one (a duplicate message raced this one).
    let cond = Cond::Or(vec![
        Cond::NotExists,
        Cond::And(vec![
            Cond::Num(attr::ATTEMPTS.into(), Cmp::Lt, i64::from(msg.attempt)),
            Cond::eq(attr::STATE, "retrying"),
        ]),
    ]);
    match svc.table.put(to_item(key, &record), Some(cond)).await {
        Ok(()) | Err(StoreError::Precondition { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    if state == DeliveryState::Dead {
        tracing::warn!(%tenant, %webhook, %event, attempts = msg.attempt, "webhook delivery dead after its last attempt");
    }
    Ok(())
}

/// Vets the target again (DNS may have changed since registration), signs and sends.
async fn attempt(
    svc: &Services,
    hook: &WebhookRecord,
    secrets: &SigningSecrets,
    msg: &DeliveryMessage,
) -> WebhookResponse {
    let url = match WebhookUrl::parse(&hook.url) {
        Ok(url) => url,
        Err(e) => return WebhookResponse::Failed(format!("stored URL unusable: {e}")),
    };
    let addr = match vet(svc, &url).await {
        Ok(addr) => addr,
        Err(e) => return WebhookResponse::Failed(format!("refused: {e}")),
    };
    let body = serde_json::to_string(&msg.event).unwrap_or_default();
    let now = svc.now();
    let t = now.div_euclid(1000);
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("user-agent".to_owned(), "mdm-webhooks/1".to_owned()),
        (
            "mdm-signature".to_owned(),
            signature_header(&secrets.live(now), t, &body),
        ),
        ("mdm-event-id".to_owned(), msg.event.id.to_string()),
        (
            "mdm-event-type".to_owned(),
            msg.event.kind.as_str().to_owned(),
        ),
        ("mdm-delivery-attempt".to_owned(), msg.attempt.to_string()),
    ];
    svc.webhooks
        .post(WebhookPost {
            url: url.url,
            addr,
            headers,
            body,
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_and_stops_at_fifteen_minutes() {
        let secs = |a| backoff(30, a).as_secs();
        assert_eq!(
            (1..=8).map(secs).collect::<Vec<_>>(),
            [30, 60, 120, 240, 480, 900, 900, 900]
        );
        assert_eq!(backoff(0, 3), Duration::ZERO);
        assert_eq!(backoff(1, 40).as_secs(), 900);
    }
}
