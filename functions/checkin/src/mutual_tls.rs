//! API Gateway's mutual TLS, as the Apple device endpoints see it: the client certificate API
//! Gateway verified travels in the Lambda event's request context as PEM; this puts its DER in
//! the request's extensions as `ClientCertificate`, where the check-in and command handlers
//! take it as the device's identity proof instead of the `Mdm-Signature` header.
//!
//! Only API Gateway can set the request context (a client cannot), and it sets this field only
//! on a custom domain with mutual TLS. The certificate is still verified against the tenant's
//! CA by the identity check: API Gateway's truststore says only that some CA of the bundle
//! issued it.

use axum::Router;
use axum::http::Request;
use lambda_http::request::RequestContext;
use mdm_http::apple_routes::ClientCertificate;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tower::util::MapRequestLayer;

/// `router` with every request's client certificate (if API Gateway passed one) in its
/// extensions. What the checkin function serves.
pub fn with_client_certificates(router: Router) -> Router {
    router.layer(MapRequestLayer::new(attach::<axum::body::Body>))
}

/// The DER of the first certificate in `pem`.
pub fn certificate_der(pem: &str) -> Result<Vec<u8>, rustls_pki_types::pem::Error> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map(|der| der.to_vec())
}

/// The PEM of the client certificate in an HTTP API (payload 2.0) request context.
fn client_certificate_pem(context: &RequestContext) -> Option<&str> {
    match context {
        RequestContext::ApiGatewayV2(ctx) => ctx
            .authentication
            .as_ref()?
            .client_cert
            .as_ref()?
            .client_cert_pem
            .as_deref(),
        _ => None,
    }
}

