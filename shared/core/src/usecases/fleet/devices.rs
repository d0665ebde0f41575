//! Admin reads and decommissioning of a device: its state, last seen and inventory; unenrol
//! (revoke the credential, cancel open work) and retire (hide it, drop its lookup entries).
//!
//! `GET /v1/devices/{id}` (admins, operators, auditors) shows the typed inventory as last
//! reported, state, channel, last seen (exact, unlike the listing's hour), battery, location and
//! pending count. `POST /v1/devices/{id}/unenroll` (admins, operators) revokes the credential at
//! once (the device's next call is `401 device_credential_invalid`), sets state `unenrolled` and
//! cancels its open commands; it is idempotent, and only the unenrolment that revoked the
//! credential publishes `device.unenrolled`. `POST /v1/devices/{id}/retire` (admins)
//! decommissions a device that is unenrolled or wiped (else `409 conflict`): state `retired`,
//! lookup entries removed, out of the default listing and of its groups, the tenant's device
//! counter decremented; record and history stay readable; idempotent.

use crate::domain::directory::Identifier;
use crate::domain::{CommandId, CommandStatus, DeviceCredential, DeviceId, DeviceState, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Principal, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{
    CommandRecord, DeviceRecord, DirectoryRecord, InventoryRecord, attr, from_item,
};
use crate::usecases::fleet::views::DeviceView;
use crate::usecases::{
    ADMINS, COMMANDERS, READERS, fleet::directory, fleet::groups, fleet::lifecycle, require_role,
    tenancy::audit,
};

pub async fn get(svc: &Services, who: &Principal, device: &DeviceId) -> Result<DeviceView, Error> {
    require_role(who, READERS, "read devices")?;
    read(svc, who, device, false).await
}

async fn read(
    svc: &Services,
    who: &Principal,
    device: &DeviceId,
    consistent: bool,
) -> Result<DeviceView, Error> {
    let (hot_key, inv_key) = (
        keys::device(&who.tenant, device),
        keys::inventory(&who.tenant, device),
    );
    let (hot, inv) = tokio::try_join!(
        svc.table.get(&hot_key, consistent),
        svc.table.get(&inv_key, consistent),
    )?;
    let (Some(hot), Some(inv)) = (hot, inv) else {
        return Err(Error::NotFound("device"));
    };
    let hot: DeviceRecord = from_item(&hot)?;
    let inv: InventoryRecord = from_item(&inv)?;
    Ok(DeviceView::new(device.as_str(), &hot, &inv))
}

/// Revokes the device's credential at once (state `unenrolled`) and cancels its open commands
/// through the one close path. Idempotent: a device that is no longer enrolled is left as it
/// is, and only its leftover open commands (from an attempt that died midway) are cancelled.
pub async fn unenroll(
    svc: &Services,
    who: &Principal,
    device: &DeviceId,
) -> Result<DeviceView, Error> {
    require_role(who, COMMANDERS, "unenroll devices")?;
    let t = &who.tenant;
    let revoked = svc
        .table
        .transact(vec![
            WriteOp::Update {
                key: keys::device(t, device),
                update: Update::new().set(attr::STATE, DeviceState::Unenrolled.as_str()),
                cond: Some(Cond::And(vec![
                    Cond::Exists,
                    Cond::eq(attr::STATE, DeviceState::Enrolled.as_str()),
                ])),
            },
            directory::set_state(t, device, DeviceState::Unenrolled),
            audit::entry(
                svc,
                who,
                "device.unenroll",
                format!("device/{device}"),
                None,
            ),
        ])
        .await;
    match revoked {
        Ok(()) => {
            // Only the unenrolment that revoked the credential is published, once.
            let data = serde_json::json!({"reason": "unenrolled", "by": who.subject});
            crate::usecases::integrations::events::publish(
                svc,
                t,
                crate::usecases::integrations::events::Event::new(
                    crate::usecases::integrations::events::EventKind::DeviceUnenrolled,
                    Some(device),
                    data,
                ),
            )
            .await;
        }
        // Missing (a 404 from the read below) or no longer enrolled (nothing to revoke).
        Err(StoreError::Precondition { index: Some(0) }) => {}
        Err(e) => return Err(e.into()),
    }
    // A missing device is a 404 before anything else is tried.
    read(svc, who, device, true).await?;
    cancel_open(svc, t, &who.subject, who.role.as_str(), device).await?;
    read(svc, who, device, true).await
}

/// The device itself left management (Apple's CheckOut, sent when the user removes the MDM
/// profile): its credential is revoked at once and its open commands are cancelled, as an
/// admin's unenrolment would, with the device as the actor. A second CheckOut changes nothing.
pub async fn checked_out(svc: &Services, cred: &DeviceCredential) -> Result<(), Error> {
    let (t, device) = (&cred.tenant, &cred.device);
    let actor = format!("device/{device}");
    let revoked = svc
        .table
        .transact(vec![
            WriteOp::Update {
                key: keys::device(t, device),
                update: Update::new().set(attr::STATE, DeviceState::Unenrolled.as_str()),
                cond: Some(crate::store::conditions::credential_holds(cred)),
            },
            directory::set_state(t, device, DeviceState::Unenrolled),
            audit::entry_by(
                svc,
                t,
                &actor,
                "device",
                "device.checkout",
                format!("device/{device}"),
                None,
            ),
        ])
        .await;
    match revoked {
        Ok(()) => {
            let data = serde_json::json!({"reason": "checked_out", "by": actor});
            let event = crate::usecases::integrations::events::Event::new(
                crate::usecases::integrations::events::EventKind::DeviceUnenrolled,
                Some(device),
                data,
            );
            crate::usecases::integrations::events::publish(svc, t, event).await;
        }
        // Already out (a repeated CheckOut, or unenrolled by an admin first).
        Err(StoreError::Precondition { .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    cancel_open(svc, t, &actor, "device", device).await
}

/// Cancels every open command of a device that can no longer take them, each with its own
/// `command.cancel` audit entry, as an admin's cancel would.
async fn cancel_open(
    svc: &Services,
    t: &TenantId,
    actor: &str,
    role: &str,
    device: &DeviceId,
) -> Result<(), Error> {
    let mut cursor = None;
    loop {
        let mut q = Query::prefix(keys::device_pk(t, device), keys::OPEN_PREFIX);
        q.consistent = true;
        q.cursor = cursor;
        let page = svc.table.query(q).await?;
        for item in &page.items {
            let mut record: CommandRecord = from_item(item)?;
            // A concurrent transition (the push consumer's push_sent, say) fails the close's
            // condition without closing the command: read it again and close what is still open.
            for _ in 0..3 {
                let entry = audit::entry_by(
                    svc,
                    t,
                    actor,
                    role,
                    "command.cancel",
                    format!("device/{device}/command/{}", record.id),
                    Some(serde_json::json!({"reason": "device unenrolled"})),
                );
                match lifecycle::close(
                    svc,
                    t,
                    device,
                    &record,
                    CommandStatus::Cancelled,
                    None,
                    Some(format!("device unenrolled by {actor}")),
                    None,
                    Update::new(),
                    vec![entry],
                )
                .await
                {
                    Ok(_) => break,
                    Err(StoreError::Precondition { .. }) => {
                        let id = CommandId::parse(&record.id)?;
                        match lifecycle::load(svc, t, device, &id).await? {
                            Some(found) if found.open => record = found.record,
                            // Closed meanwhile by its result or its deadline: that close stands.
                            _ => break,
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(()),
        }
    }
}

/// Decommissions a device that no longer holds a credential: state `retired`, out of the
/// default listing, its lookup entries removed; its record and history stay readable.
pub async fn retire(
    svc: &Services,
    who: &Principal,
    device: &DeviceId,
) -> Result<DeviceView, Error> {
    require_role(who, ADMINS, "retire devices")?;
    let t = &who.tenant;
    let current = read(svc, who, device, true).await?;
    match current.state {
        DeviceState::Retired => return Ok(current),
        DeviceState::Enrolled => {
            return Err(Error::Conflict(
                "the device is still enrolled; unenroll or wipe it first".into(),
            ));
        }
        DeviceState::Wiped | DeviceState::Unenrolled => {}
    }
    let entry = svc
        .table
        .get(&keys::directory(t, device), true)
        .await?
        .map(|i| from_item::<DirectoryRecord>(&i))
        .transpose()?;
    let mut ids = vec![Identifier::Serial(current.serial.clone())];
    ids.extend(current.imei.clone().map(Identifier::Imei));
    // The directory holds the SIM identifiers the index has now (after any SIM swap).
    let (imsi, phone) = match &entry {
        Some(e) => (e.imsi.clone(), e.phone_number.clone()),
        None => (current.imsi.clone(), current.phone_number.clone()),
    };
    ids.extend(imsi.map(Identifier::Imsi));
    ids.extend(phone.map(Identifier::PhoneNumber));
    let mut ops = vec![
        WriteOp::Update {
            key: keys::device(t, device),
            update: Update::new().set(attr::STATE, DeviceState::Retired.as_str()),
            cond: Some(Cond::In(
                attr::STATE.into(),
                vec![
                    DeviceState::Wiped.as_str().into(),
                    DeviceState::Unenrolled.as_str().into(),
                ],
            )),
        },
        audit::entry(svc, who, "device.retire", format!("device/{device}"), None),
    ];
    ops.extend(ids.iter().map(|id| directory::delete_index(t, id, device)));
    // Its owner's self-service no longer lists it.
    if let Some(owner) = entry.as_ref().and_then(|e| e.owner.as_deref()) {
        ops.push(WriteOp::Delete {
            key: keys::owned(t, owner, device),
            cond: None,
        });
    }
    // A retired device leaves its groups: no job or listing reaches it through them again.
    match &entry {
        Some(entry) if !entry.groups.is_empty() => ops.extend(groups::leave_all(
            t,
            device,
            entry,
            Update::new().set(attr::STATE, DeviceState::Retired.as_str()),
        )),
        _ => ops.push(directory::set_state(t, device, DeviceState::Retired)),
    }
    // A device counted at enrolment gives its place under the tenant's limit back.
    let hot = svc.table.get(&keys::device(t, device), true).await?;
    if let Some(hot) = hot
        && from_item::<DeviceRecord>(&hot)?.counted
    {
        ops.push(WriteOp::Update {
            key: keys::tenant(t),
            update: Update::new().add(attr::DEVICES, -1),
            cond: Some(Cond::Exists),
        });
    }
    match svc.table.transact(ops).await {
        Ok(()) => {}
        // Retired by a concurrent call: the same outcome.
        Err(StoreError::Precondition { index: Some(0) }) => {}
        Err(e) => return Err(e.into()),
    }
    read(svc, who, device, true).await
}
