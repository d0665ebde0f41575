//! Throwaway keys and a throwaway certificate authority, made fresh per test run so no key
//! material lives in the repository.

use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256,
};

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

pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
}

/// A certificate and its key, as PEM and the certificate as DER.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("ca key");
        let cert = params.self_signed(&key).expect("ca cert");
        Self {
            issuer: Issuer::new(params, key),
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
        }
    }

    /// The server certificate for 127.0.0.1.
    pub fn server_cert(&self) -> Issued {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("server params");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params)
    }

    /// A client certificate, as Apple issues an MDM push certificate (its subject UID is the
    /// topic).
    pub fn client_cert(&self, topic: &str) -> Issued {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        params.distinguished_name.push(DnType::CommonName, topic);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(params)
    }

    fn issue(&self, params: CertificateParams) -> Issued {
        let key = KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &self.issuer).expect("leaf cert");
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().to_vec(),
        }
    }
}
