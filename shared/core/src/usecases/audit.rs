//! The tenant's audit log: admin actions, written in the same transaction as the action itself
//! so an action is never without its entry, and read newest first.

use serde::Serialize;
use serde_json::Value;

use super::{AUDIT_READERS, require_role, views::Listing};
use crate::domain::time::rfc3339;
use crate::domain::{DeviceId, TenantId};
use crate::error::Error;
use crate::ports::{Principal, Query, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{AuditRecord, from_item, to_item};

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
        item: to_item(keys::audit(tenant, at, &svc.ids.id(at)), &record),
        cond: None,
    }
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

/// Most entries one request reads while looking for matches; past it the page ends early with
/// a cursor, so a rare filter costs a bounded read per page rather than one huge one.
pub const MAX_SCANNED: usize = 1000;

/// Lists the tenant's audit log, newest first, filtered. The time range is a range of the
/// partition's sort key (entries are keyed by time), so it costs nothing to narrow; the other
/// filters are applied to what is read, at most `MAX_SCANNED` entries per page.
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
    let mut cursor =
        cursor.or_else(|| filter.until.map(|u| format!("{:013}", u.saturating_add(1))));
    let now_secs = svc.now() / 1000;
    let mut items = Vec::new();
    let mut scanned = 0;
    loop {
        let mut q = Query::prefix(keys::audit_pk(&who.tenant), "");
        q.descending = true;
        q.cursor = cursor.take();
        q.limit = (limit - items.len()).max(50).min(MAX_SCANNED - scanned);
        let page = svc.table.query(q).await?;
        scanned += page.items.len();
        // Where this page's reading stopped when the listing filled up before its end.
        let mut stopped_at = None;
        for (n, item) in page.items.iter().enumerate() {
            let r: AuditRecord = from_item(item)?;
            if filter.since.is_some_and(|s| r.at < s) {
                // Older entries only from here on.
                return Ok(Listing {
                    items,
                    next_cursor: None,
                });
            }
            // The store may delete an expired entry late; readers never see it.
            if r.ttl.is_some_and(|t| t <= now_secs) || !filter.admits(&r) {
                continue;
            }
            items.push(view(r));
            if items.len() == limit {
                stopped_at = Some(n);
                break;
            }
        }
        let next = match stopped_at {
            Some(n) if n + 1 < page.items.len() || page.cursor.is_some() => {
                Some(page.items[n].key.sk.clone())
            }
            Some(_) => None,
            None => page.cursor,
        };
        if next.is_none() || items.len() == limit || scanned >= MAX_SCANNED {
            return Ok(Listing {
                items,
                next_cursor: next,
            });
        }
        cursor = next;
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
