//! A device's effective policy as one configuration profile: passcode, restrictions, Wi-Fi,
//! VPN, mail, certificates and a single-app kiosk, each as the Apple payload that enforces it.
//! One profile, under one identifier per tenant, so installing a new version replaces the old
//! and removing it removes everything the policy brought.
//!
//! What Apple cannot enforce is left out of the profile rather than faked: USB debugging
//! (Android's), WireGuard without its app, managed app configuration (Apple sends it with the
//! app) and multi-app kiosks. Data roaming becomes Apple's nearest restriction (no background
//! fetch while roaming), unknown sources its trust of enterprise apps.

use base64::Engine;
use mdm_apple::profile::{
    self, MailSettings, PasscodeSettings, Payload, Profile, RestrictionSettings, VpnSettings,
    WifiEncryption, WifiSettings,
};

use super::uuid_from;
use crate::domain::TenantId;
use crate::domain::policy::{
    AppListMode, CertificateKind, EmailKind, Passcode, PasscodeComplexity, PolicyDocument,
    Restrictions, VpnKind, WifiSecurity,
};
use crate::usecases::policy::policies::PolicyDelivery;

/// The policy profile's identifier: the same for every version, so a new one replaces it.
pub fn identifier(t: &TenantId) -> String {
    format!("mdm.{t}.policy")
}

/// The profile of a policy version, as an InstallProfile payload.
pub fn render(t: &TenantId, delivery: &PolicyDelivery) -> Vec<u8> {
    profile::render(&profile_of(t, &delivery.version, &delivery.document))
}

pub fn profile_of(t: &TenantId, version: &str, doc: &PolicyDocument) -> Profile {
    let id = identifier(t);
    let seed = |what: &str| uuid_from(&format!("{t}:{version}:{what}"));
    let sub = |what: &str| format!("{id}.{what}");
    let mut payloads: Vec<Payload> = Vec::new();
    // Certificates first: Wi-Fi and VPN payloads name them by their payload UUID.
    let mut cert_uuids = std::collections::HashMap::new();
    for (i, c) in doc.certificates.iter().flatten().enumerate() {
        let Ok(data) = base64::engine::general_purpose::STANDARD.decode(&c.data_base64) else {
            continue;
        };
        let uuid = seed(&format!("certificate.{i}"));
        let ident = sub(&format!("certificate.{i}"));
        cert_uuids.insert(c.name.clone(), uuid.clone());
        payloads.push(match c.kind {
            CertificateKind::Root => {
                profile::root_certificate_payload(&c.name, &data, &uuid, &ident)
            }
            // The PKCS#12's password is not in the document: the device asks for it.
            CertificateKind::Pkcs12 => profile::pkcs12_payload(&c.name, &data, None, &uuid, &ident),
        });
    }
    if let Some(p) = &doc.passcode {
        payloads.push(profile::passcode_payload(
            &passcode(p),
            &seed("passcode"),
            &sub("passcode"),
        ));
    }
    let restrictions = restrictions(doc.restrictions.as_ref(), doc);
    if restrictions != RestrictionSettings::default() {
        payloads.push(profile::restrictions_payload(
            &restrictions,
            &seed("restrictions"),
            &sub("restrictions"),
        ));
    }
    for (i, w) in doc.wifi.iter().flatten().enumerate() {
        let settings = WifiSettings {
            ssid: w.ssid.clone(),
            hidden: w.hidden,
            auto_join: w.auto_join,
            encryption: match w.security {
                WifiSecurity::Open => WifiEncryption::None,
                WifiSecurity::Wpa2Psk => WifiEncryption::Wpa2,
                WifiSecurity::Wpa3Sae => WifiEncryption::Wpa3,
                WifiSecurity::Wpa2Enterprise => WifiEncryption::Wpa2Enterprise,
            },
            password: w.password.clone(),
            payload_certificate_uuid: w
                .certificate
                .as_ref()
                .and_then(|c| cert_uuids.get(c).cloned()),
        };
        payloads.push(profile::wifi_payload(
            &settings,
            &seed(&format!("wifi.{i}")),
            &sub(&format!("wifi.{i}")),
        ));
    }
    if let Some(v) = &doc.vpn {
        let settings = match (v.kind, &v.server, &v.app_id) {
            (VpnKind::Ikev2, Some(server), _) => Some(VpnSettings::IKEv2 {
                name: v.name.clone(),
                server: server.clone(),
                remote_identifier: server.clone(),
                local_identifier: format!("{t}"),
                payload_certificate_uuid: None,
                on_demand: v.always_on,
            }),
            (VpnKind::App, _, Some(app)) => Some(VpnSettings::AppProvider {
                name: v.name.clone(),
                provider_bundle_identifier: app.clone(),
                on_demand: v.always_on,
            }),
            _ => None,
        };
        if let Some(s) = settings {
            payloads.push(profile::vpn_payload(&s, &seed("vpn"), &sub("vpn")));
        }
    }
    for (i, e) in doc.email.iter().flatten().enumerate() {
        let port = e.port.map(i64::from);
        let username = e.username.clone();
        let smtp_host = e.smtp_host.clone().unwrap_or_else(|| e.host.clone());
        let settings = match e.kind {
            EmailKind::Exchange => MailSettings::Exchange {
                account_name: e.account_name.clone(),
                email_address: None,
                host: e.host.clone(),
                ssl: e.ssl,
                username,
            },
            EmailKind::Imap => MailSettings::Imap {
                account_name: e.account_name.clone(),
                email_address: None,
                host: e.host.clone(),
                port,
                ssl: e.ssl,
                username,
                smtp_host,
                smtp_port: None,
                smtp_ssl: e.ssl,
            },
            EmailKind::Pop => MailSettings::Pop {
                account_name: e.account_name.clone(),
                email_address: None,
                host: e.host.clone(),
                port,
                ssl: e.ssl,
                username,
                smtp_host,
                smtp_port: None,
                smtp_ssl: e.ssl,
            },
        };
        payloads.push(profile::mail_payload(
            &settings,
            &seed(&format!("mail.{i}")),
            &sub(&format!("mail.{i}")),
        ));
    }
    if let Some(k) = &doc.kiosk
        && let [app] = k.apps.as_slice()
    {
        payloads.push(profile::app_lock_payload(
            app,
            &seed("kiosk"),
            &sub("kiosk"),
        ));
    }
    Profile {
        identifier: id.clone(),
        uuid: seed("profile"),
        display_name: "Device policy".into(),
        organization: Some(t.to_string()),
        description: Some(format!("Policy version {version}")),
        removal_disallowed: true,
        payloads,
    }
}

