//! A simulated iPhone that speaks Apple's MDM protocol as a real one does: it installs the
//! enrolment profile, gets its identity by SCEP with a real CSR, signs every request body with
//! it (`Mdm-Signature`) and sends plist check-ins and command answers. It talks to a server
//! over HTTP (the flow tests) or to a router in the same process (the benchmark).

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Body;
use mdm_pki::DigestAlg;
use mdm_pki::client::{self, CertRepOutcome, DeviceKey};
use mdm_pki::scep::ContentCipher;
use plist::{Dictionary, Value};
use reqwest::Method;

/// What the enrolment profile told the device.
#[derive(Debug, Clone, Default)]
pub struct Enrolment {
    pub scep_url: String,
    pub challenge: String,
    pub server_url: String,
    pub checkin_url: String,
    pub topic: String,
    pub identity_certificate_uuid: String,
    pub scep_payload_uuid: String,
    /// The whole profile (inside its signature, when signed), for checks against Apple's
    /// schemas.
    pub profile: Vec<u8>,
    /// Whether the server sent the profile signed (CMS SignedData), as a device shows it.
    pub signed: bool,
}

/// How a simulated device reaches the server.
#[async_trait]
pub trait Transport: Send + Sync {
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> Answer;
}

/// Over HTTP, to a server listening somewhere.
pub struct Http(reqwest::Client);

impl Http {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("a plain HTTP client builds"),
        ))
    }
}

#[async_trait]
impl Transport for Http {
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> Answer {
        let mut req = self.0.request(method, url).body(body);
        if let Some(s) = signature {
            req = req.header("Mdm-Signature", s);
        }
        let res = req.send().await.expect("the server answers");
        let status = res.status().as_u16();
        Answer {
            status,
            body: res.bytes().await.expect("a body").to_vec(),
        }
    }
}

/// To a router in this process: the URL's host becomes the Host header (the profile names the
/// server by it), its path and query the request's.
pub struct InProcess(pub axum::Router);

#[async_trait]
impl Transport for InProcess {
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> Answer {
        use tower::ServiceExt;
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut req = axum::http::Request::builder()
            .method(method)
            .uri(if path.is_empty() { "/" } else { path })
            .header("host", host);
        if let Some(s) = signature {
            req = req.header("mdm-signature", s);
        }
        let req = req.body(Body::from(body)).expect("a request");
        let res = self.0.clone().oneshot(req).await.expect("infallible");
        let status = res.status().as_u16();
        let body = axum::body::to_bytes(res.into_body(), 8 << 20)
            .await
            .unwrap_or_default()
            .to_vec();
        Answer { status, body }
    }
}

/// One simulated Apple device.
pub struct AppleDevice {
    pub udid: String,
    pub serial: String,
    /// Apple's product name, which tells an iPhone (`iPhone15,2`) from a Mac (`Mac14,2`).
    pub product_name: String,
    pub os_version: String,
    /// The SIM's ICCID the device reports (an iPhone's), if any.
    pub iccid: Option<String>,
    pub push_token: Vec<u8>,
    pub push_magic: String,
    pub unlock_token: Vec<u8>,
    pub key: DeviceKey,
    pub enrolment: Enrolment,
    /// The identity certificate the SCEP server issued.
    pub certificate: Option<Vec<u8>>,
    /// How SCEP and the signatures are done (what a real device of some age would use).
    pub cipher: ContentCipher,
    pub digest: DigestAlg,
    transport: Arc<dyn Transport>,
}

/// An HTTP answer: status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// The answer's JSON (problem+json for errors).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The answer as a plist dictionary (a command), or None for an empty answer.
    pub fn plist(&self) -> Option<Dictionary> {
        if self.body.is_empty() {
            return None;
        }
        plist::from_bytes::<Dictionary>(&self.body).ok()
    }
}

fn key_once(bits: usize) -> DeviceKey {
    // RSA key generation is the slow part of a simulated device: one key per process, each
    // device still with a certificate of its own.
    use std::sync::OnceLock;
    static KEY: OnceLock<DeviceKey> = OnceLock::new();
    KEY.get_or_init(|| DeviceKey::generate(bits, "simulated iPhone").expect("an RSA key"))
        .clone()
}

