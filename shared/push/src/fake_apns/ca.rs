//! A throwaway certificate authority for the fake APNs, made fresh per test run so no key
//! material lives in the repository: the server certificate a client must trust, and MDM push
//! certificates shaped like Apple's (the topic in the subject's UID).

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The subject attribute Apple puts an MDM push certificate's topic in (userId, RFC 4519).
const UID_OID: [u64; 7] = [0, 9, 2342, 19200300, 100, 1, 1];

pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
}

/// A certificate and its key, as PEM, and the certificate as DER.
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

    /// A client certificate as Apple issues an MDM push certificate: the topic is the
    /// subject's UID (and, for a human reader, its common name). Valid for rcgen's default
    /// span (decades).
    pub fn client_cert(&self, topic: &str) -> Issued {
        self.issue(Self::push_params(topic))
    }

    /// The same, valid from and until the given Unix times (seconds): for tests of what
    /// happens as a push certificate nears its expiry.
    pub fn push_certificate(&self, topic: &str, valid_from: i64, valid_until: i64) -> Issued {
        let mut params = Self::push_params(topic);
        params.not_before =
            time::OffsetDateTime::from_unix_timestamp(valid_from).expect("valid_from in range");
        params.not_after =
            time::OffsetDateTime::from_unix_timestamp(valid_until).expect("valid_until in range");
        self.issue(params)
    }

    fn push_params(topic: &str) -> CertificateParams {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        params
            .distinguished_name
            .push(DnType::CustomDnType(UID_OID.to_vec()), topic);
        params.distinguished_name.push(DnType::CommonName, topic);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params
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
