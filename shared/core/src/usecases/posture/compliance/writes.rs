//! Carrying out a compliance evaluation's plan: the ids and timestamps of its writes are made
//! here, in the order the plan lists them; the state, the device item and every write go in one
//! transaction under the revision read; wake-ups and webhook events follow the commit.

use serde_json::json;

use super::plan::{Change, Effect, EvaluationPlan};
use super::{Attempt, Evaluated, LADDER_ACTOR};
use crate::domain::compliance::RuleKind;
use crate::domain::directory::Compliance;
use crate::domain::time::{DAY_SECS, secs_from_ms};
use crate::domain::webhook::EventKind;
use crate::domain::{CommandId, CommandSpec, DeviceId, DeviceState, TenantId};
use crate::error::StoreError;
use crate::ports::{Cond, Item, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{AlertRecord, DueRecord, attr, to_item};
use crate::usecases::fleet::commands::send_wakes;
use crate::usecases::integrations::events::Event;
use crate::usecases::tenancy::audit;

/// What one evaluation writes besides the state and the device item, and does afterwards.
#[derive(Default)]
struct Effects {
    ops: Vec<WriteOp>,
    commands: Vec<CommandId>,
    events: Vec<(EventKind, serde_json::Value)>,
}

/// Writes a plan: nothing when nothing changed; else the state under `expected_rev` (None:
/// only if no state is stored), the device item's summary and pending count, and the plan's
/// writes, in one transaction. Raced when the state changed since it was read.
pub(super) async fn write(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    expected_rev: Option<i64>,
    plan: EvaluationPlan,
) -> Result<Evaluated, Attempt> {
    let EvaluationPlan { summary, change } = plan;
    let Some(Change {
        record,
        effects,
        due,
    }) = change
    else {
        return Ok(Evaluated { summary, queued: 0 });
    };
    let mut fx = Effects::default();
    for effect in effects {
        render(svc, t, d, &record.failing, effect, &mut fx);
    }
    if let Some(at) = due {
        fx.ops.push(schedule(t, d, at));
    }
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
            item: to_item(keys::compliance(t, d), &record),
            cond: Some(match expected_rev {
                Some(rev) => Cond::eq(attr::REV, rev),
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
    if let Some(at) = due {
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

/// Turns one planned effect into its writes (with their ids and timestamps) and events.
fn render(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    failing: &std::collections::BTreeMap<RuleKind, crate::domain::compliance::Failing>,
    effect: Effect,
    fx: &mut Effects,
) {
    match effect {
        Effect::StepFired { firing: f, command } => {
            let command = command.map(|spec| queue_command(svc, t, d, spec, fx));
            fx.ops.push(audit::device_event(
                svc,
                t,
                d,
                "compliance.step_fired",
                json!({"rule": f.rule, "step": f.step, "action": f.action, "command": command}),
            ));
            fx.events.push((
                EventKind::EscalationStepFired,
                json!({"rule": f.rule, "step": f.step, "action": f.action, "command": command, "reason": f.reason}),
            ));
        }
        Effect::Alert {
            kind,
            rule,
            message,
        } => fx.ops.push(alert(svc, t, d, kind, rule, message)),
        Effect::RuleFailed { rule, reason } => fx.ops.push(audit::device_event(
            svc,
            t,
            d,
            "compliance.rule_failed",
            json!({"rule": rule, "reason": reason}),
        )),
        Effect::ExitedGeofences { geofences } => fx
            .events
            .push((EventKind::GeofenceExited, json!({"geofences": geofences}))),
        Effect::RulePassed { rule } => fx.ops.push(audit::device_event(
            svc,
            t,
            d,
            "compliance.rule_passed",
            json!({"rule": rule}),
        )),
        Effect::Command(spec) => {
            queue_command(svc, t, d, spec, fx);
        }
        Effect::UsageThreshold {
            percent,
            period,
            bytes,
            cap,
        } => fx.events.push((
            EventKind::DataUsageThreshold,
            json!({"percent": percent, "period": period, "bytes": bytes, "cap": cap}),
        )),
        Effect::Status(status) => {
            fx.ops.push(WriteOp::Update {
                key: keys::directory(t, d),
                update: Update::new().set(attr::COMPLIANCE, json!(status)),
                cond: Some(Cond::Exists),
            });
            match status {
                Compliance::Compliant => fx.events.push((EventKind::DeviceCompliant, json!({}))),
                Compliance::Noncompliant => fx.events.push((
                    EventKind::DeviceNoncompliant,
                    json!({"failing": failing.keys().collect::<Vec<_>>()}),
                )),
                Compliance::Unknown => {}
            }
        }
    }
}

/// Adds a command the plan found the device can run to the evaluation's writes. Returns its
/// id.
fn queue_command(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    spec: CommandSpec,
    fx: &mut Effects,
) -> String {
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
    id.to_string()
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
