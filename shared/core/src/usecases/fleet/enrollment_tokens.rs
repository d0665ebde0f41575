//! Enrollment tokens after their creation: admins list them (`GET /v1/enrollment-tokens`, newest
//! first, `?active=true` for the usable ones only), read one and revoke it. A token shows `{id,
//! state: active|revoked|expired|used_up, uses, max_uses, expires_at, created_by, label?}` and
//! never its secret: only hashes are stored. Revoking (`POST /v1/enrollment-tokens/{id}/revoke`,
//! Idempotency-Key accepted) is conditional on the token not being revoked yet: no device enrolls
//! with it afterwards, and revoking again changes nothing (one audit entry).
//!
//! The QR payload a device app scans to enroll is the JSON text `{"v": 1, "server", "tenant",
//! "enrollment_token"}`, where `server` is the URL the admin reached the API at (the `Host`
//! header, with the scheme from `X-Forwarded-Proto` as API Gateway sets it), so a QR made through
//! the deployed API points devices at the same API.

use serde::Serialize;
use serde_json::json;

use crate::domain::time::rfc3339;
use crate::domain::{EnrollmentTokenId, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Principal, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{EnrollmentTokenRecord, attr, from_item};
use crate::usecases::Page;
use crate::usecases::{ADMINS, fleet::views::Listing, require_role, tenancy::audit};

/// Where a token stands, as of the read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    /// Devices may still enroll with it.
    Active,
    Revoked,
    Expired,
    /// Every use is spent.
    UsedUp,
}

/// An enrollment token as admins read it: everything but its secret.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TokenView {
    pub id: String,
    pub state: TokenState,
    pub created_at: String,
    pub created_by: String,
    pub expires_at: String,
    pub max_uses: i64,
    /// Devices enrolled with it so far.
    pub uses: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub ownership: crate::domain::directory::Ownership,
    /// The user the devices it enrols belong to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The group devices join, and the policy assigned to them, at enrolment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
}

impl TokenView {
    pub fn new(r: &EnrollmentTokenRecord, now: i64) -> Self {
        let state = if r.revoked {
            TokenState::Revoked
        } else if r.expires_at <= now {
            TokenState::Expired
        } else if r.remaining < 1 {
            TokenState::UsedUp
        } else {
            TokenState::Active
        };
        Self {
            id: r.id.clone(),
            state,
            created_at: rfc3339(r.created_at),
            created_by: r.created_by.clone(),
            expires_at: rfc3339(r.expires_at),
            max_uses: r.max_uses,
            uses: r.max_uses - r.remaining,
            label: r.label.clone(),
            ownership: r.ownership,
            owner: r.owner.clone(),
            group_id: r.group.clone(),
            policy_id: r.policy.clone(),
        }
    }
}

/// The JSON a device app scans to enroll: where the server is and the token to present. It
/// holds the secret, so it is only given out with the token itself, at creation.
pub fn qr_payload(server: &str, tenant: &TenantId, token: &str) -> String {
    json!({
        "v": 1,
        "server": server,
        "tenant": tenant.as_str(),
        "enrollment_token": token,
    })
    .to_string()
}

/// The tenant's tokens, newest first; `active_only` leaves out revoked, expired and used-up
/// ones (filtered after the read, so a page may hold fewer than `limit`).
pub async fn list(
    svc: &Services,
    who: &Principal,
    active_only: bool,
    page: Page,
) -> Result<Listing<TokenView>, Error> {
    require_role(who, ADMINS, "read enrollment tokens")?;
    let mut q = Query::prefix(keys::enrollment_tokens_pk(&who.tenant), "");
    q.descending = true;
    q.cursor = page.cursor().map(str::to_owned);
    q.limit = page.limit();
    let page = svc.table.query(q).await?;
    let now = svc.now();
    let mut items = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let view = TokenView::new(&from_item::<EnrollmentTokenRecord>(item)?, now);
        if !active_only || view.state == TokenState::Active {
            items.push(view);
        }
    }
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}

pub async fn get(
    svc: &Services,
    who: &Principal,
    id: &EnrollmentTokenId,
) -> Result<TokenView, Error> {
    require_role(who, ADMINS, "read enrollment tokens")?;
    let record = load(svc, &who.tenant, id, false).await?;
    Ok(TokenView::new(&record, svc.now()))
}

/// Revokes a token at once: the enrolment's condition checks `revoked`, so no device enrolls
/// with it after this returns. Revoking again changes nothing and is not audited twice.
pub async fn revoke(
    svc: &Services,
    who: &Principal,
    id: &EnrollmentTokenId,
) -> Result<TokenView, Error> {
    require_role(who, ADMINS, "revoke enrollment tokens")?;
    let written = svc
        .table
        .transact(vec![
            WriteOp::Update {
                key: keys::enrollment_token(&who.tenant, id),
                update: Update::new().set(attr::REVOKED, true),
                cond: Some(Cond::And(vec![
                    Cond::Exists,
                    Cond::eq(attr::REVOKED, false),
                ])),
            },
            audit::entry(
                svc,
                who,
                "enrollment_token.revoke",
                format!("enrollment_token/{id}"),
                None,
            ),
        ])
        .await;
    match written {
        // Absent (404 below) or revoked already: either way the read says which.
        Ok(()) | Err(StoreError::Precondition { index: Some(0) }) => {}
        Err(e) => return Err(e.into()),
    }
    let record = load(svc, &who.tenant, id, true).await?;
    Ok(TokenView::new(&record, svc.now()))
}

async fn load(
    svc: &Services,
    tenant: &TenantId,
    id: &EnrollmentTokenId,
    consistent: bool,
) -> Result<EnrollmentTokenRecord, Error> {
    let item = svc
        .table
        .get(&keys::enrollment_token(tenant, id), consistent)
        .await?
        .ok_or(Error::NotFound("enrollment token"))?;
    Ok(from_item(&item)?)
}
