//! Compliance evaluation: judges a device's facts against its rules, moves the escalation ladders
//! on and carries out the steps that fell due, all in one transaction with the state that records
//! them (so a step fires once, whatever crashes or retries), and leaves a small summary on the
//! device item for check-ins to answer with. Runs after check-ins and inventory reports that
//! bring news, when the policy's rules change, and from the scheduled sweep
//! (`compliance_sweep.rs`) for devices that went quiet.
//!
//! **Rules.** Compliance rules are the `compliance` section of a policy, so they follow the
//! policies' precedence (the section comes whole from the highest-precedence policy that sets
//! it). Each rule is optional:
//!
//! | rule | fails when | judged from |
//! |---|---|---|
//! | `min_os_version` `{version}` | the OS version (dotted numbers, `17.4.1`) is below it | check-ins (`os_version`) |
//! | `passcode_set`, `encrypted`, `not_compromised` | the device says no passcode, unencrypted storage, rooted/jailbroken | inventory reports |
//! | `max_offline` `{hours}` | no check-in for longer than that | the sweep, for a silent device |
//! | `denied_apps` / `required_apps` `{apps}` | one of them is installed / one is missing | inventory reports |
//! | `sim_unchanged` | the SIM (IMSI) is not the one it enrolled with, or was removed | inventory reports (`sim`) |
//! | `inside_geofence` `{geofences}` | a fix puts it outside all of them (an uncertain fix changes nothing) | locations in check-ins and reports |
//! | `data_usage_cap` `{monthly_bytes}` | the month's reported usage reaches the cap | check-ins (`data_usage: {period: "YYYY-MM", bytes}`) |
//!
//! A fact the device has not reported fails nothing.
//!
//! **Escalation.** Each rule has an `escalation` ladder: an ordered list of `{after_seconds,
//! action}` (at most 10 steps, delays up to a year) with actions `notify_user` (a message
//! command; iOS shows no messages, its agent reads the check-in reply instead), `alert_admins`,
//! `block_corporate_access`, `lock`, `start_lost_mode`, `enterprise_wipe`, `wipe`. For example
//! notify at once, block after an hour, wipe after seven days:
//!
//! ```json
//! {"compliance": {"min_os_version": {"version": "14", "escalation": [ {"after_seconds": 0,
//! "action": "notify_user"}, {"after_seconds": 3600, "action": "block_corporate_access"},
//! {"after_seconds": 604800, "action": "wipe"}]}}}
//! ```
//!
//! Without a ladder, a rule only marks the device noncompliant, except `sim_unchanged` (alert the
//! admins and lock, at once) and `inside_geofence` (alert the admins; add a `lock` step to lock).
//! A ladder starts when its rule is first seen failing; each step fires once when its delay has
//! passed (a late sweep fires the overdue ones together, in order), and a rule that passes again
//! drops the steps that had not fired. When every rule that blocked corporate access passes, an
//! `unblock_corporate_access` is queued; locks and wipes are not undone. Commands queued by a
//! ladder show `queued_by: compliance`.
//!
//! **Exactly once.** An evaluation reads the device's compliance state (`K`), judges, and writes
//! the new state under the revision it read, in one transaction with everything it fires: the
//! commands, the alerts, their audit entries (`compliance.rule_failed`, `compliance.rule_passed`,
//! `compliance.step_fired`, in the device's audit shard), the directory's `compliance` and the
//! next due entry. Two evaluations racing cannot both fire a step: the loser's transaction fails
//! on the revision and it judges again. Wake-ups and webhook events go out after the commit.
//!
//! **When it runs.** On a check-in only when it may matter: the device's small item carries a
//! summary of the last evaluation (rules version, OS seen, whether a geofence rule or a data cap
//! applies and the usage at which a report matters next, the next deadline, the failing rules),
//! so an idle check-in of a compliant device is still one write and no read. Inventory reports
//! with rules evaluate; so does any change of the rules (assignments, new versions), at once,
//! even for a device that is offline. Devices that stopped checking in are found by the sweep: an
//! evaluation that leaves a deadline (the next step, or the moment the device counts as offline
//! too long) writes a due entry into that deadline's five-minute slot (see ADR 0003,
//! docs/adr/0003-due-slots.md); the sweep (every minute in `mdm-dev`, every five minutes as the
//! `sweep` Lambda on AWS) lists the slots whose time has come and queues an evaluation per due
//! device on the wake queue. Running it twice or late only evaluates a device again, which
//! changes nothing the second time.
//!
//! **What the device hears.** Every check-in reply of a device with rules has `compliance:
//! {compliant, failing: [rules], next_step: {action, at}}`, so the agent can say "updates are
//! needed; corporate access is blocked at 14:00". `GET /v1/devices/{id}/compliance` gives admins
//! the reasons, since when each rule fails, how many steps fired, and which rules hold access
//! blocked; the fleet listing filters on `compliance=compliant|noncompliant|unknown`. Alerts are
//! in `alerts`; the same moments go to webhooks as `device.noncompliant`, `device.compliant`,
//! `escalation.step_fired`, `geofence.exited` and `data_usage.threshold`, and `sim.changed` is
//! published for any SIM change an inventory report brings, rules or not (see `events`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::compliance::{
    Action, ComplianceRules, DataUsage, Facts, Firing, Plan, RuleKind, USAGE_ALERTS, Whereabouts,
    advance, judge, usage_alerts_due,
};
use crate::domain::directory::Compliance;
use crate::domain::geofence::Containment;
use crate::domain::inventory::InventoryReport;
use crate::domain::time::rfc3339;
use crate::domain::time::{DAY_SECS, ms_from_secs, secs_from_ms};
use crate::domain::webhook::EventKind;
use crate::domain::{
    CommandId, CommandSpec, DeviceId, DeviceState, GeofenceId, Location, TenantId,
};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Item, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{
    AlertRecord, ComplianceRecord, ComplianceSummary, DeviceRecord, DirectoryRecord, DueRecord,
    InventoryRecord, attr, from_item, to_item,
};
use crate::store::summary::{month_index, os_hash};
use crate::usecases::fleet::commands::send_wakes;
use crate::usecases::integrations::events::Event;
use crate::usecases::tenancy::audit;

