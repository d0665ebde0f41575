//! The fleet as an admin sees it through the API: the device listing and its filters, lookups by
//! identifier (following a SIM swap), the full inventory, unenrolment and retirement.

use std::collections::BTreeSet;

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::Stack;

/// Any call, answering the status and the whole JSON body (problem+json included).
async fn call(
    s: &Stack,
    method: Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", s.base))
        .bearer_auth(bearer);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("the server answers");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Enrols device number `n` with the given token and changes to its enrolment body.
async fn enroll(s: &Stack, token: &str, n: u64, changes: Value) -> (String, String) {
    let mut body =
        mdm_devtools::agent::SimDevice::enrollment_body(n, token, "android", &format!("sink:{n}"));
    if let (Some(b), Value::Object(c)) = (body.as_object_mut(), changes) {
        b.extend(c);
    }
    let v = s.api.enroll(&body).await.expect("enroll");
    (
        v["device_id"].as_str().expect("id").to_owned(),
        v["device_credential"]
            .as_str()
            .expect("credential")
            .to_owned(),
    )
}

/// Every page of a listing from `query` (without cursor and limit), as ids in order.
async fn list_all(s: &Stack, bearer: &str, query: &str, limit: usize) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/v1/devices?limit={limit}{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = call(s, Method::GET, &path, bearer, None).await;
        assert_eq!(status, 200, "{path}: {page}");
        let items = page["items"].as_array().expect("items");
        assert!(
            items.len() <= limit,
            "{} items over a limit of {limit}",
            items.len()
        );
        ids.extend(
            items
                .iter()
                .map(|d| d["id"].as_str().expect("id").to_owned()),
        );
        pages += 1;
        assert!(pages < 1_000, "the listing never ends");
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (ids, pages),
        }
    }
}

async fn listed(s: &Stack, bearer: &str, query: &str) -> BTreeSet<String> {
    let (ids, _) = list_all(s, bearer, query, 200).await;
    ids.into_iter().collect()
}

fn ids(devices: &[&(String, String)]) -> BTreeSet<String> {
    devices.iter().map(|(id, _)| id.clone()).collect()
}

async fn unenroll(s: &Stack, tenant: &str, device: &str) -> (u16, Value) {
    let admin = s.token(tenant, Role::Admin);
    call(
        s,
        Method::POST,
        &format!("/v1/devices/{device}/unenroll"),
        &admin,
        None,
    )
    .await
}

async fn retire(s: &Stack, tenant: &str, device: &str) -> (u16, Value) {
    let admin = s.token(tenant, Role::Admin);
    call(
        s,
        Method::POST,
        &format!("/v1/devices/{device}/retire"),
        &admin,
        None,
    )
    .await
}

/// Given 65 devices in acme, when an auditor pages through the listing 7 at a time, then every
/// device comes back exactly once, in at least ten pages, and none of globex's.
pub async fn listing_pages_through_65_devices_with_a_small_limit_and_returns_each_once(s: &Stack) {
    let token = s.enrollment_token("acme", 65).await;
    let mut enrolled = BTreeSet::new();
    for n in 0..65 {
        enrolled.insert(enroll(s, &token, 1_000 + n, json!({})).await.0);
    }
    let globex = s.enroll_sink_device("globex", 1_100).await.0;
    let auditor = s.token("acme", Role::Auditor);

    let (ids, pages) = list_all(s, &auditor, "", 7).await;

    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "a device came back twice");
    assert_eq!(unique, enrolled);
    assert!(pages >= 10, "{pages} pages");
    assert!(!unique.contains(&globex));
}

