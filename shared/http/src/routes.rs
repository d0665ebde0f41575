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
use crate::openapi::{self, Described};
use crate::{
    app_routes as app, compliance_routes as compliance, device_routes as device,
    geofence_routes as geofence, group_routes as group, me_routes as me,
    platform_routes as platform, policy_routes as policy, tenant_routes as tenant,
    webhook_routes as webhook,
};

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

/// A route's handler, both as served and as documented: written once through `endpoint!`, so
/// the document describes the very function the router calls.
pub struct Endpoint {
    serve: fn() -> MethodRouter<Arc<Services>>,
    pub(crate) describe: fn(&mut Described),
    /// The handler's name, unique in the table: the operation's id in the document.
    pub operation_id: &'static str,
}

macro_rules! endpoint {
    ($verb:ident, $module:ident :: $handler:ident) => {
        Endpoint {
            serve: || $verb($module::$handler),
            describe: |d| d.handler(&$module::$handler),
            operation_id: stringify!($handler),
        }
    };
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
    Route {
        method: Method::POST,
        path: "/v1/enroll",
        function: Function::Enroll,
        caller: Caller::EnrollmentToken,
        body_limit: 16 * KIB,
        summary: "enroll a device with an enrollment token",
        idempotent: true,
        endpoint: endpoint!(post, device::enroll),
    },
    Route {
        method: Method::POST,
        path: "/v1/device/checkin",
        function: Function::Checkin,
        caller: Caller::Device,
        body_limit: 16 * KIB,
        summary: "check in: inventory, push token; says whether commands wait",
        idempotent: false,
        endpoint: endpoint!(post, device::checkin),
    },
    Route {
        method: Method::GET,
        path: "/v1/device/commands",
        function: Function::Checkin,
        caller: Caller::Device,
        body_limit: 0,
        summary: "pull the pending commands",
        idempotent: false,
        endpoint: endpoint!(get, device::pending),
    },
    Route {
        method: Method::POST,
        path: "/v1/device/commands/{command_id}/result",
        function: Function::Results,
        caller: Caller::Device,
        body_limit: 16 * KIB,
        summary: "report a command's result",
        idempotent: false,
        endpoint: endpoint!(post, device::report),
    },
    Route {
        method: Method::POST,
        path: "/v1/enrollment-tokens",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 4 * KIB,
        summary: "create an enrollment token",
        idempotent: true,
        endpoint: endpoint!(post, tenant::create_token),
    },
    Route {
        method: Method::GET,
        path: "/v1/enrollment-tokens",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "list the tenant's enrollment tokens, newest first",
        idempotent: false,
        endpoint: endpoint!(get, tenant::list_tokens),
    },
    Route {
        method: Method::GET,
        path: "/v1/enrollment-tokens/{token_id}",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "read an enrollment token (never its secret)",
        idempotent: false,
        endpoint: endpoint!(get, tenant::get_token),
    },
    Route {
        method: Method::POST,
        path: "/v1/enrollment-tokens/{token_id}/revoke",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "revoke an enrollment token: no device enrolls with it afterwards",
        idempotent: true,
        endpoint: endpoint!(post, tenant::revoke_token),
    },
    Route {
        method: Method::PUT,
        path: "/v1/device/inventory",
        function: Function::Checkin,
        caller: Caller::Device,
        body_limit: 64 * KIB,
        summary: "report the full inventory (hardware, OS, apps, SIM, network, location)",
        idempotent: false,
        endpoint: endpoint!(put, device::inventory),
    },
    Route {
        method: Method::GET,
        path: "/v1/devices",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list the tenant's devices, filtered, paged across the directory shards",
        idempotent: false,
        endpoint: endpoint!(get, tenant::list_devices),
    },
    Route {
        method: Method::GET,
        path: "/v1/devices/lookup",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "find devices by exactly one of imei, imsi, phone_number, serial",
        idempotent: false,
        endpoint: endpoint!(get, tenant::lookup_devices),
    },
    Route {
        method: Method::POST,
        path: "/v1/devices/{device_id}/unenroll",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 0,
        summary: "revoke a device's credential at once and cancel its open commands",
        idempotent: true,
        endpoint: endpoint!(post, tenant::unenroll_device),
    },
    Route {
        method: Method::POST,
        path: "/v1/devices/{device_id}/retire",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "decommission a device that is no longer enrolled",
        idempotent: true,
        endpoint: endpoint!(post, tenant::retire_device),
    },
    Route {
        method: Method::GET,
        path: "/v1/devices/{device_id}",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a device and its inventory",
        idempotent: false,
        endpoint: endpoint!(get, tenant::get_device),
    },
    Route {
        method: Method::POST,
        path: "/v1/devices/{device_id}/commands",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 8 * KIB,
        summary: "queue a command for a device",
        idempotent: true,
        endpoint: endpoint!(post, tenant::queue_command),
    },
    Route {
        method: Method::GET,
        path: "/v1/devices/{device_id}/commands",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list a device's open or closed commands",
        idempotent: false,
        endpoint: endpoint!(get, tenant::list_commands),
    },
    Route {
        method: Method::GET,
        path: "/v1/devices/{device_id}/commands/{command_id}",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a command and its history",
        idempotent: false,
        endpoint: endpoint!(get, tenant::get_command),
    },
    Route {
        method: Method::POST,
        path: "/v1/devices/{device_id}/commands/{command_id}/cancel",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 0,
        summary: "cancel a command the device has not yet acknowledged",
        idempotent: true,
        endpoint: endpoint!(post, tenant::cancel_command),
    },
    Route {
        method: Method::POST,
        path: "/v1/devices/{device_id}/commands/clear",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 0,
        summary: "cancel every open command of a device",
        idempotent: true,
        endpoint: endpoint!(post, tenant::clear_commands),
    },
    Route {
        method: Method::GET,
        path: "/v1/audit",
        function: Function::Commands,
        caller: Caller::Tenant(AUDIT_READERS),
        body_limit: 0,
        summary: "read the tenant's audit log",
        idempotent: false,
        endpoint: endpoint!(get, tenant::list_audit),
    },
    Route {
        method: Method::GET,
        path: "/v1/alerts",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read the tenant's alerts (compliance ladders, data usage), newest first",
        idempotent: false,
        endpoint: endpoint!(get, compliance::list_alerts),
    },
    Route {
        method: Method::GET,
        path: "/v1/devices/{device_id}/alerts",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a device's alerts, newest first",
        idempotent: false,
        endpoint: endpoint!(get, compliance::device_alerts),
    },
    Route {
        method: Method::GET,
        path: "/v1/devices/{device_id}/compliance",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a device's compliance: failing rules, their ladders and what comes next",
        idempotent: false,
        endpoint: endpoint!(get, compliance::device_compliance),
    },
    Route {
        method: Method::POST,
        path: "/v1/devices/{device_id}/lost",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 4 * KIB,
        summary: "report a device lost: lost mode, locate and lock, queued together",
        idempotent: true,
        endpoint: endpoint!(post, compliance::report_lost),
    },
    Route {
        method: Method::POST,
        path: "/v1/me/devices/{device_id}/lost",
        function: Function::Commands,
        caller: Caller::Tenant(USERS),
        body_limit: 4 * KIB,
        summary: "report one's own device lost: lost mode, locate and lock",
        idempotent: true,
        endpoint: endpoint!(post, compliance::report_my_device_lost),
    },
    Route {
        method: Method::GET,
        path: "/v1/push-config",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read the push settings per platform (never the credentials)",
        idempotent: false,
        endpoint: endpoint!(get, tenant::list_push_config),
    },
    Route {
        method: Method::PUT,
        path: "/v1/push-config/{platform}",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 16 * KIB,
        summary: "set a platform's push provider and credentials",
        idempotent: false,
        endpoint: endpoint!(put, tenant::set_push_config),
    },
    Route {
        method: Method::POST,
        path: "/v1/groups",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: KIB,
        summary: "create a device group",
        idempotent: true,
        endpoint: endpoint!(post, group::create_group),
    },
    Route {
        method: Method::GET,
        path: "/v1/groups",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list the tenant's groups, oldest first",
        idempotent: false,
        endpoint: endpoint!(get, group::list_groups),
    },
    Route {
        method: Method::GET,
        path: "/v1/groups/{group_id}",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a group",
        idempotent: false,
        endpoint: endpoint!(get, group::get_group),
    },
    Route {
        method: Method::PUT,
        path: "/v1/groups/{group_id}",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: KIB,
        summary: "rename a group",
        idempotent: false,
        endpoint: endpoint!(put, group::rename_group),
    },
    Route {
        method: Method::DELETE,
        path: "/v1/groups/{group_id}",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 0,
        summary: "delete an empty group",
        idempotent: false,
        endpoint: endpoint!(delete, group::delete_group),
    },
    Route {
        method: Method::GET,
        path: "/v1/groups/{group_id}/devices",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list a group's devices",
        idempotent: false,
        endpoint: endpoint!(get, group::list_members),
    },
    Route {
        method: Method::POST,
        path: "/v1/groups/{group_id}/devices",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 8 * KIB,
        summary: "add devices to a group (up to 100 per call)",
        idempotent: false,
        endpoint: endpoint!(post, group::add_members),
    },
    Route {
        method: Method::POST,
        path: "/v1/groups/{group_id}/devices/remove",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 8 * KIB,
        summary: "remove devices from a group (up to 100 per call)",
        idempotent: false,
        endpoint: endpoint!(post, group::remove_members),
    },
    Route {
        method: Method::POST,
        path: "/v1/jobs",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 32 * KIB,
        summary: "send one command to a list of devices, a group or the whole tenant",
        idempotent: true,
        endpoint: endpoint!(post, group::create_job),
    },
    Route {
        method: Method::GET,
        path: "/v1/jobs",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list the tenant's jobs with their progress, newest first",
        idempotent: false,
        endpoint: endpoint!(get, group::list_jobs),
    },
    Route {
        method: Method::GET,
        path: "/v1/jobs/{job_id}",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a job and its progress",
        idempotent: false,
        endpoint: endpoint!(get, group::get_job),
    },
    Route {
        method: Method::POST,
        path: "/v1/policies",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 80 * KIB,
        summary: "create a policy (version 1)",
        idempotent: true,
        endpoint: endpoint!(post, policy::create_policy),
    },
    Route {
        method: Method::GET,
        path: "/v1/policies",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list the tenant's policies, oldest first",
        idempotent: false,
        endpoint: endpoint!(get, policy::list_policies),
    },
    Route {
        method: Method::GET,
        path: "/v1/policies/{policy_id}",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a policy's current version",
        idempotent: false,
        endpoint: endpoint!(get, policy::get_policy),
    },
    Route {
        method: Method::PUT,
        path: "/v1/policies/{policy_id}",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 80 * KIB,
        summary: "write a policy's next version and refresh every device it reaches",
        idempotent: false,
        endpoint: endpoint!(put, policy::update_policy),
    },
    Route {
        method: Method::DELETE,
        path: "/v1/policies/{policy_id}",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "delete a policy assigned nowhere",
        idempotent: false,
        endpoint: endpoint!(delete, policy::delete_policy),
    },
    Route {
        method: Method::GET,
        path: "/v1/policies/{policy_id}/versions",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list a policy's versions, newest first",
        idempotent: false,
        endpoint: endpoint!(get, policy::list_policy_versions),
    },
    Route {
        method: Method::GET,
        path: "/v1/policies/{policy_id}/versions/{version}",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read one version of a policy",
        idempotent: false,
        endpoint: endpoint!(get, policy::get_policy_version),
    },
    Route {
        method: Method::GET,
        path: "/v1/policies/{policy_id}/assignments",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list where a policy is assigned: devices, groups, the tenant default",
        idempotent: false,
        endpoint: endpoint!(get, policy::list_policy_assignments),
    },
    Route {
        method: Method::POST,
        path: "/v1/policies/{policy_id}/devices",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 8 * KIB,
        summary: "assign a policy to each listed device as its own (up to 100 per call)",
        idempotent: false,
        endpoint: endpoint!(post, policy::assign_policy_to_devices),
    },
    Route {
        method: Method::GET,
        path: "/v1/devices/{device_id}/policy",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a device's effective policy, its sources and the version it applied",
        idempotent: false,
        endpoint: endpoint!(get, policy::device_policy),
    },
    Route {
        method: Method::PUT,
        path: "/v1/devices/{device_id}/policy",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: KIB,
        summary: "assign a policy to a device itself",
        idempotent: false,
        endpoint: endpoint!(put, policy::assign_device_policy),
    },
    Route {
        method: Method::DELETE,
        path: "/v1/devices/{device_id}/policy",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "take the device's own policy away",
        idempotent: false,
        endpoint: endpoint!(delete, policy::unassign_device_policy),
    },
    Route {
        method: Method::PUT,
        path: "/v1/groups/{group_id}/policy",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: KIB,
        summary: "assign a policy to a group's members, with a priority",
        idempotent: false,
        endpoint: endpoint!(put, policy::assign_group_policy),
    },
    Route {
        method: Method::DELETE,
        path: "/v1/groups/{group_id}/policy",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "take the group's policy away",
        idempotent: false,
        endpoint: endpoint!(delete, policy::unassign_group_policy),
    },
    Route {
        method: Method::GET,
        path: "/v1/default-policy",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read the tenant's default policy",
        idempotent: false,
        endpoint: endpoint!(get, policy::default_policy),
    },
    Route {
        method: Method::PUT,
        path: "/v1/default-policy",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: KIB,
        summary: "set the tenant's default policy",
        idempotent: false,
        endpoint: endpoint!(put, policy::set_default_policy),
    },
    Route {
        method: Method::DELETE,
        path: "/v1/default-policy",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "clear the tenant's default policy",
        idempotent: false,
        endpoint: endpoint!(delete, policy::clear_default_policy),
    },
    Route {
        method: Method::POST,
        path: "/v1/apps",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 4 * KIB,
        summary: "add an app (package or bundle id, platform) to the catalogue",
        idempotent: true,
        endpoint: endpoint!(post, app::create_app),
    },
    Route {
        method: Method::GET,
        path: "/v1/apps",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list the catalogue in id order, optionally one platform's apps",
        idempotent: false,
        endpoint: endpoint!(get, app::list_apps),
    },
    Route {
        method: Method::GET,
        path: "/v1/apps/{catalogue_id}",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a catalogue app",
        idempotent: false,
        endpoint: endpoint!(get, app::get_app),
    },
    Route {
        method: Method::PUT,
        path: "/v1/apps/{catalogue_id}",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 4 * KIB,
        summary: "change a catalogue app's name, version, store id, url or whether it is required",
        idempotent: false,
        endpoint: endpoint!(put, app::update_app),
    },
    Route {
        method: Method::POST,
        path: "/v1/apps/{catalogue_id}/install",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 32 * KIB,
        summary: "install a catalogue app on the target's devices of its platform (a job)",
        idempotent: true,
        endpoint: endpoint!(post, app::install_app),
    },
    Route {
        method: Method::POST,
        path: "/v1/apps/{catalogue_id}/remove",
        function: Function::Commands,
        caller: Caller::Tenant(COMMANDERS),
        body_limit: 32 * KIB,
        summary: "remove a catalogue app from the target's devices of its platform (a job)",
        idempotent: true,
        endpoint: endpoint!(post, app::remove_app),
    },
    Route {
        method: Method::DELETE,
        path: "/v1/apps/{catalogue_id}",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "delete a catalogue app (devices keep it)",
        idempotent: false,
        endpoint: endpoint!(delete, app::delete_app),
    },
    Route {
        method: Method::POST,
        path: "/v1/geofences",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 8 * KIB,
        summary: "create a geofence: a circle or a polygon of 3 to 100 vertices",
        idempotent: true,
        endpoint: endpoint!(post, geofence::create_geofence),
    },
    Route {
        method: Method::GET,
        path: "/v1/geofences",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list the tenant's geofences, oldest first",
        idempotent: false,
        endpoint: endpoint!(get, geofence::list_geofences),
    },
    Route {
        method: Method::GET,
        path: "/v1/geofences/{geofence_id}",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a geofence",
        idempotent: false,
        endpoint: endpoint!(get, geofence::get_geofence),
    },
    Route {
        method: Method::PUT,
        path: "/v1/geofences/{geofence_id}",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 8 * KIB,
        summary: "replace a geofence's name and shape (its id stays)",
        idempotent: false,
        endpoint: endpoint!(put, geofence::replace_geofence),
    },
    Route {
        method: Method::DELETE,
        path: "/v1/geofences/{geofence_id}",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "delete a geofence",
        idempotent: false,
        endpoint: endpoint!(delete, geofence::delete_geofence),
    },
    Route {
        method: Method::GET,
        path: "/v1/settings",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read the tenant's settings (name, time zone)",
        idempotent: false,
        endpoint: endpoint!(get, tenant::get_settings),
    },
    Route {
        method: Method::PUT,
        path: "/v1/settings",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 4 * KIB,
        summary: "set the tenant's settings (name, IANA time zone)",
        idempotent: false,
        endpoint: endpoint!(put, tenant::set_settings),
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants",
        function: Function::Commands,
        caller: Caller::Platform,
        body_limit: 4 * KIB,
        summary: "register a tenant (or adopt one that predates registration)",
        idempotent: false,
        endpoint: endpoint!(post, platform::create_tenant),
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants",
        function: Function::Commands,
        caller: Caller::Platform,
        body_limit: 0,
        summary: "list the registered tenants in id order",
        idempotent: false,
        endpoint: endpoint!(get, platform::list_tenants),
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}",
        function: Function::Commands,
        caller: Caller::Platform,
        body_limit: 0,
        summary: "read a registered tenant, its limits and device count",
        idempotent: false,
        endpoint: endpoint!(get, platform::get_tenant),
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/suspend",
        function: Function::Commands,
        caller: Caller::Platform,
        body_limit: 0,
        summary: "suspend a tenant: its users, devices and enrolments are refused",
        idempotent: false,
        endpoint: endpoint!(post, platform::suspend_tenant),
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/resume",
        function: Function::Commands,
        caller: Caller::Platform,
        body_limit: 0,
        summary: "resume a suspended tenant",
        idempotent: false,
        endpoint: endpoint!(post, platform::resume_tenant),
    },
    Route {
        method: Method::PUT,
        path: "/v1/tenants/{tenant_id}/limits",
        function: Function::Commands,
        caller: Caller::Platform,
        body_limit: 4 * KIB,
        summary: "set a tenant's limits (max_devices)",
        idempotent: false,
        endpoint: endpoint!(put, platform::set_tenant_limits),
    },
    Route {
        method: Method::DELETE,
        path: "/v1/tenants/{tenant_id}",
        function: Function::Commands,
        caller: Caller::Platform,
        body_limit: 0,
        summary: "delete a tenant: refused at once, its data removed in batches through the queue",
        idempotent: false,
        endpoint: endpoint!(delete, platform::delete_tenant),
    },
    Route {
        method: Method::POST,
        path: "/v1/me/enrollment-tokens",
        function: Function::Commands,
        caller: Caller::Tenant(USERS),
        body_limit: KIB,
        summary: "a user's one-use token to enroll their own device (personal)",
        idempotent: true,
        endpoint: endpoint!(post, me::create_my_token),
    },
    Route {
        method: Method::GET,
        path: "/v1/me/devices",
        function: Function::Commands,
        caller: Caller::Tenant(USERS),
        body_limit: 0,
        summary: "the devices enrolled to the calling user",
        idempotent: false,
        endpoint: endpoint!(get, me::my_devices),
    },
    Route {
        method: Method::POST,
        path: "/v1/me/devices/{device_id}/commands",
        function: Function::Commands,
        caller: Caller::Tenant(USERS),
        body_limit: 8 * KIB,
        summary: "lock, locate, reset the passcode of or wipe one's own device",
        idempotent: true,
        endpoint: endpoint!(post, me::queue_my_command),
    },
    Route {
        method: Method::GET,
        path: "/v1/me/devices/{device_id}/commands/{command_id}",
        function: Function::Commands,
        caller: Caller::Tenant(USERS),
        body_limit: 0,
        summary: "read a command of one's own device and its result",
        idempotent: false,
        endpoint: endpoint!(get, me::my_command),
    },
    Route {
        method: Method::GET,
        path: "/openapi.json",
        function: Function::Commands,
        caller: Caller::Public,
        body_limit: 0,
        summary: "this API's OpenAPI 3.1 document",
        idempotent: false,
        endpoint: endpoint!(get, openapi::serve),
    },
    // Webhooks. Delete comes last: the security matrix plays the routes in this order, and the
    // endpoint it deletes must still exist for the routes before.
    Route {
        method: Method::POST,
        path: "/v1/webhooks",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 4 * KIB,
        summary: "register a webhook endpoint; the answer shows its signing secret, once",
        // No Idempotency-Key: a kept response would store the signing secret in the table for
        // a day, and the secret belongs in the secret store only.
        idempotent: false,
        endpoint: endpoint!(post, webhook::create_webhook),
    },
    Route {
        method: Method::GET,
        path: "/v1/webhooks",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list the tenant's webhook endpoints, oldest first (never their secrets)",
        idempotent: false,
        endpoint: endpoint!(get, webhook::list_webhooks),
    },
    Route {
        method: Method::GET,
        path: "/v1/webhooks/{webhook_id}",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "read a webhook endpoint (never its secret)",
        idempotent: false,
        endpoint: endpoint!(get, webhook::get_webhook),
    },
    Route {
        method: Method::PATCH,
        path: "/v1/webhooks/{webhook_id}",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 4 * KIB,
        summary: "change a webhook endpoint's url, event types, description or enabled",
        idempotent: false,
        endpoint: endpoint!(patch, webhook::update_webhook),
    },
    Route {
        method: Method::POST,
        path: "/v1/webhooks/{webhook_id}/rotate-secret",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "replace the signing secret; the old one keeps signing beside it for 24 h",
        idempotent: false,
        endpoint: endpoint!(post, webhook::rotate_webhook_secret),
    },
    Route {
        method: Method::GET,
        path: "/v1/webhooks/{webhook_id}/deliveries",
        function: Function::Commands,
        caller: Caller::Tenant(READERS),
        body_limit: 0,
        summary: "list a webhook endpoint's deliveries, newest first",
        idempotent: false,
        endpoint: endpoint!(get, webhook::list_webhook_deliveries),
    },
    Route {
        method: Method::DELETE,
        path: "/v1/webhooks/{webhook_id}",
        function: Function::Commands,
        caller: Caller::Tenant(ADMINS),
        body_limit: 0,
        summary: "delete a webhook endpoint with its secret and deliveries",
        idempotent: false,
        endpoint: endpoint!(delete, webhook::delete_webhook),
    },
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
