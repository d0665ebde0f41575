//! Compliance rules (a section of a policy), what a device's facts say about each, and the
//! escalation ladder that turns a rule failing for long enough into actions: pure functions,
//! so every backend and the scheduled sweep decide exactly the same thing at the same instant.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::command::app_identifier;
use crate::domain::time::ms_from_secs;
use crate::error::Error;

/// Longest delay a ladder step may wait for (a year).
pub const MAX_STEP_DELAY_SECS: i64 = 365 * 86_400;
/// Most steps on one ladder.
pub const MAX_STEPS: usize = 10;

/// What a ladder step does when it fires.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Show the user which rule fails and by when to fix it (a `message` command).
    NotifyUser,
    /// Raise an alert for the tenant's admins (alerts API, webhook).
    AlertAdmins,
    /// Cut corporate access; lifted again when every rule that blocked passes.
    BlockCorporateAccess,
    Lock,
    StartLostMode,
    EnterpriseWipe,
    Wipe,
}

impl Action {
    /// Every action, in a fixed order (the compact summary numbers them by it: append only).
    pub const ALL: [Action; 7] = [
        Action::NotifyUser,
        Action::AlertAdmins,
        Action::BlockCorporateAccess,
        Action::Lock,
        Action::StartLostMode,
        Action::EnterpriseWipe,
        Action::Wipe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::NotifyUser => "notify_user",
            Action::AlertAdmins => "alert_admins",
            Action::BlockCorporateAccess => "block_corporate_access",
            Action::Lock => "lock",
            Action::StartLostMode => "start_lost_mode",
            Action::EnterpriseWipe => "enterprise_wipe",
            Action::Wipe => "wipe",
        }
    }
}

/// One rung of a ladder: `action` fires `after_seconds` after the rule started failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// 0 (at once) to a year.
    #[schemars(range(min = 0, max = 31536000))]
    pub after_seconds: i64,
    pub action: Action,
}

/// A rule that needs nothing but its ladder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plain {
    /// The ladder; absent: the rule's default (see each rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Vec<Step>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MinOsVersion {
    /// Dotted numbers such as "14" or "17.4.1"; a device's version below it fails.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Vec<Step>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaxOffline {
    /// 1 to 8760 hours without a check-in.
    #[schemars(range(min = 1, max = 8760))]
    pub hours: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Vec<Step>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppRule {
    /// 1 to 100 package or bundle ids.
    pub apps: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Vec<Step>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GeofenceRule {
    /// 1 to 20 geofence ids of the tenant; the device must be inside one of them.
    pub geofences: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Vec<Step>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataCap {
    /// Bytes a device may use in a calendar month (1 MB to 100 TB). Alerts go out at 50, 75
    /// and 90 % once per month; the rule fails (and its ladder runs) at 100 %.
    #[schemars(range(min = 1000000, max = 100000000000000_u64))]
    pub monthly_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Vec<Step>>,
}

/// The compliance section of a policy: every rule is optional; a device fails the policy when
/// it fails one of its rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplianceRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_os_version: Option<MinOsVersion>,
    /// A passcode (screen lock) is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode_set: Option<Plain>,
    /// Storage is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<Plain>,
    /// Not rooted or jailbroken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_compromised: Option<Plain>,
    /// The last check-in is not older than this; evaluated by the scheduled sweep too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_offline: Option<MaxOffline>,
    /// None of these apps is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_apps: Option<AppRule>,
    /// All of these apps are installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_apps: Option<AppRule>,
    /// The SIM (IMSI) is the one the device enrolled with. Default ladder: alert the admins
    /// and lock, at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim_unchanged: Option<Plain>,
    /// The device is inside one of these geofences. Default ladder: alert the admins at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inside_geofence: Option<GeofenceRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_usage_cap: Option<DataCap>,
}

/// A rule's name: its field in the compliance section.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    MinOsVersion,
    PasscodeSet,
    Encrypted,
    NotCompromised,
    MaxOffline,
    DeniedApps,
    RequiredApps,
    SimUnchanged,
    InsideGeofence,
    DataUsageCap,
}

