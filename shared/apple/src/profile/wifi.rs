//! The Wi-Fi payload (`com.apple.wifi.managed`).

use plist::{Dictionary, Integer, Value};

use super::{Content, Payload};

/// The network's security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WifiEncryption {
    None,
    Wpa2,
    Wpa3,
    /// WPA2 with 802.1X: EAP-TLS with the identity of `payload_certificate_uuid` when set,
    /// otherwise PEAP, for which the device asks the user for credentials.
    Wpa2Enterprise,
}

/// A Wi-Fi network, in Apple's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WifiSettings {
    pub ssid: String,
    pub hidden: bool,
    pub auto_join: bool,
    pub encryption: WifiEncryption,
    /// The pre-shared key (WPA2/WPA3 personal); ignored for open and enterprise networks.
    pub password: Option<String>,
    /// The payload (SCEP or PKCS #12) whose identity authenticates to an enterprise network.
    pub payload_certificate_uuid: Option<String>,
}

/// EAP types of Apple's `AcceptEAPTypes`.
const EAP_TLS: i64 = 13;
const PEAP: i64 = 25;

/// The Wi-Fi payload for `s`.
pub fn wifi_payload(s: &WifiSettings, uuid: &str, identifier: &str) -> Payload {
    let mut c = Content::new();
    c.string("SSID_STR", &s.ssid);
    c.bool("HIDDEN_NETWORK", s.hidden);
    c.bool("AutoJoin", s.auto_join);
    let encryption = match s.encryption {
        WifiEncryption::None => "None",
        WifiEncryption::Wpa2 | WifiEncryption::Wpa2Enterprise => "WPA2",
        WifiEncryption::Wpa3 => "WPA3",
    };
    c.string("EncryptionType", encryption);
    match s.encryption {
        WifiEncryption::Wpa2 | WifiEncryption::Wpa3 => {
            c.opt_string("Password", s.password.as_deref())
        }
        WifiEncryption::Wpa2Enterprise => {
            let eap_type = if s.payload_certificate_uuid.is_some() {
                EAP_TLS
            } else {
                PEAP
            };
            let mut eap = Dictionary::new();
            eap.insert(
                "AcceptEAPTypes".to_owned(),
                Value::Array(vec![Value::Integer(Integer::from(eap_type))]),
            );
            c.set("EAPClientConfiguration", Value::Dictionary(eap));
            c.opt_string(
                "PayloadCertificateUUID",
                s.payload_certificate_uuid.as_deref(),
            );
        }
        WifiEncryption::None => {}
    }
    let display_name = format!("Wi-Fi ({})", s.ssid);
    c.into_payload(Payload::new(
        "com.apple.wifi.managed",
        uuid,
        identifier,
        &display_name,
    ))
}
