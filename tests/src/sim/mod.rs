//! A deterministic simulation: for one seed, simulated admins and devices do random operations
//! (enroll, check in, queue, cancel, pull, report, wipe) against the real use cases on the
//! durable embedded store, under injected faults and crashes of the whole process, one step at
//! a time. Then every device drains its queue, every deadline passes, and the recorded history
//! is checked. The same seed replays the same run.

pub mod checks;
pub mod model;
pub mod ops;
pub mod process;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::faults::{FaultRates, Faults, Injected};
use model::Model;
use process::{Durable, Machine};

/// The size of one run.
#[derive(Debug, Clone, Copy)]
pub struct SimConfig {
    pub devices: usize,
    pub steps: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            devices: 200,
            steps: 1500,
        }
    }
}

/// What one seed did, for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct RunStats {
    pub devices: usize,
    pub commands: usize,
    pub restarts: u64,
    pub injected: Injected,
}

/// A seed that broke an invariant, with what it broke and the last operations before the end.
#[derive(Debug)]
pub struct SimFailure {
    pub seed: u64,
    pub violations: Vec<String>,
    pub trace: Vec<String>,
}

impl std::fmt::Display for SimFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "seed {} broke {} invariant(s):",
            self.seed,
            self.violations.len()
        )?;
        for v in self.violations.iter().take(20) {
            writeln!(f, "  - {v}")?;
        }
        writeln!(f, "last operations:")?;
        for t in &self.trace {
            writeln!(f, "  {t}")?;
        }
        write!(
            f,
            "replay: MDM_SIM_SEED={} cargo test -p mdm-tests --test embedded simulation:: -- --nocapture",
            self.seed
        )
    }
}

/// 2027-01-15, a fixed start so that runs do not depend on the day they run.
const START_MS: i64 = 1_800_000_000_000;

/// Runs one seed on a fresh embedded database file and checks it.
pub async fn run_seed(seed: u64, cfg: SimConfig) -> Result<RunStats, SimFailure> {
    let dir = scratch_dir();
    let machine = Machine::embedded(dir.path(), START_MS, Faults::new(seed, FaultRates::harsh()));
    run(seed, cfg, machine).await
}

/// Runs one seed on a fresh DynamoDB table and SQS queue in moto. SQS keeps its own time for
/// visibility, so the run is not replayed exactly, but every invariant is the same.
pub async fn run_seed_on_aws(seed: u64, cfg: SimConfig) -> Result<RunStats, SimFailure> {
    let table = crate::moto::table().await;
    let urls = crate::moto::queue_urls(5).await;
    let durable = Durable::Aws {
        table: table.name().to_owned(),
        queue_url: urls.queue,
        dead_letter_url: urls.dead_letters,
    };
    let machine = Machine::new(durable, START_MS, Faults::new(seed, FaultRates::harsh()));
    run(seed, cfg, machine).await
}

async fn run(seed: u64, cfg: SimConfig, machine: Machine) -> Result<RunStats, SimFailure> {
    let faults = machine.faults.clone();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut m = Model::default();
    let mut p = machine.boot();
    let mut restarts = 0;

    for step in 0..cfg.steps {
        let roll = rng.gen_range(0..1000);
        let enrolling = m.devices.len() < cfg.devices && (step < cfg.steps / 3 || roll < 100);
        if enrolling && rng.gen_bool(0.6) {
            ops::enroll(&p, &mut m, &mut rng).await;
        } else {
            match roll {
                0..=219 => ops::queue(&p, &mut m, &mut rng).await,
                220..=274 => ops::cancel(&p, &mut m, &mut rng).await,
                275..=279 => ops::unenroll(&p, &mut m, &mut rng).await,
                280..=379 => ops::check_in(&p, &mut m, &mut rng).await,
                380..=579 => {
                    if let Some(d) = ops::pick_device(&m, &mut rng, |_| true) {
                        ops::pull(&p, &mut m, &mut rng, d, false).await;
                    }
                }
                580..=779 => {
                    if let Some(d) = ops::pick_device(&m, &mut rng, |d| !d.inbox.is_empty()) {
                        ops::report(&p, &mut m, &mut rng, d).await;
                    }
                }
                780..=809 => ops::report_again(&p, &mut m, &mut rng).await,
                810..=919 => {
                    ops::consume(&p, &mut m).await;
                }
                920..=979 => machine.clock.advance_secs(advance(&mut rng)),
                _ => faults.arm_crash(rng.gen_range(1..=4)),
            }
        }
        if faults.crashed() {
            m.note(format!("-- crash at step {step}, restart --"));
            p = machine.restart(p);
            restarts += 1;
        }
    }

    drain(&machine, &mut p, &mut m, &mut rng).await;
    let commands = checks::run(&p, &mut m).await;
    let stats = RunStats {
        devices: m.devices.len(),
        commands,
        restarts,
        injected: faults.injected(),
    };
    if m.violations.is_empty() {
        Ok(stats)
    } else {
        Err(SimFailure {
            seed,
            violations: m.violations,
            trace: m.trace_at_failure.unwrap_or(m.trace),
        })
    }
}

/// Mostly seconds between operations, sometimes long enough for short deadlines to pass.
fn advance(rng: &mut StdRng) -> i64 {
    if rng.gen_bool(0.05) {
        rng.gen_range(600..=7200)
    } else {
        rng.gen_range(1..=90)
    }
}

/// Faults stop; the consumer empties the wake queue and every device checks in, pulls and
/// answers until nothing is left; then the clock passes every deadline.
async fn drain(machine: &Machine, p: &mut process::Process, m: &mut Model, rng: &mut StdRng) {
    machine.faults.set_rates(FaultRates::none());
    // A crash armed but not yet reached is called off.
    machine.faults.revive();
    for _round in 0..20 {
        // Released and lapsed messages become visible again after their delay.
        machine.clock.advance_secs(60);
        while ops::consume(p, m).await > 0 {}
        let mut busy = false;
        for d in 0..m.devices.len() {
            if m.devices[d].revoked {
                continue;
            }
            ops::check_in_device(p, m, d).await;
            if ops::pull(p, m, rng, d, true).await > 0 {
                busy = true;
            }
            while ops::report(p, m, rng, d).await {
                busy = true;
            }
            // Whatever could not be answered (closed meanwhile) is dropped by `report`.
        }
        if !busy {
            break;
        }
    }
    // Past the longest deadline (30 days): every open command must now read as expired.
    machine.clock.advance_secs(31 * 86_400);
}

fn scratch_dir() -> tempfile::TempDir {
    // A RAM-backed directory where there is one: the run is about ordering, not disk speed.
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().expect("temp dir")
}
