//! Fuzzes the check of Apple's `Mdm-Signature`: `mdm_pki::verify_detached` (CMS DER) and
//! `verify_mdm_signature` (the base64 header), against the fuzzing CA of `keys/pki-ca.pem` at a
//! fixed instant. An input is a mode byte (bit 0: the signature is header text), the signature's
//! length (big-endian u16), the signature, then the body (`pki_seeds::split`). Beyond no panic:
//! nothing verifies unless it is the seeds' body signed by the seeds' identity
//! (`keys/mdm-signature-identity.der`, whose key was thrown away), and then the identity is exactly
//! that certificate's; a verified DER signature verifies the same as a wrapped base64 header, and
//! is refused as Expired just past the certificate's notAfter; every refusal renders. Seeds:
//! SHA-1/256/512 signatures, a wrapped header, a self-signed signer, another CA's identity and an
//! expired one, written with `mdm_pki::client::sign_body` by `cd fuzz && cargo run --release
//! --example seeds` (which keeps the CA).
#![no_main]

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use mdm_fuzz::pki_seeds::{NOW, SIGNED_BODY, split};
use mdm_pki::{
    CaVerifier, CertificateAuthority, Identity, PkiError, verify_detached, verify_mdm_signature,
};

struct Fixture {
    verifier: CaVerifier,
    /// The only identity anything may verify as.
    signed: Identity,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let verifier = CertificateAuthority::from_pem(include_str!("../keys/pki-ca.pem"))
            .expect("the fuzzing CA in keys/pki-ca.pem")
            .verifier();
        let signed = verifier
            .verify_certificate(include_bytes!("../keys/mdm-signature-identity.der"), NOW)
            .expect("the seeds' identity chains to the fuzzing CA and is valid at NOW");
        Fixture { verifier, signed }
    })
}

fn check_verified(result: &Result<Identity, PkiError>, body: &[u8]) {
    match result {
        Ok(identity) => {
            assert_eq!(body, SIGNED_BODY, "a body nobody signed verified");
            assert_eq!(identity, &fixture().signed, "verified as another identity");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((text, signature, body)) = split(data) else {
        return;
    };
    let f = fixture();
    if text {
        let header = String::from_utf8_lossy(signature);
        check_verified(&verify_mdm_signature(&header, body, &f.verifier, NOW), body);
        return;
    }
    let result = verify_detached(signature, body, &f.verifier, NOW);
    check_verified(&result, body);
    if let Ok(identity) = &result {
        let wrapped: String = STANDARD
            .encode(signature)
            .as_bytes()
            .chunks(76)
            .map(|line| format!("{}\r\n", String::from_utf8_lossy(line)))
            .collect();
        assert_eq!(
            verify_mdm_signature(&wrapped, body, &f.verifier, NOW).as_ref(),
            Ok(identity)
        );
        assert_eq!(
            verify_detached(signature, body, &f.verifier, identity.not_after + 1),
            Err(PkiError::Expired)
        );
    }
});
