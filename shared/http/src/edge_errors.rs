//! The last word on error answers: whatever produced an error status (an unknown route, a
//! method the route does not take, axum's own rejections, a body over its limit), it leaves as
//! application/problem+json with a stable code. Handlers and extractors answer with `Problem`
//! already; the layers here catch the rest, on Lambda and locally alike, and refuse URIs too
//! long for any route of ours before hyper's own, bodiless, limit (64 KiB) is reached.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;

/// Longest path and query string accepted, in bytes. API Gateway's own limit is of this order,
/// and no route of ours needs more than a few hundred bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Refuses a request whose path and query are longer than `MAX_URI_BYTES`, before routing.
pub(crate) async fn refuse_long_uris(req: Request, next: Next) -> Response {
    let len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if len > MAX_URI_BYTES {
        return Problem::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the path and query string are longer than {MAX_URI_BYTES} bytes"),
        )
        .into_response();
    }
    next.run(req).await
}

pub(crate) async fn route_not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "route_not_found", "no such route")
}

/// axum adds the `Allow` header with the methods the route does take.
pub(crate) async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method",
    )
}

/// Turns an error answer that is not problem+json yet into one, keeping its status and its
/// headers (`Allow`, `Retry-After`, ...) but its content headers.
pub(crate) async fn problem_json_only(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&res) {
        return res;
    }
    let (parts, body) = res.into_parts();
    // Rejections explain themselves in plain text ("Failed to deserialize ..."): the first
    // line, cut short, is the detail (a longer text is not read). Server errors' texts stay
    // in the log.
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let detail = if status.is_server_error() {
        if !text.is_empty() {
            tracing::error!(%status, body = %text, "error answer without a problem");
        }
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        crate::extract::bounded(text.lines().next().unwrap_or_default().to_owned())
    };
    let mut problem = Problem::new(status, code_of(status), detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name, value.clone());
        }
    }
    problem
}

fn is_problem(res: &Response) -> bool {
    res.headers().get(header::CONTENT_TYPE)
        == Some(&HeaderValue::from_static("application/problem+json"))
}

/// The stable code of an error status nothing of ours named: the same codes `Problem` uses
/// where one of ours produces that status.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "invalid_request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "route_not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_ACCEPTABLE => "not_acceptable",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::LENGTH_REQUIRED => "length_required",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_request",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "invalid_request",
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::middleware::map_response;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn answer(router: Router) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let res = router
            .layer(map_response(problem_json_only))
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 16).await.unwrap();
        (
            parts.status,
            parts.headers,
            serde_json::from_slice(&bytes).unwrap_or_default(),
        )
    }

    #[tokio::test]
    async fn a_plain_text_rejection_becomes_a_problem_with_its_status_headers_and_first_line() {
        let router = Router::new().route(
            "/",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "7")],
                    "slow down\nsecond line",
                )
            }),
        );
        let (status, headers, body) = answer(router).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(headers[header::RETRY_AFTER], "7");
        assert_eq!(body["code"], "rate_limited");
        assert_eq!(body["detail"], "slow down");
    }

    #[tokio::test]
    async fn a_server_errors_text_stays_in_the_log() {
        let router = Router::new().route(
            "/",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "db password is hunter2") }),
        );
        let (status, _, body) = answer(router).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal");
        assert_eq!(body["detail"], "internal server error");
    }

    #[tokio::test]
    async fn successes_and_problems_pass_unchanged() {
        let ok = Router::new().route("/", get(|| async { "fine" }));
        let res = ok
            .layer(map_response(problem_json_only))
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let problem = Router::new().route(
            "/",
            get(|| async { Problem::new(StatusCode::CONFLICT, "group_not_empty", "not empty") }),
        );
        let (status, _, body) = answer(problem).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["code"], "group_not_empty");
    }
}
