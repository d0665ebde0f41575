//! `mdm-agent`: simulated devices that enroll, wait for push wake-ups, pull, execute and report.

use std::time::Duration;

use clap::Parser;
use mdm_devtools::agent::{self, AgentOptions, Event};

#[derive(Parser)]
#[command(version, about = "Simulate devices against an MDM server")]
struct Cli {
    /// The server's base URL.
    #[arg(long, env = "MDM_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// An enrollment token from POST /v1/enrollment-tokens (max_uses >= --devices).
    #[arg(long, env = "MDM_ENROLLMENT_TOKEN")]
    enrollment_token: String,
    /// How many devices to simulate.
    #[arg(long, default_value_t = 1)]
    devices: u64,
    /// android or ios: the platforms of the agent protocol this tool speaks (Macs and iPhones
    /// under Apple's MDM protocol are simulated in the tests, not here).
    #[arg(long, default_value = "android", value_parser = ["android", "ios"])]
    platform: String,
    /// Also check in every so many seconds (0: only when woken by a push).
    #[arg(long, default_value_t = 0)]
    checkin_secs: u64,
    /// Number of the first simulated device (for distinct serials across runs).
    #[arg(long, default_value_t = 1)]
    first_index: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let opts = AgentOptions {
        server: cli.server,
        enrollment_token: cli.enrollment_token,
        devices: cli.devices,
        platform: cli.platform,
        checkin_every: (cli.checkin_secs > 0).then(|| Duration::from_secs(cli.checkin_secs)),
        first_index: cli.first_index,
    };
    let mut fleet = match agent::start(opts).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("mdm-agent: enrolment failed: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut remaining = fleet.devices.len();
    loop {
        tokio::select! {
            event = fleet.events.recv() => match event {
                Some(e) => {
                    println!("{e}");
                    if matches!(e, Event::Gone { .. }) {
                        remaining -= 1;
                        if remaining == 0 { break; }
                    }
                }
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    fleet.stop().await;
    std::process::ExitCode::SUCCESS
}
