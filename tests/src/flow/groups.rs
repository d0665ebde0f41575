//! Device groups as an admin uses them: gather devices, filter the fleet by group, rename,
//! and the rules that keep a group's count and its members true.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::Stack;

/// Creates a group as an admin of `tenant`; returns its id.
pub async fn create_group(s: &Stack, tenant: &str, name: &str) -> String {
    let admin = s.token(tenant, Role::Admin);
    let (status, group) = s
        .raw(
            Method::POST,
            "/v1/groups",
            Some(&admin),
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(status, 200, "{group}");
    group["id"].as_str().expect("group id").to_owned()
}

/// Adds or removes devices as an admin; returns the call's answer.
pub async fn change(s: &Stack, tenant: &str, group: &str, how: &str, devices: &[&str]) -> Value {
    let admin = s.token(tenant, Role::Admin);
    let path = match how {
        "add" => format!("/v1/groups/{group}/devices"),
        _ => format!("/v1/groups/{group}/devices/remove"),
    };
    let (status, body) = s
        .raw(
            Method::POST,
            &path,
            Some(&admin),
            Some(json!({ "devices": devices })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn get(s: &Stack, path: &str) -> (u16, Value) {
    let auditor = s.token("acme", Role::Auditor);
    s.raw(Method::GET, path, Some(&auditor), None).await
}

fn ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|x| {
            x.as_str()
                .map_or_else(|| x["id"].as_str().unwrap().to_owned(), str::to_owned)
        })
        .collect();
    out.sort();
    out
}

pub async fn a_group_gathers_devices_and_the_fleet_listing_filters_by_it(s: &Stack) {
    let (d1, _) = s.enroll_sink_device("acme", 70).await;
    let (d2, _) = s.enroll_sink_device("acme", 71).await;
    let (d3, _) = s.enroll_sink_device("acme", 72).await;
    let sales = create_group(s, "acme", "Sales").await;
    let other = create_group(s, "acme", "Other").await;

    let added = change(s, "acme", &sales, "add", &[&d1, &d2, "NOSUCHDEVICE"]).await;
    let mut both = vec![d1.clone(), d2.clone()];
    both.sort();
    assert_eq!(ids(&added["changed"]), both);
    assert_eq!(added["refused"][0]["device"], "NOSUCHDEVICE");
    assert_eq!(added["refused"][0]["code"], "not_found");
    let again = change(s, "acme", &sales, "add", &[&d1]).await;
    assert_eq!(ids(&again["unchanged"]), vec![d1.clone()]);
    change(s, "acme", &other, "add", &[&d2, &d3]).await;

    let (_, group) = get(s, &format!("/v1/groups/{sales}")).await;
    assert_eq!(
        (group["name"].as_str(), group["members"].as_i64()),
        (Some("Sales"), Some(2))
    );
    let (_, members) = get(s, &format!("/v1/groups/{sales}/devices")).await;
    assert_eq!(ids(&members["items"]), both);
    let (_, listed) = get(s, &format!("/v1/devices?group={sales}")).await;
    assert_eq!(ids(&listed["items"]), both);
    let (_, d2_view) = get(s, &format!("/v1/devices?group={other}&platform=android")).await;
    assert_eq!(d2_view["items"].as_array().unwrap().len(), 2);
    let in_both = d2_view["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == d2.as_str())
        .expect("d2 listed");
    assert_eq!(ids(&in_both["groups"]), {
        let mut g = vec![sales.clone(), other.clone()];
        g.sort();
        g
    });

    let removed = change(s, "acme", &sales, "remove", &[&d1, &d3]).await;
    assert_eq!(ids(&removed["changed"]), vec![d1.clone()]);
    assert_eq!(ids(&removed["unchanged"]), vec![d3.clone()]);
    let (_, listed) = get(s, &format!("/v1/devices?group={sales}")).await;
    assert_eq!(ids(&listed["items"]), vec![d2.clone()]);

    let admin = s.token("acme", Role::Admin);
    let (status, renamed) = s
        .raw(
            Method::PUT,
            &format!("/v1/groups/{sales}"),
            Some(&admin),
            Some(json!({"name": "Sales EMEA"})),
        )
        .await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (200, Some("Sales EMEA"))
    );
    let (_, all) = get(s, "/v1/groups").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
}

pub async fn a_group_with_members_cannot_be_deleted_and_an_empty_one_can(s: &Stack) {
    let (d1, _) = s.enroll_sink_device("acme", 73).await;
    let g = create_group(s, "acme", "Temporary").await;
    change(s, "acme", &g, "add", &[&d1]).await;
    let operator = s.token("acme", Role::Operator);
    let path = format!("/v1/groups/{g}");
    let (status, refused) = s.raw(Method::DELETE, &path, Some(&operator), None).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("group_not_empty"))
    );
    change(s, "acme", &g, "remove", &[&d1]).await;
    let (status, _) = s.raw(Method::DELETE, &path, Some(&operator), None).await;
    assert_eq!(
        status, 200,
        "204 No Content, which the test client reads as success"
    );
    let (status, gone) = get(s, &path).await;
    assert_eq!((status, gone["code"].as_str()), (404, Some("not_found")));
    let (_, device) = get(s, &format!("/v1/devices?group={g}")).await;
    assert!(device["items"].as_array().unwrap().is_empty());
    let (status, _) = s
        .raw(
            Method::POST,
            &format!("{path}/devices"),
            Some(&operator),
            Some(json!({"devices": [d1]})),
        )
        .await;
    assert_eq!(status, 404, "a deleted group takes no members");
}

