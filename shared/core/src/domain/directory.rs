//! The device directory's pure rules: which shard a device lives in, the opaque listing cursor,
//! dotted-version comparison and the listing filters, parsed at the edge and applied in memory
//! after each query (the table has no secondary indexes to filter with).

use std::cmp::Ordering;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::command::e164;
use super::device::{serial, short_text};
use super::{DeviceId, DeviceState, Imei, Platform};
use crate::error::Error;

/// Shards of a tenant's directory. A partition takes at most 1,000 writes/s; directory writes
/// come from enrolments, state changes and the hourly last-seen refresh, so 16 shards let one
/// tenant write ~16,000 directory items/s (a million devices all refreshing within one minute is
/// ~17,000/s, a million refreshing evenly over the hour ~280/s), while a full listing walks only
/// 16 partitions.
pub const DIRECTORY_SHARDS: u32 = 16;

/// FNV-1a (64 bit): unlike std's hasher it is fixed for good, and what it decides is stored.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The shard of a device: a device's directory item must be found under the same shard by
/// every release.
pub fn shard_of(device: &DeviceId) -> u32 {
    (fnv1a(device.as_str()) % u64::from(DIRECTORY_SHARDS)) as u32
}

const HOUR_MS: i64 = 3_600_000;

/// What the device's hot item keeps about the last directory refresh, as one small number
/// because every check-in pays for its bytes: the hour of the refresh times 100 plus a
/// two-digit hash of the OS version written. A hash collision (1 in 100) only delays an OS
/// change in the directory until the next hour's refresh.
pub fn refresh_mark(now_ms: i64, os_version: &str) -> i64 {
    (now_ms / HOUR_MS) * 100 + (fnv1a(os_version) % 100) as i64
}

/// Whether a check-in should refresh the directory: the first check-in of each clock hour (so
/// the directory's last_seen is less than an hour behind, for one refresh per device per hour
/// at most) or one reporting another OS version.
pub fn needs_refresh(mark: Option<i64>, now_ms: i64, os_version: &str) -> bool {
    mark.is_none_or(|m| m != refresh_mark(now_ms, os_version))
}

/// Where a listing resumes: a shard and the last device id returned from it (None: its start).
/// The tenant is not in it: every page is read from the caller's own tenant, re-derived from
/// its token, so a forged cursor can at worst skip devices of that same tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryCursor {
    pub shard: u32,
    pub after: Option<DeviceId>,
}

const CURSOR_VERSION: &str = "d1";

impl DirectoryCursor {
    pub fn encode(&self) -> String {
        let after = self.after.as_ref().map_or("", DeviceId::as_str);
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}:{}:{after}", self.shard))
    }

    pub fn decode(s: &str) -> Result<Self, Error> {
        let bad = || Error::invalid_field("cursor", "not a cursor this listing returned");
        if s.len() > 128 {
            return Err(bad());
        }
        let raw = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let text = String::from_utf8(raw).map_err(|_| bad())?;
        let mut parts = text.splitn(3, ':');
        let (Some(CURSOR_VERSION), Some(shard), Some(after)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let number: u32 = shard.parse().map_err(|_| bad())?;
        // Only the canonical spelling: "01" or "+1" were never handed out.
        if number >= DIRECTORY_SHARDS || number.to_string() != shard {
            return Err(bad());
        }
        let shard = number;
        let after = if after.is_empty() {
            None
        } else {
            Some(DeviceId::parse(after).map_err(|_| bad())?)
        };
        Ok(Self { shard, after })
    }
}

/// Compares dotted versions numerically ("9.3" < "10.0", "15" == "15.0"). Only the leading
/// run of numeric components counts; a version without any ("beta") is None.
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (numeric_parts(a)?, numeric_parts(b)?);
    let n = a.len().max(b.len());
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    Some(
        (0..n)
            .map(|i| at(&a, i).cmp(&at(&b, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
    )
}

fn numeric_parts(v: &str) -> Option<Vec<u64>> {
    let parts: Vec<u64> = v
        .trim()
        .split('.')
        .map_while(|p| p.parse::<u64>().ok())
        .collect();
    (!parts.is_empty()).then_some(parts)
}

/// Who owns a device; set at enrolment (corporate until an owner slice says otherwise).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Ownership {
    #[default]
    Corporate,
    Personal,
}

/// The device's compliance as a policy slice will compute it; unknown until then.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Compliance {
    #[default]
    Unknown,
    Compliant,
    Noncompliant,
}

