//! Removal of a deleted tenant's data, in small batches through the queue, so no request is large
//! and a crash only repeats one page. The wake queue's one consumer tells its message kinds apart
//! (`wake::Message::decode`: wake-ups, job steps, policy refreshes and purge batches have
//! disjoint field names and refuse unknown fields). Each batch removes one page and sends the
//! message for the next:
//!
//! - up to 10 devices of one directory shard: their commands, inventory, effective policy,
//!   compliance state, lookup and owner entries, Apple enrolment and escrowed Apple secrets, then
//!   the directory entry last, so a retried batch finds what is left;
//! - enrollment tokens, 100 at a time; the Apple SCEP challenges, with the enrolment records of
//!   identities issued to devices that never completed their enrolment;
//! - groups (each with its members), jobs (each with its counters) and policies (each with its
//!   versions and assignments), 10 at a time;
//! - the app catalogue and the geofences, 100 items at a time; the webhook endpoints, each with
//!   its signing secret and its delivery records;
//! - audit entries, 100 at a time: the admin partition, then each of the 16 transition shards;
//!   then the 16 alert shards;
//! - last, the push settings with what they name elsewhere (a tenant's SNS platform applications
//!   with their endpoints, the credentials in the secret store, deleted without a recovery window
//!   on Secrets Manager, a pending certificate expiry warning), the profile-signing identity and
//!   the Apple CA with their secrets, the default policy and the geofence count.
//!
//! The tenant item ends as a tombstone with only `status: deleted` (the platform's list says
//! `deleted` too), so its id is never served, resumed or registered again. Idempotency records
//! are not enumerable without a scan and expire by their 24 h TTL. Every delete is unconditional
//! and a page already removed reads back empty, so a batch is safe to run twice.

use serde::{Deserialize, Serialize};

use crate::usecases::consumer::WorkMessage;

use crate::domain::directory::{DIRECTORY_SHARDS, Identifier};
use crate::domain::{DeviceId, GroupId, JobId, PolicyId, TenantId, TenantStatus, WebhookId};
use crate::error::Error;
use crate::ports::{Cond, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{DirectoryRecord, InventoryRecord, attr, from_item};
use crate::usecases::integrations::webhooks::WebhookRecord;
use crate::usecases::tenancy::push_config::PushConfigRecord;

/// Devices removed by one message (each is a handful of deletes).
pub const DEVICES_PER_BATCH: usize = 10;
/// Tokens or audit entries removed by one message.
const ITEMS_PER_BATCH: usize = 100;
/// Groups, jobs or policies removed by one message (each with a partition of its own).
const OWNERS_PER_BATCH: usize = 10;

/// What is being removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The devices of directory shard `shard`, with their commands, inventory and index entries.
    Devices,
    Tokens,
    /// The SCEP challenges of Apple enrolment profiles, with the enrolment records of
    /// identities issued for devices that never completed their enrolment.
    AppleChallenges,
    /// Groups, each with its member partition.
    Groups,
    /// Jobs, each with its counters item.
    Jobs,
    /// Policies, each with its versions and assignments.
    Policies,
    /// The app catalogue: its apps, uniqueness items and required markers, in one partition.
    Apps,
    /// The geofences, in one partition (their counter goes with the tenant's settings).
    Geofences,
    /// Webhook endpoints, each with its signing secret and its delivery records.
    Webhooks,
    /// The admin actions' audit entries.
    Audit,
    /// The command transitions' audit entries of shard `shard`.
    CommandAudit,
    /// The alerts of shard `shard`.
    Alerts,
    /// The push settings with what they name elsewhere (the provider's resources, the
    /// credentials in the secret store, a pending certificate expiry warning), then the
    /// tombstone.
    Finish,
}

