//! The tenant's device directory and lookup index: written in the same transactions as the
//! device changes they mirror, refreshed by check-ins at most hourly, and read by the fleet
//! listing (shard by shard, filtered in memory) and the identifier lookups (one query each).

use super::checkin::credential_holds;
use super::views::{DeviceSummary, Listing};
use super::{READERS, require_role};
use crate::domain::directory::{
    DIRECTORY_SHARDS, DeviceFilter, DirectoryCursor, Identifier, Listed, needs_refresh,
    refresh_mark,
};
use crate::domain::{DeviceCredential, DeviceId, DeviceState, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cmp, Cond, Principal, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{DeviceRecord, DirectoryRecord, IndexRecord, attr, from_item, to_item};

/// Most directory items one listing request reads, whatever its filters; a selective filter
/// may therefore return a short (even empty) page with a `next_cursor`.
pub const MAX_READ_PER_LIST: usize = 1_000;

/// Most devices one lookup returns (devices that ever carried the identifier).
pub const MAX_LOOKUP: usize = 100;

/// The directory entry's write for a new device, for the enrolment transaction.
pub fn put_entry(tenant: &TenantId, device: &DeviceId, record: &DirectoryRecord) -> WriteOp {
    WriteOp::Put {
        item: to_item(keys::directory(tenant, device), record),
        cond: Some(Cond::NotExists),
    }
}

/// Mirrors a device state change, for the transaction that makes it. Unconditional, like the
/// device update it accompanies: the state must land wherever the device's does.
pub fn set_state(tenant: &TenantId, device: &DeviceId, state: DeviceState) -> WriteOp {
    WriteOp::Update {
        key: keys::directory(tenant, device),
        update: Update::new().set(attr::STATE, state.as_str()),
        cond: None,
    }
}

pub fn put_index(tenant: &TenantId, id: &Identifier, device: &DeviceId, now: i64) -> WriteOp {
    WriteOp::Put {
        item: to_item(keys::index(tenant, id, device), &IndexRecord { at: now }),
        cond: None,
    }
}

pub fn delete_index(tenant: &TenantId, id: &Identifier, device: &DeviceId) -> WriteOp {
    WriteOp::Delete {
        key: keys::index(tenant, id, device),
        cond: None,
    }
}

/// Whether a check-in's answer says the directory is behind (see `needs_refresh`).
pub fn is_due(hot: &DeviceRecord, now: i64) -> bool {
    needs_refresh(hot.dir, now, &hot.os_version)
}

/// Brings the directory's last_seen and os_version up to date after a check-in, then records
/// that on the device item: two single-unit writes, at most once per clock hour per device
/// (and when the OS version changes). Best effort: the check-in already succeeded, and a refresh that
/// fails is simply tried again at the next check-in.
pub async fn refresh_after_checkin(
    svc: &Services,
    cred: &DeviceCredential,
    hot: &DeviceRecord,
    now: i64,
) {
    let (tenant, device) = (&cred.tenant, &cred.device);
    let entry = svc
        .table
        .update(
            &keys::directory(tenant, device),
            Update::new()
                .set(attr::LAST_SEEN, now)
                .set(attr::OS_VERSION, hot.os_version.as_str()),
            // Never create a partial entry; never move last_seen back (a late, slower refresh).
            Some(Cond::And(vec![
                Cond::Exists,
                Cond::Or(vec![
                    Cond::Absent(attr::LAST_SEEN.into()),
                    Cond::Num(attr::LAST_SEEN.into(), Cmp::Le, now),
                ]),
            ])),
        )
        .await;
    match entry {
        Ok(_) | Err(StoreError::Precondition { .. }) => {}
        Err(e) => {
            tracing::warn!(error = %e, %device, "directory refresh failed; the next check-in retries");
            return;
        }
    }
    let mark = svc
        .table
        .update(
            &keys::device(tenant, device),
            Update::new().set(attr::DIR, refresh_mark(now, &hot.os_version)),
            Some(credential_holds(cred)),
        )
        .await;
    if let Err(e) = mark
        && !matches!(e, StoreError::Precondition { .. })
    {
        tracing::warn!(error = %e, %device, "directory refresh not recorded; the next check-in repeats it");
    }
}

fn listed(r: &DirectoryRecord) -> Listed<'_> {
    Listed {
        platform: r.platform,
        os_version: &r.os_version,
        state: r.state,
        ownership: r.ownership,
        groups: &r.groups,
        compliance: r.compliance,
        last_seen: r.last_seen,
    }
}

/// One page of the tenant's devices matching `filter`, walking the shards in order. Reads at
/// most `MAX_READ_PER_LIST` entries; the cursor says where the next page starts.
pub async fn list(
    svc: &Services,
    who: &Principal,
    filter: &DeviceFilter,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Listing<DeviceSummary>, Error> {
    require_role(who, READERS, "list devices")?;
    let limit = limit.clamp(1, 200);
    let mut at = match cursor {
        Some(c) => DirectoryCursor::decode(c)?,
        None => DirectoryCursor {
            shard: 0,
            after: None,
        },
    };
    let mut items = Vec::new();
    let mut read = 0usize;
    while at.shard < DIRECTORY_SHARDS {
        if items.len() == limit || read >= MAX_READ_PER_LIST {
            return Ok(Listing {
                items,
                next_cursor: Some(at.encode()),
            });
        }
        let mut q = Query::prefix(keys::directory_pk(&who.tenant, at.shard), "");
        // The port's cursor is the sort key of the last item returned, so resuming after any
        // device id of the shard is exact even when a page is cut short below.
        q.cursor = at.after.as_ref().map(DeviceId::to_string);
        q.limit = (limit - items.len()).max(25).min(MAX_READ_PER_LIST - read);
        let page = svc.table.query(q).await?;
        let mut cut_short = false;
        for (i, item) in page.items.iter().enumerate() {
            read += 1;
            let id = DeviceId::parse(&item.key.sk)
                .map_err(|_| StoreError::Corrupt(format!("directory key {}", item.key.sk)))?;
            let record: DirectoryRecord = from_item(item)?;
            if filter.matches(&listed(&record)) {
                items.push(DeviceSummary::new(id.as_str(), &record));
            }
            at.after = Some(id);
            if items.len() == limit || read >= MAX_READ_PER_LIST {
                cut_short = i + 1 < page.items.len() || page.cursor.is_some();
                break;
            }
        }
        if !cut_short && (page.cursor.is_none() || page.items.is_empty()) {
            at = DirectoryCursor {
                shard: at.shard + 1,
                after: None,
            };
        }
    }
    Ok(Listing {
        items,
        next_cursor: None,
    })
}

/// Every device of the tenant that carries the identifier (retired ones are dropped from the
/// index), with its directory summary: one query plus one small read per device.
pub async fn lookup(
    svc: &Services,
    who: &Principal,
    id: &Identifier,
) -> Result<Listing<DeviceSummary>, Error> {
    require_role(who, READERS, "look devices up")?;
    let mut q = Query::prefix(keys::index_pk(&who.tenant, id), "");
    q.limit = MAX_LOOKUP;
    let page = svc.table.query(q).await?;
    let mut items = Vec::new();
    for item in &page.items {
        let Ok(device) = DeviceId::parse(&item.key.sk) else {
            continue;
        };
        if let Some(entry) = svc
            .table
            .get(&keys::directory(&who.tenant, &device), false)
            .await?
        {
            let record: DirectoryRecord = from_item(&entry)?;
            items.push(DeviceSummary::new(device.as_str(), &record));
        }
    }
    Ok(Listing {
        items,
        next_cursor: None,
    })
}
