//! Durability of the real `mdm-dev` binary: killed with SIGKILL in the middle of work and
//! started again, it still has every tenant, device, command and queued message, and the
//! queued wake-up is delivered after the restart.

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mdm_devtools::agent::{Api, SimDevice};
use reqwest::Method;
use serde_json::{Value, json};

const SECRET: &str = "restart-test-secret-restart-test-secret!";

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_server(dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mdm-dev"))
        .args(["--data-dir", dir.to_str().expect("utf-8 path")])
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("MDM_DEV_JWT_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("mdm-dev starts")
}

async fn wait_healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{base}/healthz")).await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("mdm-dev did not become healthy at {base}");
}

fn admin_token(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mdm-dev"))
        .args(["--data-dir", dir.to_str().expect("utf-8 path")])
        .args(["token", "--tenant", "acme", "--role", "admin"])
        .env("MDM_DEV_JWT_SECRET", SECRET)
        .output()
        .expect("mdm-dev token runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_work_restarts_with_everything_and_delivers_the_queued_wake() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let api = Api::new(&base);
    let admin = admin_token(dir.path());

    // A push endpoint that is down during the first run, so the wake stays queued.
    let push_port = free_port();
    let push_token = format!("http://127.0.0.1:{push_port}/wake/0");

    let mut server = start_server(dir.path(), port);
    wait_healthy(&base).await;
    let et: Value = api
        .call(
            Method::POST,
            "/v1/enrollment-tokens",
            Some(&admin),
            Some(&json!({"max_uses": 3})),
        )
        .await
        .expect("enrollment token");
    let enrolled = api
        .enroll(&SimDevice::enrollment_body(
            7,
            et["token"].as_str().unwrap(),
            "android",
            &push_token,
        ))
        .await
        .expect("enroll");
    let device = enrolled["device_id"].as_str().unwrap().to_owned();
    let cred = enrolled["device_credential"].as_str().unwrap().to_owned();
    let queued: Value = api
        .call(
            Method::POST,
            &format!("/v1/devices/{device}/commands"),
            Some(&admin),
            Some(&json!({"command": {"type": "lock"}})),
        )
        .await
        .expect("queue");
    let command = queued["id"].as_str().unwrap().to_owned();
    // Let the consumer try (and fail) the push at least once, then kill -9.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");

    // The device's push endpoint comes up; the server restarts on the same data.
    let push = tokio::net::TcpListener::bind(("127.0.0.1", push_port))
        .await
        .expect("bind push");
    let (woke_tx, mut woke_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let wake_app = axum::Router::new().route(
        "/wake/{slot}",
        axum::routing::post(move || {
            let tx = woke_tx.clone();
            async move {
                let _ = tx.send(());
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    tokio::spawn(async move { axum::serve(push, wake_app).await });
    let mut server = start_server(dir.path(), port);
    wait_healthy(&base).await;

    let (_, read): (u16, Value) = match api
        .call::<Value>(
            Method::GET,
            &format!("/v1/devices/{device}"),
            Some(&admin),
            None::<&()>,
        )
        .await
    {
        Ok(v) => (200, v),
        Err(e) => panic!("device lost after restart: {e}"),
    };
    assert_eq!(read["serial"], "SIM00000007");
    assert_eq!(read["pending_commands"], 1);

    tokio::time::timeout(Duration::from_secs(30), woke_rx.recv())
        .await
        .expect("the queued wake-up is delivered after the restart")
        .expect("wake received");

    // The device finishes the round trip on the restarted server.
    let pulled = api.pending(&cred).await.expect("pull");
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0]["id"], command.as_str());
    api.report(&cred, &command, &json!({"status": "acknowledged"}))
        .await
        .expect("report");
    let c: Value = api
        .call(
            Method::GET,
            &format!("/v1/devices/{device}/commands/{command}"),
            Some(&admin),
            None::<&()>,
        )
        .await
        .expect("command");
    assert_eq!(c["status"], "acknowledged");
    let audit: Value = api
        .call(Method::GET, "/v1/audit", Some(&admin), None::<&()>)
        .await
        .expect("audit");
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    // push_sent is recorded after the provider answers, so a device quick enough to pull
    // first leaves it out of the history; the log follows the history either way.
    let pushed = c["history"]
        .as_array()
        .expect("history")
        .iter()
        .any(|h| h["status"] == "push_sent");
    let mut want = vec!["command.acknowledged", "command.fetched"];
    if pushed {
        want.push("command.push_sent");
    }
    want.extend(["command.queue", "device.enroll", "enrollment_token.create"]);
    assert_eq!(
        actions, want,
        "token, enrolment, the command and its transitions, each once: {audit}"
    );

    server.kill().expect("stop");
    server.wait().expect("reaped");
}
