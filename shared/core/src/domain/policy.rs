//! Policy documents: typed, validated settings a device enforces (passcode, restrictions,
//! Wi-Fi, VPN, email, certificates, apps, kiosk, managed app configuration), and the rule
//! that merges the policies assigned to a device into the one it receives.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::command::app_identifier;
use super::device::short_text;
use crate::error::Error;

/// Largest policy document accepted (its JSON), well under the 400 KB of a stored item.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// Versions run from 1 (creation) up; the store keeps them as six digits so that their sort
/// keys sort as numbers.
pub const MAX_VERSION: i64 = 999_999;

/// A version number as a caller writes it (a path segment, a listing's cursor): decimal digits
/// only, 1 to `MAX_VERSION`. The message never repeats the input.
pub fn parse_version(field: &str, raw: &str) -> Result<i64, Error> {
    let digits = !raw.is_empty() && raw.len() <= 6 && raw.bytes().all(|b| b.is_ascii_digit());
    match raw.parse::<i64>() {
        Ok(v) if digits && (1..=MAX_VERSION).contains(&v) => Ok(v),
        _ => Err(Error::invalid_field(
            field,
            format!("must be a whole number from 1 to {MAX_VERSION}"),
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PasscodeComplexity {
    /// Any passcode.
    Any,
    /// Digits, no repeating or ordered sequences (1111, 1234).
    Numeric,
    /// Letters and digits.
    Alphanumeric,
    /// Letters, digits and symbols.
    Complex,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Passcode {
    /// 4 to 16 characters.
    #[schemars(range(min = 4, max = 16))]
    pub min_length: u8,
    pub complexity: PasscodeComplexity,
    /// Failed attempts (3 to 20) after which the device wipes itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 3, max = 20))]
    pub max_failed_attempts: Option<u8>,
    /// Seconds of inactivity (30 to 3600) before the screen locks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 30, max = 3600))]
    pub auto_lock_seconds: Option<u32>,
}

/// Each restriction is either set (true: the feature is disabled) or left to the device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Restrictions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_capture_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usb_file_transfer_disabled: Option<bool>,
    /// ADB on Android, USB debugging / developer mode elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debugging_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfc_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bluetooth_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roaming_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factory_reset_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_sources_disabled: Option<bool>,
    /// Copying from managed apps to personal ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clipboard_to_personal_disabled: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WifiSecurity {
    Open,
    Wpa2Psk,
    Wpa3Sae,
    Wpa2Enterprise,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Wifi {
    /// 1 to 32 bytes.
    #[schemars(regex(pattern = r"^[\x20-\x7E]{1,32}$"))]
    pub ssid: String,
    pub security: WifiSecurity,
    /// WPA2/WPA3 personal: 8 to 63 characters; none for open or enterprise networks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 8, max = 63))]
    pub password: Option<String>,
    /// Enterprise networks: the name of a certificate in this policy to authenticate with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(default)]
    pub hidden: bool,
    #[serde(default = "yes")]
    pub auto_join: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VpnKind {
    Ikev2,
    Wireguard,
    /// A VPN app (Android always-on VPN, Apple per-app VPN provider).
    App,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vpn {
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
    pub kind: VpnKind,
    /// Host name or address of the server (ikev2, wireguard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = HOST))]
    pub server: Option<String>,
    /// The VPN app's package or bundle id (kind app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255), regex(pattern = crate::domain::command::APP_ID))]
    pub app_id: Option<String>,
    /// Traffic may not leave the device unless the VPN is up.
    #[serde(default)]
    pub always_on: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    Exchange,
    Imap,
    Pop,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Email {
    pub kind: EmailKind,
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub account_name: String,
    #[schemars(regex(pattern = HOST))]
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u16>,
    #[serde(default = "yes")]
    pub ssl: bool,
    /// `{user}` is replaced by the device owner's name on the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 200), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub username: Option<String>,
    /// SMTP server for IMAP and POP accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = HOST))]
    pub smtp_host: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    /// A CA certificate to trust (DER, base64).
    Root,
    /// An identity (PKCS#12, base64); its password is delivered out of band by the agent.
    Pkcs12,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
    pub kind: CertificateKind,
    /// Standard base64, at most 16 KiB decoded.
    #[schemars(length(min = 4, max = 21848), regex(pattern = BASE64))]
    pub data_base64: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppListMode {
    /// Only these apps may run (besides the system's).
    AllowList,
    /// These apps may not be installed or run.
    DenyList,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppList {
    pub mode: AppListMode,
    /// 1 to 500 package or bundle ids.
    #[schemars(length(min = 1, max = 500), inner(length(max = 255), regex(pattern = crate::domain::command::APP_ID)))]
    pub apps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kiosk {
    /// One app (single-app kiosk) or up to 20.
    #[schemars(length(min = 1, max = 20), inner(length(max = 255), regex(pattern = crate::domain::command::APP_ID)))]
    pub apps: Vec<String>,
    #[serde(default)]
    pub emergency_dialer_allowed: bool,
}

/// Restrictions that apply only while one of their windows is open, on top of the document's
/// own (each one set here overrides the document's while open).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduledRestrictions {
    /// 1 to 100 characters, such as "school hours".
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
    /// 1 to 14 weekly windows.
    #[schemars(length(min = 1, max = 14))]
    pub windows: Vec<super::schedule::Window>,
    /// Which clock the windows read: "tenant" (the default, the tenant's settings), "device"
    /// (the zone the device reports, else the tenant's) or an IANA name.
    #[serde(default = "tenant_zone")]
    pub time_zone: super::schedule::TimeZoneChoice,
    pub restrictions: Restrictions,
}

fn tenant_zone() -> super::schedule::TimeZoneChoice {
    super::schedule::TimeZoneChoice::Tenant
}

impl Restrictions {
    /// These restrictions with every one `over` sets taking its place.
    pub fn overlaid(&self, over: &Restrictions) -> Restrictions {
        fn pick(base: Option<bool>, over: Option<bool>) -> Option<bool> {
            over.or(base)
        }
        Restrictions {
            camera_disabled: pick(self.camera_disabled, over.camera_disabled),
            screen_capture_disabled: pick(
                self.screen_capture_disabled,
                over.screen_capture_disabled,
            ),
            usb_file_transfer_disabled: pick(
                self.usb_file_transfer_disabled,
                over.usb_file_transfer_disabled,
            ),
            debugging_disabled: pick(self.debugging_disabled, over.debugging_disabled),
            nfc_disabled: pick(self.nfc_disabled, over.nfc_disabled),
            bluetooth_disabled: pick(self.bluetooth_disabled, over.bluetooth_disabled),
            roaming_disabled: pick(self.roaming_disabled, over.roaming_disabled),
            factory_reset_disabled: pick(self.factory_reset_disabled, over.factory_reset_disabled),
            unknown_sources_disabled: pick(
                self.unknown_sources_disabled,
                over.unknown_sources_disabled,
            ),
            clipboard_to_personal_disabled: pick(
                self.clipboard_to_personal_disabled,
                over.clipboard_to_personal_disabled,
            ),
        }
    }
}

/// A policy document: every section is optional; a device enforces the sections it receives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode: Option<Passcode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<Restrictions>,
    /// Up to 20 networks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 20))]
    pub wifi: Option<Vec<Wifi>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpn: Option<Vpn>,
    /// Up to 10 accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 10))]
    pub email: Option<Vec<Email>>,
    /// Up to 20 certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 20))]
    pub certificates: Option<Vec<Certificate>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apps: Option<AppList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiosk: Option<Kiosk>,
    /// Managed configuration per app id (up to 50 apps, each a JSON object of at most 4 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "minProperties" = 1,
        "maxProperties" = 50,
        "propertyNames" = {"maxLength": 255, "pattern": crate::domain::command::APP_ID}
    ))]
    pub app_config: Option<BTreeMap<String, Map<String, Value>>>,
    /// Rules the device must meet, each with its escalation ladder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance: Option<super::compliance::ComplianceRules>,
    /// Up to 10 sets of restrictions that apply only in their time windows; the earlier in the
    /// list wins where two open ones set the same restriction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 10))]
    pub schedules: Option<Vec<ScheduledRestrictions>>,
}

fn bad(field: &str, message: &str) -> Error {
    Error::invalid_field(field, message)
}

fn count(field: &str, n: usize, min: usize, max: usize) -> Result<(), Error> {
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        Err(bad(field, &format!("must hold {min} to {max} entries")))
    }
}

/// A host name or IP address: 1 to 253 characters of letters, digits, dots, dashes, colons.
const HOST: &str = r"^[A-Za-z0-9.:-]{1,253}$";

/// Canonical standard base64 (what the decoder accepts: padded, no stray bits in the last
/// character), as the document states it.
const BASE64: &str =
    r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$";

fn host(field: &str, s: &str) -> Result<(), Error> {
    let ok = (1..=253).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    if ok {
        Ok(())
    } else {
        Err(bad(field, "must be a host name or IP address"))
    }
}

impl PolicyDocument {
    /// Checks every field, naming the first bad one by its path (such as `wifi[1].password`).
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(p) = &self.passcode {
            if !(4..=16).contains(&p.min_length) {
                return Err(bad("passcode.min_length", "must be 4 to 16"));
            }
            if p.max_failed_attempts
                .is_some_and(|n| !(3..=20).contains(&n))
            {
                return Err(bad("passcode.max_failed_attempts", "must be 3 to 20"));
            }
            if p.auto_lock_seconds
                .is_some_and(|n| !(30..=3600).contains(&n))
            {
                return Err(bad("passcode.auto_lock_seconds", "must be 30 to 3600"));
            }
        }
        if let Some(networks) = &self.wifi {
            count("wifi", networks.len(), 1, 20)?;
            for (i, w) in networks.iter().enumerate() {
                self.validate_wifi(&format!("wifi[{i}]"), w)?;
            }
        }
        if let Some(v) = &self.vpn {
            short_text("vpn.name", &v.name, 100)?;
            match (v.kind, &v.server, &v.app_id) {
                (VpnKind::App, _, Some(app)) => app_identifier("vpn.app_id", app)?,
                (VpnKind::App, _, None) => {
                    return Err(bad("vpn.app_id", "an app VPN names its app"));
                }
                (_, Some(server), _) => host("vpn.server", server)?,
                (_, None, _) => return Err(bad("vpn.server", "this VPN needs a server")),
            }
        }
        if let Some(accounts) = &self.email {
            count("email", accounts.len(), 1, 10)?;
            for (i, e) in accounts.iter().enumerate() {
                short_text(&format!("email[{i}].account_name"), &e.account_name, 100)?;
                host(&format!("email[{i}].host"), &e.host)?;
                if e.port == Some(0) {
                    return Err(bad(&format!("email[{i}].port"), "must be 1 to 65535"));
                }
                if let Some(u) = &e.username {
                    short_text(&format!("email[{i}].username"), u, 200)?;
                }
                match (&e.kind, &e.smtp_host) {
                    (EmailKind::Exchange, _) => {}
                    (_, Some(smtp)) => host(&format!("email[{i}].smtp_host"), smtp)?,
                    (_, None) => {
                        return Err(bad(
                            &format!("email[{i}].smtp_host"),
                            "IMAP and POP accounts need an SMTP server",
                        ));
                    }
                }
            }
        }
        if let Some(certs) = &self.certificates {
            count("certificates", certs.len(), 1, 20)?;
            let mut names = std::collections::HashSet::new();
            for (i, c) in certs.iter().enumerate() {
                short_text(&format!("certificates[{i}].name"), &c.name, 100)?;
                if !names.insert(c.name.as_str()) {
                    return Err(bad(
                        &format!("certificates[{i}].name"),
                        "names another certificate's name",
                    ));
                }
                let ok = STANDARD
                    .decode(&c.data_base64)
                    .is_ok_and(|d| !d.is_empty() && d.len() <= 16 * 1024);
                if !ok {
                    return Err(bad(
                        &format!("certificates[{i}].data_base64"),
                        "must be standard base64 of 1 byte to 16 KiB",
                    ));
                }
            }
        }
        if let Some(list) = &self.apps {
            count("apps.apps", list.apps.len(), 1, 500)?;
            for (i, a) in list.apps.iter().enumerate() {
                app_identifier(&format!("apps.apps[{i}]"), a)?;
            }
        }
        if let Some(k) = &self.kiosk {
            count("kiosk.apps", k.apps.len(), 1, 20)?;
            for (i, a) in k.apps.iter().enumerate() {
                app_identifier(&format!("kiosk.apps[{i}]"), a)?;
            }
        }
        if let Some(configs) = &self.app_config {
            count("app_config", configs.len(), 1, 50)?;
            for (app, config) in configs {
                app_identifier("app_config", app)?;
                let size = serde_json::to_vec(config).map_or(usize::MAX, |v| v.len());
                if size > 4 * 1024 {
                    return Err(bad(
                        "app_config",
                        "holds an app configuration over 4 KiB of JSON",
                    ));
                }
            }
        }
        if let Some(rules) = &self.compliance {
            rules.validate()?;
        }
        if let Some(schedules) = &self.schedules {
            count("schedules", schedules.len(), 1, 10)?;
            for (i, sch) in schedules.iter().enumerate() {
                short_text(&format!("schedules[{i}].name"), &sch.name, 100)?;
                count(&format!("schedules[{i}].windows"), sch.windows.len(), 1, 14)?;
                for (j, w) in sch.windows.iter().enumerate() {
                    w.validate_at(&format!("schedules[{i}].windows[{j}]"))?;
                }
                sch.time_zone
                    .validate_at(&format!("schedules[{i}].time_zone"))?;
            }
        }
        if serde_json::to_vec(self).map_or(usize::MAX, |v| v.len()) > MAX_DOCUMENT_BYTES {
            return Err(bad("document", "must be at most 64 KiB of JSON"));
        }
        Ok(())
    }

    fn validate_wifi(&self, at: &str, w: &Wifi) -> Result<(), Error> {
        if w.ssid.is_empty() || w.ssid.len() > 32 || w.ssid.chars().any(char::is_control) {
            return Err(bad(
                &format!("{at}.ssid"),
                "must be 1 to 32 bytes of printable text",
            ));
        }
        match (w.security, &w.password) {
            (WifiSecurity::Wpa2Psk | WifiSecurity::Wpa3Sae, Some(p))
                if (8..=63).contains(&p.chars().count()) => {}
            (WifiSecurity::Wpa2Psk | WifiSecurity::Wpa3Sae, Some(_)) => {
                return Err(bad(&format!("{at}.password"), "must be 8 to 63 characters"));
            }
            (WifiSecurity::Wpa2Psk | WifiSecurity::Wpa3Sae, None) => {
                return Err(bad(
                    &format!("{at}.password"),
                    "a WPA personal network needs one (8 to 63 characters)",
                ));
            }
            (_, Some(_)) => {
                return Err(bad(
                    &format!("{at}.password"),
                    "only a WPA personal network takes one",
                ));
            }
            (_, None) => {}
        }
        if let Some(cert) = &w.certificate {
            let known = self
                .certificates
                .as_ref()
                .is_some_and(|c| c.iter().any(|c| &c.name == cert));
            if w.security != WifiSecurity::Wpa2Enterprise || !known {
                return Err(bad(
                    &format!("{at}.certificate"),
                    "an enterprise network names a certificate of this policy",
                ));
            }
        }
        Ok(())
    }

    /// Merges documents from the highest precedence to the lowest: each section comes whole
    /// from the first document that sets it.
    pub fn merge<'a>(by_precedence: impl IntoIterator<Item = &'a PolicyDocument>) -> Self {
        let mut out = PolicyDocument::default();
        for d in by_precedence {
            fn take<T: Clone>(slot: &mut Option<T>, from: &Option<T>) {
                if slot.is_none() {
                    slot.clone_from(from);
                }
            }
            take(&mut out.passcode, &d.passcode);
            take(&mut out.restrictions, &d.restrictions);
            take(&mut out.wifi, &d.wifi);
            take(&mut out.vpn, &d.vpn);
            take(&mut out.email, &d.email);
            take(&mut out.certificates, &d.certificates);
            take(&mut out.apps, &d.apps);
            take(&mut out.kiosk, &d.kiosk);
            take(&mut out.app_config, &d.app_config);
            take(&mut out.compliance, &d.compliance);
            take(&mut out.schedules, &d.schedules);
        }
        out
    }

    /// Which schedules are open at `at_ms` (bit i for `schedules[i]`) and when that next
    /// changes, reading each schedule's windows in its zone.
    pub fn schedule_state(
        &self,
        at_ms: i64,
        tenant: &jiff::tz::TimeZone,
        device: Option<&jiff::tz::TimeZone>,
    ) -> (u16, Option<i64>) {
        let mut mask = 0u16;
        let mut next: Option<i64> = None;
        for (i, sch) in self.schedules.iter().flatten().enumerate() {
            let Ok(tz) = sch.time_zone.resolve(tenant, device) else {
                continue;
            };
            if super::schedule::is_open_any(&sch.windows, at_ms, &tz) {
                mask |= 1 << i;
            }
            if let Some(change) = super::schedule::next_change_any(&sch.windows, at_ms, &tz) {
                next = Some(next.map_or(change, |n| n.min(change)));
            }
        }
        (mask, next)
    }

    /// The document a device enforces while the schedules in `mask` are open: their
    /// restrictions laid over its own, the first open schedule winning.
    pub fn with_open_schedules(&self, mask: u16) -> PolicyDocument {
        let mut out = self.clone();
        let open: Vec<&ScheduledRestrictions> = self
            .schedules
            .iter()
            .flatten()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, s)| s)
            .collect();
        if !open.is_empty() {
            let mut r = self.restrictions.clone().unwrap_or_default();
            for sch in open.iter().rev() {
                r = r.overlaid(&sch.restrictions);
            }
            out.restrictions = Some(r);
        }
        out
    }

    /// A short fingerprint of the document: equal documents have equal versions, so a device
    /// is sent its policy again only when what it must enforce changed.
    pub fn fingerprint(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Result<PolicyDocument, String> {
        let d: PolicyDocument = serde_json::from_value(v).map_err(|e| e.to_string())?;
        d.validate().map_err(|e| e.to_string())?;
        Ok(d)
    }

    #[test]
    fn a_version_is_a_whole_number_from_one_to_the_width_of_its_key() {
        assert_eq!(parse_version("version", "1"), Ok(1));
        assert_eq!(parse_version("version", "000042"), Ok(42));
        assert_eq!(parse_version("version", "999999"), Ok(MAX_VERSION));
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            " 1",
            "1.0",
            "abc",
            "1000000",
            "99999999999999999999",
        ] {
            let err = parse_version("version", bad).unwrap_err();
            assert_eq!(err.code(), "invalid_field", "{bad:?}");
            assert!(err.to_string().starts_with("version: "), "{bad:?}: {err}");
        }
    }

    #[test]
    fn a_full_policy_document_is_accepted() {
        let d = doc(json!({
            "passcode": {"min_length": 6, "complexity": "numeric", "max_failed_attempts": 10, "auto_lock_seconds": 300},
            "restrictions": {"camera_disabled": true, "debugging_disabled": true},
            "wifi": [
                {"ssid": "Office", "security": "wpa2_psk", "password": "correct horse"},
                {"ssid": "Corp", "security": "wpa2_enterprise", "certificate": "corp-id"}
            ],
            "vpn": {"name": "Corp VPN", "kind": "ikev2", "server": "vpn.example.com", "always_on": true},
            "email": [{"kind": "imap", "account_name": "Mail", "host": "imap.example.com", "smtp_host": "smtp.example.com"}],
            "certificates": [{"name": "corp-id", "kind": "pkcs12", "data_base64": "AAEC"}],
            "apps": {"mode": "deny_list", "apps": ["com.example.game"]},
            "kiosk": {"apps": ["com.example.pos"], "emergency_dialer_allowed": true},
            "app_config": {"com.example.mail": {"server": "mail.example.com"}}
        }))
        .unwrap();
        assert_eq!(d.fingerprint().len(), 16);
    }

    #[test]
    fn a_bad_field_is_named_by_its_path() {
        for (v, field) in [
            (
                json!({"passcode": {"min_length": 2, "complexity": "any"}}),
                "passcode.min_length",
            ),
            (
                json!({"wifi": [{"ssid": "A", "security": "open"}, {"ssid": "B", "security": "wpa2_psk", "password": "short"}]}),
                "wifi[1].password",
            ),
            (
                json!({"wifi": [{"ssid": "A", "security": "wpa2_enterprise", "certificate": "nope"}]}),
                "wifi[0].certificate",
            ),
            (json!({"vpn": {"name": "V", "kind": "app"}}), "vpn.app_id"),
            (
                json!({"email": [{"kind": "pop", "account_name": "M", "host": "pop.example.com"}]}),
                "email[0].smtp_host",
            ),
            (
                json!({"certificates": [{"name": "c", "kind": "root", "data_base64": "%%%"}]}),
                "certificates[0].data_base64",
            ),
            (
                json!({"apps": {"mode": "allow_list", "apps": ["not an id"]}}),
                "apps.apps[0]",
            ),
            (json!({"kiosk": {"apps": []}}), "kiosk.apps"),
        ] {
            let err = doc(v).unwrap_err();
            assert!(err.starts_with(field), "{field}: {err}");
        }
        assert!(
            doc(json!({"passcode": {"min_length": 6, "complexity": "any", "extra": 1}})).is_err()
        );
        assert!(doc(json!({"unknown_section": {}})).is_err());
    }

    #[test]
    fn merging_takes_each_section_from_the_highest_precedence_document_that_sets_it() {
        let device = doc(json!({"restrictions": {"camera_disabled": false}})).unwrap();
        let group = doc(json!({"restrictions": {"camera_disabled": true}, "kiosk": {"apps": ["com.example.pos"]}})).unwrap();
        let tenant = doc(json!({"passcode": {"min_length": 4, "complexity": "any"}, "kiosk": {"apps": ["com.example.other"]}})).unwrap();
        let merged = PolicyDocument::merge([&device, &group, &tenant]);
        assert_eq!(merged.restrictions.unwrap().camera_disabled, Some(false));
        assert_eq!(merged.kiosk.unwrap().apps, vec!["com.example.pos"]);
        assert_eq!(merged.passcode.unwrap().min_length, 4);
    }

    #[test]
    fn equal_documents_have_equal_fingerprints_and_different_ones_do_not() {
        let a = doc(json!({"restrictions": {"camera_disabled": true}})).unwrap();
        let b = doc(json!({"restrictions": {"camera_disabled": true}})).unwrap();
        let c = doc(json!({"restrictions": {"camera_disabled": false}})).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
