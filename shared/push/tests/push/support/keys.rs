//! Throwaway keys, made fresh per test run so no key material lives in the repository (the
//! throwaway certificate authority is `mdm_push::fake_apns::TestCa`).

use std::sync::OnceLock;

use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256};

/// A PEM private key (PKCS#8) and the PEM of its public half (SPKI).
#[derive(Clone)]
pub struct KeyPem {
    pub private: String,
    pub public: String,
}

/// The RSA key of a service account. Generating one takes long enough to share it across the
/// tests of a binary.
pub fn rsa_key() -> KeyPem {
    static KEY: OnceLock<KeyPem> = OnceLock::new();
    KEY.get_or_init(|| pem_of(&KeyPair::generate_for(&PKCS_RSA_SHA256).expect("rsa key")))
        .clone()
}

/// The P-256 key of an Apple `.p8` file.
pub fn p256_key() -> KeyPem {
    pem_of(&KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("p256 key"))
}

fn pem_of(key: &KeyPair) -> KeyPem {
    KeyPem {
        private: key.serialize_pem(),
        public: key.public_key_pem(),
    }
}