impl RuleKind {
    /// Every rule, in a fixed order (the compact summary's bit mask follows it: append only).
    pub const ALL: [RuleKind; 10] = [
        RuleKind::MinOsVersion,
        RuleKind::PasscodeSet,
        RuleKind::Encrypted,
        RuleKind::NotCompromised,
        RuleKind::MaxOffline,
        RuleKind::DeniedApps,
        RuleKind::RequiredApps,
        RuleKind::SimUnchanged,
        RuleKind::InsideGeofence,
        RuleKind::DataUsageCap,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::MinOsVersion => "min_os_version",
            RuleKind::PasscodeSet => "passcode_set",
            RuleKind::Encrypted => "encrypted",
            RuleKind::NotCompromised => "not_compromised",
            RuleKind::MaxOffline => "max_offline",
            RuleKind::DeniedApps => "denied_apps",
            RuleKind::RequiredApps => "required_apps",
            RuleKind::SimUnchanged => "sim_unchanged",
            RuleKind::InsideGeofence => "inside_geofence",
            RuleKind::DataUsageCap => "data_usage_cap",
        }
    }
}

fn bad(field: &str, message: &str) -> Error {
    Error::invalid_field(field, message)
}

fn validate_ladder(field: &str, ladder: Option<&Vec<Step>>) -> Result<(), Error> {
    let Some(steps) = ladder else { return Ok(()) };
    if steps.len() > MAX_STEPS {
        return Err(bad(field, &format!("holds at most {MAX_STEPS} steps")));
    }
    let mut last = -1;
    for (i, s) in steps.iter().enumerate() {
        if !(0..=MAX_STEP_DELAY_SECS).contains(&s.after_seconds) {
            return Err(bad(
                &format!("{field}[{i}].after_seconds"),
                "must be 0 to 31536000 (a year)",
            ));
        }
        if s.after_seconds < last {
            return Err(bad(
                &format!("{field}[{i}].after_seconds"),
                "steps come in the order they fire: no earlier than the step before",
            ));
        }
        last = s.after_seconds;
    }
    Ok(())
}

fn validate_apps(field: &str, apps: &[String]) -> Result<(), Error> {
    if !(1..=100).contains(&apps.len()) {
        return Err(bad(field, "must hold 1 to 100 apps"));
    }
    for (i, a) in apps.iter().enumerate() {
        app_identifier(&format!("{field}[{i}]"), a)?;
    }
    Ok(())
}

/// Parses dotted numbers, reading each component's leading digits ("17.4.1", "14-beta" as
/// 14): the part a version comparison can trust.
pub fn version_numbers(v: &str) -> Option<Vec<u64>> {
    let mut out = Vec::new();
    for part in v.trim().split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            break;
        }
        out.push(digits.parse().ok()?);
    }
    (!out.is_empty()).then_some(out)
}

/// Whether `v` is below `min`, missing components counting as zero ("14" equals "14.0").
pub fn version_below(v: &[u64], min: &[u64]) -> bool {
    let n = v.len().max(min.len());
    let at = |x: &[u64], i: usize| x.get(i).copied().unwrap_or(0);
    for i in 0..n {
        match at(v, i).cmp(&at(min, i)) {
            std::cmp::Ordering::Less => return true,
            std::cmp::Ordering::Greater => return false,
            std::cmp::Ordering::Equal => {}
        }
    }
    false
}

