//! Webhook endpoints as admins manage them: registering (with the signing secret, shown once),
//! reading, changing, rotating the secret and deleting, each audited.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::delivery::delete_deliveries_page;
use super::stored::{SigningSecrets, WebhookRecord, secret_name};
use super::target::checked_url;
use crate::domain::time::rfc3339;
use crate::domain::{TenantId, WebhookId};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Principal, Query, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::attr;
use crate::store::records::{from_item, to_item};
use crate::usecases::Page;
use crate::usecases::fleet::views::Listing;
use crate::usecases::integrations::events::EventKind;
use crate::usecases::{ADMINS, READERS, require_role, tenancy::audit};

/// How long a rotated-out secret keeps signing beside the new one, so receivers can roll over.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600_000;

/// Longest description.
const MAX_DESCRIPTION: usize = 200;
/// Deliveries removed with their endpoint in the delete request itself; the rest (a very busy
/// endpoint) goes by its TTL.
const DELETE_PAGES: usize = 20;

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

pub(super) async fn load(
    svc: &Services,
    tenant: &TenantId,
    id: &WebhookId,
) -> Result<WebhookRecord, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
