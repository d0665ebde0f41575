//! The decision of one compliance evaluation, with no I/O: from the device item, its stored
//! compliance state, what the caller brought and what was read for the rules, the plan of what
//! the state becomes and of every alert, audit entry, command, event and due entry that follows.
//! `now` comes in; the ids and timestamps of the writes are made by the write step (`writes`),
//! which carries the plan out in the order it lists them.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::CommandSpec;
use crate::domain::compliance::{
    Action, ComplianceRules, DataUsage, Facts, Firing, Plan, RuleKind, Step, USAGE_ALERTS,
    Whereabouts, advance, judge, usage_alerts_due,
};
use crate::domain::directory::Compliance;
use crate::domain::inventory::InventoryReport;
use crate::domain::time::{ms_from_secs, rfc3339};
use crate::store::records::{ComplianceRecord, ComplianceSummary, DeviceRecord};
use crate::store::summary::{month_index, os_hash};

/// What an evaluation read besides the device item and its compliance state, each only when
/// the rules need it (`reads`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reads {
    /// The stored inventory's report: read when the caller brought no report and the rules
    /// changed which apps matter.
    pub stored_report: Option<InventoryReport>,
    /// The SIM the directory says the device enrolled with: read under `sim_unchanged` until
    /// the state knows it.
    pub enrolment: Option<EnrolledSim>,
    /// Where the caller's fix puts the device with respect to its geofences; None when no fix
    /// was brought, no geofence rule applies, or the fix cannot tell.
    pub whereabouts: Option<Whereabouts>,
}

/// The SIM facts of a device's directory entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrolledSim {
    pub enrolled_imsi: Option<String>,
    pub imsi: Option<String>,
}

/// Everything one evaluation decides from.
pub struct Situation<'a> {
    pub now: i64,
    /// The device item (enrolled).
    pub hot: &'a DeviceRecord,
    /// The compliance state as stored (the default when none is).
    pub before: &'a ComplianceRecord,
    /// `before` with the caller's rules brought in (`with_rules`): the reads were chosen by it.
    pub state: ComplianceRecord,
    /// The inventory report the caller brought.
    pub inventory: Option<&'a InventoryReport>,
    /// The data usage the caller brought.
    pub usage: Option<&'a DataUsage>,
    pub reads: Reads,
}

/// What one evaluation does.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationPlan {
    /// The summary the device item holds afterwards (None: no rules).
    pub summary: Option<ComplianceSummary>,
    /// What to write; None when nothing changed, and then nothing is written.
    pub change: Option<Change>,
}

/// The writes of an evaluation that changed something, made in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The new compliance state, written whole under the revision read: `rev` one more,
    /// `evaluated_at` now. The device item gets the plan's summary beside it.
    pub record: ComplianceRecord,
    /// The other writes, and what is published after the commit, in the order they are made.
    pub effects: Vec<Effect>,
    /// A due entry for the sweep at this time, written after the effects (its slot is listed
    /// ahead of the transaction).
    pub due: Option<i64>,
}

/// One write of an evaluation besides its state, its device item and its due entry, or an
/// event it publishes after the commit.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A ladder step fired: its command, when it has one the device can run, is queued, then
    /// the audit entry `compliance.step_fired` and the event `escalation.step_fired` name it.
    StepFired {
        firing: Firing,
        command: Option<CommandSpec>,
    },
    /// An alert for the tenant's admins: `kind` is `compliance` or `data_usage`.
    Alert {
        kind: &'static str,
        rule: Option<RuleKind>,
        message: String,
    },
    /// A rule started failing: the audit entry `compliance.rule_failed`.
    RuleFailed { rule: RuleKind, reason: String },
    /// The device left its geofences: the event `geofence.exited` naming them.
    ExitedGeofences { geofences: Option<Vec<String>> },
    /// A rule passes again: the audit entry `compliance.rule_passed`.
    RulePassed { rule: RuleKind },
    /// A command queued outside a step (corporate access given back).
    Command(CommandSpec),
    /// A data usage threshold crossed: the event `data_usage.threshold` (its alert is the
    /// `Alert` before it).
    UsageThreshold {
        percent: u8,
        period: String,
        bytes: u64,
        cap: u64,
    },
    /// The directory's compliance changes, and `device.compliant` or `device.noncompliant`
    /// (naming the failing rules) is published.
    Status(Compliance),
}

