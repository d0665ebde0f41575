//! The route table: every HTTP route with the Lambda function that serves it, how its caller
//! proves who they are, which roles may call it and how large a body it takes. The routers are
//! built from this table and the security test matrix is generated from it, so a route cannot
//! exist without being served by its function and tried by that matrix.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use mdm_core::Services;
use mdm_core::domain::Role;
use mdm_core::usecases::{ADMINS, AUDIT_READERS, COMMANDERS, READERS, USERS};

use crate::guard::{Edge, guard};
use crate::handlers::{
    agent, apple_signing, apps, audit, commands, compliance, devices, enrollment_tokens, geofences,
    groups, jobs, me, policies, settings, tenants, webhooks,
};
use crate::openapi::{self, Described};

/// The Lambda function (and API Gateway integration) that serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Enroll,
    Checkin,
    Results,
    Commands,
}

impl Function {
    /// The function's name as in the SAM template (`<Name>Function`) and its binary.
    pub fn name(self) -> &'static str {
        match self {
            Function::Enroll => "enroll",
            Function::Checkin => "checkin",
            Function::Results => "results",
            Function::Commands => "commands",
        }
    }

    pub const ALL: [Function; 4] = [
        Function::Enroll,
        Function::Checkin,
        Function::Results,
        Function::Commands,
    ];
}

/// How the caller of a route is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// An enrollment token in the body: the only unauthenticated way in.
    EnrollmentToken,
    /// A device credential as the bearer.
    Device,
    /// A tenant user's JWT as the bearer, with one of these roles.
    Tenant(&'static [Role]),
    /// The platform operator's JWT as the bearer (role `platform_operator`, no tenant).
    Platform,
    /// Anyone: only the API's own description.
    Public,
}

/// A route's handler, both as served and as documented: written once through `route!`, so
/// the document describes the very function the router calls.
pub struct Endpoint {
    serve: fn() -> MethodRouter<Arc<Services>>,
    pub(crate) describe: fn(&mut Described),
    /// The handler's name, unique in the table: the operation's id in the document.
    pub operation_id: &'static str,
}

/// One route on one line:
///
/// `route!(METHOD "path", Function, Caller, body cap, idempotent or -, module::handler, "summary")`
///
/// The body cap is `0` (no body) or `N KiB`; `idempotent` marks a route that takes an
/// `Idempotency-Key`. The method also picks axum's method router for the handler.
macro_rules! route {
    (
        $method:ident $path:literal, $function:ident, $caller:ident $(($roles:ident))?,
        $limit:literal $($unit:ident)?, $idempotent:tt, $module:ident :: $handler:ident,
        $summary:literal $(,)?
    ) => {
        Route {
            method: Method::$method,
            path: $path,
            function: Function::$function,
            caller: Caller::$caller $(($roles))?,
            body_limit: $limit $(* route!(@unit $unit))?,
            summary: $summary,
            idempotent: route!(@idempotent $idempotent),
            endpoint: Endpoint {
                serve: || route!(@verb $method)($module::$handler),
                describe: |d| d.handler(&$module::$handler),
                operation_id: stringify!($handler),
            },
        }
    };
    (@unit KiB) => { KIB };
    (@idempotent idempotent) => { true };
    (@idempotent -) => { false };
    (@verb GET) => { get };
    (@verb POST) => { post };
    (@verb PUT) => { put };
    (@verb PATCH) => { patch };
    (@verb DELETE) => { delete };
}

/// One route of the API.
pub struct Route {
    pub method: Method,
    /// axum's path syntax: `{name}` is a path parameter.
    pub path: &'static str,
    pub function: Function,
    pub caller: Caller,
    /// Largest body accepted, in bytes; larger ones get 413 `payload_too_large` unread.
    pub body_limit: usize,
    pub summary: &'static str,
    /// Takes an `Idempotency-Key` header: a retry with the same key replays the first response.
    pub idempotent: bool,
    pub endpoint: Endpoint,
}

const KIB: usize = 1024;