/// Which states a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    /// Everything but retired devices (the default).
    Active,
    All,
    Only(DeviceState),
}

/// The filters of a device listing, every one optional; a device must match them all.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceFilter {
    pub platform: Option<Platform>,
    pub os_version: Option<String>,
    pub os_version_below: Option<String>,
    pub state: StateFilter,
    pub ownership: Option<Ownership>,
    pub group: Option<String>,
    pub compliance: Option<Compliance>,
    /// Epoch ms; last seen strictly before / at or after (1 h granularity, see docs/adr/0002-directory-shards.md).
    pub last_seen_before: Option<i64>,
    pub last_seen_after: Option<i64>,
}

/// The filters as they arrive in the query string.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceFilterParams {
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub os_version: Option<String>,
    #[serde(default)]
    pub os_version_below: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub ownership: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub compliance: Option<String>,
    #[serde(default)]
    pub last_seen_before: Option<String>,
    #[serde(default)]
    pub last_seen_after: Option<String>,
}

fn enum_param<T: serde::de::DeserializeOwned>(
    field: &str,
    v: Option<&String>,
    allowed: &str,
) -> Result<Option<T>, Error> {
    v.map(|s| {
        serde_json::from_value(serde_json::Value::String(s.clone()))
            .map_err(|_| Error::invalid_field(field, format!("must be one of {allowed}")))
    })
    .transpose()
}

fn time_param(field: &str, v: Option<&String>) -> Result<Option<i64>, Error> {
    v.map(|s| super::time::parse_rfc3339(field, s)).transpose()
}

impl DeviceFilterParams {
    pub fn parse(&self) -> Result<DeviceFilter, Error> {
        let platform = self
            .platform
            .as_deref()
            .map(|p| {
                Platform::parse(p).ok_or_else(|| {
                    Error::invalid_field("platform", "must be android, ios or macos")
                })
            })
            .transpose()?;
        if let Some(v) = &self.os_version {
            short_text("os_version", v, 50)?;
        }
        if let Some(v) = &self.os_version_below
            && (v.len() > 50 || numeric_parts(v).is_none_or(|p| p.len() != v.split('.').count()))
        {
            return Err(Error::invalid_field(
                "os_version_below",
                "must be a dotted version of numbers such as 16.4",
            ));
        }
        let state = match self.state.as_deref() {
            None => StateFilter::Active,
            Some("all") => StateFilter::All,
            Some(s) => StateFilter::Only(
                enum_param(
                    "state",
                    Some(&s.to_owned()),
                    "enrolled, wiped, unenrolled, retired, all",
                )?
                .unwrap_or(DeviceState::Enrolled),
            ),
        };
        if let Some(g) = &self.group {
            short_text("group", g, 100)?;
        }
        let filter = DeviceFilter {
            platform,
            os_version: self.os_version.clone(),
            os_version_below: self.os_version_below.clone(),
            state,
            ownership: enum_param("ownership", self.ownership.as_ref(), "corporate, personal")?,
            group: self.group.clone(),
            compliance: enum_param(
                "compliance",
                self.compliance.as_ref(),
                "unknown, compliant, noncompliant",
            )?,
            last_seen_before: time_param("last_seen_before", self.last_seen_before.as_ref())?,
            last_seen_after: time_param("last_seen_after", self.last_seen_after.as_ref())?,
        };
        Ok(filter)
    }
}

/// The directory fields a filter looks at.
pub struct Listed<'a> {
    pub platform: Platform,
    pub os_version: &'a str,
    pub state: DeviceState,
    pub ownership: Ownership,
    pub groups: &'a [String],
    pub compliance: Compliance,
    pub last_seen: Option<i64>,
}

