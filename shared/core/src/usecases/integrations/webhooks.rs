//! Tenants' webhook endpoints and the delivery of events to them: admins register, change, rotate
//! and delete endpoints; admins, operators and auditors read them (never the secret) and their
//! deliveries; the queue consumer delivers each event, signed, and retries it with backoff until
//! it is delivered or dead.
//!
//! **Endpoints.** `POST /v1/webhooks` `{url, events[], description?}` answers `201` with the
//! endpoint and its signing `secret`, shown this once; a tenant has at most 10 (`409
//! webhook_limit_reached`; the cap is checked by counting the endpoints, so two creations racing
//! may end one over it). `PATCH /v1/webhooks/{id}` `{url?, events?, enabled?, description?}`
//! changes one; `POST …/rotate-secret` returns a new secret, shown once, and the old one keeps
//! signing beside it for 24 h (`ROTATION_OVERLAP_MS`; the endpoint shows
//! `previous_secret_expires_at` meanwhile); `DELETE` removes the endpoint, its secret and its
//! delivery records. `GET /v1/webhooks/{id}/deliveries` lists deliveries newest first: event id
//! and type, attempts, last status code or error, `delivered`, `retrying` or `dead`, when (kept
//! 30 days). The event types are listed in `events`.
//!
//! **The request.** Each delivery is a `POST` of `{id, type, occurred_at, tenant, device?, data}`
//! with `Mdm-Event-Id`, `Mdm-Event-Type`, `Mdm-Delivery-Attempt` and `Mdm-Signature: t=<unix
//! secs>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, with two `v1=` during a rotation's overlap:
//! a receiver accepts the request if any matches, and refuses an old `t` to stop replays.
//!
//! **No requests into our network.** At registration and again before every attempt, the host is
//! resolved and every address must be public: loopback, private (RFC 1918), CGNAT (100.64/10),
//! link-local (169.254/16, the cloud metadata service among them), unspecified, multicast,
//! broadcast and reserved, IPv6 loopback, unique-local (fc00::/7) and link-local (fe80::/10),
//! 192.0.0.0/24 and 198.18.0.0/15, and the IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) and
//! 6to4 (2002::/16) forms of them are refused with `400 webhook_target_refused` on `url`, as are
//! non-https URLs, credentials in the URL and fragments. `localhost` and `*.localhost` are
//! loopback without asking DNS (RFC 6761). The request then goes to the address that was checked
//! (reqwest's resolver override, no proxy), so DNS rebinding cannot redirect it.
//! `MDM_WEBHOOK_ALLOW_CIDRS` exempts networks (test receivers on 127.0.0.1), which may then also
//! be called over plain http; it is empty in production.
//!
//! Signing secrets live in the secret store (files locally, Secrets Manager on AWS), like push
//! credentials (the table only names them): HMAC needs the secret itself, so a hash in the table
//! would not do, and the table is read, backed up and exported far more widely than the secret
//! store.
//!
//! **Retries.** Anything but a 2xx within 10 s (redirects are not followed, the answer's body is
//! never read) is a failed attempt. The next attempt is a new queue message sent with a delay
//! (SQS DelaySeconds; the embedded queue's visibility time) and the handler reports success: 30 s
//! (`MDM_WEBHOOK_BACKOFF_SECS`), doubled each time, at most 15 min; after 8 attempts
//! (`MDM_WEBHOOK_MAX_ATTEMPTS`) the delivery is recorded `dead` and dropped. Not
//! ChangeMessageVisibility on the message being handled: on Lambda the event source mapping owns
//! that message and only learns of a failure, the queue's redrive (5 receives, then its DLQ)
//! would cut 8 attempts short, and the receive count would mix our retries with crashes. Carrying
//! the attempt number in the message makes both backends back off alike, keeps the wake queue's
//! redrive for crashes only, and holds no consumer while waiting.
//!
//! Delivery is at least once: an attempt is recorded after the receiver answered, so a crash in
//! between sends it again. Receivers deduplicate on the event id (`Mdm-Event-Id`), which is the
//! same on every attempt. A delivery recorded as delivered (or dead) is never sent again, even on
//! a redelivered message.
//!
//! **Cost.** A publish reads nothing in steady state (see `events`). A subscribed event costs one
//! queue message per endpoint (batched); an attempt reads the endpoint and its delivery record (2
//! RU), the secret (cached 5 min on AWS) and writes the record (1 WU).

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::time::rfc3339;
use crate::domain::time::secs_from_ms;
use crate::domain::webhook::{Host, WebhookUrl, signature_header};
use crate::domain::{EventId, TenantId, WebhookId};
use crate::error::{Error, StoreError};
use crate::ports::{Cmp, Cond, Principal, Query, WebhookPost, WebhookResponse, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::attr;
use crate::store::records::{from_item, to_item};
use crate::usecases::Page;
use crate::usecases::consumer::WorkMessage;
use crate::usecases::fleet::views::Listing;
use crate::usecases::integrations::events::{DeliveryMessage, EventKind};
use crate::usecases::{ADMINS, READERS, require_role, tenancy::audit};

/// How long a rotated-out secret keeps signing beside the new one, so receivers can roll over.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600_000;
/// How long delivery records are kept (their TTL).
pub const DELIVERY_RETENTION_SECS: i64 = 30 * 86_400;
/// Longest description.
const MAX_DESCRIPTION: usize = 200;
/// Deliveries removed with their endpoint in the delete request itself; the rest (a very busy
/// endpoint) goes by its TTL.
const DELETE_PAGES: usize = 20;

/// A stored endpoint. The signing secret is in the secret store under `secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookRecord {
    pub url: String,
    pub events: Vec<EventKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enabled: bool,
    pub secret: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub created_by: String,
    /// Until when the secret rotated out keeps signing too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<i64>,
}

