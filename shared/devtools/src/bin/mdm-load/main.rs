//! `mdm-load`: a load test of the server as devices and admins really meet it — HTTP over
//! loopback TCP with pooled connections, not the in-process router `mdm-bench` drives — that also
//! checks every queued command reached its device and was executed exactly once.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser};
use hdrhistogram::Histogram;
use mdm_app::{App, AppConfig};
use mdm_auth::{DevClaims, mint_hs256};
use mdm_core::domain::{Role, TenantId};
use mdm_devtools::agent::client::checkin_body;
use mdm_devtools::agent::{Api, CallError, SimDevice};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

const SECRET: &str = "load-secret-load-secret-load-secret-0123";
const TENANT: &str = "acme";
/// Requests in flight while enrolling and verifying: enough to keep both cores busy, few enough
/// not to queue behind each other for long.
const SETUP_WIDTH: usize = 32;
/// Error messages kept per worker: the first few say what went wrong, the counts say how often.
const KEPT_ERRORS: usize = 5;

const LONG_ABOUT: &str = "\
Load-test the MDM server over real HTTP on loopback.

Starts the embedded app (in memory, or with --disk the durable store in a temp dir) on
127.0.0.1, enrolls --devices simulated devices of one tenant, then for the whole run keeps
--concurrency device workers checking in, pulling pending commands, executing them and reporting
results, while admin workers queue --commands commands (lock, locate, ring, message,
refresh_inventory in turn) spread across the devices. Wake-ups go to the local push sink:
devices find their commands by polling. The rate limits are off: the devices call far more
often than real ones, and the point is the server's own throughput.

The run ends when every queued command is in a final state, or after --max-seconds.

It measures, for the run: requests/s overall and per route (checkin, pending pull, result
report, queue), p50/p99/max latency per route as the client sees it (connection pool, loopback
TCP, HTTP parsing, routing, use case, store), commands delivered, and peak RSS of the process
(server and clients together).

It checks exactly-once delivery: each command must be executed by its target device only, and
once; afterwards every command is read back through the admin API and must be acknowledged, and no
device may have an open command left.

Exit status: 0 if all holds; 1 on duplicates, losses, failed requests, or the time bound hit
with commands undelivered.";

#[derive(Parser)]
#[command(
    about = "Load-test the MDM server over real HTTP on loopback",
    long_about = LONG_ABOUT
)]
struct Cli {
    /// Simulated devices enrolled in the tenant.
    #[arg(long, default_value_t = 500)]
    devices: usize,
    /// Device workers; each owns a fixed share of the devices, so no device runs two sessions
    /// at once (as a real device would not).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Commands the admin queues over the run.
    #[arg(long, default_value_t = 2000)]
    commands: usize,
    /// Commands queued per second; 0 queues them as fast as the server accepts them.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Queue requests in flight at once.
    #[arg(long, default_value_t = 4)]
    admin_concurrency: usize,
    /// Time bound of the run (enrolment and verification excluded).
    #[arg(long, default_value_t = 60)]
    max_seconds: u64,
    /// Use the durable store (fsync on each group commit) in a temp dir instead of memory.
    #[arg(long)]
    disk: bool,
}

impl Cli {
    fn checked() -> Self {
        let cli = Self::parse();
        let counts = cli.devices > 0 && cli.concurrency > 0 && cli.admin_concurrency > 0;
        let rate = cli.rate >= 0.0 && cli.rate.is_finite();
        if !(counts && rate) {
            Self::command()
                .error(
                    clap::error::ErrorKind::ValueValidation,
                    "devices, concurrency and admin-concurrency must be at least 1, rate >= 0",
                )
                .exit();
        }
        cli
    }
}

mod checks;
mod report;
mod run;
mod server;
mod stats;

use checks::*;
use report::*;
use run::*;
use server::*;
use stats::*;

#[tokio::main]
async fn main() {
    let cli = Cli::checked();
    let started = Instant::now();
    let server = Server::start(cli.disk).await;
    println!(
        "mdm-load: {} devices, {} commands, {} device workers, {} admin workers, rate {}, store {}, server {}",
        cli.devices,
        cli.commands,
        cli.concurrency.min(cli.devices),
        cli.admin_concurrency,
        if cli.rate > 0.0 {
            format!("{}/s", cli.rate)
        } else {
            "unbounded".into()
        },
        if cli.disk {
            "on disk (durable group commit)"
        } else {
            "in memory"
        },
        server.base
    );
    let api = Api::new(&server.base);

    let t = Instant::now();
    let devices = match enroll_all(&api, &server.admin, cli.devices).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mdm-load: enrolment failed: {e}");
            std::process::exit(1);
        }
    };
    let secs = t.elapsed().as_secs_f64();
    println!(
        "enrolment: {} devices in {secs:.2} s ({:.0}/s)",
        devices.len(),
        devices.len() as f64 / secs
    );

    let shared = Arc::new(Shared {
        api,
        admin: server.admin.clone(),
        device_ids: devices.iter().map(|d| d.device_id.clone()).collect(),
        stop: AtomicBool::new(false),
        queued: AtomicUsize::new(0),
        closed: AtomicUsize::new(0),
        admins_done: AtomicUsize::new(0),
    });
    let outcome = run(&cli, shared.clone(), devices).await;
    println!(
        "run: {:.2} s{}",
        outcome.wall.as_secs_f64(),
        if outcome.timed_out {
            " (time bound hit)"
        } else {
            ""
        }
    );
    print_routes(&outcome.stats, outcome.wall);

    let delivery = reconcile(&outcome);
    let t = Instant::now();
    let view = read_back(&shared, &outcome.queued).await;
    println!(
        "commands: {} queued, {} delivered, {} duplicates, {} lost, {} misdelivered, {} redelivered after a failed report",
        outcome.queued.len(),
        delivery.delivered,
        delivery.duplicates.len(),
        delivery.lost.len(),
        delivery.misdelivered.len(),
        outcome.log.redelivered
    );
    println!(
        "read back through the admin API in {:.2} s: {} acknowledged, {} not acknowledged, {} still open",
        t.elapsed().as_secs_f64(),
        view.acknowledged,
        view.not_acknowledged.len(),
        view.still_open.len()
    );
    println!("wall time: {:.2} s", started.elapsed().as_secs_f64());
    println!("peak RSS: {:.1} MiB", peak_rss_mib());

    print_some("request errors (first few per worker)", &outcome.log.errors);
    print_some("duplicates", &delivery.duplicates);
    let lost = if outcome.timed_out {
        "undelivered"
    } else {
        "lost"
    };
    print_some(lost, &delivery.lost);
    print_some("misdelivered", &delivery.misdelivered);
    print_some("never queued", &delivery.unknown);
    print_some("not acknowledged", &view.not_acknowledged);
    print_some("still open", &view.still_open);
    print_some("read-back errors", &view.errors);

    drop(shared);
    server.stop().await;
    let why = failures(&outcome, &delivery, &view);
    if !why.is_empty() {
        eprintln!("mdm-load: FAILED: {}", why.join("; "));
        std::process::exit(1);
    }
}
