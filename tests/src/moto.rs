//! Moto's server, started on 127.0.0.1 by the test process that first needs it and stopped
//! when that process ends, plus SDK clients and fresh resources (a table, a queue with its
//! dead-letter queue) for each test. If moto cannot be installed or started, tests fail: the AWS
//! adapters are never silently skipped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use mdm_aws::provision;

/// The running server; its stdin stays open for the life of the process, and moto stops when
/// it closes.
struct Moto {
    endpoint: String,
    _child: Child,
}

static MOTO: OnceLock<Moto> = OnceLock::new();
static NEXT_NAME: AtomicU32 = AtomicU32::new(0);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the repository")
        .to_path_buf()
}

/// A Python with moto: $MDM_MOTO_PYTHON, else the repository's .venv, which is created and
/// given tests/moto/requirements.txt when moto is missing from it (once, under a file lock, so
/// parallel test binaries do not race).
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("MDM_MOTO_PYTHON") {
        return PathBuf::from(p);
    }
    let root = repo_root();
    let venv = root.join(".venv");
    let python = venv.join("bin").join("python");
    let has_moto = |python: &Path| {
        Command::new(python)
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if has_moto(&python) {
        return python;
    }
    let lock = std::fs::File::create(root.join(".venv.lock")).expect("create .venv.lock");
    lock.lock().expect("lock .venv.lock");
    if !has_moto(&python) {
        eprintln!("installing moto into {} (once)", venv.display());
        let run = |cmd: &mut Command| {
            let status = cmd.status().expect("run python3");
            assert!(status.success(), "{cmd:?} failed: {status}");
        };
        if !python.exists() {
            run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
        }
        run(Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "-r"])
            .arg(root.join("tests").join("moto").join("requirements.txt")));
    }
    python
}

fn start() -> Moto {
    let script = repo_root().join("tests").join("moto").join("serve.py");
    let mut child = Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("moto's server starts");
    let stdout = child.stdout.take().expect("moto's stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("moto prints its port");
    let port = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("moto did not start: {line:?}"));
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: child,
    }
}

/// The emulator's endpoint, starting it on first use.
pub fn endpoint() -> &'static str {
    &MOTO.get_or_init(start).endpoint
}

/// SDK configuration that talks only to the emulator, with static test credentials.
pub fn sdk_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "moto", "moto", None, None, "moto",
        )))
        .build()
}

/// A name no other test in this run uses (tests share one emulator).
pub fn unique_name(kind: &str) -> String {
    format!(
        "{kind}-{}-{}",
        std::process::id(),
        NEXT_NAME.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, empty table of the production shape.
pub async fn table() -> mdm_aws::DynamoTable {
    let client = aws_sdk_dynamodb::Client::new(&sdk_config());
    let name = unique_name("mdm");
    provision::create_table(&client, &name)
        .await
        .expect("create a table in moto");
    mdm_aws::DynamoTable::new(client, name)
}

/// A fresh queue with a dead-letter queue after `max_receives` deliveries.
pub async fn queue(max_receives: u32) -> mdm_aws::SqsQueue {
    let urls = queue_urls(max_receives).await;
    let client = aws_sdk_sqs::Client::new(&sdk_config());
    mdm_aws::SqsQueue::new(client, urls.queue, Some(urls.dead_letters), max_receives)
}

/// Creates a fresh queue and its dead-letter queue, returning their URLs.
pub async fn queue_urls(max_receives: u32) -> provision::QueueUrls {
    let client = aws_sdk_sqs::Client::new(&sdk_config());
    provision::create_queue(&client, &unique_name("work"), max_receives)
        .await
        .expect("create a queue in moto")
}

/// Moto's record of the SNS endpoints for a device token: ARN, attributes and each message
/// published to it by message id.
pub async fn sns_endpoints_for(token: &str) -> Vec<serde_json::Value> {
    sns_state("PlatformEndpoint")
        .await
        .into_iter()
        .filter(|e| e["token"] == token)
        .collect()
}

/// Whether SNS has this platform application (asked through its API: moto's state dump keeps
/// deleted objects).
pub async fn sns_has_platform_application(arn: &str) -> bool {
    aws_sdk_sns::Client::new(&sdk_config())
        .get_platform_application_attributes()
        .platform_application_arn(arn)
        .send()
        .await
        .is_ok()
}

/// Moto's SNS objects of one kind, from its state dump.
async fn sns_state(kind: &str) -> Vec<serde_json::Value> {
    // data.json dumps every service's state; while other tests write (the flow suite runs in
    // parallel) moto sometimes fails that dump with a 500, so a few attempts are made.
    let mut data = serde_json::Value::Null;
    for attempt in 0..5 {
        let res = reqwest::get(format!("{}/moto-api/data.json", endpoint()))
            .await
            .expect("moto answers");
        match res.json::<serde_json::Value>().await {
            Ok(v) => {
                data = v;
                break;
            }
            Err(e) if attempt == 4 => panic!("moto's data is not JSON after 5 attempts: {e}"),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    }
    data["sns"][kind].as_array().cloned().unwrap_or_default()
}

/// The app on the AWS adapters: a fresh table and wake queue (with its dead-letter queue) in
/// the emulator, the HS256 test key, and wakes of tenants without push settings going to the
/// local push sink (no provider is reachable from a test).
pub async fn aws_app() -> mdm_app::App {
    aws_app_on(std::sync::Arc::new(mdm_core::ports::SystemClock)).await
}

/// The same on an injected clock.
pub async fn aws_app_on(clock: std::sync::Arc<dyn mdm_core::ports::Clock>) -> mdm_app::App {
    aws_app_with(
        clock,
        mdm_app::AppConfig::for_tests(crate::stack::TEST_SECRET),
    )
    .await
}

/// The same with settings of the caller's (a fake APNs, say); the table and queues are
/// still fresh ones.
pub async fn aws_app_with(
    clock: std::sync::Arc<dyn mdm_core::ports::Clock>,
    mut cfg: mdm_app::AppConfig,
) -> mdm_app::App {
    let table = table().await;
    let queue = queue_urls(cfg.queue_max_receives).await;
    cfg.backend = mdm_app::config::Backend::Aws;
    // Every stack shares the emulator's Secrets Manager: its own prefix keeps one test's
    // tenant secrets (an APNs certificate of its own fake's CA, say) from replacing another's.
    cfg.secret_prefix = format!("{}{}/", cfg.secret_prefix, table.name());
    cfg.table_name = Some(table.name().to_owned());
    cfg.wake_queue_url = Some(queue.queue);
    cfg.wake_dlq_url = Some(queue.dead_letters);
    mdm_app::aws::build(
        &cfg,
        &sdk_config(),
        clock,
        std::sync::Arc::new(mdm_core::ports::UlidIds::default()),
        Some(std::sync::Arc::new(mdm_push::LocalPusher::new())),
    )
    .await
    .expect("build the AWS app")
}