/// What the secret store holds for one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SigningSecrets {
    current: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_until: Option<i64>,
}

impl SigningSecrets {
    /// The secrets that sign now: the current one, and the previous one during its overlap.
    fn live(&self, now: i64) -> Vec<&str> {
        let mut out = vec![self.current.as_str()];
        if let (Some(prev), Some(until)) = (&self.previous, self.previous_until)
            && now < until
        {
            out.push(prev);
        }
        out
    }
}

/// The secret store name of an endpoint's signing secrets.
pub fn secret_name(tenant: &TenantId, webhook: &WebhookId) -> String {
    format!("tenants/{tenant}/webhooks/{webhook}")
}

/// What an admin sends to register an endpoint.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An https URL whose host resolves to public addresses only.
    #[schemars(length(max = 2048), regex(pattern = crate::domain::command::HTTPS_URL))]
    pub url: String,
    /// The event types to deliver (at least one): device.enrolled, device.unenrolled,
    /// device.noncompliant, device.compliant, command.state_changed, escalation.step_fired,
    /// geofence.exited, sim.changed, data_usage.threshold.
    #[schemars(with = "Vec<EventKind>", length(min = 1))]
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A change to an endpoint; what is left out stays as it is.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[serde(default)]
    #[schemars(length(max = 2048), regex(pattern = crate::domain::command::HTTPS_URL))]
    pub url: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<Vec<EventKind>>", length(min = 1))]
    pub events: Option<Vec<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub description: Option<String>,
}

/// An endpoint as readers see it: never its secret.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<EventKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Set after a rotation: until then the previous secret signs too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_expires_at: Option<String>,
}

impl WebhookView {
    fn new(id: &str, r: &WebhookRecord, now: i64) -> Self {
        Self {
            id: id.to_owned(),
            url: r.url.clone(),
            events: r.events.clone(),
            description: r.description.clone(),
            enabled: r.enabled,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            previous_secret_expires_at: r
                .previous_secret_until
                .filter(|until| *until > now)
                .map(rfc3339),
        }
    }
}

/// A new endpoint with its signing secret: the only answer that ever shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// Shown once: keep it to verify `Mdm-Signature`.
    pub secret: String,
}

/// A rotated secret: the new one, shown once, and until when the old one keeps signing.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RotatedSecret {
    pub id: String,
    pub secret: String,
    pub previous_secret_expires_at: String,
}

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

