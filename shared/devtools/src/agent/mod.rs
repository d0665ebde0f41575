//! The device simulator: enrolls simulated devices, listens for their push wake-ups on a
//! loopback webhook, and on each wake checks in, pulls, executes and reports. Used by the
//! `mdm-agent` binary, the end-to-end tests and the README's round trip.

pub mod apple;
pub mod client;
pub mod device;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use tokio::sync::{Mutex, Notify, mpsc};
use tokio::task::JoinSet;

pub use client::{Api, CallError};
pub use device::SimDevice;

/// What the simulator should do.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    pub server: String,
    pub enrollment_token: String,
    pub devices: u64,
    /// "android", "ios" or "macos".
    pub platform: String,
    /// Periodic check-in besides push wake-ups (None: only on wake-ups).
    pub checkin_every: Option<Duration>,
    /// Number of the first device (keeps serials and IMEIs distinct across runs).
    pub first_index: u64,
}

/// Something a simulated device did, for printing or for tests to await.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Enrolled {
        index: u64,
        device_id: String,
    },
    Woken {
        index: u64,
    },
    Executed {
        index: u64,
        command_id: String,
        kind: String,
        status: String,
    },
    Gone {
        index: u64,
    },
    Failed {
        index: u64,
        message: String,
    },
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Enrolled { index, device_id } => {
                write!(f, "device #{index} enrolled as {device_id}")
            }
            Event::Woken { index } => write!(f, "device #{index} woken by a push"),
            Event::Executed {
                index,
                command_id,
                kind,
                status,
            } => {
                write!(f, "device #{index} ran {kind} ({command_id}) -> {status}")
            }
            Event::Gone { index } => write!(f, "device #{index} was wiped and stops"),
            Event::Failed { index, message } => write!(f, "device #{index} error: {message}"),
        }
    }
}

/// A running set of simulated devices.
pub struct Fleet {
    pub devices: Vec<Arc<Mutex<SimDevice>>>,
    pub events: mpsc::UnboundedReceiver<Event>,
    tasks: JoinSet<()>,
}

impl Fleet {
    /// Waits for the next event, up to `timeout`.
    pub async fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        tokio::time::timeout(timeout, self.events.recv())
            .await
            .ok()
            .flatten()
    }

    /// Stops every device and the wake-up listener.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

/// How long one call of a simulated device waits out the server's rate limits.
const RATE_LIMIT_PATIENCE: Duration = Duration::from_secs(300);

