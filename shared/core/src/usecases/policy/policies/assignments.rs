//! Assigning policies: to a device as its own (one or a list of them), to a group's members with
//! a priority, as the tenant's default, and at enrolment; each write keeps the policy's
//! assignment index in the same transaction.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::documents::load;
use super::effective::{EffectivePolicyView, effective_view, recompute};
use super::refresh::{refresh_devices, start_refresh};
use crate::domain::group::DeviceIds;
use crate::domain::{DeviceId, GroupId, PolicyId, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Principal, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{
    DirectoryRecord, GroupRecord, PolicyUseRecord, attr, from_item, to_item,
};
use crate::usecases::{ADMINS, READERS, require_role, tenancy::audit};

/// Assigns a policy to a device or as the tenant's default.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub policy_id: PolicyId,
}

/// Assigns a policy to a group's members.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignGroupRequest {
    pub policy_id: PolicyId,
    /// Among a device's groups, the policy of the group with the highest priority wins
    /// (-1000 to 1000, default 0).
    #[serde(default)]
    #[schemars(range(min = -1000, max = 1000))]
    pub priority: i64,
}

/// The tenant's default policy.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DefaultPolicyView {
    /// None when the tenant has no default policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
}

pub async fn get_default(svc: &Services, who: &Principal) -> Result<DefaultPolicyView, Error> {
    require_role(who, READERS, "read policies")?;
    let policy_id = match svc
        .table
        .get(&keys::default_policy(&who.tenant), false)
        .await?
    {
        Some(item) => Some(from_item::<PolicyUseRecord>(&item)?.policy),
        None => None,
    };
    Ok(DefaultPolicyView { policy_id })
}

/// Assigns a policy to a device (replacing any other) and recomputes its effective policy.
pub async fn assign_device(
    svc: &Services,
    who: &Principal,
    d: &DeviceId,
    req: Option<AssignRequest>,
) -> Result<EffectivePolicyView, Error> {
    require_role(who, ADMINS, "assign policies")?;
    let t = &who.tenant;
    let new = req.map(|r| r.policy_id);
    if !write_device_policy(svc, who, d, new.as_ref()).await? {
        return Err(Error::NotFound("device"));
    }
    recompute(svc, t, d).await?;
    effective_view(svc, t, d).await
}

/// Writes a device's own policy (`None` takes it away): its directory entry, the assignment
/// index and the audit entry, in one transaction. False when the tenant has no such device.
/// The caller recomputes the device's effective policy.
async fn write_device_policy(
    svc: &Services,
    who: &Principal,
    d: &DeviceId,
    new: Option<&PolicyId>,
) -> Result<bool, Error> {
    let t = &who.tenant;
    let Some(item) = svc.table.get(&keys::directory(t, d), true).await? else {
        return Ok(false);
    };
    let entry: DirectoryRecord = from_item(&item)?;
    let scope = format!("D#{d}");
    let old = entry
        .policy
        .as_deref()
        .and_then(|p| PolicyId::parse(p).ok());
    let mut ops = vec![WriteOp::Update {
        key: keys::directory(t, d),
        update: match &new {
            Some(p) => Update::new().set(attr::POLICY, p.as_str()),
            None => Update::new().remove(attr::POLICY),
        },
        cond: Some(match &old {
            Some(p) => Cond::eq(attr::POLICY, p.as_str()),
            None => Cond::And(vec![Cond::Exists, Cond::Absent(attr::POLICY.into())]),
        }),
    }];
    ops.extend(use_ops(svc, who, t, old.as_ref(), new, &scope, None));
    ops.push(audit::entry(
        svc,
        who,
        if new.is_some() {
            "policy.assign"
        } else {
            "policy.unassign"
        },
        format!("device/{d}"),
        Some(json!({"policy": new, "previous": old})),
    ));
    write_assignment(svc, ops).await?;
    Ok(true)
}

/// What assigning a policy to a list of devices did, each device in the order it was listed.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct DevicesAssigned {
    /// The devices that now have the policy as their own.
    pub assigned: Vec<String>,
    /// The listed devices the tenant does not have: nothing was written for them.
    pub not_found: Vec<String>,
}

