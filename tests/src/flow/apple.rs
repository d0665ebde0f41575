//! Apple devices over Apple's own protocol, as a real iPhone speaks it (the simulated device of
//! `apple_device`): enrolment profile, SCEP, signed plist check-ins, APNs wake-ups with the
//! device's PushMagic, and the command endpoint, all reaching the same lifecycle, audit, jobs,
//! inventory, compliance and policies as every other device. What the server sends is checked
//! against Apple's schemas in ../shared/conformance/apple.

use std::time::Duration;

use mdm_apple::schema::{Schema, check_profile};
use mdm_core::domain::Role;
use plist::{Dictionary, Value};
use reqwest::Method;
use serde_json::json;

use crate::stack::Stack;
use mdm_devtools::agent::apple::{Answer, AppleDevice, command_of};

/// Makes `tenant` ready for Apple devices: its APNs MDM certificate (the fake APNs of the
/// stack receives the pushes); returns the certificate's topic.
pub async fn apple_ready(s: &Stack, tenant: &str) -> String {
    s.configure_apns_mdm(tenant, 365).await
}

/// An enrolled simulated iPhone of `tenant`, device number `n`; returns it with its id.
pub async fn enrolled_iphone(s: &Stack, tenant: &str, n: u64) -> (AppleDevice, String) {
    let token = s.enrollment_token(tenant, 1).await;
    let mut phone = AppleDevice::new(n);
    phone.enrol(&s.base, &token).await;
    let device = device_of(s, tenant, &phone).await;
    (phone, device)
}

/// The device id of an enrolled simulated device, found by its serial.
pub async fn device_of(s: &Stack, tenant: &str, phone: &AppleDevice) -> String {
    let admin = s.token(tenant, Role::Admin);
    let (status, found) = s
        .raw(
            Method::GET,
            &format!("/v1/devices/lookup?serial={}", phone.serial),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    found["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the device is found by serial: {found}"))
        .to_owned()
}

/// Checks a command the server sent against Apple's schema of its RequestType.
fn conforms(kind: &str, command: &Dictionary) {
    let schema = Schema::for_request_type(kind).expect("Apple's schema of the command");
    let problems = schema.check(command);
    assert!(
        problems.is_empty(),
        "{kind} breaks Apple's schema: {problems:?}"
    );
}

/// The command an answer carries, checked to be `kind` under `uuid` and to conform to Apple's
/// schema of it.
fn expect_command(answer: &Answer, uuid: &str, kind: &str) -> Dictionary {
    let (got_uuid, got_kind, command) = command_of(&answer.plist().expect("a command"));
    assert_eq!((got_uuid.as_str(), got_kind.as_str()), (uuid, kind));
    conforms(kind, &command);
    command
}

