//! A device pulls its pending commands, oldest first. One query on the device's own partition
//! returns both its credential item and its open commands.

use crate::domain::time::rfc3339;
use crate::domain::{CommandId, CommandStatus, DeviceCredential};
use crate::error::{Error, StoreError};
use crate::ports::{Query, Update};
use crate::services::Services;
use crate::store::conditions::credential_holds;
use crate::store::keys;
use crate::store::records::attr;
use crate::store::records::{CommandRecord, DeviceRecord, from_item};
use crate::usecases::fleet::lifecycle;
use crate::usecases::fleet::views::DeliveredCommand;
use crate::usecases::tenancy::audit::Mover;

pub async fn pending(
    svc: &Services,
    cred: &DeviceCredential,
) -> Result<Vec<DeliveredCommand>, Error> {
    Ok(serve_up_to(svc, cred, svc.settings.fetch_limit)
        .await?
        .commands
        .into_iter()
        .map(|r| DeliveredCommand {
            id: r.id.clone(),
            kind: r.spec.kind(),
            payload: serde_json::to_value(&r.spec).unwrap_or_default(),
            queued_at: rfc3339(r.queued_at),
        })
        .collect())
}

/// Commands served to a device, with the platform its record names (the same read).
pub struct Served {
    pub platform: crate::domain::Platform,
    pub commands: Vec<CommandRecord>,
}

/// Serves at most `limit` open commands, oldest first, each marked fetched: the agent takes a
/// page of them, an Apple device one at a time (the command endpoint answers with one).
pub async fn serve_up_to(
    svc: &Services,
    cred: &DeviceCredential,
    limit: usize,
) -> Result<Served, Error> {
    let (tenant, device) = (&cred.tenant, &cred.device);
    let mut q = Query::prefix(keys::device_pk(tenant, device), keys::DEVICE_SK);
    // Revocation must take effect at once, so no stale read of the credential.
    q.consistent = true;
    // Deferred commands are skipped without being served, so read a page beyond the limit.
    q.limit = svc.settings.fetch_limit + 1;
    let page = svc.table.query(q).await?;
    let mut items = page.items.iter();
    // The same rule as the check-in's write condition, evaluated on the item we just read.
    let hot = match items.next() {
        Some(i) if i.key.sk == keys::DEVICE_SK && credential_holds(cred).holds(Some(i)) => {
            from_item::<DeviceRecord>(i)?
        }
        _ => return Err(Error::DeviceCredentialInvalid),
    };
    let last_checkin = hot.last_seen.unwrap_or(hot.enrolled_at);
    let mut out = Vec::new();
    for item in items.take(svc.settings.fetch_limit) {
        if out.len() >= limit {
            break;
        }
        let rec: CommandRecord = from_item(item)?;
        if let Some(r) = serve(svc, cred, rec, last_checkin).await? {
            out.push(r);
        }
    }
    Ok(Served {
        platform: hot.platform,
        commands: out,
    })
}

/// Decides whether one open command is served now, marking it fetched. A concurrent change
/// (the push consumer recording push_sent, a cancel, a result) makes the conditional write fail;
/// the command is then read again and judged on its new state.
async fn serve(
    svc: &Services,
    cred: &DeviceCredential,
    mut rec: CommandRecord,
    last_checkin: i64,
) -> Result<Option<CommandRecord>, Error> {
    let (tenant, device) = (&cred.tenant, &cred.device);
    for _ in 0..3 {
        if lifecycle::expire_if_due(svc, tenant, device, &rec)
            .await?
            .is_some()
        {
            return Ok(None);
        }
        match rec.status {
            // Deferred by the device: not again until it has checked in since.
            CommandStatus::NotNow if rec.not_now_at.is_some_and(|t| t >= last_checkin) => {
                return Ok(None);
            }
            CommandStatus::Queued | CommandStatus::PushSent | CommandStatus::NotNow => {}
            // Fetched before but never answered (the device may have crashed): serve again;
            // results are idempotent.
            CommandStatus::Fetched => return Ok(Some(rec)),
            _ => return Ok(None),
        }
        match lifecycle::advance(
            svc,
            tenant,
            device,
            &rec,
            CommandStatus::Fetched,
            Mover::Device,
            None,
            Update::new().remove(attr::NOT_NOW_AT),
        )
        .await
        {
            Ok(r) => return Ok(Some(r)),
            Err(StoreError::Precondition { .. }) => {
                let id = CommandId::parse(&rec.id)?;
                match lifecycle::load(svc, tenant, device, &id).await? {
                    Some(found) if found.open => rec = found.record,
                    _ => return Ok(None),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}