impl AppleDevice {
    /// Device number `n`, reaching the server over HTTP: its UDID, serial, push token and
    /// PushMagic follow from `n`.
    pub fn new(n: u64) -> Self {
        Self::over(n, Http::new())
    }

    /// A Mac (a Mac mini with Apple silicon, macOS 15), reaching the server over HTTP.
    pub fn mac(n: u64) -> Self {
        let mut mac = Self::new(n);
        mac.product_name = "Mac14,3".into();
        mac.os_version = "15.1".into();
        mac.iccid = None;
        mac
    }

    /// Device number `n`, reaching the server through `transport`.
    pub fn over(n: u64, transport: Arc<dyn Transport>) -> Self {
        Self {
            udid: format!("00008110-{n:016X}"),
            serial: format!("F2LX{n:08}"),
            product_name: "iPhone15,2".into(),
            os_version: "18.1".into(),
            iccid: Some(format!("8944500{n:013}")),
            push_token: (0..32).map(|i| (n as u8).wrapping_add(i)).collect(),
            push_magic: format!("5E7B3C2A-0000-4000-8000-{n:012X}"),
            unlock_token: format!("unlock-{n}").into_bytes(),
            key: key_once(2048),
            enrolment: Enrolment::default(),
            certificate: None,
            cipher: ContentCipher::Aes256Cbc,
            digest: DigestAlg::Sha256,
            transport,
        }
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> Answer {
        self.transport.send(method, url, body, signature).await
    }

    /// Downloads the enrolment profile for a token and reads what it configures.
    pub async fn download_profile(&mut self, base: &str, token: &str) -> Answer {
        let answer = self
            .send(
                Method::GET,
                &format!("{base}/apple/enroll/{token}"),
                Vec::new(),
                None,
            )
            .await;
        if answer.status != 200 {
            return answer;
        }
        // A signed profile is DER (a SEQUENCE); the device checks the signature and reads the
        // plist inside.
        let signed = answer.body.first() == Some(&0x30);
        let body = if signed {
            mdm_pki::signing::signed_content(&answer.body).expect("a valid profile signature")
        } else {
            answer.body.clone()
        };
        let profile: Dictionary = plist::from_bytes(&body).expect("the profile is a plist");
        let mut e = Enrolment {
            profile: body,
            signed,
            ..Default::default()
        };
        let payloads = profile
            .get("PayloadContent")
            .and_then(Value::as_array)
            .expect("PayloadContent");
        let text = |d: &Dictionary, k: &str| {
            d.get(k)
                .and_then(Value::as_string)
                .unwrap_or_default()
                .to_owned()
        };
        for p in payloads.iter().filter_map(Value::as_dictionary) {
            match p.get("PayloadType").and_then(Value::as_string) {
                Some("com.apple.security.scep") => {
                    let content = p
                        .get("PayloadContent")
                        .and_then(Value::as_dictionary)
                        .expect("the SCEP payload's content");
                    e.scep_url = text(content, "URL");
                    e.challenge = text(content, "Challenge");
                    e.scep_payload_uuid = text(p, "PayloadUUID");
                }
                Some("com.apple.mdm") => {
                    e.server_url = text(p, "ServerURL");
                    e.checkin_url = text(p, "CheckInURL");
                    e.topic = text(p, "Topic");
                    e.identity_certificate_uuid = text(p, "IdentityCertificateUUID");
                }
                _ => {}
            }
        }
        self.enrolment = e;
        answer
    }

    /// GetCACaps, GetCACert and a PKCSReq with the profile's challenge; keeps the certificate
    /// on success and returns the PKIOperation's answer.
    pub async fn scep(&mut self) -> Answer {
        let url = self.enrolment.scep_url.clone();
        let caps = self
            .send(
                Method::GET,
                &format!("{url}?operation=GetCACaps"),
                Vec::new(),
                None,
            )
            .await;
        assert_eq!(caps.status, 200, "GetCACaps");
        let ca = self
            .send(
                Method::GET,
                &format!("{url}?operation=GetCACert"),
                Vec::new(),
                None,
            )
            .await;
        assert_eq!(ca.status, 200, "GetCACert");
        let csr =
            client::csr(&self.key, &self.serial, Some(&self.enrolment.challenge)).expect("a CSR");
        let tx = format!("tx-{}", self.udid);
        let req = client::pkcs_req(&self.key, &csr, &ca.body, self.cipher, self.digest, &tx)
            .expect("a PKCSReq");
        let answer = self
            .send(
                Method::POST,
                &format!("{url}?operation=PKIOperation"),
                req.der.clone(),
                None,
            )
            .await;
        if answer.status == 200 {
            match client::read_cert_rep(&self.key, &answer.body, &ca.body, &tx, &req.sender_nonce)
                .expect("a CertRep")
            {
                CertRepOutcome::Issued { certificate_der } => {
                    self.certificate = Some(certificate_der)
                }
                other => panic!("SCEP did not issue: {other:?}"),
            }
        }
        answer
    }

    /// The Mdm-Signature of a body with the device's identity.
    pub fn sign(&self, body: &[u8]) -> String {
        let cert = self.certificate.as_ref().expect("an identity certificate");
        client::sign_body(&self.key, cert, body, self.digest).expect("a signature")
    }

    fn body(dict: Dictionary) -> Vec<u8> {
        let mut out = Vec::new();
        plist::to_writer_xml(&mut out, &Value::Dictionary(dict)).expect("a plist");
        out
    }

    /// A signed PUT of a plist to a URL.
    pub async fn put_signed(&self, url: &str, dict: Dictionary) -> Answer {
        let body = Self::body(dict);
        let sig = self.sign(&body);
        self.send(Method::PUT, url, body, Some(sig)).await
    }

    /// A PUT of raw bytes with a chosen signature header (for refusals).
    pub async fn put_raw(&self, url: &str, body: Vec<u8>, signature: Option<String>) -> Answer {
        self.send(Method::PUT, url, body, signature).await
    }

    pub fn message(&self, kind: &str) -> Dictionary {
        let mut d = Dictionary::new();
        d.insert("MessageType".into(), kind.into());
        d.insert("UDID".into(), self.udid.clone().into());
        d.insert("Topic".into(), self.enrolment.topic.clone().into());
        d
    }

    pub async fn checkin(&self, dict: Dictionary) -> Answer {
        let url = self.enrolment.checkin_url.clone();
        self.put_signed(&url, dict).await
    }

    pub async fn authenticate(&self) -> Answer {
        let mut d = self.message("Authenticate");
        d.insert("SerialNumber".into(), self.serial.clone().into());
        d.insert("ProductName".into(), self.product_name.clone().into());
        d.insert("Model".into(), "MQ9X3".into());
        let model_name = if self.product_name.starts_with("Mac") {
            "Mac mini"
        } else {
            "iPhone"
        };
        d.insert("ModelName".into(), model_name.into());
        d.insert("OSVersion".into(), self.os_version.clone().into());
        d.insert("BuildVersion".into(), "22B83".into());
        d.insert("IMEI".into(), "35 907208 123456 4".into());
        d.insert(
            "DeviceName".into(),
            format!("iPhone of {}", self.serial).into(),
        );
        self.checkin(d).await
    }

    pub async fn token_update(&self) -> Answer {
        let mut d = self.message("TokenUpdate");
        d.insert("Token".into(), Value::Data(self.push_token.clone()));
        d.insert("PushMagic".into(), self.push_magic.clone().into());
        d.insert("UnlockToken".into(), Value::Data(self.unlock_token.clone()));
        self.checkin(d).await
    }

    pub async fn check_out(&self) -> Answer {
        self.checkin(self.message("CheckOut")).await
    }

    /// What this device answers to a command: the queries of an inventory with its own facts,
    /// an acknowledgement of anything else.
    pub fn answer_to(&self, request_type: &str) -> Dictionary {
        let mut d = Dictionary::new();
        match request_type {
            "DeviceInformation" => {
                let mut q = Dictionary::new();
                q.insert("UDID".into(), self.udid.clone().into());
                q.insert("SerialNumber".into(), self.serial.clone().into());
                q.insert("ProductName".into(), self.product_name.clone().into());
                q.insert("OSVersion".into(), self.os_version.clone().into());
                q.insert("DeviceCapacity".into(), Value::Real(128.0));
                q.insert("AvailableDeviceCapacity".into(), Value::Real(100.0));
                q.insert("BatteryLevel".into(), Value::Real(0.8));
                if let Some(iccid) = &self.iccid {
                    q.insert("ICCID".into(), iccid.clone().into());
                }
                d.insert("QueryResponses".into(), Value::Dictionary(q));
            }
            "SecurityInfo" => {
                let mut si = Dictionary::new();
                si.insert("PasscodePresent".into(), true.into());
                si.insert("PasscodeCompliant".into(), true.into());
                si.insert("PasscodeCompliantWithProfiles".into(), true.into());
                si.insert("HardwareEncryptionCaps".into(), 3.into());
                d.insert("SecurityInfo".into(), Value::Dictionary(si));
            }
            "InstalledApplicationList" => {
                d.insert("InstalledApplicationList".into(), Value::Array(Vec::new()));
            }
            _ => {}
        }
        d
    }

    /// Says Idle and carries out every command it is given, as a device does after a push;
    /// returns the request types it ran.
    pub async fn drain(&self) -> Vec<String> {
        let mut ran = Vec::new();
        let mut answer = self.idle().await;
        while let Some(d) = answer.plist() {
            let (uuid, kind, _) = command_of(&d);
            answer = self.acknowledge(&uuid, self.answer_to(&kind)).await;
            ran.push(kind);
            assert!(ran.len() < 50, "a device was kept busy: {ran:?}");
        }
        ran
    }

    /// Profile, SCEP, Authenticate and TokenUpdate, then what the server asks at enrolment:
    /// an enrolled device with its first inventory reported.
    pub async fn enrol(&mut self, base: &str, token: &str) {
        let a = self.download_profile(base, token).await;
        assert_eq!(a.status, 200, "profile: {:?}", a.json());
        let a = self.scep().await;
        assert_eq!(a.status, 200, "SCEP: {:?}", a.json());
        let a = self.authenticate().await;
        assert_eq!(a.status, 200, "Authenticate: {:?}", a.json());
        let a = self.token_update().await;
        assert_eq!(a.status, 200, "TokenUpdate: {:?}", a.json());
        self.drain().await;
    }

    /// A PUT to the command endpoint with a status (and the command it answers).
    pub async fn connect(
        &self,
        status: &str,
        command_uuid: Option<&str>,
        extra: Dictionary,
    ) -> Answer {
        let mut d = extra;
        d.insert("Status".into(), status.into());
        d.insert("UDID".into(), self.udid.clone().into());
        if let Some(u) = command_uuid {
            d.insert("CommandUUID".into(), u.into());
        }
        let url = self.enrolment.server_url.clone();
        self.put_signed(&url, d).await
    }

    pub async fn idle(&self) -> Answer {
        self.connect("Idle", None, Dictionary::new()).await
    }

    pub async fn acknowledge(&self, command_uuid: &str, extra: Dictionary) -> Answer {
        self.connect("Acknowledged", Some(command_uuid), extra)
            .await
    }
}

/// The command of an answer: its UUID, its RequestType and its Command dictionary.
pub fn command_of(d: &Dictionary) -> (String, String, Dictionary) {
    let uuid = d
        .get("CommandUUID")
        .and_then(Value::as_string)
        .expect("CommandUUID")
        .to_owned();
    let command = d
        .get("Command")
        .and_then(Value::as_dictionary)
        .expect("Command")
        .clone();
    let kind = command
        .get("RequestType")
        .and_then(Value::as_string)
        .expect("RequestType")
        .to_owned();
    (uuid, kind, command)
}