/// Every route. Bodies: an enrolment or a check-in carries the inventory (~5 KiB), a push
/// configuration an APNs certificate and key (~8 KiB), a full inventory report up to 500 apps
/// (64 KiB, which also bounds the stored inventory item far below DynamoDB's 400 KB); reads,
/// cancels, unenrol and retire take no body at all.
pub static ROUTES: &[Route] = &[
    route!(POST "/v1/enroll", Enroll, EnrollmentToken, 16 KiB, idempotent, agent::enroll, "enroll a device with an enrollment token"),
    route!(POST "/v1/device/checkin", Checkin, Device, 16 KiB, -, agent::checkin, "check in: inventory, push token; says whether commands wait"),
    route!(GET "/v1/device/commands", Checkin, Device, 0, -, agent::pending, "pull the pending commands"),
    route!(POST "/v1/device/commands/{command_id}/result", Results, Device, 16 KiB, -, agent::report, "report a command's result"),
    route!(POST "/v1/enrollment-tokens", Commands, Tenant(ADMINS), 4 KiB, idempotent, enrollment_tokens::create_token, "create an enrollment token"),
    route!(GET "/v1/enrollment-tokens", Commands, Tenant(ADMINS), 0, -, enrollment_tokens::list_tokens, "list the tenant's enrollment tokens, newest first"),
    route!(GET "/v1/enrollment-tokens/{token_id}", Commands, Tenant(ADMINS), 0, -, enrollment_tokens::get_token, "read an enrollment token (never its secret)"),
    route!(POST "/v1/enrollment-tokens/{token_id}/revoke", Commands, Tenant(ADMINS), 0, idempotent, enrollment_tokens::revoke_token, "revoke an enrollment token: no device enrolls with it afterwards"),
    route!(PUT "/v1/device/inventory", Checkin, Device, 64 KiB, -, agent::inventory, "report the full inventory (hardware, OS, apps, SIM, network, location)"),
    route!(GET "/v1/devices", Commands, Tenant(READERS), 0, -, devices::list_devices, "list the tenant's devices, filtered, paged across the directory shards"),
    route!(GET "/v1/devices/lookup", Commands, Tenant(READERS), 0, -, devices::lookup_devices, "find devices by exactly one of imei, imsi, phone_number, serial"),
    route!(POST "/v1/devices/{device_id}/unenroll", Commands, Tenant(COMMANDERS), 0, idempotent, devices::unenroll_device, "revoke a device's credential at once and cancel its open commands"),
    route!(POST "/v1/devices/{device_id}/retire", Commands, Tenant(ADMINS), 0, idempotent, devices::retire_device, "decommission a device that is no longer enrolled"),
    route!(GET "/v1/devices/{device_id}", Commands, Tenant(READERS), 0, -, devices::get_device, "read a device and its inventory"),
    route!(POST "/v1/devices/{device_id}/commands", Commands, Tenant(COMMANDERS), 8 KiB, idempotent, commands::queue_command, "queue a command for a device"),
    route!(GET "/v1/devices/{device_id}/commands", Commands, Tenant(READERS), 0, -, commands::list_commands, "list a device's open or closed commands"),
    route!(GET "/v1/devices/{device_id}/commands/{command_id}", Commands, Tenant(READERS), 0, -, commands::get_command, "read a command and its history"),
    route!(POST "/v1/devices/{device_id}/commands/{command_id}/cancel", Commands, Tenant(COMMANDERS), 0, idempotent, commands::cancel_command, "cancel a command the device has not yet acknowledged"),
    route!(POST "/v1/devices/{device_id}/commands/clear", Commands, Tenant(COMMANDERS), 0, idempotent, commands::clear_commands, "cancel every open command of a device"),
    route!(GET "/v1/audit", Commands, Tenant(AUDIT_READERS), 0, -, audit::list_audit, "read the tenant's audit log"),
    route!(GET "/v1/alerts", Commands, Tenant(READERS), 0, -, compliance::list_alerts, "read the tenant's alerts (compliance ladders, data usage), newest first"),
    route!(GET "/v1/devices/{device_id}/alerts", Commands, Tenant(READERS), 0, -, compliance::device_alerts, "read a device's alerts, newest first"),
    route!(GET "/v1/devices/{device_id}/compliance", Commands, Tenant(READERS), 0, -, compliance::device_compliance, "read a device's compliance: failing rules, their ladders and what comes next"),
    route!(POST "/v1/devices/{device_id}/lost", Commands, Tenant(COMMANDERS), 4 KiB, idempotent, compliance::report_lost, "report a device lost: lost mode, locate and lock, queued together"),
    route!(POST "/v1/me/devices/{device_id}/lost", Commands, Tenant(USERS), 4 KiB, idempotent, compliance::report_my_device_lost, "report one's own device lost: lost mode, locate and lock"),
    route!(GET "/v1/push-config", Commands, Tenant(READERS), 0, -, settings::list_push_config, "read the push settings per platform (never the credentials)"),
    route!(PUT "/v1/apple/signing-identity", Commands, Tenant(ADMINS), 32 KiB, -, apple_signing::set_signing_identity, "set the certificate and key that sign Apple enrolment profiles"),
    route!(GET "/v1/apple/signing-identity", Commands, Tenant(READERS), 0, -, apple_signing::get_signing_identity, "read the profile-signing identity (subject, fingerprint, expiry; never the key)"),
    route!(DELETE "/v1/apple/signing-identity", Commands, Tenant(ADMINS), 0, -, apple_signing::delete_signing_identity, "remove the profile-signing identity: profiles are served unsigned"),
    route!(PUT "/v1/push-config/{platform}", Commands, Tenant(ADMINS), 16 KiB, -, settings::set_push_config, "set a platform's push provider and credentials"),
    route!(POST "/v1/groups", Commands, Tenant(COMMANDERS), 1 KiB, idempotent, groups::create_group, "create a device group"),
    route!(GET "/v1/groups", Commands, Tenant(READERS), 0, -, groups::list_groups, "list the tenant's groups, oldest first"),
    route!(GET "/v1/groups/{group_id}", Commands, Tenant(READERS), 0, -, groups::get_group, "read a group"),
    route!(PUT "/v1/groups/{group_id}", Commands, Tenant(COMMANDERS), 1 KiB, -, groups::rename_group, "rename a group"),
    route!(DELETE "/v1/groups/{group_id}", Commands, Tenant(COMMANDERS), 0, -, groups::delete_group, "delete an empty group"),
    route!(GET "/v1/groups/{group_id}/devices", Commands, Tenant(READERS), 0, -, groups::list_members, "list a group's devices"),
    route!(POST "/v1/groups/{group_id}/devices", Commands, Tenant(COMMANDERS), 8 KiB, -, groups::add_members, "add devices to a group (up to 100 per call)"),
    route!(POST "/v1/groups/{group_id}/devices/remove", Commands, Tenant(COMMANDERS), 8 KiB, -, groups::remove_members, "remove devices from a group (up to 100 per call)"),
    route!(POST "/v1/jobs", Commands, Tenant(COMMANDERS), 32 KiB, idempotent, jobs::create_job, "send one command to a list of devices, a group or the whole tenant"),
    route!(GET "/v1/jobs", Commands, Tenant(READERS), 0, -, jobs::list_jobs, "list the tenant's jobs with their progress, newest first"),
    route!(GET "/v1/jobs/{job_id}", Commands, Tenant(READERS), 0, -, jobs::get_job, "read a job and its progress"),
    route!(POST "/v1/policies", Commands, Tenant(ADMINS), 80 KiB, idempotent, policies::create_policy, "create a policy (version 1)"),
    route!(GET "/v1/policies", Commands, Tenant(READERS), 0, -, policies::list_policies, "list the tenant's policies, oldest first"),
    route!(GET "/v1/policies/{policy_id}", Commands, Tenant(READERS), 0, -, policies::get_policy, "read a policy's current version"),
    route!(PUT "/v1/policies/{policy_id}", Commands, Tenant(ADMINS), 80 KiB, -, policies::update_policy, "write a policy's next version and refresh every device it reaches"),
    route!(DELETE "/v1/policies/{policy_id}", Commands, Tenant(ADMINS), 0, -, policies::delete_policy, "delete a policy assigned nowhere"),
    route!(GET "/v1/policies/{policy_id}/versions", Commands, Tenant(READERS), 0, -, policies::list_policy_versions, "list a policy's versions, newest first"),
    route!(GET "/v1/policies/{policy_id}/versions/{version}", Commands, Tenant(READERS), 0, -, policies::get_policy_version, "read one version of a policy"),
    route!(GET "/v1/policies/{policy_id}/assignments", Commands, Tenant(READERS), 0, -, policies::list_policy_assignments, "list where a policy is assigned: devices, groups, the tenant default"),
    route!(POST "/v1/policies/{policy_id}/devices", Commands, Tenant(ADMINS), 8 KiB, -, policies::assign_policy_to_devices, "assign a policy to each listed device as its own (up to 100 per call)"),
    route!(GET "/v1/devices/{device_id}/policy", Commands, Tenant(READERS), 0, -, policies::device_policy, "read a device's effective policy, its sources and the version it applied"),
    route!(PUT "/v1/devices/{device_id}/policy", Commands, Tenant(ADMINS), 1 KiB, -, policies::assign_device_policy, "assign a policy to a device itself"),
    route!(DELETE "/v1/devices/{device_id}/policy", Commands, Tenant(ADMINS), 0, -, policies::unassign_device_policy, "take the device's own policy away"),
    route!(PUT "/v1/groups/{group_id}/policy", Commands, Tenant(ADMINS), 1 KiB, -, policies::assign_group_policy, "assign a policy to a group's members, with a priority"),
    route!(DELETE "/v1/groups/{group_id}/policy", Commands, Tenant(ADMINS), 0, -, policies::unassign_group_policy, "take the group's policy away"),
    route!(GET "/v1/default-policy", Commands, Tenant(READERS), 0, -, policies::default_policy, "read the tenant's default policy"),
    route!(PUT "/v1/default-policy", Commands, Tenant(ADMINS), 1 KiB, -, policies::set_default_policy, "set the tenant's default policy"),
    route!(DELETE "/v1/default-policy", Commands, Tenant(ADMINS), 0, -, policies::clear_default_policy, "clear the tenant's default policy"),
    route!(POST "/v1/apps", Commands, Tenant(ADMINS), 4 KiB, idempotent, apps::create_app, "add an app (package or bundle id, platform) to the catalogue"),
    route!(GET "/v1/apps", Commands, Tenant(READERS), 0, -, apps::list_apps, "list the catalogue in id order, optionally one platform's apps"),
    route!(GET "/v1/apps/{catalogue_id}", Commands, Tenant(READERS), 0, -, apps::get_app, "read a catalogue app"),
    route!(PUT "/v1/apps/{catalogue_id}", Commands, Tenant(ADMINS), 4 KiB, -, apps::update_app, "change a catalogue app's name, version, store id, url or whether it is required"),
    route!(POST "/v1/apps/{catalogue_id}/install", Commands, Tenant(COMMANDERS), 32 KiB, idempotent, apps::install_app, "install a catalogue app on the target's devices of its platform (a job)"),
    route!(POST "/v1/apps/{catalogue_id}/remove", Commands, Tenant(COMMANDERS), 32 KiB, idempotent, apps::remove_app, "remove a catalogue app from the target's devices of its platform (a job)"),
    route!(DELETE "/v1/apps/{catalogue_id}", Commands, Tenant(ADMINS), 0, -, apps::delete_app, "delete a catalogue app (devices keep it)"),
    route!(POST "/v1/geofences", Commands, Tenant(ADMINS), 8 KiB, idempotent, geofences::create_geofence, "create a geofence: a circle or a polygon of 3 to 100 vertices"),
    route!(GET "/v1/geofences", Commands, Tenant(READERS), 0, -, geofences::list_geofences, "list the tenant's geofences, oldest first"),
    route!(GET "/v1/geofences/{geofence_id}", Commands, Tenant(READERS), 0, -, geofences::get_geofence, "read a geofence"),
    route!(PUT "/v1/geofences/{geofence_id}", Commands, Tenant(ADMINS), 8 KiB, -, geofences::replace_geofence, "replace a geofence's name and shape (its id stays)"),
    route!(DELETE "/v1/geofences/{geofence_id}", Commands, Tenant(ADMINS), 0, -, geofences::delete_geofence, "delete a geofence"),
    route!(GET "/v1/settings", Commands, Tenant(READERS), 0, -, settings::get_settings, "read the tenant's settings (name, time zone)"),
    route!(PUT "/v1/settings", Commands, Tenant(ADMINS), 4 KiB, -, settings::set_settings, "set the tenant's settings (name, IANA time zone)"),
    route!(POST "/v1/tenants", Commands, Platform, 4 KiB, -, tenants::create_tenant, "register a tenant (or adopt one that predates registration)"),
    route!(GET "/v1/tenants", Commands, Platform, 0, -, tenants::list_tenants, "list the registered tenants in id order"),
    route!(GET "/v1/tenants/{tenant_id}", Commands, Platform, 0, -, tenants::get_tenant, "read a registered tenant, its limits and device count"),
    route!(POST "/v1/tenants/{tenant_id}/suspend", Commands, Platform, 0, -, tenants::suspend_tenant, "suspend a tenant: its users, devices and enrolments are refused"),
    route!(POST "/v1/tenants/{tenant_id}/resume", Commands, Platform, 0, -, tenants::resume_tenant, "resume a suspended tenant"),
    route!(PUT "/v1/tenants/{tenant_id}/limits", Commands, Platform, 4 KiB, -, tenants::set_tenant_limits, "set a tenant's limits (max_devices)"),
    route!(DELETE "/v1/tenants/{tenant_id}", Commands, Platform, 0, -, tenants::delete_tenant, "delete a tenant: refused at once, its data removed in batches through the queue"),
    route!(POST "/v1/me/enrollment-tokens", Commands, Tenant(USERS), 1 KiB, idempotent, me::create_my_token, "a user's one-use token to enroll their own device (personal)"),
    route!(GET "/v1/me/devices", Commands, Tenant(USERS), 0, -, me::my_devices, "the devices enrolled to the calling user"),
    route!(POST "/v1/me/devices/{device_id}/commands", Commands, Tenant(USERS), 8 KiB, idempotent, me::queue_my_command, "lock, locate, reset the passcode of or wipe one's own device"),
    route!(GET "/v1/me/devices/{device_id}/commands/{command_id}", Commands, Tenant(USERS), 0, -, me::my_command, "read a command of one's own device and its result"),
    route!(GET "/openapi.json", Commands, Public, 0, -, openapi::serve, "this API's OpenAPI 3.1 document"),
    // Webhooks. Delete comes last: the security matrix plays the routes in this order, and the
    // endpoint it deletes must still exist for the routes before.
    // No Idempotency-Key: a kept response would store the signing secret in the table for
    // a day, and the secret belongs in the secret store only.
    route!(POST "/v1/webhooks", Commands, Tenant(ADMINS), 4 KiB, -, webhooks::create_webhook, "register a webhook endpoint; the answer shows its signing secret, once"),
    route!(GET "/v1/webhooks", Commands, Tenant(READERS), 0, -, webhooks::list_webhooks, "list the tenant's webhook endpoints, oldest first (never their secrets)"),
    route!(GET "/v1/webhooks/{webhook_id}", Commands, Tenant(READERS), 0, -, webhooks::get_webhook, "read a webhook endpoint (never its secret)"),
    route!(PATCH "/v1/webhooks/{webhook_id}", Commands, Tenant(ADMINS), 4 KiB, -, webhooks::update_webhook, "change a webhook endpoint's url, event types, description or enabled"),
    route!(POST "/v1/webhooks/{webhook_id}/rotate-secret", Commands, Tenant(ADMINS), 0, -, webhooks::rotate_webhook_secret, "replace the signing secret; the old one keeps signing beside it for 24 h"),
    route!(GET "/v1/webhooks/{webhook_id}/deliveries", Commands, Tenant(READERS), 0, -, webhooks::list_webhook_deliveries, "list a webhook endpoint's deliveries, newest first"),
    route!(DELETE "/v1/webhooks/{webhook_id}", Commands, Tenant(ADMINS), 0, -, webhooks::delete_webhook, "delete a webhook endpoint with its secret and deliveries"),
];
/// The routes one function serves, each with its own body cap, behind the guard (rate limits,
/// Idempotency-Key).
pub fn router_for(function: Function, edge: &Arc<Edge>) -> Router<Arc<Services>> {
    ROUTES
        .iter()
        .filter(|r| r.function == function)
        .fold(Router::new(), |router, r| {
            router.route(
                r.path,
                (r.endpoint.serve)()
                    .layer(DefaultBodyLimit::max(r.body_limit))
                    .layer(from_fn_with_state((edge.clone(), r), guard)),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_method_and_path_appears_twice_in_the_table() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method.clone(), r.path)),
                "{} {}",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn only_posts_that_create_or_cancel_take_an_idempotency_key() {
        for r in ROUTES.iter().filter(|r| r.idempotent) {
            assert_eq!(r.method, Method::POST, "{}", r.path);
            assert_ne!(r.caller, Caller::Device, "{}", r.path);
        }
    }

    #[test]
    fn every_function_serves_at_least_one_route() {
        for f in Function::ALL {
            assert!(ROUTES.iter().any(|r| r.function == f), "{f:?}");
        }
    }
}
