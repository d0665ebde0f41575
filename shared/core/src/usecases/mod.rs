//! Use cases: plain async functions over `Services`, one file per capability. HTTP routes and
//! queue consumers call these and nothing else.

pub mod alerts;
pub mod apps;
pub mod audit;
pub mod checkin;
pub mod commands;
pub mod compliance;
pub mod compliance_sweep;
pub mod consumer;
pub mod devices;
pub mod directory;
pub mod enrollment;
pub mod enrollment_tokens;
pub mod events;
pub mod fetch;
pub mod geofences;
pub mod groups;
pub mod idempotency;
pub mod inventory;
pub mod jobs;
pub mod lifecycle;
pub mod lost;
pub mod policies;
pub mod purge;
pub mod push_cert_warnings;
pub mod push_config;
pub mod results;
pub mod self_service;
pub mod settings;
pub mod tenants;
pub mod timeline;
pub mod views;
pub mod wake;
pub mod webhooks;

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
