//! What a policy's own partition lists: its versions, newest first, and where it is assigned
//! (devices, groups, the tenant default). Each page is one query of that partition.

use serde::Serialize;

use super::documents::load;
use crate::domain::policy::{PolicyDocument, parse_version};
use crate::domain::time::rfc3339;
use crate::domain::{DeviceId, GroupId, PolicyId};
use crate::error::{Error, StoreError};
use crate::ports::{Item, Principal, Query};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{PolicyUseRecord, PolicyVersionRecord, from_item};
use crate::usecases::Page;
use crate::usecases::fleet::views::Listing;
use crate::usecases::{READERS, require_role};

/// One version of a policy, as it was written.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PolicyVersionView {
    pub version: i64,
    /// The policy's name at this version; absent on versions written before names were kept
    /// with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub document: PolicyDocument,
    /// When and by whom this version was written (its creation or the update that made it).
    pub created_at: String,
    pub created_by: String,
}

impl PolicyVersionView {
    fn new(version: i64, r: PolicyVersionRecord) -> Self {
        Self {
            version,
            name: r.name,
            document: r.document,
            created_at: rfc3339(r.at),
            created_by: r.by,
        }
    }
}

/// A listing of a policy's own partition, its versions or its assignments: where its items
/// are, in which order, and how its cursor (which callers pass in a query string) maps to the
/// sort keys.
struct PartitionListing<T> {
    prefix: &'static str,
    descending: bool,
    /// A cursor as callers pass it: the sort key to resume after, or 400 on `cursor`.
    resume_after: fn(&str) -> Result<String, Error>,
    /// A sort key: the cursor callers see.
    cursor_of: fn(&str) -> Result<String, StoreError>,
    view: fn(&Item) -> Result<T, StoreError>,
}

/// One page of a listing of a policy's partition, one query. The policy item is read first:
/// a deleted policy's versions and assignment items outlive it, so its partition alone cannot
/// say whether it exists.
async fn list_partition<T>(
    svc: &Services,
    who: &Principal,
    id: &PolicyId,
    listing: &PartitionListing<T>,
    page: Page,
) -> Result<Listing<T>, Error> {
    require_role(who, READERS, "read policies")?;
    let t = &who.tenant;
    if load(svc, t, id, false).await?.is_none() {
        return Err(Error::NotFound("policy"));
    }
    let mut q = Query::prefix(keys::policy_pk(t, id), listing.prefix);
    q.cursor = crate::usecases::id_cursor(page.cursor(), listing.resume_after)?;
    q.descending = listing.descending;
    q.limit = page.limit();
    let page = svc.table.query(q).await?;
    let items = page
        .items
        .iter()
        .map(listing.view)
        .collect::<Result<_, StoreError>>()?;
    Ok(Listing {
        items,
        next_cursor: page.cursor.as_deref().map(listing.cursor_of).transpose()?,
    })
}

fn version_of(sk: &str) -> Result<i64, StoreError> {
    keys::version_of_sk(sk).ok_or_else(|| StoreError::Corrupt(format!("policy version {sk}")))
}

/// A policy's versions, newest first. The cursor is a version number.
pub async fn versions(
    svc: &Services,
    who: &Principal,
    id: &PolicyId,
    page: Page,
) -> Result<Listing<PolicyVersionView>, Error> {
    let listing = PartitionListing {
        prefix: keys::POLICY_VERSION_PREFIX,
        descending: true,
        resume_after: |c| parse_version("cursor", c).map(keys::policy_version_sk),
        cursor_of: |sk| version_of(sk).map(|v| v.to_string()),
        view: |i| {
            Ok(PolicyVersionView::new(
                version_of(&i.key.sk)?,
                from_item(i)?,
            ))
        },
    };
    list_partition(svc, who, id, &listing, page).await
}

