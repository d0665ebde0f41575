//! Fuzzes `mdm_pki::scep::parse_request` (the DER a SCEP client POSTs as a PKIOperation) and
//! `decode_get_message` (the GET form's `message=` parameter), against the fuzzing CA of
//! `keys/pki-ca.pem`. Beyond no panic: the input is parsed under a lenient policy and (every
//! refused input, one accepted input in 8) a modern-only one, and the two agree except where
//! modern-only refuses an algorithm (which the lenient policy never does, and which modern-only
//! never accepts); anything accepted carries one of the transactionIDs the seeds signed (no other
//! signed attributes exist, so anything else would mean a signature was not checked), is a PKCSReq
//! or RenewalReq with a key of at least the policy's size; text input is also decoded as a GET
//! parameter and what it yields parsed the same way, and any input's base64 (standard, URL-safe,
//! percent-escaped) decodes back to it; every refusal renders. Seeds: PKCSReqs with every cipher
//! and digest, a RenewalReq, a GetCertInitial, a 512-bit key and the GET form of one, written with
//! `mdm_pki::client` by `cd fuzz && cargo run --release --example seeds` (which keeps the CA).
#![no_main]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use libfuzzer_sys::fuzz_target;
use mdm_fuzz::pki_seeds::SCEP_TRANSACTIONS;
use mdm_pki::{
    CertificateAuthority, MessageType, PkiError, PkiRequest, ScepPolicy, decode_get_message,
    parse_request,
};

fn ca() -> &'static CertificateAuthority {
    static CA: OnceLock<CertificateAuthority> = OnceLock::new();
    CA.get_or_init(|| {
        CertificateAuthority::from_pem(include_str!("../keys/pki-ca.pem"))
            .expect("the fuzzing CA in keys/pki-ca.pem")
    })
}

const LENIENT: ScepPolicy = ScepPolicy {
    modern_only: false,
    min_key_bits: 1024,
};
const MODERN: ScepPolicy = ScepPolicy {
    modern_only: true,
    min_key_bits: 1024,
};

fn check_accepted(req: &PkiRequest, policy: &ScepPolicy) {
    assert!(
        SCEP_TRANSACTIONS.contains(&req.transaction_id.as_str()),
        "accepted a message nobody signed: transactionID {:?}",
        req.transaction_id
    );
    assert!(matches!(
        req.message_type,
        MessageType::PkcsReq | MessageType::RenewalReq
    ));
    assert!(req.key_bits >= policy.min_key_bits);
    if policy.modern_only {
        assert!(req.cipher.is_modern() && req.digest.is_modern());
    }
    req.requester_certificate_der()
        .expect("an accepted requester certificate re-encodes");
}

/// What two parses must agree on (PkiRequest has no PartialEq).
fn summary(req: &PkiRequest) -> impl PartialEq + std::fmt::Debug {
    (
        req.message_type,
        req.transaction_id.clone(),
        req.sender_nonce.clone(),
        req.csr_der.clone(),
        req.challenge.clone(),
        req.key_bits,
        req.digest,
        req.cipher,
        req.requester_certificate.clone(),
    )
}

/// One accepted input in this many is parsed under both policies: an accepted request costs
/// an RSA decryption per parse, which would otherwise halve the runs.
const BOTH_POLICIES_EVERY: u32 = 8;
static ACCEPTED: AtomicU32 = AtomicU32::new(0);

fn check(der: &[u8]) {
    let lenient = parse_request(der, ca(), &LENIENT);
    match &lenient {
        Ok(req) => check_accepted(req, &LENIENT),
        Err(e) => {
            assert!(!matches!(e, PkiError::AlgorithmNotAllowed(_)));
            let _ = e.to_string();
        }
    }
    if lenient.is_ok() && ACCEPTED.fetch_add(1, Ordering::Relaxed) % BOTH_POLICIES_EVERY != 0 {
        return;
    }
    let modern = parse_request(der, ca(), &MODERN);
    if let Ok(req) = &modern {
        check_accepted(req, &MODERN);
    }
    match (&modern, &lenient) {
        // Only the modern policy refuses algorithms; the lenient one may accept or refuse.
        (Err(PkiError::AlgorithmNotAllowed(_)), _) => {}
        (Ok(m), Ok(l)) => assert_eq!(summary(m), summary(l)),
        (Err(m), Err(l)) => assert_eq!(m, l),
        (m, l) => panic!(
            "the policies disagree beyond algorithms: modern {:?}, lenient {:?}",
            m.as_ref().map(summary),
            l.as_ref().map(summary)
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);

    if let Ok(text) = std::str::from_utf8(data) {
        match decode_get_message(text) {
            Ok(der) => check(&der),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }

    if !data.is_empty() {
        // The GET parameter as clients send it: base64, URL-safe base64, percent-escaped
        // base64 (and, where a form decoder turned `+` into a space, with spaces).
        let standard = STANDARD.encode(data);
        let escaped = standard
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let spaced = standard.replace('+', " ");
        for param in [standard.as_str(), &URL_SAFE.encode(data), &escaped, &spaced] {
            assert_eq!(
                decode_get_message(param).as_deref(),
                Ok(data),
                "base64 {param:?} does not decode back"
            );
        }
    }
});
