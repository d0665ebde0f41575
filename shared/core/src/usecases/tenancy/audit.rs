//! The tenant's audit log: admin actions and every command transition, each written in the same
//! transaction as what it records so nothing happens without its entry, and read newest first
//! across the partitions that hold them.
//!
//! Admin actions (and enrolments) go to the tenant's admin partition; command transitions and
//! compliance steps to the device's transition shard (16 partitions, see `lifecycle`). Every
//! entry's TTL is the audit retention (`MDM_AUDIT_RETENTION_DAYS`, default 365, 1–3650; SAM
//! parameter `AuditRetentionDays`), which DynamoDB's TTL and readers (at once) honour; entries
//! past retention are never returned.
//!
//! `GET /v1/audit` (admins, auditors) filters on `actor` (a user's subject, `device/<id>` or
//! `system`), `action` (e.g. `command.queue`, `command.fetched`), `device` (also matching its
//! commands), `since` and `until` (RFC 3339); filters combine. The cursor is `<13-digit ms>-<id>`
//! and needs no escaping. The time range narrows the read by sort key; the other filters read at
//! most 1,000 entries per page (`timeline::MAX_SCANNED`), so a sparse match may return a short
//! page with `next_cursor`. With `device=` or `actor=device/<id>` only the admin partition and
//! that device's shard are read; with a transition `action=`, only the shards; with another
//! `action=`, only the admin partition.

use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::directory::{DIRECTORY_SHARDS, shard_of};
use crate::domain::time::rfc3339;
use crate::domain::time::{DAY_SECS, secs_from_ms};
use crate::domain::{CommandStatus, DeviceId, TenantId};
use crate::error::Error;
use crate::ports::{Principal, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{AuditRecord, CommandRecord, from_item, to_item};
use crate::usecases::Page;
use crate::usecases::fleet::timeline::{Take, newest_first, start_of};
use crate::usecases::{AUDIT_READERS, fleet::views::Listing, require_role};

/// The actor of what the service does on its own (a push sent, a deadline passed, required
/// apps queued at enrolment).
pub const SYSTEM_ACTOR: &str = "system";

/// The write that records one action, for inclusion in the action's transaction.
pub fn entry(
    svc: &Services,
    who: &Principal,
    action: &str,
    target: String,
    detail: Option<Value>,
) -> WriteOp {
    entry_by(
        svc,
        &who.tenant,
        &who.subject,
        who.role.as_str(),
        action,
        target,
        detail,
    )
}

/// The same for an actor that is not a tenant user, such as a device enrolling itself.
pub fn entry_by(
    svc: &Services,
    tenant: &TenantId,
    actor: &str,
    role: &str,
    action: &str,
    target: String,
    detail: Option<Value>,
) -> WriteOp {
    let at = svc.now();
    let key = keys::audit(tenant, at, &svc.ids.id(at));
    put(svc, key, at, actor, role, action, target, detail)
}

/// Who moved a command, for the audit entry of the transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    /// The device, fetching the command or reporting its result.
    Device,
    /// The service: the push consumer, or expiry.
    Service,
}

/// The write that records a command's transition (`command.push_sent`, `command.fetched`,
/// `command.acknowledged`, ...), for inclusion in the transition's own transaction. Admin
/// actions that move a command (a cancel) write their own entry instead.
pub fn transition(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    rec: &CommandRecord,
    next: CommandStatus,
    by: Mover,
    detail: Option<&str>,
) -> WriteOp {
    let at = svc.now();
    let key = keys::transition_audit(tenant, device, at, &svc.ids.id(at));
    let (actor, role) = match by {
        Mover::Device => (format!("device/{device}"), "device"),
        Mover::Service => (SYSTEM_ACTOR.to_owned(), SYSTEM_ACTOR),
    };
    let mut about = json!({"from": rec.status.as_str(), "kind": rec.spec.kind()});
    if let Some(job) = &rec.job {
        about["job"] = json!(job);
    }
    if let Some(detail) = detail {
        about["detail"] = json!(detail);
    }
    put(
        svc,
        key,
        at,
        &actor,
        role,
        &format!("command.{}", next.as_str()),
        format!("device/{device}/command/{}", rec.id),
        Some(about),
    )
}

/// The write that records what the service did about one device on its own (a compliance
/// rule failing or passing, a ladder step firing): in the device's shard, like its command
/// transitions, because evaluations follow check-ins.
pub fn device_event(
    svc: &Services,
    tenant: &TenantId,
    device: &DeviceId,
    action: &str,
    detail: Value,
) -> WriteOp {
    let at = svc.now();
    let key = keys::transition_audit(tenant, device, at, &svc.ids.id(at));
    put(
        svc,
        key,
        at,
        SYSTEM_ACTOR,
        SYSTEM_ACTOR,
        action,
        format!("device/{device}"),
        Some(detail),
    )
}

#[allow(clippy::too_many_arguments)]
fn put(
    svc: &Services,
    key: crate::ports::Key,
    at: i64,
    actor: &str,
    role: &str,
    action: &str,
    target: String,
    detail: Option<Value>,
) -> WriteOp {
    let record = AuditRecord {
        at,
        actor: actor.to_owned(),
        role: role.to_owned(),
        action: action.to_owned(),
        target,
        detail,
        ttl: Some(secs_from_ms(at) + svc.settings.audit_retention_days * DAY_SECS),
    };
    WriteOp::Put {
        item: to_item(key, &record),
        cond: None,
    }
}