fn parse_events(raw: &[String]) -> Result<Vec<EventKind>, Error> {
    if raw.is_empty() {
        return Err(Error::invalid_field(
            "events",
            "name at least one event type",
        ));
    }
    let mut kinds = Vec::with_capacity(raw.len());
    for name in raw {
        let kind = EventKind::parse(name).ok_or_else(|| {
            Error::invalid_field(
                "events",
                format!(
                    "unknown event type; the types are {}",
                    EventKind::ALL.map(EventKind::as_str).join(", ")
                ),
            )
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds.sort();
    Ok(kinds)
}

fn check_description(d: &Option<String>) -> Result<(), Error> {
    match d {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(Error::invalid_field(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        )),
        _ => Ok(()),
    }
}

/// The address to call for a URL, after checking every address its host resolves to.
async fn vet(svc: &Services, url: &WebhookUrl) -> Result<IpAddr, Error> {
    let addresses = match (url.special_addresses(), &url.host) {
        (Some(addresses), _) => addresses,
        (None, Host::Name(name)) => svc.webhooks.resolve(name, url.port).await.map_err(|e| {
            Error::WebhookTargetRefused(format!(
                "the host does not resolve: {}",
                e.chars().take(100).collect::<String>()
            ))
        })?,
        (None, Host::Ip(ip)) => vec![*ip],
    };
    url.vet(&addresses, &svc.settings.webhook_allow_cidrs)
}

/// A URL an admin gave: well formed and, resolved now, allowed.
async fn checked_url(svc: &Services, raw: &str) -> Result<WebhookUrl, Error> {
    let url = WebhookUrl::parse(raw)?;
    vet(svc, &url).await?;
    Ok(url)
}

async fn load(svc: &Services, tenant: &TenantId, id: &WebhookId) -> Result<WebhookRecord, Error> {
    let item = svc
        .table
        .get(&keys::webhook(tenant, id), true)
        .await?
        .ok_or(Error::NotFound("webhook"))?;
    Ok(from_item(&item)?)
}

/// Registers an endpoint and returns it with its signing secret (shown this once).
pub async fn create(
    svc: &Services,
    who: &Principal,
    req: CreateWebhook,
) -> Result<CreatedWebhook, Error> {
    require_role(who, ADMINS, "manage webhooks")?;
    let t = &who.tenant;
    let events = parse_events(&req.events)?;
    check_description(&req.description)?;
    let url = checked_url(svc, &req.url).await?;
    // The cap is checked by counting (ten items, one read): two creations racing may end one
    // over it, which costs nothing but a little more fan-out.
    let mut q = Query::prefix(keys::webhooks_pk(t), "");
    q.consistent = true;
    if svc.table.query(q).await?.items.len() >= svc.settings.max_webhooks {
        return Err(Error::WebhookLimitReached {
            max: svc.settings.max_webhooks,
        });
    }
    let now = svc.now();
    let id = WebhookId::from_generated(svc.ids.id(now));
    let secret = format!("whsec_{}", svc.ids.secret());
    let name = secret_name(t, &id);
    // The secret first: an endpoint item never exists without it.
    let stored = SigningSecrets {
        current: secret.clone(),
        previous: None,
        previous_until: None,
    };
    svc.secrets
        .put(&name, &serde_json::to_string(&stored).unwrap_or_default())
        .await?;
    let record = WebhookRecord {
        url: url.url,
        events,
        description: req.description,
        enabled: true,
        secret: name,
        created_at: now,
        updated_at: now,
        created_by: who.subject.clone(),
        previous_secret_until: None,
    };
    svc.table
        .transact(vec![
            WriteOp::Put {
                item: to_item(keys::webhook(t, &id), &record),
                cond: Some(Cond::NotExists),
            },
            audit::entry(
                svc,
                who,
                "webhook.create",
                format!("webhook/{id}"),
                Some(json!({"url": record.url, "events": record.events})),
            ),
        ])
        .await?;
    svc.webhook_subscriptions.forget(t);
    Ok(CreatedWebhook {
        webhook: WebhookView::new(id.as_str(), &record, now),
        secret,
    })
}

/// The tenant's endpoints, oldest first.
pub async fn list(
    svc: &Services,
    who: &Principal,
    page: Page,
) -> Result<Listing<WebhookView>, Error> {
    require_role(who, READERS, "read webhooks")?;
    let mut q = Query::prefix(keys::webhooks_pk(&who.tenant), "");
    q.cursor = crate::usecases::id_cursor(page.cursor(), WebhookId::parse)?;
    q.limit = page.limit();
    let page = svc.table.query(q).await?;
    let now = svc.now();
    let items = page
        .items
        .iter()
        .map(|i| Ok(WebhookView::new(&i.key.sk, &from_item(i)?, now)))
        .collect::<Result<_, StoreError>>()?;
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}

pub async fn get(svc: &Services, who: &Principal, id: &WebhookId) -> Result<WebhookView, Error> {
    require_role(who, READERS, "read webhooks")?;
    let record = load(svc, &who.tenant, id).await?;
    Ok(WebhookView::new(id.as_str(), &record, svc.now()))
}

/// Changes an endpoint's URL, event types, description or whether it is enabled.
pub async fn update(
    svc: &Services,
    who: &Principal,
    id: &WebhookId,
    req: UpdateWebhook,
) -> Result<WebhookView, Error> {
    require_role(who, ADMINS, "manage webhooks")?;
    let t = &who.tenant;
    let mut record = load(svc, t, id).await?;
    if let Some(events) = &req.events {
        record.events = parse_events(events)?;
    }
    check_description(&req.description)?;
    if let Some(url) = &req.url {
        record.url = checked_url(svc, url).await?.url;
    }
    if let Some(enabled) = req.enabled {
        record.enabled = enabled;
    }
    if req.description.is_some() {
        record.description = req.description.clone();
    }
    let now = svc.now();
    let before = record.updated_at;
    record.updated_at = now;
    let written = svc
        .table
        .transact(vec![
            WriteOp::Put {
                item: to_item(keys::webhook(t, id), &record),
                // Not over a concurrent change or a deletion.
                cond: Some(Cond::eq(attr::UPDATED_AT, before)),
            },
            audit::entry(
                svc,
                who,
                "webhook.update",
                format!("webhook/{id}"),
                Some(
                    json!({"url": record.url, "events": record.events, "enabled": record.enabled}),
                ),
            ),
        ])
        .await;
    svc.webhook_subscriptions.forget(t);
    match written {
        Ok(()) => Ok(WebhookView::new(id.as_str(), &record, now)),
        Err(StoreError::Precondition { .. }) => {
            load(svc, t, id).await?;
            Err(Error::Conflict(
                "the webhook was changed concurrently; retry".into(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes an endpoint, its secret and its delivery records; events queued for it are dropped.
pub async fn delete(svc: &Services, who: &Principal, id: &WebhookId) -> Result<(), Error> {
    require_role(who, ADMINS, "manage webhooks")?;
    let t = &who.tenant;
    let record = load(svc, t, id).await?;
    let deleted = svc
        .table
        .transact(vec![
            WriteOp::Delete {
                key: keys::webhook(t, id),
                cond: Some(Cond::Exists),
            },
            audit::entry(
                svc,
                who,
                "webhook.delete",
                format!("webhook/{id}"),
                Some(json!({"url": record.url})),
            ),
        ])
        .await;
    svc.webhook_subscriptions.forget(t);
    match deleted {
        Ok(()) => {}
        Err(StoreError::Precondition { .. }) => return Err(Error::NotFound("webhook")),
        Err(e) => return Err(e.into()),
    }
    svc.secrets.delete(&record.secret).await?;
    for _ in 0..DELETE_PAGES {
        if delete_deliveries_page(svc, t, id).await?.is_none() {
            break;
        }
    }
    Ok(())
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

/// Replaces the signing secret; the old one keeps signing beside it for 24 hours, so the
/// receiver can switch at its own pace. A second rotation within that time drops the oldest.
pub async fn rotate_secret(
    svc: &Services,
    who: &Principal,
    id: &WebhookId,
) -> Result<RotatedSecret, Error> {
    require_role(who, ADMINS, "manage webhooks")?;
    let t = &who.tenant;
    let record = load(svc, t, id).await?;
    let old: SigningSecrets = svc
        .secrets
        .get(&record.secret)
        .await?
        .and_then(|s| serde_json::from_str(&s).ok())
        .ok_or_else(|| Error::Internal(format!("the secret of webhook {id} is missing")))?;
    let now = svc.now();
    let until = now + ROTATION_OVERLAP_MS;
    let secret = format!("whsec_{}", svc.ids.secret());
    let rotated = SigningSecrets {
        current: secret.clone(),
        previous: Some(old.current),
        previous_until: Some(until),
    };
    svc.secrets
        .put(
            &record.secret,
            &serde_json::to_string(&rotated).unwrap_or_default(),
        )
        .await?;
    svc.table
        .transact(vec![
            WriteOp::Update {
                key: keys::webhook(t, id),
                update: crate::ports::Update::new()
                    .set(attr::PREVIOUS_SECRET_UNTIL, until)
                    .set(attr::UPDATED_AT, now),
                cond: Some(Cond::Exists),
            },
            audit::entry(
                svc,
                who,
                "webhook.rotate_secret",
                format!("webhook/{id}"),
                None,
            ),
        ])
        .await
        .map_err(|e| match e {
            StoreError::Precondition { .. } => Error::NotFound("webhook"),
            e => e.into(),
        })?;
    Ok(RotatedSecret {
        id: id.to_string(),
        secret,
        previous_secret_expires_at: rfc3339(until),
    })
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

    #[test]
    fn the_previous_secret_signs_only_during_its_overlap() {
        let s = SigningSecrets {
            current: "new".into(),
            previous: Some("old".into()),
            previous_until: Some(1_000),
        };
        assert_eq!(s.live(999), ["new", "old"]);
        assert_eq!(s.live(1_000), ["new"]);
    }

    #[test]
    fn event_lists_are_checked_and_deduplicated() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_events(&names(&["sim.changed", "device.enrolled", "sim.changed"])).unwrap(),
            [EventKind::DeviceEnrolled, EventKind::SimChanged]
        );
        for bad in [&[][..], &["device.exploded"][..]] {
            let e = parse_events(&names(bad)).unwrap_err();
            assert!(matches!(e, Error::InvalidField { ref field, .. } if field == "events"));
        }
    }
}