fn attach<B>(mut request: Request<B>) -> Request<B> {
    let pem = request
        .extensions()
        .get::<RequestContext>()
        .and_then(client_certificate_pem);
    let Some(pem) = pem else {
        return request;
    };
    match certificate_der(pem) {
        Ok(der) => {
            request.extensions_mut().insert(ClientCertificate(der));
        }
        // API Gateway verified this certificate, so this should not happen; without it the
        // request still has its Mdm-Signature to prove who sent it, so it is not refused here.
        Err(e) => tracing::warn!(error = %e, "the client certificate's PEM does not decode"),
    }
    request
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};

    use super::*;
    use axum::Extension;
    use axum::body::Bytes;
    use axum::http::StatusCode;
    use axum::routing::put;
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextAuthentication,
        ApiGatewayV2httpRequestContextAuthenticationClientCert,
    };
    use lambda_http::request::LambdaRequest;
    use lambda_http::{Adapter, Context, LambdaEvent};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    fn certificate() -> rcgen::CertifiedKey<rcgen::KeyPair> {
        rcgen::generate_simple_self_signed(vec!["device.example".into()]).expect("rcgen")
    }

    fn request_with(pem: Option<&str>) -> Request<()> {
        let mut ctx = ApiGatewayV2httpRequestContext::default();
        if let Some(pem) = pem {
            let mut cert = ApiGatewayV2httpRequestContextAuthenticationClientCert::default();
            cert.client_cert_pem = Some(pem.to_owned());
            let mut auth = ApiGatewayV2httpRequestContextAuthentication::default();
            auth.client_cert = Some(cert);
            ctx.authentication = Some(auth);
        }
        let mut request = Request::new(());
        request
            .extensions_mut()
            .insert(RequestContext::ApiGatewayV2(ctx));
        request
    }

    #[test]
    fn a_pem_certificate_decodes_to_the_der_it_was_made_from() {
        let made = certificate();
        let der = certificate_der(&made.cert.pem()).expect("decodes");
        assert_eq!(der, made.cert.der().to_vec());
    }

    #[test]
    fn a_pem_with_windows_line_ends_and_a_key_before_it_still_yields_the_certificate() {
        let made = certificate();
        let pem = format!("{}{}", made.signing_key.serialize_pem(), made.cert.pem())
            .replace('\n', "\r\n");
        assert_eq!(
            certificate_der(&pem).expect("decodes"),
            made.cert.der().to_vec()
        );
    }

    #[test]
    fn text_that_holds_no_certificate_is_an_error() {
        assert!(certificate_der("not a certificate").is_err());
        let made = certificate();
        assert!(certificate_der(&made.signing_key.serialize_pem()).is_err());
    }

    #[test]
    fn the_client_certificate_of_the_request_context_lands_in_the_extensions_as_der() {
        let made = certificate();
        let request = attach(request_with(Some(&made.cert.pem())));
        let cert = request
            .extensions()
            .get::<ClientCertificate>()
            .expect("a client certificate");
        assert_eq!(cert.0, made.cert.der().to_vec());
    }

    #[test]
    fn a_request_without_mutual_tls_gets_no_client_certificate() {
        let request = attach(request_with(None));
        assert!(request.extensions().get::<ClientCertificate>().is_none());
        let request = attach(Request::new(()));
        assert!(request.extensions().get::<ClientCertificate>().is_none());
    }

    #[test]
    fn a_client_certificate_that_does_not_decode_is_left_out_not_refused() {
        let request = attach(request_with(Some("-----BEGIN CERTIFICATE-----\n!!\n")));
        assert!(request.extensions().get::<ClientCertificate>().is_none());
    }

    /// What a handler behind the layer received: the body and the client certificate.
    type Seen = Arc<Mutex<Option<(Vec<u8>, Option<Vec<u8>>)>>>;

    /// The Apple check-in fixture as API Gateway sends it on the mutual-TLS domain: its
    /// base64 plist body, and the client certificate in the request context.
    fn apple_checkin_event(pem: &str) -> LambdaRequest {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../infra/events/apple-checkin.json"
        );
        let text = std::fs::read_to_string(path).expect("infra/events/apple-checkin.json");
        let mut event: Value = serde_json::from_str(&text).expect("JSON");
        event["headers"]["mdm-signature"] = json!("unused-with-mutual-tls");
        event["requestContext"]["authentication"] = json!({
            "clientCert": {
                "clientCertPem": pem,
                "issuerDN": "CN=MDM device CA acme,O=acme",
                "serialNumber": "01",
                "subjectDN": "CN=device,O=acme",
                "validity": {
                    "notAfter": "Nov 26 10:00:00 2027 GMT",
                    "notBefore": "Nov 26 10:00:00 2026 GMT"
                }
            }
        });
        serde_json::from_value(event).expect("an HTTP API (payload 2.0) event")
    }

    #[tokio::test]
    async fn an_apple_checkin_event_reaches_the_handler_as_plist_bytes_with_its_client_certificate()
    {
        let made = certificate();
        let seen: Seen = Arc::default();
        let record = seen.clone();
        // Stands in for the Apple check-in handler: the layer and lambda_http are under test.
        let router = Router::new().route(
            "/apple/{tenant}/checkin",
            put(
                move |cert: Option<Extension<ClientCertificate>>, body: Bytes| async move {
                    let cert = cert.map(|Extension(c)| c.0);
                    *record.lock().expect("lock") = Some((body.to_vec(), cert));
                    StatusCode::OK
                },
            ),
        );
        let event = LambdaEvent::new(apple_checkin_event(&made.cert.pem()), Context::default());
        let response = Adapter::from(with_client_certificates(router))
            .oneshot(event)
            .await
            .unwrap_or_else(|never: Infallible| match never {});
        let wire = serde_json::to_value(&response).expect("the response serializes");
        assert_eq!(wire["statusCode"], 200, "{wire}");

        let (body, cert) = seen.lock().expect("lock").take().expect("the handler ran");
        let text = String::from_utf8(body).expect("the decoded body is text");
        assert!(text.starts_with("<?xml"), "{text}");
        assert!(text.contains("<string>Authenticate</string>"), "{text}");
        assert_eq!(cert, Some(made.cert.der().to_vec()));
    }
}
