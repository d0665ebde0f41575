//! Geofences as an admin manages them through the API: create, page, read, replace, delete;
//! bad shapes refused naming their field; other tenants and lesser roles kept out.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::Stack;

fn circle(name: &str) -> Value {
    json!({
        "name": name,
        "shape": {"type": "circle", "latitude": 48.8584, "longitude": 2.2945, "radius_m": 250.0},
    })
}

/// A concave "C" (valid: its edges do not cross).
fn polygon(name: &str) -> Value {
    json!({
        "name": name,
        "shape": {"type": "polygon", "points": [
            [0.0, 0.0], [0.0, 1.0], [0.4, 1.0], [0.4, 0.2],
            [0.6, 0.2], [0.6, 1.0], [1.0, 1.0], [1.0, 0.0],
        ]},
    })
}

/// A call whose status is kept as the server sent it (`Stack::raw` reports any success as 200).
async fn exact(
    s: &Stack,
    method: Method,
    path: &str,
    bearer: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", s.base))
        .bearer_auth(bearer);
    if let Some(b) = body {
        req = req.json(b);
    }
    let res = req.send().await.expect("the server answers");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn create(s: &Stack, tenant: &str, body: &Value) -> Value {
    let admin = s.token(tenant, Role::Admin);
    let (status, created) = exact(s, Method::POST, "/v1/geofences", &admin, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

pub async fn an_admin_creates_pages_reads_replaces_and_deletes_geofences(s: &Stack) {
    let office = create(s, "acme", &circle("Office")).await;
    assert_eq!(office["name"], "Office");
    assert_eq!(office["shape"], circle("Office")["shape"]);
    assert!(office["created_at"].is_string() && office["updated_at"].is_string());
    let campus = create(s, "acme", &polygon("Campus")).await;
    let depot = create(s, "acme", &circle("Depot")).await;

    // Paged one at a time, oldest first, each exactly once.
    let auditor = s.token("acme", Role::Auditor);
    let mut seen = Vec::new();
    let mut path = "/v1/geofences?limit=1".to_owned();
    loop {
        let (status, page) = s.raw(Method::GET, &path, Some(&auditor), None).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(page["items"].as_array().expect("items").iter().map(id));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/geofences?limit=1&cursor={c}"),
            None => break,
        }
        assert!(seen.len() <= 3, "the listing does not end: {seen:?}");
    }
    assert_eq!(seen, vec![id(&office), id(&campus), id(&depot)]);

    let (status, read) = s
        .raw(
            Method::GET,
            &format!("/v1/geofences/{}", id(&campus)),
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!((status, &read), (200, &campus));

    // Replaced: same id and creation time, new name and shape.
    let admin = s.token("acme", Role::Admin);
    let path = format!("/v1/geofences/{}", id(&office));
    let (status, replaced) = exact(s, Method::PUT, &path, &admin, Some(&polygon("HQ"))).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(
        (&replaced["id"], &replaced["name"], &replaced["shape"]),
        (&office["id"], &json!("HQ"), &polygon("HQ")["shape"])
    );
    assert_eq!(replaced["created_at"], office["created_at"]);
    let (_, read) = s.raw(Method::GET, &path, Some(&auditor), None).await;
    assert_eq!(read, replaced);

    let (status, _) = exact(s, Method::DELETE, &path, &admin, None).await;
    assert_eq!(status, 204);
    let (status, gone) = s.raw(Method::GET, &path, Some(&auditor), None).await;
    assert_eq!((status, gone["code"].as_str()), (404, Some("not_found")));
    let (status, again) = exact(s, Method::DELETE, &path, &admin, None).await;
    assert_eq!((status, again["code"].as_str()), (404, Some("not_found")));
    let (status, _) = exact(s, Method::PUT, &path, &admin, Some(&circle("Back"))).await;
    assert_eq!(
        status, 404,
        "a deleted geofence is not brought back by a replace"
    );
    let (_, left) = s
        .raw(Method::GET, "/v1/geofences", Some(&auditor), None)
        .await;
    let left: Vec<String> = left["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id)
        .collect();
    assert_eq!(left, vec![id(&campus), id(&depot)]);
}

pub async fn bad_geofence_shapes_get_invalid_field_naming_the_field(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let circle_with = |field: &str, value: Value| {
        let mut body = circle("Bad");
        body["shape"][field] = value;
        body
    };
    let polygon_of =
        |points: Value| json!({"name": "Bad", "shape": {"type": "polygon", "points": points}});
    let cases = [
        (circle_with("radius_m", json!(5)), "shape.radius_m"),
        (circle_with("radius_m", json!(100_001)), "shape.radius_m"),
        (circle_with("latitude", json!(91)), "shape.latitude"),
        (circle_with("longitude", json!(-180.5)), "shape.longitude"),
        (polygon_of(json!([[0, 0], [1, 1]])), "shape.points"),
        // A bow tie: its edges cross.
        (
            polygon_of(json!([[0, 0], [1, 1], [1, 0], [0, 1]])),
            "shape.points",
        ),
        (
            polygon_of(json!([[0, 0], [95, 1], [0, 1]])),
            "shape.points[1]",
        ),
        (
            polygon_of(json!([[0, 179], [1, 179], [1, -179], [0, -179]])),
            "shape.points[2]",
        ),
        (json!({"name": "", "shape": circle("x")["shape"]}), "name"),
    ];
    for (body, field) in &cases {
        for (method, path) in [
            (Method::POST, "/v1/geofences".to_owned()),
            (
                Method::PUT,
                format!(
                    "/v1/geofences/{}",
                    id(&create(s, "acme", &circle("Ok")).await)
                ),
            ),
        ] {
            let (status, problem) = s
                .raw(method.clone(), &path, Some(&admin), Some(body.clone()))
                .await;
            assert_eq!(
                (status, problem["code"].as_str()),
                (400, Some("invalid_field")),
                "{method} {field}: {problem}"
            );
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(
                detail.starts_with(&format!("{field}:")),
                "{method} {field}: {problem}"
            );
        }
    }
    // Not a shape at all: refused by the body's parser.
    let (status, problem) = s
        .raw(
            Method::POST,
            "/v1/geofences",
            Some(&admin),
            Some(json!({"name": "Sq", "shape": {"type": "square", "side": 3}})),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_request"))
    );
    // Only the valid geofences the PUT cases created exist: nothing bad was stored.
    let (_, listed) = s
        .raw(Method::GET, "/v1/geofences?limit=200", Some(&admin), None)
        .await;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), cases.len());
    assert!(items.iter().all(|g| g["name"] == "Ok"), "{listed}");
}

pub async fn another_tenants_geofences_are_not_found_and_never_listed(s: &Stack) {
    let acme = create(s, "acme", &circle("Acme site")).await;
    let globex = s.token("globex", Role::Admin);
    let path = format!("/v1/geofences/{}", id(&acme));
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(circle("Taken"))),
        (Method::DELETE, None),
    ] {
        let (status, problem) = s.raw(method.clone(), &path, Some(&globex), body).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (404, Some("not_found")),
            "{method}"
        );
        assert!(!problem.to_string().contains(&id(&acme)), "{problem}");
    }
    let (_, listed) = s
        .raw(Method::GET, "/v1/geofences", Some(&globex), None)
        .await;
    assert_eq!(listed["items"], json!([]));
    // And acme's is as it was.
    let (status, read) = s
        .raw(
            Method::GET,
            &path,
            Some(&s.token("acme", Role::Auditor)),
            None,
        )
        .await;
    assert_eq!((status, &read), (200, &acme));
}

