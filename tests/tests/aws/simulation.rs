//! The simulation on the AWS adapters: DynamoDB and SQS in moto's server behind the same
//! fault-injecting ports, with crashes that drop every client and start a new "instance". Fewer
//! seeds and devices than on the embedded store (moto serialises every request), the same
//! invariants. A heavy proof: no other one and no wall-clock test runs beside it.

use mdm_tests::sim::{SimConfig, run_seed_on_aws};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_on_dynamodb_and_sqs_lose_double_or_misdirect_no_command() {
    let _alone = mdm_tests::heavy::proof().await;
    let cfg = SimConfig {
        devices: 20,
        steps: 300,
    };
    let started = std::time::Instant::now();
    let mut commands = 0;
    let mut restarts = 0;
    for seed in 1..=2 {
        match run_seed_on_aws(seed, cfg).await {
            Ok(s) => {
                commands += s.commands;
                restarts += s.restarts;
            }
            Err(f) => panic!("{f}"),
        }
    }
    let line = format!(
        "simulation (aws on moto): 2 seeds x {} steps in {:.1} s: {commands} commands checked, {restarts} restarts",
        cfg.steps,
        started.elapsed().as_secs_f64()
    );
    mdm_tests::figures::report("simulation", &line);
    assert!(commands > 0);
}
