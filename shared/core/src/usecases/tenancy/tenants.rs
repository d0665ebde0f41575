//! Tenants as the platform operator manages them: register, list, read, suspend, resume, limit
//! and delete. Each action is recorded in the affected tenant's own audit log. Also the
//! per-process view of a tenant's state that every request of the tenant is admitted by.
//!
//! Platform routes take the platform operator's JWT: `role: "platform_operator"` and no `tenant`
//! claim (one with a tenant claim is `401`). The two kinds never stand in for each other: a
//! tenant role on a platform route and the platform operator on a tenant route are both `403
//! forbidden`.
//!
//! **Registration.** Tenants need no registration: any tenant named by a valid token works, and a
//! tenant the operator never registered (every tenant that predates registration, and every test
//! stack's) is active with default limits: no device limit. Registering one (`POST /v1/tenants`
//! `{"id", "name", "limits"?: {"max_devices"?: 0–10,000,000 or null}}`; `409 conflict` if
//! registered already) gives it a status, a name and limits; registering a tenant that already
//! has devices adopts it, and its device counter starts at zero (devices enrolled before are not
//! counted, and retiring them gives nothing back). `GET /v1/tenants` lists registered tenants in
//! id order (without the counter); `GET /v1/tenants/{id}` shows one with `devices` (enrolled
//! since registration, not yet retired), and an unregistered one is `404`.
//!
//! **Suspension.** A suspended tenant (or one being deleted) is refused with `403
//! tenant_suspended` on every tenant route, on every device route (check-in, pull, result,
//! inventory) and at enrolment; nothing is deleted, and resuming serves it again with its queued
//! commands waiting. Suspending again changes nothing; a deleting or deleted tenant cannot be
//! suspended or resumed (`409`). So that an admitted request costs no read, each process keeps
//! what it read of a tenant's status and limits for at most `STATE_TTL_MS` (60 s): a suspension,
//! resumption or new limit takes effect at once in the process that made it and within a minute
//! everywhere else (other Lambda instances). Enrolments are the exception: a registered tenant's
//! enrolment checks the tenant's status in its own transaction (the device counter's condition),
//! so a suspension or deletion refuses them everywhere at once. A new limit, though, is applied
//! by other processes within the minute, and an enrolment in another process within a minute
//! after a tenant is registered is not counted.
//!
//! **Limits.** `max_devices` (`PUT /v1/tenants/{id}/limits` `{"max_devices": n or null}`) is
//! enforced without a scan: each registered tenant's item keeps a device counter, incremented in
//! the enrolment's own transaction under the condition `devices < max_devices` (refused: `409
//! device_limit_reached`) and decremented when a counted device is retired. Wiped and unenrolled
//! devices still count until retired; a limit under the current count refuses new enrolments
//! until devices are retired. The counter is one write on the tenant item per enrolment and
//! retirement, never per check-in.
//!
//! **Audit.** Every platform action (`tenant.create`, `tenant.suspend`, `tenant.resume`,
//! `tenant.limits`, `tenant.delete`) is written in the affected tenant's own audit log with role
//! `platform_operator`, in the same transaction as the action (a deleted tenant's log is removed
//! with the rest of its data).
//!
//! **Deletion.** `DELETE /v1/tenants/{id}` marks it `deleting` at once (refused like a suspended
//! one from then on) and queues its purge on the wake queue (see `purge`); it ends `deleted` for
//! good. Asking again re-queues the removal.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::tenant::validate_name;
use crate::domain::time::rfc3339;
use crate::domain::{TenantId, TenantLimits, TenantState, TenantStatus};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Operator, PLATFORM_OPERATOR, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{PlatformTenantRecord, TenantRecord, attr, from_item, to_item};
use crate::usecases::Page;
use crate::usecases::fleet::views::Listing;
use crate::usecases::tenancy::audit;
use crate::usecases::tenancy::tenant_record::load;

/// How long a process trusts what it read of a tenant's state: a suspension or a new limit
/// made through another process takes effect everywhere within this time, and a tenant's
/// requests cost no table read in between.
pub const STATE_TTL_MS: i64 = 60_000;

/// The state a tenant record (or its absence) gives.
fn state_of(record: Option<&TenantRecord>) -> TenantState {
    match record.and_then(|r| r.status.map(|s| (r, s))) {
        Some((r, status)) => TenantState {
            registered: true,
            status,
            max_devices: r.max_devices,
        },
        None => TenantState::UNREGISTERED,
    }
}

/// The tenant's state as this process knows it, read from the table at most once a minute.
pub async fn state(svc: &Services, tenant: &TenantId) -> Result<TenantState, Error> {
    let now = svc.now();
    if let Ok(s) = svc.tenant_states.fresh(tenant, now, STATE_TTL_MS) {
        return Ok(s);
    }
    let record = load(svc, tenant, false).await?;
    let s = state_of(record.as_ref());
    svc.tenant_states.remember(tenant, now, s);
    Ok(s)
}

