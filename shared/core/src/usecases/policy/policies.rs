//! Policies: versioned documents assigned to devices, groups or the whole tenant, and the
//! effective policy each device receives. A device's effective policy is computed when one of its
//! inputs changes (never on check-in) and stored beside it with its version on the device's item,
//! so a check-in knows without a read whether the device must be sent it.
//!
//! **The document.** A policy (`POST /v1/policies` `{"name", "document"}`, admins,
//! Idempotency-Key) is a typed document with a version: 1 at creation, +1 at each update (`PUT`),
//! every version kept. Its sections: `passcode` (min_length 4–16, complexity
//! any/numeric/alphanumeric/complex, max_failed_attempts 3–20 before a wipe, auto_lock_seconds),
//! `restrictions` (camera, screen capture, USB file transfer, debugging, NFC, Bluetooth, roaming,
//! factory reset, unknown sources, clipboard to personal apps, each `…_disabled: true|false`),
//! `wifi` (≤ 20 networks: open, WPA2/WPA3 personal with a password, WPA2 enterprise naming a
//! certificate of the policy), `vpn` (IKEv2 or WireGuard with a server, or a VPN app; always-on),
//! `email` (≤ 10 Exchange, IMAP or POP accounts), `certificates` (≤ 20 root or PKCS#12, base64),
//! `apps` (an allow-list or deny-list of up to 500 app ids), `kiosk` (1–20 apps, emergency dialer
//! allowed or not), `app_config` (managed configuration, a JSON object of ≤ 4 KiB per app),
//! `compliance` (the rules, see `compliance`) and `schedules` (below). A document is at most 64
//! KiB; a bad field is `400 invalid_field` naming its path (`wifi[1].password`). A policy still
//! assigned anywhere cannot be deleted (`409 policy_in_use`).
//!
//! **Precedence**, highest first: the policy assigned to the device itself (`PUT
//! /v1/devices/{id}/policy`); then its groups' policies by descending `priority` (−1000…1000,
//! default 0; equal priorities by group id; `PUT /v1/groups/{gid}/policy`); then the tenant's
//! default (`PUT /v1/default-policy`). Each section of the document comes whole from the
//! highest-precedence policy that sets it, so a group policy's `restrictions` replace the
//! default's while the default's `passcode` still applies. `GET /v1/devices/{id}/policy` shows
//! the result, its sources (`via: device|group:<id>|tenant`), the version applied and whether it
//! is up to date.
//!
//! **Delivery.** The effective policy is recomputed when an assignment, a new version, joining or
//! leaving a group with a policy, or enrolment under a default changes it, and stored with its
//! version (a fingerprint of the merged document: equal documents, equal versions), copied onto
//! the device's small item. A check-in whose item says the device has not applied that version
//! carries `policy: {version, document}` in its reply (one extra read, only then); the device
//! reports `policy_version` in a later check-in once applied, and the policy is not sent again.
//! Only a change to one device (its own policy, its enrolment) recomputes in the request; a
//! change reaching many (a new version, a group's policy or members, the default) is handed to
//! the queue, 25 devices per step, so no API call grows with the number of devices. The
//! `apply_policy` command makes the agent check in at once.
//!
//! **History and assignments.** Every version stays readable as it was written: name, document,
//! when and by whom (`GET /v1/policies/{pid}/versions`, newest first, one query of the policy's
//! own partition; the cursor is a version number, `{version}` a whole number 1–999999; versions
//! written before names were kept show none). The same partition indexes where the policy is
//! assigned, so `GET /v1/policies/{pid}/assignments` (devices, then groups, then the tenant
//! default; cursor `device:<id>`, `group:<id>` or `tenant`) is one query a page; a group's
//! priority is copied onto its assignment when set (assignments made before that show none). Both
//! answer 404 for a deleted policy, whose items outlive it. `POST /v1/policies/{pid}/devices`
//! assigns a policy to up to 100 devices in one call: each found device gets it as its own,
//! replacing its previous one, in its own transaction with its own audit entry, exactly as `PUT
//! /v1/devices/{id}/policy` does; devices the tenant does not have come back in `not_found`.
//! Their effective policies are refreshed through the queue (a list of one is recomputed at once,
//! as the PUT is).
//!
//! **Scheduled restrictions.** A policy's `schedules` (up to 10) each hold `windows` (1–14 weekly
//! windows: days plus `HH:MM` start and end; an end not after the start runs overnight), a
//! `time_zone` (`tenant`, the default; `device`, the zone the device reports in a check-in's
//! `time_zone`, else the tenant's; or an IANA name) and `restrictions` that apply while a window
//! is open, on top of the policy's own `restrictions` (the first open schedule wins where two set
//! the same one). When the clocks spring forward, a start or end in the skipped hour takes effect
//! at the first instant after it; a time repeated when they fall back takes its first occurrence;
//! a 09:00–17:00 window opens at 09:00 local on both sides of a change (`domain::schedule`). The
//! version a device is sent names which schedules are open (`<fingerprint>w<mask>`), and its
//! small item keeps when that next changes: the first check-in after a window opens or closes
//! reads the effective policy once and receives the restrictions for now. A change therefore
//! reaches the device within one check-in interval of the window's edge (`apply_policy` or a
//! shorter interval brings it sooner). Changing the tenant's time zone (`settings`) takes effect
//! for a device at its next window edge or policy change.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::device::short_text;
use crate::domain::group::DeviceIds;
use crate::domain::job::JobTarget;
use crate::domain::policy::{PolicyDocument, parse_version};
use crate::domain::time::rfc3339;
use crate::domain::{DeviceId, DeviceState, GeofenceId, GroupId, PolicyId, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Item, Principal, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{
    DeviceRecord, DirectoryRecord, EffectivePolicyRecord, GroupRecord, PolicyRecord, PolicySource,
    PolicyUseRecord, PolicyVersionRecord, attr, from_item, to_item,
};
use crate::usecases::Page;
use crate::usecases::consumer::WorkMessage;
use crate::usecases::fleet::views::Listing;
use crate::usecases::{ADMINS, READERS, fleet::jobs, require_role, tenancy::audit};

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

/// What a check-in carries when the device's effective policy is not the one it applied.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PolicyDelivery {
    /// Report it back as `policy_version` once applied.
    pub version: String,
    pub document: PolicyDocument,
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

async fn load(
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

/// Sends a refresh for each place the policy is assigned.
async fn refresh_uses(svc: &Services, t: &TenantId, id: &PolicyId) -> Result<(), Error> {
    let mut cursor = None;
    loop {
        let mut q = Query::prefix(keys::policy_pk(t, id), keys::POLICY_USE_PREFIX);
        q.cursor = cursor;
        q.consistent = true;
        let page = svc.table.query(q).await?;
        let mut scopes = Vec::new();
        let mut devices = Vec::new();
        for item in &page.items {
            let scope = item.key.sk.trim_start_matches(keys::POLICY_USE_PREFIX);
            match scope.strip_prefix("D#").map(DeviceId::parse) {
                Some(Ok(d)) => devices.push(d),
                Some(Err(_)) => {}
                None => scopes.push(scope.to_owned()),
            }
        }
        if !devices.is_empty() {
            refresh_devices(svc, t, &devices).await?;
        }
        for scope in scopes {
            start_refresh(svc, t, &scope).await?;
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(()),
        }
    }
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

/// The work-queue payload that refreshes the effective policy of a group's members, of every
/// enrolled device or of listed devices, a step at a time from `at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshStep {
    pub tenant: TenantId,
    pub target: JobTarget,
    pub at: String,
}

impl RefreshStep {
    /// The rule beyond the types: a device list names 1 to `MAX_REFRESHED` devices.
    pub(crate) fn check(&self) -> Result<(), String> {
        match &self.target {
            JobTarget::Devices { devices } if !(1..=MAX_REFRESHED).contains(&devices.len()) => {
                Err("policy refresh with no or too many devices".into())
            }
            _ => Ok(()),
        }
    }

    fn message(t: &TenantId, target: JobTarget, at: String) -> String {
        WorkMessage::PolicyRefresh(RefreshStep {
            tenant: t.clone(),
            target,
            at,
        })
        .encode()
    }
}

/// Starts refreshing every device a policy scope covers: `G#<group>` or `TENANT`, as a
/// `keys::policy_use` key names them (device scopes are refreshed by `refresh_devices`).
async fn start_refresh(svc: &Services, t: &TenantId, scope: &str) -> Result<(), Error> {
    let target = match scope.strip_prefix("G#") {
        Some(g) => JobTarget::Group {
            group: GroupId::parse(g)?,
        },
        None if scope == "TENANT" => JobTarget::Tenant {},
        None => return Err(Error::Internal(format!("unknown policy scope {scope:?}"))),
    };
    let msg = RefreshStep::message(t, target, String::new());
    svc.wake_queue.send_batch(vec![msg]).await?;
    Ok(())
}

/// Most devices one refresh message names.
const MAX_REFRESHED: usize = 100;

/// Refreshes these devices' effective policies through the queue: an API call that changes
/// many devices' inputs (a membership call, a policy assigned to many devices) stays short.
pub(crate) async fn refresh_devices(
    svc: &Services,
    t: &TenantId,
    devices: &[DeviceId],
) -> Result<(), Error> {
    let bodies = devices
        .chunks(MAX_REFRESHED)
        .map(|chunk| {
            let target = JobTarget::Devices {
                devices: chunk.to_vec(),
            };
            RefreshStep::message(t, target, String::new())
        })
        .collect();
    svc.wake_queue.send_batch(bodies).await?;
    Ok(())
}

/// One refresh step, run by the queue consumer: recomputes a batch of devices and queues the
/// next step. Recomputing is idempotent, so a repeated step only costs its reads.
pub async fn refresh_step(
    svc: &Services,
    t: &TenantId,
    target: &JobTarget,
    at: &str,
) -> Result<(), Error> {
    let (devices, next) = jobs::batch(svc, t, target, at).await?;
    for d in &devices {
        recompute(svc, t, d).await?;
    }
    if let Some(next) = next {
        let msg = RefreshStep::message(t, target.clone(), next);
        svc.wake_queue.send_batch(vec![msg]).await?;
    }
    Ok(())
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

async fn effective_view(
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
    let tenant = crate::usecases::tenancy::tenants::load(svc, t, false)
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
    let mut cond = vec![crate::usecases::device::checkin::credential_holds(cred)];
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
