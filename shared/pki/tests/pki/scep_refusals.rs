//! Requests the server must refuse, each with the error a clear 4xx answer is made from, and
//! byte strings that must be refused without a panic.

use crate::common::{
    DAY, NOW, ca, device, device_512, device_1024, modern, other_ca, other_device, policy,
};
use mdm_pki::client::{self, CertRepOutcome, RequestOptions};
use mdm_pki::{
    ContentCipher, DigestAlg, FailInfo, MessageType, PkiError, ScepPolicy, ca_caps,
    failure_response, parse_request,
};

fn request(cipher: ContentCipher, digest: DigestAlg) -> Vec<u8> {
    let csr = client::csr(device(), "x", Some("pw")).unwrap();
    client::pkcs_req(
        device(),
        &csr,
        &ca().certificate_der(),
        cipher,
        digest,
        "t-1",
    )
    .unwrap()
    .der
}

#[test]
fn modern_only_refuses_des_3des_and_sha1_as_algorithm_not_allowed() {
    for (cipher, digest) in [
        (ContentCipher::DesCbc, DigestAlg::Sha256),
        (ContentCipher::DesEde3Cbc, DigestAlg::Sha256),
        (ContentCipher::Aes128Cbc, DigestAlg::Sha1),
    ] {
        let refused = parse_request(&request(cipher, digest), ca(), &modern());
        assert!(
            matches!(refused, Err(PkiError::AlgorithmNotAllowed(_))),
            "{cipher:?} {digest:?}: {refused:?}"
        );
    }
    let accepted = parse_request(
        &request(ContentCipher::Aes256Cbc, DigestAlg::Sha256),
        ca(),
        &modern(),
    );
    assert!(accepted.is_ok(), "{accepted:?}");
}

#[test]
fn ca_caps_advertises_legacy_algorithms_only_without_modern_only() {
    let legacy = ca_caps(&policy());
    let legacy: Vec<&str> = legacy.lines().collect();
    for cap in [
        "AES",
        "DES3",
        "POSTPKIOperation",
        "SCEPStandard",
        "SHA-1",
        "SHA-256",
    ] {
        assert!(legacy.contains(&cap), "{cap} missing from {legacy:?}");
    }
    let strict = ca_caps(&modern());
    assert_eq!(
        strict.lines().collect::<Vec<_>>(),
        ["AES", "POSTPKIOperation", "SCEPStandard", "SHA-256"]
    );
}

#[test]
fn a_1024_bit_csr_is_accepted_at_the_default_minimum_and_a_512_bit_one_is_a_weak_key() {
    for (key, expected) in [(device_1024(), Ok(1024)), (device_512(), Err(512))] {
        let csr = client::csr(key, "x", None).unwrap();
        let sent = client::pkcs_req(
            key,
            &csr,
            &ca().certificate_der(),
            ContentCipher::Aes128Cbc,
            DigestAlg::Sha256,
            "t-keys",
        )
        .unwrap();
        let parsed = parse_request(&sent.der, ca(), &ScepPolicy::default());
        match expected {
            Ok(bits) => assert_eq!(parsed.unwrap().key_bits, bits),
            Err(bits) => assert_eq!(parsed.unwrap_err(), PkiError::WeakKey { bits }),
        }
    }
    let stricter = ScepPolicy {
        min_key_bits: 2048,
        ..ScepPolicy::default()
    };
    let csr = client::csr(device_1024(), "x", None).unwrap();
    let sent = client::pkcs_req(
        device_1024(),
        &csr,
        &ca().certificate_der(),
        ContentCipher::Aes128Cbc,
        DigestAlg::Sha256,
        "t-keys",
    )
    .unwrap();
    assert_eq!(
        parse_request(&sent.der, ca(), &stricter).unwrap_err(),
        PkiError::WeakKey { bits: 1024 }
    );
}

#[test]
fn a_csr_without_a_challenge_password_gives_no_challenge() {
    let csr = client::csr(device(), "x", None).unwrap();
    let sent = client::pkcs_req(
        device(),
        &csr,
        &ca().certificate_der(),
        ContentCipher::Aes128Cbc,
        DigestAlg::Sha256,
        "t-2",
    )
    .unwrap();
    assert_eq!(
        parse_request(&sent.der, ca(), &policy()).unwrap().challenge,
        None
    );
}

#[test]
fn a_csr_signed_with_sha1_is_accepted_even_under_modern_only() {
    let csr = client::csr_with_digest(device(), "x", Some("pw"), DigestAlg::Sha1).unwrap();
    let sent = client::pkcs_req(
        device(),
        &csr,
        &ca().certificate_der(),
        ContentCipher::Aes128Cbc,
        DigestAlg::Sha256,
        "t-3",
    )
    .unwrap();
    let req = parse_request(&sent.der, ca(), &modern()).unwrap();
    assert_eq!(req.challenge.as_deref(), Some("pw"));
}

#[test]
fn a_csr_whose_self_signature_does_not_verify_is_a_bad_csr() {
    let mut csr = client::csr(device(), "x", Some("pw")).unwrap();
    // The signature BIT STRING ends the CSR.
    let last = csr.len() - 1;
    csr[last] ^= 0x01;
    let sent = client::pkcs_req(
        device(),
        &csr,
        &ca().certificate_der(),
        ContentCipher::Aes128Cbc,
        DigestAlg::Sha256,
        "t-4",
    )
    .unwrap();
    assert!(matches!(
        parse_request(&sent.der, ca(), &policy()),
        Err(PkiError::BadCsr(_))
    ));
}

