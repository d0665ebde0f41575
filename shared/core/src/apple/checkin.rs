//! Apple's check-in messages (the CheckInURL): Authenticate binds the device's UDID to its
//! identity certificate; the first TokenUpdate creates the device (later ones rotate its push
//! token); CheckOut revokes it; the Bootstrap Token is kept as a secret. Messages of a macOS
//! user channel are recognised and not taken for the device's.

use mdm_apple::checkin::{self, Authenticate, CheckinMessage, TokenUpdate};
use serde_json::json;

use super::identity::{Admit, AppleIdentity, Proof};
use super::records::{AppleEnrolmentRecord, attr as apple_attr};
use super::{b64, bootstrap_token_secret, format_error, hex, unb64, unlock_token_secret};
use crate::domain::{
    Channel, CheckinRequest, CommandId, CommandSpec, DeviceCredential, EnrollmentTokenId, Platform,
    TenantId,
};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::attr;
use crate::store::records::from_item;
use crate::usecases::device::enrollment::{self, Admission, NewDevice};
use crate::usecases::{fleet::devices, tenancy::audit};

/// Handles one check-in message; the answer is a plist body, or none (an empty 200).
pub async fn handle(
    svc: &Services,
    tenant: &TenantId,
    proof: Proof<'_>,
    body: &[u8],
    admit: Admit<'_>,
) -> Result<Option<Vec<u8>>, Error> {
    let id = super::identity::authenticate(svc, tenant, proof, body, admit).await?;
    let message = checkin::parse(body).map_err(format_error)?;
    let who = message.enrollment();
    if who.is_user_channel() {
        // A macOS user's channel: this server manages devices, not users' channels.
        return match message {
            CheckinMessage::UserAuthenticate(_) => Err(Error::AppleUserChannelUnsupported),
            _ => Ok(None),
        };
    }
    let udid = who
        .device_id()
        .ok_or_else(|| Error::AppleMessageInvalid("UDID: missing".into()))?
        .to_owned();
    match message {
        CheckinMessage::Authenticate(a) => authenticate(svc, &id, &udid, &a).await.map(|()| None),
        CheckinMessage::TokenUpdate(u) => token_update(svc, &id, &udid, &u).await.map(|()| None),
        CheckinMessage::CheckOut(_) => {
            devices::checked_out(svc, &id.credential(&udid)).await?;
            Ok(None)
        }
        CheckinMessage::SetBootstrapToken(s) => {
            let cred = bound(svc, &id, &udid).await?;
            let name = bootstrap_token_secret(&cred.tenant, &cred.device);
            match &s.bootstrap_token {
                Some(token) => svc.secrets.put(&name, &b64(token)).await?,
                None => svc.secrets.delete(&name).await?,
            }
            set_flag(svc, &id, "bootstrap_token", s.bootstrap_token.is_some()).await?;
            Ok(None)
        }
        CheckinMessage::GetBootstrapToken(_) => {
            let cred = bound(svc, &id, &udid).await?;
            let name = bootstrap_token_secret(&cred.tenant, &cred.device);
            let token = match svc.secrets.get(&name).await? {
                Some(v) => Some(unb64(&v)?),
                None => None,
            };
            Ok(Some(checkin::bootstrap_token_response(token.as_deref())))
        }
        CheckinMessage::DeclarativeManagement(_) => Err(Error::AppleMessageUnsupported(
            "declarative management".into(),
        )),
        CheckinMessage::GetToken(_) => Err(Error::AppleMessageUnsupported("GetToken".into())),
        CheckinMessage::UserAuthenticate(_) => Err(Error::AppleUserChannelUnsupported),
    }
}

/// The enrolment record of the certificate's device, which must be for this very certificate.
async fn enrolment(svc: &Services, id: &AppleIdentity) -> Result<AppleEnrolmentRecord, Error> {
    let record: AppleEnrolmentRecord = svc
        .table
        .get(&keys::apple_enrolment(&id.tenant, &id.device), true)
        .await?
        .map(|i| from_item(&i))
        .transpose()?
        .ok_or_else(|| Error::AppleIdentityRefused("no enrolment holds this identity".into()))?;
    if record.cert != id.fingerprint {
        return Err(Error::AppleIdentityRefused(
            "this identity certificate is not the one issued for its device".into(),
        ));
    }
    Ok(record)
}

