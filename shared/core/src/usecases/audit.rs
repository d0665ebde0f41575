//! The tenant's audit log: admin actions, written in the same transaction as the action itself
//! so an action is never without its entry, and read newest first.

use serde::Serialize;
use serde_json::Value;

use super::{require_role, views::Listing};
use crate::domain::time::rfc3339;
use crate::domain::{Role, TenantId};
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
    };
    WriteOp::Put {
        item: to_item(keys::audit(tenant, at, &svc.ids.id(at)), &record),
        cond: None,
    }
}

/// One audit entry as API readers see it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}

/// Lists the tenant's audit log, newest first.
pub async fn list(
    svc: &Services,
    who: &Principal,
    cursor: Option<String>,
    limit: usize,
) -> Result<Listing<AuditView>, Error> {
    require_role(who, &[Role::Admin, Role::Auditor], "read the audit log")?;
    let mut q = Query::prefix(keys::audit_pk(&who.tenant), "");
    q.descending = true;
    q.cursor = cursor;
    q.limit = limit.clamp(1, 200);
    let page = svc.table.query(q).await?;
    let items = page
        .items
        .iter()
        .map(|i| {
            from_item::<AuditRecord>(i).map(|r| AuditView {
                at: rfc3339(r.at),
                actor: r.actor,
                role: r.role,
                action: r.action,
                target: r.target,
                detail: r.detail,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}
