//! Jobs: one command for a list of devices (1–500 ids), a group or every enrolled device of the
//! tenant. Creating a job (`POST /v1/jobs`, admins and operators, Idempotency-Key) stores it and
//! queues its first fan-out step on the wake queue; each step (a queue message) queues the
//! command for the next 25 devices (`domain::job::STEP_SIZE`), each in a transaction of its own
//! exactly as a single command is queued, moves the job's cursor on the condition that it is
//! still where the step started, then queues the wake-ups and the step after it. A repeated, late
//! or duplicated step message therefore does nothing twice, and a job of any size runs in bounded
//! steps.
//!
//! - Each of the job's commands has the job's id as its own id (ids are unique per device), so
//!   `GET /v1/devices/{id}/commands/{job id}` reads a device's copy and `…/cancel` cancels it.
//! - A group target reaches the group's members as the fan-out walks them; a tenant target
//!   reaches the devices enrolled then. Devices that cannot take the command (not enrolled, or a
//!   platform that cannot carry it) are counted as `not_queued`.
//! - The counts are written by the same transactions that move the commands (see `lifecycle`):
//!   `delivered` when a device first gets its command, then `acknowledged`, `errored`, `expired` or
//!   `cancelled`. `failed` is `not_queued + errored + expired`; the job's state goes `fanning_out`,
//!   `in_progress`, then `completed` once its fan-out is done and each queued command has ended.
//! - Installing or removing a catalogue app is a job narrowed to the app's platform (see `apps`):
//!   devices of the other platform count as `not_queued` and the job shows `platform`.
//! - Creating a job is one audit entry (`job.create`, naming the app for an app job); each
//!   command keeps its own history. Jobs are listed newest first.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::directory::{DIRECTORY_SHARDS, DirectoryCursor};
use crate::domain::job::{JobProgress, JobState, JobTarget, STEP_SIZE};
use crate::domain::time::ms_from_secs;
use crate::domain::time::rfc3339;
use crate::domain::{
    CatalogueId, CommandId, CommandSpec, DeviceId, DeviceState, GroupId, JobId, Platform, TenantId,
};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Principal, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{
    CommandRecord, DirectoryRecord, JobEntryRecord, JobRecord, attr, from_item, to_item,
};
use crate::usecases::Page;
use crate::usecases::consumer::WorkMessage;
use crate::usecases::fleet::commands::{command_ttl, queue_writes, send_wakes};
use crate::usecases::fleet::views::Listing;
use crate::usecases::{COMMANDERS, READERS, fleet::lifecycle, require_role, tenancy::audit};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateJobRequest {
    pub command: CommandSpec,
    pub target: JobTarget,
    /// How long each of the job's commands may wait for its device before it expires.
    #[serde(default)]
    #[schemars(range(min = 60, max = 2_592_000))]
    pub ttl_seconds: Option<i64>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct JobView {
    pub id: String,
    pub command: CommandSpec,
    pub target: JobTarget,
    pub state: JobState,
    pub progress: JobProgress,
    /// not_queued + errored + expired.
    pub failed: i64,
    pub created_at: String,
    pub created_by: String,
    /// When the job's commands expire.
    pub deadline: String,
    /// Only devices of this platform get the command (set for an app of the catalogue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

impl JobView {
    fn new(r: &JobRecord) -> Self {
        Self {
            id: r.id.clone(),
            command: r.spec.clone(),
            target: r.target.clone(),
            state: JobState::of(r.fanned_out, &r.progress),
            progress: r.progress,
            failed: r.progress.failed(),
            created_at: rfc3339(r.created_at),
            created_by: r.created_by.clone(),
            deadline: rfc3339(r.deadline),
            platform: r.platform,
        }
    }
}

/// The work-queue payload of one fan-out step: the job and the cursor the step starts at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobStep {
    pub tenant: TenantId,
    pub job: JobId,
    pub at: String,
}

pub async fn create(
    svc: &Services,
    who: &Principal,
    req: CreateJobRequest,
) -> Result<JobView, Error> {
    create_scoped(svc, who, req, None).await
}

/// What narrows a job to one platform, and the catalogue app it installs or removes (named in
/// the job's audit entry).
pub(crate) struct AppScope<'a> {
    pub platform: Platform,
    pub app: &'a CatalogueId,
}