/// Given devices of both platforms, several OS versions and states, each filter returns exactly
/// the devices that match it, and a bad filter value is a 400 naming its field.
pub async fn each_filter_returns_exactly_the_matching_devices(s: &Stack) {
    let token = s.enrollment_token("acme", 5).await;
    let a13 = enroll(s, &token, 1_200, json!({"os_version": "13"})).await;
    let a15 = enroll(s, &token, 1_201, json!({"os_version": "15.0.1"})).await;
    let i9 = enroll(
        s,
        &token,
        1_202,
        json!({"platform": "ios", "model": "iPhone 8", "os_version": "9.3"}),
    )
    .await;
    let i18 = enroll(
        s,
        &token,
        1_203,
        json!({"platform": "ios", "model": "iPhone 16", "os_version": "18.1"}),
    )
    .await;
    let gone = enroll(s, &token, 1_204, json!({"os_version": "14"})).await;
    let retired = s.enroll_sink_device("acme", 1_205).await;
    assert_eq!(unenroll(s, "acme", &gone.0).await.0, 200);
    assert_eq!(unenroll(s, "acme", &retired.0).await.0, 200);
    assert_eq!(retire(s, "acme", &retired.0).await.0, 200);
    let admin = s.token("acme", Role::Admin);
    let active = ids(&[&a13, &a15, &i9, &i18, &gone]);
    let hour_ago = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let hour_ago = hour_ago
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");

    for (query, want) in [
        ("", active.clone()),
        ("&platform=ios", ids(&[&i9, &i18])),
        ("&platform=android", ids(&[&a13, &a15, &gone])),
        ("&os_version=15.0.1", ids(&[&a15])),
        ("&os_version_below=14", ids(&[&a13, &i9])),
        (
            "&os_version_below=15.1&platform=android",
            ids(&[&a13, &a15, &gone]),
        ),
        ("&state=enrolled", ids(&[&a13, &a15, &i9, &i18])),
        ("&state=unenrolled", ids(&[&gone])),
        ("&state=retired", ids(&[&retired])),
        ("&state=all", ids(&[&a13, &a15, &i9, &i18, &gone, &retired])),
        ("&ownership=corporate", active.clone()),
        ("&ownership=personal", BTreeSet::new()),
        ("&group=sales", BTreeSet::new()),
        ("&compliance=unknown", active.clone()),
        ("&compliance=compliant", BTreeSet::new()),
        (&*format!("&last_seen_after={hour_ago}"), active.clone()),
        (&*format!("&last_seen_before={hour_ago}"), BTreeSet::new()),
    ] {
        let query = query.replace('+', "%2B");
        assert_eq!(listed(s, &admin, &query).await, want, "{query}");
    }

    for (query, field) in [
        ("platform=nokia", "platform"),
        ("state=lost", "state"),
        ("os_version_below=16.x", "os_version_below"),
        ("last_seen_after=yesterday", "last_seen_after"),
        ("compliance=maybe", "compliance"),
    ] {
        let (status, body) = call(
            s,
            Method::GET,
            &format!("/v1/devices?{query}"),
            &admin,
            None,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_field")),
            "{query}: {body}"
        );
        assert_eq!(body["field"], field, "{query}");
    }
    let (status, body) = call(s, Method::GET, "/v1/devices?colour=red", &admin, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
}

/// A cursor that the listing did not hand out — garbage, a forged shard, another shape — is a
/// 400 `invalid_field` on `cursor`, never a 500 nor anyone's devices.
pub async fn a_garbled_or_forged_cursor_is_a_400_on_the_cursor_field(s: &Stack) {
    use base64::Engine;
    let b64 = |t: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t);
    s.enroll_sink_device("acme", 1_300).await;
    let admin = s.token("acme", Role::Admin);
    for cursor in [
        "garbage!".to_owned(),
        "AAAA".to_owned(),
        b64("d1:16:"),
        b64("d1:3:T#globex#D#x"),
        b64("d9:0:"),
        "x".repeat(300),
    ] {
        let (status, body) = call(
            s,
            Method::GET,
            &format!("/v1/devices?cursor={cursor}"),
            &admin,
            None,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_field")),
            "{cursor}: {body}"
        );
        assert_eq!(body["field"], "cursor");
    }
}

