//! The deterministic simulation in CI: many seeds of random admin and device operations under
//! injected faults and process crashes, each checked for lost, doubled or misdirected commands.
//! `MDM_SIM_SEED=n` replays one seed; `MDM_SIM_SEEDS`, `MDM_SIM_DEVICES` and `MDM_SIM_STEPS`
//! make longer runs (see docs/testing.md).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use mdm_tests::sim::{RunStats, SimConfig, SimFailure, run_seed};

fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}"))
    })
}

/// Runs the seeds on every core, one runtime per thread: each seed stays deterministic, as it
/// runs alone on its own single-threaded runtime.
fn run_all(seeds: &[u64], cfg: SimConfig) -> Vec<Result<RunStats, SimFailure>> {
    let next = AtomicUsize::new(0);
    let out = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                while let Some(&seed) = seeds.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let r = rt.block_on(run_seed(seed, cfg));
                    out.lock().unwrap_or_else(|p| p.into_inner()).push(r);
                }
            });
        }
    });
    out.into_inner().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn no_seed_loses_doubles_or_misdirects_a_command_under_faults_and_crashes() {
    // It takes every core: no other heavy proof runs beside it (the binary's other tests may).
    let _alone = mdm_tests::heavy::proof_blocking();
    let defaults = SimConfig::default();
    let cfg = SimConfig {
        devices: env_num("MDM_SIM_DEVICES").map_or(defaults.devices, |n| n as usize),
        steps: env_num("MDM_SIM_STEPS").map_or(defaults.steps, |n| n as usize),
    };
    let seeds: Vec<u64> = match env_num("MDM_SIM_SEED") {
        Some(one) => vec![one],
        None => (1..=env_num("MDM_SIM_SEEDS").unwrap_or(50)).collect(),
    };
    let started = std::time::Instant::now();
    let mut total = RunStats::default();
    let mut failures = Vec::new();
    for result in run_all(&seeds, cfg) {
        match result {
            Ok(s) => {
                total.devices += s.devices;
                total.commands += s.commands;
                total.restarts += s.restarts;
                let (t, i) = (&mut total.injected, s.injected);
                t.errors += i.errors;
                t.throttles += i.throttles;
                t.ambiguous_writes += i.ambiguous_writes;
                t.duplicates += i.duplicates;
                t.reorders += i.reorders;
                t.visibility_lapses += i.visibility_lapses;
                t.push_outages += i.push_outages;
                t.crashes += i.crashes;
            }
            Err(f) => {
                eprintln!("{f}");
                failures.push(f.seed);
            }
        }
    }
    let line = format!(
        "simulation (embedded): {} seeds x {} steps in {:.1} s: {} devices, {} commands checked, {} restarts; injected {:?}",
        seeds.len(),
        cfg.steps,
        started.elapsed().as_secs_f64(),
        total.devices,
        total.commands,
        total.restarts,
        total.injected,
    );
    mdm_tests::figures::report("simulation", &line);
    assert!(failures.is_empty(), "failing seeds: {failures:?}");
}
