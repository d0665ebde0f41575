//! The random operations of admins, devices and the queue consumer, each calling the real use
//! case and checking on the spot what a single answer can prove.

use std::time::Duration;

use mdm_core::Error;
use mdm_core::domain::{CheckinRequest, CommandId, CommandSpec, DeviceCredential, DeviceId};
use mdm_core::usecases::consumer::{self, Outcome};
use mdm_core::usecases::fleet::commands::{self, QueueCommandRequest};
use mdm_core::usecases::{
    device::checkin, device::enrollment, device::fetch, device::results, fleet::devices,
};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::model::{Known, Model, SimDev, TENANTS, admin};
use super::process::Process;

/// Uses per enrollment token before the admin makes a new one.
const TOKEN_USES: i64 = 50;

pub async fn enroll(p: &Process, m: &mut Model, rng: &mut StdRng) {
    let tenant = TENANTS[rng.gen_range(0..TENANTS.len())];
    let token = match m.tokens.get(tenant) {
        Some((t, left)) if *left > 0 => t.clone(),
        _ => {
            let req = serde_json::from_value(json!({"max_uses": TOKEN_USES})).expect("request");
            match enrollment::create_token(&p.svc, &admin(tenant), req).await {
                Ok(t) => {
                    m.tokens.insert(tenant, (t.token.clone(), TOKEN_USES));
                    t.token
                }
                Err(e) => return m.note(format!("create token in {tenant}: {e}")),
            }
        }
    };
    let n = m.devices.len() as u64;
    let body =
        mdm_devtools::agent::SimDevice::enrollment_body(n, &token, "android", &format!("sink:{n}"));
    let req = serde_json::from_value(body).expect("enrollment body");
    if let Some((_, left)) = m.tokens.get_mut(tenant) {
        *left -= 1;
    }
    match enrollment::enroll(&p.svc, req).await {
        Ok(e) => {
            m.note(format!("enrolled {} in {tenant}", e.device_id));
            m.devices.push(SimDev {
                tenant,
                id: DeviceId::parse(&e.device_id).expect("device id"),
                cred: DeviceCredential::parse(&e.device_credential).expect("credential"),
                revoked: false,
                inbox: Default::default(),
            });
        }
        Err(Error::EnrollmentTokenInvalid) => {
            // Used up by enrolments whose answers were lost: make a new one next time.
            m.tokens.remove(tenant);
        }
        Err(e) => m.note(format!("enroll in {tenant}: {e}")),
    }
}

fn random_command(rng: &mut StdRng) -> Value {
    match rng.gen_range(0..100) {
        0..=24 => json!({"type": "lock", "message": "call IT"}),
        25..=44 => json!({"type": "locate"}),
        45..=59 => json!({"type": "ring", "duration_seconds": 10}),
        60..=74 => json!({"type": "message", "text": "hello"}),
        75..=95 => json!({"type": "refresh_inventory"}),
        96..=97 => json!({"type": "wipe"}),
        _ => json!({"type": "enterprise_wipe"}),
    }
}

pub async fn queue(p: &Process, m: &mut Model, rng: &mut StdRng) {
    let Some(d) = pick_device(m, rng, |d| !d.revoked) else {
        return;
    };
    let command = random_command(rng);
    let ttl = if rng.gen_bool(0.3) {
        Some(rng.gen_range(60..=900))
    } else {
        None
    };
    let spec: CommandSpec = serde_json::from_value(command).expect("command");
    let kind = spec.kind().to_owned();
    let dev = &m.devices[d];
    let req = QueueCommandRequest {
        command: spec,
        ttl_seconds: ttl,
    };
    match commands::queue(&p.svc, &admin(dev.tenant), &dev.id.clone(), req).await {
        Ok(view) => {
            m.note(format!("queued {kind} {} for {}", view.id, dev.id));
            m.commands.insert(
                view.id,
                Known {
                    device: d,
                    kind,
                    ..Known::default()
                },
            );
        }
        Err(e) => m.note(format!("queue {kind} for {}: {e}", dev.id)),
    }
}

pub async fn cancel(p: &Process, m: &mut Model, rng: &mut StdRng) {
    if m.commands.is_empty() {
        return;
    }
    let i = rng.gen_range(0..m.commands.len());
    let (id, known) = m
        .commands
        .iter()
        .nth(i)
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("index");
    let dev = &m.devices[known.device];
    let cid = CommandId::parse(&id).expect("command id");
    match commands::cancel(&p.svc, &admin(dev.tenant), &dev.id.clone(), &cid).await {
        Ok(view) => {
            m.note(format!("cancelled {id}"));
            if known.final_result.is_some() {
                m.violation(format!(
                    "command {id} was cancelled after its final result was accepted"
                ));
            }
            if view.status.as_str() != "cancelled" {
                m.violation(format!(
                    "cancel of {id} answered with status {}",
                    view.status.as_str()
                ));
            }
            if let Some(k) = m.commands.get_mut(&id) {
                k.cancelled = true;
            }
        }
        Err(e) => m.note(format!("cancel {id}: {e}")),
    }
}

