//! `mdm-bench`: drives check-ins and command round trips through the in-process stack (HTTP
//! router, use cases, embedded store and queue, push sink) and prints throughput, request units
//! per operation (counted the DynamoDB way) and memory. A benchmark, not a test.

mod apple;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use clap::Parser;
use mdm_app::{App, AppConfig, worker};
use mdm_auth::{DevClaims, mint_hs256};
use mdm_core::domain::{Role, TenantId};
use mdm_core::ports::Table;
use mdm_devtools::agent::SimDevice;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tower::ServiceExt;

const SECRET: &str = "bench-secret-bench-secret-bench-secret!!";

#[derive(Parser)]
#[command(about = "Benchmark the in-process MDM stack")]
struct Cli {
    #[arg(long, default_value_t = 1000)]
    devices: usize,
    #[arg(long, default_value_t = 20_000)]
    checkins: usize,
    #[arg(long, default_value_t = 500)]
    commands: usize,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Use a durable database file (fsync on each group commit) instead of memory.
    #[arg(long)]
    disk: bool,
    /// Simulated iPhones enrolled through Apple's protocol (SCEP included) for the Apple phase.
    #[arg(long, default_value_t = 50)]
    apple_devices: usize,
    /// Idle requests of those iPhones with nothing queued.
    #[arg(long, default_value_t = 5000)]
    apple_idles: usize,
}

pub(crate) struct Bench {
    pub(crate) router: Router,
    pub(crate) admin: String,
}

impl Bench {
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        bearer: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {bearer}"))
            .header("content-type", "application/json")
            .body(if body.is_null() {
                Body::empty()
            } else {
                Body::from(body.to_string())
            })
            .expect("request");
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = AppConfig::for_tests(SECRET);
    cfg.in_memory = !cli.disk;
    cfg.data_dir = dir.path().to_path_buf();
    // The bench measures the store's cost per operation; its one-tenant, thousand-device burst
    // would otherwise be answered by the rate limits.
    cfg.rate_device_per_min = 0;
    cfg.rate_tenant_per_min = 0;
    cfg.rate_enroll_per_min = 0;
    let app = App::build(&cfg).expect("build app");
    let mint = |tenant: &str| {
        mint_hs256(
            SECRET.as_bytes(),
            &DevClaims {
                iss: cfg.jwt_issuer.clone(),
                aud: cfg.jwt_audience.clone(),
                sub: format!("bench@{tenant}"),
                tenant: TenantId::parse(tenant).expect("tenant"),
                role: Role::Admin,
                ttl_secs: 3600,
            },
        )
        .expect("token")
    };
    let admin = mint("acme");
    let bench = Arc::new(Bench {
        router: app.router(),
        admin,
    });
    let table: Arc<dyn Table> = app.services.table.clone();
    println!(
        "mdm-bench: {} devices, {} check-ins, {} command round trips, concurrency {}, store {}",
        cli.devices,
        cli.checkins,
        cli.commands,
        cli.concurrency,
        if cli.disk {
            "on disk (durable group commit)"
        } else {
            "in memory"
        }
    );

