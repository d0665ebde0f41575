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
//!
//! **The code.** An evaluation reads (`evaluate_once` here, then `reads`), decides with no I/O
//! (`plan`: what the state becomes and every write, alert, audit entry, command and event that
//! follows), then carries the plan out (`writes`: ids and timestamps of the writes are made there,
//! the transaction, the wake-ups and events). The check-in reply's part is in `reply`.

mod plan;
mod reads;
mod reply;
mod writes;

use crate::domain::compliance::{ComplianceRules, DataUsage};
use crate::domain::inventory::InventoryReport;
use crate::domain::{DeviceId, DeviceState, Location, TenantId};
use crate::error::{Error, StoreError};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{ComplianceRecord, ComplianceSummary, DeviceRecord, from_item};
use crate::store::summary::{month_index, os_hash};

pub use reply::{ComplianceReply, NextStep};

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

/// One evaluation: reads what the rules need, plans with no I/O, writes the plan.
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
    let state = plan::with_rules(&before, input.rules.as_ref());
    let reads = reads::read(svc, t, d, input, &state).await?;
    let planned = plan::plan(plan::Situation {
        now,
        hot: &hot,
        before: &before,
        state,
        inventory: input.inventory,
        usage: input.usage.as_ref(),
        reads,
    });
    // The state is written under the revision read, or only if none was stored.
    let expected_rev = stored.is_some().then_some(before.rev);
    writes::write(svc, t, d, expected_rev, planned).await
}
