//! A tenant's geofences: admins create, replace and delete them, readers list them, and the
//! compliance engine loads the ones a policy names (`load_many`) after policy validation has
//! checked that they exist (`exist`).
//!
//! A geofence is `{name, shape}`, the shape a circle `{"type": "circle", latitude, longitude,
//! radius_m (10–100,000)}` or a polygon `{"type": "polygon", "points": [[latitude, longitude],
//! …]}` (3–100 vertices); a bad shape is `400 invalid_field` naming its field (`shape.radius_m`,
//! `shape.points[3]`). The shapes' own rules live in `domain::geofence`: a circle is every point
//! within `radius_m` metres of its centre on a spherical Earth (haversine), so circles work
//! across the antimeridian and near the poles. A polygon's edges are straight lines in latitude
//! and longitude; its ring closes itself (do not repeat the first vertex), its edges may not
//! cross or touch, it must enclose an area, and it may not cross the antimeridian (refused,
//! naming the vertex: split it in two). A device's position fix is `inside`, `outside` or
//! `uncertain`: uncertain when its accuracy circle straddles the boundary, so a poor fix never
//! counts as leaving. The distance to a polygon's boundary is measured in a local projection
//! centred on the fix (accurate to about 1 % within 50 km at 45°). `PUT` replaces both name and
//! shape; the id stays.
//!
//! A tenant has at most `MAX_GEOFENCES` (500; a 501st is `409 geofence_limit_reached`). The cap
//! is a counter item written in the same transaction as each create (condition: below the cap)
//! and delete, rather than a count of the partition before each create: the count would read up
//! to 500 items of up to ~4 KB (a 100-vertex polygon) on every create, and two creates racing on
//! the 500th slot would both pass it. The counter costs one more item per write and is exact
//! under any concurrency.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::device::short_text;
use crate::domain::geofence::Shape;
use crate::domain::time::rfc3339;
use crate::domain::{GeofenceId, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cmp, Cond, Principal, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::attr;
use crate::store::records::{from_item, to_item};
use crate::usecases::Page;
use crate::usecases::fleet::views::Listing;
use crate::usecases::{ADMINS, READERS, require_role, tenancy::audit};

/// Geofences one tenant may have: enough for every site of a large organisation, and few
/// enough that a listing pages through them in a handful of requests.
pub const MAX_GEOFENCES: usize = 500;

/// The counter item's attribute.
const COUNT: &str = "count";

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GeofenceRequest {
    /// 1 to 100 printable characters.
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
    pub shape: Shape,
}

impl GeofenceRequest {
    pub fn validate(&self) -> Result<(), Error> {
        short_text("name", &self.name, 100)?;
        self.shape.validate()
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GeofenceView {
    pub id: String,
    pub name: String,
    pub shape: Shape,
    pub created_at: String,
    pub updated_at: String,
}

/// A geofence as stored under `T#<t>#GEOFENCES / <id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeofenceRecord {
    pub name: String,
    pub shape: Shape,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
}

impl GeofenceView {
    fn new(id: &str, r: &GeofenceRecord) -> Self {
        Self {
            id: id.to_owned(),
            name: r.name.clone(),
            shape: r.shape.clone(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

pub async fn create(
    svc: &Services,
    who: &Principal,
    req: GeofenceRequest,
) -> Result<GeofenceView, Error> {
    require_role(who, ADMINS, "manage geofences")?;
    req.validate()?;
    let t = &who.tenant;
    let now = svc.now();
    let id = GeofenceId::from_generated(svc.ids.id(now));
    let record = GeofenceRecord {
        name: req.name.clone(),
        shape: req.shape,
        created_at: now,
        created_by: who.subject.clone(),
        updated_at: now,
    };
    let below_cap = Cond::Or(vec![
        Cond::Absent(COUNT.into()),
        Cond::Num(COUNT.into(), Cmp::Lt, MAX_GEOFENCES as i64),
    ]);
    let written = svc
        .table
        .transact(vec![
            WriteOp::Update {
                key: keys::geofence_count(t),
                update: Update::new().add(COUNT, 1),
                cond: Some(below_cap),
            },
            WriteOp::Put {
                item: to_item(keys::geofence(t, &id), &record),
                cond: Some(Cond::NotExists),
            },
            audit::entry(
                svc,
                who,
                "geofence.create",
                format!("geofence/{id}"),
                Some(json!({"name": req.name})),
            ),
        ])
        .await;
    match written {
        Ok(()) => Ok(GeofenceView::new(id.as_str(), &record)),
        Err(StoreError::Precondition { index: Some(0) }) => {
            Err(Error::GeofenceLimitReached { max: MAX_GEOFENCES })
        }
        Err(e) => Err(e.into()),
    }
}

async fn load(
    svc: &Services,
    t: &TenantId,
    g: &GeofenceId,
    consistent: bool,
) -> Result<Option<GeofenceRecord>, Error> {
    match svc.table.get(&keys::geofence(t, g), consistent).await? {
        Some(item) => Ok(Some(from_item(&item)?)),
        None => Ok(None),
    }
}

pub async fn get(svc: &Services, who: &Principal, g: &GeofenceId) -> Result<GeofenceView, Error> {
    require_role(who, READERS, "read geofences")?;
    match load(svc, &who.tenant, g, false).await? {
        Some(r) => Ok(GeofenceView::new(g.as_str(), &r)),
        None => Err(Error::NotFound("geofence")),
    }
}

/// The tenant's geofences in id order (ids are time-ordered: oldest first).
pub async fn list(
    svc: &Services,
    who: &Principal,
    page: Page,
) -> Result<Listing<GeofenceView>, Error> {
    require_role(who, READERS, "read geofences")?;
    let mut q = Query::prefix(keys::geofences_pk(&who.tenant), "");
    q.cursor = crate::usecases::id_cursor(page.cursor(), GeofenceId::parse)?;
    q.limit = page.limit();
    let page = svc.table.query(q).await?;
    let items = page
        .items
        .iter()
        .map(|i| Ok(GeofenceView::new(&i.key.sk, &from_item(i)?)))
        .collect::<Result<_, StoreError>>()?;
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}

/// Replaces a geofence's name and shape; its id, and so every policy naming it, stay.
pub async fn replace(
    svc: &Services,
    who: &Principal,
    g: &GeofenceId,
    req: GeofenceRequest,
) -> Result<GeofenceView, Error> {
    require_role(who, ADMINS, "manage geofences")?;
    req.validate()?;
    let shape = serde_json::to_value(&req.shape).map_err(|e| Error::Internal(e.to_string()))?;
    let written = svc
        .table
        .transact(vec![
            WriteOp::Update {
                key: keys::geofence(&who.tenant, g),
                update: Update::new()
                    .set(attr::NAME, req.name.as_str())
                    .set(attr::SHAPE, shape)
                    .set(attr::UPDATED_AT, svc.now()),
                cond: Some(Cond::Exists),
            },
            audit::entry(
                svc,
                who,
                "geofence.replace",
                format!("geofence/{g}"),
                Some(json!({"name": req.name})),
            ),
        ])
        .await;
    match written {
        Ok(()) => match load(svc, &who.tenant, g, true).await? {
            Some(r) => Ok(GeofenceView::new(g.as_str(), &r)),
            // Deleted between the two calls.
            None => Err(Error::NotFound("geofence")),
        },
        Err(StoreError::Precondition { .. }) => Err(Error::NotFound("geofence")),
        Err(e) => Err(e.into()),
    }
}

/// Deletes a geofence and frees its place under the cap, in one transaction; a geofence that
/// does not exist (or was just deleted) is 404 and leaves the count alone.
pub async fn delete(svc: &Services, who: &Principal, g: &GeofenceId) -> Result<(), Error> {
    require_role(who, ADMINS, "manage geofences")?;
    let t = &who.tenant;
    let written = svc
        .table
        .transact(vec![
            WriteOp::Delete {
                key: keys::geofence(t, g),
                cond: Some(Cond::Exists),
            },
            WriteOp::Update {
                key: keys::geofence_count(t),
                update: Update::new().add(COUNT, -1),
                cond: None,
            },
            audit::entry(svc, who, "geofence.delete", format!("geofence/{g}"), None),
        ])
        .await;
    match written {
        Ok(()) => Ok(()),
        Err(StoreError::Precondition { .. }) => Err(Error::NotFound("geofence")),
        Err(e) => Err(e.into()),
    }
}

/// The shapes of the named geofences of `tenant`, in the order named, each once; ids that no
/// longer exist (deleted after the policy naming them was written) are left out, so the caller
/// decides what a missing geofence means for its rule. One read per distinct id (0.5 RU each).
pub async fn load_many(
    svc: &Services,
    tenant: &TenantId,
    ids: &[GeofenceId],
) -> Result<Vec<(GeofenceId, Shape)>, Error> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids.iter().filter(|id| seen.insert(*id)) {
        if let Some(r) = load(svc, tenant, id, false).await? {
            out.push((id.clone(), r.shape));
        }
    }
    Ok(out)
}

/// Checks that every referenced geofence exists in `tenant`; `refs` pairs each id with the
/// path of the field that names it (`compliance.geofence.geofences[1]`), so the refusal,
/// `invalid_field`, points at it. Reads are consistent: a geofence created just before the
/// policy that names it must be found.
pub async fn exist(
    svc: &Services,
    tenant: &TenantId,
    refs: &[(String, GeofenceId)],
) -> Result<(), Error> {
    for (field, id) in refs {
        if load(svc, tenant, id, true).await?.is_none() {
            return Err(Error::invalid_field(
                field,
                format!("no geofence {id} in this tenant"),
            ));
        }
    }
    Ok(())
}
