//! A device's full inventory report: stored whole on its own inventory item (so check-ins never
//! pay for its size), with the lookup index following a SIM swap in one transaction.
//!
//! `PUT /v1/device/inventory` (the device credential; at most 64 KiB, which also keeps the stored
//! item far under DynamoDB's 400 KB) takes `{hardware?: {model, manufacturer, serial}, os?:
//! {name, version, build?, security_patch_level?}, storage?: {total_bytes, free_bytes}, battery?:
//! {level, charging}, apps?: [{id, name?, version?}] (≤ 500), encrypted?, passcode_set?,
//! compromised? (rooted/jailbroken), sim?: {imsi?, iccid?, carrier?, phone_number?}, network?:
//! {type: wifi|cellular|ethernet|none, wifi_ssid?, ip?}, location?: {latitude, longitude,
//! accuracy_m?, at}}` and answers `{reported_at}`. A new SIM moves the lookup entries: the
//! credential is checked, the directory's SIM fields updated, the old IMSI and phone number
//! entries deleted and the new ones put, in one transaction (only on a change); then the
//! inventory item is written. A device with compliance rules is evaluated on the report (see
//! `compliance`), and any SIM change publishes `sim.changed`.

use serde::Serialize;

use crate::domain::DeviceCredential;
use crate::domain::directory::Identifier;
use crate::domain::inventory::InventoryReport;
use crate::domain::time::rfc3339;
use crate::domain::webhook::EventKind;
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Update, WriteOp};
use crate::services::Services;
use crate::store::conditions::credential_holds;
use crate::store::keys;
use crate::store::records::{DeviceRecord, DirectoryRecord, attr, from_item};
use crate::usecases::fleet::directory;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InventoryAccepted {
    pub reported_at: String,
}

/// The attribute's condition: it still holds `old` (or is still absent).
fn still(name: &str, old: Option<&String>) -> Cond {
    match old {
        Some(v) => Cond::eq(name, v.as_str()),
        None => Cond::Absent(name.into()),
    }
}

fn set_or_remove(update: Update, name: &str, v: Option<&String>) -> Update {
    match v {
        Some(v) => update.set(name, v.as_str()),
        None => update.remove(name),
    }
}

pub async fn report(
    svc: &Services,
    cred: &DeviceCredential,
    report: InventoryReport,
) -> Result<InventoryAccepted, Error> {
    report.validate()?;
    let (tenant, device) = (&cred.tenant, &cred.device);
    let hot_item = svc.table.get(&keys::device(tenant, device), true).await?;
    let hot: DeviceRecord = match hot_item {
        Some(h) if credential_holds(cred).holds(Some(&h)) => from_item(&h)?,
        _ => return Err(Error::DeviceCredentialInvalid),
    };
    let now = svc.now();
    let entry_key = keys::directory(tenant, device);
    let entry: Option<DirectoryRecord> = svc
        .table
        .get(&entry_key, true)
        .await?
        .map(|i| from_item(&i))
        .transpose()?;
    // Without a SIM section the device said nothing about its SIM: the identifiers stay.
    let (imsi, phone) = match (&report.sim, &entry) {
        (Some(sim), _) => (sim.imsi.clone(), sim.phone_number.clone()),
        (None, Some(e)) => (e.imsi.clone(), e.phone_number.clone()),
        (None, None) => (None, None),
    };
    if let Some(e) = &entry
        && (e.imsi != imsi || e.phone_number != phone)
    {
        let mut ops = vec![
            WriteOp::Check {
                key: keys::device(tenant, device),
                cond: credential_holds(cred),
            },
            WriteOp::Update {
                key: entry_key.clone(),
                update: set_or_remove(
                    set_or_remove(Update::new(), attr::IMSI, imsi.as_ref()),
                    attr::PHONE_NUMBER,
                    phone.as_ref(),
                ),
                // Another report swapped it meanwhile: refuse rather than orphan index entries.
                cond: Some(Cond::And(vec![
                    Cond::Exists,
                    still(attr::IMSI, e.imsi.as_ref()),
                    still(attr::PHONE_NUMBER, e.phone_number.as_ref()),
                ])),
            },
        ];
        let pairs = [
            (
                e.imsi.clone().map(Identifier::Imsi),
                imsi.clone().map(Identifier::Imsi),
            ),
            (
                e.phone_number.clone().map(Identifier::PhoneNumber),
                phone.clone().map(Identifier::PhoneNumber),
            ),
        ];
        for (old, new) in pairs {
            if old == new {
                continue;
            }
            ops.extend(old.map(|id| directory::delete_index(tenant, &id, device)));
            ops.extend(new.map(|id| directory::put_index(tenant, &id, device, now)));
        }
        match svc.table.transact(ops).await {
            Ok(()) if e.imsi != imsi => {
                let data = serde_json::json!({"imsi": imsi, "previous_imsi": e.imsi});
                let event = crate::usecases::integrations::events::Event::new(
                    EventKind::SimChanged,
                    Some(device),
                    data,
                );
                crate::usecases::integrations::events::publish(svc, tenant, event).await;
            }
            Ok(()) => {}
            Err(StoreError::Precondition { index: Some(0) }) => {
                return Err(Error::DeviceCredentialInvalid);
            }
            Err(StoreError::Precondition { .. }) => {
                return Err(Error::Conflict(
                    "another inventory report changed the SIM meanwhile; retry".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    // Outside the transaction on purpose: a transaction bills twice, and this item is the large
    // one. A failure here leaves the index right and the report to be sent again.
    let update = set_or_remove(
        set_or_remove(
            Update::new()
                .set(
                    attr::REPORTED,
                    serde_json::to_value(&report).unwrap_or_default(),
                )
                .set(attr::REPORTED_AT, now),
            attr::IMSI,
            imsi.as_ref(),
        ),
        attr::PHONE_NUMBER,
        phone.as_ref(),
    );
    svc.table
        .update(&keys::inventory(tenant, device), update, Some(Cond::Exists))
        .await?;
    if hot.cs.is_some() {
        let input = crate::usecases::posture::compliance::Input {
            hot: Some(&hot),
            inventory: Some(&report),
            location: report.location.as_ref().map(|l| crate::domain::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                accuracy_m: l.accuracy_m,
            }),
            ..Default::default()
        };
        // The report is stored; a failed evaluation is retried by the next check-in's.
        if let Err(e) =
            crate::usecases::posture::compliance::evaluate(svc, tenant, device, input).await
        {
            tracing::warn!(error = %e, %device, "compliance evaluation after an inventory report failed");
        }
    }
    Ok(InventoryAccepted {
        reported_at: rfc3339(now),
    })
}
