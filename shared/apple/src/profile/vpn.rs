//! The VPN payload (`com.apple.vpn.managed`): built-in IKEv2, or a VPN app's network-extension
//! provider.

use plist::{Dictionary, Integer, Value};

use super::{Content, Payload};

/// A VPN, in Apple's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VpnSettings {
    /// The built-in IKEv2 client (`VPNType` IKEv2).
    IKEv2 {
        /// `UserDefinedName`, shown in Settings.
        name: String,
        /// `RemoteAddress`: the server's host name or address.
        server: String,
        remote_identifier: String,
        /// Required by Apple's schema.
        local_identifier: String,
        /// The payload (SCEP or PKCS #12) whose identity authenticates the device; without
        /// one, authentication is EAP with credentials the user enters.
        payload_certificate_uuid: Option<String>,
        /// Connect whenever there is traffic.
        on_demand: bool,
    },
    /// A VPN app's provider (`VPNType` VPN, `VPNSubType` its bundle identifier). The server's
    /// address is the app's own configuration: Apple's schema has no key for it here.
    AppProvider {
        name: String,
        provider_bundle_identifier: String,
        on_demand: bool,
    },
}

/// `OnDemandEnabled` and a single rule that connects on any network.
fn on_demand(section: &mut Dictionary) {
    section.insert(
        "OnDemandEnabled".to_owned(),
        Value::Integer(Integer::from(1)),
    );
    let mut rule = Dictionary::new();
    rule.insert("Action".to_owned(), Value::String("Connect".to_owned()));
    section.insert(
        "OnDemandRules".to_owned(),
        Value::Array(vec![Value::Dictionary(rule)]),
    );
}

fn string(section: &mut Dictionary, key: &str, value: &str) {
    section.insert(key.to_owned(), Value::String(value.to_owned()));
}

/// The VPN payload for `s`.
pub fn vpn_payload(s: &VpnSettings, uuid: &str, identifier: &str) -> Payload {
    let mut c = Content::new();
    let name = match s {
        VpnSettings::IKEv2 {
            name,
            server,
            remote_identifier,
            local_identifier,
            payload_certificate_uuid,
            on_demand: wanted,
        } => {
            c.string("VPNType", "IKEv2");
            let mut ike = Dictionary::new();
            string(&mut ike, "RemoteAddress", server);
            string(&mut ike, "RemoteIdentifier", remote_identifier);
            string(&mut ike, "LocalIdentifier", local_identifier);
            match payload_certificate_uuid {
                Some(cert) => {
                    string(&mut ike, "AuthenticationMethod", "Certificate");
                    string(&mut ike, "PayloadCertificateUUID", cert);
                }
                None => {
                    // No machine authentication; the user authenticates with EAP.
                    string(&mut ike, "AuthenticationMethod", "None");
                    ike.insert(
                        "ExtendedAuthEnabled".to_owned(),
                        Value::Integer(Integer::from(1)),
                    );
                }
            }
            if *wanted {
                on_demand(&mut ike);
            }
            c.set("IKEv2", Value::Dictionary(ike));
            name
        }
        VpnSettings::AppProvider {
            name,
            provider_bundle_identifier,
            on_demand: wanted,
        } => {
            c.string("VPNType", "VPN");
            c.string("VPNSubType", provider_bundle_identifier);
            let mut vpn = Dictionary::new();
            string(
                &mut vpn,
                "ProviderBundleIdentifier",
                provider_bundle_identifier,
            );
            if *wanted {
                on_demand(&mut vpn);
            }
            c.set("VPN", Value::Dictionary(vpn));
            name
        }
    };
    c.string("UserDefinedName", name);
    c.into_payload(Payload::new(
        "com.apple.vpn.managed",
        uuid,
        identifier,
        name,
    ))
}