/// One version of a policy.
pub async fn version(
    svc: &Services,
    who: &Principal,
    id: &PolicyId,
    version: i64,
) -> Result<PolicyVersionView, Error> {
    require_role(who, READERS, "read policies")?;
    let t = &who.tenant;
    let Some(current) = load(svc, t, id, false).await? else {
        return Err(Error::NotFound("policy"));
    };
    // No version past the current one was ever written: no read needed to say so.
    let item = if version <= current.version {
        svc.table
            .get(&keys::policy_version(t, id, version), false)
            .await?
    } else {
        None
    };
    match item {
        Some(item) => Ok(PolicyVersionView::new(version, from_item(&item)?)),
        None => Err(Error::NotFound("policy version")),
    }
}

/// What a policy is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentTarget {
    /// A device's own policy.
    Device,
    /// A group's members.
    Group,
    /// The tenant's default.
    Tenant,
}

/// One place a policy is assigned.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AssignmentView {
    pub target: AssignmentTarget,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// A group's priority among its members' groups; absent for other targets and for group
    /// assignments made before it was kept with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// When and by whom the policy was assigned there.
    pub at: String,
    pub by: String,
}

/// Where a policy is assigned, as its assignment item's sort key names it (`USE#D#<device>`,
/// `USE#G#<group>`, `USE#TENANT`) and as the assignments listing's cursor spells it
/// (`device:<id>`, `group:<id>`, `tenant`): a `#` would have to be escaped in a query string.
#[derive(Debug, Clone, PartialEq)]
enum Scope {
    Device(DeviceId),
    Group(GroupId),
    Tenant,
}

impl Scope {
    fn from_sk(sk: &str) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("policy assignment {sk}"));
        let scope = sk
            .strip_prefix(keys::POLICY_USE_PREFIX)
            .ok_or_else(corrupt)?;
        match scope.split_once('#') {
            Some(("D", d)) => DeviceId::parse(d).map(Scope::Device),
            Some(("G", g)) => GroupId::parse(g).map(Scope::Group),
            None if scope == "TENANT" => Ok(Scope::Tenant),
            _ => return Err(corrupt()),
        }
        .map_err(|_| corrupt())
    }

    fn sk(&self) -> String {
        let scope = match self {
            Scope::Device(d) => format!("D#{d}"),
            Scope::Group(g) => format!("G#{g}"),
            Scope::Tenant => "TENANT".to_owned(),
        };
        format!("{}{scope}", keys::POLICY_USE_PREFIX)
    }

    fn from_cursor(c: &str) -> Result<Self, Error> {
        match c.split_once(':') {
            Some(("device", d)) => DeviceId::parse(d).map(Scope::Device),
            Some(("group", g)) => GroupId::parse(g).map(Scope::Group),
            None if c == "tenant" => Ok(Scope::Tenant),
            _ => Err(Error::Invalid("not a cursor".into())),
        }
    }

    fn cursor(&self) -> String {
        match self {
            Scope::Device(d) => format!("device:{d}"),
            Scope::Group(g) => format!("group:{g}"),
            Scope::Tenant => "tenant".to_owned(),
        }
    }

    fn view(self, r: PolicyUseRecord) -> AssignmentView {
        let (target, device_id, group_id) = match self {
            Scope::Device(d) => (AssignmentTarget::Device, Some(d.to_string()), None),
            Scope::Group(g) => (AssignmentTarget::Group, None, Some(g.to_string())),
            Scope::Tenant => (AssignmentTarget::Tenant, None, None),
        };
        AssignmentView {
            target,
            device_id,
            group_id,
            priority: r.priority.filter(|_| target == AssignmentTarget::Group),
            at: rfc3339(r.at),
            by: r.by,
        }
    }
}

/// Where a policy is assigned: its devices (by id), then its groups (by id), then the tenant
/// default, read from the policy's own partition with one query a page.
pub async fn assignments(
    svc: &Services,
    who: &Principal,
    id: &PolicyId,
    page: Page,
) -> Result<Listing<AssignmentView>, Error> {
    let listing = PartitionListing {
        prefix: keys::POLICY_USE_PREFIX,
        descending: false,
        resume_after: |c| Scope::from_cursor(c).map(|s| s.sk()),
        cursor_of: |sk| Scope::from_sk(sk).map(|s| s.cursor()),
        view: |i| Ok(Scope::from_sk(&i.key.sk)?.view(from_item(i)?)),
    };
    list_partition(svc, who, id, &listing, page).await
}