/// Assigns a policy to each listed device as its own, as `assign_device` does one (replacing
/// any other device policy, an audit entry each). Devices the tenant does not have are
/// reported, not fatal. A single device is recomputed in the request, as `assign_device`
/// does; more are refreshed through the queue, so a call naming 100 devices does 100 small
/// transactions and one queue message, and no recomputation.
pub async fn assign_devices(
    svc: &Services,
    who: &Principal,
    p: &PolicyId,
    req: DeviceIds,
) -> Result<DevicesAssigned, Error> {
    require_role(who, ADMINS, "assign policies")?;
    req.validate()?;
    let t = &who.tenant;
    // An unknown policy is a 404 whatever the list names; each transaction checks it again,
    // against a delete in between.
    if load(svc, t, p, true).await?.is_none() {
        return Err(Error::NotFound("policy"));
    }
    let mut assigned = Vec::new();
    let mut out = DevicesAssigned::default();
    let mut failed = None;
    for d in &req.devices {
        match write_device_policy(svc, who, d, Some(p)).await {
            Ok(true) => assigned.push(d.clone()),
            Ok(false) => out.not_found.push(d.to_string()),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    // Even when a write failed, the devices written before it are refreshed; a retry of the
    // whole call writes them again (same result) and refreshes them again.
    match assigned.as_slice() {
        [] => {}
        [one] => recompute(svc, t, one).await?,
        many => refresh_devices(svc, t, many).await?,
    }
    if let Some(e) = failed {
        return Err(e);
    }
    out.assigned = assigned.iter().map(DeviceId::to_string).collect();
    Ok(out)
}

/// Assigns the enrollment token's policy to a device it just enrolled (the caller recomputes).
pub(crate) async fn assign_at_enrolment(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    p: &PolicyId,
    by: &str,
) -> Result<(), Error> {
    let ops = vec![
        WriteOp::Update {
            key: keys::directory(t, d),
            update: Update::new().set(attr::POLICY, p.as_str()),
            cond: Some(Cond::And(vec![
                Cond::Exists,
                Cond::Absent(attr::POLICY.into()),
            ])),
        },
        WriteOp::Check {
            key: keys::policy(t, p),
            cond: Cond::Exists,
        },
        WriteOp::Put {
            item: to_item(
                keys::policy_use(t, p, &format!("D#{d}")),
                &PolicyUseRecord {
                    policy: p.to_string(),
                    at: svc.now(),
                    by: by.to_owned(),
                    priority: None,
                },
            ),
            cond: None,
        },
        audit::entry_by(
            svc,
            t,
            by,
            "enrollment_token",
            "policy.assign",
            format!("device/{d}"),
            Some(json!({"policy": p})),
        ),
    ];
    write_assignment(svc, ops).await
}

/// Assigns a policy to a group's members (or takes it away) and refreshes them through the queue.
pub async fn assign_group(
    svc: &Services,
    who: &Principal,
    g: &GroupId,
    req: Option<AssignGroupRequest>,
) -> Result<(), Error> {
    require_role(who, ADMINS, "assign policies")?;
    let t = &who.tenant;
    let Some(item) = svc.table.get(&keys::group(t, g), true).await? else {
        return Err(Error::NotFound("group"));
    };
    let group: GroupRecord = from_item(&item)?;
    if let Some(r) = &req
        && !(-1000..=1000).contains(&r.priority)
    {
        return Err(Error::invalid_field("priority", "must be -1000 to 1000"));
    }
    let old = group
        .policy
        .as_deref()
        .and_then(|p| PolicyId::parse(p).ok());
    let new = req.as_ref().map(|r| r.policy_id.clone());
    let scope = format!("G#{g}");
    let mut ops = vec![WriteOp::Update {
        key: keys::group(t, g),
        update: match &req {
            Some(r) => Update::new()
                .set(attr::POLICY, r.policy_id.as_str())
                .set(attr::PRIORITY, r.priority),
            None => Update::new().remove(attr::POLICY).set(attr::PRIORITY, 0),
        },
        cond: Some(match &old {
            Some(p) => Cond::eq(attr::POLICY, p.as_str()),
            None => Cond::And(vec![Cond::Exists, Cond::Absent(attr::POLICY.into())]),
        }),
    }];
    let priority = req.as_ref().map(|r| r.priority);
    ops.extend(use_ops(
        svc,
        who,
        t,
        old.as_ref(),
        new.as_ref(),
        &scope,
        priority,
    ));
    ops.push(audit::entry(
        svc,
        who,
        if new.is_some() {
            "policy.assign"
        } else {
            "policy.unassign"
        },
        format!("group/{g}"),
        Some(json!({"policy": new, "previous": old, "priority": priority})),
    ));
    write_assignment(svc, ops).await?;
    start_refresh(svc, t, &scope).await
}

/// Sets or clears the tenant's default policy and refreshes every enrolled device through the queue.
pub async fn assign_default(
    svc: &Services,
    who: &Principal,
    req: Option<AssignRequest>,
) -> Result<(), Error> {
    require_role(who, ADMINS, "assign policies")?;
    let t = &who.tenant;
    let old = match svc.table.get(&keys::default_policy(t), true).await? {
        Some(item) => PolicyId::parse(&from_item::<PolicyUseRecord>(&item)?.policy).ok(),
        None => None,
    };
    let new = req.map(|r| r.policy_id);
    let mut ops = vec![match &new {
        Some(p) => WriteOp::Put {
            item: to_item(
                keys::default_policy(t),
                &PolicyUseRecord {
                    policy: p.to_string(),
                    at: svc.now(),
                    by: who.subject.clone(),
                    priority: None,
                },
            ),
            cond: Some(match &old {
                Some(o) => Cond::eq(attr::POLICY, o.as_str()),
                None => Cond::NotExists,
            }),
        },
        None => WriteOp::Delete {
            key: keys::default_policy(t),
            cond: old.as_ref().map(|o| Cond::eq(attr::POLICY, o.as_str())),
        },
    }];
    ops.extend(use_ops(
        svc,
        who,
        t,
        old.as_ref(),
        new.as_ref(),
        "TENANT",
        None,
    ));
    ops.push(audit::entry(
        svc,
        who,
        if new.is_some() {
            "policy.assign"
        } else {
            "policy.unassign"
        },
        "tenant".into(),
        Some(json!({"policy": new, "previous": old})),
    ));
    write_assignment(svc, ops).await?;
    start_refresh(svc, t, "TENANT").await
}

/// The assignment index's writes: the new policy must exist (checked in the transaction) and
/// records its use (with a group's priority); the old one's use goes.
fn use_ops(
    svc: &Services,
    who: &Principal,
    t: &TenantId,
    old: Option<&PolicyId>,
    new: Option<&PolicyId>,
    scope: &str,
    priority: Option<i64>,
) -> Vec<WriteOp> {
    let mut ops = Vec::new();
    if let Some(o) = old
        && Some(o) != new
    {
        ops.push(WriteOp::Delete {
            key: keys::policy_use(t, o, scope),
            cond: None,
        });
    }
    if let Some(n) = new {
        ops.push(WriteOp::Check {
            key: keys::policy(t, n),
            cond: Cond::Exists,
        });
        ops.push(WriteOp::Put {
            item: to_item(
                keys::policy_use(t, n, scope),
                &PolicyUseRecord {
                    policy: n.to_string(),
                    at: svc.now(),
                    by: who.subject.clone(),
                    priority,
                },
            ),
            cond: None,
        });
    }
    ops
}

async fn write_assignment(svc: &Services, ops: Vec<WriteOp>) -> Result<(), Error> {
    let check = ops
        .iter()
        .position(|op| matches!(op, WriteOp::Check { .. }));
    match svc.table.transact(ops).await {
        Ok(()) => Ok(()),
        Err(StoreError::Precondition { index }) if index.is_some() && index == check => {
            Err(Error::NotFound("policy"))
        }
        Err(StoreError::Precondition { .. }) => Err(Error::Conflict(
            "the assignment changed concurrently; retry".into(),
        )),
        Err(e) => Err(e.into()),
    }
}
