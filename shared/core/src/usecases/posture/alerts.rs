//! What the tenant's admins are alerted to, readable for the whole tenant or one device, newest
//! first, and each device's compliance as the last evaluation left it.
//!
//! Alerts come from `alert_admins` ladder steps (`kind: compliance`, naming the rule) and from
//! the data caps (`kind: data_usage`: 50, 75 and 90 % of the cap, each once per month; the cap
//! itself fails the rule). `GET /v1/alerts` (or `?device=`) and `GET /v1/devices/{id}/alerts`
//! list them newest first, merged from the 16 alert shards (a device: its shard only; see
//! `timeline`); they are kept as long as the audit log (their TTL is the audit retention).

use serde::Serialize;

use crate::domain::DeviceId;
use crate::domain::compliance::{Action, RuleKind};
use crate::domain::directory::DIRECTORY_SHARDS;
use crate::domain::directory::shard_of;
use crate::domain::time::rfc3339;
use crate::domain::time::secs_from_ms;
use crate::error::Error;
use crate::ports::Principal;
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{AlertRecord, ComplianceRecord, DeviceRecord, from_item};
use crate::usecases::Page;
use crate::usecases::fleet::timeline::{Take, newest_first, start_of};
use crate::usecases::fleet::views::Listing;
use crate::usecases::{READERS, require_role};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AlertView {
    pub at: String,
    pub device: String,
    /// `compliance` or `data_usage`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleKind>,
    pub message: String,
}

/// The tenant's alerts (or one device's), newest first.
pub async fn list(
    svc: &Services,
    who: &Principal,
    device: Option<&DeviceId>,
    page: Page,
) -> Result<Listing<AlertView>, Error> {
    require_role(who, READERS, "read alerts")?;
    let limit = page.limit();
    let t = &who.tenant;
    let pks = match device {
        Some(d) => vec![keys::alerts_pk(t, shard_of(d))],
        None => (0..DIRECTORY_SHARDS)
            .map(|s| keys::alerts_pk(t, s))
            .collect(),
    };
    let start = start_of(page.cursor(), None)?;
    let now_secs = secs_from_ms(svc.now());
    newest_first(svc, pks, start, limit, |item| {
        let r: AlertRecord = from_item(item)?;
        let wanted = r.ttl > now_secs && device.is_none_or(|d| r.device == d.as_str());
        Ok(if wanted {
            Take::Keep(AlertView {
                at: rfc3339(r.at),
                device: r.device,
                kind: r.kind,
                rule: r.rule,
                message: r.message,
            })
        } else {
            Take::Skip
        })
    })
    .await
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FailingRuleView {
    pub rule: RuleKind,
    pub reason: String,
    /// RFC 3339: when the rule started failing (its ladder counts from then).
    pub since: String,
    pub steps_fired: usize,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ComplianceView {
    /// `unknown` (no rules, or not evaluated yet), `compliant` or `noncompliant`.
    pub status: crate::domain::directory::Compliance,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules_version: Option<String>,
    pub failing: Vec<FailingRuleView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<crate::usecases::posture::compliance::NextStep>,
    /// Rules whose ladder cut corporate access (given back when all of them pass).
    pub blocking: Vec<RuleKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluated_at: Option<String>,
}

/// A device's compliance: failing rules with their reasons, and what happens next.
pub async fn of_device(
    svc: &Services,
    who: &Principal,
    d: &DeviceId,
) -> Result<ComplianceView, Error> {
    require_role(who, READERS, "read devices")?;
    let t = &who.tenant;
    let Some(hot) = svc.table.get(&keys::device(t, d), false).await? else {
        return Err(Error::NotFound("device"));
    };
    let hot: DeviceRecord = from_item(&hot)?;
    let rec: ComplianceRecord = match svc.table.get(&keys::compliance(t, d), false).await? {
        Some(item) => from_item(&item)?,
        None => ComplianceRecord::default(),
    };
    use crate::domain::directory::Compliance;
    let status = match (&rec.rules_version, rec.evaluated_at) {
        (Some(_), Some(_)) if rec.failing.is_empty() => Compliance::Compliant,
        (Some(_), Some(_)) => Compliance::Noncompliant,
        _ => Compliance::Unknown,
    };
    let next_step = hot
        .cs
        .as_ref()
        .and_then(|s| s.next)
        .map(
            |(at, action): (i64, Action)| crate::usecases::posture::compliance::NextStep {
                action,
                at: rfc3339(at),
            },
        );
    Ok(ComplianceView {
        status,
        rules_version: rec.rules_version,
        failing: rec
            .failing
            .iter()
            .map(|(rule, f)| FailingRuleView {
                rule: *rule,
                reason: f.reason.clone(),
                since: rfc3339(f.since),
                steps_fired: f.fired,
            })
            .collect(),
        next_step,
        blocking: rec.blocked_by.into_iter().collect(),
        evaluated_at: rec.evaluated_at.map(rfc3339),
    })
}
