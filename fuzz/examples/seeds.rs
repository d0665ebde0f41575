//! Writes the seeds that are generated rather than copied: the binary-plist seeds of
//! `apple_checkin` and `apple_response` (converted from the XML seeds beside them) and the
//! signed seeds of `scep_request` and `mdm_signature`, made with `mdm_pki::client` against the
//! fuzzing CA in `keys/pki-ca.pem` (created on the first run, then reused so that regenerating
//! the seeds does not invalidate the others).
//!
//!     cd fuzz && cargo run --release --example seeds            # rewrite the seeds
//!     cd fuzz && cargo run --release --example seeds -- --new-ca  # a new CA as well
//!
//! Device keys are fresh on every run, so every run changes the signed seeds and
//! `keys/mdm-signature-identity.der`; their private keys are never written anywhere.

use std::fs;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mdm_fuzz::pki_seeds::{
    CA_PEM_PATH, DAY, NOW, SCEP_TRANSACTIONS, SIGNED_BODY, SIGNED_IDENTITY_PATH, join,
};
use mdm_pki::client::{self, DeviceKey, RequestOptions};
use mdm_pki::x509_cert::der::Decode;
use mdm_pki::x509_cert::request::CertReq;
use mdm_pki::{CertificateAuthority, ContentCipher, DigestAlg, MessageType};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn write(path: &str, bytes: &[u8]) -> Result<()> {
    assert!(bytes.len() < 16 * 1024, "{path}: seeds stay under 16 KiB");
    if let Some(dir) = Path::new(path).parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, bytes)?;
    println!("{path} ({} bytes)", bytes.len());
    Ok(())
}

/// The CA of keys/pki-ca.pem, made (and written) when absent or when `fresh`.
fn fuzzing_ca(fresh: bool) -> Result<CertificateAuthority> {
    if !fresh && Path::new(CA_PEM_PATH).exists() {
        return Ok(CertificateAuthority::from_pem(&fs::read_to_string(
            CA_PEM_PATH,
        )?)?);
    }
    let ca =
        CertificateAuthority::generate("Fuzzing CA (test only)", "mdm-fuzz", NOW - DAY, 36_500)?;
    write(CA_PEM_PATH, ca.to_pem().as_bytes())?;
    Ok(ca)
}

/// An XML seed re-encoded as a binary plist.
fn binary_plist(xml_path: &str, out: &str) -> Result<()> {
    let value = plist::Value::from_reader_xml(fs::File::open(xml_path)?)?;
    let mut binary = Vec::new();
    value.to_writer_binary(&mut binary)?;
    write(out, &binary)
}

fn issue(
    ca: &CertificateAuthority,
    key: &DeviceKey,
    cn: &str,
    from: i64,
    to: i64,
) -> Result<Vec<u8>> {
    let csr = CertReq::from_der(&client::csr(key, "ignored", None)?)?;
    Ok(ca.issue(&csr, cn, "mdm-fuzz", from, to)?)
}

fn scep_seeds(ca: &CertificateAuthority) -> Result<()> {
    let ca_der = ca.certificate_der();
    let key = DeviceKey::generate(2048, "fuzz-scep-device")?;
    let csr = client::csr(&key, "fuzz-scep-device", Some("fuzz-challenge"))?;
    let csr_sha1 = client::csr_with_digest(
        &key,
        "fuzz-scep-device",
        Some("fuzz-challenge"),
        DigestAlg::Sha1,
    )?;
    let csr_plain = client::csr(&key, "fuzz-scep-device", None)?;
    let weak = DeviceKey::generate(512, "fuzz-weak-device")?;
    let weak_csr = client::csr(&weak, "fuzz-weak-device", Some("fuzz-challenge"))?;
    let renewed = issue(ca, &key, "fuzz-scep-device", NOW - DAY, NOW + 365 * DAY)?;

    let self_signed = key.certificate_der();
    let cases: [(
        &str,
        &DeviceKey,
        &[u8],
        &[u8],
        MessageType,
        ContentCipher,
        DigestAlg,
    ); 8] = [
        (
            "fuzz-pkcsreq-aes128-sha256",
            &key,
            &self_signed,
            &csr,
            MessageType::PkcsReq,
            ContentCipher::Aes128Cbc,
            DigestAlg::Sha256,
        ),
        (
            "fuzz-pkcsreq-aes256-sha512",
            &key,
            &self_signed,
            &csr,
            MessageType::PkcsReq,
            ContentCipher::Aes256Cbc,
            DigestAlg::Sha512,
        ),
        (
            "fuzz-pkcsreq-aes192-sha256-nochallenge",
            &key,
            &self_signed,
            &csr_plain,
            MessageType::PkcsReq,
            ContentCipher::Aes192Cbc,
            DigestAlg::Sha256,
        ),
        (
            "fuzz-pkcsreq-des3-sha1",
            &key,
            &self_signed,
            &csr_sha1,
            MessageType::PkcsReq,
            ContentCipher::DesEde3Cbc,
            DigestAlg::Sha1,
        ),
        (
            "fuzz-pkcsreq-des-sha256",
            &key,
            &self_signed,
            &csr,
            MessageType::PkcsReq,
            ContentCipher::DesCbc,
            DigestAlg::Sha256,
        ),
        (
            "fuzz-pkcsreq-weak-key",
            &weak,
            &weak.certificate_der(),
            &weak_csr,
            MessageType::PkcsReq,
            ContentCipher::Aes128Cbc,
            DigestAlg::Sha256,
        ),
        (
            "fuzz-renewalreq-aes128-sha256",
            &key,
            &renewed,
            &csr,
            MessageType::RenewalReq,
            ContentCipher::Aes128Cbc,
            DigestAlg::Sha256,
        ),
        (
            "fuzz-getcertinitial",
            &key,
            &self_signed,
            &csr,
            MessageType::GetCertInitial,
            ContentCipher::Aes128Cbc,
            DigestAlg::Sha256,
        ),
    ];
    assert_eq!(cases.len(), SCEP_TRANSACTIONS.len());
    for (transaction_id, key, signer, csr, message_type, cipher, digest) in cases {
        assert!(SCEP_TRANSACTIONS.contains(&transaction_id));
        let options = RequestOptions {
            message_type,
            cipher,
            digest,
            transaction_id,
        };
        let message = client::pki_message(key, signer, csr, &ca_der, &options)?;
        let name = transaction_id.trim_start_matches("fuzz-");
        write(&format!("corpus/scep_request/{name}"), &message.der)?;
        if transaction_id == "fuzz-pkcsreq-aes128-sha256" {
            // The GET form: the message= parameter, percent-escaped as a URL carries it.
            let escaped = STANDARD
                .encode(&message.der)
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D");
            write("corpus/scep_request/get-message-param", escaped.as_bytes())?;
        }
    }
    Ok(())
}