impl ComplianceRules {
    /// Checks every rule, naming the first bad field by its path under `compliance`.
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(r) = &self.min_os_version {
            if r.version.len() > 50 || version_numbers(&r.version).is_none() {
                return Err(bad(
                    "compliance.min_os_version.version",
                    "must be dotted numbers such as 14 or 17.4.1",
                ));
            }
            validate_ladder(
                "compliance.min_os_version.escalation",
                r.escalation.as_ref(),
            )?;
        }
        for (name, r) in [
            ("passcode_set", &self.passcode_set),
            ("encrypted", &self.encrypted),
            ("not_compromised", &self.not_compromised),
            ("sim_unchanged", &self.sim_unchanged),
        ] {
            if let Some(r) = r {
                validate_ladder(
                    &format!("compliance.{name}.escalation"),
                    r.escalation.as_ref(),
                )?;
            }
        }
        if let Some(r) = &self.max_offline {
            if !(1..=8760).contains(&r.hours) {
                return Err(bad("compliance.max_offline.hours", "must be 1 to 8760"));
            }
            validate_ladder("compliance.max_offline.escalation", r.escalation.as_ref())?;
        }
        for (name, r) in [
            ("denied_apps", &self.denied_apps),
            ("required_apps", &self.required_apps),
        ] {
            if let Some(r) = r {
                validate_apps(&format!("compliance.{name}.apps"), &r.apps)?;
                validate_ladder(
                    &format!("compliance.{name}.escalation"),
                    r.escalation.as_ref(),
                )?;
            }
        }
        if let Some(r) = &self.inside_geofence {
            if !(1..=20).contains(&r.geofences.len()) {
                return Err(bad(
                    "compliance.inside_geofence.geofences",
                    "must hold 1 to 20 geofence ids",
                ));
            }
            validate_ladder(
                "compliance.inside_geofence.escalation",
                r.escalation.as_ref(),
            )?;
        }
        if let Some(r) = &self.data_usage_cap {
            if !(1_000_000..=100_000_000_000_000).contains(&r.monthly_bytes) {
                return Err(bad(
                    "compliance.data_usage_cap.monthly_bytes",
                    "must be 1 MB to 100 TB",
                ));
            }
            validate_ladder(
                "compliance.data_usage_cap.escalation",
                r.escalation.as_ref(),
            )?;
        }
        Ok(())
    }

    /// The rules set, each with its ladder (the default where none is given).
    pub fn ladders(&self) -> BTreeMap<RuleKind, Vec<Step>> {
        fn or(ladder: &Option<Vec<Step>>, default: &[Step]) -> Vec<Step> {
            ladder.clone().unwrap_or_else(|| default.to_vec())
        }
        let alert = Step {
            after_seconds: 0,
            action: Action::AlertAdmins,
        };
        let lock = Step {
            after_seconds: 0,
            action: Action::Lock,
        };
        let mut out = BTreeMap::new();
        let mut add = |kind, ladder| {
            out.insert(kind, ladder);
        };
        if let Some(r) = &self.min_os_version {
            add(RuleKind::MinOsVersion, or(&r.escalation, &[]));
        }
        if let Some(r) = &self.passcode_set {
            add(RuleKind::PasscodeSet, or(&r.escalation, &[]));
        }
        if let Some(r) = &self.encrypted {
            add(RuleKind::Encrypted, or(&r.escalation, &[]));
        }
        if let Some(r) = &self.not_compromised {
            add(RuleKind::NotCompromised, or(&r.escalation, &[]));
        }
        if let Some(r) = &self.max_offline {
            add(RuleKind::MaxOffline, or(&r.escalation, &[]));
        }
        if let Some(r) = &self.denied_apps {
            add(RuleKind::DeniedApps, or(&r.escalation, &[]));
        }
        if let Some(r) = &self.required_apps {
            add(RuleKind::RequiredApps, or(&r.escalation, &[]));
        }
        if let Some(r) = &self.sim_unchanged {
            add(RuleKind::SimUnchanged, or(&r.escalation, &[alert, lock]));
        }
        if let Some(r) = &self.inside_geofence {
            add(RuleKind::InsideGeofence, or(&r.escalation, &[alert]));
        }
        if let Some(r) = &self.data_usage_cap {
            add(RuleKind::DataUsageCap, or(&r.escalation, &[alert]));
        }
        out
    }

    /// The apps any rule names: the only installed apps worth remembering between reports.
    pub fn named_apps(&self) -> BTreeSet<String> {
        [&self.denied_apps, &self.required_apps]
            .into_iter()
            .flatten()
            .flat_map(|r| r.apps.iter().cloned())
            .collect()
    }
}

