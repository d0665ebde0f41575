//! The app catalogue: the apps a tenant manages, each once per platform (an Android package and
//! an iOS bundle with the same id are two apps), installed on or removed from devices through
//! jobs, and (when required) queued for every new device of its platform at enrolment. `{cid}` in
//! the routes is the catalogue's own id, not the package id.
//!
//! An app is `{app_id, platform: android|ios, name, version?, store_id?, url? (https only),
//! required? (default false)}` (`POST /v1/apps`, admins, Idempotency-Key). Creating it writes, in
//! one transaction with its `app.create` audit entry, a uniqueness item keyed by platform and app
//! id under the condition that it does not exist, so a duplicate is refused as `409 app_exists`
//! without a read. An update (`app.update`) never changes the app id or platform; a delete
//! (`app.delete`) removes the uniqueness item with the app, and devices keep the app (send a
//! removal first).
//!
//! Installing or removing an app (`POST /v1/apps/{cid}/install`, `…/remove`, with a job's
//! `target` and `ttl_seconds`) is a job (see `jobs`) narrowed to the app's platform: devices of
//! the other platform are counted `not_queued`, the job shows `platform`, and its `job.create`
//! audit entry names the app. The command (`install_app {app_id, version?, url?}` or `remove_app
//! {app_id}`) is built from the catalogue entry at that moment, so later changes to the entry do
//! not alter queued commands.
//!
//! **Required apps.** An app with `required: true` is installed on every device of its platform
//! as it enrols: after the enrolment's transaction, one query reads the platform's required
//! markers (at most `MAX_REQUIRED_APPS`, 98: the most one transaction can queue beside the
//! device's pending count and its audit entry; marking a 99th is refused as `400 invalid_field`
//! on `required`) and queues one `install_app` per app, queued by `system`, in one transaction
//! with one `app.install_required` audit entry naming them. As with the default policy this is
//! best effort: a failure is logged and the device stays enrolled. Devices enrolled earlier are
//! not touched when an app becomes required; install it on them with a job.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::command::app_identifier;
use crate::domain::device::short_text;
use crate::domain::job::JobTarget;
use crate::domain::time::rfc3339;
use crate::domain::{CatalogueId, CommandId, CommandSpec, DeviceId, Platform, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Principal, Query, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{AppKeyRecord, AppRecord, from_item, to_item};
use crate::usecases::Page;
use crate::usecases::fleet::commands::{new_record, queue_many_writes, send_wakes};
use crate::usecases::fleet::jobs::{self, AppScope, CreateJobRequest, JobView};
use crate::usecases::fleet::views::Listing;
use crate::usecases::tenancy::audit::{self, SYSTEM_ACTOR};
use crate::usecases::{ADMINS, READERS, require_role};

/// The most apps of one platform that may be required: an enrolment queues them all in one
/// transaction, beside the device's pending count and its audit entry (100 writes at most).
pub const MAX_REQUIRED_APPS: usize = 98;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAppRequest {
    /// The Android package name or the iOS bundle id, such as com.example.app.
    #[schemars(length(max = 255), regex(pattern = crate::domain::command::APP_ID))]
    pub app_id: String,
    pub platform: Platform,
    /// 1 to 100 printable characters.
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
    /// The version to install; the store's current one when absent.
    #[serde(default)]
    #[schemars(length(min = 1, max = 50), regex(pattern = crate::domain::command::LINE_TEXT))]
    pub version: Option<String>,
    /// The app's id in its store (Play Store package or App Store numeric id), up to 100
    /// characters.
    #[serde(default)]
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub store_id: Option<String>,
    /// Where a device downloads the app from, for an app outside the stores (https only).
    #[serde(default)]
    #[schemars(length(max = 2048), regex(pattern = crate::domain::command::HTTPS_URL))]
    pub url: Option<String>,
    /// Installed on every new device of its platform at enrolment.
    #[serde(default)]
    pub required: bool,
}

/// What an update may change: everything but the app's identity (its id and platform).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAppRequest {
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
    #[serde(default)]
    #[schemars(length(min = 1, max = 50), regex(pattern = crate::domain::command::LINE_TEXT))]
    pub version: Option<String>,
    #[serde(default)]
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub store_id: Option<String>,
    #[serde(default)]
    #[schemars(length(max = 2048), regex(pattern = crate::domain::command::HTTPS_URL))]
    pub url: Option<String>,
    #[serde(default)]
    pub required: bool,
}

