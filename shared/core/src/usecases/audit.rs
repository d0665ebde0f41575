//! The tenant's audit log: admin actions and every command transition, each written in the
//! same transaction as what it records so nothing happens without its entry, and read newest
//! first across the partitions that hold them.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::{Value, json};

use super::{AUDIT_READERS, require_role, views::Listing};
use crate::domain::directory::{DIRECTORY_SHARDS, shard_of};
use crate::domain::time::rfc3339;
use crate::domain::{CommandStatus, DeviceId, TenantId};
use crate::error::Error;
use crate::ports::{Item, Principal, Query, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{AuditRecord, CommandRecord, from_item, to_item};

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
        ttl: Some(at / 1000 + svc.settings.audit_retention_days * 86_400),
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

/// Most entries one request looks at while looking for matches; past it the page ends early
/// with a cursor, so a rare filter costs a bounded read per page rather than one huge one.
pub const MAX_SCANNED: usize = 1000;

/// One partition of the log, read newest first a page at a time.
struct Source {
    pk: String,
    buffered: VecDeque<Item>,
    cursor: Option<String>,
    done: bool,
}

impl Source {
    fn head(&self) -> Option<&str> {
        self.buffered.front().map(|i| i.key.sk.as_str())
    }

    async fn refill(&mut self, svc: &Services, limit: usize) -> Result<(), Error> {
        let mut q = Query::prefix(self.pk.clone(), "");
        q.descending = true;
        q.cursor = self.cursor.take();
        q.limit = limit;
        let page = svc.table.query(q).await?;
        self.buffered.extend(page.items);
        self.done = page.cursor.is_none();
        self.cursor = page.cursor;
        Ok(())
    }
}

/// The partitions a filter can find entries in: the admin partition unless only transitions
/// are asked for, and the transition shards unless only admin actions are — only the device's
/// own shard when the filter names a device.
fn partitions(tenant: &TenantId, filter: &AuditFilter) -> Vec<String> {
    let transitions = filter
        .action
        .as_deref()
        .map(|a| TRANSITION_ACTIONS.contains(&a));
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

/// Lists the tenant's audit log, newest first, filtered. Admin actions and the shards of
/// command transitions are separate partitions keyed by time with ids unique across them, so
/// they merge into one order and one cursor (the sort key of the last entry looked at) resumes
/// every one of them. The time range is a range of those sort keys, so it costs nothing to
/// narrow; the other filters are applied to what is read, at most `MAX_SCANNED` entries per
/// page. The partitions are read lazily, a few entries each, so a page costs about what it
/// returns plus one small read per partition.
pub async fn list(
    svc: &Services,
    who: &Principal,
    filter: &AuditFilter,
    cursor: Option<String>,
    limit: usize,
) -> Result<Listing<AuditView>, Error> {
    require_role(who, AUDIT_READERS, "read the audit log")?;
    let limit = limit.clamp(1, 200);
    // Descending pages start after the cursor: a key just past `until` starts at `until`.
    let start = match cursor {
        Some(c) => Some(sort_key_of(&c)?),
        None => filter.until.map(|u| format!("{:013}", u.saturating_add(1))),
    };
    let mut sources: Vec<Source> = partitions(&who.tenant, filter)
        .into_iter()
        .map(|pk| Source {
            pk,
            buffered: VecDeque::new(),
            cursor: start.clone(),
            done: false,
        })
        .collect();
    let now_secs = svc.now() / 1000;
    let mut items = Vec::new();
    let mut looked_at = 0;
    loop {
        let per_source = (2 * (limit - items.len()))
            .div_ceil(sources.len())
            .clamp(8, limit.max(8));
        for source in sources.iter_mut() {
            if source.buffered.is_empty() && !source.done {
                source.refill(svc, per_source).await?;
            }
        }
        let newest = sources
            .iter_mut()
            .filter(|s| s.head().is_some())
            .max_by(|a, b| a.head().cmp(&b.head()));
        let Some(item) = newest.and_then(|s| s.buffered.pop_front()) else {
            return Ok(Listing {
                items,
                next_cursor: None,
            });
        };
        looked_at += 1;
        let r: AuditRecord = from_item(&item)?;
        if filter.since.is_some_and(|s| r.at < s) {
            // Older entries only from here on, in every partition.
            return Ok(Listing {
                items,
                next_cursor: None,
            });
        }
        // The store may delete an expired entry late; readers never see it.
        if r.ttl.is_none_or(|t| t > now_secs) && filter.admits(&r) {
            items.push(view(r));
        }
        if items.len() == limit || looked_at >= MAX_SCANNED {
            let more = sources.iter().any(|s| !s.buffered.is_empty() || !s.done);
            return Ok(Listing {
                items,
                next_cursor: more.then(|| cursor_of(&item.key.sk)),
            });
        }
    }
}

/// The cursor of a page that ended at this sort key: the key with its `#` as `-`, so the
/// cursor goes into a query string as it is (a raw `#` would start the URL's fragment and cut
/// the cursor short).
fn cursor_of(sk: &str) -> String {
    sk.replacen('#', "-", 1)
}

/// The sort key a cursor stands for, refusing what no listing returned: 13 digits of time, then
/// `-` (or `#`) and an id.
fn sort_key_of(cursor: &str) -> Result<String, Error> {
    let bad = || Error::invalid_field("cursor", "not a cursor this listing returned");
    let (time, id) = cursor.split_once(['-', '#']).ok_or_else(bad)?;
    let well_formed = time.len() == 13
        && time.bytes().all(|b| b.is_ascii_digit())
        && !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if well_formed {
        Ok(format!("{time}#{id}"))
    } else {
        Err(bad())
    }
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
    fn a_cursor_reads_back_as_the_sort_key_it_came_from() {
        let sk = "1796222529045#01M8VK9BGNX1ATPRTWQ7J1J2XB";
        let cursor = cursor_of(sk);
        assert!(!cursor.contains('#'), "{cursor}");
        assert_eq!(sort_key_of(&cursor).unwrap(), sk);
        assert_eq!(
            sort_key_of(sk).unwrap(),
            sk,
            "an escaped raw key is accepted too"
        );
    }

    #[test]
    fn a_cursor_no_listing_returned_is_refused() {
        for bad in [
            "",
            "yesterday",
            "179622252904-01M8",
            "1796222529045-",
            "1796222529045-a/b",
        ] {
            assert!(sort_key_of(bad).is_err(), "{bad:?}");
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
