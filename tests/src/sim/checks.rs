//! The end-of-run invariants, read back through the use cases once every device has drained its
//! queue and every deadline has passed: no command lost or left open, only lifecycle
//! transitions, one audit entry per admin action, pending counts back to zero.

use std::collections::{BTreeMap, BTreeSet};

use mdm_core::domain::directory::DeviceFilterParams;
use mdm_core::domain::{CommandId, CommandStatus};
use mdm_core::usecases::Page;
use mdm_core::usecases::fleet::views::CommandView;
use mdm_core::usecases::{fleet::commands, fleet::devices, fleet::directory, tenancy::audit};

use super::model::{Model, TENANTS, admin};
use super::process::Process;

/// The lifecycle, written out independently of the domain's own rule so that a mistake in one
/// is caught by the other.
fn allowed(from: CommandStatus, to: CommandStatus) -> bool {
    use CommandStatus::*;
    matches!(
        (from, to),
        (Queued, PushSent)
            | (Queued | PushSent | NotNow, Fetched)
            | (Queued | PushSent | Fetched, NotNow)
            | (
                Queued | PushSent | Fetched | NotNow,
                Acknowledged | Error | Expired | Cancelled
            )
    )
}

fn is_final(s: CommandStatus) -> bool {
    use CommandStatus::*;
    matches!(s, Acknowledged | Error | Expired | Cancelled)
}

/// Every command id the store holds for a device, open or closed, through the admin API.
async fn listed(p: &Process, m: &mut Model, d: usize) -> BTreeSet<String> {
    let (who, device) = (admin(m.devices[d].tenant), m.devices[d].id.clone());
    let mut ids = BTreeSet::new();
    for open in [true, false] {
        let mut cursor = None;
        loop {
            match commands::list(&p.svc, &who, &device, open, Page::new(cursor, 200)).await {
                Ok(page) => {
                    ids.extend(page.items.into_iter().map(|c| c.id));
                    match page.next_cursor {
                        Some(c) => cursor = Some(c),
                        None => break,
                    }
                }
                Err(e) => {
                    m.violation(format!("listing the commands of {device} failed: {e}"));
                    break;
                }
            }
        }
    }
    ids
}

fn check_history(m: &mut Model, c: &CommandView) {
    let statuses: Vec<CommandStatus> = c.history.iter().map(|h| h.status).collect();
    if statuses.first() != Some(&CommandStatus::Queued) {
        m.violation(format!(
            "{} history does not start queued: {statuses:?}",
            c.id
        ));
    }
    for pair in statuses.windows(2) {
        if !allowed(pair[0], pair[1]) {
            m.violation(format!(
                "{} moved {:?} -> {:?}: {statuses:?}",
                c.id, pair[0], pair[1]
            ));
        }
    }
    let finals = statuses.iter().filter(|s| is_final(**s)).count();
    if finals != 1 || statuses.last() != Some(&c.status) {
        m.violation(format!(
            "{} ends {:?} with history {statuses:?}",
            c.id, c.status
        ));
    }
}

fn check_against_model(m: &mut Model, c: &CommandView) {
    let Some(k) = m.commands.get(&c.id).cloned() else {
        return;
    };
    if let Some(sent) = &k.final_result {
        let reported = sent["status"].as_str().unwrap_or_default();
        if c.status.as_str() != reported {
            m.violation(format!(
                "{} ended {} but the device's {reported} was accepted",
                c.id,
                c.status.as_str()
            ));
        }
    }
    if k.cancelled && c.status != CommandStatus::Cancelled {
        m.violation(format!(
            "{} was cancelled yet ended {}",
            c.id,
            c.status.as_str()
        ));
    }
}

