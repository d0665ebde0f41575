//! The run itself: device workers checking in, pulling, executing and reporting while admin
//! workers queue commands, until every command is closed or the time bound.

use super::*;

/// What every worker shares during the run.
pub(crate) struct Shared {
    pub(crate) api: Api,
    pub(crate) admin: String,
    pub(crate) device_ids: Vec<String>,
    pub(crate) stop: AtomicBool,
    /// Commands the server accepted.
    pub(crate) queued: AtomicUsize,
    /// Commands a device executed and the server then reported closed (each counted once).
    pub(crate) closed: AtomicUsize,
    pub(crate) admins_done: AtomicUsize,
}

/// A device as its worker sees it: the simulator, and each command id it has executed with
/// whether the server accepted the result.
pub(crate) struct Device {
    pub(crate) sim: SimDevice,
    pub(crate) seen: HashMap<String, bool>,
}

/// What one device worker observed.
#[derive(Default)]
pub(crate) struct DeviceLog {
    /// First executions, as (device index, command id).
    pub(crate) executions: Vec<(u64, String)>,
    /// Commands served again after the server had accepted their result.
    pub(crate) duplicates: Vec<(u64, String)>,
    /// Commands served again after their result report failed: allowed (at-least-once).
    pub(crate) redelivered: usize,
    pub(crate) errors: Vec<String>,
}

pub(crate) struct DeviceWorker {
    pub(crate) stats: Stats,
    pub(crate) log: DeviceLog,
}

impl DeviceWorker {
    pub(crate) fn note(&mut self, what: &str, e: &CallError) {
        if self.log.errors.len() < KEPT_ERRORS {
            self.log.errors.push(format!("{what}: {e}"));
        }
    }

