//! The scheduled sweep: finds the devices whose compliance deadline passed (a ladder step due,
//! a device offline for too long) without scanning anything, and hands each to the queue to
//! be evaluated; then fires the push certificate expiry warnings that are due
//! (`push_cert_warnings`). A scheduled Lambda runs it on AWS, a timer in the local process otherwise;
//! running it twice, or late, or concurrently only evaluates some devices twice, which
//! changes nothing the second time.

use serde::{Deserialize, Serialize};

use crate::domain::{DeviceId, TenantId};
use crate::error::Error;
use crate::ports::Query;
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{DueRecord, from_item};
use crate::usecases::consumer::WorkMessage;
use crate::usecases::posture::compliance::{self, Input};

/// A slot's marker goes only when the slot ended this long ago: a deadline is always written
/// ahead of its writer's clock, so by then no writer can add to the slot any more.
const MARKER_GRACE_MS: i64 = 600_000;

/// The work-queue payload asking for one device's evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    pub tenant: TenantId,
    pub device: DeviceId,
}

/// The consumer's part: evaluate the device now.
pub async fn handle(svc: &Services, t: &TenantId, d: &DeviceId) -> Result<(), Error> {
    compliance::evaluate(svc, t, d, Input::default())
        .await
        .map(|_| ())
}

/// What one sweep did, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Swept {
    pub slots: usize,
    pub devices: usize,
    /// Push certificate expiry warnings fired.
    pub certificate_warnings: usize,
}

/// Queues an evaluation for every due entry whose time has come, then deletes the entries
/// (a crash in between queues them again next time, which is harmless); then fires the due
/// certificate expiry warnings.
pub async fn sweep(svc: &Services) -> Result<Swept, Error> {
    let mut swept = sweep_due(svc).await?;
    swept.certificate_warnings = crate::usecases::tenancy::push_cert_warnings::sweep(svc).await?;
    Ok(swept)
}

async fn sweep_due(svc: &Services) -> Result<Swept, Error> {
    let now = svc.now();
    let current = keys::due_slot(now);
    let mut swept = Swept::default();
    let mut cursor = None;
    loop {
        let mut q = Query::prefix(keys::DUE_SLOTS_PK, "");
        q.cursor = cursor.take();
        q.consistent = true;
        let page = svc.table.query(q).await?;
        for marker in &page.items {
            let Ok(slot) = marker.key.sk.parse::<i64>() else {
                continue;
            };
            if slot > current {
                return Ok(swept);
            }
            swept.slots += 1;
            let mut emptied = true;
            for shard in 0..keys::DUE_SHARDS {
                let (n, empty) = sweep_shard(svc, slot, shard, now).await?;
                swept.devices += n;
                emptied &= empty;
            }
            if emptied && (slot + 1) * keys::DUE_SLOT_MS + MARKER_GRACE_MS <= now {
                svc.table.delete(&marker.key, None).await?;
            }
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(swept),
        }
    }
}

/// Sweeps one shard of a slot; says how many devices it queued and whether it is now empty.
async fn sweep_shard(
    svc: &Services,
    slot: i64,
    shard: u32,
    now: i64,
) -> Result<(usize, bool), Error> {
    let mut queued = 0;
    let mut cursor = None;
    loop {
        let mut q = Query::prefix(keys::due_pk(slot, shard), "");
        q.cursor = cursor.take();
        q.consistent = true;
        let page = svc.table.query(q).await?;
        let mut bodies = Vec::new();
        let mut done = Vec::new();
        let mut later = false;
        for item in &page.items {
            let due: DueRecord = from_item(item)?;
            if due.at > now {
                later = true;
                break;
            }
            // A due entry is written from parsed ids, so one that does not parse can never be
            // evaluated: it is removed like the others.
            if let (Ok(tenant), Ok(device)) =
                (TenantId::parse(&due.tenant), DeviceId::parse(&due.device))
            {
                bodies
                    .push(WorkMessage::EvaluateCompliance(Evaluation { tenant, device }).encode());
            }
            done.push(item.key.clone());
        }
        if !bodies.is_empty() {
            queued += bodies.len();
            svc.wake_queue.send_batch(bodies).await?;
            for key in &done {
                svc.table.delete(key, None).await?;
            }
        }
        if later {
            return Ok((queued, false));
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok((queued, true)),
        }
    }
}
