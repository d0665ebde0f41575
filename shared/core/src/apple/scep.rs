//! SCEP (RFC 8894) for a tenant: its capabilities, its CA certificate, and PKIOperation, which
//! checks and spends the profile's challenge (one use of its enrollment token), allocates the
//! device's id and issues its identity certificate, all in one transaction.

use mdm_pki::scep::{self, MessageType, PkiRequest, ScepPolicy};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::records::{AppleEnrolmentRecord, ChallengeRecord, SpentChallenge, attr as apple_attr};
use super::{b64, hex, unb64};
use crate::domain::time::{ms_from_secs, secs_from_ms};
use crate::domain::{DeviceId, EnrollmentTokenId, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cmp, Cond, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{attr, from_item, to_item};
use crate::usecases::{tenancy::audit, tenancy::tenants};

/// How long an identity certificate is valid. A device re-enrols (or renews) before then.
pub const IDENTITY_VALID_SECS: i64 = 365 * 86_400;

/// How long an identity waits for its device's first TokenUpdate before its enrolment record
/// expires (a profile installed and abandoned half-way).
pub const UNFINISHED_ENROLMENT_SECS: i64 = 7 * 86_400;

/// Clock skew allowed between a device and this server for a fresh certificate.
const BACKDATE_SECS: i64 = 300;

/// The tenant's SCEP policy: what devices and common clients send (DES, 3DES, AES; SHA-1,
/// SHA-256; RSA keys of 1024 bits or more) unless the tenant asks for modern algorithms only.
pub async fn policy(svc: &Services, t: &TenantId) -> Result<ScepPolicy, Error> {
    let modern_only = crate::usecases::tenancy::tenant_record::load(svc, t, false)
        .await?
        .is_some_and(|r| r.apple_modern_crypto_only);
    Ok(ScepPolicy {
        modern_only,
        min_key_bits: if modern_only { 2048 } else { 1024 },
    })
}

pub async fn capabilities(svc: &Services, t: &TenantId) -> Result<String, Error> {
    Ok(scep::ca_caps(&policy(svc, t).await?))
}

/// GetCACert: the tenant's CA certificate (DER), created on first use.
pub async fn ca_certificate(svc: &Services, t: &TenantId) -> Result<Vec<u8>, Error> {
    tenants::admit(svc, t).await?;
    Ok(super::ca::authority(svc, t).await?.certificate_der())
}

/// PKIOperation: answers a PKCSReq with a CertRep holding the device's identity certificate.
pub async fn pki_operation(svc: &Services, t: &TenantId, message: &[u8]) -> Result<Vec<u8>, Error> {
    tenants::admit(svc, t).await?;
    let ca = super::ca::authority(svc, t).await?;
    let policy = policy(svc, t).await?;
    let req = scep::parse_request(message, &ca, &policy)
        .map_err(|e| Error::ScepRequestInvalid(format!("PKIOperation refused: {e}")))?;
    if req.message_type != MessageType::PkcsReq {
        return Err(Error::ScepRequestInvalid(
            "only PKCSReq is served: enrol again with a new profile to renew an identity".into(),
        ));
    }
    let challenge = req
        .challenge
        .as_deref()
        .ok_or(Error::ScepChallengeInvalid)?;
    let challenge_key = keys::scep_challenge(t, &crate::domain::credential::hash(challenge));
    let found: ChallengeRecord = svc
        .table
        .get(&challenge_key, true)
        .await?
        .map(|i| from_item(&i))
        .transpose()?
        .ok_or(Error::ScepChallengeInvalid)?;
    let csr_hash = hex(&Sha256::digest(&req.csr_der));
    if let Some(spent) = &found.spent {
        // The same request again (its answer was lost): the same certificate again.
        if spent.transaction == req.transaction_id && spent.csr == csr_hash {
            return answer(&ca, &req, &unb64(&spent.cert)?);
        }
        return Err(Error::ScepChallengeInvalid);
    }
    let now = svc.now();
    if found.expires_at <= now {
        return Err(Error::ScepChallengeInvalid);
    }
    let token = EnrollmentTokenId::parse(&found.token)?;
    let device = DeviceId::from_generated(svc.ids.id(now));
    let not_after = secs_from_ms(now) + IDENTITY_VALID_SECS;
    let cert = ca
        .issue(
            &req.csr,
            device.as_str(),
            t.as_str(),
            secs_from_ms(now) - BACKDATE_SECS,
            not_after,
        )
        .map_err(|e| Error::ScepRequestInvalid(format!("certificate refused: {e}")))?;
    let fingerprint = hex(&Sha256::digest(&cert));
    let spent = SpentChallenge {
        transaction: req.transaction_id.clone(),
        csr: csr_hash,
        device: device.to_string(),
        cert: b64(&cert),
    };
    let enrolment = AppleEnrolmentRecord {
        cert: fingerprint.clone(),
        cert_not_after: ms_from_secs(not_after),
        token: token.to_string(),
        issued_at: now,
        ttl: Some(secs_from_ms(now) + UNFINISHED_ENROLMENT_SECS),
        ..Default::default()
    };
    let ops = vec![
        WriteOp::Update {
            key: challenge_key,
            update: Update::new().set(
                apple_attr::SPENT,
                serde_json::to_value(&spent).unwrap_or_default(),
            ),
            cond: Some(Cond::And(vec![
                Cond::Exists,
                Cond::Absent(apple_attr::SPENT.into()),
                Cond::Num(apple_attr::EXPIRES_AT.into(), Cmp::Gt, now),
            ])),
        },
        // The token's use is spent here, as the agent's enrolment spends it: a revoked, expired
        // or used-up token issues no identity, whatever profile was downloaded before.
        WriteOp::Update {
            key: keys::enrollment_token(t, &token),
            update: Update::new().add(attr::REMAINING, -1),
            cond: Some(Cond::And(vec![
                Cond::Exists,
                Cond::eq(attr::REVOKED, false),
                Cond::Num(attr::EXPIRES_AT.into(), Cmp::Gt, now),
                Cond::Num(attr::REMAINING.into(), Cmp::Ge, 1),
            ])),
        },
        WriteOp::Put {
            item: to_item(keys::apple_enrolment(t, &device), &enrolment),
            cond: Some(Cond::NotExists),
        },
        audit::entry_by(
            svc,
            t,
            &format!("enrollment_token/{token}"),
            "device",
            "apple.identity_issued",
            format!("device/{device}"),
            Some(json!({"certificate_sha256": fingerprint, "key_bits": req.key_bits})),
        ),
    ];
    match svc.table.transact(ops).await {
        Ok(()) => answer(&ca, &req, &cert),
        Err(StoreError::Precondition { index: Some(0 | 1) }) => Err(Error::ScepChallengeInvalid),
        Err(e) => Err(e.into()),
    }
}

fn answer(
    ca: &mdm_pki::CertificateAuthority,
    req: &PkiRequest,
    cert: &[u8],
) -> Result<Vec<u8>, Error> {
    scep::success_response(ca, req, cert).map_err(|e| Error::Internal(format!("CertRep: {e}")))
}
