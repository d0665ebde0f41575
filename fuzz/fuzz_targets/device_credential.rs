//! Fuzzes the two bearer strings devices and admins hand us, `d1.` device credentials and
//! `e1.` enrollment secrets: what parses re-encodes to exactly the input, never parses as the
//! other kind, hashes to 64 hex digits, and has a Debug output that does not depend on its secret.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::Error;
use mdm_core::domain::{DeviceCredential, EnrollmentSecret};

/// A secret of the accepted shape that differs from any secret in the input.
fn other_secret(input: &str) -> String {
    let secret = input.rsplit('.').next().unwrap_or_default();
    if secret == "0123456789abcdef" {
        "fedcba9876543210".into()
    } else {
        "0123456789abcdef".into()
    }
}

fn assert_hash(hash: &str) {
    assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let device = DeviceCredential::parse(input);
    let enrollment = EnrollmentSecret::parse(input);
    match &device {
        Ok(c) => {
            assert_eq!(c.encode(), input);
            assert_eq!(DeviceCredential::parse(&c.encode()).as_ref(), Ok(c));
            assert_hash(&c.secret_hash());
            let twin =
                DeviceCredential::new(c.tenant.clone(), c.device.clone(), other_secret(input));
            assert_eq!(
                format!("{c:?}"),
                format!("{twin:?}"),
                "Debug shows the secret"
            );
        }
        Err(e) => assert_eq!(e, &Error::DeviceCredentialInvalid),
    }
    match &enrollment {
        Ok(s) => {
            assert_eq!(s.encode(), input);
            assert_eq!(EnrollmentSecret::parse(&s.encode()).as_ref(), Ok(s));
            assert_hash(&s.secret_hash());
            let twin =
                EnrollmentSecret::new(s.tenant.clone(), s.token.clone(), other_secret(input));
            assert_eq!(
                format!("{s:?}"),
                format!("{twin:?}"),
                "Debug shows the secret"
            );
        }
        Err(e) => assert_eq!(e, &Error::EnrollmentTokenInvalid),
    }
    assert!(
        device.is_err() || enrollment.is_err(),
        "{input:?} is both kinds"
    );
});