/// The stored state with the rules the caller brought (a policy change) in place of those it
/// held, with their version.
pub fn with_rules(
    before: &ComplianceRecord,
    rules: Option<&Option<ComplianceRules>>,
) -> ComplianceRecord {
    let mut rec = before.clone();
    if let Some(rules) = rules {
        rec.rules_version = rules.as_ref().map(super::rules_version);
        rec.rules.clone_from(rules);
    }
    rec
}

/// Decides one evaluation.
pub fn plan(s: Situation<'_>) -> EvaluationPlan {
    let Situation {
        now,
        hot,
        before,
        state: mut rec,
        inventory,
        usage,
        reads,
    } = s;
    let rules = rec.rules.clone().unwrap_or_default();
    bring_facts(hot, inventory, usage, reads, &rules, &mut rec);

    let ladders = rules.ladders();
    let verdicts = judge(&rules, &rec.facts, now);
    let plan = advance(&ladders, &before.failing, &verdicts, now);
    rec.failing.clone_from(&plan.failing);

    let mut effects = Vec::new();
    for firing in &plan.fire {
        fire(hot, &ladders, &plan, firing, &mut rec, &mut effects);
    }
    for rule in &plan.newly_failing {
        let reason = plan.failing[rule].reason.clone();
        effects.push(Effect::RuleFailed {
            rule: *rule,
            reason,
        });
        if *rule == RuleKind::InsideGeofence {
            let geofences = rules.inside_geofence.as_ref().map(|r| r.geofences.clone());
            effects.push(Effect::ExitedGeofences { geofences });
        }
    }
    for rule in &plan.newly_passing {
        effects.push(Effect::RulePassed { rule: *rule });
        if rec.blocked_by.remove(rule) && rec.blocked_by.is_empty() {
            let spec = CommandSpec::UnblockCorporateAccess {
                reason: Some("compliant again".into()),
            };
            if let Some(spec) = queue(hot, spec, &mut effects) {
                effects.push(Effect::Command(spec));
            }
        }
    }
    usage_alerts(&rules, &mut rec, &mut effects);

    let status = match (rec.rules.is_some(), plan.failing.is_empty()) {
        (false, _) => Compliance::Unknown,
        (true, true) => Compliance::Compliant,
        (true, false) => Compliance::Noncompliant,
    };
    let previous = match (before.rules.is_some(), before.evaluated_at) {
        (true, Some(_)) if before.failing.is_empty() => Compliance::Compliant,
        (true, Some(_)) => Compliance::Noncompliant,
        _ => Compliance::Unknown,
    };
    if status != previous {
        effects.push(Effect::Status(status));
    }

    let next_due = next_due(&rules, &rec.facts, &plan);
    let mut due = None;
    if let Some(at) = next_due
        && rec.scheduled.is_none_or(|s| s <= now || s > at)
    {
        rec.scheduled = Some(at);
        due = Some(at);
    }
    let summary = rec
        .rules_version
        .as_ref()
        .map(|_| ComplianceSummary {
            os: os_hash(&hot.os_version),
            geo: rules.inside_geofence.is_some(),
            cap: rules
                .data_usage_cap
                .as_ref()
                .map(|cap| next_usage_mark(cap.monthly_bytes, &rec)),
            // A device failing max_offline is evaluated at its very next check-in (due long ago).
            due: if plan.failing.contains_key(&RuleKind::MaxOffline) {
                Some(0)
            } else {
                next_due
            },
            fail: plan.failing.keys().copied().collect(),
            next: plan.next_step.map(|(at, _, action)| (at, action)),
        })
        .map(ComplianceSummary::as_stored);

    // Every effect but the events is a write, and an event never comes without one: no effect
    // and no due entry means nothing to write besides the state and the summary.
    let unchanged = rec == *before && summary == hot.cs && effects.is_empty() && due.is_none();
    if unchanged {
        return EvaluationPlan {
            summary,
            change: None,
        };
    }
    rec.evaluated_at = Some(now);
    rec.rev = before.rev + 1;
    EvaluationPlan {
        summary,
        change: Some(Change {
            record: rec,
            effects,
            due,
        }),
    }
}