/// The actions of command transitions (kept in the sharded partitions); a command's queueing
/// and cancel are admin actions (`command.queue`, `command.cancel`, `job.create`).
pub const TRANSITION_ACTIONS: [&str; 6] = [
    "command.push_sent",
    "command.fetched",
    "command.not_now",
    "command.acknowledged",
    "command.error",
    "command.expired",
];

/// The actions of compliance evaluations, kept in the sharded partitions too.
pub const COMPLIANCE_ACTIONS: [&str; 3] = [
    "compliance.rule_failed",
    "compliance.rule_passed",
    "compliance.step_fired",
];

/// Whether entries of this action live in the device shards (not the admin partition).
fn sharded(action: &str) -> bool {
    TRANSITION_ACTIONS.contains(&action) || COMPLIANCE_ACTIONS.contains(&action)
}

/// One audit entry as API readers see it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}

/// What a reader asks of the audit log; every filter is optional and they combine.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Entries by this actor (a user's subject, or `device/<id>`).
    pub actor: Option<String>,
    /// Entries of this action, such as `command.queue`.
    pub action: Option<String>,
    /// Entries about this device or its commands.
    pub device: Option<DeviceId>,
    /// Entries at or after this time (ms since the epoch).
    pub since: Option<i64>,
    /// Entries at or before this time (ms since the epoch).
    pub until: Option<i64>,
}

impl AuditFilter {
    fn admits(&self, r: &AuditRecord) -> bool {
        let device_target = |d: &DeviceId| {
            let own = format!("device/{d}");
            r.target == own || r.target.starts_with(&format!("{own}/"))
        };
        self.actor.as_ref().is_none_or(|a| r.actor == *a)
            && self.action.as_ref().is_none_or(|a| r.action == *a)
            && self.device.as_ref().is_none_or(device_target)
            && self.until.is_none_or(|u| r.at <= u)
    }
}

/// The partitions a filter can find entries in: the admin partition unless only transitions
/// are asked for, and the transition shards unless only admin actions are — only the device's
/// own shard when the filter names a device.
fn partitions(tenant: &TenantId, filter: &AuditFilter) -> Vec<String> {
    let transitions = filter.action.as_deref().map(sharded);
    let device = filter.device.clone().or_else(|| {
        let id = filter.actor.as_deref()?.strip_prefix("device/")?;
        DeviceId::parse(id).ok()
    });
    let mut pks = Vec::new();
    if transitions != Some(true) {
        pks.push(keys::audit_pk(tenant));
    }
    if transitions != Some(false) {
        match device {
            Some(d) => pks.push(keys::transition_audit_pk(tenant, shard_of(&d))),
            None => pks.extend((0..DIRECTORY_SHARDS).map(|s| keys::transition_audit_pk(tenant, s))),
        }
    }
    pks
}

/// Lists the tenant's audit log, newest first, filtered: the admin partition and the shards
/// merged by `timeline::newest_first`. The time range is a range of the sort keys, so it costs
/// nothing to narrow; the other filters are applied to what is read, at most
/// `timeline::MAX_SCANNED` entries per page.
pub async fn list(
    svc: &Services,
    who: &Principal,
    filter: &AuditFilter,
    page: Page,
) -> Result<Listing<AuditView>, Error> {
    require_role(who, AUDIT_READERS, "read the audit log")?;
    let limit = page.limit();
    let start = start_of(page.cursor(), filter.until)?;
    let now_secs = secs_from_ms(svc.now());
    newest_first(svc, partitions(&who.tenant, filter), start, limit, |item| {
        let r: AuditRecord = from_item(item)?;
        if filter.since.is_some_and(|s| r.at < s) {
            // Older entries only from here on, in every partition.
            return Ok(Take::Stop);
        }
        // The store may delete an expired entry late; readers never see it.
        Ok(if r.ttl.is_none_or(|t| t > now_secs) && filter.admits(&r) {
            Take::Keep(view(r))
        } else {
            Take::Skip
        })
    })
    .await
}

fn view(r: AuditRecord) -> AuditView {
    AuditView {
        at: rfc3339(r.at),
        actor: r.actor,
        role: r.role,
        action: r.action,
        target: r.target,
        detail: r.detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(action: Option<&str>, device: Option<&str>, actor: Option<&str>) -> AuditFilter {
        AuditFilter {
            action: action.map(str::to_owned),
            device: device.map(|d| DeviceId::parse(d).unwrap()),
            actor: actor.map(str::to_owned),
            ..AuditFilter::default()
        }
    }

    #[test]
    fn a_filter_reads_only_the_partitions_that_can_hold_its_entries() {
        let t = TenantId::parse("acme").unwrap();
        let all = partitions(&t, &AuditFilter::default());
        assert_eq!(all.len(), 1 + DIRECTORY_SHARDS as usize);
        assert_eq!(all[0], keys::audit_pk(&t));
        let d = "01M8VK9BGNX1ATPRTWQ7J1J2XB";
        let own = keys::transition_audit_pk(&t, shard_of(&DeviceId::parse(d).unwrap()));
        let expected = vec![keys::audit_pk(&t), own.clone()];
        assert_eq!(partitions(&t, &filter(None, Some(d), None)), expected);
        let actor = format!("device/{d}");
        assert_eq!(partitions(&t, &filter(None, None, Some(&actor))), expected);
        assert_eq!(
            partitions(&t, &filter(Some("command.fetched"), Some(d), None)),
            vec![own]
        );
        assert_eq!(
            partitions(&t, &filter(Some("command.queue"), None, None)),
            vec![keys::audit_pk(&t)]
        );
    }
}
