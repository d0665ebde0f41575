//! A device's effective policy: computing it from its assignments (with the compliance rules it
//! carries), showing it to admins, and delivering it at check-in, with the restrictions of the
//! schedules open at its version.

use serde::Serialize;

use super::documents::load;
use crate::domain::policy::PolicyDocument;
use crate::domain::{DeviceId, DeviceState, GroupId, PolicyId, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Principal, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{
    DeviceRecord, DirectoryRecord, EffectivePolicyRecord, GroupRecord, PolicySource,
    PolicyUseRecord, attr, from_item, to_item,
};
use crate::usecases::{READERS, require_role};

/// A device's effective policy as admins read it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EffectivePolicyView {
    /// None when no policy applies to the device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<PolicyDocument>,
    /// The assigned policies, highest precedence first, that sections were taken from.
    pub sources: Vec<PolicySource>,
    /// The version the device last reported it applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_version: Option<String>,
    /// Whether the device applied its effective policy (true when none applies).
    pub up_to_date: bool,
}

/// What a check-in carries when the device's effective policy is not the one it applied.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PolicyDelivery {
    /// Report it back as `policy_version` once applied.
    pub version: String,
    pub document: PolicyDocument,
}

/// Computes a device's effective policy from its assignments and stores it with its version
/// on the device item, when it changed. A retired or unknown device is left alone.
pub async fn recompute(svc: &Services, t: &TenantId, d: &DeviceId) -> Result<(), Error> {
    let Some(item) = svc.table.get(&keys::directory(t, d), true).await? else {
        return Ok(());
    };
    let entry: DirectoryRecord = from_item(&item)?;
    if entry.state == DeviceState::Retired {
        return Ok(());
    }
    // The assigned policies, highest precedence first.
    let mut assigned: Vec<(String, String)> = Vec::new();
    if let Some(p) = &entry.policy {
        assigned.push((p.clone(), "device".into()));
    }
    let mut by_group = Vec::new();
    for g in &entry.groups {
        let Ok(gid) = GroupId::parse(g) else { continue };
        if let Some(item) = svc.table.get(&keys::group(t, &gid), true).await? {
            let group: GroupRecord = from_item(&item)?;
            if let Some(p) = group.policy {
                by_group.push((group.priority, g.clone(), p));
            }
        }
    }
    by_group.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    assigned.extend(
        by_group
            .into_iter()
            .map(|(_, g, p)| (p, format!("group:{g}"))),
    );
    if let Some(item) = svc.table.get(&keys::default_policy(t), true).await? {
        assigned.push((from_item::<PolicyUseRecord>(&item)?.policy, "tenant".into()));
    }
    let mut docs = Vec::new();
    let mut sources = Vec::new();
    for (p, via) in assigned {
        let Ok(pid) = PolicyId::parse(&p) else {
            continue;
        };
        // A policy deleted since it was assigned contributes nothing.
        if let Some(policy) = load(svc, t, &pid, true).await? {
            sources.push(PolicySource {
                policy: p,
                version: policy.version,
                via,
            });
            docs.push(policy.document);
        }
    }
    let hot_key = keys::device(t, d);
    let Some(hot) = svc.table.get(&hot_key, true).await? else {
        return Ok(());
    };
    let hot: DeviceRecord = from_item(&hot)?;
    let rules = PolicyDocument::merge(docs.iter()).compliance;
    // The evaluation compares the rules with those in force and writes only what changed.
    if rules.is_some() || hot.cs.is_some() {
        let input = crate::usecases::posture::compliance::Input {
            rules: Some(rules),
            hot: Some(&hot),
            ..Default::default()
        };
        crate::usecases::posture::compliance::evaluate(svc, t, d, input).await?;
    }
    if docs.is_empty() {
        if hot.pv.is_none() {
            return Ok(());
        }
        svc.table
            .transact(vec![
                WriteOp::Update {
                    key: hot_key,
                    update: Update::new()
                        .remove(attr::POLICY_VERSION)
                        .remove(attr::SCHEDULE_CHANGE),
                    cond: Some(Cond::Exists),
                },
                WriteOp::Delete {
                    key: keys::effective_policy(t, d),
                    cond: None,
                },
            ])
            .await?;
        return Ok(());
    }
    let document = PolicyDocument::merge(docs.iter());
    let version = document.fingerprint();
    let (delivered, next_change) = scheduled_version(svc, t, &hot, &document, &version).await?;
    let stored_sources = match svc.table.get(&keys::effective_policy(t, d), true).await? {
        Some(item) => Some(from_item::<EffectivePolicyRecord>(&item)?.sources),
        None => None,
    };
    if hot.pv.as_deref() == Some(delivered.as_str())
        && hot.sw == next_change
        && stored_sources.as_ref() == Some(&sources)
    {
        return Ok(());
    }
    let record = EffectivePolicyRecord {
        version: version.clone(),
        document,
        sources,
        computed_at: svc.now(),
    };
    let update = Update::new().set(attr::POLICY_VERSION, delivered.as_str());
    svc.table
        .transact(vec![
            WriteOp::Update {
                key: hot_key,
                update: match next_change {
                    Some(at) => update.set(attr::SCHEDULE_CHANGE, at),
                    None => update.remove(attr::SCHEDULE_CHANGE),
                },
                cond: Some(Cond::Exists),
            },
            WriteOp::Put {
                item: to_item(keys::effective_policy(t, d), &record),
                cond: None,
            },
        ])
        .await?;
    Ok(())
}