/// The tenant's state read now (consistently), remembered for the next requests: for the
/// rare answer that must not rest on what the cache says, such as a refused enrolment.
pub async fn state_now(svc: &Services, tenant: &TenantId) -> Result<TenantState, Error> {
    let record = load(svc, tenant, true).await?;
    let s = state_of(record.as_ref());
    svc.tenant_states.remember(tenant, svc.now(), s);
    Ok(s)
}

/// Admits a request of the tenant (a user's, a device's or an enrolment): refused with
/// `tenant_suspended` unless the tenant is active.
pub async fn admit(svc: &Services, tenant: &TenantId) -> Result<TenantState, Error> {
    let s = state(svc, tenant).await?;
    if s.status == TenantStatus::Active {
        Ok(s)
    } else {
        Err(Error::TenantSuspended)
    }
}

/// What the platform operator sends to register a tenant.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// The tenant id its users' tokens carry: 1-63 of a-z, 0-9 and inner hyphens.
    pub id: TenantId,
    /// A display name, 1 to 100 characters.
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
    #[serde(default)]
    pub limits: TenantLimits,
}

/// A registered tenant as the platform operator sees it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TenantView {
    pub id: String,
    pub name: String,
    pub status: TenantStatus,
    pub limits: TenantLimits,
    /// Devices enrolled since registration and not yet retired; only in a single tenant's
    /// read (the listing does not read each tenant's item).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices: Option<i64>,
    pub created_at: String,
}

impl TenantView {
    fn new(id: &TenantId, r: &TenantRecord, status: TenantStatus) -> Self {
        Self {
            id: id.to_string(),
            name: r.name.clone().unwrap_or_default(),
            status,
            limits: TenantLimits {
                max_devices: r.max_devices,
            },
            devices: Some(r.devices),
            created_at: rfc3339(r.created_at),
        }
    }
}

fn entry(
    svc: &Services,
    who: &Operator,
    t: &TenantId,
    action: &str,
    detail: serde_json::Value,
) -> WriteOp {
    audit::entry_by(
        svc,
        t,
        &who.subject,
        PLATFORM_OPERATOR,
        action,
        format!("tenant/{t}"),
        Some(detail),
    )
}

/// Registers a tenant, or adopts one that predates registration (its users and devices keep
/// working; its device counter starts at zero, so devices enrolled before are not counted).
pub async fn create(
    svc: &Services,
    who: &Operator,
    req: CreateTenant,
) -> Result<TenantView, Error> {
    validate_name(&req.name)?;
    req.limits.validate()?;
    let t = &req.id;
    let now = svc.now();
    let mut update = Update::new()
        .set(attr::STATUS, TenantStatus::Active.as_str())
        .set(attr::NAME, req.name.as_str())
        .set(attr::UPDATED_AT, now)
        .set_if_absent(attr::CREATED_AT, now)
        .set_if_absent(attr::DEVICES, 0);
    update = match req.limits.max_devices {
        Some(n) => update.set(attr::MAX_DEVICES, n),
        None => update.remove(attr::MAX_DEVICES),
    };
    let listed = PlatformTenantRecord {
        status: TenantStatus::Active,
        name: req.name.clone(),
        max_devices: req.limits.max_devices,
        created_at: now,
    };
    let written = svc
        .table
        .transact(vec![
            WriteOp::Update {
                key: keys::tenant(t),
                update,
                cond: Some(Cond::Absent(attr::STATUS.into())),
            },
            WriteOp::Put {
                item: to_item(keys::platform_tenant(t), &listed),
                cond: Some(Cond::NotExists),
            },
            entry(
                svc,
                who,
                t,
                "tenant.create",
                json!({"name": req.name, "max_devices": req.limits.max_devices}),
            ),
        ])
        .await;
    match written {
        Ok(()) => {}
        Err(StoreError::Precondition { .. }) => {
            return Err(Error::Conflict(format!("the tenant {t} already exists")));
        }
        Err(e) => return Err(e.into()),
    }
    get(svc, who, t).await
}

/// The registered tenants in id order, paged.
pub async fn list(
    svc: &Services,
    _who: &Operator,
    page: Page,
) -> Result<Listing<TenantView>, Error> {
    let mut q = Query::prefix(keys::PLATFORM_TENANTS_PK, "");
    q.cursor = page.cursor().map(str::to_owned);
    q.limit = page.limit();
    let page = svc.table.query(q).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let r: PlatformTenantRecord = from_item(item)?;
        items.push(TenantView {
            id: item.key.sk.clone(),
            name: r.name,
            status: r.status,
            limits: TenantLimits {
                max_devices: r.max_devices,
            },
            devices: None,
            created_at: rfc3339(r.created_at),
        });
    }
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}

/// A registered tenant with its device counter; an unregistered one is not found.
pub async fn get(svc: &Services, _who: &Operator, t: &TenantId) -> Result<TenantView, Error> {
    let record = load(svc, t, true).await?;
    let state = state_of(record.as_ref());
    svc.tenant_states.remember(t, svc.now(), state);
    match record {
        Some(r) if state.registered => Ok(TenantView::new(t, &r, state.status)),
        _ => Err(Error::NotFound("tenant")),
    }
}