/// Who queues the commands a ladder fires, as their `queued_by` and audit actor.
pub const LADDER_ACTOR: &str = "compliance";

/// What a caller brings to an evaluation besides what is stored.
#[derive(Debug, Default)]
pub struct Input<'a> {
    /// The policy's rules changed to these (None inside: no rules apply any more).
    pub rules: Option<Option<ComplianceRules>>,
    /// The device item as the caller just read or wrote it (saves a read).
    pub hot: Option<&'a DeviceRecord>,
    pub inventory: Option<&'a InventoryReport>,
    pub location: Option<Location>,
    pub usage: Option<DataUsage>,
}

/// The version of a set of rules: equal rules, equal versions, so an unrelated policy change
/// keeps the ladders where they are.
pub fn rules_version(rules: &ComplianceRules) -> String {
    crate::domain::policy::PolicyDocument {
        compliance: Some(rules.clone()),
        ..Default::default()
    }
    .fingerprint()
}

/// Whether a check-in that returned `hot` (and carried these news) must evaluate: only when
/// something the rules look at may have changed or a deadline passed, so an idle check-in of
/// a compliant device stays one write and no read. A device without rules has no summary.
pub fn due_at_checkin(
    hot: &DeviceRecord,
    now: i64,
    located: bool,
    usage: Option<&DataUsage>,
) -> bool {
    let Some(cs) = &hot.cs else { return false };
    cs.os != os_hash(&hot.os_version)
        || (cs.geo && located)
        || cs.due.is_some_and(|d| d <= now)
        || usage.is_some_and(|u| {
            cs.cap.is_some_and(|(month, mark_mb)| {
                month != month_index(&u.period) || u.bytes / 1_000_000 >= mark_mb
            })
        })
}