    pub(crate) async fn run(mut self, shared: Arc<Shared>, mut devices: Vec<Device>) -> Self {
        'run: loop {
            for device in &mut devices {
                if shared.stop.load(Ordering::Relaxed) {
                    break 'run;
                }
                self.session(&shared, device).await;
            }
        }
        self
    }

    /// One check-in, and when work is pending: pull, execute, report.
    pub(crate) async fn session(&mut self, shared: &Shared, device: &mut Device) {
        let api = &shared.api;
        let credential = device.sim.credential.clone();
        let checkin = timed(
            &mut self.stats,
            Route::Checkin,
            api.checkin(&credential, &checkin_body(80)),
        )
        .await;
        let pending = match checkin {
            Ok(reply) => reply["pending_commands"].as_i64().unwrap_or(0),
            Err(e) => return self.note("checkin", &e),
        };
        if pending == 0 {
            return;
        }
        match timed(&mut self.stats, Route::Pending, api.pending(&credential)).await {
            Ok(commands) => {
                for command in commands {
                    self.execute(shared, device, &command).await;
                }
            }
            Err(e) => self.note("pending", &e),
        }
    }

    pub(crate) async fn execute(&mut self, shared: &Shared, device: &mut Device, command: &Value) {
        let id = command["id"].as_str().unwrap_or_default().to_owned();
        let index = device.sim.index;
        match device.seen.get(&id) {
            Some(true) => self.log.duplicates.push((index, id.clone())),
            Some(false) => self.log.redelivered += 1,
            None => self.log.executions.push((index, id.clone())),
        }
        let result = device.sim.execute(command);
        let reply = timed(
            &mut self.stats,
            Route::Report,
            shared.api.report(&device.sim.credential, &id, &result),
        )
        .await;
        let accepted = match reply {
            Ok(view) => is_final(&view["status"]),
            Err(e) => {
                self.note("report", &e);
                false
            }
        };
        let was_accepted = device.seen.insert(id, accepted).unwrap_or(false);
        if accepted && !was_accepted {
            shared.closed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

pub(crate) fn is_final(status: &Value) -> bool {
    matches!(
        status.as_str(),
        Some("acknowledged" | "error" | "expired" | "cancelled")
    )
}

/// A command the server accepted, and the device it is for.
pub(crate) struct Queued {
    pub(crate) id: String,
    pub(crate) device: u64,
}

/// The command number `n` of the run: kinds in turn, devices in turn, shifted each round so a
/// device does not always get the same kind.
pub(crate) fn command_for(n: usize, devices: usize) -> (usize, Value) {
    let device = n % devices;
    let spec = match (n + n / devices) % 5 {
        0 => json!({"type": "lock", "message": "Returned to IT, please"}),
        1 => json!({"type": "locate"}),
        2 => json!({"type": "ring", "duration_seconds": 5}),
        3 => json!({"type": "message", "text": format!("load test message {n}")}),
        _ => json!({"type": "refresh_inventory"}),
    };
    (device, json!({"command": spec}))
}

/// The admin side: each worker takes the next command number; with a rate, command `n` is sent
/// no earlier than `n / rate` seconds into the run (an open-loop schedule, so a slow reply does
/// not lower the offered rate).
pub(crate) struct AdminWorker {
    pub(crate) stats: Stats,
    pub(crate) queued: Vec<Queued>,
    pub(crate) errors: Vec<String>,
}

impl AdminWorker {
    pub(crate) async fn run(
        mut self,
        shared: Arc<Shared>,
        next: Arc<AtomicUsize>,
        total: usize,
        pace: Option<(tokio::time::Instant, f64)>,
    ) -> Self {
        while !shared.stop.load(Ordering::Relaxed) {
            let n = next.fetch_add(1, Ordering::Relaxed);
            if n >= total {
                break;
            }
            if let Some((start, rate)) = pace {
                tokio::time::sleep_until(start + Duration::from_secs_f64(n as f64 / rate)).await;
            }
            self.queue_one(&shared, n).await;
        }
        shared.admins_done.fetch_add(1, Ordering::Relaxed);
        self
    }

    pub(crate) async fn queue_one(&mut self, shared: &Shared, n: usize) {
        let (device, body) = command_for(n, shared.device_ids.len());
        let path = format!("/v1/devices/{}/commands", shared.device_ids[device]);
        let call = shared
            .api
            .call::<Value>(Method::POST, &path, Some(&shared.admin), Some(&body));
        match timed(&mut self.stats, Route::Queue, call).await {
            Ok(view) => {
                self.queued.push(Queued {
                    id: view["id"].as_str().unwrap_or_default().to_owned(),
                    device: device as u64,
                });
                shared.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) if self.errors.len() < KEPT_ERRORS => self.errors.push(format!("queue: {e}")),
            Err(_) => {}
        }
    }
}

/// Everything the run produced.
pub(crate) struct Outcome {
    pub(crate) wall: Duration,
    pub(crate) timed_out: bool,
    pub(crate) stats: Stats,
    pub(crate) queued: Vec<Queued>,
    pub(crate) log: DeviceLog,
}

pub(crate) async fn run(cli: &Cli, shared: Arc<Shared>, devices: Vec<SimDevice>) -> Outcome {
    let started = Instant::now();
    let mut device_set = JoinSet::new();
    for share in shares(devices, cli.concurrency) {
        let worker = DeviceWorker {
            stats: Stats::new(),
            log: DeviceLog::default(),
        };
        device_set.spawn(worker.run(shared.clone(), share));
    }
    let next = Arc::new(AtomicUsize::new(0));
    let pace = (cli.rate > 0.0).then(|| (tokio::time::Instant::now(), cli.rate));
    let mut admin_set = JoinSet::new();
    for _ in 0..cli.admin_concurrency {
        let worker = AdminWorker {
            stats: Stats::new(),
            queued: Vec::new(),
            errors: Vec::new(),
        };
        admin_set.spawn(worker.run(shared.clone(), next.clone(), cli.commands, pace));
    }
    let finished = wait_until_done(&shared, cli, started).await;
    shared.stop.store(true, Ordering::Relaxed);
    let mut outcome = Outcome {
        wall: Duration::ZERO,
        timed_out: !finished,
        stats: Stats::new(),
        queued: Vec::new(),
        log: DeviceLog::default(),
    };
    collect(&mut outcome, device_set, admin_set).await;
    outcome.wall = started.elapsed();
    outcome
}

/// Deals the devices out round-robin, one share per worker (no empty shares).
pub(crate) fn shares(devices: Vec<SimDevice>, workers: usize) -> Vec<Vec<Device>> {
    let mut shares: Vec<Vec<Device>> = (0..workers.min(devices.len()))
        .map(|_| Vec::new())
        .collect();
    let n = shares.len();
    for (i, sim) in devices.into_iter().enumerate() {
        shares[i % n].push(Device {
            sim,
            seen: HashMap::new(),
        });
    }
    shares
}

/// True once the admin is done and every accepted command is closed; false at the time bound.
pub(crate) async fn wait_until_done(shared: &Shared, cli: &Cli, started: Instant) -> bool {
    let bound = Duration::from_secs(cli.max_seconds);
    loop {
        let admins_done = shared.admins_done.load(Ordering::Relaxed) == cli.admin_concurrency;
        let queued = shared.queued.load(Ordering::Relaxed);
        if admins_done && shared.closed.load(Ordering::Relaxed) >= queued {
            return true;
        }
        if started.elapsed() >= bound {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub(crate) async fn collect(
    outcome: &mut Outcome,
    mut devices: JoinSet<DeviceWorker>,
    mut admins: JoinSet<AdminWorker>,
) {
    while let Some(done) = devices.join_next().await {
        let w = done.expect("device worker panicked");
        outcome.stats.merge(&w.stats);
        let log = &mut outcome.log;
        log.executions.extend(w.log.executions);
        log.duplicates.extend(w.log.duplicates);
        log.redelivered += w.log.redelivered;
        log.errors.extend(w.log.errors);
    }
    while let Some(done) = admins.join_next().await {
        let w = done.expect("admin worker panicked");
        outcome.stats.merge(&w.stats);
        outcome.queued.extend(w.queued);
        outcome.log.errors.extend(w.errors);
    }
}