impl DeviceFilter {
    pub fn matches(&self, d: &Listed<'_>) -> bool {
        let state_ok = match self.state {
            StateFilter::Active => d.state != DeviceState::Retired,
            StateFilter::All => true,
            StateFilter::Only(s) => d.state == s,
        };
        let below_ok = self
            .os_version_below
            .as_deref()
            .is_none_or(|max| compare_versions(d.os_version, max) == Some(Ordering::Less));
        state_ok
            && below_ok
            && self.platform.is_none_or(|p| p == d.platform)
            && self.os_version.as_deref().is_none_or(|v| v == d.os_version)
            && self.ownership.is_none_or(|o| o == d.ownership)
            && self.group.as_ref().is_none_or(|g| d.groups.contains(g))
            && self.compliance.is_none_or(|c| c == d.compliance)
            && self
                .last_seen_before
                .is_none_or(|t| d.last_seen.is_some_and(|s| s < t))
            && self
                .last_seen_after
                .is_none_or(|t| d.last_seen.is_some_and(|s| s >= t))
    }
}

/// One hardware or subscriber identifier a device can be looked up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    Imei(String),
    Imsi(String),
    PhoneNumber(String),
    Serial(String),
}

impl Identifier {
    pub fn kind(&self) -> &'static str {
        match self {
            Identifier::Imei(_) => "imei",
            Identifier::Imsi(_) => "imsi",
            Identifier::PhoneNumber(_) => "phone_number",
            Identifier::Serial(_) => "serial",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Identifier::Imei(v)
            | Identifier::Imsi(v)
            | Identifier::PhoneNumber(v)
            | Identifier::Serial(v) => v,
        }
    }

    pub fn imei(v: &str) -> Result<Self, Error> {
        Ok(Identifier::Imei(Imei::parse(v)?.as_str().to_owned()))
    }

    pub fn imsi(v: &str) -> Result<Self, Error> {
        imsi("imsi", v)?;
        Ok(Identifier::Imsi(v.to_owned()))
    }

    pub fn phone_number(v: &str) -> Result<Self, Error> {
        e164("phone_number", v)?;
        Ok(Identifier::PhoneNumber(v.to_owned()))
    }

    pub fn serial(v: &str) -> Result<Self, Error> {
        serial("serial", v)?;
        Ok(Identifier::Serial(v.to_owned()))
    }
}

/// An IMSI: 6 to 15 digits.
pub fn imsi(field: &str, v: &str) -> Result<(), Error> {
    if (6..=15).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::invalid_field(field, "must be 6 to 15 digits"))
    }
}

/// A lookup as it arrives in the query string: exactly one parameter.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupParams {
    #[serde(default)]
    #[schemars(regex(pattern = r"^[0-9]{15}$"))]
    pub imei: Option<String>,
    #[serde(default)]
    #[schemars(regex(pattern = r"^[0-9]{6,15}$"))]
    pub imsi: Option<String>,
    #[serde(default)]
    #[schemars(regex(pattern = crate::domain::command::E164))]
    pub phone_number: Option<String>,
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]{1,64}$"))]
    pub serial: Option<String>,
}

