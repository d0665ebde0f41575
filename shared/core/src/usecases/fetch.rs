//! A device pulls its pending commands, oldest first. One query on the device's own partition
//! returns both its credential item and its open commands.

use super::lifecycle;
use super::views::DeliveredCommand;
use crate::domain::time::rfc3339;
use crate::domain::{CommandStatus, DeviceCredential, DeviceState};
use crate::error::{Error, StoreError};
use crate::ports::{Query, Update};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{CommandRecord, DeviceRecord, from_item};

pub async fn pending(
    svc: &Services,
    cred: &DeviceCredential,
) -> Result<Vec<DeliveredCommand>, Error> {
    let (tenant, device) = (&cred.tenant, &cred.device);
    let mut q = Query::prefix(keys::device_pk(tenant, device), keys::DEVICE_SK);
    // Revocation must take effect at once, so no stale read of the credential.
    q.consistent = true;
    q.limit = svc.settings.fetch_limit + 1;
    let page = svc.table.query(q).await?;
    let mut items = page.items.iter();
    let hot = match items.next() {
        Some(i) if i.key.sk == keys::DEVICE_SK => from_item::<DeviceRecord>(i)?,
        _ => return Err(Error::DeviceCredentialInvalid),
    };
    if hot.cred != cred.secret_hash() || hot.state != DeviceState::Enrolled {
        return Err(Error::DeviceCredentialInvalid);
    }
    let last_checkin = hot.last_seen.unwrap_or(hot.enrolled_at);
    let mut out = Vec::new();
    for item in items.take(svc.settings.fetch_limit) {
        let rec: CommandRecord = from_item(item)?;
        if lifecycle::expire_if_due(svc, tenant, device, &rec)
            .await?
            .is_some()
        {
            continue;
        }
        let served = match rec.status {
            // Deferred by the device: not again until it has checked in since.
            CommandStatus::NotNow if rec.not_now_at.is_some_and(|t| t >= last_checkin) => None,
            CommandStatus::Queued | CommandStatus::PushSent | CommandStatus::NotNow => {
                match lifecycle::advance(
                    svc,
                    tenant,
                    device,
                    &rec,
                    CommandStatus::Fetched,
                    None,
                    Update::new().remove("not_now_at"),
                )
                .await
                {
                    Ok(r) => Some(r),
                    // Closed or moved concurrently (a cancel, a result): not ours to serve.
                    Err(StoreError::Precondition { .. }) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            // Fetched before but never answered (the device may have crashed): serve again;
            // results are idempotent.
            CommandStatus::Fetched => Some(rec),
            _ => None,
        };
        if let Some(r) = served {
            out.push(DeliveredCommand {
                id: r.id.clone(),
                kind: r.spec.kind(),
                payload: serde_json::to_value(&r.spec).unwrap_or_default(),
                queued_at: rfc3339(r.queued_at),
            });
        }
    }
    Ok(out)
}
