//! Every listing pages the same way: 50 items unless the reader says otherwise, at most 200, and
//! a limit outside 1 to 200 is refused rather than quietly changed.

mod common;

use axum::http::Method;
use common::{Server, admin, assert_problem, operator};
use serde_json::json;

/// Every listing of the API, as the document describes it: (path with ids filled in, token).
fn listings() -> Vec<(String, String)> {
    let doc = mdm_http::openapi::document();
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if !params.iter().any(|p| p["name"] == "limit") {
            continue;
        }
        let filled = mdm_http::openapi::path_params(path).fold(path.clone(), |p, name| {
            let value = if name == "tenant_id" { "acme" } else { "01ID" };
            p.replace(&format!("{{{name}}}"), value)
        });
        let token = if op["security"] == json!([{"platformJwt": []}]) {
            operator()
        } else {
            admin()
        };
        found.push((filled, token));
    }
    found
}

#[tokio::test]
async fn every_listing_refuses_a_limit_of_zero_or_over_200_naming_the_field() {
    let s = Server::new();
    let listings = listings();
    assert!(listings.len() >= 15, "{}", listings.len());
    for (path, token) in listings {
        for limit in ["0", "201", "abc", "-1"] {
            let a = s
                .call(
                    Method::GET,
                    &format!("{path}?limit={limit}"),
                    Some(&token),
                    None,
                )
                .await;
            assert_problem(&a, 400, "invalid_field");
            assert_eq!(a.body["field"], "limit", "{path}?limit={limit}");
        }
        let a = s
            .call(
                Method::GET,
                &format!("{path}?limit=1&limit=2"),
                Some(&token),
                None,
            )
            .await;
        assert_problem(&a, 400, "invalid_field");
        let a = s
            .call(Method::GET, &format!("{path}?cursor="), Some(&token), None)
            .await;
        assert_problem(&a, 400, "invalid_field");
        assert_eq!(a.body["field"], "cursor", "{path}");
    }
}

#[tokio::test]
async fn every_listings_limit_is_documented_from_1_to_200_with_50_by_default() {
    let doc = mdm_http::openapi::document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(params) = item.get("get").and_then(|op| op["parameters"].as_array()) else {
            continue;
        };
        for p in params.iter().filter(|p| p["name"] == "limit") {
            assert_eq!(
                p["schema"],
                json!({
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 200,
                    "default": 50,
                    "description": "Most items in the page.",
                }),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn a_listing_holds_50_items_by_default_and_up_to_200_when_asked() {
    let s = Server::new();
    let admin = admin();
    for i in 0..51 {
        let body = serde_json::to_vec(&json!({"name": format!("group {i}")})).unwrap();
        let a = s
            .call(Method::POST, "/v1/groups", Some(&admin), Some(body))
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
    }
    let first = s.call(Method::GET, "/v1/groups", Some(&admin), None).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 50);
    let cursor = first.body["next_cursor"].as_str().expect("a next page");
    let rest = s
        .call(
            Method::GET,
            &format!("/v1/groups?cursor={cursor}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest.body.get("next_cursor"), None);

    let all = s
        .call(Method::GET, "/v1/groups?limit=200", Some(&admin), None)
        .await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 51);
}