/// The credential of a device whose UDID the certificate is bound to.
async fn bound(svc: &Services, id: &AppleIdentity, udid: &str) -> Result<DeviceCredential, Error> {
    let record = enrolment(svc, id).await?;
    match &record.udid {
        Some(u) if u == udid => Ok(id.credential(udid)),
        Some(_) => Err(another_device()),
        None => Err(Error::AppleIdentityRefused(
            "the device has not authenticated yet".into(),
        )),
    }
}

fn another_device() -> Error {
    Error::AppleIdentityRefused("this identity certificate is bound to another device".into())
}

fn text(field: &str, v: &Option<String>, max: usize) -> Result<(), Error> {
    match v {
        Some(s) if s.is_empty() || s.chars().count() > max || s.chars().any(char::is_control) => {
            Err(Error::AppleMessageInvalid(format!(
                "{field}: must be 1 to {max} printable characters"
            )))
        }
        _ => Ok(()),
    }
}

async fn authenticate(
    svc: &Services,
    id: &AppleIdentity,
    udid: &str,
    a: &Authenticate,
) -> Result<(), Error> {
    if udid.len() > 64 || !udid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(Error::AppleMessageInvalid(
            "UDID: must be 1 to 64 letters, digits or dashes".into(),
        ));
    }
    if let Some(s) = &a.serial_number {
        crate::domain::device::serial("SerialNumber", s)
            .map_err(|_| Error::AppleMessageInvalid("SerialNumber: not a serial number".into()))?;
    }
    for (field, v) in [
        ("Model", &a.model),
        ("ProductName", &a.product_name),
        ("OSVersion", &a.os_version),
        ("BuildVersion", &a.build_version),
        ("DeviceName", &a.device_name),
        ("IMEI", &a.imei),
    ] {
        text(field, v, 100)?;
    }
    let record = enrolment(svc, id).await?;
    if record.udid.as_deref().is_some_and(|u| u != udid) {
        return Err(another_device());
    }
    let set = |u: Update, name: &str, v: &Option<String>| match v {
        Some(v) => u.set(name, v.as_str()),
        None => u,
    };
    let mut update = Update::new()
        .set(apple_attr::UDID, udid)
        .set(attr::AUTHENTICATED_AT, svc.now())
        .set(attr::TOPIC, a.topic.as_str());
    update = set(update, "serial", &a.serial_number);
    update = set(update, "model", &a.model_name.clone().or(a.model.clone()));
    update = set(update, "product_name", &a.product_name);
    update = set(update, "os_version", &a.os_version);
    update = set(update, "build_version", &a.build_version);
    update = set(update, "device_name", &a.device_name);
    update = set(update, "imei", &a.imei.as_ref().map(|i| i.replace(' ', "")));
    let written = svc
        .table
        .update(
            &keys::apple_enrolment(&id.tenant, &id.device),
            update,
            Some(Cond::And(vec![
                Cond::eq(apple_attr::CERT, id.fingerprint.as_str()),
                Cond::Or(vec![
                    Cond::Absent(apple_attr::UDID.into()),
                    Cond::eq(apple_attr::UDID, udid),
                ]),
            ])),
        )
        .await;
    match written {
        Ok(_) => Ok(()),
        // Another Authenticate with another UDID bound the certificate meanwhile.
        Err(StoreError::Precondition { .. }) => Err(another_device()),
        Err(e) => Err(e.into()),
    }
}

