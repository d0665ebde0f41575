//! The README's round trip with the real `mdm-agent` binary: a simulated phone enrols with an
//! enrollment token, is woken by the local push sink when a lock is queued, runs it and reports
//! it acknowledged. (Having an integration test also makes `cargo test` build this package's
//! binaries, which CI's benchmark and load-test smoke runs use.)

use std::process::Stdio;
use std::time::Duration;

use mdm_app::{App, AppConfig};
use mdm_auth::{DevClaims, mint_hs256};
use mdm_core::domain::{Role, TenantId};
use mdm_devtools::agent::Api;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

const SECRET: &str = "a-dev-key-of-at-least-thirty-two-characters";

/// Reads the agent's output until a line contains `needle`; that line.
async fn line_with(lines: &mut Lines<BufReader<ChildStdout>>, needle: &str) -> String {
    let wait = async {
        while let Some(line) = lines.next_line().await.expect("agent output") {
            if line.contains(needle) {
                return line;
            }
        }
        panic!("the agent exited before printing {needle:?}");
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .unwrap_or_else(|_| panic!("no {needle:?} from the agent within a minute"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_enrols_is_woken_and_acknowledges_a_lock() {
    let app = App::build(&AppConfig::for_tests(SECRET)).expect("app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { app.serve(listener, std::future::pending()).await });
    let admin = mint_hs256(
        SECRET.as_bytes(),
        &DevClaims {
            iss: "mdm-dev".into(),
            aud: "mdm".into(),
            sub: "admin@acme".into(),
            tenant: TenantId::parse("acme").unwrap(),
            role: Role::Admin,
            ttl_secs: 600,
        },
    )
    .unwrap();
    let api = Api::new(&base);
    let token: Value = api
        .call(
            Method::POST,
            "/v1/enrollment-tokens",
            Some(&admin),
            Some(&json!({"max_uses": 1})),
        )
        .await
        .expect("an enrollment token");

    let mut agent = Command::new(env!("CARGO_BIN_EXE_mdm-agent"))
        .args(["--server", &base, "--enrollment-token"])
        .arg(token["token"].as_str().unwrap())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("mdm-agent starts");
    let mut lines = BufReader::new(agent.stdout.take().unwrap()).lines();
    let enrolled = line_with(&mut lines, "enrolled as ").await;
    let device = enrolled.rsplit(' ').next().unwrap().to_owned();

    let queued: Value = api
        .call(
            Method::POST,
            &format!("/v1/devices/{device}/commands"),
            Some(&admin),
            Some(&json!({"command": {"type": "lock", "message": "Lost phone"}})),
        )
        .await
        .expect("the lock is queued");
    let command = queued["id"].as_str().unwrap();
    line_with(&mut lines, "woken by a push").await;
    let ran = line_with(&mut lines, &format!("ran lock ({command})")).await;
    assert!(ran.ends_with("-> acknowledged"), "{ran}");

    let seen: Value = api
        .call(
            Method::GET,
            &format!("/v1/devices/{device}/commands/{command}"),
            Some(&admin),
            None::<&()>,
        )
        .await
        .expect("the command");
    assert_eq!(seen["status"], "acknowledged", "{seen}");
    let device: Value = api
        .call(
            Method::GET,
            &format!("/v1/devices/{device}"),
            Some(&admin),
            None::<&()>,
        )
        .await
        .expect("the device");
    assert_eq!(device["locked"], true, "{device}");
}
