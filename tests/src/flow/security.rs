//! The security matrix, generated from the route table: every route, with its path filled with
//! one tenant's objects, another tenant's, and a mix, is called by every kind of caller (no
//! credential, garbage, each role of the tenant, another tenant's admin, the platform operator,
//! the device, a sibling device, another tenant's device, a device revoked by wipe and one
//! revoked by enterprise wipe (unenrolment)), and every path with every method it does not
//! serve. Platform routes act on a tenant of their own (`MATRIX_TENANT`), so suspending it
//! leaves acme and globex served for the routes that come after. Each answer must be the
//! expected refusal or, when allowed, carry nothing of anyone else's.

use mdm_core::domain::Role;
use mdm_http::routes::{Caller, ROUTES, Route};
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::Stack;

struct Dev {
    id: String,
    cred: String,
}

/// The objects the matrix is played on: tenant acme's and tenant globex's.
struct World {
    a1: Dev,
    a2: Dev,
    wiped: Dev,
    unenrolled: Dev,
    b1: Dev,
    /// A globex device revoked by enterprise wipe: what unenrol and retire act on for globex
    /// (acme's is `unenrolled`), so those routes never revoke a device the matrix still uses.
    b_gone: Dev,
    /// a1's serial, which the lookup route searches for.
    a1_serial: String,
    /// A command of a1 (acme) and one of b1 (globex).
    a_cmd: String,
    b_cmd: String,
    /// An enrollment token of acme and one of globex.
    a_token: String,
    b_token: String,
    /// A group of each tenant, holding a1 and b1 (so deleting it is refused: the matrix keeps
    /// it), and a job of each.
    a_group: String,
    b_group: String,
    a_job: String,
    b_job: String,
    /// A policy of each tenant, its default (so deleting it is refused: the matrix keeps it).
    a_policy: String,
    b_policy: String,
    /// An app of each tenant's catalogue (deleted by the matrix's last app route).
    a_app: String,
    b_app: String,
    /// A geofence of each tenant (deleted by the matrix's last geofence route).
    a_geofence: String,
    b_geofence: String,
    /// A webhook endpoint of each tenant (deleted by the matrix's last webhook route).
    a_webhook: String,
    b_webhook: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Nobody,
    Garbage,
    Acme(Role),
    GlobexAdmin,
    Platform,
    DeviceA1,
    SiblingA2,
    GlobexDevice,
    Wiped,
    Unenrolled,
}

/// The tenant the platform routes register, suspend, resume and limit.
const MATRIX_TENANT: &str = "initech";

const EVERYONE: [Who; 13] = [
    Who::Nobody,
    Who::Garbage,
    Who::Acme(Role::Admin),
    Who::Acme(Role::Operator),
    Who::Acme(Role::Auditor),
    Who::Acme(Role::User),
    Who::GlobexAdmin,
    Who::Platform,
    Who::DeviceA1,
    Who::SiblingA2,
    Who::GlobexDevice,
    Who::Wiped,
    Who::Unenrolled,
];

/// Whose objects fill a path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Objects {
    Acme,
    Globex,
    /// acme's device with globex's command.
    Mixed,
}

#[derive(Debug, PartialEq)]
enum Expect {
    Allowed,
    Status(u16),
}

/// Revokes a device's credential the way a device loses it: it acknowledges a wipe.
async fn revoke(s: &Stack, tenant: &str, dev: &Dev, kind: &str) {
    s.queue(tenant, &dev.id, json!({ "type": kind })).await;
    for c in s.api.pending(&dev.cred).await.expect("pull") {
        let id = c["id"].as_str().expect("id");
        s.api
            .report(&dev.cred, id, &json!({"status": "acknowledged"}))
            .await
            .expect("acknowledge");
    }
    let (status, _) = s
        .raw(Method::GET, "/v1/device/commands", Some(&dev.cred), None)
        .await;
    assert_eq!(status, 401, "{kind} must revoke the credential");
}

