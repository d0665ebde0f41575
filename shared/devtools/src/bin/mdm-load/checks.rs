//! Exactly-once, checked twice: what the devices executed against what the admins queued, and
//! what the server reads back through the admin API.

use super::*;

/// The device side's view of delivery, against what the admin queued.
pub(crate) struct Delivery {
    pub(crate) delivered: usize,
    pub(crate) lost: Vec<String>,
    pub(crate) duplicates: Vec<String>,
    /// Executed by a device other than the one it was queued for.
    pub(crate) misdelivered: Vec<String>,
    /// Executed, but never accepted by the queue call as far as the admin saw.
    pub(crate) unknown: Vec<String>,
}

pub(crate) fn reconcile(outcome: &Outcome) -> Delivery {
    let target: HashMap<&str, u64> = outcome
        .queued
        .iter()
        .map(|q| (q.id.as_str(), q.device))
        .collect();
    let mut runs: HashMap<&str, usize> = HashMap::new();
    let mut d = Delivery {
        delivered: 0,
        lost: Vec::new(),
        duplicates: outcome
            .log
            .duplicates
            .iter()
            .map(|(dev, id)| format!("{id} again on device #{dev}"))
            .collect(),
        misdelivered: Vec::new(),
        unknown: Vec::new(),
    };
    for (device, id) in &outcome.log.executions {
        *runs.entry(id.as_str()).or_default() += 1;
        match target.get(id.as_str()) {
            None => d.unknown.push(format!("{id} on device #{device}")),
            Some(t) if t != device => d
                .misdelivered
                .push(format!("{id} for device #{t} ran on device #{device}")),
            Some(_) => {}
        }
    }
    for q in &outcome.queued {
        match runs.get(q.id.as_str()).copied().unwrap_or(0) {
            0 => d.lost.push(format!("{} for device #{}", q.id, q.device)),
            1 => d.delivered += 1,
            n => {
                d.delivered += 1;
                d.duplicates.push(format!("{} ran on {n} devices", q.id));
            }
        }
    }
    d
}

/// The server's view, read back through the admin API after the run.
#[derive(Default)]
pub(crate) struct ServerView {
    pub(crate) acknowledged: usize,
    /// Queued commands not acknowledged, with their status.
    pub(crate) not_acknowledged: Vec<String>,
    /// Open commands left on any device.
    pub(crate) still_open: Vec<String>,
    pub(crate) errors: Vec<String>,
}

pub(crate) enum Check {
    Command(Result<(String, String), CallError>),
    Open(Result<Vec<String>, CallError>),
}

pub(crate) async fn read_back(shared: &Arc<Shared>, queued: &[Queued]) -> ServerView {
    let mut jobs: Vec<(Option<String>, usize)> = queued
        .iter()
        .map(|q| (Some(q.id.clone()), q.device as usize))
        .collect();
    jobs.extend((0..shared.device_ids.len()).map(|d| (None, d)));
    let checks = in_parallel(jobs, SETUP_WIDTH, |(command, device)| {
        let shared = shared.clone();
        async move { check(&shared, command, device).await }
    })
    .await;
    let mut view = ServerView::default();
    for c in checks {
        tally(&mut view, c);
    }
    view
}

/// One admin read: a queued command's status, or a device's open commands.
pub(crate) async fn check(shared: &Shared, command: Option<String>, device: usize) -> Check {
    let device_id = &shared.device_ids[device];
    let admin = Some(shared.admin.as_str());
    match command {
        Some(id) => {
            let path = format!("/v1/devices/{device_id}/commands/{id}");
            let got = shared
                .api
                .call::<Value>(Method::GET, &path, admin, None::<&()>);
            Check::Command(got.await.map(|v| {
                let status = v["status"].as_str().unwrap_or("?").to_owned();
                (id, status)
            }))
        }
        None => {
            let path = format!("/v1/devices/{device_id}/commands?open=true&limit=200");
            let got = shared
                .api
                .call::<Value>(Method::GET, &path, admin, None::<&()>);
            Check::Open(got.await.map(|v| {
                let items = v["items"].as_array().cloned().unwrap_or_default();
                items
                    .iter()
                    .map(|c| {
                        let field = |k: &str| c[k].as_str().unwrap_or("?").to_owned();
                        format!("{} ({}) on {device_id}", field("id"), field("status"))
                    })
                    .collect()
            }))
        }
    }
}

pub(crate) fn tally(view: &mut ServerView, check: Check) {
    match check {
        Check::Command(Ok((_, status))) if status == "acknowledged" => view.acknowledged += 1,
        Check::Command(Ok((id, status))) => view.not_acknowledged.push(format!("{id}: {status}")),
        Check::Open(Ok(open)) => view.still_open.extend(open),
        Check::Command(Err(e)) | Check::Open(Err(e)) => view.errors.push(e.to_string()),
    }
}
