//! Command state transitions, each one conditional on the state it starts from, so concurrent
//! actors (the push consumer, the device, an admin, expiry) can never both win.

use crate::domain::{CommandId, CommandStatus, DeviceId, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{CommandRecord, HistoryEntry, StoredResult, attr, from_item, to_item};

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
pub async fn advance(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    rec: &CommandRecord,
    next: CommandStatus,
    detail: Option<String>,
    extra: Update,
) -> Result<CommandRecord, StoreError> {
    debug_assert!(next.is_open() && rec.status.may_become(next));
    let now = svc.now();
    let update = extra
        .set(attr::STATUS, next.as_str())
        .set("updated_at", now)
        .append(attr::HISTORY, history(now, next, detail));
    let id = CommandId::parse(&rec.id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let item = svc
        .table
        .update(
            &keys::open_command(tenant, device, &id),
            update,
            Some(Cond::eq(attr::STATUS, rec.status.as_str())),
        )
        .await?;
    from_item(&item)
}

/// Closes an open command for good: deletes the open item, writes the closed one and releases
/// the device's pending count, all at once. `device_update` adds changes to the device item
/// (for example revoking the credential after a wipe).
#[allow(clippy::too_many_arguments)]
pub async fn close(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    rec: &CommandRecord,
    last: CommandStatus,
    detail: Option<String>,
    result: Option<StoredResult>,
    device_update: Update,
    extra_ops: Vec<WriteOp>,
) -> Result<CommandRecord, StoreError> {
    debug_assert!(!last.is_open() && rec.status.may_become(last));
    let now = svc.now();
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
    svc.table.transact(ops).await?;
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
