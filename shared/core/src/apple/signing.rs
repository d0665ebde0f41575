//! The tenant's profile-signing identity: when an admin has set one, enrolment profiles are
//! served signed with it (CMS SignedData), so a device shows who the profile comes from
//! instead of "unsigned". The certificate and key live in the secret store; the table keeps
//! what admins may read (subject, fingerprint, expiry).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::hex;
use crate::domain::TenantId;
use crate::domain::time::ms_from_secs;
use crate::domain::time::rfc3339;
use crate::error::Error;
use crate::ports::{Principal, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{from_item, to_item};
use crate::usecases::{ADMINS, READERS, require_role, tenancy::audit};

/// Largest PEM accepted: a certificate, two issuers and a 4096-bit key.
pub const MAX_PEM_BYTES: usize = 16 * 1024;

/// What an admin sends.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSigningIdentity {
    /// The signer's certificate first, then its issuers, as PEM.
    pub certificate_pem: String,
    /// The certificate's RSA private key (PKCS#8 or PKCS#1 PEM); never returned.
    pub private_key_pem: String,
}

/// What the table keeps, and admins read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigningRecord {
    pub secret: String,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// The certificate's end of validity (ms).
    pub not_after: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SigningIdentityView {
    /// The signer certificate's common name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// SHA-256 of the signer certificate, hex.
    pub fingerprint: String,
    pub expires_at: String,
    pub updated_at: String,
    pub updated_by: String,
}

impl From<SigningRecord> for SigningIdentityView {
    fn from(r: SigningRecord) -> Self {
        Self {
            common_name: r.common_name,
            fingerprint: r.fingerprint,
            expires_at: rfc3339(r.not_after),
            updated_at: rfc3339(r.updated_at),
            updated_by: r.updated_by,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredIdentity {
    certificate_pem: String,
    private_key_pem: String,
}

pub fn secret_name(t: &TenantId) -> String {
    format!("tenants/{t}/apple/signing-identity")
}

pub async fn set(
    svc: &Services,
    who: &Principal,
    req: SetSigningIdentity,
) -> Result<SigningIdentityView, Error> {
    require_role(who, ADMINS, "set the profile-signing identity")?;
    for (field, pem) in [
        ("certificate_pem", &req.certificate_pem),
        ("private_key_pem", &req.private_key_pem),
    ] {
        if pem.len() > MAX_PEM_BYTES {
            return Err(Error::invalid_field(
                field,
                format!("must be at most {MAX_PEM_BYTES} bytes"),
            ));
        }
    }
    let identity = mdm_pki::SigningIdentity::from_pem(&req.certificate_pem, &req.private_key_pem)
        .map_err(|e| {
        let field = if e.to_string().contains("key") {
            "private_key_pem"
        } else {
            "certificate_pem"
        };
        Error::invalid_field(field, e.to_string())
    })?;
    let now = svc.now();
    if ms_from_secs(identity.not_after) <= now {
        return Err(Error::invalid_field(
            "certificate_pem",
            "the certificate has expired",
        ));
    }
    let t = &who.tenant;
    let secret = secret_name(t);
    let stored = StoredIdentity {
        certificate_pem: req.certificate_pem,
        private_key_pem: req.private_key_pem,
    };
    svc.secrets
        .put(&secret, &serde_json::to_string(&stored).unwrap_or_default())
        .await?;
    let record = SigningRecord {
        secret,
        fingerprint: hex(&identity.fingerprint),
        common_name: identity.common_name.clone(),
        not_after: ms_from_secs(identity.not_after),
        updated_at: now,
        updated_by: who.subject.clone(),
    };
    svc.table
        .transact(vec![
            WriteOp::Put {
                item: to_item(keys::apple_signing(t), &record),
                cond: None,
            },
            audit::entry(
                svc,
                who,
                "apple.signing_identity.set",
                "apple/signing-identity".into(),
                Some(json!({"fingerprint": record.fingerprint, "common_name": record.common_name})),
            ),
        ])
        .await?;
    Ok(record.into())
}

pub async fn get(svc: &Services, who: &Principal) -> Result<SigningIdentityView, Error> {
    require_role(who, READERS, "read the profile-signing identity")?;
    let item = svc
        .table
        .get(&keys::apple_signing(&who.tenant), false)
        .await?
        .ok_or(Error::NotFound("signing identity"))?;
    Ok(from_item::<SigningRecord>(&item)?.into())
}

/// Removes the identity: profiles are served unsigned again.
pub async fn delete(svc: &Services, who: &Principal) -> Result<(), Error> {
    require_role(who, ADMINS, "remove the profile-signing identity")?;
    let t = &who.tenant;
    if svc
        .table
        .get(&keys::apple_signing(t), true)
        .await?
        .is_none()
    {
        return Err(Error::NotFound("signing identity"));
    }
    svc.secrets.delete(&secret_name(t)).await?;
    svc.table
        .transact(vec![
            WriteOp::Delete {
                key: keys::apple_signing(t),
                cond: None,
            },
            audit::entry(
                svc,
                who,
                "apple.signing_identity.delete",
                "apple/signing-identity".into(),
                None,
            ),
        ])
        .await?;
    Ok(())
}

/// The tenant's identity, if it has one, to sign a profile with.
pub async fn load(svc: &Services, t: &TenantId) -> Result<Option<mdm_pki::SigningIdentity>, Error> {
    let Some(item) = svc.table.get(&keys::apple_signing(t), false).await? else {
        return Ok(None);
    };
    let record: SigningRecord = from_item(&item)?;
    let Some(stored) = svc.secrets.get(&record.secret).await? else {
        return Ok(None);
    };
    let stored: StoredIdentity = serde_json::from_str(&stored)
        .map_err(|e| Error::Internal(format!("stored signing identity: {e}")))?;
    mdm_pki::SigningIdentity::from_pem(&stored.certificate_pem, &stored.private_key_pem)
        .map(Some)
        .map_err(|e| Error::Internal(format!("stored signing identity: {e}")))
}