/// The data usage thresholds that raise an alert, in percent of the cap.
pub const USAGE_ALERTS: [u8; 3] = [50, 75, 90];

/// A month's usage as a device reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataUsage {
    /// The calendar month counted, "YYYY-MM".
    #[schemars(regex(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$"))]
    pub period: String,
    /// Bytes used (mobile data) in that month so far.
    pub bytes: u64,
}

impl DataUsage {
    pub fn validate(&self) -> Result<(), Error> {
        let p = self.period.as_bytes();
        let ok = p.len() == 7
            && p[4] == b'-'
            && p[..4].iter().chain(&p[5..]).all(u8::is_ascii_digit)
            && matches!(self.period[5..].parse::<u8>(), Ok(1..=12));
        if ok {
            Ok(())
        } else {
            Err(bad("data_usage.period", "must be a month, YYYY-MM"))
        }
    }
}

/// Where a device stands on a geofence rule, as the engine last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Whereabouts {
    Inside,
    Outside,
}

/// What is known about a device, each fact absent until the device reported it: an unknown
/// fact never fails a rule (a device is not punished for what it has not said yet).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode_set: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<i64>,
    /// The installed apps among those the rules name; absent until an inventory report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apps: Option<BTreeSet<String>>,
    /// The IMSI the device enrolled with, and the one it has now (`Some(None)`: no SIM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolled_imsi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imsi: Option<Option<String>>,
    /// Devices that tell no IMSI (Apple's) are judged by the SIM's ICCID instead: the first one
    /// reported under the rule, and the latest one reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_iccid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whereabouts: Option<Whereabouts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<DataUsage>,
}

/// One rule's verdict with the reason shown to the device and the admins.
pub type Verdicts = BTreeMap<RuleKind, Result<(), String>>;

