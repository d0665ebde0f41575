//! The enrolment profile: what a user opens on an iPhone, iPad or Mac to enrol it with an
//! enrollment token. It carries a SCEP payload with a one-time challenge bound to the token
//! (spent when the identity certificate is issued) and the MDM payload naming this server.

use mdm_apple::profile::{self, MdmSettings, Profile, ScepSettings};
use serde_json::json;

use super::records::ChallengeRecord;
use super::{enrolment_profile_identifier, uuid_from};
use crate::domain::time::{DAY_SECS, secs_from_ms};
use crate::domain::{EnrollmentSecret, Platform, TenantId};
use crate::error::Error;
use crate::ports::{Cond, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{EnrollmentTokenRecord, from_item, to_item};
use crate::usecases::{tenancy::audit, tenancy::tenants};

/// How long a profile's challenge may wait for its SCEP request: the device asks within
/// seconds of the profile's installation, which a user may put off for a while.
pub const CHALLENGE_TTL_MS: i64 = 3_600_000;

/// What the MDM payload asks for: every access right (queries, profiles, apps, security,
/// restrictions, erase and lock among them) — the server's commands need them.
pub const ACCESS_RIGHTS: i64 = mdm_apple::profile::ALL_ACCESS_RIGHTS;

/// The capabilities announced in the MDM payload.
pub const SERVER_CAPABILITIES: &[&str] = &["com.apple.mdm.per-user-connections"];

/// The server's Apple endpoints for a tenant: SCEP where the profile came from (`server`,
/// scheme and host), the device endpoints there too or at `devices` (a mutual-TLS domain,
/// usable once the device holds its identity).
pub struct Urls {
    pub scep: String,
    pub checkin: String,
    pub server: String,
}

impl Urls {
    pub fn new(server: &str, devices: Option<&str>, t: &TenantId) -> Self {
        let base = |host: &str| format!("{}/apple/{t}", host.trim_end_matches('/'));
        let device_base = base(devices.unwrap_or(server));
        Self {
            scep: format!("{}/scep", base(server)),
            checkin: format!("{device_base}/checkin"),
            server: format!("{device_base}/mdm"),
        }
    }
}

/// The enrolment profile for an enrollment token, with a fresh challenge.
pub async fn profile(svc: &Services, raw_token: &str, server: &str) -> Result<Vec<u8>, Error> {
    let token = EnrollmentSecret::parse(raw_token)?;
    let t = token.tenant.clone();
    tenants::admit(svc, &t).await?;
    let now = svc.now();
    let issued: EnrollmentTokenRecord = svc
        .table
        .get(&keys::enrollment_token(&t, &token.token), true)
        .await?
        .map(|i| from_item(&i))
        .transpose()?
        .ok_or(Error::EnrollmentTokenInvalid)?;
    let usable = issued.secret_hash == token.secret_hash()
        && !issued.revoked
        && issued.expires_at > now
        && issued.remaining >= 1;
    if !usable {
        return Err(Error::EnrollmentTokenInvalid);
    }
    let topic = push_topic(svc, &t).await?;
    // The CA exists before the device asks for it (GetCACert follows the profile at once).
    super::ca::authority(svc, &t).await?;
    let challenge = svc.ids.secret();
    let expires_at = (now + CHALLENGE_TTL_MS).min(issued.expires_at);
    let record = ChallengeRecord {
        token: issued.id.clone(),
        expires_at,
        ttl: secs_from_ms(expires_at) + DAY_SECS,
        spent: None,
    };
    let hash = crate::domain::credential::hash(&challenge);
    svc.table
        .transact(vec![
            WriteOp::Put {
                item: to_item(keys::scep_challenge(&t, &hash), &record),
                cond: Some(Cond::NotExists),
            },
            audit::entry_by(
                svc,
                &t,
                &format!("enrollment_token/{}", issued.id),
                "device",
                "apple.profile_issued",
                format!("enrollment_token/{}", issued.id),
                Some(json!({"challenge_expires_at": crate::domain::time::rfc3339(expires_at)})),
            ),
        ])
        .await?;
    let urls = Urls::new(server, svc.settings.apple_device_url.as_deref(), &t);
    let scep_uuid = uuid_from(&format!("scep:{hash}"));
    let scep = profile::scep_payload(&ScepSettings {
        url: urls.scep,
        name: Some(format!("mdm-{t}")),
        subject: vec![
            ("O".into(), t.to_string()),
            ("CN".into(), "MDM device identity".into()),
        ],
        challenge,
        key_size: 2048,
        uuid: scep_uuid.clone(),
        identifier: format!("{}.scep", enrolment_profile_identifier(&t)),
    });
    let mdm = profile::mdm_payload(&MdmSettings {
        server_url: urls.server,
        check_in_url: Some(urls.checkin),
        topic,
        identity_certificate_uuid: scep_uuid,
        access_rights: ACCESS_RIGHTS,
        sign_message: true,
        check_out_when_removed: true,
        server_capabilities: SERVER_CAPABILITIES
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
        uuid: uuid_from(&format!("mdm:{hash}")),
        identifier: format!("{}.mdm", enrolment_profile_identifier(&t)),
    });
    let body = profile::render(&Profile {
        identifier: enrolment_profile_identifier(&t),
        uuid: uuid_from(&format!("profile:{hash}")),
        display_name: "Device management".into(),
        organization: Some(t.to_string()),
        description: Some("Enrols this device in its organisation's device management.".into()),
        removal_disallowed: false,
        payloads: vec![scep, mdm],
    });
    // Signed when the tenant has an identity for it: the device then names the signer.
    match super::signing::load(svc, &t).await? {
        Some(identity) => identity
            .sign(&body)
            .map_err(|e| Error::Internal(format!("profile signature: {e}"))),
        None => Ok(body),
    }
}

/// The APNs topic of the tenant's MDM push certificate (`com.apple.mgmt.External.<uuid>`),
/// from its push settings for Apple devices.
pub async fn push_topic(svc: &Services, t: &TenantId) -> Result<String, Error> {
    let Some(item) = svc
        .table
        .get(&keys::push_config(t, Platform::Ios), true)
        .await?
    else {
        return Err(Error::ApplePushNotConfigured);
    };
    let config: crate::usecases::tenancy::push_config::PushConfigRecord = from_item(&item)?;
    // The topic read from the certificate's subject when it was set.
    if let Some(cert) = &config.certificate
        && cert.topic.starts_with("com.apple.mgmt.")
    {
        return Ok(cert.topic.clone());
    }
    let Some(doc) = svc.secrets.get(&config.secret).await? else {
        return Err(Error::ApplePushNotConfigured);
    };
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap_or_default();
    // An APNs document has the topic at its top; an SNS one carries the relayed document.
    let topic = doc
        .get("topic")
        .or_else(|| doc.pointer("/credentials/topic"))
        .and_then(|v| v.as_str())
        .filter(|t| t.starts_with("com.apple.mgmt."));
    topic
        .map(str::to_owned)
        .ok_or(Error::ApplePushNotConfigured)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scep_stays_where_the_profile_came_from_and_device_endpoints_follow_the_device_url() {
        let t = TenantId::parse("acme").unwrap();
        let same = Urls::new("https://mdm.example.com/", None, &t);
        assert_eq!(same.scep, "https://mdm.example.com/apple/acme/scep");
        assert_eq!(same.checkin, "https://mdm.example.com/apple/acme/checkin");
        assert_eq!(same.server, "https://mdm.example.com/apple/acme/mdm");
        let mtls = Urls::new(
            "https://mdm.example.com",
            Some("https://devices.example.com"),
            &t,
        );
        assert_eq!(mtls.scep, "https://mdm.example.com/apple/acme/scep");
        assert_eq!(
            mtls.checkin,
            "https://devices.example.com/apple/acme/checkin"
        );
        assert_eq!(mtls.server, "https://devices.example.com/apple/acme/mdm");
    }
}