/// Installs or removes a catalogue app on a list of devices, a group or the whole tenant.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppJobRequest {
    pub target: JobTarget,
    /// How long each command may wait for its device before it expires.
    #[serde(default)]
    #[schemars(range(min = 60, max = 2_592_000))]
    pub ttl_seconds: Option<i64>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AppView {
    /// The catalogue entry's id (not the package id).
    pub id: String,
    pub app_id: String,
    pub platform: Platform,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub required: bool,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
}

impl AppView {
    fn new(id: &str, r: &AppRecord) -> Self {
        Self {
            id: id.to_owned(),
            app_id: r.app_id.clone(),
            platform: r.platform,
            name: r.name.clone(),
            version: r.version.clone(),
            store_id: r.store_id.clone(),
            url: r.url.clone(),
            required: r.required,
            created_at: rfc3339(r.created_at),
            created_by: r.created_by.clone(),
            updated_at: rfc3339(r.updated_at),
            updated_by: r.updated_by.clone(),
        }
    }
}

impl AppRecord {
    /// The command that installs this app, as the catalogue describes it.
    fn install(&self) -> CommandSpec {
        CommandSpec::InstallApp {
            app_id: self.app_id.clone(),
            version: self.version.clone(),
            url: self.url.clone(),
        }
    }
}

fn validate(
    name: &str,
    version: Option<&String>,
    store_id: Option<&String>,
    url: Option<&String>,
) -> Result<(), Error> {
    short_text("name", name, 100)?;
    if let Some(s) = store_id {
        short_text("store_id", s, 100)?;
    }
    // The install command checks version and url exactly as a command sent by hand would be.
    CommandSpec::InstallApp {
        app_id: "com.example.app".into(),
        version: version.cloned(),
        url: url.cloned(),
    }
    .validate()
}

/// A required app may be added only while its platform has room (checked before the write, so
/// two concurrent writes may pass it; an enrolment then installs the first ones it reads).
async fn room_for_required(svc: &Services, t: &TenantId, platform: Platform) -> Result<(), Error> {
    let mut q = Query::prefix(keys::apps_pk(t), keys::required_apps_prefix(platform));
    q.limit = MAX_REQUIRED_APPS;
    q.consistent = true;
    if svc.table.query(q).await?.items.len() >= MAX_REQUIRED_APPS {
        return Err(Error::invalid_field(
            "required",
            format!("at most {MAX_REQUIRED_APPS} apps of a platform may be required"),
        ));
    }
    Ok(())
}

/// The write that keeps an app's required marker in step with its record.
fn required_op(t: &TenantId, id: &CatalogueId, r: &AppRecord) -> WriteOp {
    let key = keys::required_app(t, r.platform, id);
    if r.required {
        WriteOp::Put {
            item: to_item(key, r),
            cond: None,
        }
    } else {
        WriteOp::Delete { key, cond: None }
    }
}

pub async fn create(
    svc: &Services,
    who: &Principal,
    req: CreateAppRequest,
) -> Result<AppView, Error> {
    require_role(who, ADMINS, "manage the app catalogue")?;
    app_identifier("app_id", &req.app_id)?;
    validate(
        &req.name,
        req.version.as_ref(),
        req.store_id.as_ref(),
        req.url.as_ref(),
    )?;
    let t = &who.tenant;
    if req.required {
        room_for_required(svc, t, req.platform).await?;
    }
    let now = svc.now();
    let id = CatalogueId::from_generated(svc.ids.id(now));
    let record = AppRecord {
        platform: req.platform,
        app_id: req.app_id.clone(),
        name: req.name.clone(),
        version: req.version,
        store_id: req.store_id,
        url: req.url,
        required: req.required,
        created_at: now,
        created_by: who.subject.clone(),
        updated_at: now,
        updated_by: who.subject.clone(),
    };
    let mut ops = vec![
        WriteOp::Put {
            item: to_item(keys::app(t, &id), &record),
            cond: Some(Cond::NotExists),
        },
        WriteOp::Put {
            item: to_item(
                keys::app_key(t, record.platform, &record.app_id),
                &AppKeyRecord { id: id.to_string() },
            ),
            cond: Some(Cond::NotExists),
        },
        audit::entry(
            svc,
            who,
            "app.create",
            format!("app/{id}"),
            Some(
                json!({"app_id": record.app_id, "platform": record.platform, "required": record.required}),
            ),
        ),
    ];
    if record.required {
        ops.push(required_op(t, &id, &record));
    }
    match svc.table.transact(ops).await {
        Ok(()) => Ok(AppView::new(id.as_str(), &record)),
        Err(StoreError::Precondition { index: Some(1) }) => Err(Error::AppExists {
            platform: record.platform.as_str(),
            app_id: record.app_id,
        }),
        Err(e) => Err(e.into()),
    }
}

