//! Command state transitions, each one conditional on the state it starts from, so concurrent
//! actors (the push consumer, the device, an admin, expiry) can never both win, and each one
//! written with its audit entry in one transaction. Each committed transition is then published
//! as a `command.state_changed` event (best effort: see `events`).
//!
//! The lifecycle: `queued → push_sent → fetched → acknowledged | error | not_now`; `not_now` is
//! not served again until the device has checked in since; any open state → `expired` (its
//! deadline, `ttl_seconds`) or `cancelled`. Every transition is appended to the command's
//! history, and the same transaction writes its audit entry (`command.push_sent`,
//! `command.fetched`, `command.not_now`, `command.acknowledged`, `command.error`,
//! `command.expired`, with the device or `system` as actor and `{from, kind, job?, detail?}` as
//! detail; a cancel is the admin's `command.cancel`). Transitions come from check-ins, so their
//! entries are spread over the 16 transition audit shards by device rather than the tenant's one
//! partition: a tenant-wide command answered by a large fleet would otherwise exceed one
//! partition's 1,000 writes per second.
//!
//! Closing a command (a result, a cancel, expiry) deletes the open item, puts the closed one,
//! decrements the device's pending count and writes the audit entry in one transaction; an
//! acknowledged `wipe` or `enterprise_wipe` also revokes the device credential and sets the
//! directory state in it. For a job's command, the same transaction moves the job's counts (see
//! `jobs`). Reporting the same result twice changes nothing; a different result for a closed
//! command is `409 command_closed` (see `results`).

