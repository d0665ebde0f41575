//! Warnings before a tenant's APNs push certificate expires: once it has, Apple refuses every
//! wake-up and the tenant's Apple devices silently stop being managed until they happen to
//! check in, so the tenant hears of it 30, 7 and 1 days ahead, as a `push_certificate.expiring`
//! webhook event and an audit entry, each once per certificate.
//!
//! No scan: a certificate's next warning is one item in the platform's `PLATFORM#CERTWARN`
//! partition, keyed by the day it is due, written with the push settings and replaced by the
//! next one as it fires; the scheduled sweep reads the partition in day order and stops at the
//! first day still ahead. Settings replaced with another certificate delete the pending item
//! (and a warning whose certificate is no longer the tenant's is dropped when found), so a new
//! certificate starts its warnings over.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::push_certificate::{self, Warning};
use crate::domain::time::rfc3339;
use crate::domain::{Platform, TenantId, TenantStatus};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Item, Key, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::attr;
use crate::store::records::{from_item, to_item};
use crate::usecases::integrations::events::{self, Event, EventKind};
use crate::usecases::tenancy::audit::{self, SYSTEM_ACTOR};
use crate::usecases::tenancy::push_config::{self, CertificateRecord, PushConfigRecord};

/// The audit action (and the webhook event's name).
pub const ACTION: &str = "push_certificate.expiring";

/// Items read per page of the sweep's query: most sweeps find nothing due, and a page is
/// billed by what it reads.
const PAGE: usize = 25;

/// A pending warning, as its item in `PLATFORM#CERTWARN` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningRecord {
    pub tenant: TenantId,
    pub platform: Platform,
    /// The push settings' fingerprint when it was scheduled: which certificate it is about.
    pub fingerprint: String,
    pub days: u32,
    pub due_at: i64,
}

fn key(t: &TenantId, platform: Platform, w: &Warning) -> Key {
    keys::cert_warning(t, platform, w.days, w.due_at)
}

/// The item of the settings' pending warning, if any.
pub fn pending(t: &TenantId, record: &PushConfigRecord) -> Option<Key> {
    let warning = record.certificate.as_ref()?.next_warning?;
    Some(key(t, record.platform, &warning))
}

fn put(t: &TenantId, platform: Platform, fingerprint: &str, w: &Warning) -> WriteOp {
    let record = WarningRecord {
        tenant: t.clone(),
        platform,
        fingerprint: fingerprint.to_owned(),
        days: w.days,
        due_at: w.due_at,
    };
    WriteOp::Put {
        item: to_item(key(t, platform, w), &record),
        cond: None,
    }
}

/// The writes that go with replacing `previous` settings by `record`: the previous pending
/// warning removed, the new certificate's first one scheduled. For the same transaction.
pub(crate) fn reschedule(
    t: &TenantId,
    previous: Option<&PushConfigRecord>,
    record: &PushConfigRecord,
) -> Vec<WriteOp> {
    let old = previous.and_then(|p| pending(t, p));
    let new = record
        .certificate
        .as_ref()
        .and_then(|c| c.next_warning)
        .map(|w| (key(t, record.platform, &w), w));
    let mut ops = Vec::new();
    // One transaction may not name an item twice: the new put overwrites the same key.
    if let Some(old) = old
        && new.as_ref().is_none_or(|(k, _)| *k != old)
    {
        ops.push(WriteOp::Delete {
            key: old,
            cond: None,
        });
    }
    if let Some((_, w)) = new {
        ops.push(put(t, record.platform, &record.fingerprint, &w));
    }
    ops
}

/// Fires every warning that is due; returns how many fired. Safe to run twice or
/// concurrently: firing removes the warning under a condition, so each fires once.
pub async fn sweep(svc: &Services) -> Result<usize, Error> {
    let now = svc.now();
    let today = keys::utc_day(now);
    let mut fired = 0;
    let mut cursor = None;
    loop {
        let mut q = Query::prefix(keys::CERT_WARNINGS_PK, "");
        q.cursor = cursor.take();
        q.limit = PAGE;
        q.consistent = true;
        let page = svc.table.query(q).await?;
        for item in &page.items {
            if item
                .key
                .sk
                .get(..today.len())
                .is_none_or(|day| day > today.as_str())
            {
                return Ok(fired);
            }
            let warning: WarningRecord = from_item(item)?;
            if warning.due_at > now {
                continue;
            }
            if fire(svc, item, &warning, now).await? {
                fired += 1;
            }
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(fired),
        }
    }
}

/// Fires one due warning, or drops it when it is stale (the certificate was replaced, the
/// settings removed, the tenant is being deleted). True when it fired.
async fn fire(svc: &Services, item: &Item, w: &WarningRecord, now: i64) -> Result<bool, Error> {
    let drop_it = || async {
        svc.table.delete(&item.key, None).await?;
        Ok::<_, Error>(false)
    };
    let tenant = crate::usecases::tenancy::tenant_record::load(svc, &w.tenant, false).await?;
    if tenant.is_some_and(|t| {
        matches!(
            t.status,
            Some(TenantStatus::Deleting | TenantStatus::Deleted)
        )
    }) {
        // The purge removes what a warning would write; writing after it would leak.
        return drop_it().await;
    }
    let Some(config) = push_config::load(svc.table.as_ref(), &w.tenant, w.platform).await? else {
        return drop_it().await;
    };
    let Some(cert) = config.certificate.clone().filter(|c| {
        config.fingerprint == w.fingerprint
            && c.next_warning
                .is_some_and(|n| n.days == w.days && n.due_at == w.due_at)
    }) else {
        return drop_it().await;
    };
    let days = push_certificate::firing_threshold(cert.expires_at, now, w.days);
    let days_left = push_certificate::days_left(cert.expires_at, now);
    let next = push_certificate::next_warning(cert.expires_at, now, Some(days));
    let updated = CertificateRecord {
        next_warning: next,
        ..cert.clone()
    };
    let mut ops = vec![
        WriteOp::Delete {
            key: item.key.clone(),
            cond: Some(Cond::Exists),
        },
        WriteOp::Update {
            key: keys::push_config(&w.tenant, w.platform),
            update: Update::new().set(
                push_config::CERTIFICATE_ATTR,
                serde_json::to_value(&updated).unwrap_or_default(),
            ),
            cond: Some(Cond::eq(attr::FINGERPRINT, w.fingerprint.clone())),
        },
    ];
    if days_left > 0 {
        ops.push(audit::entry_by(
            svc,
            &w.tenant,
            SYSTEM_ACTOR,
            SYSTEM_ACTOR,
            ACTION,
            format!("push_config/{}", w.platform.as_str()),
            Some(json!({
                "topic": cert.topic,
                "expires_at": rfc3339(cert.expires_at),
                "days_left": days_left,
                "warning": days,
            })),
        ));
    }
    if let Some(next) = &next {
        ops.push(put(&w.tenant, w.platform, &w.fingerprint, next));
    }
    match svc.table.transact(ops).await {
        Ok(()) => {}
        // Fired by a concurrent sweep, or the certificate replaced meanwhile (whose own
        // warnings are scheduled by the replacement).
        Err(StoreError::Precondition { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    if days_left == 0 {
        // Expired before any sweep came: nothing left to warn about.
        return Ok(false);
    }
    let data = json!({
        "platform": w.platform.as_str(),
        "topic": cert.topic,
        "expires_at": rfc3339(cert.expires_at),
        "days_left": days_left,
    });
    events::publish(
        svc,
        &w.tenant,
        Event::new(EventKind::PushCertificateExpiring, None, data),
    )
    .await;
    Ok(true)
}