    // Enrol.
    let (_, et) = bench
        .call(
            "POST",
            "/v1/enrollment-tokens",
            &bench.admin,
            json!({"max_uses": cli.devices}),
        )
        .await;
    let token = et["token"].as_str().expect("enrollment token").to_owned();
    let started = Instant::now();
    let mut creds = Vec::with_capacity(cli.devices);
    for chunk in (0..cli.devices as u64)
        .collect::<Vec<_>>()
        .chunks(cli.concurrency)
    {
        let mut set = JoinSet::new();
        for &n in chunk {
            let (b, token) = (bench.clone(), token.clone());
            set.spawn(async move {
                let body = SimDevice::enrollment_body(n, &token, "android", &format!("sink:{n}"));
                let req = Request::builder()
                    .method("POST")
                    .uri("/v1/enroll")
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .expect("request");
                let res = b.router.clone().oneshot(req).await.expect("infallible");
                let bytes = axum::body::to_bytes(res.into_body(), 1 << 16)
                    .await
                    .unwrap_or_default();
                let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                (
                    v["device_id"].as_str().unwrap_or_default().to_owned(),
                    v["device_credential"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            });
        }
        while let Some(Ok(pair)) = set.join_next().await {
            creds.push(pair);
        }
    }
    let enrol_secs = started.elapsed().as_secs_f64();
    println!(
        "enrolment:        {:>9.0} devices/s",
        cli.devices as f64 / enrol_secs
    );

    // Idle check-ins.
    let creds = Arc::new(creds);
    let before = table.units();
    let (done, failures, secs) = checkins(
        &bench,
        &creds,
        cli.concurrency,
        cli.checkins,
        json!({"battery_level": 50}),
    )
    .await;
    let used = table.units().since(&before);
    println!(
        "idle check-ins:   {:>9.0} check-ins/s ({done} in {secs:.2} s, {failures} failed)",
        done as f64 / secs
    );
    println!(
        "  per check-in:   {:.3} write units, {:.3} read units",
        used.write_units as f64 / done as f64,
        used.read_units / done as f64
    );

    // Command round trips: queue -> wake consumer -> check-in -> fetch -> report.
    let before = table.units();
    let started = Instant::now();
    let mut set = JoinSet::new();
    let per_worker = cli.commands.div_ceil(cli.concurrency);
    for w in 0..cli.concurrency {
        let (b, creds) = (bench.clone(), creds.clone());
        set.spawn(async move {
            let mut ids = Vec::new();
            for i in 0..per_worker {
                let (device, _) = &creds[(w * per_worker + i) % creds.len()];
                let (status, v) = b
                    .call(
                        "POST",
                        &format!("/v1/devices/{device}/commands"),
                        &b.admin,
                        json!({"command": {"type": "locate"}}),
                    )
                    .await;
                if status == StatusCode::CREATED {
                    ids.push((
                        device.clone(),
                        v["id"].as_str().unwrap_or_default().to_owned(),
                    ));
                }
            }
            ids
        });
    }
    let mut queued = 0;
    while let Some(Ok(ids)) = set.join_next().await {
        queued += ids.len();
    }
    let mut woken = 0;
    while woken < queued {
        let n = worker::drain_once(
            &app.services,
            app.wake_queue.as_ref(),
            Duration::from_millis(100),
        )
        .await;
        if n == 0 {
            break;
        }
        woken += n;
    }
    let mut set = JoinSet::new();
    let shards: Vec<Vec<(String, String)>> = creds
        .chunks(creds.len().div_ceil(cli.concurrency))
        .map(<[_]>::to_vec)
        .collect();
    for shard in shards {
        let b = bench.clone();
        set.spawn(async move {
            let mut reported = 0usize;
            for (_, cred) in shard {
                let (_, reply) = b.call("POST", "/v1/device/checkin", &cred, json!({})).await;
                if reply["pending_commands"].as_i64().unwrap_or(0) == 0 {
                    continue;
                }
                let (_, pulled) = b.call("GET", "/v1/device/commands", &cred, Value::Null).await;
                for c in pulled["commands"].as_array().cloned().unwrap_or_default() {
                    let id = c["id"].as_str().unwrap_or_default();
                    let (status, _) = b
                        .call("POST", &format!("/v1/device/commands/{id}/result"), &cred,
                              json!({"status": "acknowledged", "data": {"latitude": 1.0, "longitude": 2.0}}))
                        .await;
                    if status == StatusCode::OK {
                        reported += 1;
                    }
                }
            }
            reported
        });
    }
    let mut reported = 0;
    while let Some(Ok(n)) = set.join_next().await {
        reported += n;
    }
    let secs = started.elapsed().as_secs_f64();
    let used = table.units().since(&before);
    println!(
        "command trips:    {:>9.0} round trips/s ({reported} of {queued} acknowledged, {woken} wake-ups, in {secs:.2} s)",
        reported as f64 / secs
    );
    println!(
        "  per command:    {:.2} write units, {:.2} read units (queue, push, check-in, fetch, report)",
        used.write_units as f64 / reported.max(1) as f64,
        used.read_units / reported.max(1) as f64
    );
    let compliance_failures = compliance_phase(&bench, &app, &creds, &cli).await;
    let apple_failures = apple::phase(
        &bench,
        &app,
        &mint(apple::TENANT),
        cli.apple_devices,
        cli.apple_idles,
        cli.concurrency,
    )
    .await;
    println!("memory:           {:.1} MiB RSS", rss_mib());
    if reported != queued || failures > 0 || compliance_failures > 0 || apple_failures > 0 {
        eprintln!("mdm-bench: some operations failed");
        std::process::exit(1);
    }
}

/// `total` check-ins with `body`, spread over the devices by `concurrency` workers; returns
/// (done, failed, seconds).
async fn checkins(
    bench: &Arc<Bench>,
    creds: &Arc<Vec<(String, String)>>,
    concurrency: usize,
    total: usize,
    body: Value,
) -> (usize, usize, f64) {
    let started = Instant::now();
    let mut set = JoinSet::new();
    let per_worker = total.div_ceil(concurrency);
    for w in 0..concurrency {
        let (b, creds, body) = (bench.clone(), creds.clone(), body.clone());
        set.spawn(async move {
            let mut failures = 0usize;
            for i in 0..per_worker {
                let (_, cred) = &creds[(w * per_worker + i) % creds.len()];
                let (status, _) = b
                    .call("POST", "/v1/device/checkin", cred, body.clone())
                    .await;
                if status != StatusCode::OK {
                    failures += 1;
                }
            }
            failures
        });
    }
    let mut failures = 0;
    while let Some(Ok(f)) = set.join_next().await {
        failures += f;
    }
    (
        per_worker * concurrency,
        failures,
        started.elapsed().as_secs_f64(),
    )
}

/// Compliance: a tenant default policy with rules reaches every device (recompute and first
/// evaluation), then idle check-ins under the rules, then each device reports an older OS (an
/// evaluation that queues a notice). Returns how many operations failed.
async fn compliance_phase(
    bench: &Arc<Bench>,
    app: &App,
    creds: &Arc<Vec<(String, String)>>,
    cli: &Cli,
) -> usize {
    let table = app.services.table.clone();
    let rules = json!({"name": "bench rules", "document": {"compliance": {
        "min_os_version": {"version": "14", "escalation": [
            {"after_seconds": 0, "action": "notify_user"},
            {"after_seconds": 3600, "action": "block_corporate_access"}]},
        "passcode_set": {}, "max_offline": {"hours": 72}
    }}});
    let (_, policy) = bench
        .call("POST", "/v1/policies", &bench.admin, rules)
        .await;
    let before = table.units();
    let started = Instant::now();
    bench
        .call(
            "PUT",
            "/v1/default-policy",
            &bench.admin,
            json!({"policy_id": policy["id"]}),
        )
        .await;
    while worker::drain_once(
        &app.services,
        app.wake_queue.as_ref(),
        Duration::from_millis(100),
    )
    .await
        > 0
    {}
    let secs = started.elapsed().as_secs_f64();
    let used = table.units().since(&before);
    let n = creds.len() as f64;
    println!(
        "rules assigned:   {:>9.0} devices/s (policy recomputed and first evaluation, through the queue)",
        n / secs
    );
    println!(
        "  per device:     {:.2} write units, {:.2} read units",
        used.write_units as f64 / n,
        used.read_units / n
    );
    // Each device takes its policy once (the reply carries it until applied); then idle.
    let mut failures = 0;
    for (_, cred) in creds.iter() {
        let (_, reply) = bench
            .call("POST", "/v1/device/checkin", cred, json!({}))
            .await;
        let version = reply["policy"]["version"].clone();
        let (status, _) = bench
            .call(
                "POST",
                "/v1/device/checkin",
                cred,
                json!({"policy_version": version}),
            )
            .await;
        failures += usize::from(status != StatusCode::OK);
    }
    let before = table.units();
    let (done, failed, secs) = checkins(
        bench,
        creds,
        cli.concurrency,
        cli.checkins,
        json!({"battery_level": 50}),
    )
    .await;
    let used = table.units().since(&before);
    failures += failed;
    println!(
        "idle under rules: {:>9.0} check-ins/s, {:.3} write units, {:.3} read units per check-in",
        done as f64 / secs,
        used.write_units as f64 / done as f64,
        used.read_units / done as f64
    );
    let before = table.units();
    let (done, failed, secs) = checkins(
        bench,
        creds,
        cli.concurrency,
        creds.len(),
        json!({"os_version": "13"}),
    )
    .await;
    let used = table.units().since(&before);
    failures += failed;
    println!(
        "OS downgrades:    {:>9.0} evaluations/s, {:.2} write units, {:.2} read units each (notice queued)",
        done as f64 / secs,
        used.write_units as f64 / done as f64,
        used.read_units / done as f64
    );
    failures
}