/// Why one attempt did not finish.
enum Attempt {
    /// Someone else wrote the compliance state meanwhile: read it again.
    Raced,
    Failed(Error),
}

impl From<StoreError> for Attempt {
    fn from(e: StoreError) -> Self {
        Attempt::Failed(e.into())
    }
}

impl From<Error> for Attempt {
    fn from(e: Error) -> Self {
        Attempt::Failed(e)
    }
}

/// What an evaluation left: the summary the device item now holds (none: no rules, or the
/// device is gone or no longer enrolled) and how many commands its ladders queued.
#[derive(Debug, Default)]
pub struct Evaluated {
    pub summary: Option<ComplianceSummary>,
    pub queued: usize,
}

/// Evaluates one device.
pub async fn evaluate(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    input: Input<'_>,
) -> Result<Evaluated, Error> {
    let mut hot = input.hot.cloned();
    for _ in 0..4 {
        match evaluate_once(svc, t, d, &input, hot.take()).await {
            Ok(summary) => return Ok(summary),
            Err(Attempt::Raced) => continue,
            Err(Attempt::Failed(e)) => return Err(e),
        }
    }
    Err(Error::Conflict(
        "the device's compliance kept changing while it was evaluated; retry".into(),
    ))
}

/// What one evaluation writes besides the state and the device item, and does afterwards.
#[derive(Default)]
struct Effects {
    ops: Vec<WriteOp>,
    commands: Vec<CommandId>,
    events: Vec<(EventKind, serde_json::Value)>,
}