/// Creates a job; with a scope, devices of another platform are counted as not queued.
pub(crate) async fn create_scoped(
    svc: &Services,
    who: &Principal,
    req: CreateJobRequest,
    scope: Option<AppScope<'_>>,
) -> Result<JobView, Error> {
    require_role(who, COMMANDERS, "queue commands")?;
    req.command.validate()?;
    req.target.validate()?;
    let ttl = command_ttl(svc, req.ttl_seconds)?;
    let t = &who.tenant;
    if let JobTarget::Group { group } = &req.target
        && svc
            .table
            .get(&keys::group(t, group), false)
            .await?
            .is_none()
    {
        return Err(Error::NotFound("group"));
    }
    let now = svc.now();
    let id = JobId::from_generated(svc.ids.id(now));
    let record = JobRecord {
        id: id.to_string(),
        spec: req.command.clone(),
        target: req.target.clone(),
        created_at: now,
        created_by: who.subject.clone(),
        deadline: now + ms_from_secs(ttl),
        cursor: String::new(),
        prev: None,
        fanned_out: false,
        platform: scope.as_ref().map(|s| s.platform),
        progress: JobProgress::default(),
    };
    let mut detail = json!({"type": req.command.kind(), "target": req.target.kind()});
    if let JobTarget::Group { group } = &req.target {
        detail["group"] = json!(group);
    }
    if let Some(scope) = &scope {
        detail["platform"] = json!(scope.platform);
        detail["app"] = json!(scope.app);
    }
    svc.table
        .transact(vec![
            WriteOp::Put {
                item: to_item(keys::job(t, &id), &record),
                cond: Some(Cond::NotExists),
            },
            WriteOp::Put {
                item: to_item(keys::job_entry(t, &id), &JobEntryRecord { created_at: now }),
                cond: None,
            },
            audit::entry(svc, who, "job.create", format!("job/{id}"), Some(detail)),
        ])
        .await?;
    let first = WorkMessage::JobStep(JobStep {
        tenant: t.clone(),
        job: id.clone(),
        at: String::new(),
    });
    if let Err(e) = svc.wake_queue.send_batch(vec![first.encode()]).await {
        // Without its first step the job would never start: take it back rather than leave
        // it stalled, and let the caller retry.
        let undo = svc
            .table
            .transact(vec![
                WriteOp::Delete {
                    key: keys::job(t, &id),
                    cond: None,
                },
                WriteOp::Delete {
                    key: keys::job_entry(t, &id),
                    cond: None,
                },
            ])
            .await;
        if let Err(undo) = undo {
            tracing::error!(error = %undo, job = %id, "a job whose first step could not be queued could not be removed either");
        }
        return Err(e.into());
    }
    Ok(JobView::new(&record))
}

async fn load(
    svc: &Services,
    t: &TenantId,
    j: &JobId,
    consistent: bool,
) -> Result<Option<JobRecord>, Error> {
    match svc.table.get(&keys::job(t, j), consistent).await? {
        Some(item) => Ok(Some(from_item(&item)?)),
        None => Ok(None),
    }
}

pub async fn get(svc: &Services, who: &Principal, j: &JobId) -> Result<JobView, Error> {
    require_role(who, READERS, "read jobs")?;
    match load(svc, &who.tenant, j, false).await? {
        Some(r) => Ok(JobView::new(&r)),
        None => Err(Error::NotFound("job")),
    }
}

/// The tenant's jobs, newest first, each with its progress (one read per job listed).
pub async fn list(svc: &Services, who: &Principal, page: Page) -> Result<Listing<JobView>, Error> {
    require_role(who, READERS, "read jobs")?;
    let mut q = Query::prefix(keys::jobs_pk(&who.tenant), "");
    q.descending = true;
    q.cursor = crate::usecases::id_cursor(page.cursor(), JobId::parse)?;
    q.limit = page.limit();
    let page = svc.table.query(q).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let Ok(j) = JobId::parse(&item.key.sk) else {
            continue;
        };
        if let Some(r) = load(svc, &who.tenant, &j, false).await? {
            items.push(JobView::new(&r));
        }
    }
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}

