//! Which settings of a policy document Google's Android Management API cannot apply: for a
//! tenant whose Android devices AMAPI manages, such a document is refused naming the setting,
//! rather than sent with the setting silently missing.
//!
//! Not yet called by the use cases: tenants do not record whether AMAPI manages their devices.
//! Once they do, saving or assigning a policy checks it for such tenants.

use super::onc;
use crate::domain::policy::{AppListMode, PolicyDocument, VpnKind, WifiSecurity};
use crate::error::Error;

fn unsupported(field: &str, reason: &str) -> Error {
    Error::AndroidSettingUnsupported {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Ok when `policy::policy_of` carries every setting of `doc`; otherwise the first setting it
/// cannot, in document order. Compliance rules and schedules are accepted: they are ours to
/// evaluate and apply, not AMAPI settings.
pub fn check_expressible(doc: &PolicyDocument) -> Result<(), Error> {
    for (i, w) in doc.wifi.iter().flatten().enumerate() {
        if onc::security(w.security).is_some() {
            continue;
        }
        let reason = match w.security {
            WifiSecurity::Wpa3Sae => {
                "AMAPI's network configuration has no WPA3-Personal (SAE); a WPA2/WPA3 \
                 transition network can be declared wpa2_psk"
            }
            _ => {
                "Android refuses an enterprise network without the RADIUS server's domain \
                 (DomainSuffixMatch) and CA, which a policy's Wi-Fi does not carry"
            }
        };
        return Err(unsupported(&format!("wifi[{i}].security"), reason));
    }
    if let Some(v) = &doc.vpn
        && v.kind != VpnKind::App
    {
        return Err(unsupported(
            "vpn.server",
            "AMAPI configures no VPN server (its network configuration takes Wi-Fi only); \
             use a VPN app (kind app) as the always-on VPN",
        ));
    }
    if doc.email.is_some() {
        return Err(unsupported(
            "email",
            "AMAPI configures no mail account; configure the mail app through app_config",
        ));
    }
    if doc.certificates.is_some() {
        return Err(unsupported(
            "certificates",
            "AMAPI installs no certificate by policy: only an app holding the CERT_INSTALL \
             delegated scope can",
        ));
    }
    if doc
        .kiosk
        .as_ref()
        .is_some_and(|k| k.emergency_dialer_allowed)
    {
        return Err(unsupported(
            "kiosk.emergency_dialer_allowed",
            "AMAPI's kiosk has no emergency dialer setting",
        ));
    }
    if let (Some(list), Some(configs)) = (&doc.apps, &doc.app_config)
        && list.mode == AppListMode::AllowList
    {
        let listed = |app: &String| {
            list.apps.contains(app)
                || doc.kiosk.as_ref().is_some_and(|k| k.apps.contains(app))
                || doc.vpn.as_ref().and_then(|v| v.app_id.as_ref()) == Some(app)
        };
        if let Some(app) = configs.keys().find(|app| !listed(app)) {
            return Err(unsupported(
                "app_config",
                &format!(
                    "AMAPI configures only apps its policy lists, and listing {app} would make it \
                     available outside the allow-list; add it to apps.apps or drop its \
                     configuration"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn doc(v: Value) -> PolicyDocument {
        let d: PolicyDocument = serde_json::from_value(v).expect("a policy document");
        d.validate().expect("a valid policy document");
        d
    }

    fn refused_field(v: Value) -> String {
        match check_expressible(&doc(v.clone())) {
            Err(Error::AndroidSettingUnsupported { field, .. }) => field,
            other => panic!("{v}: {other:?}"),
        }
    }

    #[test]
    fn each_setting_amapi_cannot_express_is_refused_naming_its_field() {
        let cert = json!([{"name": "corp", "kind": "root", "data_base64": "AAEC"}]);
        for (v, field) in [
            (
                json!({"email": [{"kind": "exchange", "account_name": "Mail", "host": "mail.example.com"}]}),
                "email",
            ),
            (
                json!({"vpn": {"name": "Corp", "kind": "ikev2", "server": "vpn.example.com"}}),
                "vpn.server",
            ),
            (
                json!({"vpn": {"name": "Corp", "kind": "wireguard", "server": "vpn.example.com"}}),
                "vpn.server",
            ),
            (json!({"certificates": cert}), "certificates"),
            (
                json!({"certificates": [{"name": "id", "kind": "pkcs12", "data_base64": "AAEC"}]}),
                "certificates",
            ),
            (
                json!({"wifi": [
                    {"ssid": "Guest", "security": "open"},
                    {"ssid": "Home", "security": "wpa3_sae", "password": "correct horse"}
                ]}),
                "wifi[1].security",
            ),
            (
                json!({"wifi": [{"ssid": "Corp", "security": "wpa2_enterprise", "certificate": "corp"}],
                       "certificates": cert}),
                "wifi[0].security",
            ),
            (
                json!({"kiosk": {"apps": ["com.example.pos"], "emergency_dialer_allowed": true}}),
                "kiosk.emergency_dialer_allowed",
            ),
            (
                json!({"apps": {"mode": "allow_list", "apps": ["com.example.mail"]},
                       "app_config": {"com.example.other": {"a": 1}}}),
                "app_config",
            ),
        ] {
            assert_eq!(refused_field(v.clone()), field, "{v}");
        }
    }

    #[test]
    fn a_refusal_says_why_with_its_own_code() {
        let err = check_expressible(&doc(
            json!({"vpn": {"name": "Corp", "kind": "ikev2", "server": "vpn.example.com"}}),
        ))
        .unwrap_err();
        assert_eq!(err.code(), "android_setting_unsupported");
        assert!(err.to_string().starts_with("vpn.server: "), "{err}");
        assert!(err.to_string().contains("VPN app"), "{err}");
    }

    #[test]
    fn a_document_amapi_can_express_is_accepted() {
        let d = doc(json!({
            "passcode": {"min_length": 6, "complexity": "numeric", "auto_lock_seconds": 60},
            "restrictions": {"camera_disabled": true, "nfc_disabled": true, "clipboard_to_personal_disabled": true},
            "wifi": [{"ssid": "Office", "security": "wpa2_psk", "password": "correct horse"},
                     {"ssid": "Guest", "security": "open"}],
            "vpn": {"name": "Corp", "kind": "app", "app_id": "com.example.vpn", "always_on": true},
            "apps": {"mode": "allow_list", "apps": ["com.example.mail"]},
            "kiosk": {"apps": ["com.example.pos"]},
            // Configured apps the allow-list, the kiosk and the VPN name are listed anyway.
            "app_config": {"com.example.mail": {"a": 1}, "com.example.pos": {"b": 2}, "com.example.vpn": {"c": 3}},
            "compliance": {"min_os_version": {"version": "14"}},
            "schedules": [{"name": "school hours",
                "windows": [{"days": ["mon"], "start": "08:00", "end": "16:00"}],
                "restrictions": {"camera_disabled": true}}]
        }));
        assert_eq!(check_expressible(&d), Ok(()));
        assert_eq!(check_expressible(&PolicyDocument::default()), Ok(()));
    }

    #[test]
    fn app_configuration_is_accepted_for_any_app_without_an_allow_list() {
        let d = doc(json!({
            "apps": {"mode": "deny_list", "apps": ["com.example.game"]},
            "app_config": {"com.example.other": {"a": 1}}
        }));
        assert_eq!(check_expressible(&d), Ok(()));
    }
}
