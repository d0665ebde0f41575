//! A device enrols over SCEP with every cipher and digest it may choose, and reads back a
//! certificate that carries the server's names and chains to the CA.

use crate::common;

use crate::common::{DAY, NOW, ca, device, policy};
use mdm_pki::client::{self, CertRepOutcome, RequestOptions};
use mdm_pki::{ContentCipher, DigestAlg, MessageType, parse_request, success_response};

fn enrol(cipher: ContentCipher, digest: DigestAlg) {
    let ca = ca();
    let key = device();
    let csr = client::csr(key, "csr-asked-name", Some("one-time-secret")).unwrap();
    let transaction = format!("txn-{cipher:?}-{digest:?}");
    let sent = client::pkcs_req(
        key,
        &csr,
        &ca.certificate_der(),
        cipher,
        digest,
        &transaction,
    )
    .unwrap();

    let req = parse_request(&sent.der, ca, &policy()).unwrap();
    assert_eq!(req.message_type, MessageType::PkcsReq);
    assert_eq!(req.transaction_id, transaction);
    assert_eq!(req.sender_nonce, sent.sender_nonce);
    assert_eq!(req.challenge.as_deref(), Some("one-time-secret"));
    assert_eq!(req.cipher, cipher);
    assert_eq!(req.digest, digest);
    assert_eq!(req.key_bits, 2048);
    assert_eq!(req.csr_der, csr);
    assert_eq!(
        req.requester_certificate_der().unwrap(),
        key.certificate_der()
    );

    let issued = ca
        .issue(
            &req.csr,
            "device-42",
            "Tenant Org",
            NOW - 60,
            NOW + 365 * DAY,
        )
        .unwrap();
    let response = success_response(ca, &req, &issued).unwrap();
    let outcome = client::read_cert_rep(
        key,
        &response,
        &ca.certificate_der(),
        &transaction,
        &sent.sender_nonce,
    )
    .unwrap();
    let CertRepOutcome::Issued { certificate_der } = outcome else {
        panic!("expected a certificate, got {outcome:?}");
    };
    assert_eq!(certificate_der, issued);
    let identity = ca
        .verifier()
        .verify_certificate(&certificate_der, NOW)
        .unwrap();
    assert_eq!(identity.common_name.as_deref(), Some("device-42"));
    assert_eq!(identity.organization.as_deref(), Some("Tenant Org"));
    assert_eq!(identity.not_after, NOW + 365 * DAY);
    assert_eq!(identity.serial_hex.len(), 32);
}

macro_rules! round_trip {
    ($($name:ident: $cipher:ident, $digest:ident;)*) => {$(
        #[test]
        fn $name() {
            enrol(ContentCipher::$cipher, DigestAlg::$digest);
        }
    )*};
}

round_trip! {
    a_pkcs_req_encrypted_with_des_and_signed_with_sha1_is_answered_with_a_certificate: DesCbc, Sha1;
    a_pkcs_req_encrypted_with_des_and_signed_with_sha256_is_answered_with_a_certificate: DesCbc, Sha256;
    a_pkcs_req_encrypted_with_3des_and_signed_with_sha1_is_answered_with_a_certificate: DesEde3Cbc, Sha1;
    a_pkcs_req_encrypted_with_3des_and_signed_with_sha256_is_answered_with_a_certificate: DesEde3Cbc, Sha256;
    a_pkcs_req_encrypted_with_aes128_and_signed_with_sha1_is_answered_with_a_certificate: Aes128Cbc, Sha1;
    a_pkcs_req_encrypted_with_aes128_and_signed_with_sha256_is_answered_with_a_certificate: Aes128Cbc, Sha256;
    a_pkcs_req_encrypted_with_aes256_and_signed_with_sha1_is_answered_with_a_certificate: Aes256Cbc, Sha1;
    a_pkcs_req_encrypted_with_aes256_and_signed_with_sha256_is_answered_with_a_certificate: Aes256Cbc, Sha256;
    a_pkcs_req_encrypted_with_aes192_and_signed_with_sha512_is_answered_with_a_certificate: Aes192Cbc, Sha512;
}

#[test]
fn a_renewal_signed_with_the_issued_certificate_names_that_certificate_as_requester() {
    let ca = ca();
    let key = device();
    let issued = common::issue(ca, key, "device-42", NOW - 60, NOW + DAY);
    let csr = client::csr(key, "renewal", None).unwrap();
    let options = RequestOptions {
        message_type: MessageType::RenewalReq,
        cipher: ContentCipher::Aes256Cbc,
        digest: DigestAlg::Sha256,
        transaction_id: "renew-1",
    };
    let sent = client::pki_message(key, &issued, &csr, &ca.certificate_der(), &options).unwrap();
    let req = parse_request(&sent.der, ca, &policy()).unwrap();
    assert_eq!(req.message_type, MessageType::RenewalReq);
    assert_eq!(req.requester_certificate_der().unwrap(), issued);
    let identity = ca
        .verifier()
        .verify_certificate(&req.requester_certificate_der().unwrap(), NOW)
        .unwrap();
    assert_eq!(identity.common_name.as_deref(), Some("device-42"));
}

#[test]
fn a_get_message_parameter_decodes_whether_or_not_its_url_escaping_was_undone() {
    let ca = ca();
    let key = device();
    let csr = client::csr(key, "x", None).unwrap();
    let sent = client::pkcs_req(
        key,
        &csr,
        &ca.certificate_der(),
        ContentCipher::Aes128Cbc,
        DigestAlg::Sha256,
        "get-1",
    )
    .unwrap();
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &sent.der);
    let wrapped: String = b64
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n");
    let escaped = b64
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let form_decoded = b64.replace('+', " ");
    for param in [b64.as_str(), &wrapped, &escaped, &form_decoded] {
        assert_eq!(mdm_pki::decode_get_message(param).unwrap(), sent.der);
    }
    assert!(matches!(
        mdm_pki::decode_get_message("%zz"),
        Err(mdm_pki::PkiError::Malformed(_))
    ));
    assert!(
        parse_request(
            &mdm_pki::decode_get_message(&escaped).unwrap(),
            ca,
            &policy()
        )
        .is_ok()
    );
}