/// One fan-out step, run by the queue consumer. Safe to run twice and out of order: a step
/// runs only while the job's cursor is where it starts, and a repeat of the step just done
/// re-sends what follows it.
pub async fn step(svc: &Services, t: &TenantId, j: &JobId, at: &str) -> Result<(), Error> {
    let Some(job) = load(svc, t, j, true).await? else {
        return Ok(());
    };
    if job.prev.as_deref() == Some(at) {
        // This step committed before; what it sends afterwards may have been lost.
        let (devices, _) = batch(svc, t, &job.target, at).await?;
        let commands: Vec<_> = devices.into_iter().map(|d| (d, j.command_id())).collect();
        send_wakes(svc, t, &commands).await;
        return follow(svc, t, &job).await;
    }
    if job.fanned_out || job.cursor != at {
        return Ok(());
    }
    let (devices, next) = batch(svc, t, &job.target, at).await?;
    let mut queued = Vec::new();
    let mut not_queued = 0;
    for device in &devices {
        if queue_one(svc, t, &job, device).await? {
            queued.push((device.clone(), j.command_id()));
        } else {
            not_queued += 1;
        }
    }
    let mut update = Update::new()
        .set(attr::PREV, at)
        .add(attr::TARGETED, devices.len() as i64)
        .add(attr::QUEUED, queued.len() as i64)
        .add(attr::NOT_QUEUED, not_queued);
    update = match &next {
        Some(next) => update.set(attr::CURSOR, next.as_str()),
        None => update.set(attr::FANNED_OUT, true),
    };
    let moved = svc
        .table
        .update(
            &keys::job(t, j),
            update,
            Some(Cond::And(vec![
                Cond::eq(attr::CURSOR, at),
                Cond::Ne("fanned_out".into(), true.into()),
            ])),
        )
        .await;
    let after = match moved {
        Ok(item) => from_item::<JobRecord>(&item)?,
        // Another delivery of this message ran the step first and sends what follows.
        Err(StoreError::Precondition { .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    send_wakes(svc, t, &queued).await;
    follow(svc, t, &after).await
}

/// Queues the job's next step, if the fan-out is not finished.
async fn follow(svc: &Services, t: &TenantId, job: &JobRecord) -> Result<(), Error> {
    if job.fanned_out {
        return Ok(());
    }
    let next = WorkMessage::JobStep(JobStep {
        tenant: t.clone(),
        job: JobId::parse(&job.id)?,
        at: job.cursor.clone(),
    });
    svc.wake_queue.send_batch(vec![next.encode()]).await?;
    Ok(())
}

/// Queues the job's command for one device; false when the device cannot take it (not
/// enrolled, or of a platform that cannot carry it). A command this job already queued there
/// (an earlier run of the same step that did not commit its cursor) counts as queued.
async fn queue_one(
    svc: &Services,
    t: &TenantId,
    job: &JobRecord,
    device: &DeviceId,
) -> Result<bool, Error> {
    let now = svc.now();
    let id = CommandId::parse(&job.id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let record = CommandRecord::queued(
        job.id.clone(),
        job.spec.clone(),
        &job.created_by,
        now,
        job.deadline,
        Some(&job.id),
    );
    let mut ops = queue_writes(t, device, &record, job.platform);
    ops.push(WriteOp::Check {
        key: keys::closed_command(t, device, &id),
        cond: Cond::NotExists,
    });
    match svc.table.transact(ops).await {
        Ok(()) => Ok(true),
        Err(StoreError::Precondition { index: Some(1 | 2) }) => Ok(true),
        Err(StoreError::Precondition { .. }) => {
            // Refused by the device's state; unless this job's command got there first (and
            // the device was unenrolled since), in which case it was queued.
            Ok(lifecycle::load(svc, t, device, &id).await?.is_some())
        }
        Err(e) => Err(e.into()),
    }
}

/// The devices of one step starting at `at`, and where the step after it starts (None: this
/// is the last). A tenant-wide job reaches enrolled devices only; a listed or group target
/// reaches every device it names (those not enrolled are counted as not queued).
pub(crate) async fn batch(
    svc: &Services,
    t: &TenantId,
    target: &JobTarget,
    at: &str,
) -> Result<(Vec<DeviceId>, Option<String>), Error> {
    let corrupt = || StoreError::Corrupt(format!("job cursor {at:?}"));
    match target {
        JobTarget::Devices { devices } => {
            let from: usize = if at.is_empty() {
                0
            } else {
                at.parse().map_err(|_| corrupt())?
            };
            let to = (from + STEP_SIZE).min(devices.len());
            let next = (to < devices.len()).then(|| to.to_string());
            Ok((devices.get(from..to).unwrap_or_default().to_vec(), next))
        }
        JobTarget::Group { group } => group_batch(svc, t, group, at).await,
        JobTarget::Tenant {} => {
            let cursor = if at.is_empty() {
                DirectoryCursor {
                    shard: 0,
                    after: None,
                }
            } else {
                DirectoryCursor::decode(at).map_err(|_| corrupt())?
            };
            let mut q = Query::prefix(keys::directory_pk(t, cursor.shard), "");
            q.cursor = cursor.after.as_ref().map(DeviceId::to_string);
            q.limit = STEP_SIZE;
            let page = svc.table.query(q).await?;
            let mut devices = Vec::new();
            let mut last = None;
            for item in &page.items {
                let id = DeviceId::parse(&item.key.sk).map_err(|_| corrupt())?;
                let entry: DirectoryRecord = from_item(item)?;
                if entry.state == DeviceState::Enrolled {
                    devices.push(id.clone());
                }
                last = Some(id);
            }
            let next = match (page.cursor, last) {
                (Some(_), Some(after)) => Some(DirectoryCursor {
                    shard: cursor.shard,
                    after: Some(after),
                }),
                _ if cursor.shard + 1 < DIRECTORY_SHARDS => Some(DirectoryCursor {
                    shard: cursor.shard + 1,
                    after: None,
                }),
                _ => None,
            };
            Ok((devices, next.map(|c| c.encode())))
        }
    }
}

async fn group_batch(
    svc: &Services,
    t: &TenantId,
    group: &GroupId,
    at: &str,
) -> Result<(Vec<DeviceId>, Option<String>), Error> {
    let mut q = Query::prefix(keys::members_pk(t, group), "");
    q.cursor = (!at.is_empty()).then(|| at.to_owned());
    q.limit = STEP_SIZE;
    let page = svc.table.query(q).await?;
    let devices = page
        .items
        .iter()
        .map(|i| {
            DeviceId::parse(&i.key.sk)
                .map_err(|_| StoreError::Corrupt(format!("member key {}", i.key.sk)).into())
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let next = match (&page.cursor, devices.last()) {
        (Some(_), Some(last)) => Some(last.to_string()),
        _ => None,
    };
    Ok((devices, next))
}
