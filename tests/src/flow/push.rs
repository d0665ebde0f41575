//! Per-tenant push settings: an admin picks a provider per platform with its credentials, which
//! are checked when given, kept out of every response, and used for that tenant's wakes.

use std::sync::OnceLock;

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::Stack;

/// A Google service-account document with a fresh RSA key (made once per test binary: RSA key
/// generation is slow).
pub fn service_account() -> Value {
    static KEY: OnceLock<String> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
            .expect("an RSA key")
            .serialize_pem()
    });
    json!({
        "type": "service_account",
        "project_id": "acme-mdm",
        "private_key_id": "k1",
        "private_key": key,
        "client_email": "push@acme-mdm.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    })
}

/// Given an admin, when they set FCM for Android, then the settings read back with a
/// fingerprint and no key material, and the change is in the audit log.
pub async fn an_admin_sets_a_push_provider_and_readers_see_it_without_the_secret(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let creds = service_account();
    let (status, set) = s
        .raw(
            Method::PUT,
            "/v1/push-config/android",
            Some(&admin),
            Some(json!({"provider": "fcm", "credentials": creds})),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        (set["platform"].as_str(), set["provider"].as_str()),
        (Some("android"), Some("fcm"))
    );
    assert_eq!(set["fingerprint"].as_str().map(str::len), Some(64));
    // A retry of the same request stores the same settings again, no second entry
    let (status, again) = s
        .raw(
            Method::PUT,
            "/v1/push-config/android",
            Some(&admin),
            Some(json!({"provider": "fcm", "credentials": creds})),
        )
        .await;
    assert_eq!((status, &again["fingerprint"]), (200, &set["fingerprint"]));
    let auditor = s.token("acme", Role::Auditor);
    let (status, list) = s
        .raw(Method::GET, "/v1/push-config", Some(&auditor), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let key = creds["private_key"].as_str().unwrap();
    let middle = &key[100..140];
    for body in [&set, &list] {
        assert!(
            !body.to_string().contains(middle),
            "no key material in {body}"
        );
    }
    let (_, audit) = s.raw(Method::GET, "/v1/audit", Some(&admin), None).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"push_config.set"), "{actions:?}");
    // Another tenant sees none of it
    let other = s.token("globex", Role::Admin);
    let (_, theirs) = s
        .raw(Method::GET, "/v1/push-config", Some(&other), None)
        .await;
    assert_eq!(theirs, json!([]));
}

/// Bad push settings are refused with stable codes, and what was stored stays.
pub async fn push_settings_refuse_wrong_roles_platforms_and_credentials(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let operator = s.token("acme", Role::Operator);
    let good = json!({"provider": "fcm", "credentials": service_account()});
    let mut broken = service_account();
    broken["private_key"] = json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    let cases = [
        (
            "operator",
            &operator,
            "android",
            good.clone(),
            403,
            "forbidden",
        ),
        (
            "apns for android",
            &admin,
            "android",
            json!({"provider": "apns", "credentials": {}}),
            400,
            "invalid_field",
        ),
        (
            "fcm for ios",
            &admin,
            "ios",
            good.clone(),
            400,
            "invalid_field",
        ),
        (
            "unknown platform",
            &admin,
            "windows",
            good.clone(),
            404,
            "not_found",
        ),
        (
            "credentials not an object",
            &admin,
            "android",
            json!({"provider": "fcm", "credentials": "x"}),
            400,
            "invalid_field",
        ),
        (
            "broken key",
            &admin,
            "android",
            json!({"provider": "fcm", "credentials": broken}),
            400,
            "invalid_field",
        ),
        (
            "unknown provider",
            &admin,
            "android",
            json!({"provider": "pigeon", "credentials": {}}),
            400,
            "invalid_request",
        ),
    ];
    for (name, token, platform, body, status, code) in cases {
        let (got, problem) = s
            .raw(
                Method::PUT,
                &format!("/v1/push-config/{platform}"),
                Some(token),
                Some(body),
            )
            .await;
        assert_eq!(
            (got, problem["code"].as_str()),
            (status, Some(code)),
            "{name}: {problem}"
        );
    }
    let (_, list) = s
        .raw(Method::GET, "/v1/push-config", Some(&admin), None)
        .await;
    assert_eq!(list, json!([]), "nothing was stored");
}

