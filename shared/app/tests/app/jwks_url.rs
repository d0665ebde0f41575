//! The issuer's JWKS is fetched from its URL at start: over https, or plain http on loopback
//! only (this test), and a document that is not a JWKS stops the start with a clear error.

use axum::Router;
use axum::routing::get;
use mdm_app::verifier::fetch_jwks;
use mdm_auth::KeySource;

/// RFC 7517's example P-256 public key (public material only).
const JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"1",
  "x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YilurN5XuttyTNZB2d1H0Z5vBfYjxcOhnc"}]}"#;

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_jwks_served_on_loopback_is_fetched_and_parsed() {
    let base = serve(Router::new().route("/jwks.json", get(|| async { JWKS }))).await;
    let keys = fetch_jwks(&format!("{base}/jwks.json"))
        .await
        .expect("fetched");
    assert!(matches!(keys, KeySource::Jwks(_)), "{keys:?}");
}

#[tokio::test]
async fn a_jwks_url_that_is_not_https_off_loopback_is_refused() {
    let err = fetch_jwks("http://issuer.example/jwks.json")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_request", "{err:?}");
}

#[tokio::test]
async fn an_error_page_or_a_non_jwks_body_stops_the_start() {
    let base = serve(
        Router::new()
            .route(
                "/missing",
                get(|| async { (axum::http::StatusCode::NOT_FOUND, "no") }),
            )
            .route("/html", get(|| async { "<html>login</html>" })),
    )
    .await;
    let missing = fetch_jwks(&format!("{base}/missing")).await.unwrap_err();
    assert_eq!(missing.code(), "unavailable", "{missing:?}");
    let html = fetch_jwks(&format!("{base}/html")).await.unwrap_err();
    assert_ne!(html.code(), "unavailable", "{html:?}");
}
