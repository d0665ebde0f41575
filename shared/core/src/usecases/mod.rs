//! Use cases: plain async functions over `Services`, one file per capability, grouped by area:
//! `device` (the device protocol), `fleet` (devices, groups, commands, jobs), `policy`
//! (policies, apps, geofences), `posture` (compliance and alerts), `tenancy` (tenants, settings,
//! audit, idempotency) and `integrations` (events, webhooks). HTTP routes and the work queue's
//! consumer (`consumer`) call these and nothing else. Each file's `//!` doc states its feature's
//! rules.

pub mod consumer;
pub mod device;
pub mod fleet;
pub mod integrations;
pub mod page;
pub mod policy;
pub mod posture;
pub mod tenancy;

pub use page::Page;

use crate::domain::Role;
use crate::error::Error;
use crate::ports::Principal;

/// A listing's cursor that must be one of the ids the listing returns (its sort keys): anything
/// else is the caller's mistake, 400 on `cursor`, never a position the store would refuse.
pub(crate) fn id_cursor<T: std::fmt::Display>(
    cursor: Option<&str>,
    parse: fn(&str) -> Result<T, Error>,
) -> Result<Option<String>, Error> {
    cursor
        .map(|c| {
            parse(c)
                .map(|id| id.to_string())
                .map_err(|_| Error::invalid_field("cursor", "not a cursor this listing returned"))
        })
        .transpose()
}

/// Refuses the call unless the principal has one of the roles.
pub fn require_role(p: &Principal, allowed: &[Role], action: &str) -> Result<(), Error> {
    if allowed.contains(&p.role) {
        Ok(())
    } else {
        Err(Error::Forbidden(action.to_owned()))
    }
}

pub const READERS: &[Role] = &[Role::Admin, Role::Operator, Role::Auditor];
pub const COMMANDERS: &[Role] = &[Role::Admin, Role::Operator];
pub const ADMINS: &[Role] = &[Role::Admin];
pub const AUDIT_READERS: &[Role] = &[Role::Admin, Role::Auditor];
/// End users: only their own devices, through `/v1/me/...`.
pub const USERS: &[Role] = &[Role::User];