async fn load(
    svc: &Services,
    t: &TenantId,
    id: &CatalogueId,
    consistent: bool,
) -> Result<AppRecord, Error> {
    match svc.table.get(&keys::app(t, id), consistent).await? {
        Some(item) => Ok(from_item(&item)?),
        None => Err(Error::NotFound("app")),
    }
}

pub async fn get(svc: &Services, who: &Principal, id: &CatalogueId) -> Result<AppView, Error> {
    require_role(who, READERS, "read the app catalogue")?;
    Ok(AppView::new(
        id.as_str(),
        &load(svc, &who.tenant, id, false).await?,
    ))
}

/// The catalogue in id order (oldest first), optionally only one platform's apps. The
/// catalogue is one partition of a few hundred items at most, so a platform's page is read
/// from it and filtered, a few pages at most per call.
pub async fn list(
    svc: &Services,
    who: &Principal,
    platform: Option<Platform>,
    page: Page,
) -> Result<Listing<AppView>, Error> {
    require_role(who, READERS, "read the app catalogue")?;
    let limit = page.limit();
    let mut after = page
        .cursor()
        .map(|c| {
            CatalogueId::parse(c)
                .map(|id| format!("{}{id}", keys::APP_PREFIX))
                .map_err(|_| Error::invalid_field("cursor", "not a cursor this listing returned"))
        })
        .transpose()?;
    let mut items = Vec::new();
    let id_of = |sk: &str| sk.trim_start_matches(keys::APP_PREFIX).to_owned();
    // A page is returned with a cursor only once a match beyond it was seen, so the last page
    // says it is the last. A bounded number of reads per call: a sparse platform's page may
    // come back short, with a cursor.
    for _ in 0..5 {
        let mut q = Query::prefix(keys::apps_pk(&who.tenant), keys::APP_PREFIX);
        q.cursor = after.clone();
        q.limit = limit + 1;
        let page = svc.table.query(q).await?;
        for item in &page.items {
            let r: AppRecord = from_item(item)?;
            if platform.is_none_or(|p| p == r.platform) {
                if items.len() == limit {
                    return Ok(Listing {
                        items,
                        next_cursor: after.as_deref().map(id_of),
                    });
                }
                items.push(AppView::new(&id_of(&item.key.sk), &r));
            }
            after = Some(item.key.sk.clone());
        }
        if page.cursor.is_none() {
            return Ok(Listing {
                items,
                next_cursor: None,
            });
        }
    }
    Ok(Listing {
        items,
        next_cursor: after.as_deref().map(id_of),
    })
}

pub async fn update(
    svc: &Services,
    who: &Principal,
    id: &CatalogueId,
    req: UpdateAppRequest,
) -> Result<AppView, Error> {
    require_role(who, ADMINS, "manage the app catalogue")?;
    validate(
        &req.name,
        req.version.as_ref(),
        req.store_id.as_ref(),
        req.url.as_ref(),
    )?;
    let t = &who.tenant;
    let current = load(svc, t, id, true).await?;
    if req.required && !current.required {
        room_for_required(svc, t, current.platform).await?;
    }
    let next = AppRecord {
        name: req.name,
        version: req.version,
        store_id: req.store_id,
        url: req.url,
        required: req.required,
        updated_at: svc.now(),
        updated_by: who.subject.clone(),
        ..current
    };
    let written = svc
        .table
        .transact(vec![
            WriteOp::Put {
                item: to_item(keys::app(t, id), &next),
                cond: Some(Cond::Exists),
            },
            required_op(t, id, &next),
            audit::entry(
                svc,
                who,
                "app.update",
                format!("app/{id}"),
                Some(json!({"app_id": next.app_id, "platform": next.platform, "version": next.version, "required": next.required})),
            ),
        ])
        .await;
    match written {
        Ok(()) => Ok(AppView::new(id.as_str(), &next)),
        Err(StoreError::Precondition { index: Some(0) }) => Err(Error::NotFound("app")),
        Err(e) => Err(e.into()),
    }
}