/// An admin unenrols a device: once the answer says so, its credential is dead and nothing of
/// it is left open. A lost answer is learnt by the device at its next call.
pub async fn unenroll(p: &Process, m: &mut Model, rng: &mut StdRng) {
    let Some(d) = pick_device(m, rng, |d| !d.revoked) else {
        return;
    };
    let dev = &m.devices[d];
    let (id, tenant) = (dev.id.clone(), dev.tenant);
    match devices::unenroll(&p.svc, &admin(tenant), &id).await {
        Ok(view) => {
            m.note(format!("unenrolled {id}"));
            m.devices[d].revoked = true;
            m.devices[d].inbox.clear();
            if !matches!(view.state.as_str(), "unenrolled" | "wiped") || view.pending_commands != 0
            {
                m.violation(format!(
                    "unenrol of {id} answered {} with {} commands pending",
                    view.state.as_str(),
                    view.pending_commands
                ));
            }
        }
        Err(e) => m.note(format!("unenroll {id}: {e}")),
    }
}

pub async fn check_in(p: &Process, m: &mut Model, rng: &mut StdRng) {
    if let Some(d) = pick_device(m, rng, |_| true) {
        check_in_device(p, m, d).await;
    }
}

pub async fn check_in_device(p: &Process, m: &mut Model, d: usize) {
    let battery = 5 + (d % 95) as u8;
    let body = mdm_devtools::agent::client::checkin_body(battery);
    let req: CheckinRequest = serde_json::from_value(body).expect("check-in body");
    let dev = &m.devices[d];
    let outcome = checkin::checkin(&p.svc, &dev.cred, req).await;
    let revoked = dev.revoked;
    let id = dev.id.clone();
    match outcome {
        Ok(_) if revoked => m.violation(format!("revoked device {id} was let in at check-in")),
        Ok(_) => m.note(format!("{id} checked in")),
        Err(Error::DeviceCredentialInvalid) => revoked_by_lost_answer(m, d),
        Err(e) => m.note(format!("{id} check-in: {e}")),
    }
}

/// The server refused a credential the model still thinks valid: only an acknowledged wipe
/// whose answer was lost can explain it; the end-of-run checks verify the device state.
fn revoked_by_lost_answer(m: &mut Model, d: usize) {
    let dev = &mut m.devices[d];
    if !dev.revoked {
        dev.revoked = true;
        dev.inbox.clear();
        let id = dev.id.clone();
        m.note(format!(
            "{id} found revoked (a wipe ack whose answer was lost)"
        ));
    }
}

/// The result the agent settles on for a delivered command.
fn plan_result(kind: &str, rng: &mut StdRng, draining: bool) -> Value {
    if kind == "wipe" || kind == "enterprise_wipe" || draining {
        return json!({"status": "acknowledged"});
    }
    match rng.gen_range(0..100) {
        0..=9 => json!({"status": "error", "error": {"code": "busy", "message": "try later"}}),
        10..=19 => json!({"status": "not_now"}),
        _ => json!({"status": "acknowledged"}),
    }
}

/// A device pulls. Returns how many commands it was given.
pub async fn pull(p: &Process, m: &mut Model, rng: &mut StdRng, d: usize, draining: bool) -> usize {
    let dev = &m.devices[d];
    let (id, revoked) = (dev.id.clone(), dev.revoked);
    let delivered = match fetch::pending(&p.svc, &dev.cred).await {
        Ok(list) => list,
        Err(Error::DeviceCredentialInvalid) => {
            revoked_by_lost_answer(m, d);
            return 0;
        }
        Err(e) => {
            m.note(format!("{id} pull: {e}"));
            return 0;
        }
    };
    if revoked && !delivered.is_empty() {
        m.violation(format!(
            "revoked device {id} was given {} commands",
            delivered.len()
        ));
    }
    for c in &delivered {
        match m.commands.get(&c.id) {
            Some(k) if k.device != d => m.violation(format!(
                "device {id} was given command {} of device {}",
                c.id, m.devices[k.device].id
            )),
            Some(k) if k.final_result.is_some() => m.violation(format!(
                "command {} was delivered again after its final result was accepted",
                c.id
            )),
            Some(k) if k.cancelled => m.violation(format!(
                "command {} was delivered after it was cancelled",
                c.id
            )),
            Some(_) => {}
            // Queued by a call whose answer was lost: the end-of-run checks find it under
            // this device, or report it.
            None => {
                m.commands.insert(
                    c.id.clone(),
                    Known {
                        device: d,
                        kind: c.kind.to_owned(),
                        ..Known::default()
                    },
                );
            }
        }
        let plan = plan_result(c.kind, rng, draining);
        m.devices[d].inbox.entry(c.id.clone()).or_insert(plan);
    }
    m.note(format!("{id} pulled {}", delivered.len()));
    delivered.len()
}

