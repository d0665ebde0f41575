//! Helpers shared by the fuzz targets: properties about error messages that every parser of
//! untrusted input must keep.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// The most distinct messages one target may produce over a whole run. Every refusal in
/// mdm-core is worded from a fixed set (field name + rule), so a set that keeps growing means
/// some message is built from the input (echoing it, or leaking its length or content).
pub const MAX_DISTINCT_MESSAGES: usize = 64;

/// The longest message a refusal may have: long enough for a field and its rule, too short to
/// carry a body back.
pub const MAX_MESSAGE_BYTES: usize = 160;

static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Records one refusal message and panics if it is too long or if the target has now produced
/// more distinct messages than a fixed vocabulary allows.
pub fn note_message(message: &str) {
    assert!(
        message.len() <= MAX_MESSAGE_BYTES,
        "a {}-byte refusal message: {message:.200}",
        message.len()
    );
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    seen.insert(message.to_owned());
    assert!(
        seen.len() <= MAX_DISTINCT_MESSAGES,
        "more than {MAX_DISTINCT_MESSAGES} distinct refusal messages, so one depends on the input: {seen:#?}"
    );
}

/// What the seeds of the `scep_request` and `mdm_signature` targets were made with, shared by
/// the targets and by the example that writes those seeds (`cargo run --release --example
/// seeds`, from `fuzz/`).
pub mod pki_seeds {
    /// The instant every PKI target checks at (2025-10-09), so that no seed ever expires.
    pub const NOW: i64 = 1_760_000_000;
    pub const DAY: i64 = 86_400;

    /// Where the seeds example keeps the fuzzing CA (certificate and PKCS#8 key, made once and
    /// reused so that the committed seeds stay valid: the envelopes are encrypted to it and the
    /// signing identity chains to it) and the identity certificate whose key signed the
    /// `mdm_signature` seeds (that key was thrown away). Test-only: the CA signs nothing
    /// outside this directory. The targets include both files.
    pub const CA_PEM_PATH: &str = "keys/pki-ca.pem";
    pub const SIGNED_IDENTITY_PATH: &str = "keys/mdm-signature-identity.der";

    /// The only body the identity's key ever signed.
    pub const SIGNED_BODY: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict><key>MessageType</key><string>TokenUpdate</string><key>UDID</key><string>FUZZ-0000-0001</string></dict></plist>\n";

    /// The transactionIDs of the signed SCEP seeds: nothing else can be accepted, since no
    /// other signed attributes were ever signed.
    pub const SCEP_TRANSACTIONS: &[&str] = &[
        "fuzz-pkcsreq-aes128-sha256",
        "fuzz-pkcsreq-aes256-sha512",
        "fuzz-pkcsreq-aes192-sha256-nochallenge",
        "fuzz-pkcsreq-des3-sha1",
        "fuzz-pkcsreq-des-sha256",
        "fuzz-pkcsreq-weak-key",
        "fuzz-renewalreq-aes128-sha256",
        "fuzz-getcertinitial",
    ];

    /// The layout of an `mdm_signature` input: a mode byte (bit 0: the signature is the
    /// base64 header text rather than CMS DER), the signature's length as a big-endian u16,
    /// the signature, then the body.
    pub fn split(data: &[u8]) -> Option<(bool, &[u8], &[u8])> {
        let (&mode, rest) = data.split_first()?;
        let (len, rest) = rest.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len)).min(rest.len());
        let (signature, body) = rest.split_at(len);
        Some((mode & 1 == 1, signature, body))
    }

    /// The inverse of [`split`].
    pub fn join(text: bool, signature: &[u8], body: &[u8]) -> Vec<u8> {
        let len = u16::try_from(signature.len()).expect("a signature under 64 KiB");
        let mut out = vec![u8::from(text)];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(signature);
        out.extend_from_slice(body);
        out
    }
}
