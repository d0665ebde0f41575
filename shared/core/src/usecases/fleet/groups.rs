//! Device groups: create, rename, list and delete them, add and remove devices. A membership is
//! written three times in one transaction: the member item (for fan-outs), the group's member
//! count and the device's directory entry (for the listing's group filter, under the condition
//! that its groups did not change meanwhile).
//!
//! Groups are listed oldest first, each with its member count; `GET /v1/groups/{gid}/devices`
//! lists the members as directory summaries, by device id. Adding or removing (`POST
//! /v1/groups/{gid}/devices`, `…/devices/remove`) takes `{"devices": [1–100 distinct ids]}` and
//! answers `{changed, unchanged, refused: [{device, code:
//! not_found|device_retired|too_many_groups, detail}]}`; a device is in at most 25 groups, and a
//! retired device leaves all of its groups. Deleting a group that still has devices is refused
//! with `409 group_not_empty` (remove them first); its policy assignment, if any, goes with it.
//! Creating takes Idempotency-Key.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::group::{DeviceIds, MAX_GROUPS_PER_DEVICE, validate_name};
use crate::domain::time::rfc3339;
use crate::domain::{DeviceId, DeviceState, GroupId, PolicyId, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cmp, Cond, Principal, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{DirectoryRecord, GroupRecord, MemberRecord, attr, from_item, to_item};
use crate::usecases::Page;
use crate::usecases::fleet::views::{DeviceSummary, Listing};
use crate::usecases::{COMMANDERS, READERS, require_role, tenancy::audit};

/// Attempts at one device's membership change when concurrent changes keep winning.
const ATTEMPTS: usize = 4;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRequest {
    /// 1 to 100 printable characters.
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    /// Devices in the group now.
    pub members: i64,
    /// The policy assigned to the group's members, if any, and its priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    pub priority: i64,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
}

impl GroupView {
    fn new(id: &str, r: &GroupRecord) -> Self {
        Self {
            id: id.to_owned(),
            name: r.name.clone(),
            members: r.members,
            policy_id: r.policy.clone(),
            priority: r.priority,
            created_at: rfc3339(r.created_at),
            created_by: r.created_by.clone(),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// A device a membership call could not change, and why (a stable code).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Refused {
    pub device: String,
    /// not_found, device_retired or too_many_groups.
    pub code: &'static str,
    pub detail: String,
}

/// What a membership call did to each device it named.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct MembershipChange {
    /// Devices whose membership changed.
    pub changed: Vec<String>,
    /// Devices already as asked (already in the group, or not in it).
    pub unchanged: Vec<String>,
    pub refused: Vec<Refused>,
}

pub async fn create(
    svc: &Services,
    who: &Principal,
    req: GroupRequest,
) -> Result<GroupView, Error> {
    require_role(who, COMMANDERS, "manage groups")?;
    validate_name(&req.name)?;
    let now = svc.now();
    let id = GroupId::from_generated(svc.ids.id(now));
    let record = GroupRecord {
        name: req.name.clone(),
        created_at: now,
        created_by: who.subject.clone(),
        updated_at: now,
        members: 0,
        policy: None,
        priority: 0,
    };
    svc.table
        .transact(vec![
            WriteOp::Put {
                item: to_item(keys::group(&who.tenant, &id), &record),
                cond: Some(Cond::NotExists),
            },
            audit::entry(
                svc,
                who,
                "group.create",
                format!("group/{id}"),
                Some(json!({"name": req.name})),
            ),
        ])
        .await?;
    Ok(GroupView::new(id.as_str(), &record))
}

async fn load(
    svc: &Services,
    t: &TenantId,
    g: &GroupId,
    consistent: bool,
) -> Result<GroupRecord, Error> {
    match svc.table.get(&keys::group(t, g), consistent).await? {
        Some(item) => Ok(from_item(&item)?),
        None => Err(Error::NotFound("group")),
    }
}

pub async fn get(svc: &Services, who: &Principal, g: &GroupId) -> Result<GroupView, Error> {
    require_role(who, READERS, "read groups")?;
    Ok(GroupView::new(
        g.as_str(),
        &load(svc, &who.tenant, g, false).await?,
    ))
}

/// The tenant's groups in id order (ids are time-ordered: oldest first).
pub async fn list(
    svc: &Services,
    who: &Principal,
    page: Page,
) -> Result<Listing<GroupView>, Error> {
    require_role(who, READERS, "read groups")?;
    let mut q = Query::prefix(keys::groups_pk(&who.tenant), "");
    q.cursor = crate::usecases::id_cursor(page.cursor(), GroupId::parse)?;
    q.limit = page.limit();
    let page = svc.table.query(q).await?;
    let items = page
        .items
        .iter()
        .map(|i| Ok(GroupView::new(&i.key.sk, &from_item(i)?)))
        .collect::<Result<_, StoreError>>()?;
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}

pub async fn rename(
    svc: &Services,
    who: &Principal,
    g: &GroupId,
    req: GroupRequest,
) -> Result<GroupView, Error> {
    require_role(who, COMMANDERS, "manage groups")?;
    validate_name(&req.name)?;
    let written = svc
        .table
        .transact(vec![
            WriteOp::Update {
                key: keys::group(&who.tenant, g),
                update: Update::new()
                    .set(attr::NAME, req.name.as_str())
                    .set(attr::UPDATED_AT, svc.now()),
                cond: Some(Cond::Exists),
            },
            audit::entry(
                svc,
                who,
                "group.rename",
                format!("group/{g}"),
                Some(json!({"name": req.name})),
            ),
        ])
        .await;
    match written {
        Ok(()) => get(svc, who, g).await,
        Err(StoreError::Precondition { .. }) => Err(Error::NotFound("group")),
        Err(e) => Err(e.into()),
    }
}

/// Deletes an empty group. A group with members is refused (`group_not_empty`): deleting it
/// would silently change what every job and listing filter naming it reaches. The group's
/// policy assignment goes with it, in the same transaction (conditional on the policy read),
/// or the policy would stay "in use" by a group that no longer exists.
pub async fn delete(svc: &Services, who: &Principal, g: &GroupId) -> Result<(), Error> {
    require_role(who, COMMANDERS, "manage groups")?;
    let t = &who.tenant;
    for _ in 0..3 {
        let record = load(svc, t, g, true).await?;
        if record.members > 0 {
            return Err(Error::GroupNotEmpty {
                members: record.members,
            });
        }
        let mut cond = vec![Cond::Exists, Cond::Num(attr::MEMBERS.into(), Cmp::Le, 0)];
        let mut ops = Vec::new();
        match record.policy.as_deref().map(PolicyId::parse) {
            Some(Ok(p)) => {
                cond.push(Cond::eq(attr::POLICY, p.as_str()));
                ops.push(WriteOp::Delete {
                    key: keys::policy_use(t, &p, &format!("G#{g}")),
                    cond: None,
                });
            }
            Some(Err(_)) => return Err(StoreError::Corrupt(format!("group {g}'s policy")).into()),
            None => cond.push(Cond::Absent(attr::POLICY.into())),
        }
        ops.push(WriteOp::Delete {
            key: keys::group(t, g),
            cond: Some(Cond::And(cond)),
        });
        ops.push(audit::entry(
            svc,
            who,
            "group.delete",
            format!("group/{g}"),
            None,
        ));
        match svc.table.transact(ops).await {
            Ok(()) => return Ok(()),
            // A member or a policy came in between: look again.
            Err(StoreError::Precondition { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict(
        "the group kept changing while being deleted; retry".into(),
    ))
}

/// The group's members with their directory entries, in device id order.
pub async fn members(
    svc: &Services,
    who: &Principal,
    g: &GroupId,
    page: Page,
) -> Result<Listing<DeviceSummary>, Error> {
    require_role(who, READERS, "read groups")?;
    load(svc, &who.tenant, g, false).await?;
    let mut q = Query::prefix(keys::members_pk(&who.tenant, g), "");
    q.cursor = crate::usecases::id_cursor(page.cursor(), DeviceId::parse)?;
    q.limit = page.limit();
    let page = svc.table.query(q).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let device = DeviceId::parse(&item.key.sk)
            .map_err(|_| StoreError::Corrupt(format!("member key {}", item.key.sk)))?;
        if let Some(entry) = svc
            .table
            .get(&keys::directory(&who.tenant, &device), false)
            .await?
        {
            items.push(DeviceSummary::new(device.as_str(), &from_item(&entry)?));
        }
    }
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}

/// Whether a call adds devices to the group or removes them from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Add,
    Remove,
}

/// Adds or removes each named device; one audit entry lists the devices that changed.
pub async fn change_members(
    svc: &Services,
    who: &Principal,
    g: &GroupId,
    change: Change,
    req: DeviceIds,
) -> Result<MembershipChange, Error> {
    require_role(who, COMMANDERS, "manage groups")?;
    req.validate()?;
    let group = load(svc, &who.tenant, g, true).await?;
    let mut out = MembershipChange::default();
    for device in &req.devices {
        match change_one(svc, &who.tenant, g, device, change).await {
            Ok(true) => out.changed.push(device.to_string()),
            Ok(false) => out.unchanged.push(device.to_string()),
            Err(Outcome::Refused(code, detail)) => out.refused.push(Refused {
                device: device.to_string(),
                code,
                detail,
            }),
            Err(Outcome::Failed(e)) => return Err(e),
        }
    }
    // Joining or leaving a group with a policy changes the devices' policies: through the
    // queue, so a call of 100 devices stays short. Unchanged devices are refreshed too, so a
    // retry of a call whose refresh was not queued still brings them up to date.
    let settled: Vec<DeviceId> = req
        .devices
        .iter()
        .filter(|d| !out.refused.iter().any(|r| r.device == d.as_str()))
        .cloned()
        .collect();
    if group.policy.is_some() && !settled.is_empty() {
        crate::usecases::policy::policies::refresh_devices(svc, &who.tenant, &settled).await?;
    }
    if !out.changed.is_empty() {
        let action = match change {
            Change::Add => "group.add_devices",
            Change::Remove => "group.remove_devices",
        };
        svc.table
            .transact(vec![audit::entry(
                svc,
                who,
                action,
                format!("group/{g}"),
                Some(json!({"devices": out.changed})),
            )])
            .await?;
    }
    Ok(out)
}

enum Outcome {
    Refused(&'static str, String),
    Failed(Error),
}

impl From<StoreError> for Outcome {
    fn from(e: StoreError) -> Self {
        Outcome::Failed(e.into())
    }
}

/// Adds a newly enrolled device to its enrollment token's group; returns whether the group
/// carries a policy. A group deleted since the token was made is skipped (and logged).
pub(crate) async fn join_at_enrolment(
    svc: &Services,
    t: &TenantId,
    g: &GroupId,
    d: &DeviceId,
    by: &str,
) -> Result<bool, Error> {
    let group = match load(svc, t, g, true).await {
        Ok(group) => group,
        Err(Error::NotFound(_)) => {
            tracing::warn!(group = %g, device = %d, "the enrollment token's group no longer exists");
            return Ok(false);
        }
        Err(e) => return Err(e),
    };
    match change_one(svc, t, g, d, Change::Add).await {
        Ok(_) => {}
        Err(Outcome::Refused(code, detail)) => {
            tracing::warn!(group = %g, device = %d, code, %detail, "not added to the token's group");
            return Ok(false);
        }
        Err(Outcome::Failed(e)) => return Err(e),
    }
    svc.table
        .transact(vec![audit::entry_by(
            svc,
            t,
            by,
            "enrollment_token",
            "group.add_devices",
            format!("group/{g}"),
            Some(json!({"devices": [d]})),
        )])
        .await?;
    Ok(group.policy.is_some())
}

/// The condition that the directory entry's group list is still the one read.
pub(crate) fn groups_unchanged(version: i64) -> Cond {
    if version == 0 {
        Cond::Or(vec![
            Cond::Absent(attr::GROUPS_VERSION.into()),
            Cond::Num(attr::GROUPS_VERSION.into(), Cmp::Le, 0),
        ])
    } else {
        Cond::And(vec![
            Cond::Num(attr::GROUPS_VERSION.into(), Cmp::Ge, version),
            Cond::Num(attr::GROUPS_VERSION.into(), Cmp::Le, version),
        ])
    }
}

/// Sets the directory entry's group list (with `also`, other changes to the same entry), on
/// the condition that it was not changed since read.
pub(crate) fn write_groups(
    t: &TenantId,
    d: &DeviceId,
    groups: &[String],
    version: i64,
    also: Update,
) -> WriteOp {
    WriteOp::Update {
        key: keys::directory(t, d),
        update: also
            .set(attr::GROUPS, json!(groups))
            .set(attr::GROUPS_VERSION, version + 1),
        cond: Some(Cond::And(vec![Cond::Exists, groups_unchanged(version)])),
    }
}

/// Changes one device's membership; Ok(false) when it already was as asked.
async fn change_one(
    svc: &Services,
    t: &TenantId,
    g: &GroupId,
    d: &DeviceId,
    change: Change,
) -> Result<bool, Outcome> {
    for _ in 0..ATTEMPTS {
        let Some(item) = svc.table.get(&keys::directory(t, d), true).await? else {
            return Err(Outcome::Refused("not_found", "no such device".into()));
        };
        let entry: DirectoryRecord = from_item(&item)?;
        let member = entry.groups.iter().any(|x| x == g.as_str());
        let (ops, groups) = match change {
            Change::Add if member => return Ok(false),
            Change::Remove if !member => return Ok(false),
            Change::Add => {
                if entry.state == DeviceState::Retired {
                    return Err(Outcome::Refused(
                        "device_retired",
                        "a retired device joins no group".into(),
                    ));
                }
                if entry.groups.len() >= MAX_GROUPS_PER_DEVICE {
                    return Err(Outcome::Refused(
                        "too_many_groups",
                        format!(
                            "already in {MAX_GROUPS_PER_DEVICE} groups, the most a device may be in"
                        ),
                    ));
                }
                let mut groups = entry.groups.clone();
                groups.push(g.to_string());
                let ops = vec![
                    WriteOp::Put {
                        item: to_item(
                            keys::member(t, g, d),
                            &MemberRecord {
                                added_at: svc.now(),
                            },
                        ),
                        cond: Some(Cond::NotExists),
                    },
                    WriteOp::Update {
                        key: keys::group(t, g),
                        update: Update::new().add(attr::MEMBERS, 1),
                        cond: Some(Cond::Exists),
                    },
                ];
                (ops, groups)
            }
            Change::Remove => {
                let groups: Vec<String> = entry
                    .groups
                    .iter()
                    .filter(|x| *x != g.as_str())
                    .cloned()
                    .collect();
                let ops = vec![
                    WriteOp::Delete {
                        key: keys::member(t, g, d),
                        cond: None,
                    },
                    WriteOp::Update {
                        key: keys::group(t, g),
                        update: Update::new().add(attr::MEMBERS, -1),
                        cond: Some(Cond::Exists),
                    },
                ];
                (ops, groups)
            }
        };
        let mut ops = ops;
        ops.push(write_groups(t, d, &groups, entry.gv, Update::new()));
        match svc.table.transact(ops).await {
            Ok(()) => return Ok(true),
            // The group was deleted meanwhile (it was empty, so this device was not in it).
            Err(StoreError::Precondition { index: Some(1) }) => {
                return Err(Outcome::Failed(Error::NotFound("group")));
            }
            // A concurrent change to this device's groups won: read again.
            Err(StoreError::Precondition { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Outcome::Failed(Error::Conflict(
        "the device's groups kept changing concurrently; retry".into(),
    )))
}

/// The writes that take a device out of every group it is in, for a transaction that retires
/// it; `also` carries that transaction's other changes to the directory entry (one write per
/// item in a transaction).
pub(crate) fn leave_all(
    t: &TenantId,
    d: &DeviceId,
    entry: &DirectoryRecord,
    also: Update,
) -> Vec<WriteOp> {
    let mut ops = Vec::new();
    for g in &entry.groups {
        let Ok(g) = GroupId::parse(g) else { continue };
        ops.push(WriteOp::Delete {
            key: keys::member(t, &g, d),
            cond: None,
        });
        ops.push(WriteOp::Update {
            key: keys::group(t, &g),
            update: Update::new().add(attr::MEMBERS, -1),
            cond: None,
        });
    }
    ops.push(write_groups(t, d, &[], entry.gv, also));
    ops
}