use crate::domain::{CommandId, CommandStatus, DeviceId, JobId, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{CommandRecord, HistoryEntry, StoredResult, attr, from_item, to_item};
use crate::usecases::integrations::events::{self, Event, EventKind};
use crate::usecases::tenancy::audit::{self, Mover};

/// Where a command lives: open under `D#C#`, closed under `C#`.
pub struct Located {
    pub record: CommandRecord,
    pub open: bool,
}

/// Reads a command, open or closed (strongly consistent: results and cancels race).
pub async fn load(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    id: &CommandId,
) -> Result<Option<Located>, Error> {
    if let Some(item) = svc
        .table
        .get(&keys::open_command(tenant, device, id), true)
        .await?
    {
        return Ok(Some(Located {
            record: from_item(&item)?,
            open: true,
        }));
    }
    match svc
        .table
        .get(&keys::closed_command(tenant, device, id), true)
        .await?
    {
        Some(item) => Ok(Some(Located {
            record: from_item(&item)?,
            open: false,
        })),
        None => Ok(None),
    }
}

fn history(at: i64, status: CommandStatus, detail: Option<String>) -> serde_json::Value {
    serde_json::to_value(HistoryEntry { at, status, detail }).unwrap_or_default()
}

/// Moves an open command to another open state. `extra` adds fields to the same write.
#[allow(clippy::too_many_arguments)]
pub async fn advance(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    rec: &CommandRecord,
    next: CommandStatus,
    by: Mover,
    detail: Option<String>,
    extra: Update,
) -> Result<CommandRecord, StoreError> {
    debug_assert!(next.is_open() && rec.status.may_become(next));
    let now = svc.now();
    let entry = audit::transition(svc, tenant, device, rec, next, by, detail.as_deref());
    let update = extra
        .set(attr::STATUS, next.as_str())
        .set(attr::UPDATED_AT, now)
        .append(attr::HISTORY, history(now, next, detail));
    let id = CommandId::parse(&rec.id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let key = keys::open_command(tenant, device, &id);
    let cond = Some(Cond::eq(attr::STATUS, rec.status.as_str()));
    let mut after = to_item(key.clone(), rec);
    update.apply(&mut after.attrs);
    // A job's command counts its first delivery in the job in the same transaction.
    let mut ops = vec![WriteOp::Update { key, update, cond }, entry];
    ops.extend(job_counts(tenant, rec, next));
    svc.table.transact(ops).await?;
    published(svc, tenant, device, rec, next).await;
    from_item(&after)
}

/// Publishes a committed transition. Only the transition's winner gets here (each write is
/// conditional on the state it starts from), so each transition is published once.
async fn published(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    rec: &CommandRecord,
    next: CommandStatus,
) {
    let data = serde_json::json!({
        "command": rec.id,
        "kind": rec.spec.kind(),
        "from": rec.status.as_str(),
        "to": next.as_str(),
    });
    let event = Event::new(EventKind::CommandStateChanged, Some(device), data);
    events::publish(svc, tenant, event).await;
}

/// What a transition adds to its job's counts, when the command belongs to a job: the first
/// time the device gets it (`delivered`) and how it ended. Each transition is conditional on
/// the state it starts from, so each count is added exactly once.
fn job_counts(tenant: &TenantId, rec: &CommandRecord, next: CommandStatus) -> Option<WriteOp> {
    use CommandStatus::*;
    let job = JobId::parse(rec.job.as_deref()?).ok()?;
    let mut update = Update::new();
    let mut counted = false;
    if matches!(rec.status, Queued | PushSent)
        && matches!(next, Fetched | NotNow | Acknowledged | Error)
    {
        update = update.add(attr::DELIVERED, 1);
        counted = true;
    }
    let ended = match next {
        Acknowledged => Some("acknowledged"),
        Error => Some("errored"),
        Expired => Some("expired"),
        Cancelled => Some("cancelled"),
        _ => None,
    };
    if let Some(counter) = ended {
        update = update.add(counter, 1);
        counted = true;
    }
    counted.then(|| WriteOp::Update {
        key: keys::job(tenant, &job),
        update,
        cond: None,
    })
}

/// Closes an open command for good: deletes the open item, writes the closed one and releases
/// the device's pending count, all at once. `device_update` adds changes to the device item
/// (for example revoking the credential after a wipe). `by` is who closed it, for the audit
/// entry; `None` when the caller is an admin action that brings its own in `extra_ops`.
#[allow(clippy::too_many_arguments)]
pub async fn close(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    rec: &CommandRecord,
    last: CommandStatus,
    by: Option<Mover>,
    detail: Option<String>,
    result: Option<StoredResult>,
    device_update: Update,
    extra_ops: Vec<WriteOp>,
) -> Result<CommandRecord, StoreError> {
    debug_assert!(!last.is_open() && rec.status.may_become(last));
    let now = svc.now();
    let entry =
        by.map(|by| audit::transition(svc, tenant, device, rec, last, by, detail.as_deref()));
    let mut closed = rec.clone();
    closed.status = last;
    closed.updated_at = now;
    closed.not_now_at = None;
    if result.is_some() {
        closed.result = result;
    }
    closed.history.push(HistoryEntry {
        at: now,
        status: last,
        detail,
    });
    let id = CommandId::parse(&rec.id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut ops = vec![
        WriteOp::Delete {
            key: keys::open_command(tenant, device, &id),
            cond: Some(Cond::eq(attr::STATUS, rec.status.as_str())),
        },
        WriteOp::Put {
            item: to_item(keys::closed_command(tenant, device, &id), &closed),
            cond: Some(Cond::NotExists),
        },
        WriteOp::Update {
            key: keys::device(tenant, device),
            update: device_update.add(attr::PENDING, -1),
            cond: Some(Cond::Exists),
        },
    ];
    ops.extend(extra_ops);
    ops.extend(entry);
    ops.extend(job_counts(tenant, rec, last));
    svc.table.transact(ops).await?;
    published(svc, tenant, device, rec, last).await;
    Ok(closed)
}

/// Closes the command as expired if its deadline has passed. Returns whether it did.
pub async fn expire_if_due(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    rec: &CommandRecord,
) -> Result<Option<CommandRecord>, StoreError> {
    if rec.deadline > svc.now() || !rec.status.is_open() {
        return Ok(None);
    }
    match close(
        svc,
        tenant,
        device,
        rec,
        CommandStatus::Expired,
        Some(Mover::Service),
        Some("deadline passed before the device reported a result".into()),
        None,
        Update::new(),
        Vec::new(),
    )
    .await
    {
        Ok(closed) => Ok(Some(closed)),
        // Someone else moved it first; their transition stands.
        Err(StoreError::Precondition { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
