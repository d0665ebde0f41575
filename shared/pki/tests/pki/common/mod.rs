//! Keys and CAs shared by the tests of one binary: RSA key generation is the slow part, so
//! each is made once.

use std::sync::OnceLock;

use mdm_pki::client::DeviceKey;
use mdm_pki::x509_cert::request::CertReq;
use mdm_pki::{CertificateAuthority, ScepPolicy};

/// 2025-10-09T…Z: every test runs at this instant.
pub const NOW: i64 = 1_760_000_000;
pub const DAY: i64 = 86_400;

pub fn ca() -> &'static CertificateAuthority {
    static CA: OnceLock<CertificateAuthority> = OnceLock::new();
    CA.get_or_init(|| {
        CertificateAuthority::generate("Tenant Root CA", "Tenant Org", NOW - DAY, 3650).unwrap()
    })
}

pub fn other_ca() -> &'static CertificateAuthority {
    static CA: OnceLock<CertificateAuthority> = OnceLock::new();
    CA.get_or_init(|| {
        CertificateAuthority::generate("Another CA", "Another Org", NOW - DAY, 3650).unwrap()
    })
}

pub fn device() -> &'static DeviceKey {
    static KEY: OnceLock<DeviceKey> = OnceLock::new();
    KEY.get_or_init(|| DeviceKey::generate(2048, "csr-asked-name").unwrap())
}

pub fn other_device() -> &'static DeviceKey {
    static KEY: OnceLock<DeviceKey> = OnceLock::new();
    KEY.get_or_init(|| DeviceKey::generate(2048, "someone-else").unwrap())
}

pub fn device_1024() -> &'static DeviceKey {
    static KEY: OnceLock<DeviceKey> = OnceLock::new();
    KEY.get_or_init(|| DeviceKey::generate(1024, "small-key").unwrap())
}

pub fn device_512() -> &'static DeviceKey {
    static KEY: OnceLock<DeviceKey> = OnceLock::new();
    KEY.get_or_init(|| DeviceKey::generate(512, "tiny-key").unwrap())
}

pub fn policy() -> ScepPolicy {
    ScepPolicy::default()
}

pub fn modern() -> ScepPolicy {
    ScepPolicy {
        modern_only: true,
        ..ScepPolicy::default()
    }
}

/// A certificate for `key` issued directly by `ca` (no SCEP), valid `not_before..not_after`.
pub fn issue(
    ca: &CertificateAuthority,
    key: &DeviceKey,
    common_name: &str,
    not_before: i64,
    not_after: i64,
) -> Vec<u8> {
    use der::Decode;
    let csr_der = mdm_pki::client::csr(key, "ignored", None).unwrap();
    let csr = CertReq::from_der(&csr_der).unwrap();
    ca.issue(&csr, common_name, "Tenant Org", not_before, not_after)
        .unwrap()
}