fn signature_seeds(ca: &CertificateAuthority) -> Result<()> {
    let key = DeviceKey::generate(2048, "fuzz-device")?;
    let identity = issue(ca, &key, "fuzz-device-1", NOW - DAY, NOW + 3650 * DAY)?;
    write(SIGNED_IDENTITY_PATH, &identity)?;
    let der = |cert: &[u8], body: &[u8], digest| -> Result<Vec<u8>> {
        Ok(STANDARD.decode(client::sign_body(&key, cert, body, digest)?)?)
    };
    let out = "corpus/mdm_signature";
    for (name, digest) in [
        ("sha1", DigestAlg::Sha1),
        ("sha256", DigestAlg::Sha256),
        ("sha512", DigestAlg::Sha512),
    ] {
        let seed = join(false, &der(&identity, SIGNED_BODY, digest)?, SIGNED_BODY);
        write(&format!("{out}/der-{name}"), &seed)?;
    }
    // The header as it arrives: base64, here wrapped across lines as some proxies do.
    let header = client::sign_body(&key, &identity, SIGNED_BODY, DigestAlg::Sha256)?;
    let wrapped: String = header
        .as_bytes()
        .chunks(64)
        .map(|line| format!("{}\r\n ", String::from_utf8_lossy(line)))
        .collect();
    write(
        &format!("{out}/header-sha256-wrapped"),
        &join(true, wrapped.as_bytes(), SIGNED_BODY),
    )?;
    // Refusals: a self-signed signer, an identity of another CA, an expired identity.
    let self_signed = der(&key.certificate_der(), SIGNED_BODY, DigestAlg::Sha256)?;
    write(
        &format!("{out}/der-self-signed"),
        &join(false, &self_signed, SIGNED_BODY),
    )?;
    let other_ca =
        CertificateAuthority::generate("Fuzzing CA (test only)", "mdm-fuzz", NOW - DAY, 36_500)?;
    let foreign = issue(
        &other_ca,
        &key,
        "fuzz-device-1",
        NOW - DAY,
        NOW + 3650 * DAY,
    )?;
    write(
        &format!("{out}/der-other-ca"),
        &join(
            false,
            &der(&foreign, SIGNED_BODY, DigestAlg::Sha256)?,
            SIGNED_BODY,
        ),
    )?;
    let expired = issue(ca, &key, "fuzz-device-1", NOW - 30 * DAY, NOW - DAY)?;
    write(
        &format!("{out}/der-expired"),
        &join(
            false,
            &der(&expired, SIGNED_BODY, DigestAlg::Sha256)?,
            SIGNED_BODY,
        ),
    )?;
    Ok(())
}

fn main() -> Result<()> {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR"))?;
    let fresh = std::env::args().any(|a| a == "--new-ca");
    let ca = fuzzing_ca(fresh)?;
    binary_plist(
        "corpus/apple_checkin/nanomdm-TokenUpdate.2.plist",
        "corpus/apple_checkin/binary-TokenUpdate.2",
    )?;
    binary_plist(
        "corpus/apple_response/nanomdm-DeviceInformation.1.plist",
        "corpus/apple_response/binary-DeviceInformation.1",
    )?;
    scep_seeds(&ca)?;
    signature_seeds(&ca)?;
    Ok(())
}