fn data(d: &Dictionary, key: &str) -> Vec<u8> {
    d.get(key)
        .and_then(Value::as_data)
        .unwrap_or_else(|| panic!("{key} is data"))
        .to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn audit_actions(s: &Stack, tenant: &str) -> Vec<String> {
    let auditor = s.token(tenant, Role::Auditor);
    let (status, page) = s
        .raw(Method::GET, "/v1/audit?limit=200", Some(&auditor), None)
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .expect("audit entries")
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

/// Given a tenant with its APNs MDM certificate, when an iPhone installs the enrolment profile,
/// gets its identity by SCEP, authenticates and sends its push token, then it is an enrolled
/// Apple device; a queued lock wakes it through APNs with its PushMagic, it fetches DeviceLock
/// at Idle and acknowledges it, and the command's history, the audit log and the device show it.
pub async fn an_iphone_enrols_by_profile_and_scep_and_a_lock_reaches_it_through_apns(s: &Stack) {
    let topic = apple_ready(s, "acme").await;
    let rx = super::webhooks::Receiver::start(0).await;
    super::webhooks::register(
        s,
        "acme",
        &rx.url,
        &["device.enrolled", "command.state_changed"],
    )
    .await;
    let token = s.enrollment_token("acme", 1).await;
    let mut phone = AppleDevice::new(1);
    let profile = phone.download_profile(&s.base, &token).await;
    assert_eq!(profile.status, 200);
    let problems = check_profile(&phone.enrolment.profile);
    assert!(
        problems.is_empty(),
        "the enrolment profile breaks Apple's schemas: {problems:?}"
    );
    assert_eq!(phone.enrolment.topic, topic);
    assert_eq!(
        phone.enrolment.identity_certificate_uuid, phone.enrolment.scep_payload_uuid,
        "the MDM payload's identity is the SCEP payload's certificate"
    );
    assert!(phone.enrolment.server_url.starts_with(&s.base));
    assert_eq!(phone.scep().await.status, 200);
    assert_eq!(phone.authenticate().await.status, 200);
    assert_eq!(phone.token_update().await.status, 200);
    // At enrolment the server asks for the device's inventory first.
    assert_eq!(
        phone.drain().await,
        [
            "DeviceInformation",
            "SecurityInfo",
            "InstalledApplicationList"
        ]
    );

    let device = device_of(s, "acme", &phone).await;
    let view = s.device("acme", &device).await;
    assert_eq!(
        (&view["channel"], &view["platform"], &view["state"]),
        (&json!("apple"), &json!("ios"), &json!("enrolled")),
        "{view}"
    );
    assert_eq!(view["serial"], phone.serial.as_str());
    assert_eq!(view["model"], "iPhone15,2");
    assert_eq!(view["imei"], "359072081234564");
    assert_eq!(view["os_version"], "18.1");

    let id = s
        .queue(
            "acme",
            &device,
            json!({"type": "lock", "message": "Call IT", "phone_number": "+14155550100"}),
        )
        .await;
    s.wait_for_status("acme", &device, &id, "push_sent").await;
    let pushes = s.apns_pushes();
    let push = pushes
        .iter()
        .find(|p| p.device_token == hex(&phone.push_token))
        .expect("a push to the device's token");
    assert_eq!(push.payload, json!({"mdm": phone.push_magic}));
    assert_eq!(push.topic.as_deref(), Some(topic.as_str()));

    let answer = phone.idle().await;
    assert_eq!(answer.status, 200);
    let (uuid, kind, command) = command_of(&answer.plist().expect("a command"));
    assert_eq!((uuid.as_str(), kind.as_str()), (id.as_str(), "DeviceLock"));
    conforms(&kind, &command);
    assert_eq!(
        command.get("Message").and_then(Value::as_string),
        Some("Call IT")
    );
    assert_eq!(
        command.get("PhoneNumber").and_then(Value::as_string),
        Some("+14155550100")
    );
    s.wait_for_status("acme", &device, &id, "fetched").await;

    let done = phone.acknowledge(&uuid, Dictionary::new()).await;
    assert_eq!(
        (done.status, done.body.len()),
        (200, 0),
        "nothing more waits"
    );
    let c = s
        .wait_for_status("acme", &device, &id, "acknowledged")
        .await;
    let history: Vec<&str> = c["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(
        history,
        ["queued", "push_sent", "fetched", "acknowledged"],
        "{c}"
    );
    assert_eq!(s.device("acme", &device).await["locked"], true);
    // The tenant's webhook heard of the enrolment and of the lock's acknowledgement.
    let mut heard = Vec::new();
    for _ in 0..200 {
        heard = rx.received().iter().map(|r| r.json()).collect::<Vec<_>>();
        let acked = heard.iter().any(|e| {
            e["type"] == "command.state_changed"
                && e["data"]["to"] == "acknowledged"
                && e["data"]["command"] == id.as_str()
        });
        if acked && heard.iter().any(|e| e["type"] == "device.enrolled") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let enrolled = heard
        .iter()
        .find(|e| e["type"] == "device.enrolled")
        .unwrap_or_else(|| panic!("device.enrolled delivered: {heard:?}"));
    assert_eq!(enrolled["data"]["channel"], "apple", "{enrolled}");
    assert!(
        heard.iter().any(|e| e["type"] == "command.state_changed"
            && e["data"]["to"] == "acknowledged"
            && e["data"]["command"] == id.as_str()),
        "{heard:?}"
    );
    // The same signed answer again (a replay, or a device retrying) changes nothing.
    let again = phone.acknowledge(&uuid, Dictionary::new()).await;
    assert_eq!((again.status, again.body.len()), (200, 0));
    assert_eq!(
        s.command("acme", &device, &id).await["history"],
        c["history"]
    );
    let actions = audit_actions(s, "acme").await;
    for action in [
        "apple.profile_issued",
        "apple.identity_issued",
        "device.enroll",
        "apple.enrolled",
        "apple.inventory_requested",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    // An Idle with nothing to do gets an empty answer.
    let idle = phone.idle().await;
    assert_eq!((idle.status, idle.body.len()), (200, 0));
}

/// Given an enrolled iPhone, when an admin asks for its inventory, then DeviceInformation,
/// SecurityInfo and InstalledApplicationList come one after the other under the one command,
/// and their answers fill the device's inventory and hot record; a passcode reset carries the
/// UnlockToken the device escrowed, and a locate gives the device its position.
pub async fn an_iphone_s_answers_fill_its_inventory_and_its_commands_carry_what_apple_needs(
    s: &Stack,
) {
    apple_ready(s, "acme").await;
    let (phone, device) = enrolled_iphone(s, "acme", 2).await;
    let id = s
        .queue("acme", &device, json!({"type": "refresh_inventory"}))
        .await;
    expect_command(&phone.idle().await, &id, "DeviceInformation");
    let uuid = id.clone();

    let mut info = Dictionary::new();
    let mut q = Dictionary::new();
    q.insert("OSVersion".into(), "18.2".into());
    q.insert("BuildVersion".into(), "22C152".into());
    q.insert("SerialNumber".into(), phone.serial.clone().into());
    q.insert("ProductName".into(), "iPhone15,2".into());
    q.insert("ModelName".into(), "iPhone".into());
    q.insert("DeviceCapacity".into(), Value::Real(128.0));
    q.insert("AvailableDeviceCapacity".into(), Value::Real(64.0));
    q.insert("BatteryLevel".into(), Value::Real(0.5));
    q.insert("ICCID".into(), "8944 5000 0000 0000 0001".into());
    q.insert("PhoneNumber".into(), "+1 415 555 0100".into());
    info.insert("QueryResponses".into(), Value::Dictionary(q));
    let second = phone.acknowledge(&uuid, info).await;
    let (uuid2, kind2, command2) = command_of(&second.plist().expect("the next step"));
    assert_eq!((uuid2, kind2.as_str()), (format!("{id}.1"), "SecurityInfo"));
    conforms(&kind2, &command2);

    let mut sec = Dictionary::new();
    let mut si = Dictionary::new();
    si.insert("PasscodePresent".into(), true.into());
    si.insert("PasscodeCompliant".into(), true.into());
    si.insert("PasscodeCompliantWithProfiles".into(), true.into());
    si.insert("HardwareEncryptionCaps".into(), 3.into());
    sec.insert("SecurityInfo".into(), Value::Dictionary(si));
    let third = phone.acknowledge(&format!("{id}.1"), sec).await;
    let (uuid3, kind3, command3) = command_of(&third.plist().expect("the last step"));
    assert_eq!(
        (uuid3, kind3.as_str()),
        (format!("{id}.2"), "InstalledApplicationList")
    );
    conforms(&kind3, &command3);

    let mut apps = Dictionary::new();
    let mut app = Dictionary::new();
    app.insert("Identifier".into(), "com.example.mail".into());
    app.insert("Name".into(), "Mail".into());
    app.insert("ShortVersion".into(), "2.1".into());
    app.insert("Version".into(), "210".into());
    apps.insert(
        "InstalledApplicationList".into(),
        Value::Array(vec![Value::Dictionary(app)]),
    );
    let last = phone.acknowledge(&format!("{id}.2"), apps).await;
    assert_eq!((last.status, last.body.len()), (200, 0));
    s.wait_for_status("acme", &device, &id, "acknowledged")
        .await;

    let view = s.device("acme", &device).await;
    assert_eq!(view["os_version"], "18.2", "{view}");
    assert_eq!(view["battery_level"], 50);
    let inv = &view["inventory"];
    assert_eq!(inv["os"]["build"], "22C152", "{inv}");
    assert_eq!(inv["storage"]["total_bytes"], 128_000_000_000u64);
    assert_eq!(
        (&inv["encrypted"], &inv["passcode_set"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(inv["apps"][0]["id"], "com.example.mail");
    assert_eq!(inv["sim"]["iccid"], "89445000000000000001");
    assert_eq!(inv["sim"]["phone_number"], "+14155550100");

    // The passcode reset carries the escrowed UnlockToken.
    let reset = s
        .queue("acme", &device, json!({"type": "reset_passcode"}))
        .await;
    let command = expect_command(&phone.idle().await, &reset, "ClearPasscode");
    let uuid = reset.clone();
    assert_eq!(data(&command, "UnlockToken"), phone.unlock_token);
    phone.acknowledge(&uuid, Dictionary::new()).await;

    // A located device reports its position.
    let locate = s.queue("acme", &device, json!({"type": "locate"})).await;
    expect_command(&phone.idle().await, &locate, "DeviceLocation");
    let uuid = locate.clone();
    let mut fix = Dictionary::new();
    fix.insert("Latitude".into(), Value::Real(48.8566));
    fix.insert("Longitude".into(), Value::Real(2.3522));
    fix.insert("HorizontalAccuracy".into(), Value::Real(12.0));
    phone.acknowledge(&uuid, fix).await;
    s.wait_for_status("acme", &device, &locate, "acknowledged")
        .await;
    let view = s.device("acme", &device).await;
    assert_eq!(view["location"]["latitude"], 48.8566, "{view}");

    // An error answer keeps Apple's error chain as the reason.
    let restart = s.queue("acme", &device, json!({"type": "reboot"})).await;
    expect_command(&phone.idle().await, &restart, "RestartDevice");
    let uuid = restart.clone();
    let mut err = Dictionary::new();
    let mut chain = Dictionary::new();
    chain.insert("ErrorDomain".into(), "MCMDMErrorDomain".into());
    chain.insert("ErrorCode".into(), 12021.into());
    chain.insert(
        "LocalizedDescription".into(),
        "Device is not supervised".into(),
    );
    chain.insert(
        "USEnglishDescription".into(),
        "Device is not supervised".into(),
    );
    err.insert(
        "ErrorChain".into(),
        Value::Array(vec![Value::Dictionary(chain)]),
    );
    let answered = phone.connect("Error", Some(&uuid), err).await;
    assert_eq!(answered.status, 200);
    let c = s.wait_for_status("acme", &device, &restart, "error").await;
    assert_eq!(
        c["result"]["error"]["code"], "MCMDMErrorDomain:12021",
        "{c}"
    );

    // A wipe, once acknowledged, revokes the device: its next Idle is refused.
    let wipe = s.queue("acme", &device, json!({"type": "wipe"})).await;
    expect_command(&phone.idle().await, &wipe, "EraseDevice");
    let uuid = wipe.clone();
    phone.acknowledge(&uuid, Dictionary::new()).await;
    assert_eq!(s.device("acme", &device).await["state"], "wiped");
    let after = phone.idle().await;
    assert_eq!(after.status, 401, "{:?}", after.json());
}

/// Given an iPhone whose policy has a passcode, restrictions and a Wi-Fi network, when it says
/// Idle, then it gets the policy as one configuration profile that Apple's schemas accept;
/// once acknowledged it is not sent again, and unassigning the policy removes the profile.
pub async fn a_policy_reaches_an_iphone_as_a_profile_and_unassigning_it_removes_it(s: &Stack) {
    apple_ready(s, "acme").await;
    let (phone, device) = enrolled_iphone(s, "acme", 3).await;
    let policy = super::policies::create_policy(
        s,
        "acme",
        "Office",
        json!({
            "passcode": {"min_length": 6, "complexity": "numeric", "max_failed_attempts": 10, "auto_lock_seconds": 120},
            "restrictions": {"camera_disabled": true, "screen_capture_disabled": true},
            "wifi": [{"ssid": "Office", "security": "wpa2_psk", "password": "correct horse"}],
        }),
    )
    .await;
    let admin = s.token("acme", Role::Admin);
    let assigned = assign_policy(s, &device, &policy).await;
    let version = assigned["version"].as_str().expect("version").to_owned();

    let (uuid, kind, command) = command_of(&phone.idle().await.plist().expect("the profile"));
    assert_eq!(
        (uuid, kind.as_str()),
        (format!("policy.{version}"), "InstallProfile")
    );
    conforms(&kind, &command);
    let profile = data(&command, "Payload");
    let problems = check_profile(&profile);
    assert!(
        problems.is_empty(),
        "the policy profile breaks Apple's schemas: {problems:?}"
    );
    let parsed: Dictionary = plist::from_bytes(&profile).expect("a profile");
    let types: Vec<&str> = parsed["PayloadContent"]
        .as_array()
        .expect("payloads")
        .iter()
        .filter_map(|p| p.as_dictionary()?.get("PayloadType")?.as_string())
        .collect();
    assert_eq!(
        types,
        [
            "com.apple.mobiledevice.passwordpolicy",
            "com.apple.applicationaccess",
            "com.apple.wifi.managed"
        ]
    );
    let done = phone
        .acknowledge(&format!("policy.{version}"), Dictionary::new())
        .await;
    assert_eq!(done.status, 200);
    let idle = phone.idle().await;
    assert_eq!(idle.body.len(), 0, "an applied policy is not sent again");

    let (status, _) = s
        .raw(
            Method::DELETE,
            &format!("/v1/devices/{device}/policy"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (uuid, kind, command) = command_of(&phone.idle().await.plist().expect("the removal"));
    assert_eq!(kind, "RemoveProfile");
    conforms(&kind, &command);
    phone.acknowledge(&uuid, Dictionary::new()).await;
    assert_eq!(phone.idle().await.body.len(), 0);
}

/// Given an iPhone and an agent Android phone, when an operator sends a lock to the whole
/// tenant, then each gets it in its own protocol and the job counts both acknowledged.
pub async fn a_tenant_wide_job_reaches_apple_and_android_devices_together(s: &Stack) {
    apple_ready(s, "acme").await;
    let (phone, apple_device) = enrolled_iphone(s, "acme", 4).await;
    let (android, cred) = s.enroll_sink_device("acme", 404).await;
    let operator = s.token("acme", Role::Operator);
    let (status, job) = s
        .raw(
            Method::POST,
            "/v1/jobs",
            Some(&operator),
            Some(json!({"command": {"type": "lock"}, "target": {"kind": "tenant"}})),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    let job_id = job["id"].as_str().expect("job id").to_owned();
    super::jobs::fanned_out(s, "acme", &job_id).await;

    let (uuid, kind, _) = command_of(&phone.idle().await.plist().expect("the lock"));
    assert_eq!(kind, "DeviceLock");
    phone.acknowledge(&uuid, Dictionary::new()).await;
    for c in s.api.pending(&cred).await.expect("pull") {
        let id = c["id"].as_str().expect("id");
        s.api
            .report(&cred, id, &json!({"status": "acknowledged"}))
            .await
            .expect("report");
    }
    for _ in 0..200 {
        let (_, j) = s
            .raw(
                Method::GET,
                &format!("/v1/jobs/{job_id}"),
                Some(&operator),
                None,
            )
            .await;
        if j["progress"]["acknowledged"] == 2 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the job never counted both devices ({apple_device}, {android})");
}

/// Given an iPhone under an OS-version rule whose ladder locks at once, when its inventory
/// says it runs an older iOS, then it is non-compliant and gets DeviceLock at its next Idle.
pub async fn an_os_version_rule_locks_an_iphone_that_reports_an_old_ios(s: &Stack) {
    apple_ready(s, "acme").await;
    let (phone, device) = enrolled_iphone(s, "acme", 5).await;
    let policy = super::policies::create_policy(
        s,
        "acme",
        "Current iOS",
        json!({"compliance": {"min_os_version": {"version": "18.2", "escalation": [
            {"after_seconds": 0, "action": "lock"}
        ]}}}),
    )
    .await;
    let admin = s.token("acme", Role::Admin);
    assign_policy(s, &device, &policy).await;
    // The policy profile first (the rule itself needs no payload), then the lock.
    let mut seen = Vec::new();
    let mut answer = phone.idle().await;
    while let Some(d) = answer.plist() {
        let (uuid, kind, _) = command_of(&d);
        seen.push(kind);
        answer = phone.acknowledge(&uuid, Dictionary::new()).await;
        if seen.len() > 5 {
            break;
        }
    }
    assert!(seen.contains(&"DeviceLock".to_owned()), "{seen:?}");
    let (status, view) = s
        .raw(
            Method::GET,
            &format!("/v1/devices/{device}/compliance"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "noncompliant", "{view}");
}

/// Given an enrolled iPhone, when the user removes the management profile and the device
/// checks out, then it is unenrolled at once, its open commands are cancelled, it is refused
/// afterwards, and a repeated CheckOut changes nothing.
pub async fn check_out_unenrols_an_iphone_and_cancels_its_open_commands(s: &Stack) {
    apple_ready(s, "acme").await;
    let (phone, device) = enrolled_iphone(s, "acme", 6).await;
    let id = s.queue("acme", &device, json!({"type": "locate"})).await;
    assert_eq!(phone.check_out().await.status, 200);
    assert_eq!(s.device("acme", &device).await["state"], "unenrolled");
    s.wait_for_status("acme", &device, &id, "cancelled").await;
    assert_eq!(phone.idle().await.status, 401);
    // A second CheckOut (a device retrying) is answered the same and changes nothing.
    assert_eq!(phone.check_out().await.status, 200);
    assert_eq!(s.device("acme", &device).await["state"], "unenrolled");
    let actions = audit_actions(s, "acme").await;
    assert_eq!(
        actions.iter().filter(|a| *a == "device.checkout").count(),
        1,
        "{actions:?}"
    );
}

fn problem(a: &Answer) -> (u16, String) {
    (
        a.status,
        a.json()["code"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Given enrolled iPhones of two tenants, when requests come unsigned, signed over another
/// body, with a body that is not a plist or an unknown message, from another tenant's
/// identity, with another device's UDID, or with a spent challenge, then each gets a clear 4xx
/// with a stable code, nothing changes and the server keeps serving.
pub async fn bad_apple_requests_get_clear_refusals_and_change_nothing(s: &Stack) {
    apple_ready(s, "acme").await;
    apple_ready(s, "globex").await;
    let (phone, device) = enrolled_iphone(s, "acme", 7).await;
    let (other, _) = enrolled_iphone(s, "globex", 8).await;
    let checkin = phone.enrolment.checkin_url.clone();
    let server = phone.enrolment.server_url.clone();
    let mut idle = Dictionary::new();
    idle.insert("Status".into(), "Idle".into());
    idle.insert("UDID".into(), phone.udid.clone().into());
    let mut body = Vec::new();
    plist::to_writer_xml(&mut body, &Value::Dictionary(idle.clone())).expect("plist");

    let unsigned = phone.put_raw(&server, body.clone(), None).await;
    assert_eq!(problem(&unsigned), (401, "apple_signature_invalid".into()));
    let forged = phone
        .put_raw(&server, body.clone(), Some(phone.sign(b"another body")))
        .await;
    assert_eq!(problem(&forged), (401, "apple_signature_invalid".into()));
    let garbage = phone
        .put_raw(
            &server,
            b"{\"json\": true}".to_vec(),
            Some(phone.sign(b"{\"json\": true}")),
        )
        .await;
    assert_eq!(problem(&garbage), (400, "apple_message_invalid".into()));
    let not_b64 = phone
        .put_raw(&server, body.clone(), Some("%%%".into()))
        .await;
    assert_eq!(problem(&not_b64), (401, "apple_signature_invalid".into()));
    let unknown = phone.checkin(phone.message("Hello")).await;
    assert_eq!(problem(&unknown), (400, "apple_message_invalid".into()));
    let unknown_status = phone.connect("Bogus", None, Dictionary::new()).await;
    assert_eq!(
        problem(&unknown_status),
        (400, "apple_message_invalid".into())
    );
    let ddm = phone.checkin(phone.message("DeclarativeManagement")).await;
    assert_eq!(problem(&ddm), (400, "apple_message_unsupported".into()));
    let mut user = phone.message("UserAuthenticate");
    user.insert("UserID".into(), "A1B2".into());
    let user = phone.checkin(user).await;
    assert_eq!(
        problem(&user),
        (410, "apple_user_channel_unsupported".into())
    );

    // Another tenant's identity on this tenant's URLs, and this one's on the other's.
    let cross = other.put_signed(&server, idle.clone()).await;
    assert_eq!(problem(&cross), (401, "apple_signature_invalid".into()));
    let cross = phone
        .put_signed(&other.enrolment.server_url, idle.clone())
        .await;
    assert_eq!(problem(&cross), (401, "apple_signature_invalid".into()));

    // The certificate is bound to its device: another UDID is refused.
    let mut stranger = idle.clone();
    stranger.insert("UDID".into(), "00008110-FFFFFFFFFFFFFFFF".into());
    let wrong = phone.put_signed(&server, stranger).await;
    assert_eq!(problem(&wrong), (403, "apple_identity_refused".into()));
    let mut auth = phone.message("Authenticate");
    auth.insert("UDID".into(), "00008110-FFFFFFFFFFFFFFFF".into());
    let rebind = phone.put_signed(&checkin, auth).await;
    assert_eq!(problem(&rebind), (403, "apple_identity_refused".into()));

    // A spent challenge issues nothing.
    let token = s.enrollment_token("acme", 5).await;
    let mut first = AppleDevice::new(9);
    first.download_profile(&s.base, &token).await;
    assert_eq!(first.scep().await.status, 200);
    let mut second = AppleDevice::new(10);
    second.enrolment = first.enrolment.clone();
    let reused = second.scep().await;
    assert_eq!(problem(&reused), (403, "scep_challenge_invalid".into()));
    let scep = format!("{}?operation=PKIOperation", first.enrolment.scep_url);
    let junk = second.put_raw(&scep, Vec::new(), None).await;
    assert!(junk.status == 405 || junk.status == 400, "{}", junk.status);
    let client = reqwest::Client::new();
    let junk = client
        .post(&scep)
        .body(b"not a PKI message".to_vec())
        .send()
        .await
        .expect("answer");
    assert_eq!(junk.status().as_u16(), 400);
    let bad_token = client
        .get(format!(
            "{}/apple/enroll/e1.acme.01ARZ3NDEKTSV4RRFFQ69G5FAV.nope",
            s.base
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(bad_token.status().as_u16(), 403);
    let oversized = phone
        .put_raw(&checkin, vec![b'x'; 70 * 1024], Some(phone.sign(b"x")))
        .await;
    assert_eq!(oversized.status, 413);

    // Nothing of this changed the device, and it is still served.
    let view = s.device("acme", &device).await;
    assert_eq!(view["state"], "enrolled");
    let fine = phone.idle().await;
    assert_eq!(fine.status, 200);
}

/// What an Apple device answers never leaks into another tenant: the other tenant's admin
/// cannot read the device, and a tenant without a CA refuses every signed request.
pub async fn an_apple_device_is_confined_to_its_tenant(s: &Stack) {
    apple_ready(s, "acme").await;
    let (phone, device) = enrolled_iphone(s, "acme", 11).await;
    let globex = s.token("globex", Role::Admin);
    let (status, _) = s
        .raw(
            Method::GET,
            &format!("/v1/devices/{device}"),
            Some(&globex),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let url = phone
        .enrolment
        .server_url
        .replace("/apple/acme/", "/apple/initech/");
    let mut idle = Dictionary::new();
    idle.insert("Status".into(), "Idle".into());
    idle.insert("UDID".into(), phone.udid.clone().into());
    let refused = phone.put_signed(&url, idle).await;
    assert_eq!(problem(&refused), (401, "apple_signature_invalid".into()));
}

/// An RSA certificate and key, as PEM, for a profile-signing identity.
pub(crate) fn signing_pem(name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("an RSA key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("a certificate");
    (cert.pem(), key.serialize_pem())
}

/// Given an admin who sets a profile-signing identity, when a device downloads the enrolment
/// profile, then it comes signed (and still enrols); readers see the identity without its key,
/// only admins change it, a key of another certificate is refused on its field, and once
/// removed profiles are unsigned again.
pub async fn a_signing_identity_signs_enrolment_profiles_and_never_shows_its_key(s: &Stack) {
    apple_ready(s, "acme").await;
    let (admin, auditor, operator) = (
        s.token("acme", Role::Admin),
        s.token("acme", Role::Auditor),
        s.token("acme", Role::Operator),
    );
    let path = "/v1/apple/signing-identity";
    let (status, none) = s.raw(Method::GET, path, Some(&auditor), None).await;
    assert_eq!(status, 404, "{none}");
    let (cert, key) = signing_pem("Acme IT profiles");
    let (_, other_key) = signing_pem("Someone else");
    let body = json!({"certificate_pem": cert, "private_key_pem": key});
    let (status, refused) = s
        .raw(Method::PUT, path, Some(&operator), Some(body.clone()))
        .await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("forbidden")));
    let (status, bad) = s
        .raw(
            Method::PUT,
            path,
            Some(&admin),
            Some(json!({"certificate_pem": cert, "private_key_pem": other_key})),
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["code"], "invalid_field");
    let (status, set) = s.raw(Method::PUT, path, Some(&admin), Some(body)).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["common_name"], "Acme IT profiles");
    let (status, read) = s.raw(Method::GET, path, Some(&auditor), None).await;
    assert_eq!(status, 200);
    assert_eq!(read["fingerprint"], set["fingerprint"]);
    assert!(!read.to_string().contains("PRIVATE KEY"), "{read}");

    let token = s.enrollment_token("acme", 2).await;
    let mut phone = AppleDevice::new(12);
    phone.enrol(&s.base, &token).await;
    assert!(phone.enrolment.signed, "the profile is signed");
    assert!(check_profile(&phone.enrolment.profile).is_empty());

    let (status, _) = s.raw(Method::DELETE, path, Some(&admin), None).await;
    assert_eq!(
        status, 200,
        "removed (the raw client reports any success as 200)"
    );
    let mut next = AppleDevice::new(13);
    assert_eq!(next.download_profile(&s.base, &token).await.status, 200);
    assert!(
        !next.enrolment.signed,
        "unsigned once the identity is removed"
    );
    let (status, _) = s.raw(Method::GET, path, Some(&auditor), None).await;
    assert_eq!(status, 404);
    let actions = audit_actions(s, "acme").await;
    assert!(actions.iter().any(|a| a == "apple.signing_identity.set"));
    assert!(actions.iter().any(|a| a == "apple.signing_identity.delete"));
}

/// Given two enrolled iPhones, when one says Idle in a tight loop, then past its burst it is
/// answered 429 rate_limited while its neighbour is still served.
pub async fn an_iphone_calling_in_a_loop_is_rate_limited_and_its_neighbour_is_not(s: &Stack) {
    apple_ready(s, "acme").await;
    let (noisy, _) = enrolled_iphone(s, "acme", 14).await;
    let (quiet, _) = enrolled_iphone(s, "acme", 15).await;
    let mut limited = None;
    for i in 0..100 {
        let a = noisy.idle().await;
        if a.status == 429 {
            limited = Some((i, a));
            break;
        }
        assert_eq!(a.status, 200, "{:?}", a.json());
    }
    let (after, answer) = limited.expect("the loop is limited within 100 calls");
    assert_eq!(answer.json()["code"], "rate_limited");
    assert!(after >= 10, "the burst is honoured first ({after})");
    assert_eq!(quiet.idle().await.status, 200);
}

/// Given a Mac that enrols through the same profile, then it is a `macos` device woken with the
/// tenant's one APNs certificate; a lock without a PIN is refused for its platform (a Mac cannot
/// be locked without one), a lock with a PIN carries it in DeviceLock and is masked when read
/// back, and kinds macOS has no command for (lost mode) are refused.
pub async fn a_mac_enrols_as_macos_and_locks_only_with_a_pin(s: &Stack) {
    apple_ready(s, "acme").await;
    let token = s.enrollment_token("acme", 1).await;
    let mut mac = AppleDevice::mac(16);
    mac.enrol(&s.base, &token).await;
    let device = device_of(s, "acme", &mac).await;
    let view = s.device("acme", &device).await;
    assert_eq!(
        (&view["platform"], &view["channel"], &view["model"]),
        (&json!("macos"), &json!("apple"), &json!("Mac14,3")),
        "{view}"
    );
    let admin = s.token("acme", Role::Admin);
    for refused in [
        json!({"type": "lock", "message": "no PIN"}),
        json!({"type": "start_lost_mode", "message": "lost"}),
        json!({"type": "reset_passcode"}),
    ] {
        let (status, answer) = s
            .raw(
                Method::POST,
                &format!("/v1/devices/{device}/commands"),
                Some(&admin),
                Some(json!({ "command": refused })),
            )
            .await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (422, Some("unsupported_command")),
            "{refused}: {answer}"
        );
    }
    let (status, bad) = s
        .raw(
            Method::POST,
            &format!("/v1/devices/{device}/commands"),
            Some(&admin),
            Some(json!({"command": {"type": "lock", "pin": "12ab"}})),
        )
        .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (400, Some("invalid_field")),
        "{bad}"
    );
    assert!(
        bad["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("pin"),
        "{bad}"
    );

    let id = s
        .queue(
            "acme",
            &device,
            json!({"type": "lock", "message": "Locked by IT", "pin": "482916"}),
        )
        .await;
    s.wait_for_status("acme", &device, &id, "push_sent").await;
    assert!(
        s.apns_pushes()
            .iter()
            .any(|p| p.device_token == hex(&mac.push_token)),
        "the Mac is woken through the tenant's APNs certificate"
    );
    let (uuid, kind, command) = command_of(&mac.idle().await.plist().expect("the lock"));
    assert_eq!((uuid.as_str(), kind.as_str()), (id.as_str(), "DeviceLock"));
    conforms(&kind, &command);
    assert_eq!(
        command.get("PIN").and_then(Value::as_string),
        Some("482916")
    );
    mac.acknowledge(&uuid, Dictionary::new()).await;
    let c = s
        .wait_for_status("acme", &device, &id, "acknowledged")
        .await;
    assert_eq!(c["payload"]["pin"], "********", "{c}");
    assert!(!c.to_string().contains("482916"), "{c}");
}

/// Given an iPhone under a SIM rule, when its inventory reports another SIM (ICCID) than the one
/// it reported first (Apple tells no IMSI), then it is non-compliant at once: the admins are
/// alerted and a lock is queued.
pub async fn a_sim_swap_on_an_iphone_alerts_and_locks_it(s: &Stack) {
    apple_ready(s, "acme").await;
    let (mut phone, device) = enrolled_iphone(s, "acme", 17).await;
    let policy = super::policies::create_policy(
        s,
        "acme",
        "Same SIM",
        json!({"compliance": {"sim_unchanged": {}}}),
    )
    .await;
    let admin = s.token("acme", Role::Admin);
    assign_policy(s, &device, &policy).await;
    // The policy, then an inventory with the enrolment SIM: compliant.
    phone.drain().await;
    s.queue("acme", &device, json!({"type": "refresh_inventory"}))
        .await;
    assert_eq!(
        phone.drain().await,
        [
            "DeviceInformation",
            "SecurityInfo",
            "InstalledApplicationList"
        ]
    );
    let view = compliance_of(s, &device).await;
    assert_eq!(view["status"], "compliant", "{view}");

    // Another SIM goes in.
    phone.iccid = Some("89445000000000009999".into());
    s.queue("acme", &device, json!({"type": "refresh_inventory"}))
        .await;
    let ran = phone.drain().await;
    assert!(ran.contains(&"DeviceLock".to_owned()), "{ran:?}");
    let view = compliance_of(s, &device).await;
    assert_eq!(view["status"], "noncompliant", "{view}");
    let (status, alerts) = s
        .raw(
            Method::GET,
            &format!("/v1/devices/{device}/alerts"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{alerts}");
    assert!(
        alerts.to_string().contains("sim_unchanged"),
        "the admins are alerted: {alerts}"
    );
}

async fn compliance_of(s: &Stack, device: &str) -> serde_json::Value {
    let admin = s.token("acme", Role::Admin);
    let path = format!("/v1/devices/{device}/compliance");
    let (status, view) = s.raw(Method::GET, &path, Some(&admin), None).await;
    assert_eq!(status, 200, "{view}");
    view
}

/// Given an enrolled iPhone on the clock, when its identity certificate has expired (a year
/// on), then its signed requests are refused as an expired identity and nothing changes; a new
/// enrolment (a new profile, a new certificate) is served again.
pub async fn an_expired_identity_certificate_is_refused(s: &Stack) {
    apple_ready(s, "acme").await;
    let (phone, device) = enrolled_iphone(s, "acme", 18).await;
    assert_eq!(phone.idle().await.status, 200);
    s.advance_secs(366 * 86_400);
    let refused = phone.idle().await;
    assert_eq!(problem(&refused), (401, "apple_signature_invalid".into()));
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("xpired"),
        "{:?}",
        refused.json()
    );
    assert_eq!(s.device("acme", &device).await["state"], "enrolled");
    // The push certificate is renewed as well by then; the device enrols again.
    apple_ready(s, "acme").await;
    let (again, _) = enrolled_iphone(s, "acme", 19).await;
    assert_eq!(again.idle().await.status, 200);
}

/// PEM armour of a DER certificate, for a TLS client's identity.
fn certificate_pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// Given the local server's TLS listener (the stand-in for API Gateway's mutual TLS), when an
/// enrolled iPhone presents its identity certificate in the TLS handshake, then its unsigned
/// requests are accepted as its own and it gets its commands; without a certificate, or with
/// one the tenant's CA did not issue, they are refused.
pub async fn an_iphone_may_prove_itself_with_its_tls_client_certificate(s: &Stack) {
    apple_ready(s, "acme").await;
    let (phone, device) = enrolled_iphone(s, "acme", 20).await;

    // The same services behind a TLS listener that asks for client certificates.
    let server_key = rcgen::KeyPair::generate().expect("a key");
    let server_cert = rcgen::CertificateParams::new(vec!["mdm.test".to_owned()])
        .expect("params")
        .self_signed(&server_key)
        .expect("a certificate");
    let config = mdm_app::tls::server_config_from(
        vec![server_cert.der().clone()],
        rustls_pki_key(&server_key),
    )
    .expect("a TLS config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(mdm_app::tls::serve(
        listener,
        mdm_http::all_routes(s.services.clone()),
        config,
        async {
            let _ = stopped.await;
        },
    ));
    let client = |identity: Option<reqwest::Identity>| {
        let mut b = reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(server_cert.pem().as_bytes()).expect("root"),
            )
            .resolve("mdm.test", addr)
            .no_proxy();
        if let Some(i) = identity {
            b = b.identity(i);
        }
        b.build().expect("a client")
    };
    let identity_pem = format!(
        "{}{}",
        certificate_pem(phone.certificate.as_ref().expect("an identity")),
        phone.key.private_key_pem().expect("the key's PEM")
    );
    let with_identity = client(Some(
        reqwest::Identity::from_pem(identity_pem.as_bytes()).expect("an identity"),
    ));
    let url = format!("https://mdm.test:{}/apple/acme/mdm", addr.port());
    let mut idle = Dictionary::new();
    idle.insert("Status".into(), "Idle".into());
    idle.insert("UDID".into(), phone.udid.clone().into());
    let mut body = Vec::new();
    plist::to_writer_xml(&mut body, &Value::Dictionary(idle)).expect("plist");

    let id = s.queue("acme", &device, json!({"type": "lock"})).await;
    let res = with_identity
        .put(&url)
        .body(body.clone())
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status().as_u16(), 200);
    let answer = Answer {
        status: 200,
        body: res.bytes().await.expect("a body").to_vec(),
    };
    expect_command(&answer, &id, "DeviceLock");

    // No certificate and no signature; a certificate the tenant's CA never issued.
    let res = client(None)
        .put(&url)
        .body(body.clone())
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status().as_u16(), 401);
    let stranger_key = rcgen::KeyPair::generate().expect("a key");
    let stranger = rcgen::CertificateParams::new(vec!["stranger".to_owned()])
        .expect("params")
        .self_signed(&stranger_key)
        .expect("a certificate");
    let stranger_pem = format!("{}{}", stranger.pem(), stranger_key.serialize_pem());
    let res = client(Some(
        reqwest::Identity::from_pem(stranger_pem.as_bytes()).expect("an identity"),
    ))
    .put(&url)
    .body(body)
    .send()
    .await
    .expect("an answer");
    assert_eq!(res.status().as_u16(), 401);
    let _ = stop.send(());
}

fn rustls_pki_key(key: &rcgen::KeyPair) -> rustls::pki_types::PrivateKeyDer<'static> {
    rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into())
}

/// Assigns `policy` to `device` as an admin of acme; returns the answer.
async fn assign_policy(s: &Stack, device: &str, policy: &str) -> serde_json::Value {
    let admin = s.token("acme", Role::Admin);
    let (status, assigned) = s
        .raw(
            Method::PUT,
            &format!("/v1/devices/{device}/policy"),
            Some(&admin),
            Some(json!({ "policy_id": policy })),
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    assigned
}