/// Moves a registered tenant from `from` to `to`. Doing it again changes nothing and is not
/// audited twice; a deleting or deleted tenant moves no more.
async fn transition(
    svc: &Services,
    who: &Operator,
    t: &TenantId,
    from: TenantStatus,
    to: TenantStatus,
    action: &str,
) -> Result<TenantView, Error> {
    let written = svc
        .table
        .transact(vec![
            WriteOp::Update {
                key: keys::tenant(t),
                update: Update::new()
                    .set(attr::STATUS, to.as_str())
                    .set(attr::UPDATED_AT, svc.now()),
                cond: Some(Cond::eq(attr::STATUS, from.as_str())),
            },
            WriteOp::Update {
                key: keys::platform_tenant(t),
                update: Update::new().set(attr::STATUS, to.as_str()),
                cond: Some(Cond::Exists),
            },
            entry(svc, who, t, action, json!({"from": from, "to": to})),
        ])
        .await;
    match written {
        // Not registered (404 below), already there, or deleting: the read says which.
        Ok(()) | Err(StoreError::Precondition { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let view = get(svc, who, t).await?;
    if view.status == to {
        Ok(view)
    } else {
        Err(Error::Conflict(format!(
            "the tenant is {}",
            view.status.as_str()
        )))
    }
}

/// Refuses the tenant's users, devices and enrolments (within a minute everywhere).
pub async fn suspend(svc: &Services, who: &Operator, t: &TenantId) -> Result<TenantView, Error> {
    transition(
        svc,
        who,
        t,
        TenantStatus::Active,
        TenantStatus::Suspended,
        "tenant.suspend",
    )
    .await
}

pub async fn resume(svc: &Services, who: &Operator, t: &TenantId) -> Result<TenantView, Error> {
    transition(
        svc,
        who,
        t,
        TenantStatus::Suspended,
        TenantStatus::Active,
        "tenant.resume",
    )
    .await
}

/// Sets a registered tenant's limits. A limit below the current count refuses new enrolments
/// until devices are retired; nothing enrolled is touched.
pub async fn set_limits(
    svc: &Services,
    who: &Operator,
    t: &TenantId,
    limits: TenantLimits,
) -> Result<TenantView, Error> {
    limits.validate()?;
    let (on_tenant, on_list) = match limits.max_devices {
        Some(n) => (
            Update::new().set(attr::MAX_DEVICES, n),
            Update::new().set(attr::MAX_DEVICES, n),
        ),
        None => (
            Update::new().remove(attr::MAX_DEVICES),
            Update::new().remove(attr::MAX_DEVICES),
        ),
    };
    let managed = Cond::In(
        attr::STATUS.into(),
        vec![
            TenantStatus::Active.as_str().into(),
            TenantStatus::Suspended.as_str().into(),
        ],
    );
    let written = svc
        .table
        .transact(vec![
            WriteOp::Update {
                key: keys::tenant(t),
                update: on_tenant.set(attr::UPDATED_AT, svc.now()),
                cond: Some(managed),
            },
            WriteOp::Update {
                key: keys::platform_tenant(t),
                update: on_list,
                cond: Some(Cond::Exists),
            },
            entry(
                svc,
                who,
                t,
                "tenant.limits",
                json!({"max_devices": limits.max_devices}),
            ),
        ])
        .await;
    match written {
        Ok(()) => get(svc, who, t).await,
        Err(StoreError::Precondition { .. }) => {
            let view = get(svc, who, t).await?;
            Err(Error::Conflict(format!(
                "the tenant is {}",
                view.status.as_str()
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// Marks a registered tenant `deleting` (refused from then on, like a suspended one) and queues
/// the removal of its data in batches (`purge`); the tenant ends as a `deleted` tombstone.
/// Asking again while it is deleting queues the removal again, which is harmless and recovers
/// from a send that failed after the mark.
pub async fn delete(svc: &Services, who: &Operator, t: &TenantId) -> Result<TenantView, Error> {
    let deleting = TenantStatus::Deleting.as_str();
    let written = svc
        .table
        .transact(vec![
            WriteOp::Update {
                key: keys::tenant(t),
                update: Update::new()
                    .set(attr::STATUS, deleting)
                    .set(attr::UPDATED_AT, svc.now()),
                cond: Some(Cond::In(
                    attr::STATUS.into(),
                    vec![
                        TenantStatus::Active.as_str().into(),
                        TenantStatus::Suspended.as_str().into(),
                    ],
                )),
            },
            WriteOp::Update {
                key: keys::platform_tenant(t),
                update: Update::new().set(attr::STATUS, deleting),
                cond: Some(Cond::Exists),
            },
            entry(svc, who, t, "tenant.delete", json!({})),
        ])
        .await;
    match written {
        Ok(()) | Err(StoreError::Precondition { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let view = get(svc, who, t).await?;
    if view.status == TenantStatus::Deleting {
        let first = crate::usecases::consumer::WorkMessage::Purge(
            crate::usecases::tenancy::purge::PurgeMessage::first(t),
        );
        svc.wake_queue.send_batch(vec![first.encode()]).await?;
    }
    Ok(view)
}