/// Globex's admin lists and looks up and sees only globex's devices, even with acme's serial.
pub async fn another_tenants_devices_never_appear_in_listings_or_lookups(s: &Stack) {
    let (acme_dev, _) = s.enroll_sink_device("acme", 1_400).await;
    let (globex_dev, _) = s.enroll_sink_device("globex", 1_401).await;
    let serial = s.device("acme", &acme_dev).await["serial"]
        .as_str()
        .expect("serial")
        .to_owned();
    let globex = s.token("globex", Role::Admin);
    assert_eq!(
        listed(s, &globex, "&state=all").await,
        BTreeSet::from([globex_dev])
    );
    let (status, found) = call(
        s,
        Method::GET,
        &format!("/v1/devices/lookup?serial={serial}"),
        &globex,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(found["items"], json!([]), "{found}");
    let (status, _) = call(
        s,
        Method::GET,
        &format!("/v1/devices/{acme_dev}"),
        &globex,
        None,
    )
    .await;
    assert_eq!(status, 404);
}

async fn lookup(s: &Stack, query: &str) -> BTreeSet<String> {
    let admin = s.token("acme", Role::Operator);
    let (status, found) = call(
        s,
        Method::GET,
        &format!("/v1/devices/lookup?{query}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 200, "{query}: {found}");
    found["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|d| d["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Each identifier finds its device in one call; after the device reports a new SIM in its
/// inventory, the new IMSI and number find it and the old ones do not; a re-enrolled serial
/// finds both devices.
pub async fn each_lookup_finds_the_device_and_follows_a_sim_swap(s: &Stack) {
    let token = s.enrollment_token("acme", 2).await;
    let (device, cred) = enroll(
        s,
        &token,
        1_500,
        json!({"imsi": "310150000001500", "phone_number": "+14155551500"}),
    )
    .await;
    let view = s.device("acme", &device).await;
    let (imei, serial) = (
        view["imei"].as_str().expect("imei"),
        view["serial"].as_str().expect("serial"),
    );
    let only = BTreeSet::from([device.clone()]);
    assert_eq!(lookup(s, &format!("imei={imei}")).await, only);
    assert_eq!(lookup(s, &format!("serial={serial}")).await, only);
    assert_eq!(lookup(s, "imsi=310150000001500").await, only);
    assert_eq!(lookup(s, "phone_number=%2B14155551500").await, only);

    let (status, body) = call(
        s,
        Method::PUT,
        "/v1/device/inventory",
        &cred,
        Some(json!({"sim": {"imsi": "310150000009999", "phone_number": "+14155559999", "carrier": "New"}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(lookup(s, "imsi=310150000009999").await, only);
    assert_eq!(lookup(s, "phone_number=%2B14155559999").await, only);
    assert!(lookup(s, "imsi=310150000001500").await.is_empty());
    assert!(lookup(s, "phone_number=%2B14155551500").await.is_empty());
    let view = s.device("acme", &device).await;
    assert_eq!(view["imsi"], "310150000009999", "{view}");
    assert_eq!(view["inventory"]["sim"]["carrier"], "New", "{view}");

    // The same hardware enrolled again: its serial now names both enrolments.
    let (again, _) = enroll(s, &token, 1_500, json!({})).await;
    assert_eq!(
        lookup(s, &format!("serial={serial}")).await,
        BTreeSet::from([device, again])
    );

    let admin = s.token("acme", Role::Admin);
    for (query, code) in [
        ("", "invalid_request"),
        ("imsi=310150000009999&serial=X1", "invalid_request"),
        ("imei=490154203237519", "invalid_field"),
        ("phone_number=14155550100", "invalid_field"),
        ("serial=a%23b", "invalid_field"),
    ] {
        let (status, body) = call(
            s,
            Method::GET,
            &format!("/v1/devices/lookup?{query}"),
            &admin,
            None,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some(code)),
            "{query}: {body}"
        );
    }
}

/// A device's full inventory report comes back typed on the device; unknown fields and bad
/// values are refused, naming the field.
pub async fn a_full_inventory_report_is_read_back_and_bad_values_name_their_field(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 1_600).await;
    let report = json!({
        "hardware": {"model": "Pixel 8", "manufacturer": "Google", "serial": "SIM00001600"},
        "os": {"name": "Android", "version": "15", "build": "AP4A.241205", "security_patch_level": "2026-11-05"},
        "storage": {"total_bytes": 128_000_000_000u64, "free_bytes": 64_000_000_000u64},
        "battery": {"level": 81, "charging": true},
        "apps": [{"id": "com.example.mail", "name": "Mail", "version": "3.2.1"}],
        "encrypted": true,
        "passcode_set": true,
        "compromised": false,
        "sim": {"imsi": "310150000001600", "iccid": "8901260000000001600", "carrier": "T", "phone_number": "+14155551600"},
        "network": {"type": "wifi", "wifi_ssid": "office", "ip": "10.0.0.7"},
        "location": {"latitude": 48.85, "longitude": 2.29, "accuracy_m": 10.0, "at": "2026-12-01T09:00:00Z"}
    });
    let (status, body) = call(
        s,
        Method::PUT,
        "/v1/device/inventory",
        &cred,
        Some(report.clone()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let view = s.device("acme", &device).await;
    assert_eq!(view["inventory"], report, "{view}");
    assert!(view["inventory_reported_at"].is_string());

    for (bad, code, field) in [
        (json!({"rooted": true}), "invalid_request", None),
        (
            json!({"sim": {"imsi": "12"}}),
            "invalid_field",
            Some("sim.imsi"),
        ),
        (
            json!({"battery": {"level": 120, "charging": false}}),
            "invalid_field",
            Some("battery.level"),
        ),
        (
            json!({"apps": [{"id": "com.ok"}, {"id": "no dots"}]}),
            "invalid_field",
            Some("apps[1].id"),
        ),
    ] {
        let (status, body) = call(
            s,
            Method::PUT,
            "/v1/device/inventory",
            &cred,
            Some(bad.clone()),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some(code)),
            "{bad}: {body}"
        );
        if let Some(f) = field {
            assert_eq!(body["field"], f, "{bad}");
        }
    }
}

/// Given a device with two open commands, when an operator unenrols it, then its next call is
/// refused at once, both commands are cancelled, and unenrolling again changes nothing.
pub async fn unenroll_revokes_at_once_and_cancels_open_commands(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 1_700).await;
    let lock = s.queue("acme", &device, json!({"type": "lock"})).await;
    let ring = s
        .queue(
            "acme",
            &device,
            json!({"type": "ring", "duration_seconds": 5}),
        )
        .await;
    let operator = s.token("acme", Role::Operator);
    let path = format!("/v1/devices/{device}/unenroll");

    let (status, view) = call(s, Method::POST, &path, &operator, None).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["state"], "unenrolled");
    assert_eq!(view["pending_commands"], 0, "{view}");

    let err = s.api.checkin(&cred, &json!({})).await.expect_err("revoked");
    assert_eq!(
        (err.status, err.code.as_str()),
        (401, "device_credential_invalid")
    );
    for id in [&lock, &ring] {
        assert_eq!(s.command("acme", &device, id).await["status"], "cancelled");
    }
    let (status, again) = call(s, Method::POST, &path, &operator, None).await;
    assert_eq!((status, &again["state"]), (200, &json!("unenrolled")));

    let auditor = s.token("acme", Role::Auditor);
    let (status, _) = call(s, Method::POST, &path, &auditor, None).await;
    assert_eq!(status, 403);
    let admin = s.token("acme", Role::Admin);
    let (_, audit) = call(s, Method::GET, "/v1/audit?limit=200", &admin, None).await;
    let target = format!("device/{device}");
    let unenrols = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "device.unenroll" && e["target"] == target.as_str())
        .count();
    assert_eq!(unenrols, 1, "{audit}");
    let (status, _) = unenroll(s, "globex", &device).await;
    assert_eq!(status, 404);
}

/// Retiring an enrolled device is refused with a conflict saying what to do first; once
/// unenrolled it retires, disappears from the default listing and the lookups, and its record
/// and command history stay readable.
pub async fn retire_refuses_an_enrolled_device_and_hides_a_retired_one(s: &Stack) {
    let (device, _) = s.enroll_sink_device("acme", 1_800).await;
    let cmd = s.queue("acme", &device, json!({"type": "locate"})).await;
    let serial = s.device("acme", &device).await["serial"]
        .as_str()
        .expect("serial")
        .to_owned();

    let (status, body) = retire(s, "acme", &device).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("unenroll or wipe"),
        "{body}"
    );
    let operator = s.token("acme", Role::Operator);
    let path = format!("/v1/devices/{device}/retire");
    assert_eq!(call(s, Method::POST, &path, &operator, None).await.0, 403);

    assert_eq!(unenroll(s, "acme", &device).await.0, 200);
    let (status, view) = retire(s, "acme", &device).await;
    assert_eq!((status, &view["state"]), (200, &json!("retired")), "{view}");
    assert_eq!(retire(s, "acme", &device).await.0, 200);

    let admin = s.token("acme", Role::Admin);
    assert!(!listed(s, &admin, "").await.contains(&device));
    assert!(listed(s, &admin, "&state=retired").await.contains(&device));
    assert!(lookup(s, &format!("serial={serial}")).await.is_empty());
    assert_eq!(s.device("acme", &device).await["state"], "retired");
    assert_eq!(
        s.command("acme", &device, &cmd).await["status"],
        "cancelled"
    );
}
