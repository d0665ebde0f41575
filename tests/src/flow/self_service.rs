//! End users and their own devices: a user enrolls a personal device with a token of their
//! own, sees only the devices enrolled to them, and may lock, locate, reset the passcode of or
//! wipe those and nothing else; an admin's token can enroll a corporate device to a user, into
//! a group and under a policy.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::groups::create_group;
use super::policies::create_policy;
use crate::stack::Stack;

/// Enrolls a device with `token`; returns (device id, credential).
async fn enroll_with(s: &Stack, token: &str, n: u64) -> (String, String) {
    let body =
        mdm_devtools::agent::SimDevice::enrollment_body(n, token, "android", &format!("sink:{n}"));
    let v = s.api.enroll(&body).await.expect("enroll");
    (
        v["device_id"].as_str().expect("id").to_owned(),
        v["device_credential"]
            .as_str()
            .expect("credential")
            .to_owned(),
    )
}

/// A user makes a token for their own device and enrolls it; returns (device id, credential).
pub async fn enroll_own(s: &Stack, tenant: &str, user: &str, n: u64) -> (String, String) {
    let me = s.token_of(tenant, Role::User, user);
    let (status, token) = s
        .raw(
            Method::POST,
            "/v1/me/enrollment-tokens",
            Some(&me),
            Some(json!({"label": "my phone"})),
        )
        .await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["max_uses"], 1);
    enroll_with(s, token["token"].as_str().expect("secret"), n).await
}

async fn my_devices(s: &Stack, user: &str) -> Vec<Value> {
    let me = s.token_of("acme", Role::User, user);
    let (status, v) = s.raw(Method::GET, "/v1/me/devices", Some(&me), None).await;
    assert_eq!(status, 200, "{v}");
    v["items"].as_array().expect("items").clone()
}

async fn send(s: &Stack, user: &str, device: &str, command: Value) -> (u16, Value) {
    let me = s.token_of("acme", Role::User, user);
    s.raw(
        Method::POST,
        &format!("/v1/me/devices/{device}/commands"),
        Some(&me),
        Some(json!({ "command": command })),
    )
    .await
}

pub async fn a_user_enrolls_their_own_device_as_personal_and_sees_only_theirs(s: &Stack) {
    let (mine, _) = enroll_own(s, "acme", "alice@acme", 110).await;
    let (theirs, _) = enroll_own(s, "acme", "bob@acme", 111).await;
    let (corporate, _) = s.enroll_sink_device("acme", 112).await;

    let alice = my_devices(s, "alice@acme").await;
    assert_eq!(alice.len(), 1, "{alice:?}");
    assert_eq!(
        (
            alice[0]["id"].as_str(),
            alice[0]["ownership"].as_str(),
            alice[0]["owner"].as_str()
        ),
        (Some(mine.as_str()), Some("personal"), Some("alice@acme"))
    );
    let bob = my_devices(s, "bob@acme").await;
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0]["id"], theirs.as_str());
    assert!(my_devices(s, "carol@acme").await.is_empty());

    let admin = s.token("acme", Role::Admin);
    let (_, personal) = s
        .raw(
            Method::GET,
            "/v1/devices?ownership=personal",
            Some(&admin),
            None,
        )
        .await;
    let mut ids: Vec<&str> = personal["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want = vec![mine.as_str(), theirs.as_str()];
    want.sort_unstable();
    assert_eq!(ids, want);
    assert!(!ids.contains(&corporate.as_str()));
    let (status, _) = s
        .raw(Method::GET, "/v1/me/devices", Some(&admin), None)
        .await;
    assert_eq!(status, 403, "an admin's routes are the admin ones");

    // The user's token is personal, theirs, and listed to admins as such.
    let (_, tokens) = s
        .raw(Method::GET, "/v1/enrollment-tokens", Some(&admin), None)
        .await;
    let by_alice = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["owner"] == "alice@acme")
        .expect("alice's token");
    assert_eq!(
        (by_alice["ownership"].as_str(), by_alice["state"].as_str()),
        (Some("personal"), Some("used_up"))
    );
}