/// The work-queue payload of one purge batch: the tenant being deleted and where to go on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurgeMessage {
    /// The tenant being deleted.
    pub tenant: TenantId,
    pub stage: Stage,
    #[serde(default)]
    pub shard: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl PurgeMessage {
    pub fn first(tenant: &TenantId) -> Self {
        Self {
            tenant: tenant.clone(),
            stage: Stage::Devices,
            shard: 0,
            cursor: None,
        }
    }

    /// The rule beyond the types: only the sharded stages have a shard, below the shard count.
    pub(crate) fn check(&self) -> Result<(), String> {
        let sharded = matches!(
            self.stage,
            Stage::Devices | Stage::CommandAudit | Stage::Alerts
        );
        if self.shard >= DIRECTORY_SHARDS || (!sharded && self.shard != 0) {
            return Err("purge message with an invalid shard".into());
        }
        Ok(())
    }

    /// The message after this one, given where this page ended; None when all is removed.
    fn next(&self, cursor: Option<String>) -> Option<Self> {
        let at = |stage, shard| {
            Some(Self {
                tenant: self.tenant.clone(),
                stage,
                shard,
                cursor: None,
            })
        };
        if cursor.is_some() {
            return Some(Self {
                cursor,
                ..self.clone()
            });
        }
        match self.stage {
            Stage::Devices if self.shard + 1 < DIRECTORY_SHARDS => {
                at(Stage::Devices, self.shard + 1)
            }
            Stage::Devices => at(Stage::Tokens, 0),
            Stage::Tokens => at(Stage::AppleChallenges, 0),
            Stage::AppleChallenges => at(Stage::Groups, 0),
            Stage::Groups => at(Stage::Jobs, 0),
            Stage::Jobs => at(Stage::Policies, 0),
            Stage::Policies => at(Stage::Apps, 0),
            Stage::Apps => at(Stage::Geofences, 0),
            Stage::Geofences => at(Stage::Webhooks, 0),
            Stage::Webhooks => at(Stage::Audit, 0),
            Stage::Audit => at(Stage::CommandAudit, 0),
            Stage::CommandAudit if self.shard + 1 < DIRECTORY_SHARDS => {
                at(Stage::CommandAudit, self.shard + 1)
            }
            Stage::CommandAudit => at(Stage::Alerts, 0),
            Stage::Alerts if self.shard + 1 < DIRECTORY_SHARDS => at(Stage::Alerts, self.shard + 1),
            Stage::Alerts => at(Stage::Finish, 0),
            Stage::Finish => None,
        }
    }
}

/// Removes one batch and queues the next. Safe to run twice: every delete is unconditional
/// and a page already removed reads back empty.
pub async fn step(svc: &Services, msg: &PurgeMessage) -> Result<(), Error> {
    let tenant = &msg.tenant;
    // Only a tenant marked for deletion is ever purged, whatever a message says.
    let Some(record) = crate::usecases::tenancy::tenant_record::load(svc, tenant, true).await?
    else {
        return Ok(());
    };
    if record.status != Some(TenantStatus::Deleting) {
        return Ok(());
    }
    let cursor = match msg.stage {
        Stage::Devices => devices(svc, tenant, msg.shard, msg.cursor.clone()).await?,
        Stage::Tokens => {
            let pk = keys::enrollment_tokens_pk(tenant);
            delete_page(svc, &pk, "", msg.cursor.clone()).await?
        }
        Stage::AppleChallenges => apple_challenges(svc, tenant, msg.cursor.clone()).await?,
        Stage::Groups => {
            let pk = keys::groups_pk(tenant);
            delete_owners(svc, &pk, msg.cursor.clone(), |g| {
                GroupId::parse(g).ok().map(|g| keys::members_pk(tenant, &g))
            })
            .await?
        }
        Stage::Jobs => {
            let pk = keys::jobs_pk(tenant);
            delete_owners(svc, &pk, msg.cursor.clone(), |j| {
                JobId::parse(j).ok().map(|j| keys::job(tenant, &j).pk)
            })
            .await?
        }
        Stage::Policies => {
            let pk = keys::policies_pk(tenant);
            delete_owners(svc, &pk, msg.cursor.clone(), |p| {
                PolicyId::parse(p).ok().map(|p| keys::policy_pk(tenant, &p))
            })
            .await?
        }
        Stage::Apps => delete_page(svc, &keys::apps_pk(tenant), "", msg.cursor.clone()).await?,
        Stage::Geofences => {
            let pk = keys::geofences_pk(tenant);
            delete_page(svc, &pk, "", msg.cursor.clone()).await?
        }
        Stage::Webhooks => webhooks(svc, tenant, msg.cursor.clone()).await?,
        Stage::Audit => delete_page(svc, &keys::audit_pk(tenant), "", msg.cursor.clone()).await?,
        Stage::CommandAudit => {
            let pk = keys::transition_audit_pk(tenant, msg.shard);
            delete_page(svc, &pk, "", msg.cursor.clone()).await?
        }
        Stage::Alerts => {
            let pk = keys::alerts_pk(tenant, msg.shard);
            delete_page(svc, &pk, "", msg.cursor.clone()).await?
        }
        Stage::Finish => {
            finish(svc, tenant).await?;
            None
        }
    };
    if let Some(next) = msg.next(cursor) {
        let next = WorkMessage::Purge(next).encode();
        svc.wake_queue.send_batch(vec![next]).await?;
    }
    Ok(())
}