/// On the embedded backend there is no SNS to relay through.
pub async fn sns_is_refused_without_aws(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let (status, problem) = s
        .raw(
            Method::PUT,
            "/v1/push-config/android",
            Some(&admin),
            Some(json!({"provider": "sns", "credentials": service_account()})),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_field"))
    );
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("AWS"),
        "{problem}"
    );
}

/// Sets the tenant's Android wakes to go through SNS; returns the platform application's ARN.
async fn relay_android_through_sns(s: &Stack, tenant: &str) -> String {
    let admin = s.token(tenant, Role::Admin);
    let (status, set) = s
        .raw(
            Method::PUT,
            "/v1/push-config/android",
            Some(&admin),
            Some(json!({"provider": "sns", "credentials": service_account()})),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    set["attrs"]["platform_application_arn"]
        .as_str()
        .unwrap_or_else(|| panic!("no platform application: {set}"))
        .to_owned()
}

/// Given a tenant that relays Android wakes through SNS, when the tenant is deleted, then its
/// SNS platform application goes with the rest of its data.
pub async fn a_deleted_tenant_on_sns_leaves_no_platform_application(s: &Stack) {
    use super::tenants::{as_operator, register, wait_until_deleted};
    register(s, "snsgone", None).await;
    let app = relay_android_through_sns(s, "snsgone").await;
    assert!(crate::moto::sns_has_platform_application(&app).await);

    let (status, body) = as_operator(s, Method::DELETE, "/v1/tenants/snsgone", None).await;
    assert_eq!(status, 200, "{body}");
    wait_until_deleted(s, "snsgone").await;
    assert!(
        !crate::moto::sns_has_platform_application(&app).await,
        "SNS still has {app}"
    );
}

/// Given a tenant that relays Android wakes through SNS, when a command is queued for its
/// device, then SNS publishes to the device's endpoint in the tenant's own platform
/// application, and the command is recorded as pushed. Devices of tenants without settings
/// keep their default (here, the local sink).
pub async fn a_tenant_on_sns_is_woken_through_its_own_platform_application(s: &Stack) {
    let app = relay_android_through_sns(s, "acme").await;
    let app = app.as_str();
    assert!(app.contains("app/GCM/"), "{app}");
    let push_token = format!("fcm-{}", crate::moto::unique_name("token"));
    let token = s.enrollment_token("acme", 1).await;
    let body = mdm_devtools::agent::SimDevice::enrollment_body(7, &token, "android", &push_token);
    let enrolled = s.api.enroll(&body).await.expect("enroll");
    let device = enrolled["device_id"].as_str().unwrap().to_owned();

    let id = s.queue("acme", &device, json!({"type": "lock"})).await;
    let pushed = s.wait_for_status("acme", &device, &id, "push_sent").await;

    let endpoints = crate::moto::sns_endpoints_for(&push_token).await;
    assert_eq!(endpoints.len(), 1, "{endpoints:?}");
    assert!(
        endpoints[0]["arn"]
            .as_str()
            .unwrap_or("")
            .contains(app.rsplit('/').next().unwrap_or("-")),
        "the endpoint belongs to the tenant's application: {endpoints:?}"
    );
    let messages = endpoints[0]["messages"].to_string();
    assert!(messages.contains("wake"), "{messages}");
    assert!(pushed["push_message_id"].is_string() || pushed.to_string().contains("push_sent"));
    // Another tenant without settings still goes to the default sink
    let (other, _) = s.enroll_sink_device("globex", 8).await;
    let id = s.queue("globex", &other, json!({"type": "lock"})).await;
    s.wait_for_status("globex", &other, &id, "push_sent").await;
    let sink = s.pusher.as_ref().expect("the test stack has a sink");
    assert!(sink.sent().iter().any(|t| t.device == other));
    assert!(!sink.sent().iter().any(|t| t.device == device));
}