/// Deletes the entry, its uniqueness item and its required marker; devices keep the app.
pub async fn delete(svc: &Services, who: &Principal, id: &CatalogueId) -> Result<(), Error> {
    require_role(who, ADMINS, "manage the app catalogue")?;
    let t = &who.tenant;
    let current = load(svc, t, id, true).await?;
    let written = svc
        .table
        .transact(vec![
            WriteOp::Delete {
                key: keys::app(t, id),
                cond: Some(Cond::Exists),
            },
            WriteOp::Delete {
                key: keys::app_key(t, current.platform, &current.app_id),
                cond: None,
            },
            WriteOp::Delete {
                key: keys::required_app(t, current.platform, id),
                cond: None,
            },
            audit::entry(
                svc,
                who,
                "app.delete",
                format!("app/{id}"),
                Some(json!({"app_id": current.app_id, "platform": current.platform})),
            ),
        ])
        .await;
    match written {
        Ok(()) => Ok(()),
        Err(StoreError::Precondition { index: Some(0) }) => Err(Error::NotFound("app")),
        Err(e) => Err(e.into()),
    }
}

/// Installs the app on the target's devices of its platform, through a job.
pub async fn install(
    svc: &Services,
    who: &Principal,
    id: &CatalogueId,
    req: AppJobRequest,
) -> Result<JobView, Error> {
    app_job(svc, who, id, req, AppRecord::install).await
}

/// Removes the app from the target's devices of its platform, through a job.
pub async fn remove(
    svc: &Services,
    who: &Principal,
    id: &CatalogueId,
    req: AppJobRequest,
) -> Result<JobView, Error> {
    app_job(svc, who, id, req, |r| CommandSpec::RemoveApp {
        app_id: r.app_id.clone(),
    })
    .await
}

async fn app_job(
    svc: &Services,
    who: &Principal,
    id: &CatalogueId,
    req: AppJobRequest,
    command: impl Fn(&AppRecord) -> CommandSpec,
) -> Result<JobView, Error> {
    // The role first, so a reader learns nothing of the catalogue from this route.
    require_role(who, crate::usecases::COMMANDERS, "queue commands")?;
    let app = load(svc, &who.tenant, id, false).await?;
    jobs::create_scoped(
        svc,
        who,
        CreateJobRequest {
            command: command(&app),
            target: req.target,
            ttl_seconds: req.ttl_seconds,
        },
        Some(AppScope {
            platform: app.platform,
            app: id,
        }),
    )
    .await
}

/// Queues an install of each required app of the device's platform for a device just
/// enrolled, in one transaction with its audit entry, and wakes the device.
pub(crate) async fn install_required(
    svc: &Services,
    t: &TenantId,
    device: &DeviceId,
    platform: Platform,
) -> Result<(), Error> {
    let mut q = Query::prefix(keys::apps_pk(t), keys::required_apps_prefix(platform));
    q.limit = MAX_REQUIRED_APPS;
    let page = svc.table.query(q).await?;
    if page.items.is_empty() {
        return Ok(());
    }
    if page.cursor.is_some() {
        tracing::warn!(%device, max = MAX_REQUIRED_APPS, "more required apps than an enrolment installs; the first ones are queued");
    }
    let mut records = Vec::with_capacity(page.items.len());
    let mut apps = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let app: AppRecord = from_item(item)?;
        let catalogue_id = item
            .key
            .sk
            .trim_start_matches(&keys::required_apps_prefix(platform))
            .to_owned();
        let ttl = svc.settings.default_command_ttl_secs;
        let mut record = new_record(svc, SYSTEM_ACTOR, app.install(), ttl);
        record.history[0].detail = Some(format!("required app {catalogue_id}"));
        apps.push(json!({"app": catalogue_id, "app_id": app.app_id, "command": record.id}));
        records.push(record);
    }
    let mut ops = queue_many_writes(t, device, &records, Some(platform));
    ops.push(audit::entry_by(
        svc,
        t,
        SYSTEM_ACTOR,
        SYSTEM_ACTOR,
        "app.install_required",
        format!("device/{device}"),
        Some(json!({ "apps": apps })),
    ));
    svc.table.transact(ops).await?;
    let queued: Vec<_> = records
        .iter()
        .map(|r| (device.clone(), CommandId::from_generated(r.id.clone())))
        .collect();
    send_wakes(svc, t, &queued).await;
    Ok(())
}