pub async fn a_user_may_lock_locate_reset_or_wipe_their_own_device_and_nothing_else(s: &Stack) {
    let (mine, cred) = enroll_own(s, "acme", "alice@acme", 113).await;
    let (bobs, _) = enroll_own(s, "acme", "bob@acme", 114).await;
    let (corporate, _) = s.enroll_sink_device("acme", 115).await;

    let (status, locate) = send(s, "alice@acme", &mine, json!({"type": "locate"})).await;
    assert_eq!(status, 200, "{locate}");
    let id = locate["id"].as_str().unwrap().to_owned();
    for c in s.api.pending(&cred).await.expect("pull") {
        s.api
            .report(
                &cred,
                c["id"].as_str().unwrap(),
                &json!({"status": "acknowledged", "data": {"latitude": 48.85, "longitude": 2.35}}),
            )
            .await
            .expect("report");
    }
    let me = s.token_of("acme", Role::User, "alice@acme");
    let (status, read) = s
        .raw(
            Method::GET,
            &format!("/v1/me/devices/{mine}/commands/{id}"),
            Some(&me),
            None,
        )
        .await;
    assert_eq!(
        (status, read["status"].as_str()),
        (200, Some("acknowledged")),
        "{read}"
    );
    assert_eq!(read["result"]["data"]["latitude"], 48.85);

    for command in [
        json!({"type": "lock", "message": "Found? Call me"}),
        json!({"type": "reset_passcode"}),
        json!({"type": "wipe"}),
    ] {
        let (status, body) = send(s, "alice@acme", &mine, command).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, refused) = send(s, "alice@acme", &mine, json!({"type": "ring"})).await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("forbidden")));
    for other in [&bobs, &corporate] {
        let (status, refused) = send(s, "alice@acme", other, json!({"type": "lock"})).await;
        assert_eq!(
            (status, refused["code"].as_str()),
            (404, Some("not_found")),
            "{refused}"
        );
        let (status, _) = s
            .raw(
                Method::GET,
                &format!("/v1/me/devices/{other}/commands/{id}"),
                Some(&me),
                None,
            )
            .await;
        assert_eq!(status, 404);
    }
    let (status, _) = s
        .raw(
            Method::POST,
            &format!("/v1/devices/{mine}/commands"),
            Some(&me),
            Some(json!({"command": {"type": "lock"}})),
        )
        .await;
    assert_eq!(status, 403, "users have no admin routes");
    // Every action is audited with the user as its actor.
    let admin = s.token("acme", Role::Admin);
    let (_, audit) = s
        .raw(
            Method::GET,
            "/v1/audit?actor=alice@acme&action=command.queue",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 4, "{audit}");
}

pub async fn an_admin_token_enrolls_a_corporate_device_to_a_user_into_a_group_under_a_policy(
    s: &Stack,
) {
    let admin = s.token("acme", Role::Admin);
    let group = create_group(s, "acme", "Sales").await;
    let policy = create_policy(
        s,
        "acme",
        "Sales phones",
        json!({"restrictions": {"camera_disabled": true}}),
    )
    .await;
    let (status, token) = s
        .raw(
            Method::POST,
            "/v1/enrollment-tokens",
            Some(&admin),
            Some(json!({"owner": "alice@acme", "group_id": group, "policy_id": policy, "label": "Alice's phone"})),
        )
        .await;
    assert_eq!(status, 200, "{token}");
    let (device, cred) = enroll_with(s, token["token"].as_str().unwrap(), 116).await;

    let alice = my_devices(s, "alice@acme").await;
    assert_eq!(alice.len(), 1);
    assert_eq!(
        (
            alice[0]["ownership"].as_str(),
            alice[0]["groups"][0].as_str()
        ),
        (Some("corporate"), Some(group.as_str()))
    );
    let (_, members) = s
        .raw(
            Method::GET,
            &format!("/v1/groups/{group}/devices"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(members["items"][0]["id"], device.as_str());
    let (_, effective) = s
        .raw(
            Method::GET,
            &format!("/v1/devices/{device}/policy"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        effective["sources"][0]["policy"],
        policy.as_str(),
        "{effective}"
    );
    assert_eq!(effective["sources"][0]["via"], "device");
    let first = s.api.checkin(&cred, &json!({})).await.expect("check in");
    assert_eq!(
        first["policy"]["document"]["restrictions"]["camera_disabled"],
        true
    );

    for (body, field) in [
        (json!({"group_id": "NOSUCHGROUP"}), "group_id"),
        (json!({"policy_id": "NOSUCHPOLICY"}), "policy_id"),
        (json!({"owner": ""}), "owner"),
    ] {
        let (status, err) = s
            .raw(
                Method::POST,
                "/v1/enrollment-tokens",
                Some(&admin),
                Some(body),
            )
            .await;
        assert_eq!(
            (status, err["code"].as_str()),
            (400, Some("invalid_field")),
            "{field}: {err}"
        );
        assert!(err["detail"].as_str().unwrap().starts_with(field), "{err}");
    }
    let me = s.token_of("acme", Role::User, "alice@acme");
    let (status, _) = s
        .raw(
            Method::POST,
            "/v1/me/enrollment-tokens",
            Some(&me),
            Some(json!({"group_id": group})),
        )
        .await;
    assert_eq!(status, 400, "a user's own token takes no group");
}