pub(super) async fn effective_view(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
) -> Result<EffectivePolicyView, Error> {
    let Some(hot) = svc.table.get(&keys::device(t, d), true).await? else {
        return Err(Error::NotFound("device"));
    };
    let hot: DeviceRecord = from_item(&hot)?;
    let effective = match (
        &hot.pv,
        svc.table.get(&keys::effective_policy(t, d), true).await?,
    ) {
        (Some(_), Some(item)) => Some(from_item::<EffectivePolicyRecord>(&item)?),
        _ => None,
    };
    Ok(EffectivePolicyView {
        up_to_date: hot.pv.is_none() || hot.pv == hot.pa,
        // The version the device is sent (with schedules, it names the open ones too).
        version: effective.as_ref().and(hot.pv.clone()),
        sources: effective
            .as_ref()
            .map(|e| e.sources.clone())
            .unwrap_or_default(),
        document: effective.map(|e| e.document),
        applied_version: hot.pa,
    })
}

/// A device's effective policy, where it came from and whether the device applied it.
pub async fn effective(
    svc: &Services,
    who: &Principal,
    d: &DeviceId,
) -> Result<EffectivePolicyView, Error> {
    require_role(who, READERS, "read devices")?;
    effective_view(svc, &who.tenant, d).await
}

/// For a check-in whose device item says its effective policy is not the one it applied: the
/// policy to send (one read, only then), with the restrictions of the schedules open when its
/// version was set.
pub async fn delivery(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    hot: &DeviceRecord,
) -> Result<Option<PolicyDelivery>, Error> {
    if hot.pv == hot.pa {
        return Ok(None);
    }
    current_delivery(svc, t, d, hot).await
}

/// The device's effective policy as it is sent now (with the schedules open at its version),
/// whether or not the device has applied it; None when no policy applies.
pub async fn current_delivery(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    hot: &DeviceRecord,
) -> Result<Option<PolicyDelivery>, Error> {
    let Some(version) = &hot.pv else {
        return Ok(None);
    };
    match svc.table.get(&keys::effective_policy(t, d), true).await? {
        Some(item) => {
            let e: EffectivePolicyRecord = from_item(&item)?;
            Ok(Some(PolicyDelivery {
                version: version.clone(),
                document: e.document.with_open_schedules(open_mask(version)),
            }))
        }
        None => Ok(None),
    }
}

/// The version a device is sent: the document's fingerprint, and with schedules, which of them
/// are open now (`<fingerprint>w<mask>`), so opening or closing a window is a new version the
/// device is sent; and when that next changes.
async fn scheduled_version(
    svc: &Services,
    t: &TenantId,
    hot: &DeviceRecord,
    document: &PolicyDocument,
    fingerprint: &str,
) -> Result<(String, Option<i64>), Error> {
    if document.schedules.is_none() {
        return Ok((fingerprint.to_owned(), None));
    }
    let zone = |name: Option<&str>| name.and_then(|n| jiff::tz::db().get(n).ok());
    let tenant = crate::usecases::tenancy::tenant_record::load(svc, t, false)
        .await?
        .unwrap_or_default();
    let tenant_zone = zone(tenant.time_zone.as_deref()).unwrap_or(jiff::tz::TimeZone::UTC);
    let device_zone = zone(hot.tz.as_deref());
    let (mask, next) = document.schedule_state(svc.now(), &tenant_zone, device_zone.as_ref());
    Ok((format!("{fingerprint}w{mask:x}"), next))
}

/// Which schedules a delivered version says are open (none for a version without schedules).
fn open_mask(version: &str) -> u16 {
    version
        .split_once('w')
        .and_then(|(_, m)| u16::from_str_radix(m, 16).ok())
        .unwrap_or(0)
}

/// For a check-in past the moment its device's schedules open or close: sets the version the
/// device is sent to the one for now (so the check-in delivers it) and the next change. On the
/// condition that the version is still the one the check-in saw, so a policy change racing
/// with it wins. Returns the device item as it is afterwards.
pub async fn schedule_changed(
    svc: &Services,
    cred: &crate::domain::DeviceCredential,
    hot: &DeviceRecord,
) -> Result<DeviceRecord, Error> {
    let (t, d) = (&cred.tenant, &cred.device);
    let Some(item) = svc.table.get(&keys::effective_policy(t, d), true).await? else {
        return Ok(hot.clone());
    };
    let e: EffectivePolicyRecord = from_item(&item)?;
    let (delivered, next) = scheduled_version(svc, t, hot, &e.document, &e.version).await?;
    let update = Update::new().set(attr::POLICY_VERSION, delivered.as_str());
    let update = match next {
        Some(at) => update.set(attr::SCHEDULE_CHANGE, at),
        None => update.remove(attr::SCHEDULE_CHANGE),
    };
    let mut cond = vec![crate::store::conditions::credential_holds(cred)];
    if let Some(pv) = &hot.pv {
        cond.push(Cond::eq(attr::POLICY_VERSION, pv.as_str()));
    }
    match svc
        .table
        .update(&keys::device(t, d), update, Some(Cond::And(cond)))
        .await
    {
        Ok(item) => Ok(from_item(&item)?),
        Err(StoreError::Precondition { .. }) => Ok(hot.clone()),
        Err(e) => Err(e.into()),
    }
}
