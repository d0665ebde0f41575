//! The Apple phase of the benchmark: simulated iPhones enrol through the real protocol
//! (profile, SCEP, Authenticate, TokenUpdate), then say Idle with nothing queued, which must
//! cost what an agent's idle check-in does (one write unit, no read); and what checking one
//! `Mdm-Signature` costs in CPU.

use std::sync::Arc;
use std::time::Instant;

use mdm_app::App;
use mdm_core::domain::{Platform, TenantId};
use mdm_core::ports::PushProvider;
use mdm_core::store::keys;
use mdm_core::store::records::to_item;
use mdm_core::usecases::tenancy::push_config::PushConfigRecord;
use mdm_devtools::agent::apple::{AppleDevice, InProcess};
use serde_json::json;
use tokio::task::JoinSet;

use crate::Bench;

/// The CPU time this thread has used, in nanoseconds (Linux's schedstat), or None elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The tenant of the Apple phase: one of its own, so no policy or rule of the other phases
/// applies to its devices.
pub const TENANT: &str = "orchard";

/// Enrols `devices` iPhones with `admin` (an admin of [`TENANT`]) and runs `idles` Idle
/// requests over them; returns the failures.
pub async fn phase(
    bench: &Arc<Bench>,
    app: &App,
    admin: &str,
    devices: usize,
    idles: usize,
    concurrency: usize,
) -> usize {
    let svc = &app.services;
    let tenant = TenantId::parse(TENANT).expect("tenant");
    // The enrolment profile names the tenant's APNs topic; nothing is pushed in this phase, so
    // the settings carry the topic only (an admin's would carry the certificate too).
    let secret = &format!("tenants/{TENANT}/push/ios");
    svc.secrets
        .put(
            secret,
            &json!({"topic": "com.apple.mgmt.External.bench"}).to_string(),
        )
        .await
        .expect("push settings secret");
    let record = PushConfigRecord {
        platform: Platform::Ios,
        provider: PushProvider::Apns,
        secret: secret.clone(),
        fingerprint: "bench".into(),
        updated_at: svc.now(),
        updated_by: "mdm-bench".into(),
        attrs: Default::default(),
        certificate: None,
    };
    svc.table
        .put(
            to_item(keys::push_config(&tenant, Platform::Ios), &record),
            None,
        )
        .await
        .expect("push settings");
    let (_, et) = bench
        .call(
            "POST",
            "/v1/enrollment-tokens",
            admin,
            json!({"max_uses": devices}),
        )
        .await;
    let token = et["token"].as_str().expect("enrollment token").to_owned();
    let transport = Arc::new(InProcess(bench.router.clone()));
    let started = Instant::now();
    let mut phones = Vec::with_capacity(devices);
    for chunk in (0..devices as u64).collect::<Vec<_>>().chunks(concurrency) {
        let mut set = JoinSet::new();
        for &n in chunk {
            let (transport, token) = (transport.clone(), token.clone());
            set.spawn(async move {
                let mut phone = AppleDevice::over(1_000_000 + n, transport);
                phone.enrol("http://bench.local", &token).await;
                phone
            });
        }
        while let Some(Ok(phone)) = set.join_next().await {
            phones.push(phone);
        }
    }
    println!(
        "apple enrolment:  {:>9.0} devices/s (profile, SCEP with RSA 2048, Authenticate, TokenUpdate)",
        devices as f64 / started.elapsed().as_secs_f64()
    );

    let phones = Arc::new(phones);
    let table = svc.table.clone();
    let before = table.units();
    let started = Instant::now();
    let mut set = JoinSet::new();
    for w in 0..concurrency {
        let phones = phones.clone();
        set.spawn(async move {
            let mut failures = 0;
            let mut i = w;
            while i < idles {
                let answer = phones[i % phones.len()].idle().await;
                if answer.status != 200 || !answer.body.is_empty() {
                    failures += 1;
                }
                i += concurrency;
            }
            failures
        });
    }
    let mut failures = 0;
    while let Some(Ok(f)) = set.join_next().await {
        failures += f;
    }
    let secs = started.elapsed().as_secs_f64();
    let used = table.units().since(&before);
    println!(
        "apple idle:       {:>9.0} Idles/s ({idles} in {secs:.2} s, {failures} failed)",
        idles as f64 / secs
    );
    println!(
        "  per Idle:       {:.3} write units, {:.3} read units (nothing queued)",
        used.write_units as f64 / idles as f64,
        used.read_units / idles as f64
    );

    // One signature check, alone on this thread: the CPU an Apple request pays to be
    // authenticated (CMS parse, SHA-256 of the body, RSA 2048 verification of the signature and
    // of the certificate's chain to the tenant's CA).
    let phone = &phones[0];
    let body = b"<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>Status</key><string>Idle</string></dict></plist>";
    let header = phone.sign(body);
    let ca = mdm_core::apple::ca::verifier(svc, &tenant)
        .await
        .expect("the tenant's CA")
        .expect("a CA");
    let rounds = 500;
    let (cpu0, wall0) = (thread_cpu_ns(), Instant::now());
    for _ in 0..rounds {
        mdm_pki::verify_mdm_signature(&header, body, &ca, svc.now() / 1000)
            .expect("a valid signature");
    }
    let wall = wall0.elapsed().as_nanos() as f64 / rounds as f64 / 1000.0;
    match (cpu0, thread_cpu_ns()) {
        (Some(a), Some(b)) => println!(
            "Mdm-Signature:    {:>9.1} µs CPU per check ({:.1} µs wall)",
            (b - a) as f64 / rounds as f64 / 1000.0,
            wall
        ),
        _ => println!("Mdm-Signature:    {wall:>9.1} µs wall per check"),
    }
    failures
}