/// Enrolls the devices and starts them, waiting out rate limits as the server asks. Fails if
/// the listener cannot bind or the first enrolment is refused; a later refusal is reported
/// (`Event::Failed`) and the devices already enrolled keep running, rather than being
/// abandoned enrolled but silent.
pub async fn start(opts: AgentOptions) -> Result<Fleet, CallError> {
    let api = Api::new(&opts.server).patient(RATE_LIMIT_PATIENCE);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| CallError {
            status: 0,
            code: "listen_failed".into(),
            detail: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| CallError {
        status: 0,
        code: "listen_failed".into(),
        detail: e.to_string(),
    })?;
    let wakers: Arc<Vec<Arc<Notify>>> =
        Arc::new((0..opts.devices).map(|_| Arc::new(Notify::new())).collect());
    let (tx, events) = mpsc::unbounded_channel();
    let mut tasks = JoinSet::new();
    let app = Router::new()
        .route("/wake/{slot}", post(wake))
        .with_state(wakers.clone());
    tasks.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let mut devices = Vec::new();
    for slot in 0..opts.devices {
        let index = opts.first_index + slot;
        let push_token = format!("http://{addr}/wake/{slot}");
        let body =
            SimDevice::enrollment_body(index, &opts.enrollment_token, &opts.platform, &push_token);
        let reply = match api.enroll(&body).await {
            Ok(reply) => reply,
            Err(e) if devices.is_empty() => return Err(e),
            Err(e) => {
                let _ = tx.send(Event::Failed {
                    index,
                    message: format!(
                        "enrolment refused ({e}); {} devices enrolled keep running",
                        devices.len()
                    ),
                });
                break;
            }
        };
        let device = SimDevice {
            index,
            device_id: reply["device_id"].as_str().unwrap_or_default().to_owned(),
            credential: reply["device_credential"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            ..SimDevice::default()
        };
        let _ = tx.send(Event::Enrolled {
            index,
            device_id: device.device_id.clone(),
        });
        let device = Arc::new(Mutex::new(device));
        devices.push(device.clone());
        let (api, tx, waker, every) = (
            api.clone(),
            tx.clone(),
            wakers[slot as usize].clone(),
            opts.checkin_every,
        );
        tasks.spawn(async move { run_device(api, device, waker, every, tx).await });
    }
    Ok(Fleet {
        devices,
        events,
        tasks,
    })
}

async fn wake(State(wakers): State<Arc<Vec<Arc<Notify>>>>, Path(slot): Path<usize>) -> StatusCode {
    match wakers.get(slot) {
        Some(w) => {
            w.notify_one();
            StatusCode::NO_CONTENT
        }
        // An unknown slot tells the server the token is dead, like an unregistered FCM token.
        None => StatusCode::GONE,
    }
}

async fn run_device(
    api: Api,
    device: Arc<Mutex<SimDevice>>,
    waker: Arc<Notify>,
    every: Option<Duration>,
    tx: mpsc::UnboundedSender<Event>,
) {
    let index = device.lock().await.index;
    loop {
        let periodic = async {
            match every {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = waker.notified() => { let _ = tx.send(Event::Woken { index }); }
            _ = periodic => {}
        }
        if let Err(e) = session(&api, &device, &tx).await {
            let _ = tx.send(Event::Failed {
                index,
                message: e.to_string(),
            });
        }
        if device.lock().await.gone {
            let _ = tx.send(Event::Gone { index });
            return;
        }
    }
}

/// One check-in: report telemetry, and if work is pending pull it, execute it and report.
pub async fn session(
    api: &Api,
    device: &Mutex<SimDevice>,
    tx: &mpsc::UnboundedSender<Event>,
) -> Result<(), CallError> {
    let (index, credential) = {
        let d = device.lock().await;
        (d.index, d.credential.clone())
    };
    let reply = checkin_applying_policy(api, device, &credential).await?;
    if reply["pending_commands"].as_i64().unwrap_or(0) == 0 {
        return Ok(());
    }
    let mut apply_policy = false;
    for command in api.pending(&credential).await? {
        apply_policy |= command["type"] == "apply_policy";
        let result = device.lock().await.execute(&command);
        let id = command["id"].as_str().unwrap_or_default().to_owned();
        api.report(&credential, &id, &result).await?;
        let _ = tx.send(Event::Executed {
            index,
            command_id: id,
            kind: command["type"].as_str().unwrap_or_default().to_owned(),
            status: result["status"].as_str().unwrap_or_default().to_owned(),
        });
        if device.lock().await.gone {
            break;
        }
    }
    if apply_policy && !device.lock().await.gone {
        checkin_applying_policy(api, device, &credential).await?;
    }
    Ok(())
}

/// A check-in that reports the policy version the device enforces; when the reply brings a
/// new policy the device enforces it and checks in again to say so.
async fn checkin_applying_policy(
    api: &Api,
    device: &Mutex<SimDevice>,
    credential: &str,
) -> Result<serde_json::Value, CallError> {
    let body = |version: Option<&str>| {
        let mut body = client::checkin_body(80);
        if let Some(v) = version {
            body["policy_version"] = v.into();
        }
        body
    };
    let version = device.lock().await.policy_version().map(str::to_owned);
    let reply = api.checkin(credential, &body(version.as_deref())).await?;
    let applied = {
        let mut d = device.lock().await;
        d.apply_policy_from(&reply)
            .then(|| d.policy_version().map(str::to_owned))
            .flatten()
    };
    match applied {
        Some(v) => api.checkin(credential, &body(Some(&v))).await,
        None => Ok(reply),
    }
}
