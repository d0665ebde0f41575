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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const H: i64 = 3_600_000;
    /// A whole second, so summaries (kept to the second) read back equal.
    const NOW: i64 = 1_750_000_000_000;
    const ENROLLED_IMSI: &str = "001010000000001";

    fn device(platform: &str, os: &str) -> DeviceRecord {
        serde_json::from_value(json!({
            "state": "enrolled", "cred": "", "platform": platform, "push_token": "",
            "enrolled_at": 0, "os_version": os, "last_seen": NOW,
        }))
        .expect("a device item")
    }

    fn rules(v: Value) -> ComplianceRules {
        serde_json::from_value(v).expect("rules")
    }

    fn failing(reason: &str, action: Action, rule: RuleKind, step: usize) -> Firing {
        Firing {
            rule,
            step,
            action,
            reason: reason.into(),
        }
    }

    const OS_13: &str = "OS version 13 is below 14";

    /// One evaluation's situation, owned, and the state each plan leaves for the next.
    struct Case {
        now: i64,
        hot: DeviceRecord,
        before: ComplianceRecord,
        new_rules: Option<Option<ComplianceRules>>,
        inventory: Option<InventoryReport>,
        usage: Option<DataUsage>,
        reads: Reads,
    }

    impl Case {
        /// A device a policy just brought these rules to.
        fn new(platform: &str, os: &str, r: Value) -> Self {
            Self {
                now: NOW,
                hot: device(platform, os),
                before: ComplianceRecord::default(),
                new_rules: Some(Some(rules(r))),
                inventory: None,
                usage: None,
                reads: Reads::default(),
            }
        }

        fn plan(&self) -> EvaluationPlan {
            plan(Situation {
                now: self.now,
                hot: &self.hot,
                before: &self.before,
                state: with_rules(&self.before, self.new_rules.as_ref()),
                inventory: self.inventory.as_ref(),
                usage: self.usage.as_ref(),
                reads: self.reads.clone(),
            })
        }

        /// The same device evaluated again at `at`, after this plan was written, with nothing
        /// new brought.
        fn later(mut self, at: i64) -> Self {
            let p = self.plan();
            if let Some(c) = p.change {
                self.before = c.record;
            }
            self.hot.cs = p.summary;
            self.now = at;
            self.new_rules = None;
            self.inventory = None;
            self.usage = None;
            self.reads = Reads::default();
            self
        }
    }

    fn change(p: &EvaluationPlan) -> &Change {
        p.change.as_ref().expect("a change to write")
    }

    /// Notify at once, block corporate access after an hour.
    fn os_ladder() -> Value {
        json!({"min_os_version": {"version": "14", "escalation": [
            {"after_seconds": 0, "action": "notify_user"},
            {"after_seconds": 3600, "action": "block_corporate_access"},
        ]}})
    }

    #[test]
    fn a_rule_failing_for_the_first_time_is_audited_and_its_ladder_starts_at_once() {
        let p = Case::new("android", "13", os_ladder()).plan();
        let c = change(&p);
        let [
            Effect::StepFired { firing, command },
            Effect::RuleFailed { rule, reason },
            Effect::Status(Compliance::Noncompliant),
        ] = c.effects.as_slice()
        else {
            panic!("unexpected effects: {:?}", c.effects);
        };
        assert_eq!(
            *firing,
            failing(OS_13, Action::NotifyUser, RuleKind::MinOsVersion, 0)
        );
        let Some(CommandSpec::Message { text, .. }) = command else {
            panic!("a message, not {command:?}");
        };
        assert!(
            text.contains(&format!(
                "Unless it is fixed, block corporate access follows at {}.",
                rfc3339(NOW + H)
            )),
            "{text}"
        );
        assert_eq!((*rule, reason.as_str()), (RuleKind::MinOsVersion, OS_13));
        // The sweep comes back for the next step if the device says nothing.
        assert_eq!(c.due, Some(NOW + H));
        assert_eq!(c.record.rev, 1);
        assert_eq!(c.record.evaluated_at, Some(NOW));
        assert_eq!(c.record.failing[&RuleKind::MinOsVersion].fired, 1);
        let summary = p.summary.expect("a summary");
        assert_eq!(summary.fail, [RuleKind::MinOsVersion]);
        assert_eq!(summary.next, Some((NOW + H, Action::BlockCorporateAccess)));
    }

    #[test]
    fn a_device_still_within_its_grace_period_is_planned_to_write_nothing() {
        let p = Case::new("android", "13", os_ladder())
            .later(NOW + H / 2)
            .plan();
        assert_eq!(p.change, None);
        assert!(p.summary.is_some());
    }

    #[test]
    fn a_device_past_its_grace_period_is_planned_to_escalate_to_the_next_step() {
        let p = Case::new("android", "13", os_ladder())
            .later(NOW + H + 1_000)
            .plan();
        let c = change(&p);
        assert_eq!(
            c.effects,
            [Effect::StepFired {
                firing: failing(
                    OS_13,
                    Action::BlockCorporateAccess,
                    RuleKind::MinOsVersion,
                    1
                ),
                command: Some(CommandSpec::BlockCorporateAccess {
                    reason: Some(format!("compliance: {OS_13}")),
                }),
            }]
        );
        assert_eq!(
            c.record.blocked_by,
            BTreeSet::from([RuleKind::MinOsVersion])
        );
        // The ladder is at its end and no offline limit applies: nothing left to come back for.
        assert_eq!(c.due, None);
        assert_eq!(c.record.rev, 2);
    }

    #[test]
    fn a_late_evaluation_fires_every_overdue_step_in_order() {
        let ladder = json!({"min_os_version": {"version": "14", "escalation": [
            {"after_seconds": 0, "action": "notify_user"},
            {"after_seconds": 3600, "action": "block_corporate_access"},
            {"after_seconds": 7200, "action": "lock"},
        ]}});
        let p = Case::new("android", "13", ladder).later(NOW + 3 * H).plan();
        let fired: Vec<_> = change(&p)
            .effects
            .iter()
            .map(|e| match e {
                Effect::StepFired { firing, command } => (firing.step, command.is_some()),
                other => panic!("only steps, not {other:?}"),
            })
            .collect();
        assert_eq!(fired, [(1, true), (2, true)]);
    }

    #[test]
    fn a_rule_passing_again_gives_corporate_access_back_once_no_rule_blocks_it() {
        let mut case = Case::new("android", "13", os_ladder())
            .later(NOW + H + 1_000)
            .later(NOW + 2 * H);
        case.hot.os_version = "15".into();
        let p = case.plan();
        let c = change(&p);
        assert_eq!(
            c.effects,
            [
                Effect::RulePassed {
                    rule: RuleKind::MinOsVersion
                },
                Effect::Command(CommandSpec::UnblockCorporateAccess {
                    reason: Some("compliant again".into()),
                }),
                Effect::Status(Compliance::Compliant),
            ]
        );
        assert!(c.record.failing.is_empty() && c.record.blocked_by.is_empty());
        assert_eq!(p.summary.expect("a summary").fail, []);
    }

    #[test]
    fn a_step_whose_command_the_platform_cannot_run_is_planned_as_an_alert_instead() {
        let lock = json!({"min_os_version": {"version": "14", "escalation": [
            {"after_seconds": 0, "action": "lock"},
        ]}});
        let p = Case::new("macos", "13", lock).plan();
        let c = change(&p);
        assert_eq!(
            c.effects[..2],
            [
                Effect::Alert {
                    kind: "compliance",
                    rule: None,
                    message: "lock could not be queued: macos devices cannot run it".into(),
                },
                Effect::StepFired {
                    firing: failing(OS_13, Action::Lock, RuleKind::MinOsVersion, 0),
                    command: None,
                },
            ]
        );
    }

    #[test]
    fn a_notice_to_a_device_that_shows_no_messages_is_audited_but_queues_nothing() {
        let notify = json!({"min_os_version": {"version": "14", "escalation": [
            {"after_seconds": 0, "action": "notify_user"},
        ]}});
        let p = Case::new("ios", "13", notify).plan();
        let c = change(&p);
        assert_eq!(
            c.effects[0],
            Effect::StepFired {
                firing: failing(OS_13, Action::NotifyUser, RuleKind::MinOsVersion, 0),
                command: None,
            }
        );
        assert!(
            !c.effects
                .iter()
                .any(|e| matches!(e, Effect::Alert { .. } | Effect::Command(_)))
        );
    }

    #[test]
    fn a_sim_other_than_the_enrolled_one_is_planned_to_alert_the_admins_and_lock_at_once() {
        let mut case = Case::new("android", "14", json!({"sim_unchanged": {}}));
        case.reads.enrolment = Some(EnrolledSim {
            enrolled_imsi: Some(ENROLLED_IMSI.into()),
            imsi: Some(ENROLLED_IMSI.into()),
        });
        case.inventory = Some(
            serde_json::from_value(json!({"sim": {"imsi": "001010000000002"}})).expect("report"),
        );
        let p = case.plan();
        let c = change(&p);
        let why = "the SIM is not the one the device enrolled with";
        let lock = CommandSpec::Lock {
            message: Some(format!("Locked: {why}")),
            phone_number: None,
            pin: None,
        };
        assert_eq!(
            c.effects,
            [
                Effect::Alert {
                    kind: "compliance",
                    rule: Some(RuleKind::SimUnchanged),
                    message: format!("sim_unchanged: {why}"),
                },
                Effect::StepFired {
                    firing: failing(why, Action::AlertAdmins, RuleKind::SimUnchanged, 0),
                    command: None,
                },
                Effect::StepFired {
                    firing: failing(why, Action::Lock, RuleKind::SimUnchanged, 1),
                    command: Some(lock),
                },
                Effect::RuleFailed {
                    rule: RuleKind::SimUnchanged,
                    reason: why.into(),
                },
                Effect::Status(Compliance::Noncompliant),
            ]
        );
        assert_eq!(c.record.facts.enrolled_imsi.as_deref(), Some(ENROLLED_IMSI));
    }

    #[test]
    fn data_usage_alerts_go_out_once_per_threshold_and_month() {
        let cap = 1_000_000_000;
        let mut case = Case::new(
            "android",
            "14",
            json!({"data_usage_cap": {"monthly_bytes": cap}}),
        );
        let usage = |period: &str, bytes| DataUsage {
            period: period.into(),
            bytes,
        };
        case.usage = Some(usage("2025-06", 800_000_000));
        let p = case.plan();
        let thresholds = |p: &EvaluationPlan| -> Vec<u8> {
            p.change
                .iter()
                .flat_map(|c| &c.effects)
                .filter_map(|e| match e {
                    Effect::UsageThreshold { percent, .. } => Some(*percent),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(thresholds(&p), [50, 75]);
        assert_eq!(
            change(&p).effects[0],
            Effect::Alert {
                kind: "data_usage",
                rule: Some(RuleKind::DataUsageCap),
                message: format!(
                    "50 % of the monthly data cap used in 2025-06 (800000000 of {cap} bytes)"
                ),
            }
        );
        assert_eq!(change(&p).record.usage_alerts, [50, 75]);

        let mut again = case.later(NOW + H);
        again.usage = Some(usage("2025-06", 850_000_000));
        assert!(thresholds(&again.plan()).is_empty());

        let mut next_month = again.later(NOW + 2 * H);
        next_month.usage = Some(usage("2025-07", 600_000_000));
        let p = next_month.plan();
        assert_eq!(thresholds(&p), [50]);
        assert_eq!(change(&p).record.usage_alerts, [50]);
    }

    #[test]
    fn a_geofence_exit_names_the_geofences_and_an_uncertain_fix_changes_nothing() {
        let mut case = Case::new(
            "android",
            "14",
            json!({"inside_geofence": {"geofences": ["office"]}}),
        );
        case.reads.whereabouts = Some(Whereabouts::Outside);
        let p = case.plan();
        assert!(change(&p).effects.contains(&Effect::ExitedGeofences {
            geofences: Some(vec!["office".into()]),
        }));
        // A later fix that cannot tell (no whereabouts read) leaves the device outside.
        let p = case.later(NOW + H).plan();
        assert_eq!(p.change, None);
        assert_eq!(
            p.summary.expect("a summary").fail,
            [RuleKind::InsideGeofence]
        );
    }

    #[test]
    fn a_silent_device_is_due_at_its_offline_limit_and_once_past_it_at_its_next_check_in() {
        let case = Case::new("android", "14", json!({"max_offline": {"hours": 24}}));
        let p = case.plan();
        let limit = NOW + 24 * H + 1;
        assert_eq!(change(&p).due, Some(limit));
        let p = case.later(limit).plan();
        let c = change(&p);
        assert!(c.record.failing.contains_key(&RuleKind::MaxOffline));
        assert_eq!(c.due, None);
        assert_eq!(p.summary.expect("a summary").due, Some(0));
    }

    #[test]
    fn the_stored_inventory_read_for_new_rules_decides_the_app_rules() {
        let mut case = Case::new(
            "android",
            "14",
            json!({"denied_apps": {"apps": ["com.bad"]}}),
        );
        case.reads.stored_report = Some(
            serde_json::from_value(json!({"apps": [{"id": "com.bad"}, {"id": "com.other"}]}))
                .expect("report"),
        );
        let p = case.plan();
        let c = change(&p);
        assert_eq!(
            c.record.facts.apps,
            Some(BTreeSet::from(["com.bad".to_owned()]))
        );
        assert_eq!(c.record.apps_for, c.record.rules_version);
        assert_eq!(
            c.effects,
            [
                Effect::RuleFailed {
                    rule: RuleKind::DeniedApps,
                    reason: "denied apps installed: com.bad".into(),
                },
                Effect::Status(Compliance::Noncompliant),
            ]
        );
    }

    #[test]
    fn a_device_whose_rules_were_taken_away_passes_its_failing_rules_and_becomes_unknown() {
        let mut case = Case::new("android", "13", os_ladder()).later(NOW + H / 2);
        case.new_rules = Some(None);
        let p = case.plan();
        let c = change(&p);
        assert_eq!(
            c.effects,
            [
                Effect::RulePassed {
                    rule: RuleKind::MinOsVersion
                },
                Effect::Status(Compliance::Unknown),
            ]
        );
        assert_eq!(c.record.rules_version, None);
        assert_eq!(p.summary, None);
    }

    #[test]
    fn new_rules_from_a_policy_replace_the_stored_ones_with_their_version() {
        let before = with_rules(
            &ComplianceRecord::default(),
            Some(&Some(rules(os_ladder()))),
        );
        let other = rules(json!({"encrypted": {}}));
        let after = with_rules(&before, Some(&Some(other.clone())));
        assert_eq!(after.rules.as_ref(), Some(&other));
        assert_eq!(
            after.rules_version,
            Some(super::super::rules_version(&other))
        );
        assert_eq!(with_rules(&before, None), before);
        let cleared = with_rules(&before, Some(&None));
        assert_eq!((cleared.rules, cleared.rules_version), (None, None));
    }
}
