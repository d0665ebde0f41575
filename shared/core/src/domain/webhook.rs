//! Webhooks as the domain sees them: the catalogue of event types a tenant can subscribe to,
//! the rules a receiver's URL and addresses must pass (no requests into our own network), and
//! the signature receivers check. Pure functions: resolving names and sending are ports.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::Error;

/// Every event a tenant can subscribe to. The names are part of the public API (receivers
/// branch on them): never rename one.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum EventKind {
    #[serde(rename = "device.enrolled")]
    DeviceEnrolled,
    #[serde(rename = "device.unenrolled")]
    DeviceUnenrolled,
    #[serde(rename = "device.noncompliant")]
    DeviceNoncompliant,
    #[serde(rename = "device.compliant")]
    DeviceCompliant,
    #[serde(rename = "command.state_changed")]
    CommandStateChanged,
    #[serde(rename = "escalation.step_fired")]
    EscalationStepFired,
    #[serde(rename = "geofence.exited")]
    GeofenceExited,
    #[serde(rename = "sim.changed")]
    SimChanged,
    #[serde(rename = "data_usage.threshold")]
    DataUsageThreshold,
    /// The tenant's APNs push certificate expires in 30, 7 or 1 days (data: platform, topic,
    /// expires_at, days_left); without it Apple devices can no longer be woken.
    #[serde(rename = "push_certificate.expiring")]
    PushCertificateExpiring,
}

impl EventKind {
    pub const ALL: [EventKind; 10] = [
        EventKind::DeviceEnrolled,
        EventKind::DeviceUnenrolled,
        EventKind::DeviceNoncompliant,
        EventKind::DeviceCompliant,
        EventKind::CommandStateChanged,
        EventKind::EscalationStepFired,
        EventKind::GeofenceExited,
        EventKind::SimChanged,
        EventKind::DataUsageThreshold,
        EventKind::PushCertificateExpiring,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::DeviceEnrolled => "device.enrolled",
            EventKind::DeviceUnenrolled => "device.unenrolled",
            EventKind::DeviceNoncompliant => "device.noncompliant",
            EventKind::DeviceCompliant => "device.compliant",
            EventKind::CommandStateChanged => "command.state_changed",
            EventKind::EscalationStepFired => "escalation.step_fired",
            EventKind::GeofenceExited => "geofence.exited",
            EventKind::SimChanged => "sim.changed",
            EventKind::DataUsageThreshold => "data_usage.threshold",
            EventKind::PushCertificateExpiring => "push_certificate.expiring",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IP network in CIDR notation (`127.0.0.1/32`, `fd00::/8`): what the operator exempts from
/// the address rules (test receivers on loopback).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = s
            .trim()
            .split_once('/')
            .ok_or("a CIDR is <address>/<prefix>")?;
        let addr = canonical(
            addr.parse::<IpAddr>()
                .map_err(|_| format!("{addr:?} is not an IP address"))?,
        );
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| format!("the prefix must be 0 to {max}"))?;
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address it maps: judged as such,
/// or it would be a way around every IPv4 rule.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Why an address may not receive webhooks, or None for a public one. Requests from our
/// functions to these would reach our own host, network or cloud metadata (SSRF).
pub fn refused_because(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (CGNAT)")
    } else if ip.is_link_local() {
        // 169.254.169.254 is the cloud metadata service.
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_broadcast() || a >= 240 {
        Some("broadcast or reserved")
    } else if (a == 192 && b == 0 && ip.octets()[2] == 0) || (a == 198 && (b & 0xfe) == 18) {
        // 192.0.0.0/24 (protocol assignments) and 198.18.0.0/15 (benchmarking, often used
        // inside networks).
        Some("special-purpose")
    } else {
        None
    }
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if first & 0xfe00 == 0xfc00 {
        Some("unique local")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.to_ipv4().is_some() && first == 0 {
        // The deprecated IPv4-compatible form (::a.b.c.d), also a way around the IPv4 rules.
        Some("IPv4-compatible")
    } else if let Some(v4) = embedded_v4(ip) {
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they embed.
        refused_v4(v4)
    } else {
        None
    }
}

/// The IPv4 address a NAT64 or 6to4 address carries, which is where it ends up.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let seg = ip.segments();
    let o = ip.octets();
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]))
    } else if seg[0] == 0x2002 {
        Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]))
    } else {
        None
    }
}

/// A receiver's URL that passed the syntax rules; its addresses are checked separately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    pub url: String,
    pub https: bool,
    pub host: Host,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A name to resolve.
    Name(String),
    /// An address literal: nothing to resolve.
    Ip(IpAddr),
}

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

fn refused(reason: impl Into<String>) -> Error {
    Error::WebhookTargetRefused(reason.into())
}