fn passcode(p: &Passcode) -> PasscodeSettings {
    let (alnum, complex, simple) = match p.complexity {
        PasscodeComplexity::Any => (false, None, true),
        PasscodeComplexity::Numeric => (false, None, false),
        PasscodeComplexity::Alphanumeric => (true, None, false),
        PasscodeComplexity::Complex => (true, Some(1), false),
    };
    PasscodeSettings {
        min_length: Some(i64::from(p.min_length)),
        require_alphanumeric: alnum,
        min_complex_chars: complex,
        allow_simple: simple,
        max_failed_attempts: p.max_failed_attempts.map(i64::from),
        // Apple counts whole minutes; a shorter wish rounds up to the first it allows.
        max_inactivity_minutes: p
            .auto_lock_seconds
            .map(|s| i64::from(s.div_ceil(60).max(1))),
        force_pin: true,
        ..Default::default()
    }
}

fn restrictions(r: Option<&Restrictions>, doc: &PolicyDocument) -> RestrictionSettings {
    let allow = |disabled: Option<bool>| disabled.map(|d| !d);
    let mut s = RestrictionSettings::default();
    if let Some(r) = r {
        s.allow_camera = allow(r.camera_disabled);
        s.allow_screen_shot = allow(r.screen_capture_disabled);
        s.allow_files_usb_drive_access = allow(r.usb_file_transfer_disabled);
        s.allow_bluetooth_modification = allow(r.bluetooth_disabled);
        s.allow_erase_content_and_settings = allow(r.factory_reset_disabled);
        s.allow_enterprise_app_trust = allow(r.unknown_sources_disabled);
        s.allow_open_from_managed_to_unmanaged = allow(r.clipboard_to_personal_disabled);
        s.allow_global_background_fetch_when_roaming = allow(r.roaming_disabled);
        s.allow_nfc = allow(r.nfc_disabled);
    }
    if let Some(list) = &doc.apps {
        match list.mode {
            AppListMode::AllowList => s.allow_listed_app_bundle_ids = list.apps.clone(),
            AppListMode::DenyList => s.blocked_app_bundle_ids = list.apps.clone(),
        }
    }
    s
}