async fn evaluate_once(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    input: &Input<'_>,
    hot: Option<DeviceRecord>,
) -> Result<Evaluated, Attempt> {
    let now = svc.now();
    let hot = match hot {
        Some(h) => h,
        None => match svc.table.get(&keys::device(t, d), true).await? {
            Some(item) => from_item(&item)?,
            None => return Ok(Evaluated::default()),
        },
    };
    if hot.state != DeviceState::Enrolled {
        return Ok(Evaluated::default());
    }
    let stored = svc.table.get(&keys::compliance(t, d), true).await?;
    let before: ComplianceRecord = match &stored {
        Some(item) => from_item(item)?,
        None => ComplianceRecord::default(),
    };
    let mut rec = before.clone();
    if let Some(rules) = &input.rules {
        rec.rules_version = rules.as_ref().map(rules_version);
        rec.rules.clone_from(rules);
    }
    let rules = rec.rules.clone().unwrap_or_default();
    gather_facts(svc, t, d, &hot, input, &rules, &mut rec).await?;

    let ladders = rules.ladders();
    let verdicts = judge(&rules, &rec.facts, now);
    let plan = advance(&ladders, &before.failing, &verdicts, now);
    rec.failing.clone_from(&plan.failing);

    let mut fx = Effects::default();
    for firing in &plan.fire {
        fire(svc, t, d, &hot, &ladders, &plan, firing, &mut rec, &mut fx);
    }
    for rule in &plan.newly_failing {
        let reason = &plan.failing[rule].reason;
        fx.ops.push(audit::device_event(
            svc,
            t,
            d,
            "compliance.rule_failed",
            json!({"rule": rule, "reason": reason}),
        ));
        if *rule == RuleKind::InsideGeofence {
            let fences = rules.inside_geofence.as_ref().map(|r| r.geofences.clone());
            fx.events
                .push((EventKind::GeofenceExited, json!({"geofences": fences})));
        }
    }
    for rule in &plan.newly_passing {
        fx.ops.push(audit::device_event(
            svc,
            t,
            d,
            "compliance.rule_passed",
            json!({"rule": rule}),
        ));
        if rec.blocked_by.remove(rule) && rec.blocked_by.is_empty() {
            let spec = CommandSpec::UnblockCorporateAccess {
                reason: Some("compliant again".into()),
            };
            queue_command(svc, t, d, &hot, spec, &mut fx);
        }
    }
    usage_alerts(svc, t, d, &rules, &mut rec, &mut fx);

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
        fx.ops.push(WriteOp::Update {
            key: keys::directory(t, d),
            update: Update::new().set(attr::COMPLIANCE, json!(status)),
            cond: Some(Cond::Exists),
        });
        match status {
            Compliance::Compliant => fx.events.push((EventKind::DeviceCompliant, json!({}))),
            Compliance::Noncompliant => fx.events.push((
                EventKind::DeviceNoncompliant,
                json!({"failing": plan.failing.keys().collect::<Vec<_>>()}),
            )),
            Compliance::Unknown => {}
        }
    }

    let next_due = next_due(&rules, &rec.facts, &plan);
    let mut new_slot = None;
    if let Some(at) = next_due
        && rec.scheduled.is_none_or(|s| s <= now || s > at)
    {
        fx.ops.push(schedule(t, d, at));
        rec.scheduled = Some(at);
        new_slot = Some(at);
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

    let unchanged = rec == before && summary == hot.cs && fx.ops.is_empty();
    if unchanged {
        return Ok(Evaluated { summary, queued: 0 });
    }
    rec.evaluated_at = Some(now);
    rec.rev = before.rev + 1;
    let mut hot_update = match &summary {
        Some(s) => Update::new().set(
            attr::COMPLIANCE_SUMMARY,
            serde_json::to_value(s).unwrap_or_default(),
        ),
        None => Update::new().remove(attr::COMPLIANCE_SUMMARY),
    };
    if !fx.commands.is_empty() {
        hot_update = hot_update.add(attr::PENDING, fx.commands.len() as i64);
    }
    let mut ops = vec![
        WriteOp::Put {
            item: to_item(keys::compliance(t, d), &rec),
            cond: Some(match stored {
                Some(_) => Cond::eq(attr::REV, before.rev),
                None => Cond::NotExists,
            }),
        },
        WriteOp::Update {
            key: keys::device(t, d),
            update: hot_update,
            cond: Some(Cond::And(vec![
                Cond::Exists,
                Cond::eq(attr::STATE, DeviceState::Enrolled.as_str()),
            ])),
        },
    ];
    ops.append(&mut fx.ops);
    if let Some(at) = new_slot {
        mark_slot(svc, at).await?;
    }
    match svc.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::Precondition { index: Some(0) }) => return Err(Attempt::Raced),
        // Unenrolled or wiped meanwhile: nothing to enforce any more.
        Err(StoreError::Precondition { index: Some(1) }) => return Ok(Evaluated::default()),
        Err(e) => return Err(e.into()),
    }
    let queued = fx.commands.len();
    let woken: Vec<_> = fx.commands.into_iter().map(|c| (d.clone(), c)).collect();
    send_wakes(svc, t, &woken).await;
    for (kind, data) in fx.events {
        crate::usecases::integrations::events::publish(svc, t, Event::new(kind, Some(d), data))
            .await;
    }
    Ok(Evaluated { summary, queued })
}

