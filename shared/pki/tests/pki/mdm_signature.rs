//! `Mdm-Signature` checks: a body signed by a device identity our CA issued verifies and
//! names the device; anything else is refused with its own error.

use crate::common;

use crate::common::{DAY, NOW, ca, device, issue, other_ca};
use mdm_pki::client::sign_body;
use mdm_pki::{DigestAlg, PkiError, verify_detached, verify_mdm_signature};
use sha2::{Digest, Sha256};

const BODY: &[u8] = b"<?xml version=\"1.0\"?><plist><dict><key>MessageType</key><string>TokenUpdate</string></dict></plist>";

fn identity_certificate() -> Vec<u8> {
    issue(ca(), device(), "device-7", NOW - DAY, NOW + 30 * DAY)
}

#[test]
fn a_body_signed_by_an_issued_certificate_verifies_with_sha1_and_sha256() {
    let cert = identity_certificate();
    for digest in [DigestAlg::Sha1, DigestAlg::Sha256, DigestAlg::Sha512] {
        let header = sign_body(device(), &cert, BODY, digest).unwrap();
        let identity = verify_mdm_signature(&header, BODY, &ca().verifier(), NOW).unwrap();
        assert_eq!(identity.common_name.as_deref(), Some("device-7"));
        assert_eq!(identity.organization.as_deref(), Some("Tenant Org"));
        assert_eq!(
            identity.fingerprint,
            <[u8; 32]>::from(Sha256::digest(&cert))
        );
        assert_eq!(identity.certificate_der, cert);
        assert_eq!(identity.not_after, NOW + 30 * DAY);
    }
}

#[test]
fn the_header_may_be_wrapped_across_lines() {
    let cert = identity_certificate();
    let header = sign_body(device(), &cert, BODY, DigestAlg::Sha256).unwrap();
    let wrapped: String = header
        .as_bytes()
        .chunks(76)
        .map(|line| format!(" {}\r\n", std::str::from_utf8(line).unwrap()))
        .collect();
    assert!(verify_mdm_signature(&wrapped, BODY, &ca().verifier(), NOW).is_ok());
}

#[test]
fn a_changed_body_is_a_bad_signature() {
    let header = sign_body(device(), &identity_certificate(), BODY, DigestAlg::Sha256).unwrap();
    let mut changed = BODY.to_vec();
    changed[10] ^= 1;
    assert_eq!(
        verify_mdm_signature(&header, &changed, &ca().verifier(), NOW).unwrap_err(),
        PkiError::BadSignature
    );
}

#[test]
fn a_certificate_of_another_ca_is_not_issued_by_this_ca() {
    let foreign = issue(other_ca(), device(), "device-7", NOW - DAY, NOW + DAY);
    let header = sign_body(device(), &foreign, BODY, DigestAlg::Sha256).unwrap();
    assert_eq!(
        verify_mdm_signature(&header, BODY, &ca().verifier(), NOW).unwrap_err(),
        PkiError::NotIssuedByCa
    );
}

#[test]
fn a_self_signed_certificate_is_not_issued_by_this_ca() {
    let header = sign_body(
        device(),
        &device().certificate_der(),
        BODY,
        DigestAlg::Sha256,
    )
    .unwrap();
    assert_eq!(
        verify_mdm_signature(&header, BODY, &ca().verifier(), NOW).unwrap_err(),
        PkiError::NotIssuedByCa
    );
}

#[test]
fn a_certificate_past_its_not_after_is_expired_and_one_before_its_not_before_is_not_yet_valid() {
    let cert = identity_certificate();
    let header = sign_body(device(), &cert, BODY, DigestAlg::Sha256).unwrap();
    assert_eq!(
        verify_mdm_signature(&header, BODY, &ca().verifier(), NOW + 31 * DAY).unwrap_err(),
        PkiError::Expired
    );
    assert_eq!(
        verify_mdm_signature(&header, BODY, &ca().verifier(), NOW - 2 * DAY).unwrap_err(),
        PkiError::NotYetValid
    );
}

#[test]
fn bad_base64_is_malformed() {
    for header in ["", "!!!not base64!!!", "QUJD$"] {
        assert!(matches!(
            verify_mdm_signature(header, BODY, &ca().verifier(), NOW),
            Err(PkiError::Malformed(_))
        ));
    }
}

#[test]
fn every_truncation_of_a_signature_is_refused_without_a_panic() {
    use base64::Engine;
    let header = sign_body(device(), &identity_certificate(), BODY, DigestAlg::Sha256).unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(header)
        .unwrap();
    for len in 0..der.len() {
        assert!(verify_detached(&der[..len], BODY, &ca().verifier(), NOW).is_err());
    }
    for at in (0..der.len()).step_by(5) {
        let mut changed = der.clone();
        changed[at] ^= 0x21;
        let _ = verify_detached(&changed, BODY, &ca().verifier(), NOW);
    }
}

/// Found by fuzzing: the outer signatureAlgorithm is not covered by the issuer's signature, so a
/// certificate re-encoded with other parameters there must be refused, or one identity would
/// have many fingerprints.
#[test]
fn a_certificate_whose_outer_algorithm_differs_from_the_signed_one_is_refused() {
    use mdm_pki::x509_cert::Certificate;
    use mdm_pki::x509_cert::der::{Decode, Encode};
    let issued = common::issue(
        common::ca(),
        common::device(),
        "DEVICE1",
        common::NOW - common::DAY,
        common::NOW + common::DAY,
    );
    let verifier = common::ca().verifier();
    assert!(verifier.verify_certificate(&issued, common::NOW).is_ok());
    let mut cert = Certificate::from_der(&issued).expect("a certificate");
    // sha256WithRSAEncryption with absent parameters instead of NULL: the same algorithm in
    // another encoding.
    cert.signature_algorithm.parameters = None;
    let reencoded = cert.to_der().expect("DER");
    assert_ne!(reencoded, issued);
    let err = verifier
        .verify_certificate(&reencoded, common::NOW)
        .unwrap_err();
    assert!(err.to_string().contains("signatureAlgorithm"), "{err}");
}
