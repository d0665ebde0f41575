//! What end users (role `user`) may do with the devices enrolled to them, and nothing else: list
//! them (`GET /v1/me/devices`, retired ones left out), lock, locate, reset the passcode or wipe
//! one (`POST /v1/me/devices/{id}/commands` with the same body as an admin's command,
//! `{"command": {"type": "lock", …}, "ttl_seconds"?}`, Idempotency-Key accepted), report one lost
//! (`lost`), and read those commands' results (`GET /v1/me/devices/{id}/commands/{cid}`, a
//! locate's position among them). Any other command kind is `403 forbidden`. Each action is
//! audited with the user as actor.
//!
//! Ownership: every device is `corporate` or `personal` and may belong to a user (a JWT subject),
//! as its enrollment token said: an admin's token is corporate unless it says otherwise and may
//! name the user the device is for (`owner`); a user's own token (`POST /v1/me/enrollment-tokens`
//! `{"expires_in_seconds"?, "label"?}`) is personal, theirs and good for one device (BYOD). The
//! directory keeps both (the listing filters with `?ownership=`), and the owner index
//! (`T#<t>#OWN#…`, see `store::keys`) lists a user's devices in one query. A device is the user's
//! when its directory entry names them as owner; any other device is "not found" (404) to them,
//! as if it did not exist, so a user learns nothing of devices that are not theirs. Users have
//! only the `/v1/me/...` routes.

use crate::domain::{CommandId, CommandSpec, DeviceId, DeviceState};
use crate::error::{Error, StoreError};
use crate::ports::{Principal, Query};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{DirectoryRecord, from_item};
use crate::usecases::fleet::commands::{self, QueueCommandRequest};
use crate::usecases::fleet::views::{CommandView, DeviceSummary, Listing};
use crate::usecases::{USERS, require_role};

/// Most devices one user's listing returns (a person has a handful).
const MAX_OWNED: usize = 100;

/// The commands a user may send to their own devices.
pub fn is_self_service(command: &CommandSpec) -> bool {
    matches!(
        command,
        CommandSpec::Lock { .. }
            | CommandSpec::Locate {}
            | CommandSpec::ResetPasscode { .. }
            | CommandSpec::Wipe { .. }
    )
}

/// The user's devices (retired ones left out), by device id.
pub async fn devices(svc: &Services, who: &Principal) -> Result<Listing<DeviceSummary>, Error> {
    require_role(who, USERS, "list their own devices")?;
    let mut q = Query::prefix(keys::owned_pk(&who.tenant, &who.subject), "");
    q.limit = MAX_OWNED;
    let page = svc.table.query(q).await?;
    let mut items = Vec::new();
    for item in &page.items {
        let d = DeviceId::parse(&item.key.sk)
            .map_err(|_| StoreError::Corrupt(format!("owned key {}", item.key.sk)))?;
        if let Some(entry) = svc
            .table
            .get(&keys::directory(&who.tenant, &d), false)
            .await?
        {
            let entry: DirectoryRecord = from_item(&entry)?;
            if entry.owner.as_deref() == Some(who.subject.as_str())
                && entry.state != DeviceState::Retired
            {
                items.push(DeviceSummary::new(d.as_str(), &entry));
            }
        }
    }
    Ok(Listing {
        items,
        next_cursor: None,
    })
}

/// The device, if it is the caller's; otherwise "not found", as if it did not exist.
async fn own(svc: &Services, who: &Principal, d: &DeviceId) -> Result<DirectoryRecord, Error> {
    require_role(who, USERS, "act on their own devices")?;
    let entry = svc
        .table
        .get(&keys::directory(&who.tenant, d), true)
        .await?
        .map(|i| from_item::<DirectoryRecord>(&i))
        .transpose()?;
    match entry {
        Some(e) if e.owner.as_deref() == Some(who.subject.as_str()) => Ok(e),
        _ => Err(Error::NotFound("device")),
    }
}

/// Lock, locate, reset the passcode of or wipe one's own device.
pub async fn queue(
    svc: &Services,
    who: &Principal,
    d: &DeviceId,
    req: QueueCommandRequest,
) -> Result<CommandView, Error> {
    own(svc, who, d).await?;
    if !is_self_service(&req.command) {
        return Err(Error::Forbidden(
            "send anything but lock, locate, reset_passcode or wipe to their own devices".into(),
        ));
    }
    commands::queue_for(svc, who, d, req).await
}

/// Report one's own device lost: lost mode, locate and lock.
pub async fn report_lost(
    svc: &Services,
    who: &Principal,
    d: &DeviceId,
    req: crate::usecases::fleet::lost::LostRequest,
) -> Result<crate::usecases::fleet::lost::LostReply, Error> {
    own(svc, who, d).await?;
    crate::usecases::fleet::lost::report_for(svc, who, d, req).await
}

/// A command of one's own device, with its result (a locate's position, for instance).
pub async fn command(
    svc: &Services,
    who: &Principal,
    d: &DeviceId,
    c: &CommandId,
) -> Result<CommandView, Error> {
    own(svc, who, d).await?;
    commands::get_for(svc, who, d, c).await
}