/// Creates a group holding `device` and a job sending it a ring; returns their ids.
async fn group_and_job(s: &Stack, tenant: &str, device: &str) -> (String, String) {
    let admin = s.token(tenant, Role::Admin);
    let (status, group) = s
        .raw(
            Method::POST,
            "/v1/groups",
            Some(&admin),
            Some(json!({"name": "matrix"})),
        )
        .await;
    assert_eq!(status, 200, "{group}");
    let group = group["id"].as_str().expect("group id").to_owned();
    let (status, added) = s
        .raw(
            Method::POST,
            &format!("/v1/groups/{group}/devices"),
            Some(&admin),
            Some(json!({"devices": [device]})),
        )
        .await;
    assert_eq!(
        (status, added["changed"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{added}"
    );
    let (status, job) = s
        .raw(
            Method::POST,
            "/v1/jobs",
            Some(&admin),
            Some(json!({"command": {"type": "ring"}, "target": {"kind": "group", "group": group}})),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    (group, job["id"].as_str().expect("job id").to_owned())
}

/// Creates a policy and makes it the tenant's default; returns its id.
async fn default_policy(s: &Stack, tenant: &str) -> String {
    let admin = s.token(tenant, Role::Admin);
    let (status, policy) = s
        .raw(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(json!({"name": "matrix", "document": {"restrictions": {"nfc_disabled": true}}})),
        )
        .await;
    assert_eq!(status, 200, "{policy}");
    let id = policy["id"].as_str().expect("policy id").to_owned();
    let (status, set) = s
        .raw(
            Method::PUT,
            "/v1/default-policy",
            Some(&admin),
            Some(json!({"policy_id": id})),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    id
}

/// Enrolls a device to the tenant's `user` (the subject `s.token(tenant, Role::User)` carries),
/// so that user's self-service routes reach it.
async fn owned_sink_device(s: &Stack, tenant: &str, n: u64) -> (String, String) {
    let admin = s.token(tenant, Role::Admin);
    let (status, token) = s
        .raw(
            Method::POST,
            "/v1/enrollment-tokens",
            Some(&admin),
            Some(json!({"max_uses": 1, "owner": format!("user@{tenant}")})),
        )
        .await;
    assert_eq!(status, 200, "{token}");
    let body = mdm_devtools::agent::SimDevice::enrollment_body(
        n,
        token["token"].as_str().expect("secret"),
        "android",
        &format!("sink:{n}"),
    );
    let v = s.api.enroll(&body).await.expect("enroll");
    (
        v["device_id"].as_str().expect("device id").to_owned(),
        v["device_credential"]
            .as_str()
            .expect("credential")
            .to_owned(),
    )
}

/// Adds an app to the tenant's catalogue; returns its catalogue id.
async fn catalogue_app(s: &Stack, tenant: &str) -> String {
    let (status, app) = s
        .raw(
            Method::POST,
            "/v1/apps",
            Some(&s.token(tenant, Role::Admin)),
            Some(json!({"app_id": "com.matrix.app", "platform": "android", "name": "matrix"})),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    app["id"].as_str().expect("app id").to_owned()
}

/// Creates a geofence as an admin of the tenant; returns its id.
async fn geofence(s: &Stack, tenant: &str) -> String {
    let (status, body) = s
        .raw(
            Method::POST,
            "/v1/geofences",
            Some(&s.token(tenant, Role::Admin)),
            Some(geofence_body()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().expect("geofence id").to_owned()
}

fn geofence_body() -> Value {
    json!({
        "name": "matrix",
        "shape": {"type": "circle", "latitude": 48.85, "longitude": 2.35, "radius_m": 500},
    })
}

/// Registers a webhook endpoint on loopback (exempt in the test stacks) for an event nothing in
/// the matrix publishes; returns its id.
async fn webhook(s: &Stack, tenant: &str) -> String {
    let (status, body) = s
        .raw(
            Method::POST,
            "/v1/webhooks",
            Some(&s.token(tenant, Role::Admin)),
            Some(json!({"url": "http://127.0.0.1:9/matrix", "events": ["sim.changed"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().expect("webhook id").to_owned()
}

/// Creates an enrollment token and returns its id (the secret is not needed here).
async fn token_id(s: &Stack, tenant: &str) -> String {
    let admin = s.token(tenant, Role::Admin);
    let (status, body) = s
        .raw(
            Method::POST,
            "/v1/enrollment-tokens",
            Some(&admin),
            Some(json!({"max_uses": 1})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().expect("token id").to_owned()
}

async fn world(s: &Stack) -> World {
    let dev = |(id, cred): (String, String)| Dev { id, cred };
    let w = World {
        a1: dev(owned_sink_device(s, "acme", 60).await),
        a2: dev(s.enroll_sink_device("acme", 61).await),
        wiped: dev(s.enroll_sink_device("acme", 62).await),
        unenrolled: dev(s.enroll_sink_device("acme", 63).await),
        b1: dev(owned_sink_device(s, "globex", 64).await),
        b_gone: dev(s.enroll_sink_device("globex", 65).await),
        a1_serial: String::new(),
        a_cmd: String::new(),
        b_cmd: String::new(),
        a_token: token_id(s, "acme").await,
        b_token: token_id(s, "globex").await,
        a_group: String::new(),
        b_group: String::new(),
        a_job: String::new(),
        b_job: String::new(),
        a_policy: default_policy(s, "acme").await,
        b_policy: default_policy(s, "globex").await,
        a_app: catalogue_app(s, "acme").await,
        b_app: catalogue_app(s, "globex").await,
        a_geofence: geofence(s, "acme").await,
        b_geofence: geofence(s, "globex").await,
        a_webhook: webhook(s, "acme").await,
        b_webhook: webhook(s, "globex").await,
    };
    let (a_group, a_job) = group_and_job(s, "acme", &w.a1.id).await;
    let (b_group, b_job) = group_and_job(s, "globex", &w.b1.id).await;
    let (status, body) = s
        .raw(
            Method::POST,
            "/v1/tenants",
            Some(&s.platform_token()),
            Some(json!({"id": MATRIX_TENANT, "name": "Initech"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    revoke(s, "acme", &w.wiped, "wipe").await;
    revoke(s, "acme", &w.unenrolled, "enterprise_wipe").await;
    revoke(s, "globex", &w.b_gone, "enterprise_wipe").await;
    let a1_serial = s.device("acme", &w.a1.id).await["serial"]
        .as_str()
        .expect("serial")
        .to_owned();
    let a_cmd = s.queue("acme", &w.a1.id, json!({"type": "locate"})).await;
    let b_cmd = s.queue("globex", &w.b1.id, json!({"type": "locate"})).await;
    World {
        a_cmd,
        b_cmd,
        a1_serial,
        a_group,
        b_group,
        a_job,
        b_job,
        ..w
    }
}

impl World {
    fn bearer(&self, s: &Stack, who: Who) -> Option<String> {
        match who {
            Who::Nobody => None,
            Who::Garbage => Some("not-a-credential".into()),
            Who::Acme(role) => Some(s.token("acme", role)),
            Who::GlobexAdmin => Some(s.token("globex", Role::Admin)),
            Who::Platform => Some(s.platform_token()),
            Who::DeviceA1 => Some(self.a1.cred.clone()),
            Who::SiblingA2 => Some(self.a2.cred.clone()),
            Who::GlobexDevice => Some(self.b1.cred.clone()),
            Who::Wiped => Some(self.wiped.cred.clone()),
            Who::Unenrolled => Some(self.unenrolled.cred.clone()),
        }
    }

    fn path(&self, template: &str, objects: Objects) -> String {
        // Unenrol and retire act on devices already revoked, so the matrix's live devices keep
        // their credentials for the routes that come after.
        let decommission = template.ends_with("/unenroll") || template.ends_with("/retire");
        let (device, command, token) = match (objects, decommission) {
            (Objects::Acme, false) => (&self.a1.id, &self.a_cmd, &self.a_token),
            (Objects::Acme, true) => (&self.unenrolled.id, &self.a_cmd, &self.a_token),
            (Objects::Globex, false) => (&self.b1.id, &self.b_cmd, &self.b_token),
            (Objects::Globex, true) => (&self.b_gone.id, &self.b_cmd, &self.b_token),
            (Objects::Mixed, _) => (&self.a1.id, &self.b_cmd, &self.a_token),
        };
        let (group, job, policy, app, geofence, webhook) = match objects {
            Objects::Globex => (
                &self.b_group,
                &self.b_job,
                &self.b_policy,
                &self.b_app,
                &self.b_geofence,
                &self.b_webhook,
            ),
            Objects::Acme | Objects::Mixed => (
                &self.a_group,
                &self.a_job,
                &self.a_policy,
                &self.a_app,
                &self.a_geofence,
                &self.a_webhook,
            ),
        };
        let path = template
            .replace("{device_id}", device)
            .replace("{command_id}", command)
            .replace("{token_id}", token)
            .replace("{group_id}", group)
            .replace("{job_id}", job)
            .replace("{policy_id}", policy)
            .replace("{catalogue_id}", app)
            .replace("{geofence_id}", geofence)
            .replace("{webhook_id}", webhook)
            .replace("{version}", "1")
            .replace("{platform}", "android")
            .replace("{tenant_id}", MATRIX_TENANT);
        if template == "/v1/devices/lookup" {
            format!("{path}?serial={}", self.a1_serial)
        } else {
            path
        }
    }

    /// Identifiers a caller must never see: everything that is not its own.
    fn foreign_to(&self, who: Who) -> Vec<&str> {
        let acme = [
            self.a1.id.as_str(),
            self.a2.id.as_str(),
            self.wiped.id.as_str(),
            self.unenrolled.id.as_str(),
            self.a_cmd.as_str(),
            self.a_token.as_str(),
            self.a_group.as_str(),
            self.a_job.as_str(),
            self.a_policy.as_str(),
            self.a_app.as_str(),
            self.a_geofence.as_str(),
            self.a_webhook.as_str(),
        ];
        let globex = [
            self.b1.id.as_str(),
            self.b_cmd.as_str(),
            self.b_token.as_str(),
            self.b_gone.id.as_str(),
            self.b_group.as_str(),
            self.b_job.as_str(),
            self.b_policy.as_str(),
            self.b_app.as_str(),
            self.b_geofence.as_str(),
            self.b_webhook.as_str(),
        ];
        let creds = [
            self.a1.cred.as_str(),
            self.a2.cred.as_str(),
            self.wiped.cred.as_str(),
            self.unenrolled.cred.as_str(),
            self.b1.cred.as_str(),
            self.b_gone.cred.as_str(),
        ];
        let mut out: Vec<&str> = creds.to_vec();
        match who {
            Who::Acme(_) => out.extend(globex),
            Who::GlobexAdmin => out.extend(acme),
            // A device sees its own id and commands only (a job's commands carry the job's id).
            Who::DeviceA1 => out.extend(
                globex
                    .iter()
                    .chain(&acme[1..4])
                    .chain(&acme[5..7])
                    .chain(&acme[8..]),
            ),
            Who::SiblingA2 => {
                out.extend(globex.iter().chain([&acme[0], &acme[4]]).chain(&acme[5..]));
            }
            Who::GlobexDevice => out.extend(acme),
            _ => {
                out.extend(acme);
                out.extend(globex);
            }
        }
        out
    }
}

fn uses_objects(path: &str) -> bool {
    [
        "{device_id}",
        "{command_id}",
        "{token_id}",
        "{group_id}",
        "{job_id}",
        "{policy_id}",
        "{catalogue_id}",
        "{geofence_id}",
        "{webhook_id}",
    ]
    .iter()
    .any(|p| path.contains(p))
}

/// The answer the route table implies for a caller and the objects in the path.
fn expected(route: &Route, who: Who, objects: Objects) -> Expect {
    let own_tenant =
        |tenant_objects: Objects| !uses_objects(route.path) || objects == tenant_objects;
    match route.caller {
        Caller::EnrollmentToken | Caller::Public => Expect::Allowed,
        Caller::Tenant(roles) => match who {
            Who::Acme(role) if !roles.contains(&role) => Expect::Status(403),
            Who::GlobexAdmin if !roles.contains(&Role::Admin) => Expect::Status(403),
            Who::Acme(_) if own_tenant(Objects::Acme) => Expect::Allowed,
            Who::GlobexAdmin if own_tenant(Objects::Globex) => Expect::Allowed,
            Who::Acme(_) | Who::GlobexAdmin => Expect::Status(404),
            // A valid token, of the wrong kind.
            Who::Platform => Expect::Status(403),
            _ => Expect::Status(401),
        },
        Caller::Platform => match who {
            Who::Platform => Expect::Allowed,
            Who::Acme(_) | Who::GlobexAdmin => Expect::Status(403),
            _ => Expect::Status(401),
        },
        Caller::Device => {
            let mine = match who {
                Who::DeviceA1 => Objects::Acme,
                Who::GlobexDevice => Objects::Globex,
                // a2 owns none of the commands in the matrix.
                Who::SiblingA2 => {
                    return if uses_objects(route.path) {
                        Expect::Status(404)
                    } else {
                        Expect::Allowed
                    };
                }
                _ => return Expect::Status(401),
            };
            if own_tenant(mine) {
                Expect::Allowed
            } else {
                Expect::Status(404)
            }
        }
    }
}

/// A valid body for each route, so that a refusal is about the caller, not the body.
async fn body_for(
    s: &Stack,
    w: &World,
    route: &Route,
    who: Who,
    objects: Objects,
    n: u64,
) -> Option<Value> {
    // A policy of the tenant whose objects (or, without objects, whose caller) the call is about.
    let policy =
        if objects == Objects::Globex || (who == Who::GlobexAdmin && !uses_objects(route.path)) {
            &w.b_policy
        } else {
            &w.a_policy
        };
    match (route.method.as_str(), route.path) {
        ("POST", "/v1/enroll") => {
            let token = s.enrollment_token("acme", 1).await;
            Some(mdm_devtools::agent::SimDevice::enrollment_body(
                100 + n,
                &token,
                "android",
                "sink:matrix",
            ))
        }
        ("POST", "/v1/device/checkin") => Some(json!({"battery_level": 50})),
        ("PUT", "/v1/device/inventory") => {
            Some(json!({"battery": {"level": 50, "charging": false}}))
        }
        ("POST", p) if p.ends_with("/result") => Some(json!({"status": "acknowledged"})),
        ("POST", "/v1/enrollment-tokens") => Some(json!({"max_uses": 1})),
        ("POST", "/v1/devices/{device_id}/commands") => {
            Some(json!({"command": {"type": "ring", "duration_seconds": 5}}))
        }
        ("POST" | "PUT", "/v1/groups" | "/v1/groups/{group_id}") => Some(json!({"name": "matrix"})),
        // A device id nobody has: the answer names only what the caller sent.
        ("POST", p)
            if p.starts_with("/v1/groups/{group_id}/devices")
                || p == "/v1/policies/{policy_id}/devices" =>
        {
            Some(json!({"devices": ["MATRIX0"]}))
        }
        ("POST", "/v1/policies") | ("PUT", "/v1/policies/{policy_id}") => Some(json!({
            "name": "matrix",
            "document": {"restrictions": {"nfc_disabled": true}},
        })),
        ("PUT", "/v1/devices/{device_id}/policy" | "/v1/default-policy") => {
            Some(json!({ "policy_id": policy }))
        }
        ("PUT", "/v1/groups/{group_id}/policy") => {
            Some(json!({"policy_id": policy, "priority": 1}))
        }
        ("POST", "/v1/me/enrollment-tokens") => Some(json!({"label": "matrix"})),
        ("POST", p) if p.ends_with("/lost") => Some(json!({"message": "matrix"})),
        ("POST", "/v1/me/devices/{device_id}/commands") => {
            Some(json!({"command": {"type": "locate"}}))
        }
        // A package per call, so each allowed creation is a new app rather than a conflict.
        ("POST", "/v1/apps") => Some(json!({
            "app_id": format!("com.matrix.app{n}"),
            "platform": "android",
            "name": "matrix",
        })),
        ("PUT", "/v1/apps/{catalogue_id}") => Some(json!({"name": "matrix", "version": "1.0"})),
        ("POST", "/v1/apps/{catalogue_id}/install" | "/v1/apps/{catalogue_id}/remove") => {
            Some(json!({"target": {"kind": "devices", "devices": ["MATRIX0"]}}))
        }
        ("POST", "/v1/jobs") => Some(json!({
            "command": {"type": "ring"},
            "target": {"kind": "devices", "devices": ["MATRIX0"]},
        })),
        ("POST", "/v1/geofences") | ("PUT", "/v1/geofences/{geofence_id}") => Some(geofence_body()),
        ("POST", "/v1/webhooks") => Some(json!({
            "url": "http://127.0.0.1:9/matrix",
            "events": ["sim.changed"],
        })),
        ("PATCH", "/v1/webhooks/{webhook_id}") => Some(json!({"enabled": true})),
        ("PUT", "/v1/settings") => Some(json!({"name": "Acme", "time_zone": "Europe/Paris"})),
        ("POST", "/v1/tenants") => Some(json!({"id": MATRIX_TENANT, "name": "Initech"})),
        ("PUT", "/v1/tenants/{tenant_id}/limits") => Some(json!({"max_devices": 100})),
        ("PUT", "/v1/push-config/{platform}") => {
            Some(json!({"provider": "fcm", "credentials": {"project_id": "matrix"}}))
        }
        ("PUT", "/v1/apple/signing-identity") => {
            // One RSA identity per test binary: the key generation is the slow part.
            static PEM: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
            let (cert, key) = PEM.get_or_init(|| super::apple::signing_pem("Matrix signer"));
            Some(json!({"certificate_pem": cert, "private_key_pem": key}))
        }
        _ => None,
    }
}

async fn call(
    client: &reqwest::Client,
    s: &Stack,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> (u16, String) {
    let mut req = client.request(method, format!("{}{path}", s.base));
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let res = req.send().await.expect("the server answers");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

/// Every route x caller x objects, and every unserved method: no answer leaks.
pub async fn no_caller_reaches_anything_the_route_table_does_not_grant(s: &Stack) {
    let w = world(s).await;
    let client = reqwest::Client::new();
    let mut cases = 0u64;
    let mut failures = Vec::new();
    for route in ROUTES {
        let both = route.path.contains("{device_id}") && route.path.contains("{command_id}");
        let bindings: &[Objects] = if both {
            &[Objects::Acme, Objects::Globex, Objects::Mixed]
        } else if uses_objects(route.path) {
            &[Objects::Acme, Objects::Globex]
        } else {
            &[Objects::Acme]
        };
        for &objects in bindings {
            for who in EVERYONE {
                cases += 1;
                let path = w.path(route.path, objects);
                let body = body_for(s, &w, route, who, objects, cases).await;
                let bearer = w.bearer(s, who);
                let (status, text) = call(
                    &client,
                    s,
                    route.method.clone(),
                    &path,
                    bearer.as_deref(),
                    body.as_ref(),
                )
                .await;
                let want = expected(route, who, objects);
                let ok = match want {
                    Expect::Allowed => ![401, 403, 404, 405].contains(&status),
                    Expect::Status(code) => status == code,
                };
                // Refusals carry no identifier at all; answers none of anyone else's.
                let leaked: Vec<&str> = if status >= 400 {
                    let mut all = w.foreign_to(Who::Nobody);
                    all.retain(|id| text.contains(id));
                    all
                } else {
                    w.foreign_to(who)
                        .into_iter()
                        .filter(|id| text.contains(id))
                        .collect()
                };
                if !ok || !leaked.is_empty() {
                    failures.push(format!(
                        "{} {path} as {who:?}: {status} (expected {want:?}), leaked {leaked:?}: {text}",
                        route.method
                    ));
                }
            }
        }
    }
    // Methods a path does not serve are refused before anything is read.
    let mut paths: Vec<&str> = ROUTES.iter().map(|r| r.path).collect();
    paths.sort_unstable();
    paths.dedup();
    for template in paths {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if ROUTES
                .iter()
                .any(|r| r.path == template && r.method == method)
            {
                continue;
            }
            cases += 1;
            let admin = s.token("acme", Role::Admin);
            let path = w.path(template, Objects::Acme);
            let (status, text) = call(&client, s, method.clone(), &path, Some(&admin), None).await;
            let leaked = w
                .foreign_to(Who::Nobody)
                .into_iter()
                .any(|id| text.contains(id));
            if status != 405 || leaked {
                failures.push(format!("{method} {path}: {status}: {text}"));
            }
        }
    }
    crate::figures::report(
        "security_matrix",
        &format!(
            "security matrix ({}): {cases} cases over {} routes, {} leaks or wrong answers",
            s.backend,
            ROUTES.len(),
            failures.len()
        ),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