impl WebhookUrl {
    /// Only http(s) URLs with a host and without credentials or a fragment; whether http is
    /// allowed depends on the addresses (`vet`).
    pub fn parse(raw: &str) -> Result<Self, Error> {
        if raw.len() > MAX_URL_LEN {
            return Err(Error::invalid_field(
                "url",
                format!("must be at most {MAX_URL_LEN} characters"),
            ));
        }
        let url =
            url::Url::parse(raw).map_err(|_| Error::invalid_field("url", "not an absolute URL"))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(refused("only https URLs receive webhooks")),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused(
                "a URL with credentials (user:password@) is refused; authenticate with the signature",
            ));
        }
        if url.fragment().is_some() {
            return Err(refused("a URL with a fragment (#...) is refused"));
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => Host::Name(name.to_ascii_lowercase()),
            Some(url::Host::Ipv4(v4)) => Host::Ip(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Host::Ip(IpAddr::V6(v6)),
            None => return Err(refused("the URL names no host")),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| refused("the URL names no port"))?;
        Ok(Self {
            url: url.to_string(),
            https,
            host,
            port,
        })
    }

    /// Names that are loopback by definition (RFC 6761 §6.3: `localhost` and `*.localhost`),
    /// answered without asking DNS, as the RFC asks of resolvers.
    pub fn special_addresses(&self) -> Option<Vec<IpAddr>> {
        match &self.host {
            Host::Ip(ip) => Some(vec![*ip]),
            Host::Name(n) if n == "localhost" || n.ends_with(".localhost") => Some(vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]),
            Host::Name(_) => None,
        }
    }

    /// Checks every address the host resolved to: each must be public or in `exempt`, and
    /// plain http is only for exempt addresses (a test receiver on loopback). Returns the
    /// address to connect to, so the connection goes where the check looked (no DNS rebinding).
    pub fn vet(&self, addresses: &[IpAddr], exempt: &[Cidr]) -> Result<IpAddr, Error> {
        let Some(first) = addresses.first() else {
            return Err(refused("the host does not resolve to any address"));
        };
        let mut all_exempt = true;
        for ip in addresses {
            if exempt.iter().any(|c| c.contains(*ip)) {
                continue;
            }
            all_exempt = false;
            if let Some(why) = refused_because(*ip) {
                return Err(refused(format!(
                    "the host resolves to {}, a {why} address",
                    canonical(*ip)
                )));
            }
        }
        if !self.https && !all_exempt {
            return Err(refused("only https URLs receive webhooks"));
        }
        Ok(*first)
    }
}

type HmacSha256 = Hmac<Sha256>;

/// The hex HMAC-SHA256 of `<t>.<body>` under `secret`: the `v1` of `Mdm-Signature`.
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `t=<unix secs>,v1=<sig>[,v1=<sig>]`: one `v1` per live secret (two while a rotation's
/// overlap lasts), newest first; a receiver accepts the request if any of them matches.
pub fn signature_header(secrets: &[&str], t: i64, body: &str) -> String {
    let mut header = format!("t={t}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&sign(secret, t, body));
    }
    header
}

/// One enabled endpoint's subscription: what `events::publish` sends where.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub webhook: super::WebhookId,
    pub events: Vec<EventKind>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_event_kind_round_trips_through_its_dotted_name() {
        for k in EventKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), k);
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("device.exploded"), None);
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        for refused in [
            "127.0.0.1",
            "127.0.0.2",
            "10.0.0.1",
            "172.16.3.4",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "198.18.0.1",
            "192.0.0.8",
        ] {
            assert!(refused_because(ip(refused)).is_some(), "{refused}");
        }
        for public in [
            "93.184.216.34",
            "100.128.0.1",
            "8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2002:5db8:d822::1",
        ] {
            assert_eq!(refused_because(ip(public)), None, "{public}");
        }
    }

    #[test]
    fn a_cidr_contains_exactly_its_addresses() {
        let one: Cidr = "127.0.0.1/32".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")));
        assert!(one.contains(ip("::ffff:127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));
        assert!(!one.contains(ip("::1")));
        let net: Cidr = "fd00::/8".parse().unwrap();
        assert!(net.contains(ip("fd12::1")) && !net.contains(ip("fe80::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("10.1.2.3")));
        for bad in ["127.0.0.1", "127.0.0.1/33", "nope/8", "::1/129"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_must_be_http_s_without_credentials_or_fragment() {
        let u = WebhookUrl::parse("https://Hooks.Example.com/in?x=1").unwrap();
        assert_eq!(
            (u.host.clone(), u.port, u.https),
            (Host::Name("hooks.example.com".into()), 443, true)
        );
        for bad in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "https://example.com/#frag",
            "file:///etc/passwd",
        ] {
            let e = WebhookUrl::parse(bad).unwrap_err();
            assert_eq!(e.code(), "webhook_target_refused", "{bad}");
        }
        assert_eq!(
            WebhookUrl::parse("not a url").unwrap_err().code(),
            "invalid_field"
        );
    }

    #[test]
    fn vetting_refuses_any_internal_address_unless_exempt_and_http_only_when_exempt() {
        let exempt: Vec<Cidr> = vec!["127.0.0.1/32".parse().unwrap()];
        let https = WebhookUrl::parse("https://hooks.example.com/").unwrap();
        let http = WebhookUrl::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(http.vet(&[ip("127.0.0.1")], &exempt), Ok(ip("127.0.0.1")));
        assert!(http.vet(&[ip("127.0.0.1")], &[]).is_err());
        assert!(
            https
                .vet(&[ip("93.184.216.34"), ip("10.0.0.1")], &[])
                .is_err()
        );
        assert!(https.vet(&[], &[]).is_err());
        let public_http = WebhookUrl::parse("http://93.184.216.34/").unwrap();
        assert!(public_http.vet(&[ip("93.184.216.34")], &exempt).is_err());
        let local = WebhookUrl::parse("https://hooks.localhost/").unwrap();
        let addrs = local.special_addresses().unwrap();
        assert!(local.vet(&addrs, &exempt).is_err(), "::1 is not exempt");
    }

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        // RFC 4231 test case 2 covers HMAC itself; this pins the signed string's shape.
        let header = signature_header(&["new", "old"], 1700000000, "{}");
        let parts: Vec<&str> = header.split(',').collect();
        assert_eq!(parts[0], "t=1700000000");
        assert_eq!(parts[1], format!("v1={}", sign("new", 1700000000, "{}")));
        assert_eq!(parts[2], format!("v1={}", sign("old", 1700000000, "{}")));
        assert_eq!(
            sign("Jefe", 0, "what do ya want for nothing?").len(),
            64,
            "hex of 32 bytes"
        );
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