/// Given an empty group with a policy, when it is deleted, then the policy is assigned nowhere
/// and can itself be deleted.
pub async fn a_deleted_group_takes_its_policy_assignment_with_it(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let g = create_group(s, "acme", "Short-lived").await;
    let (status, policy) = s
        .raw(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(json!({"name": "short", "document": {"restrictions": {"camera_disabled": true}}})),
        )
        .await;
    assert!(status < 300, "{policy}");
    let p = policy["id"].as_str().unwrap();
    let (status, body) = s
        .raw(
            Method::PUT,
            &format!("/v1/groups/{g}/policy"),
            Some(&admin),
            Some(json!({"policy_id": p, "priority": 5})),
        )
        .await;
    assert!(status < 300, "{body}");
    let assignments = format!("/v1/policies/{p}/assignments");
    let (_, before) = get(s, &assignments).await;
    assert_eq!(before["items"][0]["group_id"], g.as_str(), "{before}");

    let (status, _) = s
        .raw(
            Method::DELETE,
            &format!("/v1/groups/{g}"),
            Some(&admin),
            None,
        )
        .await;
    assert!(status < 300);
    let (_, after) = get(s, &assignments).await;
    assert_eq!(after["items"], json!([]), "{after}");
    let (status, body) = s
        .raw(
            Method::DELETE,
            &format!("/v1/policies/{p}"),
            Some(&admin),
            None,
        )
        .await;
    assert!(status < 300, "the policy is in use nowhere: {body}");
}

pub async fn a_retired_device_leaves_its_groups(s: &Stack) {
    let (d1, _) = s.enroll_sink_device("acme", 74).await;
    let g = create_group(s, "acme", "Retiring").await;
    change(s, "acme", &g, "add", &[&d1]).await;
    let admin = s.token("acme", Role::Admin);
    for step in ["unenroll", "retire"] {
        let (status, body) = s
            .raw(
                Method::POST,
                &format!("/v1/devices/{d1}/{step}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(status, 200, "{step}: {body}");
    }
    let (_, group) = get(s, &format!("/v1/groups/{g}")).await;
    assert_eq!(group["members"], 0);
    let (_, members) = get(s, &format!("/v1/groups/{g}/devices")).await;
    assert!(members["items"].as_array().unwrap().is_empty());
    let again = change(s, "acme", &g, "add", &[&d1]).await;
    assert_eq!(again["refused"][0]["code"], "device_retired");
}

pub async fn group_names_and_member_lists_are_checked(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
    ] {
        let (status, err) = s
            .raw(Method::POST, "/v1/groups", Some(&admin), Some(body))
            .await;
        assert_eq!(
            (status, err["code"].as_str()),
            (400, Some("invalid_field")),
            "{field}: {err}"
        );
    }
    let g = create_group(s, "acme", "Checked").await;
    let many: Vec<String> = (0..101).map(|i| format!("D{i}")).collect();
    for devices in [
        json!([]),
        json!(many),
        json!(["D1", "D1"]),
        json!(["not an id"]),
    ] {
        let (status, err) = s
            .raw(
                Method::POST,
                &format!("/v1/groups/{g}/devices"),
                Some(&admin),
                Some(json!({ "devices": devices })),
            )
            .await;
        assert_eq!(status, 400, "{devices}: {err}");
    }
    let auditor = s.token("acme", Role::Auditor);
    let (status, _) = s
        .raw(
            Method::POST,
            "/v1/groups",
            Some(&auditor),
            Some(json!({"name": "no"})),
        )
        .await;
    assert_eq!(status, 403, "auditors read groups but do not change them");
}
