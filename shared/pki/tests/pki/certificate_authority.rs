//! The tenant CA: its certificate's shape, its PEM round trip, and chaining device
//! certificates to it.

use crate::common::{DAY, NOW, ca, device, issue, other_ca};
use der::Decode;
use mdm_pki::x509_cert::Certificate;
use mdm_pki::x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use mdm_pki::{CaVerifier, CertificateAuthority, DigestAlg, PkiError, verify_mdm_signature};

fn extension<T: for<'a> Decode<'a> + der::oid::AssociatedOid>(cert: &Certificate) -> T {
    let ext = cert
        .tbs_certificate
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == T::OID)
        .unwrap();
    T::from_der(ext.extn_value.as_bytes()).unwrap()
}

#[test]
fn the_ca_certificate_is_a_ca_that_may_also_be_encrypted_to() {
    let cert = Certificate::from_der(&ca().certificate_der()).unwrap();
    assert!(extension::<BasicConstraints>(&cert).ca);
    let usage = extension::<KeyUsage>(&cert).0;
    for wanted in [
        KeyUsages::KeyCertSign,
        KeyUsages::CRLSign,
        KeyUsages::DigitalSignature,
        KeyUsages::KeyEncipherment,
    ] {
        assert!(usage.contains(wanted), "{wanted:?}");
    }
    assert_eq!(cert.tbs_certificate.issuer, cert.tbs_certificate.subject);
}

#[test]
fn an_issued_certificate_is_a_client_auth_identity_with_the_servers_names() {
    let der = issue(ca(), device(), "device-9", NOW, NOW + DAY);
    let cert = Certificate::from_der(&der).unwrap();
    assert!(!extension::<BasicConstraints>(&cert).ca);
    assert_eq!(
        extension::<KeyUsage>(&cert).0,
        KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment
    );
    let identity = ca().verifier().verify_certificate(&der, NOW).unwrap();
    assert_eq!(identity.common_name.as_deref(), Some("device-9"));
    assert_eq!(identity.organization.as_deref(), Some("Tenant Org"));
}

#[test]
fn the_ca_survives_a_pem_round_trip_and_still_verifies_and_issues() {
    let pem = ca().to_pem();
    assert!(pem.contains("-----BEGIN CERTIFICATE-----"));
    assert!(pem.contains("-----BEGIN PRIVATE KEY-----"));
    let restored = CertificateAuthority::from_pem(&pem).unwrap();
    assert_eq!(restored.certificate_der(), ca().certificate_der());

    let before = issue(ca(), device(), "device-1", NOW, NOW + DAY);
    assert!(restored.verifier().verify_certificate(&before, NOW).is_ok());
    let after = issue(&restored, device(), "device-2", NOW, NOW + DAY);
    assert!(ca().verifier().verify_certificate(&after, NOW).is_ok());

    let header = mdm_pki::client::sign_body(device(), &after, b"body", DigestAlg::Sha1).unwrap();
    let from_der = CaVerifier::from_der(&ca().certificate_der()).unwrap();
    assert_eq!(from_der.certificate_der(), ca().certificate_der());
    assert!(verify_mdm_signature(&header, b"body", &from_der, NOW).is_ok());
}

#[test]
fn a_pem_whose_key_belongs_to_another_ca_or_that_is_garbage_is_malformed() {
    let ours = ca().to_pem();
    let theirs = other_ca().to_pem();
    let cert_end = ours.find("-----BEGIN PRIVATE KEY-----").unwrap();
    let key_start = theirs.find("-----BEGIN PRIVATE KEY-----").unwrap();
    let mixed = format!("{}{}", &ours[..cert_end], &theirs[key_start..]);
    for pem in [
        mixed.as_str(),
        "",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    ] {
        assert!(matches!(
            CertificateAuthority::from_pem(pem),
            Err(PkiError::Malformed(_))
        ));
    }
}

#[test]
fn the_ca_certificate_itself_is_not_a_device_identity() {
    assert_eq!(
        ca().verifier()
            .verify_certificate(&ca().certificate_der(), NOW)
            .unwrap_err(),
        PkiError::NotIssuedByCa
    );
}

#[test]
fn garbage_given_as_a_certificate_is_malformed() {
    assert!(matches!(
        ca().verifier()
            .verify_certificate(b"\x30\x03\x02\x01\x01", NOW),
        Err(PkiError::Malformed(_))
    ));
    assert!(matches!(
        CaVerifier::from_der(b""),
        Err(PkiError::Malformed(_))
    ));
}
