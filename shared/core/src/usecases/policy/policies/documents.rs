//! Policy documents: creating, reading, listing, updating (a new version each time) and deleting
//! them, and the checks a document must pass first.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::refresh::refresh_uses;
use crate::domain::device::short_text;
use crate::domain::policy::PolicyDocument;
use crate::domain::time::rfc3339;
use crate::domain::{GeofenceId, PolicyId, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Principal, Query, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{PolicyRecord, PolicyVersionRecord, attr, from_item, to_item};
use crate::usecases::Page;
use crate::usecases::fleet::views::Listing;
use crate::usecases::{ADMINS, READERS, require_role, tenancy::audit};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    /// 1 to 100 printable characters.
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
    pub document: PolicyDocument,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PolicyView {
    pub id: String,
    pub name: String,
    /// 1 at creation, +1 at every update.
    pub version: i64,
    pub document: PolicyDocument,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
}

impl PolicyView {
    fn new(id: &str, r: &PolicyRecord) -> Self {
        Self {
            id: id.to_owned(),
            name: r.name.clone(),
            version: r.version,
            document: r.document.clone(),
            created_at: rfc3339(r.created_at),
            created_by: r.created_by.clone(),
            updated_at: rfc3339(r.updated_at),
            updated_by: r.updated_by.clone(),
        }
    }
}

/// Checks the request, and that every geofence its rules name is one of the tenant's.
async fn validate(svc: &Services, t: &TenantId, req: &PolicyRequest) -> Result<(), Error> {
    short_text("name", &req.name, 100)?;
    req.document.validate()?;
    let named = req
        .document
        .compliance
        .as_ref()
        .and_then(|c| c.inside_geofence.as_ref())
        .map(|r| r.geofences.as_slice())
        .unwrap_or_default();
    let mut refs = Vec::new();
    for (i, g) in named.iter().enumerate() {
        let field = format!("compliance.inside_geofence.geofences[{i}]");
        let id =
            GeofenceId::parse(g).map_err(|_| Error::invalid_field(&field, "not a geofence id"))?;
        refs.push((field, id));
    }
    crate::usecases::policy::geofences::exist(svc, t, &refs).await
}

pub async fn create(
    svc: &Services,
    who: &Principal,
    req: PolicyRequest,
) -> Result<PolicyView, Error> {
    require_role(who, ADMINS, "manage policies")?;
    validate(svc, &who.tenant, &req).await?;
    let now = svc.now();
    let id = PolicyId::from_generated(svc.ids.id(now));
    let t = &who.tenant;
    let record = PolicyRecord {
        name: req.name.clone(),
        version: 1,
        document: req.document.clone(),
        created_at: now,
        created_by: who.subject.clone(),
        updated_at: now,
        updated_by: who.subject.clone(),
    };
    svc.table
        .transact(vec![
            WriteOp::Put {
                item: to_item(keys::policy(t, &id), &record),
                cond: Some(Cond::NotExists),
            },
            version_put(t, &id, &record),
            audit::entry(
                svc,
                who,
                "policy.create",
                format!("policy/{id}"),
                Some(json!({"name": req.name, "version": 1})),
            ),
        ])
        .await?;
    Ok(PolicyView::new(id.as_str(), &record))
}

fn version_put(t: &TenantId, id: &PolicyId, r: &PolicyRecord) -> WriteOp {
    WriteOp::Put {
        item: to_item(
            keys::policy_version(t, id, r.version),
            &PolicyVersionRecord {
                name: Some(r.name.clone()),
                document: r.document.clone(),
                at: r.updated_at,
                by: r.updated_by.clone(),
            },
        ),
        cond: Some(Cond::NotExists),
    }
}

pub(super) async fn load(
    svc: &Services,
    t: &TenantId,
    id: &PolicyId,
    consistent: bool,
) -> Result<Option<PolicyRecord>, Error> {
    match svc.table.get(&keys::policy(t, id), consistent).await? {
        Some(item) => Ok(Some(from_item(&item)?)),
        None => Ok(None),
    }
}

pub async fn get(svc: &Services, who: &Principal, id: &PolicyId) -> Result<PolicyView, Error> {
    require_role(who, READERS, "read policies")?;
    match load(svc, &who.tenant, id, false).await? {
        Some(r) => Ok(PolicyView::new(id.as_str(), &r)),
        None => Err(Error::NotFound("policy")),
    }
}

/// The tenant's policies in id order (oldest first).
pub async fn list(
    svc: &Services,
    who: &Principal,
    page: Page,
) -> Result<Listing<PolicyView>, Error> {
    require_role(who, READERS, "read policies")?;
    let mut q = Query::prefix(keys::policies_pk(&who.tenant), "");
    q.cursor = crate::usecases::id_cursor(page.cursor(), PolicyId::parse)?;
    q.limit = page.limit();
    let page = svc.table.query(q).await?;
    let items = page
        .items
        .iter()
        .map(|i| Ok(PolicyView::new(&i.key.sk, &from_item(i)?)))
        .collect::<Result<_, StoreError>>()?;
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}

/// Writes a new version, then refreshes every device the policy reaches (through the queue
/// for groups and the tenant default).
pub async fn update(
    svc: &Services,
    who: &Principal,
    id: &PolicyId,
    req: PolicyRequest,
) -> Result<PolicyView, Error> {
    require_role(who, ADMINS, "manage policies")?;
    validate(svc, &who.tenant, &req).await?;
    let t = &who.tenant;
    let Some(current) = load(svc, t, id, true).await? else {
        return Err(Error::NotFound("policy"));
    };
    let now = svc.now();
    let next = PolicyRecord {
        name: req.name.clone(),
        version: current.version + 1,
        document: req.document.clone(),
        updated_at: now,
        updated_by: who.subject.clone(),
        ..current.clone()
    };
    let written = svc
        .table
        .transact(vec![
            WriteOp::Put {
                item: to_item(keys::policy(t, id), &next),
                cond: Some(Cond::eq(attr::VERSION, current.version)),
            },
            version_put(t, id, &next),
            audit::entry(
                svc,
                who,
                "policy.update",
                format!("policy/{id}"),
                Some(json!({"name": req.name, "version": next.version})),
            ),
        ])
        .await;
    match written {
        Ok(()) => {}
        Err(StoreError::Precondition { .. }) => {
            return Err(Error::Conflict(
                "the policy was changed concurrently; read it and retry".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    refresh_uses(svc, t, id).await?;
    Ok(PolicyView::new(id.as_str(), &next))
}

/// Deletes a policy assigned nowhere; an assigned one is refused (`policy_in_use`).
pub async fn delete(svc: &Services, who: &Principal, id: &PolicyId) -> Result<(), Error> {
    require_role(who, ADMINS, "manage policies")?;
    let t = &who.tenant;
    let mut q = Query::prefix(keys::policy_pk(t, id), keys::POLICY_USE_PREFIX);
    q.limit = 1;
    q.consistent = true;
    if !svc.table.query(q).await?.items.is_empty() {
        return Err(Error::PolicyInUse);
    }
    let written = svc
        .table
        .transact(vec![
            WriteOp::Delete {
                key: keys::policy(t, id),
                cond: Some(Cond::Exists),
            },
            audit::entry(svc, who, "policy.delete", format!("policy/{id}"), None),
        ])
        .await;
    match written {
        Ok(()) => Ok(()),
        Err(StoreError::Precondition { index: Some(0) }) => Err(Error::NotFound("policy")),
        Err(e) => Err(e.into()),
    }
}
