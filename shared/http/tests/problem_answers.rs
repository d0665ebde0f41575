//! Every error the served router can answer is application/problem+json with a stable code:
//! unknown routes, other methods, undecodable path segments, bad query strings, long URIs and
//! large bodies included. The router is the one the local server and the Lambda functions run.

mod common;

use axum::http::{Method, StatusCode, header};
use common::{admin, assert_problem, call};

#[tokio::test]
async fn an_unknown_route_is_a_404_route_not_found_problem() {
    let a = call(Method::GET, "/v1/no-such-thing", None, None).await;
    assert_problem(&a, 404, "route_not_found");
}

#[tokio::test]
async fn a_method_the_route_does_not_take_is_a_405_problem_that_names_the_methods_it_does() {
    let a = call(Method::DELETE, "/v1/enroll", None, None).await;
    assert_problem(&a, 405, "method_not_allowed");
    assert_eq!(a.headers.get(header::ALLOW).unwrap(), "POST");

    let a = call(Method::PATCH, "/v1/groups", Some(&admin()), None).await;
    assert_problem(&a, 405, "method_not_allowed");
    let allow = a.headers.get(header::ALLOW).unwrap().to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");

    // Apple's endpoints too.
    let a = call(Method::DELETE, "/apple/acme/checkin", None, None).await;
    assert_problem(&a, 405, "method_not_allowed");
    assert_eq!(a.headers.get(header::ALLOW).unwrap(), "PUT");
}

#[tokio::test]
async fn a_device_id_that_is_not_utf8_or_badly_percent_encoded_names_no_device() {
    let admin = admin();
    for path in [
        "/v1/devices/%FF%FE",
        "/v1/devices/%zz",
        "/v1/devices/%",
        "/v1/devices/%C3",
    ] {
        let a = call(Method::GET, path, Some(&admin), None).await;
        assert_problem(&a, 404, "not_found");
        assert_eq!(a.body["detail"], "device not found", "{path}");
    }
}

#[tokio::test]
async fn an_undecodable_second_id_is_refused_for_what_it_names() {
    let admin = admin();
    let a = call(
        Method::GET,
        "/v1/devices/01DEVICE/commands/%FF",
        Some(&admin),
        None,
    )
    .await;
    assert_problem(&a, 404, "not_found");
    assert_eq!(a.body["detail"], "command not found");

    // A policy version is a number the caller wrote: a bad one is their mistake.
    let a = call(
        Method::GET,
        "/v1/policies/01POLICY/versions/%FF",
        Some(&admin),
        None,
    )
    .await;
    assert_problem(&a, 400, "invalid_field");
    assert_eq!(a.body["field"], "version");
}

#[tokio::test]
async fn an_apple_endpoint_with_an_undecodable_tenant_names_no_tenant() {
    let a = call(
        Method::GET,
        "/apple/%FF/scep?operation=GetCACaps",
        None,
        None,
    )
    .await;
    assert_problem(&a, 404, "not_found");
    let a = call(Method::GET, "/apple/enroll/%FF", None, None).await;
    assert_problem(&a, 403, "enrollment_token_invalid");
}

#[tokio::test]
async fn a_query_string_of_the_wrong_type_or_with_unknown_parameters_is_a_400_problem() {
    let admin = admin();
    for query in ["limit=abc", "limit=-1", "open=maybe", "colour=blue"] {
        let a = call(
            Method::GET,
            &format!("/v1/devices/01DEVICE/commands?{query}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}: {}", a.body);
        assert_eq!(
            a.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        assert!(
            ["invalid_request", "invalid_field"].contains(&a.body["code"].as_str().unwrap()),
            "{query}: {}",
            a.body
        );
    }
}

#[tokio::test]
async fn a_uri_longer_than_8_kib_is_a_414_problem_before_any_credential_is_checked() {
    let long = "a".repeat(mdm_http::edge_errors::MAX_URI_BYTES);
    for uri in [
        format!("/v1/devices?cursor={long}"),
        format!("/v1/no-such-route/{long}"),
        format!("/v1/devices/{long}"),
    ] {
        let a = call(Method::GET, &uri, None, None).await;
        assert_problem(&a, 414, "uri_too_long");
    }
    // Just under the limit is routed as usual.
    let fits = format!("/v1/devices?x={}", "a".repeat(8000));
    let a = call(Method::GET, &fits, None, None).await;
    assert_problem(&a, 401, "unauthenticated");
}

#[tokio::test]
async fn a_body_over_the_routes_limit_is_a_413_problem_on_json_and_apple_routes_alike() {
    let big = vec![b'x'; 3 * 1024 * 1024];
    let a = call(
        Method::POST,
        "/v1/enroll",
        None,
        Some(vec![b' '; 17 * 1024]),
    )
    .await;
    assert_problem(&a, 413, "payload_too_large");
    let a = call(Method::PUT, "/apple/acme/mdm", None, Some(big)).await;
    assert_problem(&a, 413, "payload_too_large");
}

/// hyper answers URIs over 64 KiB itself, with an empty 414: the server's own limit must be
/// the one a client meets first.
#[tokio::test]
async fn the_local_server_answers_a_long_uri_with_the_problem_not_with_hypers_empty_414() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, common::Server::new().router()).await;
    });
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let path = format!("/v1/devices?cursor={}", "a".repeat(32 * 1024));
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 414"), "{answer}");
    assert!(
        answer.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains("\"code\":\"uri_too_long\""), "{answer}");
    server.abort();
}
