//! Per-tenant push settings: which provider wakes the tenant's devices of each platform, with the
//! credentials in the secret store and only a reference (and a fingerprint) in the table.
//!
//! Each tenant brings its own credentials and picks, per platform, who delivers its wake-ups
//! (`PUT /v1/push-config/{android|ios}` `{"provider", "credentials"}`, admins): `fcm` (FCM HTTP
//! v1 with a service-account JSON, Android), `apns` (APNs over HTTP/2 with an MDM push
//! certificate, or a `.p8` token key for an agent app; Apple) or `sns` (either platform relayed
//! by SNS mobile push, with the same credentials). Macs are woken with the `ios` settings (one
//! APNs MDM certificate serves every Apple device), so `macos` is `400 invalid_field`.
//! Credentials (a JSON object of at most 12 KiB) are checked when given (a bad key is `400
//! invalid_field`), stored in the secret store (Secrets Manager as
//! `<MDM_SECRET_PREFIX>tenants/<tenant>/push/<platform>` on AWS, owner-only files in `<data
//! dir>/secrets/` locally) and never returned: `GET /v1/push-config` shows the provider, a
//! fingerprint and who changed it when. With `sns`, setting them creates the platform application
//! `<MDM_SNS_APP_PREFIX><tenant>-<platform>` and the wake consumer registers each device token as
//! an endpoint of it. Apple MDM wake-ups carry the device's PushMagic, which the device sends as
//! `push_magic` with its `push_token` at enrolment and check-in. Until a tenant has push
//! settings, its devices get commands at their next check-in (locally: the push sink). The wake
//! consumer caches a tenant's settings for 60 s.
//!
//! An APNs push certificate (certificate mode, directly or through SNS) is read when set: its
//! topic is the subject's UID (`com.apple.mgmt.External.<uuid>`), and credentials naming another
//! topic are refused (`400 invalid_field` on `credentials.topic`), as is an expired certificate
//! (on `credentials.auth.cert_pem`). A certificate without a UID (not one Apple issued for MDM: a
//! test certificate) is taken at its word. `GET /v1/push-config` then shows the certificate's
//! `topic`, `certificate_expires_at` and `certificate_days_left` (never the key), and its expiry
//! is warned about (see `push_cert_warnings`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::domain::push_certificate::{self, MDM_TOPIC_PREFIX, Warning};
use crate::domain::time::rfc3339;
use crate::domain::{Platform, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Principal, PushProvider, Query, Table, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{from_item, to_item};
use crate::usecases::{ADMINS, READERS, require_role, tenancy::audit, tenancy::push_cert_warnings};

/// Largest credentials document accepted (an APNs certificate and key are about 5 KB).
pub const MAX_CREDENTIALS_BYTES: usize = 12 * 1024;

/// What an admin sends to configure push for one platform.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPushConfig {
    pub provider: PushProvider,
    /// The provider's credentials: a Google service-account JSON for FCM, the APNs document
    /// (certificate or token mode) for Apple; for SNS, the same for the relayed provider.
    #[schemars(with = "serde_json::Map<String, Value>")]
    pub credentials: Value,
}

/// The stored settings of one platform; the credentials themselves are in the secret store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushConfigRecord {
    pub platform: Platform,
    pub provider: PushProvider,
    /// The secret store name holding the credentials.
    pub secret: String,
    /// SHA-256 of the credentials, so a reader can tell a stale cached secret from the
    /// current one.
    pub fingerprint: String,
    pub updated_at: i64,
    pub updated_by: String,
    /// What the provider prepared (e.g. the SNS platform application ARN).
    #[serde(default)]
    pub attrs: Map<String, Value>,
    /// What the APNs push certificate says, in certificate mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateRecord>,
}

/// The item attribute holding `PushConfigRecord::certificate`.
pub const CERTIFICATE_ATTR: &str = "certificate";

/// An APNs push certificate's public facts; never its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateRecord {
    /// The certificate's topic (its subject's UID, which the credentials' topic must equal).
    pub topic: String,
    /// notAfter, epoch milliseconds.
    pub expires_at: i64,
    /// The expiry warning to fire next; None once the last fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_warning: Option<Warning>,
}

/// The settings as API readers see them: no secret material.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PushConfigView {
    pub platform: Platform,
    pub provider: PushProvider,
    pub fingerprint: String,
    pub updated_at: String,
    pub updated_by: String,
    pub attrs: Map<String, Value>,
    /// APNs certificate mode: the push certificate's topic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// APNs certificate mode: when the push certificate expires (RFC 3339). Warnings go out
    /// 30, 7 and 1 days before (`push_certificate.expiring`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_expires_at: Option<String>,
    /// APNs certificate mode: whole days until then, rounded up; 0 once expired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_days_left: Option<i64>,
}

impl PushConfigView {
    /// The settings as seen at `now` (which the days left depend on).
    pub fn at(r: PushConfigRecord, now: i64) -> Self {
        let cert = r.certificate.as_ref();
        Self {
            platform: r.platform,
            provider: r.provider,
            fingerprint: r.fingerprint,
            updated_at: rfc3339(r.updated_at),
            updated_by: r.updated_by,
            attrs: r.attrs,
            topic: cert.map(|c| c.topic.clone()),
            certificate_expires_at: cert.map(|c| rfc3339(c.expires_at)),
            certificate_days_left: cert.map(|c| push_certificate::days_left(c.expires_at, now)),
        }
    }
}

/// The secret store name of a tenant's credentials for a platform.
pub fn secret_name(tenant: &TenantId, platform: Platform) -> String {
    format!("tenants/{tenant}/push/{}", platform.as_str())
}