/// Judges each rule on the facts at `now`; rules whose facts are unknown pass.
pub fn judge(rules: &ComplianceRules, facts: &Facts, now: i64) -> Verdicts {
    let mut out = Verdicts::new();
    let mut put = |k, failed: bool, why: String| {
        out.insert(k, if failed { Err(why) } else { Ok(()) });
    };
    if let Some(r) = &rules.min_os_version {
        let below = facts
            .os_version
            .as_deref()
            .and_then(version_numbers)
            .zip(version_numbers(&r.version))
            .is_some_and(|(v, min)| version_below(&v, &min));
        put(
            RuleKind::MinOsVersion,
            below,
            format!(
                "OS version {} is below {}",
                facts.os_version.as_deref().unwrap_or("?"),
                r.version
            ),
        );
    }
    if rules.passcode_set.is_some() {
        put(
            RuleKind::PasscodeSet,
            facts.passcode_set == Some(false),
            "no passcode is set".into(),
        );
    }
    if rules.encrypted.is_some() {
        put(
            RuleKind::Encrypted,
            facts.encrypted == Some(false),
            "storage is not encrypted".into(),
        );
    }
    if rules.not_compromised.is_some() {
        put(
            RuleKind::NotCompromised,
            facts.compromised == Some(true),
            "the device is rooted or jailbroken".into(),
        );
    }
    if let Some(r) = &rules.max_offline {
        let limit = i64::from(r.hours) * 3_600_000;
        put(
            RuleKind::MaxOffline,
            facts.last_seen.is_some_and(|s| now - s > limit),
            format!("no check-in for more than {} hours", r.hours),
        );
    }
    if let Some(r) = &rules.denied_apps {
        let found: Vec<&str> = facts
            .apps
            .iter()
            .flatten()
            .filter(|a| r.apps.contains(a))
            .map(String::as_str)
            .collect();
        put(
            RuleKind::DeniedApps,
            !found.is_empty(),
            format!("denied apps installed: {}", found.join(", ")),
        );
    }
    if let Some(r) = &rules.required_apps {
        let missing: Vec<&str> = match &facts.apps {
            Some(apps) => r
                .apps
                .iter()
                .filter(|a| !apps.contains(*a))
                .map(String::as_str)
                .collect(),
            None => Vec::new(),
        };
        put(
            RuleKind::RequiredApps,
            !missing.is_empty(),
            format!("required apps missing: {}", missing.join(", ")),
        );
    }
    if rules.sim_unchanged.is_some() {
        let imsi_changed = match (&facts.enrolled_imsi, &facts.imsi) {
            (Some(enrolled), Some(now)) => now.as_ref() != Some(enrolled),
            _ => false,
        };
        let iccid_changed = facts.enrolled_imsi.is_none()
            && matches!((&facts.first_iccid, &facts.iccid), (Some(first), Some(now)) if first != now);
        let changed = imsi_changed || iccid_changed;
        let why = match &facts.imsi {
            Some(None) if imsi_changed => "the SIM was removed",
            _ => "the SIM is not the one the device enrolled with",
        };
        put(RuleKind::SimUnchanged, changed, why.into());
    }
    if rules.inside_geofence.is_some() {
        put(
            RuleKind::InsideGeofence,
            facts.whereabouts == Some(Whereabouts::Outside),
            "the device is outside its geofences".into(),
        );
    }
    if let Some(r) = &rules.data_usage_cap {
        let over = facts
            .usage
            .as_ref()
            .is_some_and(|u| u.bytes >= r.monthly_bytes);
        put(
            RuleKind::DataUsageCap,
            over,
            format!(
                "mobile data used this month is over the cap of {} bytes",
                r.monthly_bytes
            ),
        );
    }
    out
}

/// The data usage alerts a report newly crosses, given those already sent for its period.
pub fn usage_alerts_due(cap: u64, usage: &DataUsage, sent: &[u8]) -> Vec<u8> {
    USAGE_ALERTS
        .into_iter()
        .filter(|p| !sent.contains(p))
        .filter(|p| u128::from(usage.bytes) * 100 >= u128::from(cap) * u128::from(*p))
        .collect()
}

/// A rule the device fails: since when, why, and how many of its ladder's steps have fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failing {
    pub since: i64,
    pub reason: String,
    #[serde(default)]
    pub fired: usize,
}

/// A ladder step that is due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub rule: RuleKind,
    pub step: usize,
    pub action: Action,
    pub reason: String,
}

/// What an evaluation changes, decided from the rules, the state and the verdicts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The failing rules afterwards.
    pub failing: BTreeMap<RuleKind, Failing>,
    pub newly_failing: Vec<RuleKind>,
    pub newly_passing: Vec<RuleKind>,
    pub fire: Vec<Firing>,
    /// The next step that will fire if nothing changes: (when, rule, action).
    pub next_step: Option<(i64, RuleKind, Action)>,
}

