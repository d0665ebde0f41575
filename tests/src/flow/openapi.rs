//! The served OpenAPI document against the server that serves it: every documented operation
//! is answered by a handler (never `route_not_found` or `method_not_allowed`), and every method
//! a documented path does not list is refused, so the document and the routes cannot drift.

use reqwest::Method;
use serde_json::Value;

use crate::stack::Stack;

/// A syntactically valid value for each kind of path parameter, so a refusal is about the
/// object (404 `not_found`) or the caller, never the route.
fn fill(template: &str) -> String {
    template
        .split('/')
        .map(|seg| match seg {
            "{platform}" => "android",
            s if s.starts_with('{') => "01JZZZZZZZZZZZZZZZZZZZZZZZ",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn call(s: &Stack, method: Method, path: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .request(method, format!("{}{path}", s.base))
        .send()
        .await
        .expect("the server answers");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub async fn the_served_openapi_document_lists_exactly_the_operations_the_server_answers(
    s: &Stack,
) {
    let (status, doc) = call(s, Method::GET, "/openapi.json").await;
    assert_eq!(status, 200, "the document is public");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(&doc, mdm_http::openapi::document(), "served as generated");

    let mut operations = 0;
    for (template, item) in doc["paths"].as_object().expect("paths") {
        let path = fill(template);
        let documented: Vec<String> = item
            .as_object()
            .expect("path item")
            .keys()
            .map(|m| m.to_ascii_uppercase())
            .collect();
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let (status, body) =
                call(s, Method::from_bytes(method.as_bytes()).unwrap(), &path).await;
            let code = body["code"].as_str().unwrap_or_default().to_owned();
            if documented.iter().any(|m| m == method) {
                operations += 1;
                assert!(
                    code != "route_not_found" && code != "method_not_allowed",
                    "{method} {template} is documented but not served: {status} {body}"
                );
            } else {
                assert_eq!(
                    (status, code.as_str()),
                    (405, "method_not_allowed"),
                    "{method} {template} is served but not documented"
                );
            }
        }
    }
    assert_eq!(operations, mdm_http::ROUTES.len());
    let (status, body) = call(s, Method::GET, "/v1/nothing-here").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("route_not_found"))
    );
}