pub async fn only_admins_change_geofences_and_operators_and_auditors_read_them(s: &Stack) {
    let fence = create(s, "acme", &circle("Yard")).await;
    let path = format!("/v1/geofences/{}", id(&fence));
    for role in [Role::Operator, Role::Auditor, Role::User] {
        let who = s.token("acme", role);
        for (method, p, body) in [
            (Method::POST, "/v1/geofences", Some(circle("Mine"))),
            (Method::PUT, path.as_str(), Some(circle("Mine"))),
            (Method::DELETE, path.as_str(), None),
        ] {
            let (status, problem) = s.raw(method.clone(), p, Some(&who), body).await;
            assert_eq!(
                (status, problem["code"].as_str()),
                (403, Some("forbidden")),
                "{role:?} {method} {p}"
            );
        }
        let readable = role != Role::User;
        let (status, _) = s.raw(Method::GET, &path, Some(&who), None).await;
        assert_eq!(status == 200, readable, "{role:?} reads one: {status}");
        let (status, _) = s.raw(Method::GET, "/v1/geofences", Some(&who), None).await;
        assert_eq!(status == 200, readable, "{role:?} lists: {status}");
    }
    let (_, read) = s
        .raw(
            Method::GET,
            &path,
            Some(&s.token("acme", Role::Admin)),
            None,
        )
        .await;
    assert_eq!(read, fence, "nothing changed");
}

/// Embedded only: 500 creations are quick in memory but would take moto most of a minute, and
/// the cap is one condition in the store logic both backends share.
pub async fn the_501st_geofence_is_refused_and_deleting_one_makes_room(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let mut first = None;
    for n in 0..mdm_core::usecases::policy::geofences::MAX_GEOFENCES {
        let (status, made) = s
            .raw(
                Method::POST,
                "/v1/geofences",
                Some(&admin),
                Some(circle(&format!("Site {n}"))),
            )
            .await;
        assert_eq!(status, 200, "geofence {n}: {made}");
        first.get_or_insert(id(&made));
    }
    let (status, refused) = s
        .raw(
            Method::POST,
            "/v1/geofences",
            Some(&admin),
            Some(circle("One more")),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("geofence_limit_reached"))
    );
    let first = first.expect("created");
    let (status, _) = s
        .raw(
            Method::DELETE,
            &format!("/v1/geofences/{first}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // A delete of one already gone frees nothing more.
    let (status, _) = s
        .raw(
            Method::DELETE,
            &format!("/v1/geofences/{first}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 404);
    create(s, "acme", &circle("One more")).await;
    let (status, refused) = s
        .raw(
            Method::POST,
            "/v1/geofences",
            Some(&admin),
            Some(circle("Too many")),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("geofence_limit_reached"))
    );
}