/// Moves the ladders on: a rule that starts failing starts its ladder now, each step fires
/// once when due (steps a late evaluation finds overdue fire together, in order), and a rule
/// that passes again drops its ladder with whatever had not fired.
pub fn advance(
    ladders: &BTreeMap<RuleKind, Vec<Step>>,
    before: &BTreeMap<RuleKind, Failing>,
    verdicts: &Verdicts,
    now: i64,
) -> Plan {
    let mut plan = Plan::default();
    for (rule, verdict) in verdicts {
        let Some(ladder) = ladders.get(rule) else {
            continue;
        };
        match (verdict, before.get(rule)) {
            (Ok(()), Some(_)) => plan.newly_passing.push(*rule),
            (Ok(()), None) => {}
            (Err(reason), prior) => {
                let mut f = prior.cloned().unwrap_or(Failing {
                    since: now,
                    reason: reason.clone(),
                    fired: 0,
                });
                if prior.is_none() {
                    plan.newly_failing.push(*rule);
                }
                f.reason.clone_from(reason);
                while let Some(step) = ladder.get(f.fired)
                    && f.since + ms_from_secs(step.after_seconds) <= now
                {
                    plan.fire.push(Firing {
                        rule: *rule,
                        step: f.fired,
                        action: step.action,
                        reason: reason.clone(),
                    });
                    f.fired += 1;
                }
                if let Some(step) = ladder.get(f.fired) {
                    let at = f.since + ms_from_secs(step.after_seconds);
                    if plan.next_step.is_none_or(|(t, _, _)| at < t) {
                        plan.next_step = Some((at, *rule, step.action));
                    }
                }
                plan.failing.insert(*rule, f);
            }
        }
    }
    // A rule no longer in the policy is dropped like one that passes.
    for rule in before.keys() {
        if !verdicts.contains_key(rule) {
            plan.newly_passing.push(*rule);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const H: i64 = 3_600_000;

    fn rules(v: serde_json::Value) -> Result<ComplianceRules, String> {
        let r: ComplianceRules = serde_json::from_value(v).map_err(|e| e.to_string())?;
        r.validate().map_err(|e| e.to_string())?;
        Ok(r)
    }

    fn os_rules() -> ComplianceRules {
        rules(json!({"min_os_version": {"version": "14", "escalation": [
            {"after_seconds": 0, "action": "notify_user"},
            {"after_seconds": 3600, "action": "block_corporate_access"},
            {"after_seconds": 604800, "action": "wipe"}
        ]}}))
        .unwrap()
    }

    fn facts_os(v: &str) -> Facts {
        Facts {
            os_version: Some(v.into()),
            ..Facts::default()
        }
    }

    #[test]
    fn versions_compare_component_by_component_with_missing_parts_as_zero() {
        let below = |a: &str, b: &str| {
            version_below(&version_numbers(a).unwrap(), &version_numbers(b).unwrap())
        };
        assert!(below("13.9", "14"));
        assert!(below("9", "10"), "numbers, not text");
        assert!(!below("14", "14.0"));
        assert!(!below("14.0.1", "14"));
        assert!(below("17.4", "17.4.1"));
        assert!(!below("15-beta", "15"));
        assert_eq!(version_numbers("beta"), None);
    }

    #[test]
    fn a_ladder_fires_each_step_once_when_due_and_says_what_comes_next() {
        let r = os_rules();
        let ladders = r.ladders();
        let v = judge(&r, &facts_os("13"), 0);
        let first = advance(&ladders, &BTreeMap::new(), &v, 0);
        assert_eq!(first.newly_failing, vec![RuleKind::MinOsVersion]);
        assert_eq!(first.fire.len(), 1);
        assert_eq!(first.fire[0].action, Action::NotifyUser);
        assert_eq!(
            first.next_step,
            Some((H, RuleKind::MinOsVersion, Action::BlockCorporateAccess))
        );
        let again = advance(&ladders, &first.failing, &v, H - 1);
        assert!(again.fire.is_empty(), "nothing fires twice or early");
        let later = advance(&ladders, &first.failing, &v, H);
        assert_eq!(later.fire[0].action, Action::BlockCorporateAccess);
        assert_eq!(later.failing[&RuleKind::MinOsVersion].fired, 2);
        assert!(later.newly_failing.is_empty());
    }

    #[test]
    fn a_late_evaluation_fires_every_overdue_step_in_order() {
        let r = os_rules();
        let v = judge(&r, &facts_os("13"), 0);
        let plan = advance(&r.ladders(), &BTreeMap::new(), &v, 8 * 24 * H);
        // The rule starts failing when it is first seen failing, so only the first fires...
        assert_eq!(plan.fire.len(), 1);
        let before = BTreeMap::from([(
            RuleKind::MinOsVersion,
            Failing {
                since: 0,
                reason: "x".into(),
                fired: 1,
            },
        )]);
        // ...and a sweep that comes late fires what it finds overdue, in order.
        let plan = advance(&r.ladders(), &before, &v, 8 * 24 * H);
        let actions: Vec<_> = plan.fire.iter().map(|f| f.action).collect();
        assert_eq!(actions, vec![Action::BlockCorporateAccess, Action::Wipe]);
        assert_eq!(plan.next_step, None);
    }

    #[test]
    fn a_rule_that_passes_again_drops_its_ladder() {
        let r = os_rules();
        let failing = advance(
            &r.ladders(),
            &BTreeMap::new(),
            &judge(&r, &facts_os("13"), 0),
            0,
        );
        let fixed = advance(
            &r.ladders(),
            &failing.failing,
            &judge(&r, &facts_os("14.1"), H),
            H,
        );
        assert_eq!(fixed.newly_passing, vec![RuleKind::MinOsVersion]);
        assert!(fixed.failing.is_empty() && fixed.fire.is_empty() && fixed.next_step.is_none());
    }

    #[test]
    fn unknown_facts_fail_no_rule() {
        let r = rules(json!({
            "min_os_version": {"version": "14"}, "passcode_set": {}, "encrypted": {},
            "not_compromised": {}, "max_offline": {"hours": 24},
            "denied_apps": {"apps": ["com.bad"]}, "required_apps": {"apps": ["com.good"]},
            "sim_unchanged": {}, "inside_geofence": {"geofences": ["gf1"]},
            "data_usage_cap": {"monthly_bytes": 1000000}
        }))
        .unwrap();
        let v = judge(&r, &Facts::default(), 0);
        assert_eq!(v.len(), 10);
        assert!(v.values().all(Result::is_ok), "{v:?}");
    }

    #[test]
    fn each_rule_fails_on_the_fact_it_names() {
        let r = rules(json!({
            "passcode_set": {}, "encrypted": {}, "not_compromised": {},
            "max_offline": {"hours": 24}, "denied_apps": {"apps": ["com.bad"]},
            "required_apps": {"apps": ["com.good"]}, "sim_unchanged": {},
            "inside_geofence": {"geofences": ["gf1"]}, "data_usage_cap": {"monthly_bytes": 1000000}
        }))
        .unwrap();
        let facts = Facts {
            passcode_set: Some(false),
            encrypted: Some(false),
            compromised: Some(true),
            last_seen: Some(0),
            apps: Some(BTreeSet::from(["com.bad".to_owned()])),
            enrolled_imsi: Some("310150123456789".into()),
            imsi: Some(None),
            whereabouts: Some(Whereabouts::Outside),
            usage: Some(DataUsage {
                period: "2026-12".into(),
                bytes: 1_000_000,
            }),
            ..Facts::default()
        };
        let v = judge(&r, &facts, 25 * H);
        assert!(v.values().all(Result::is_err), "{v:?}");
        assert_eq!(
            v[&RuleKind::SimUnchanged],
            Err("the SIM was removed".into())
        );
        assert_eq!(
            v[&RuleKind::RequiredApps],
            Err("required apps missing: com.good".into())
        );
        assert!(judge(&r, &facts, 23 * H)[&RuleKind::MaxOffline].is_ok());
    }

    #[test]
    fn a_device_without_an_imsi_is_judged_by_the_iccid_it_first_reported() {
        let r = rules(json!({"sim_unchanged": {}})).unwrap();
        let mut facts = Facts {
            first_iccid: Some("89445000000000000001".into()),
            iccid: Some("89445000000000000001".into()),
            ..Facts::default()
        };
        assert!(judge(&r, &facts, 0)[&RuleKind::SimUnchanged].is_ok());
        facts.iccid = Some("89445000000000000002".into());
        assert_eq!(
            judge(&r, &facts, 0)[&RuleKind::SimUnchanged],
            Err("the SIM is not the one the device enrolled with".into())
        );
        // A device that enrolled with an IMSI is judged by its IMSI only.
        facts.enrolled_imsi = Some("310150123456789".into());
        facts.imsi = Some(Some("310150123456789".into()));
        assert!(judge(&r, &facts, 0)[&RuleKind::SimUnchanged].is_ok());
    }

    #[test]
    fn sim_and_geofence_rules_alert_by_default_and_the_sim_rule_locks() {
        let r = rules(json!({"sim_unchanged": {}, "inside_geofence": {"geofences": ["g"]}, "passcode_set": {}})).unwrap();
        let l = r.ladders();
        let actions = |k: RuleKind| l[&k].iter().map(|s| s.action).collect::<Vec<_>>();
        assert_eq!(
            actions(RuleKind::SimUnchanged),
            vec![Action::AlertAdmins, Action::Lock]
        );
        assert_eq!(actions(RuleKind::InsideGeofence), vec![Action::AlertAdmins]);
        assert!(actions(RuleKind::PasscodeSet).is_empty());
    }

    #[test]
    fn usage_alerts_go_out_once_per_threshold() {
        let cap = 1_000_000;
        let at = |bytes| DataUsage {
            period: "2026-12".into(),
            bytes,
        };
        assert!(usage_alerts_due(cap, &at(499_999), &[]).is_empty());
        assert_eq!(usage_alerts_due(cap, &at(500_000), &[]), vec![50]);
        assert_eq!(usage_alerts_due(cap, &at(950_000), &[50]), vec![75, 90]);
        assert!(usage_alerts_due(cap, &at(2_000_000), &[50, 75, 90]).is_empty());
    }

    #[test]
    fn bad_rules_name_their_field() {
        for (v, field) in [
            (
                json!({"min_os_version": {"version": "latest"}}),
                "compliance.min_os_version.version",
            ),
            (
                json!({"max_offline": {"hours": 0}}),
                "compliance.max_offline.hours",
            ),
            (
                json!({"denied_apps": {"apps": []}}),
                "compliance.denied_apps.apps",
            ),
            (
                json!({"required_apps": {"apps": ["no"]}}),
                "compliance.required_apps.apps[0]",
            ),
            (
                json!({"inside_geofence": {"geofences": []}}),
                "compliance.inside_geofence.geofences",
            ),
            (
                json!({"data_usage_cap": {"monthly_bytes": 5}}),
                "compliance.data_usage_cap.monthly_bytes",
            ),
            (
                json!({"passcode_set": {"escalation": [{"after_seconds": 60, "action": "lock"}, {"after_seconds": 0, "action": "wipe"}]}}),
                "compliance.passcode_set.escalation[1].after_seconds",
            ),
            (
                json!({"encrypted": {"escalation": [{"after_seconds": -1, "action": "lock"}]}}),
                "compliance.encrypted.escalation[0].after_seconds",
            ),
        ] {
            let err = rules(v).unwrap_err();
            assert!(err.starts_with(field), "{field}: {err}");
        }
        assert!(
            rules(
                json!({"passcode_set": {"escalation": [{"after_seconds": 0, "action": "explode"}]}})
            )
            .is_err()
        );
        assert!(rules(json!({"unknown_rule": {}})).is_err());
    }

    #[test]
    fn a_usage_period_is_a_month() {
        for ok in ["2026-12", "2027-01"] {
            assert!(
                DataUsage {
                    period: ok.into(),
                    bytes: 0
                }
                .validate()
                .is_ok()
            );
        }
        for bad in ["2026-13", "2026-1", "26-12", "2026/12", ""] {
            assert!(
                DataUsage {
                    period: bad.into(),
                    bytes: 0
                }
                .validate()
                .is_err(),
                "{bad}"
            );
        }
    }
}