#[test]
fn a_message_signed_by_a_key_other_than_the_carried_certificates_is_a_bad_signature() {
    let csr = client::csr(device(), "x", None).unwrap();
    let options = RequestOptions {
        message_type: MessageType::PkcsReq,
        cipher: ContentCipher::Aes128Cbc,
        digest: DigestAlg::Sha256,
        transaction_id: "t-5",
    };
    let sent = client::pki_message(
        device(),
        &other_device().certificate_der(),
        &csr,
        &ca().certificate_der(),
        &options,
    )
    .unwrap();
    assert_eq!(
        parse_request(&sent.der, ca(), &policy()).unwrap_err(),
        PkiError::BadSignature
    );
}

#[test]
fn a_message_encrypted_to_another_ca_cannot_be_decrypted() {
    let csr = client::csr(device(), "x", None).unwrap();
    let sent = client::pkcs_req(
        device(),
        &csr,
        &other_ca().certificate_der(),
        ContentCipher::Aes128Cbc,
        DigestAlg::Sha256,
        "t-6",
    )
    .unwrap();
    assert_eq!(
        parse_request(&sent.der, ca(), &policy()).unwrap_err(),
        PkiError::DecryptFailed
    );
}

#[test]
fn garbage_and_every_truncation_of_a_valid_message_are_malformed_without_a_panic() {
    for garbage in [
        &b""[..],
        b"\x30",
        b"\x30\x80\x00\x00",
        b"not der at all",
        &[0xff; 64],
    ] {
        assert!(matches!(
            parse_request(garbage, ca(), &policy()),
            Err(PkiError::Malformed(_))
        ));
    }
    let valid = request(ContentCipher::Aes128Cbc, DigestAlg::Sha256);
    for len in 0..valid.len() {
        assert!(
            matches!(
                parse_request(&valid[..len], ca(), &policy()),
                Err(PkiError::Malformed(_))
            ),
            "truncated to {len}"
        );
    }
}

#[test]
fn flipping_any_byte_of_a_valid_message_gives_an_answer_not_a_panic() {
    let valid = request(ContentCipher::DesEde3Cbc, DigestAlg::Sha1);
    for at in (0..valid.len()).step_by(3) {
        let mut changed = valid.clone();
        changed[at] ^= 0x5a;
        // Whatever the answer, it must come back; a flip in the signature must not verify.
        let _ = parse_request(&changed, ca(), &policy());
    }
}

#[test]
fn a_failure_response_is_read_by_the_client_as_failed_bad_request() {
    let csr = client::csr(device(), "x", None).unwrap();
    let sent = client::pkcs_req(
        device(),
        &csr,
        &ca().certificate_der(),
        ContentCipher::Aes128Cbc,
        DigestAlg::Sha256,
        "t-7",
    )
    .unwrap();
    let req = parse_request(&sent.der, ca(), &policy()).unwrap();
    let response = failure_response(ca(), &req, FailInfo::BadRequest).unwrap();
    let outcome = client::read_cert_rep(
        device(),
        &response,
        &ca().certificate_der(),
        "t-7",
        &sent.sender_nonce,
    )
    .unwrap();
    assert_eq!(outcome, CertRepOutcome::Failed(FailInfo::BadRequest));
}

#[test]
fn a_response_to_another_transaction_or_nonce_is_a_mismatch() {
    let csr = client::csr(device(), "x", None).unwrap();
    let sent = client::pkcs_req(
        device(),
        &csr,
        &ca().certificate_der(),
        ContentCipher::Aes128Cbc,
        DigestAlg::Sha256,
        "t-8",
    )
    .unwrap();
    let req = parse_request(&sent.der, ca(), &policy()).unwrap();
    let issued = ca().issue(&req.csr, "d", "o", NOW, NOW + DAY).unwrap();
    let response = mdm_pki::success_response(ca(), &req, &issued).unwrap();
    let read = |txn: &str, nonce: &[u8]| {
        client::read_cert_rep(device(), &response, &ca().certificate_der(), txn, nonce)
    };
    assert!(matches!(
        read("t-other", &sent.sender_nonce),
        Err(PkiError::Mismatch(_))
    ));
    assert!(matches!(
        read("t-8", &[0u8; 16]),
        Err(PkiError::Mismatch(_))
    ));
    assert!(matches!(
        client::read_cert_rep(
            device(),
            &response,
            &other_ca().certificate_der(),
            "t-8",
            &sent.sender_nonce
        ),
        Err(PkiError::Mismatch(_))
    ));
}

#[test]
fn fail_info_follows_the_reason_a_request_was_refused() {
    assert_eq!(
        FailInfo::for_error(&PkiError::AlgorithmNotAllowed("DES-CBC".into())),
        FailInfo::BadAlg
    );
    assert_eq!(
        FailInfo::for_error(&PkiError::BadSignature),
        FailInfo::BadMessageCheck
    );
    assert_eq!(
        FailInfo::for_error(&PkiError::WeakKey { bits: 512 }),
        FailInfo::BadRequest
    );
}