/// A device reports one answer from its inbox. Returns whether one was accepted.
pub async fn report(p: &Process, m: &mut Model, rng: &mut StdRng, d: usize) -> bool {
    let dev = &m.devices[d];
    if dev.inbox.is_empty() {
        return false;
    }
    let i = rng.gen_range(0..dev.inbox.len());
    let (cid, body) = dev
        .inbox
        .iter()
        .nth(i)
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("index");
    let id = dev.id.clone();
    let report = serde_json::from_value(body.clone()).expect("result body");
    let command = CommandId::parse(&cid).expect("command id");
    match results::report(&p.svc, &dev.cred, &command, report).await {
        Ok(view) => {
            m.devices[d].inbox.remove(&cid);
            m.note(format!("{id} reported {cid}: {}", body["status"]));
            let status = body["status"].as_str().unwrap_or_default().to_owned();
            if view.status.as_str() != status {
                m.violation(format!(
                    "report {status} on {cid} answered with {}",
                    view.status.as_str()
                ));
            }
            if status != "not_now" {
                let known = m
                    .commands
                    .get_mut(&cid)
                    .expect("delivered commands are known");
                known.final_result = Some(body);
                let (cancelled, kind) = (known.cancelled, known.kind.clone());
                if cancelled {
                    m.violation(format!("result accepted for {cid} after it was cancelled"));
                }
                if status == "acknowledged" && (kind == "wipe" || kind == "enterprise_wipe") {
                    m.devices[d].revoked = true;
                    m.devices[d].inbox.clear();
                }
            }
            true
        }
        Err(Error::CommandClosed { status }) => {
            m.devices[d].inbox.remove(&cid);
            m.note(format!("{id} reported {cid}: already {status}"));
            false
        }
        Err(Error::DeviceCredentialInvalid) => {
            revoked_by_lost_answer(m, d);
            false
        }
        Err(e) => {
            m.note(format!("{id} report {cid}: {e}"));
            false
        }
    }
}

/// A device sends an accepted final result once more (its answer was lost, it thinks): the
/// server must answer as before and change nothing.
pub async fn report_again(p: &Process, m: &mut Model, rng: &mut StdRng) {
    let done: Vec<(String, Known)> = m
        .commands
        .iter()
        .filter(|(_, k)| k.final_result.is_some() && !m.devices[k.device].revoked)
        .map(|(id, k)| (id.clone(), k.clone()))
        .collect();
    if done.is_empty() {
        return;
    }
    let (cid, known) = &done[rng.gen_range(0..done.len())];
    let body = known.final_result.clone().expect("final");
    let dev = &m.devices[known.device];
    let command = CommandId::parse(cid).expect("command id");
    let report = serde_json::from_value(body).expect("result body");
    match results::report(&p.svc, &dev.cred, &command, report).await {
        Ok(_) => m.note(format!("{} re-reported {cid}", dev.id)),
        Err(e @ Error::CommandClosed { .. }) => m.violation(format!(
            "an identical retry of the accepted result of {cid} was refused: {e}"
        )),
        Err(e) => m.note(format!("re-report {cid}: {e}")),
    }
}

/// The queue consumer takes one batch, as the local worker and the SQS event source mapping
/// do, but one message at a time so that the run stays deterministic. Returns the batch size.
pub async fn consume(p: &Process, m: &mut Model) -> usize {
    let batch = match p
        .queue
        .receive(10, mdm_app::worker::VISIBILITY, Duration::ZERO)
        .await
    {
        Ok(b) => b,
        Err(e) => {
            m.note(format!("receive: {e}"));
            return 0;
        }
    };
    for d in &batch {
        let settled = match consumer::handle(&p.svc, &d.body).await {
            Outcome::Done | Outcome::Dropped(_) => p.queue.ack(&d.receipt).await,
            Outcome::Retry(_) => {
                let delay = Duration::from_secs(u64::from(d.receive_count.min(6)).pow(2));
                p.queue.release(&d.receipt, delay).await
            }
        };
        if let Err(e) = settled {
            m.note(format!("settle {}: {e}", d.message_id));
        }
    }
    m.note(format!("consumed {}", batch.len()));
    batch.len()
}

pub fn pick_device(m: &Model, rng: &mut StdRng, ok: impl Fn(&SimDev) -> bool) -> Option<usize> {
    let candidates: Vec<usize> = (0..m.devices.len())
        .filter(|&i| ok(&m.devices[i]))
        .collect();
    (!candidates.is_empty()).then(|| candidates[rng.gen_range(0..candidates.len())])
}
