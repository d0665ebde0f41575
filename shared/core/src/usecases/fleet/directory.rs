//! The tenant's device directory and lookup index: written in the same transactions as the device
//! changes they mirror, refreshed by check-ins at most hourly, and read by the fleet listing
//! (shard by shard, filtered in memory) and the identifier lookups (one query each).
//!
//! **Shards.** The directory is tenant-wide, so it is split in 16 shards by a fixed hash of the
//! device id (FNV-1a, `domain::directory::shard_of`; ADR docs/adr/0002-directory-shards.md): each
//! partition takes 1,000 writes/s, so one tenant's directory takes ~16,000/s (a million devices
//! refreshing evenly over the hour is ~280/s, all of them within one minute ~17,000/s) while a
//! full listing still walks only 16 partitions.
//!
//! **Listing.** `GET /v1/devices` filters on `platform`, `os_version`, `os_version_below` (dotted
//! versions compared numerically), `state` (`enrolled|wiped|unenrolled|retired|all`, default
//! everything but retired), `ownership`, `group`, `compliance`, `last_seen_before` and
//! `last_seen_after` (RFC 3339). It returns at most `limit` items (default 50, 1–200) and a
//! `next_cursor` to pass back as `cursor`. It filters after reading its shards and reads at most
//! `MAX_READ_PER_LIST` (1,000) entries per request, so a selective filter can return a short or
//! even empty page that still has a `next_cursor`: keep going until there is none. Its cursor is
//! opaque (base64url of a version, a shard and the last device id) and checked on input (anything
//! else is `400 invalid_field` on `cursor`); it carries no tenant, since every page is read from
//! the caller's own tenant.
//!
//! **Lookup.** `GET /v1/devices/lookup?imei=|imsi=|phone_number=|serial=` takes exactly one
//! identifier (an IMEI with its Luhn digit, an E.164 number with `+` as `%2B`) and returns every
//! device of the tenant carrying it, as summaries (at most 100): a re-enrolled serial finds both
//! enrolments; retired devices are not found. A SIM swap reported in an inventory moves the IMSI
//! and phone number entries (see `inventory`).
//!
//! **Freshness.** The device's hot item keeps one number about the last directory refresh (its
//! clock hour and a two-digit hash of the OS version written; 15 bytes). A check-in writes the
//! directory, and then that number, only when its ALL_NEW answer shows another hour or another OS
//! version: the idle check-in stays 1 write unit and 0 read units, and each device adds at most
//! one refresh (two 1-unit writes) per clock hour, plus one per OS update. So `last_seen` in
//! listings and its filters are less than 1 hour behind (a 1-in-100 hash collision delays an OS
//! change to the next hour's refresh); `GET /v1/devices/{id}` shows the exact time. A refresh
//! that fails is logged and retried by the next check-in; the check-in itself has succeeded.
//! `tests/tests/directory_units_embedded.rs` checks these figures on the unit meter, with the
//! largest hot item each platform sends (an Android 400-character push token; an iOS token with
//! its PushMagic). Every optional field at its API maximum at once would be 1,025 bytes, 2 write
//! units: a combination no real device sends.

use crate::domain::directory::{
    DIRECTORY_SHARDS, DeviceFilter, DirectoryCursor, Identifier, Listed, needs_refresh,
    refresh_mark,
};
use crate::domain::{DeviceCredential, DeviceId, DeviceState, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cmp, Cond, Principal, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::conditions::credential_holds;
use crate::store::keys;
use crate::store::records::{DeviceRecord, DirectoryRecord, IndexRecord, attr, from_item, to_item};
use crate::usecases::Page;
use crate::usecases::fleet::views::{DeviceSummary, Listing};
use crate::usecases::{READERS, require_role};

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
    page: Page,
) -> Result<Listing<DeviceSummary>, Error> {
    require_role(who, READERS, "list devices")?;
    let limit = page.limit();
    let mut at = match page.cursor() {
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