/// Brings the stored facts up to date with what the caller brought, the device item, and
/// (only when the rules changed which apps matter) the stored inventory.
async fn gather_facts(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    hot: &DeviceRecord,
    input: &Input<'_>,
    rules: &ComplianceRules,
    rec: &mut ComplianceRecord,
) -> Result<(), Attempt> {
    let facts = &mut rec.facts;
    facts.os_version = Some(hot.os_version.clone());
    facts.last_seen = hot.last_seen;
    let named = rules.named_apps();
    let mut report = input.inventory.cloned();
    if report.is_none()
        && !named.is_empty()
        && rec.apps_for != rec.rules_version
        && let Some(item) = svc.table.get(&keys::inventory(t, d), false).await?
    {
        let inv: InventoryRecord = from_item(&item)?;
        report = inv.reported;
    }
    if let Some(r) = &report {
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
        if input.inventory.is_some()
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
    if rules.sim_unchanged.is_some()
        && facts.enrolled_imsi.is_none()
        && let Some(item) = svc.table.get(&keys::directory(t, d), true).await?
    {
        let entry: DirectoryRecord = from_item(&item)?;
        facts.enrolled_imsi = entry.enrolled_imsi;
        if facts.imsi.is_none() {
            facts.imsi = Some(entry.imsi);
        }
    }
    if let Some(u) = &input.usage {
        if facts
            .usage
            .as_ref()
            .is_none_or(|old| old.period != u.period)
        {
            rec.usage_alerts.clear();
        }
        facts.usage = Some(u.clone());
    }
    if let (Some(rule), Some(fix)) = (&rules.inside_geofence, &input.location) {
        facts.whereabouts = whereabouts(svc, t, &rule.geofences, fix)
            .await?
            .or(facts.whereabouts);
    }
    Ok(())
}

/// Where a fix puts the device with respect to its geofences: inside one of them, or surely
/// outside all of them. None when the fix cannot tell (its accuracy straddles a boundary) or
/// none of the geofences exists any more: the last known whereabouts stand.
async fn whereabouts(
    svc: &Services,
    t: &TenantId,
    named: &[String],
    fix: &Location,
) -> Result<Option<Whereabouts>, Error> {
    let ids: Vec<GeofenceId> = named
        .iter()
        .filter_map(|g| GeofenceId::parse(g).ok())
        .collect();
    let shapes = crate::usecases::policy::geofences::load_many(svc, t, &ids).await?;
    let seen: Vec<Containment> = shapes
        .iter()
        .map(|(_, shape)| shape.contains(fix.latitude, fix.longitude, fix.accuracy_m))
        .collect();
    Ok(if seen.contains(&Containment::Inside) {
        Some(Whereabouts::Inside)
    } else if !seen.is_empty() && seen.iter().all(|c| *c == Containment::Outside) {
        Some(Whereabouts::Outside)
    } else {
        None
    })
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

/// The due entry: the sweep evaluates the device at `at`.
fn schedule(t: &TenantId, d: &DeviceId, at: i64) -> WriteOp {
    WriteOp::Put {
        item: to_item(
            keys::due(t, d, at),
            &DueRecord {
                tenant: t.to_string(),
                device: d.to_string(),
                at,
                ttl: secs_from_ms(at) + 7 * DAY_SECS,
            },
        ),
        cond: None,
    }
}

/// Lists the slot of a deadline for the sweep. A plain put ahead of the evaluation's
/// transaction, not part of it: every device with a deadline in the slot writes this one
/// item, and transactions writing the same item at once cancel each other (DynamoDB's
/// TransactionConflict), while plain puts of an identical item do not. A marker left by a
/// transaction that then failed only makes the sweep read an empty slot once.
async fn mark_slot(svc: &Services, at: i64) -> Result<(), StoreError> {
    let marker = Item::new(
        keys::due_slot_marker(keys::due_slot(at)),
        serde_json::Map::new(),
    );
    svc.table.put(marker, None).await
}

/// Carries out one ladder step.
#[allow(clippy::too_many_arguments)]
fn fire(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    hot: &DeviceRecord,
    ladders: &std::collections::BTreeMap<RuleKind, Vec<crate::domain::compliance::Step>>,
    plan: &Plan,
    f: &Firing,
    rec: &mut ComplianceRecord,
    fx: &mut Effects,
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
            fx.ops.push(alert(
                svc,
                t,
                d,
                "compliance",
                Some(f.rule),
                format!("{}: {reason}", f.rule.as_str()),
            ));
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
    let command = spec.and_then(|spec| queue_command(svc, t, d, hot, spec, fx));
    fx.ops.push(audit::device_event(
        svc,
        t,
        d,
        "compliance.step_fired",
        json!({"rule": f.rule, "step": f.step, "action": f.action, "command": command}),
    ));
    fx.events.push((
        EventKind::EscalationStepFired,
        json!({"rule": f.rule, "step": f.step, "action": f.action, "command": command, "reason": reason}),
    ));
}

/// Adds a command for the device to the evaluation's writes, unless its platform cannot run
/// it (then an alert says so instead). Returns its id.
fn queue_command(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    hot: &DeviceRecord,
    spec: CommandSpec,
    fx: &mut Effects,
) -> Option<String> {
    if matches!(spec, CommandSpec::Message { .. }) && !spec.supported_on(hot.platform) {
        // The platform shows no messages: the check-in reply tells the agent instead.
        return None;
    }
    if !spec.supported_on(hot.platform) || spec.validate().is_err() {
        fx.ops.push(alert(
            svc,
            t,
            d,
            "compliance",
            None,
            format!(
                "{} could not be queued: {} devices cannot run it",
                spec.kind(),
                hot.platform.as_str()
            ),
        ));
        return None;
    }
    let record = crate::usecases::fleet::commands::new_record(
        svc,
        LADDER_ACTOR,
        spec,
        svc.settings.default_command_ttl_secs,
    );
    let id = CommandId::from_generated(record.id.clone());
    fx.ops.push(WriteOp::Put {
        item: to_item(keys::open_command(t, d, &id), &record),
        cond: Some(Cond::NotExists),
    });
    fx.commands.push(id.clone());
    Some(id.to_string())
}

/// The write of one alert.
fn alert(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    kind: &str,
    rule: Option<RuleKind>,
    message: String,
) -> WriteOp {
    let at = svc.now();
    let record = AlertRecord {
        at,
        device: d.to_string(),
        kind: kind.into(),
        rule,
        message,
        ttl: secs_from_ms(at) + svc.settings.audit_retention_days * DAY_SECS,
    };
    WriteOp::Put {
        item: to_item(keys::alert(t, d, at, &svc.ids.id(at)), &record),
        cond: None,
    }
}

/// Raises the data usage alerts a report newly crossed, once per threshold and period.
fn usage_alerts(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    rules: &ComplianceRules,
    rec: &mut ComplianceRecord,
    fx: &mut Effects,
) {
    let (Some(cap), Some(usage)) = (&rules.data_usage_cap, rec.facts.usage.clone()) else {
        return;
    };
    for percent in usage_alerts_due(cap.monthly_bytes, &usage, &rec.usage_alerts) {
        rec.usage_alerts.push(percent);
        fx.ops.push(alert(
            svc,
            t,
            d,
            "data_usage",
            Some(RuleKind::DataUsageCap),
            format!(
                "{percent} % of the monthly data cap used in {} ({} of {} bytes)",
                usage.period, usage.bytes, cap.monthly_bytes
            ),
        ));
        fx.events.push((
            EventKind::DataUsageThreshold,
            json!({"percent": percent, "period": usage.period, "bytes": usage.bytes, "cap": cap.monthly_bytes}),
        ));
    }
}

/// The compliance part of a check-in reply: which rules the device fails and when the next
/// step of their ladders fires, so the agent can say "you have N hours".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ComplianceReply {
    pub compliant: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<RuleKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<NextStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NextStep {
    pub action: Action,
    /// RFC 3339.
    pub at: String,
}

impl ComplianceReply {
    pub fn of(s: &ComplianceSummary) -> Self {
        Self {
            compliant: s.fail.is_empty(),
            failing: s.fail.clone(),
            next_step: s.next.map(|(at, action)| NextStep {
                action,
                at: rfc3339(at),
            }),
        }
    }
}