/// Brings the stored facts up to date with the device item, what the caller brought and what
/// was read.
fn bring_facts(
    hot: &DeviceRecord,
    inventory: Option<&InventoryReport>,
    usage: Option<&DataUsage>,
    reads: Reads,
    rules: &ComplianceRules,
    rec: &mut ComplianceRecord,
) {
    let facts = &mut rec.facts;
    facts.os_version = Some(hot.os_version.clone());
    facts.last_seen = hot.last_seen;
    let named = rules.named_apps();
    // The stored report was read only when the caller brought none.
    let report = inventory.or(reads.stored_report.as_ref());
    if let Some(r) = report {
        if r.passcode_set.is_some() {
            facts.passcode_set = r.passcode_set;
        }
        if r.encrypted.is_some() {
            facts.encrypted = r.encrypted;
        }
        if r.compromised.is_some() {
            facts.compromised = r.compromised;
        }
        if let Some(apps) = &r.apps {
            facts.apps = Some(
                apps.iter()
                    .map(|a| a.id.clone())
                    .filter(|a| named.contains(a))
                    .collect::<BTreeSet<_>>(),
            );
            rec.apps_for.clone_from(&rec.rules_version);
        }
        // Only a report the caller brought is news about the SIM.
        if inventory.is_some()
            && let Some(sim) = &r.sim
        {
            facts.imsi = Some(sim.imsi.clone());
            if let Some(iccid) = &sim.iccid {
                facts.iccid = Some(iccid.clone());
                if facts.first_iccid.is_none() {
                    facts.first_iccid = Some(iccid.clone());
                }
            }
        }
    }
    if let Some(entry) = reads.enrolment {
        facts.enrolled_imsi = entry.enrolled_imsi;
        if facts.imsi.is_none() {
            facts.imsi = Some(entry.imsi);
        }
    }
    if let Some(u) = usage {
        if facts
            .usage
            .as_ref()
            .is_none_or(|old| old.period != u.period)
        {
            rec.usage_alerts.clear();
        }
        facts.usage = Some(u.clone());
    }
    // An uncertain fix (or none) leaves the last known whereabouts standing.
    if let Some(w) = reads.whereabouts {
        facts.whereabouts = Some(w);
    }
}

/// The month counted and the usage (in MB) at which a report next matters: the next alert
/// threshold or the cap itself (past the cap, only a new month does).
fn next_usage_mark(cap: u64, rec: &ComplianceRecord) -> (u32, u64) {
    let month = rec
        .facts
        .usage
        .as_ref()
        .map_or(0, |u| month_index(&u.period));
    let over = rec.failing.contains_key(&RuleKind::DataUsageCap);
    let next_percent = USAGE_ALERTS
        .into_iter()
        .find(|p| !rec.usage_alerts.contains(p))
        .unwrap_or(100);
    let mark_mb = if over {
        u64::MAX
    } else {
        // Rounded down: a report may evaluate a little early, never too late.
        u64::try_from(u128::from(cap) * u128::from(next_percent) / 100 / 1_000_000)
            .unwrap_or(u64::MAX)
    };
    (month, mark_mb)
}

/// When the device must be evaluated again even if it says nothing: its next ladder step, or
/// the moment it has been offline too long.
fn next_due(rules: &ComplianceRules, facts: &Facts, plan: &Plan) -> Option<i64> {
    let offline = rules.max_offline.as_ref().and_then(|r| {
        let seen = facts.last_seen?;
        (!plan.failing.contains_key(&RuleKind::MaxOffline))
            .then(|| seen + i64::from(r.hours) * 3_600_000 + 1)
    });
    [plan.next_step.map(|(at, _, _)| at), offline]
        .into_iter()
        .flatten()
        .min()
}