pub fn fingerprint(credentials: &str) -> String {
    crate::domain::credential::hash(credentials)
}

/// Reads the APNs push certificate of certificate-mode credentials for Apple devices (APNs
/// directly or relayed by SNS). None for other credentials, and for documents missing what is
/// read here: the provider's own check names what they lack.
///
/// A certificate whose subject has no UID is accepted as it is (its topic cannot be checked
/// here; APNs refuses pushes to a topic a certificate is not for): Apple's MDM push
/// certificates all carry one, so only self-made certificates (tests, test servers) lack it.
fn certificate_of(
    platform: Platform,
    provider: PushProvider,
    credentials: &Value,
    now: i64,
) -> Result<Option<CertificateRecord>, Error> {
    if platform != Platform::Ios || provider == PushProvider::Fcm {
        return Ok(None);
    }
    let text = |pointer: &str| credentials.pointer(pointer).and_then(Value::as_str);
    let (Some("certificate"), Some(pem), Some(topic)) =
        (text("/auth/mode"), text("/auth/cert_pem"), text("/topic"))
    else {
        return Ok(None);
    };
    let field = "credentials.auth.cert_pem";
    let facts = push_certificate::read(pem).map_err(|m| Error::invalid_field(field, m))?;
    if facts.not_after <= now {
        return Err(Error::invalid_field(
            field,
            format!(
                "the push certificate expired at {}",
                rfc3339(facts.not_after)
            ),
        ));
    }
    if let Some(uid) = &facts.uid
        && topic.starts_with(MDM_TOPIC_PREFIX)
        && uid != topic
    {
        return Err(Error::invalid_field(
            "credentials.topic",
            format!("must be the push certificate's topic, {uid}"),
        ));
    }
    Ok(Some(CertificateRecord {
        topic: topic.to_owned(),
        expires_at: facts.not_after,
        next_warning: push_certificate::next_warning(facts.not_after, now, None),
    }))
}

/// Checks and stores the credentials, then records the settings and the audit entry together.
pub async fn set(
    svc: &Services,
    who: &Principal,
    platform: Platform,
    req: SetPushConfig,
) -> Result<PushConfigView, Error> {
    require_role(who, ADMINS, "configure push providers")?;
    if platform != platform.push_settings() {
        return Err(Error::invalid_field(
            "platform",
            format!(
                "{} devices are woken with the {} push settings: set those",
                platform.as_str(),
                platform.push_settings().as_str()
            ),
        ));
    }
    if !req.provider.serves(platform) {
        return Err(Error::invalid_field(
            "provider",
            format!(
                "{} cannot wake {} devices",
                req.provider.as_str(),
                platform.as_str()
            ),
        ));
    }
    if !req.credentials.is_object() {
        return Err(Error::invalid_field("credentials", "must be a JSON object"));
    }
    let credentials = req.credentials.to_string();
    if credentials.len() > MAX_CREDENTIALS_BYTES {
        return Err(Error::invalid_field(
            "credentials",
            format!("must be at most {MAX_CREDENTIALS_BYTES} bytes"),
        ));
    }
    let now = svc.now();
    let certificate = certificate_of(platform, req.provider, &req.credentials, now)?;
    let attrs = svc
        .push_providers
        .prepare(&who.tenant, platform, req.provider, &credentials)
        .await?;
    // Read before replacing: its pending expiry warning goes with it.
    let previous = svc
        .table
        .get(&keys::push_config(&who.tenant, platform), true)
        .await?
        .map(|item| from_item::<PushConfigRecord>(&item))
        .transpose()?;
    let secret = secret_name(&who.tenant, platform);
    svc.secrets.put(&secret, &credentials).await?;
    let record = PushConfigRecord {
        platform,
        provider: req.provider,
        secret,
        fingerprint: fingerprint(&credentials),
        updated_at: now,
        updated_by: who.subject.clone(),
        attrs,
        certificate,
    };
    let mut detail = json!({"provider": req.provider.as_str(), "fingerprint": record.fingerprint});
    if let Some(cert) = &record.certificate {
        detail["topic"] = json!(cert.topic);
        detail["certificate_expires_at"] = json!(rfc3339(cert.expires_at));
    }
    let mut ops = vec![
        WriteOp::Put {
            item: to_item(keys::push_config(&who.tenant, platform), &record),
            cond: None,
        },
        audit::entry(
            svc,
            who,
            "push_config.set",
            format!("push_config/{}", platform.as_str()),
            Some(detail),
        ),
    ];
    ops.extend(push_cert_warnings::reschedule(
        &who.tenant,
        previous.as_ref(),
        &record,
    ));
    svc.table.transact(ops).await?;
    Ok(PushConfigView::at(record, now))
}

/// Every platform's settings of the caller's tenant.
pub async fn list(svc: &Services, who: &Principal) -> Result<Vec<PushConfigView>, Error> {
    require_role(who, READERS, "read push settings")?;
    let page = svc
        .table
        .query(Query::prefix(
            keys::tenant(&who.tenant).pk,
            keys::PUSH_PREFIX,
        ))
        .await?;
    let now = svc.now();
    page.items
        .iter()
        .map(|item| Ok(PushConfigView::at(from_item(item)?, now)))
        .collect()
}

/// The settings the wake consumer follows for a device's platform, if any.
pub async fn load(
    table: &dyn Table,
    tenant: &TenantId,
    platform: Platform,
) -> Result<Option<PushConfigRecord>, StoreError> {
    table
        .get(&keys::push_config(tenant, platform), false)
        .await?
        .map(|item| from_item(&item))
        .transpose()
}
