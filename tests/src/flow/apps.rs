//! The app catalogue as an admin uses it: apps kept once per platform, installed on or removed
//! from devices through jobs that reach only devices of the app's platform, and required apps
//! queued for every new device of their platform as it enrols.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::groups::{change, create_group};
use super::jobs::fanned_out;
use crate::stack::Stack;

/// Adds an app to acme's catalogue as an admin; returns the entry.
async fn add_app(s: &Stack, body: Value) -> Value {
    let admin = s.token("acme", Role::Admin);
    let (status, app) = s
        .raw(Method::POST, "/v1/apps", Some(&admin), Some(body))
        .await;
    assert_eq!(status, 200, "{app}");
    app
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// Enrolls an acme device of `platform` whose pushes land in the sink; returns (id, credential).
async fn enroll(s: &Stack, n: u64, platform: &str) -> (String, String) {
    let token = s.enrollment_token("acme", 1).await;
    let body =
        mdm_devtools::agent::SimDevice::enrollment_body(n, &token, platform, &format!("sink:{n}"));
    let v = s.api.enroll(&body).await.expect("enroll");
    (
        v["device_id"].as_str().expect("device id").to_owned(),
        v["device_credential"]
            .as_str()
            .expect("credential")
            .to_owned(),
    )
}

/// The (type, app_id) of each command the device would pull now.
async fn pending_apps(s: &Stack, cred: &str) -> Vec<(String, String)> {
    s.api
        .pending(cred)
        .await
        .expect("pull")
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap_or_default().to_owned(),
                c["payload"]["app_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

async fn list(s: &Stack, query: &str) -> Value {
    let auditor = s.token("acme", Role::Auditor);
    let (status, page) = s
        .raw(
            Method::GET,
            &format!("/v1/apps{query}"),
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(status, 200, "{query}: {page}");
    page
}

fn app_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| {
            format!(
                "{}/{}",
                a["platform"].as_str().unwrap(),
                a["app_id"].as_str().unwrap()
            )
        })
        .collect()
}

async fn audit_actions(s: &Stack, action: &str) -> Vec<Value> {
    let auditor = s.token("acme", Role::Auditor);
    let (status, page) = s
        .raw(
            Method::GET,
            &format!("/v1/audit?action={action}"),
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().expect("items").clone()
}

pub async fn the_catalogue_refuses_a_duplicate_app_and_lists_by_platform(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let mail = add_app(
        s,
        json!({"app_id": "com.acme.mail", "platform": "android", "name": "Mail", "version": "1.0"}),
    )
    .await;
    assert_eq!(mail["required"], false, "{mail}");
    add_app(
        s,
        json!({"app_id": "com.acme.mail", "platform": "ios", "name": "Mail", "store_id": "123456"}),
    )
    .await;
    add_app(
        s,
        json!({"app_id": "com.acme.chat", "platform": "android", "name": "Chat"}),
    )
    .await;
    // The same package on the same platform is one app, whatever its other fields say.
    let (status, refused) = s
        .raw(
            Method::POST,
            "/v1/apps",
            Some(&admin),
            Some(json!({"app_id": "com.acme.mail", "platform": "android", "name": "Other"})),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("app_exists")),
        "{refused}"
    );

    assert_eq!(
        app_ids(&list(s, "").await),
        [
            "android/com.acme.mail",
            "ios/com.acme.mail",
            "android/com.acme.chat"
        ]
    );
    assert_eq!(
        app_ids(&list(s, "?platform=ios").await),
        ["ios/com.acme.mail"]
    );
    // A page of one android app at a time still reaches both, each once.
    let first = list(s, "?platform=android&limit=1").await;
    let cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();
    let second = list(s, &format!("?platform=android&limit=1&cursor={cursor}")).await;
    assert_eq!(app_ids(&first), ["android/com.acme.mail"]);
    assert_eq!(app_ids(&second), ["android/com.acme.chat"]);
    assert!(second.get("next_cursor").is_none(), "{second}");

    let path = format!("/v1/apps/{}", id(&mail));
    let (status, updated) = s
        .raw(
            Method::PUT,
            &path,
            Some(&admin),
            Some(json!({"name": "Mail 2", "version": "2.0", "required": true})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (
            &updated["name"],
            &updated["version"],
            &updated["required"],
            &updated["app_id"]
        ),
        (
            &json!("Mail 2"),
            &json!("2.0"),
            &json!(true),
            &json!("com.acme.mail")
        )
    );
    let (status, read) = s.raw(Method::GET, &path, Some(&admin), None).await;
    assert_eq!((status, &read), (200, &updated));

    let (status, _) = s.raw(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(status, 200);
    let (status, gone) = s.raw(Method::GET, &path, Some(&admin), None).await;
    assert_eq!((status, gone["code"].as_str()), (404, Some("not_found")));
    // Deleting frees the package for a new entry.
    add_app(
        s,
        json!({"app_id": "com.acme.mail", "platform": "android", "name": "Mail"}),
    )
    .await;
    for action in ["app.create", "app.update", "app.delete"] {
        let entries = audit_actions(s, action).await;
        let want = if action == "app.create" { 4 } else { 1 };
        assert_eq!(entries.len(), want, "{action}: {entries:?}");
    }
}

pub async fn installing_a_catalogue_app_on_a_group_queues_it_for_members_of_its_platform_only(
    s: &Stack,
) {
    let (phone, phone_cred) = enroll(s, 1, "android").await;
    let (iphone, iphone_cred) = enroll(s, 2, "ios").await;
    let group = create_group(s, "acme", "field").await;
    change(s, "acme", &group, "add", &[&phone, &iphone]).await;
    let app = add_app(
        s,
        json!({
            "app_id": "com.acme.field",
            "platform": "android",
            "name": "Field",
            "version": "3.1",
            "url": "https://apps.acme.example/field.apk",
        }),
    )
    .await;
    let operator = s.token("acme", Role::Operator);
    let (status, job) = s
        .raw(
            Method::POST,
            &format!("/v1/apps/{}/install", id(&app)),
            Some(&operator),
            Some(json!({"target": {"kind": "group", "group": group}})),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["command"]["type"], "install_app", "{job}");
    assert_eq!(job["platform"], "android", "{job}");
    let done = fanned_out(s, "acme", &id(&job)).await;
    assert_eq!(done["progress"]["targeted"], 2, "{done}");
    assert_eq!(done["progress"]["queued"], 1, "{done}");
    assert_eq!(done["progress"]["not_queued"], 1, "{done}");
    let pulled = s.api.pending(&phone_cred).await.expect("pull");
    assert_eq!(pulled.len(), 1, "{pulled:?}");
    assert_eq!(pulled[0]["type"], "install_app");
    assert_eq!(
        (
            &pulled[0]["payload"]["app_id"],
            &pulled[0]["payload"]["version"],
            &pulled[0]["payload"]["url"]
        ),
        (
            &json!("com.acme.field"),
            &json!("3.1"),
            &json!("https://apps.acme.example/field.apk")
        )
    );
    assert!(pending_apps(s, &iphone_cred).await.is_empty());

    // Removal tenant-wide reaches the same android device and skips the iPhone too.
    let (status, job) = s
        .raw(
            Method::POST,
            &format!("/v1/apps/{}/remove", id(&app)),
            Some(&operator),
            Some(json!({"target": {"kind": "tenant"}})),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    let done = fanned_out(s, "acme", &id(&job)).await;
    assert_eq!(
        (&done["progress"]["queued"], &done["progress"]["not_queued"]),
        (&json!(1), &json!(1)),
        "{done}"
    );
    assert!(
        pending_apps(s, &phone_cred)
            .await
            .contains(&("remove_app".to_owned(), "com.acme.field".to_owned()))
    );
    assert!(pending_apps(s, &iphone_cred).await.is_empty());
}

pub async fn a_new_device_gets_the_required_apps_of_its_platform_at_enrolment(s: &Stack) {
    let vpn = add_app(
        s,
        json!({"app_id": "com.acme.vpn", "platform": "android", "name": "VPN", "required": true}),
    )
    .await;
    add_app(
        s,
        json!({"app_id": "com.acme.game", "platform": "android", "name": "Game"}),
    )
    .await;
    add_app(
        s,
        json!({"app_id": "com.acme.vpn.ios", "platform": "ios", "name": "VPN", "required": true}),
    )
    .await;

    let (phone, phone_cred) = enroll(s, 1, "android").await;
    assert_eq!(
        pending_apps(s, &phone_cred).await,
        [("install_app".to_owned(), "com.acme.vpn".to_owned())]
    );
    let (_, iphone_cred) = enroll(s, 2, "ios").await;
    assert_eq!(
        pending_apps(s, &iphone_cred).await,
        [("install_app".to_owned(), "com.acme.vpn.ios".to_owned())]
    );
    let entries = audit_actions(s, "app.install_required").await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(
        entries
            .iter()
            .any(|e| e["target"] == format!("device/{phone}")),
        "{entries:?}"
    );

    // An app no longer required is not installed on the devices that enrol afterwards.
    let admin = s.token("acme", Role::Admin);
    let (status, body) = s
        .raw(
            Method::PUT,
            &format!("/v1/apps/{}", id(&vpn)),
            Some(&admin),
            Some(json!({"name": "VPN", "required": false})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, later_cred) = enroll(s, 3, "android").await;
    assert!(pending_apps(s, &later_cred).await.is_empty());
}

pub async fn a_bad_app_entry_names_its_field(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let good = json!({"app_id": "com.acme.ok", "platform": "android", "name": "Ok"});
    for (field, bad) in [
        ("app_id", json!("nodots")),
        ("name", json!("")),
        ("url", json!("http://apps.acme.example/ok.apk")),
        ("version", json!("v".repeat(51))),
        ("store_id", json!("s".repeat(101))),
    ] {
        let mut body = good.clone();
        body[field] = bad;
        let (status, problem) = s
            .raw(Method::POST, "/v1/apps", Some(&admin), Some(body))
            .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some("invalid_field")),
            "{field}: {problem}"
        );
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(
            detail.starts_with(&format!("{field}:")),
            "{field}: {problem}"
        );
    }
    let mut windows = good.clone();
    windows["platform"] = json!("windows");
    let (status, _) = s
        .raw(Method::POST, "/v1/apps", Some(&admin), Some(windows))
        .await;
    assert_eq!(status, 400);

    let app = add_app(s, good).await;
    let (status, problem) = s
        .raw(
            Method::PUT,
            &format!("/v1/apps/{}", id(&app)),
            Some(&admin),
            Some(json!({"name": "Ok", "url": "ftp://x.example/ok"})),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_field"))
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("url:")
    );
    let (status, problem) = s
        .raw(
            Method::POST,
            &format!("/v1/apps/{}/install", id(&app)),
            Some(&admin),
            Some(json!({"target": {"kind": "group", "group": "NOSUCHGROUP"}})),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("not_found")),
        "{problem}"
    );
    assert_eq!(app_ids(&list(s, "").await), ["android/com.acme.ok"]);
}

pub async fn operators_install_apps_and_only_admins_change_the_catalogue(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let operator = s.token("acme", Role::Operator);
    let auditor = s.token("acme", Role::Auditor);
    let app = add_app(
        s,
        json!({"app_id": "com.acme.notes", "platform": "ios", "name": "Notes"}),
    )
    .await;
    let path = format!("/v1/apps/{}", id(&app));
    let new_app = json!({"app_id": "com.acme.other", "platform": "ios", "name": "Other"});
    let update = json!({"name": "Notes 2"});
    let target = json!({"target": {"kind": "devices", "devices": ["NODEVICE"]}});
    for (who, bearer) in [("operator", &operator), ("auditor", &auditor)] {
        let calls = [
            (Method::POST, "/v1/apps".to_owned(), Some(new_app.clone())),
            (Method::PUT, path.clone(), Some(update.clone())),
            (Method::DELETE, path.clone(), None),
        ];
        for (method, p, body) in calls {
            let (status, problem) = s.raw(method.clone(), &p, Some(bearer), body).await;
            assert_eq!(
                (status, problem["code"].as_str()),
                (403, Some("forbidden")),
                "{who} {method} {p}"
            );
        }
        let (status, _) = s.raw(Method::GET, &path, Some(bearer), None).await;
        assert_eq!(status, 200, "{who} reads the catalogue");
    }
    for verb in ["install", "remove"] {
        let p = format!("{path}/{verb}");
        let (status, problem) = s
            .raw(Method::POST, &p, Some(&auditor), Some(target.clone()))
            .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (403, Some("forbidden")),
            "{p}"
        );
        let (status, job) = s
            .raw(Method::POST, &p, Some(&operator), Some(target.clone()))
            .await;
        assert_eq!(status, 200, "{p}: {job}");
    }
    let (status, read) = s.raw(Method::GET, &path, Some(&admin), None).await;
    assert_eq!((status, &read["name"]), (200, &json!("Notes")));
}