impl LookupParams {
    pub fn parse(&self) -> Result<Identifier, Error> {
        let given = [&self.imei, &self.imsi, &self.phone_number, &self.serial]
            .iter()
            .filter(|p| p.is_some())
            .count();
        if given != 1 {
            return Err(Error::Invalid(
                "give exactly one of imei, imsi, phone_number, serial".into(),
            ));
        }
        match (&self.imei, &self.imsi, &self.phone_number, &self.serial) {
            (Some(v), ..) => Identifier::imei(v),
            (_, Some(v), ..) => Identifier::imsi(v),
            (_, _, Some(v), _) => Identifier::phone_number(v),
            (.., Some(v)) => Identifier::serial(v),
            _ => Err(Error::Invalid("no lookup parameter".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DeviceId {
        DeviceId::parse(s).unwrap()
    }

    #[test]
    fn a_cursor_survives_its_round_trip() {
        for c in [
            DirectoryCursor {
                shard: 0,
                after: None,
            },
            DirectoryCursor {
                shard: 15,
                after: Some(id("01JDEVICE7")),
            },
        ] {
            assert_eq!(DirectoryCursor::decode(&c.encode()), Ok(c));
        }
    }

    #[test]
    fn a_garbled_or_forged_cursor_is_an_invalid_cursor_field() {
        let forged = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for bad in [
            String::new(),
            "!!!".into(),
            "x".repeat(200),
            forged("d1:16:"),
            forged("d1:-1:"),
            forged("d1:01:"),
            forged("d1:+1:"),
            forged("d2:1:"),
            forged("d1:1:T#globex#D#x"),
            forged("d1:1"),
            URL_SAFE_NO_PAD.encode([0xff, 0xfe]),
        ] {
            match DirectoryCursor::decode(&bad) {
                Err(Error::InvalidField { field, .. }) => assert_eq!(field, "cursor", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn versions_compare_by_number_not_by_text() {
        use Ordering::*;
        assert_eq!(compare_versions("9.3", "10.0"), Some(Less));
        assert_eq!(compare_versions("15", "15.0.0"), Some(Equal));
        assert_eq!(compare_versions("16.4.1", "16.4"), Some(Greater));
        assert_eq!(compare_versions("17.0 beta", "17.1"), Some(Less));
        assert_eq!(compare_versions("beta", "1"), None);
    }

    #[test]
    fn shards_are_stable_and_spread_devices() {
        // Fixed for good: a change here would lose every stored directory item.
        assert_eq!(shard_of(&id("a")), 12);
        assert_eq!(shard_of(&id("01JDEVICE7")), shard_of(&id("01JDEVICE7")));
        let mut counts = [0u32; DIRECTORY_SHARDS as usize];
        for n in 0..16_000 {
            counts[shard_of(&id(&format!("01J{n:020}"))) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn the_directory_is_refreshed_once_per_clock_hour_or_on_a_new_os() {
        let hour = 1_800_000_000_000; // an hour boundary
        let mark = refresh_mark(hour, "15");
        assert!(!needs_refresh(Some(mark), hour + 59 * 60_000, "15"));
        assert!(needs_refresh(Some(mark), hour + HOUR_MS, "15"));
        assert!(needs_refresh(Some(mark), hour + 1, "16"));
        assert!(needs_refresh(None, hour, "15"));
        // Eight digits until 2084: the hot item grows by at most 15 bytes.
        assert_eq!(mark.to_string().len(), 8);
    }

    #[test]
    fn filters_refuse_bad_values_by_field_name() {
        let field = |p: DeviceFilterParams| match p.parse() {
            Err(Error::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let p = DeviceFilterParams::default;
        assert_eq!(
            field(DeviceFilterParams {
                platform: Some("nokia".into()),
                ..p()
            }),
            "platform"
        );
        assert_eq!(
            field(DeviceFilterParams {
                state: Some("gone".into()),
                ..p()
            }),
            "state"
        );
        assert_eq!(
            field(DeviceFilterParams {
                os_version_below: Some("16.x".into()),
                ..p()
            }),
            "os_version_below"
        );
        assert_eq!(
            field(DeviceFilterParams {
                last_seen_after: Some("yesterday".into()),
                ..p()
            }),
            "last_seen_after"
        );
        assert_eq!(
            field(DeviceFilterParams {
                ownership: Some("mine".into()),
                ..p()
            }),
            "ownership"
        );
    }

    #[test]
    fn a_lookup_takes_exactly_one_valid_identifier() {
        let one = LookupParams {
            phone_number: Some("+14155550100".into()),
            ..Default::default()
        };
        assert_eq!(
            one.parse(),
            Ok(Identifier::PhoneNumber("+14155550100".into()))
        );
        let two = LookupParams {
            imsi: Some("310150123456789".into()),
            serial: Some("A1".into()),
            ..Default::default()
        };
        assert!(matches!(two.parse(), Err(Error::Invalid(_))));
        assert!(matches!(
            LookupParams::default().parse(),
            Err(Error::Invalid(_))
        ));
        let bad = LookupParams {
            imei: Some("490154203237519".into()),
            ..Default::default()
        };
        assert!(matches!(bad.parse(), Err(Error::InvalidField { field, .. }) if field == "imei"));
    }
}