/// Entries per (action, target) in a tenant's audit log: admin actions and command transitions.
async fn audit_counts(
    p: &Process,
    m: &mut Model,
    tenant: &str,
) -> BTreeMap<(String, String), usize> {
    let who = admin(tenant);
    let mut counts = BTreeMap::new();
    let mut cursor = None;
    loop {
        match audit::list(&p.svc, &who, &Default::default(), Page::new(cursor, 200)).await {
            Ok(page) => {
                for e in page.items {
                    *counts.entry((e.action, e.target)).or_insert(0) += 1;
                }
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            Err(e) => {
                m.violation(format!("reading the audit log of {tenant} failed: {e}"));
                break;
            }
        }
    }
    counts
}

/// Every transition in the command's history but its queueing and a cancel (admin actions,
/// counted above) has exactly one audit entry of its own, and there are no others.
fn check_transition_entries(
    m: &mut Model,
    view: &CommandView,
    counts: &BTreeMap<(String, String), usize>,
    target: &str,
) {
    for action in audit::TRANSITION_ACTIONS {
        let status = action.trim_start_matches("command.");
        let want = view
            .history
            .iter()
            .filter(|h| h.status.as_str() == status)
            .count();
        let got = counts
            .get(&(action.to_owned(), target.to_owned()))
            .copied()
            .unwrap_or(0);
        if got != want {
            m.violation(format!(
                "command {} went {status} {want} times but has {got} {action} audit entries",
                view.id
            ));
        }
    }
}

/// The directory holds exactly the tenant's devices, each in the state its device item has.
async fn check_directory(p: &Process, m: &mut Model, tenant: &str) {
    let who = admin(tenant);
    let all = DeviceFilterParams {
        state: Some("all".into()),
        ..DeviceFilterParams::default()
    }
    .parse()
    .expect("filter");
    let mut listed = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        match directory::list(&p.svc, &who, &all, Page::new(cursor.clone(), 200)).await {
            Ok(page) => {
                for d in page.items {
                    if listed.insert(d.id.clone(), d.state).is_some() {
                        m.violation(format!("{} is listed twice in {tenant}", d.id));
                    }
                }
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            Err(e) => {
                m.violation(format!("listing the devices of {tenant} failed: {e}"));
                return;
            }
        }
    }
    let mine: Vec<_> = m
        .devices
        .iter()
        .filter(|d| d.tenant == tenant)
        .map(|d| d.id.clone())
        .collect();
    for id in &mine {
        let stored = devices::get(&p.svc, &who, id).await.map(|v| v.state);
        match (listed.remove(id.as_str()), stored) {
            (Some(entry), Ok(state)) if entry == state => {}
            (entry, stored) => m.violation(format!(
                "{id}: directory says {entry:?}, the device item {:?}",
                stored.map_err(|e| e.to_string())
            )),
        }
    }
    // Enrolments whose answers were lost may have landed: they are in the store but unknown
    // to the model, and must at least be whole devices.
    for id in listed.keys() {
        let ok = match mdm_core::domain::DeviceId::parse(id) {
            Ok(d) => devices::get(&p.svc, &who, &d).await.is_ok(),
            Err(_) => false,
        };
        if !ok {
            m.violation(format!(
                "{tenant}'s directory lists {id}, which is no device"
            ));
        }
    }
}

/// Runs every end-of-run check; violations go to the model.
pub async fn run(p: &Process, m: &mut Model) -> usize {
    for t in TENANTS {
        check_directory(p, m, t).await;
    }
    let mut stored = BTreeSet::new();
    // Reading a command closes it if its deadline passed (with its audit entry), so the log is
    // read after every command has been.
    let mut read = Vec::new();
    for d in 0..m.devices.len() {
        let mut ids = listed(p, m, d).await;
        let dev_id = m.devices[d].id.clone();
        let tenant = m.devices[d].tenant;
        for (id, k) in &m.commands {
            if k.device == d && !ids.contains(id) {
                ids.insert(id.clone());
            }
        }
        for id in ids {
            stored.insert(id.clone());
            let cid = CommandId::parse(&id).expect("command id");
            let view = match commands::get(&p.svc, &admin(tenant), &dev_id, &cid).await {
                Ok(v) => v,
                Err(e) => {
                    m.violation(format!("command {id} of {dev_id} is lost: {e}"));
                    continue;
                }
            };
            if !is_final(view.status) {
                m.violation(format!(
                    "command {id} is still {} after every deadline",
                    view.status.as_str()
                ));
            }
            check_history(m, &view);
            check_against_model(m, &view);
            read.push((tenant, view));
        }
        match devices::get(&p.svc, &admin(tenant), &dev_id).await {
            Ok(v) => {
                if v.pending_commands != 0 {
                    m.violation(format!(
                        "{dev_id} counts {} pending commands with none open",
                        v.pending_commands
                    ));
                }
                let gone = matches!(v.state.as_str(), "wiped" | "unenrolled");
                if gone != m.devices[d].revoked {
                    m.violation(format!(
                        "{dev_id} is {} but its agent was {}revoked",
                        v.state.as_str(),
                        if m.devices[d].revoked { "" } else { "not " }
                    ));
                }
            }
            Err(e) => m.violation(format!("device {dev_id} is lost: {e}")),
        }
    }
    let mut audits = BTreeMap::new();
    for t in TENANTS {
        audits.insert(t, audit_counts(p, m, t).await);
    }
    for (tenant, view) in &read {
        let counts = &audits[tenant];
        let target = format!("device/{}/command/{}", view.device_id, view.id);
        let queued = counts
            .get(&("command.queue".into(), target.clone()))
            .copied()
            .unwrap_or(0);
        let cancels = counts
            .get(&("command.cancel".into(), target.clone()))
            .copied()
            .unwrap_or(0);
        check_transition_entries(m, view, counts, &target);
        let want_cancels = usize::from(view.status == CommandStatus::Cancelled);
        if queued != 1 || cancels != want_cancels {
            m.violation(format!(
                "command {} ({}) has {queued} queue and {cancels} cancel audit entries",
                view.id,
                view.status.as_str()
            ));
        }
    }
    let enrolments: Vec<(_, usize)> = m
        .devices
        .iter()
        .map(|device| {
            let key = ("device.enroll".to_owned(), format!("device/{}", device.id));
            let n = audits[device.tenant].get(&key).copied().unwrap_or(0);
            (device.id.clone(), n)
        })
        .collect();
    for (id, n) in enrolments.into_iter().filter(|(_, n)| *n != 1) {
        m.violation(format!("{id} has {n} enrolment audit entries"));
    }
    // Audit entries for commands that do not exist would mean an action half done.
    for (tenant, counts) in &audits {
        for ((action, target), _) in counts
            .iter()
            .filter(|((a, _), _)| a.starts_with("command."))
        {
            let id = target.rsplit('/').next().unwrap_or_default();
            if !stored.contains(id) {
                m.violation(format!(
                    "{tenant} audit has {action} for {target}, a command the store does not hold"
                ));
            }
        }
    }
    stored.len()
}