async fn token_update(
    svc: &Services,
    id: &AppleIdentity,
    udid: &str,
    u: &TokenUpdate,
) -> Result<(), Error> {
    if u.token.is_empty() || u.token.len() > 100 {
        return Err(Error::AppleMessageInvalid(
            "Token: must be 1 to 100 bytes".into(),
        ));
    }
    crate::domain::device::push_magic(Some(&u.push_magic))
        .map_err(|_| Error::AppleMessageInvalid("PushMagic: not a PushMagic".into()))?;
    let record = enrolment(svc, id).await?;
    let cred = match &record.udid {
        Some(bound) if bound == udid => id.credential(udid),
        Some(_) => return Err(another_device()),
        None => {
            return Err(Error::AppleIdentityRefused(
                "the device has not authenticated yet".into(),
            ));
        }
    };
    if let Some(unlock) = &u.unlock_token {
        svc.secrets
            .put(&unlock_token_secret(&id.tenant, &id.device), &b64(unlock))
            .await?;
        if !record.unlock_token {
            set_flag(svc, id, "unlock_token", true).await?;
        }
    }
    let rotate = CheckinRequest {
        push_token: Some(hex(&u.token)),
        push_magic: Some(u.push_magic.clone()),
        ..Default::default()
    };
    if record.enrolled_at.is_some() {
        crate::usecases::device::checkin::checkin(svc, &cred, rotate).await?;
        return Ok(());
    }
    let Some(issued) =
        enrollment::issued_token(svc, &id.tenant, &EnrollmentTokenId::parse(&record.token)?)
            .await?
    else {
        return Err(Error::EnrollmentTokenInvalid);
    };
    let is_mac = [&record.product_name, &record.model]
        .iter()
        .any(|n| n.as_deref().is_some_and(super::inventory::is_mac_product));
    let new = NewDevice {
        channel: Channel::Apple,
        platform: if is_mac {
            Platform::Macos
        } else {
            Platform::Ios
        },
        model: record
            .product_name
            .clone()
            .or(record.model.clone())
            .unwrap_or_else(|| "Apple device".into()),
        os_version: record
            .os_version
            .clone()
            .unwrap_or_else(|| "unknown".into()),
        serial: record.serial.clone().unwrap_or_else(|| udid.to_owned()),
        imei: record.imei.clone().filter(|i| !i.is_empty()),
        imsi: None,
        phone_number: None,
        push_token: hex(&u.token),
        push_magic: Some(u.push_magic.clone()),
    };
    let now = svc.now();
    let admission = Admission::Prepared(WriteOp::Update {
        key: keys::apple_enrolment(&id.tenant, &id.device),
        update: Update::new()
            .set(apple_attr::ENROLLED_AT, now)
            .remove(crate::store::records::attr::TTL),
        cond: Some(Cond::And(vec![
            Cond::eq(apple_attr::CERT, id.fingerprint.as_str()),
            Cond::eq(apple_attr::UDID, udid),
            Cond::Absent(apple_attr::ENROLLED_AT.into()),
        ])),
    });
    let detail = json!({"udid": udid, "serial": record.serial, "topic": u.topic});
    let extra = vec![audit::entry_by(
        svc,
        &id.tenant,
        &format!("device/{}", id.device),
        "device",
        "apple.enrolled",
        format!("device/{}", id.device),
        Some(detail),
    )];
    let platform = new.platform;
    match enrollment::create_device(svc, &cred, &issued, new, admission, extra).await {
        Ok(()) => {
            // What an MDM asks a device first: its inventory (OS, SIM, security state, apps),
            // which rules need before they can judge it. The device is enrolled whatever
            // happens here; an admin can still ask for it.
            if let Err(e) = first_inventory(svc, &cred, platform).await {
                tracing::warn!(error = %e, device = %cred.device, "the enrolment inventory was not queued");
            }
            Ok(())
        }
        // A TokenUpdate that raced this one created the device: this one is a rotation.
        Err(Error::EnrollmentTokenInvalid) => {
            crate::usecases::device::checkin::checkin(svc, &cred, rotate).await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

async fn set_flag(svc: &Services, id: &AppleIdentity, name: &str, on: bool) -> Result<(), Error> {
    let update = if on {
        Update::new().set(name, true)
    } else {
        Update::new().remove(name)
    };
    svc.table
        .update(
            &keys::apple_enrolment(&id.tenant, &id.device),
            update,
            Some(Cond::eq(apple_attr::CERT, id.fingerprint.as_str())),
        )
        .await?;
    Ok(())
}

/// Queues the inventory refresh every Apple device gets at enrolment, as the system.
async fn first_inventory(
    svc: &Services,
    cred: &DeviceCredential,
    platform: Platform,
) -> Result<(), Error> {
    use crate::usecases::fleet::commands::{new_record, queue_many_writes, send_wakes};
    use crate::usecases::tenancy::audit::SYSTEM_ACTOR;
    let (t, d) = (&cred.tenant, &cred.device);
    let ttl = svc.settings.default_command_ttl_secs;
    let record = new_record(svc, SYSTEM_ACTOR, CommandSpec::RefreshInventory {}, ttl);
    let mut ops = queue_many_writes(t, d, std::slice::from_ref(&record), Some(platform));
    ops.push(audit::entry_by(
        svc,
        t,
        SYSTEM_ACTOR,
        SYSTEM_ACTOR,
        "apple.inventory_requested",
        format!("device/{d}"),
        Some(json!({"command": record.id})),
    ));
    svc.table.transact(ops).await?;
    send_wakes(svc, t, &[(d.clone(), CommandId::from_generated(record.id))]).await;
    Ok(())
}
