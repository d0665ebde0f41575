//! Enrollment tokens after their creation: an admin lists them with their state and uses,
//! reads one, revokes it (no device enrolls with it afterwards) and hands its QR payload to the
//! device app. Secrets never come back.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::Stack;

async fn create(s: &Stack, admin: &str, body: Value) -> Value {
    let (status, created) = s
        .raw(
            Method::POST,
            "/v1/enrollment-tokens",
            Some(admin),
            Some(body),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    created
}

pub async fn an_admin_lists_tokens_with_their_state_and_uses_and_never_their_secrets(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let scanners = create(
        s,
        &admin,
        json!({"max_uses": 2, "label": "warehouse scanners"}),
    )
    .await;
    let spare = create(s, &admin, json!({"max_uses": 1})).await;
    let secret = scanners["token"].as_str().expect("secret");
    let body = mdm_devtools::agent::SimDevice::enrollment_body(1, secret, "android", "sink:t");
    s.api.enroll(&body).await.expect("enrolls");

    let (status, list) = s
        .raw(Method::GET, "/v1/enrollment-tokens", Some(&admin), None)
        .await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().expect("items");
    let find = |id: &Value| {
        items
            .iter()
            .find(|t| t["id"] == *id)
            .unwrap_or_else(|| panic!("token {id} listed"))
            .clone()
    };
    let listed = find(&scanners["id"]);
    assert_eq!(listed["state"], "active");
    assert_eq!(listed["uses"], 1);
    assert_eq!(listed["max_uses"], 2);
    assert_eq!(listed["label"], "warehouse scanners");
    assert_eq!(find(&spare["id"])["uses"], 0);
    assert!(
        !list.to_string().contains(secret),
        "a listing never shows a secret"
    );
    // Newest first.
    let pos = |id: &Value| items.iter().position(|t| t["id"] == *id).unwrap();
    assert!(pos(&spare["id"]) < pos(&scanners["id"]));

    let path = format!("/v1/enrollment-tokens/{}", scanners["id"].as_str().unwrap());
    let (status, one) = s.raw(Method::GET, &path, Some(&admin), None).await;
    assert_eq!((status, &one["uses"]), (200, &json!(1)), "{one}");
    assert!(one.get("token").is_none());
}

pub async fn a_revoked_token_enrolls_no_device_and_revoking_again_changes_nothing(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let created = create(s, &admin, json!({"max_uses": 5})).await;
    let id = created["id"].as_str().expect("id");
    let secret = created["token"].as_str().expect("secret");
    let path = format!("/v1/enrollment-tokens/{id}/revoke");
    let (status, revoked) = s.raw(Method::POST, &path, Some(&admin), None).await;
    assert_eq!(
        (status, &revoked["state"]),
        (200, &json!("revoked")),
        "{revoked}"
    );

    let body = mdm_devtools::agent::SimDevice::enrollment_body(2, secret, "ios", "sink:t");
    let err = s.api.enroll(&body).await.expect_err("revoked");
    assert_eq!(
        (err.status, err.code.as_str()),
        (403, "enrollment_token_invalid")
    );

    let (status, again) = s.raw(Method::POST, &path, Some(&admin), None).await;
    assert_eq!((status, &again["state"]), (200, &json!("revoked")));
    let (_, audit) = s.raw(Method::GET, "/v1/audit", Some(&admin), None).await;
    let revocations = audit["items"]
        .as_array()
        .expect("audit")
        .iter()
        .filter(|e| {
            e["action"] == "enrollment_token.revoke"
                && e["target"] == format!("enrollment_token/{id}")
        })
        .count();
    assert_eq!(revocations, 1, "one audit entry for one revocation");

    let (_, active) = s
        .raw(
            Method::GET,
            "/v1/enrollment-tokens?active=true",
            Some(&admin),
            None,
        )
        .await;
    assert!(
        !active["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|t| t["id"] == id),
        "a revoked token is not active"
    );
    let (status, missing) = s
        .raw(
            Method::POST,
            "/v1/enrollment-tokens/01JZZZZZZZZZZZZZZZZZZZZZZZ/revoke",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!((status, missing["code"].as_str()), (404, Some("not_found")));
}

pub async fn a_new_token_comes_with_a_qr_payload_the_device_app_can_enroll_with(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let created = create(s, &admin, json!({})).await;
    let qr: Value = serde_json::from_str(created["qr_payload"].as_str().expect("qr_payload"))
        .expect("the payload is JSON");
    assert_eq!(qr["v"], 1);
    assert_eq!(qr["tenant"], "acme");
    assert_eq!(
        qr["server"], s.base,
        "the URL the admin reached the server at"
    );
    assert_eq!(qr["enrollment_token"], created["token"]);
    // What the app does with it: enroll at that server with that token.
    let token = qr["enrollment_token"].as_str().unwrap();
    let body = mdm_devtools::agent::SimDevice::enrollment_body(3, token, "android", "sink:t");
    s.api
        .enroll(&body)
        .await
        .expect("the scanned token enrolls");
}

pub async fn token_labels_are_checked(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    for label in [json!(""), json!("x".repeat(101)), json!("a\u{7}b")] {
        let (status, body) = s
            .raw(
                Method::POST,
                "/v1/enrollment-tokens",
                Some(&admin),
                Some(json!({"label": label})),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_field")),
            "{label}"
        );
    }
}