/// Plans one ladder step: what it queues or raises, then the step itself.
fn fire(
    hot: &DeviceRecord,
    ladders: &BTreeMap<RuleKind, Vec<Step>>,
    plan: &Plan,
    f: &Firing,
    rec: &mut ComplianceRecord,
    effects: &mut Vec<Effect>,
) {
    let reason = &f.reason;
    let spec = match f.action {
        Action::NotifyUser => {
            let next = ladders.get(&f.rule).and_then(|l| l.get(f.step + 1));
            let since = plan.failing.get(&f.rule).map_or(0, |x| x.since);
            let text = match next {
                Some(s) => format!(
                    "This device does not meet your organisation's rules: {reason}. Unless it is fixed, {} follows at {}.",
                    s.action.as_str().replace('_', " "),
                    rfc3339(since + ms_from_secs(s.after_seconds))
                ),
                None => format!("This device does not meet your organisation's rules: {reason}."),
            };
            Some(CommandSpec::Message {
                text,
                title: Some("Compliance".into()),
            })
        }
        Action::AlertAdmins => {
            effects.push(Effect::Alert {
                kind: "compliance",
                rule: Some(f.rule),
                message: format!("{}: {reason}", f.rule.as_str()),
            });
            None
        }
        Action::BlockCorporateAccess => {
            let already = !rec.blocked_by.is_empty();
            rec.blocked_by.insert(f.rule);
            (!already).then(|| CommandSpec::BlockCorporateAccess {
                reason: Some(format!("compliance: {reason}")),
            })
        }
        // A Mac locks only with a PIN someone must know: not one made up here, so on a Mac the
        // step is refused for its platform and raises an alert instead.
        Action::Lock => Some(CommandSpec::Lock {
            message: Some(format!("Locked: {reason}")),
            phone_number: None,
            pin: None,
        }),
        Action::StartLostMode => Some(CommandSpec::StartLostMode {
            message: format!("This device is locked: {reason}"),
            phone_number: None,
            footnote: None,
        }),
        Action::EnterpriseWipe => Some(CommandSpec::EnterpriseWipe {}),
        Action::Wipe => Some(CommandSpec::Wipe {
            preserve_data_plan: false,
            pin: None,
        }),
    };
    let command = spec.and_then(|spec| queue(hot, spec, effects));
    effects.push(Effect::StepFired {
        firing: f.clone(),
        command,
    });
}

/// A command for the device, unless its platform cannot run it (then an alert says so
/// instead, planned here). Returns the command to queue.
fn queue(hot: &DeviceRecord, spec: CommandSpec, effects: &mut Vec<Effect>) -> Option<CommandSpec> {
    if matches!(spec, CommandSpec::Message { .. }) && !spec.supported_on(hot.platform) {
        // The platform shows no messages: the check-in reply tells the agent instead.
        return None;
    }
    if !spec.supported_on(hot.platform) || spec.validate().is_err() {
        effects.push(Effect::Alert {
            kind: "compliance",
            rule: None,
            message: format!(
                "{} could not be queued: {} devices cannot run it",
                spec.kind(),
                hot.platform.as_str()
            ),
        });
        return None;
    }
    Some(spec)
}

/// Plans the data usage alerts a report newly crossed, once per threshold and period.
fn usage_alerts(rules: &ComplianceRules, rec: &mut ComplianceRecord, effects: &mut Vec<Effect>) {
    let (Some(cap), Some(usage)) = (&rules.data_usage_cap, rec.facts.usage.clone()) else {
        return;
    };
    for percent in usage_alerts_due(cap.monthly_bytes, &usage, &rec.usage_alerts) {
        rec.usage_alerts.push(percent);
        effects.push(Effect::Alert {
            kind: "data_usage",
            rule: Some(RuleKind::DataUsageCap),
            message: format!(
                "{percent} % of the monthly data cap used in {} ({} of {} bytes)",
                usage.period, usage.bytes, cap.monthly_bytes
            ),
        });
        effects.push(Effect::UsageThreshold {
            percent,
            period: usage.period.clone(),
            bytes: usage.bytes,
            cap: cap.monthly_bytes,
        });
    }
}

