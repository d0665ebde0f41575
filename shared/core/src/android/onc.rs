//! Wi-Fi networks as the Open Network Configuration (ONC) AMAPI takes in
//! `Policy.openNetworkConfiguration`: the subset Google documents, WiFi networks only.

use serde_json::{Map, Value, json};

use crate::domain::policy::{Wifi, WifiSecurity};

/// The ONC `WiFi.Security` of a network, or None where AMAPI's ONC has no way to say it:
/// WPA3-Personal (no SAE among the values Google accepts) and enterprise networks (Android
/// refuses EAP networks without `DomainSuffixMatch` and a server CA, which our documents do
/// not carry).
pub(super) fn security(s: WifiSecurity) -> Option<&'static str> {
    match s {
        WifiSecurity::Open => Some("None"),
        WifiSecurity::Wpa2Psk => Some("WPA-PSK"),
        WifiSecurity::Wpa3Sae | WifiSecurity::Wpa2Enterprise => None,
    }
}

/// The ONC object of the networks AMAPI can express; None when there are none.
pub(super) fn configuration(networks: &[Wifi]) -> Option<Map<String, Value>> {
    let mut guids: Vec<String> = Vec::new();
    let mut configs = Vec::new();
    for w in networks {
        let Some(security) = security(w.security) else {
            continue;
        };
        // The GUID names the network across policy versions, so it comes from the SSID rather
        // than the position: reordering the list does not make devices forget and re-add it.
        let mut guid = format!("wifi-{}", crate::apple::hex(w.ssid.as_bytes()));
        if guids.contains(&guid) {
            guid = format!("{guid}-{}", guids.len());
        }
        guids.push(guid.clone());
        let mut wifi = json!({
            "SSID": w.ssid,
            "Security": security,
            "HiddenSSID": w.hidden,
            "AutoConnect": w.auto_join,
        });
        if let Some(p) = &w.password {
            wifi["Passphrase"] = json!(p);
        }
        configs.push(json!({"GUID": guid, "Name": w.ssid, "Type": "WiFi", "WiFi": wifi}));
    }
    if configs.is_empty() {
        return None;
    }
    let onc = json!({"Type": "UnencryptedConfiguration", "NetworkConfigurations": configs});
    onc.as_object().cloned()
}