/// Deletes one page of a partition's items; returns the cursor of the rest.
async fn delete_page(
    svc: &Services,
    pk: &str,
    prefix: &str,
    cursor: Option<String>,
) -> Result<Option<String>, Error> {
    let mut q = Query::prefix(pk, prefix);
    q.cursor = cursor;
    q.limit = ITEMS_PER_BATCH;
    q.consistent = true;
    let page = svc.table.query(q).await?;
    for item in &page.items {
        svc.table.delete(&item.key, None).await?;
    }
    Ok(page.cursor)
}

/// Deletes one page of a listing partition whose items each own a partition (a group its
/// members, a job its counters, a policy its versions and assignments): the owned partition
/// first, the listing item last, so that a retry still finds it.
async fn delete_owners(
    svc: &Services,
    pk: &str,
    cursor: Option<String>,
    owned: impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, Error> {
    let mut q = Query::prefix(pk, "");
    q.cursor = cursor;
    q.limit = OWNERS_PER_BATCH;
    q.consistent = true;
    let page = svc.table.query(q).await?;
    for item in &page.items {
        if let Some(owned) = owned(&item.key.sk) {
            while delete_page(svc, &owned, "", None).await?.is_some() {}
        }
        svc.table.delete(&item.key, None).await?;
    }
    Ok(page.cursor)
}

/// Deletes one page of webhook endpoints, each completely: its secret, its deliveries, and the
/// endpoint item last, so that a retry still finds what it names.
async fn webhooks(
    svc: &Services,
    tenant: &TenantId,
    cursor: Option<String>,
) -> Result<Option<String>, Error> {
    let mut q = Query::prefix(keys::webhooks_pk(tenant), "");
    q.cursor = cursor;
    q.limit = OWNERS_PER_BATCH;
    q.consistent = true;
    let page = svc.table.query(q).await?;
    for item in &page.items {
        if let Ok(id) = WebhookId::parse(&item.key.sk) {
            let record: WebhookRecord = from_item(item)?;
            svc.secrets.delete(&record.secret).await?;
            while crate::usecases::integrations::webhooks::delete_deliveries_page(svc, tenant, &id)
                .await?
                .is_some()
            {}
        }
        svc.table.delete(&item.key, None).await?;
    }
    svc.webhook_subscriptions.forget(tenant);
    Ok(page.cursor)
}

/// Deletes one page of a directory shard's devices, each completely: its lookup entries, every
/// item of its partition, and its directory entry last, so that a retry still finds it.
async fn devices(
    svc: &Services,
    tenant: &TenantId,
    shard: u32,
    cursor: Option<String>,
) -> Result<Option<String>, Error> {
    let mut q = Query::prefix(keys::directory_pk(tenant, shard), "");
    q.cursor = cursor;
    q.limit = DEVICES_PER_BATCH;
    q.consistent = true;
    let page = svc.table.query(q).await?;
    for item in &page.items {
        let Ok(device) = DeviceId::parse(&item.key.sk) else {
            svc.table.delete(&item.key, None).await?;
            continue;
        };
        let entry: DirectoryRecord = from_item(item)?;
        let mut ids = vec![Identifier::Serial(entry.serial.clone())];
        ids.extend(entry.imsi.clone().map(Identifier::Imsi));
        ids.extend(entry.phone_number.clone().map(Identifier::PhoneNumber));
        if let Some(inv) = svc
            .table
            .get(&keys::inventory(tenant, &device), true)
            .await?
        {
            let inv: InventoryRecord = from_item(&inv)?;
            if !inv.imei.is_empty() {
                ids.push(Identifier::Imei(inv.imei));
            }
        }
        for id in &ids {
            svc.table
                .delete(&keys::index(tenant, id, &device), None)
                .await?;
        }
        if let Some(owner) = &entry.owner {
            svc.table
                .delete(&keys::owned(tenant, owner, &device), None)
                .await?;
        }
        // An Apple device's escrowed secrets live outside the table.
        if svc
            .table
            .get(&keys::apple_enrolment(tenant, &device), true)
            .await?
            .is_some()
        {
            svc.secrets
                .delete(&crate::apple::unlock_token_secret(tenant, &device))
                .await?;
            svc.secrets
                .delete(&crate::apple::bootstrap_token_secret(tenant, &device))
                .await?;
        }
        let pk = keys::device_pk(tenant, &device);
        while delete_page(svc, &pk, "", None).await?.is_some() {}
        svc.table.delete(&item.key, None).await?;
    }
    Ok(page.cursor)
}

/// One page of SCEP challenges, each with the enrolment record of the identity it issued when
/// that device never enrolled (an enrolled one went with the devices): the directory does not
/// list those.
async fn apple_challenges(
    svc: &Services,
    tenant: &TenantId,
    cursor: Option<String>,
) -> Result<Option<String>, Error> {
    let mut q = Query::prefix(keys::scep_challenge(tenant, "").pk, "");
    q.cursor = cursor;
    q.limit = ITEMS_PER_BATCH;
    q.consistent = true;
    let page = svc.table.query(q).await?;
    for item in &page.items {
        let record: Option<crate::apple::records::ChallengeRecord> = from_item(item).ok();
        if let Some(device) = record
            .and_then(|r| r.spent)
            .and_then(|spent| DeviceId::parse(&spent.device).ok())
        {
            let pk = keys::device_pk(tenant, &device);
            while delete_page(svc, &pk, "", None).await?.is_some() {}
        }
        svc.table.delete(&item.key, None).await?;
    }
    Ok(page.cursor)
}

/// Removes the push settings and leaves the tenant item as a `deleted` tombstone (status only),
/// in the platform's list too.
async fn finish(svc: &Services, tenant: &TenantId) -> Result<(), Error> {
    let pk = keys::tenant(tenant).pk;
    // What the push settings name lives elsewhere (the provider's resources, such as an SNS
    // platform application, and the credentials in the secret store): removed first, so a
    // retry after a crash still finds the names.
    let mut q = Query::prefix(pk.clone(), keys::PUSH_PREFIX);
    q.consistent = true;
    for item in svc.table.query(q).await?.items {
        let config: PushConfigRecord = from_item(&item)?;
        // A pending push certificate expiry warning is in the platform's partition.
        if let Some(warning) =
            crate::usecases::tenancy::push_cert_warnings::pending(tenant, &config)
        {
            svc.table.delete(&warning, None).await?;
        }
        svc.push_providers
            .release(config.provider, &config.attrs)
            .await?;
        svc.secrets.delete(&config.secret).await?;
    }
    delete_page(svc, &pk, keys::PUSH_PREFIX, None).await?;
    // The profile-signing identity and the Apple CA: their secrets first, for the same reason.
    if let Some(item) = svc.table.get(&keys::apple_signing(tenant), true).await? {
        let signer: crate::apple::signing::SigningRecord = from_item(&item)?;
        svc.secrets.delete(&signer.secret).await?;
        svc.table.delete(&item.key, None).await?;
    }
    if let Some(item) = svc.table.get(&keys::apple_ca(tenant), true).await? {
        let ca: crate::apple::records::CaRecord = from_item(&item)?;
        svc.secrets.delete(&ca.secret).await?;
        svc.table.delete(&item.key, None).await?;
    }
    svc.table
        .delete(&keys::default_policy(tenant), None)
        .await?;
    svc.table
        .delete(&keys::geofence_count(tenant), None)
        .await?;
    let deleted = TenantStatus::Deleted.as_str();
    let tombstone = crate::ports::Item::new(keys::tenant(tenant), {
        let mut attrs = serde_json::Map::new();
        attrs.insert(attr::STATUS.into(), deleted.into());
        attrs.insert(attr::UPDATED_AT.into(), svc.now().into());
        attrs
    });
    svc.table
        .transact(vec![
            WriteOp::Put {
                item: tombstone,
                cond: Some(Cond::eq(attr::STATUS, TenantStatus::Deleting.as_str())),
            },
            WriteOp::Update {
                key: keys::platform_tenant(tenant),
                update: Update::new().set(attr::STATUS, deleted),
                cond: Some(Cond::Exists),
            },
        ])
        .await
        .or_else(|e| match e {
            // Finished by an earlier delivery of this message.
            crate::error::StoreError::Precondition { .. } => Ok(()),
            e => Err(e),
        })?;
    Ok(())
}
