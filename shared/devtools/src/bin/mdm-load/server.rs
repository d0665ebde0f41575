//! The server under test, served on loopback in this process, and the devices enrolled in it.

use super::*;

pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) admin: String,
    pub(crate) shutdown: oneshot::Sender<()>,
    pub(crate) handle: JoinHandle<()>,
    // Held so the --disk database outlives the run.
    pub(crate) _dir: tempfile::TempDir,
}

impl Server {
    pub(crate) async fn start(disk: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cfg = AppConfig::for_tests(SECRET);
        cfg.in_memory = !disk;
        // Devices here check in back to back, far above a real device's rate: the per-device
        // and per-tenant limits would answer most requests with 429 and measure nothing else.
        cfg.rate_device_per_min = 0;
        cfg.rate_tenant_per_min = 0;
        cfg.rate_enroll_per_min = 0;
        cfg.data_dir = dir.path().to_path_buf();
        let app = App::build(&cfg).expect("build app");
        // Bound before serving, so the first request cannot race the server's start.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            if let Err(e) = app.serve(listener, stopped).await {
                eprintln!("mdm-load: server failed: {e}");
            }
        });
        Self {
            base,
            admin: admin_token(&cfg),
            shutdown,
            handle,
            _dir: dir,
        }
    }

    pub(crate) async fn stop(self) {
        let _ = self.shutdown.send(());
        // Pooled keep-alive connections may hold the graceful shutdown; do not wait forever.
        let _ = tokio::time::timeout(Duration::from_secs(5), self.handle).await;
    }
}

pub(crate) fn admin_token(cfg: &AppConfig) -> String {
    mint_hs256(
        SECRET.as_bytes(),
        &DevClaims {
            iss: cfg.jwt_issuer.clone(),
            aud: cfg.jwt_audience.clone(),
            sub: format!("load@{TENANT}"),
            tenant: TenantId::parse(TENANT).expect("tenant"),
            role: Role::Admin,
            ttl_secs: 3600,
        },
    )
    .expect("token")
}

/// Runs `f` over `items` with at most `width` in flight, results in completion order.
pub(crate) async fn in_parallel<T, R, Fut>(
    items: Vec<T>,
    width: usize,
    f: impl Fn(T) -> Fut,
) -> Vec<R>
where
    R: Send + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let mut set = JoinSet::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if set.len() >= width
            && let Some(done) = set.join_next().await
        {
            out.push(done.expect("task panicked"));
        }
        set.spawn(f(item));
    }
    while let Some(done) = set.join_next().await {
        out.push(done.expect("task panicked"));
    }
    out
}

pub(crate) async fn enroll_all(
    api: &Api,
    admin: &str,
    count: usize,
) -> Result<Vec<SimDevice>, CallError> {
    let token: Value = api
        .call(
            Method::POST,
            "/v1/enrollment-tokens",
            Some(admin),
            Some(&json!({"max_uses": count})),
        )
        .await?;
    let token = token["token"].as_str().unwrap_or_default().to_owned();
    let slots: Vec<u64> = (0..count as u64).collect();
    let enrolled = in_parallel(slots, SETUP_WIDTH, |slot| {
        let (api, token) = (api.clone(), token.clone());
        async move { enroll_one(&api, &token, slot).await }
    })
    .await;
    let mut devices = enrolled.into_iter().collect::<Result<Vec<_>, _>>()?;
    devices.sort_by_key(|d| d.index);
    Ok(devices)
}

pub(crate) async fn enroll_one(api: &Api, token: &str, index: u64) -> Result<SimDevice, CallError> {
    // A push token the local sink only records: wakes go nowhere, devices poll.
    let body = SimDevice::enrollment_body(index, token, "android", &format!("sink:{index}"));
    let reply = api.enroll(&body).await?;
    let field = |k: &str| reply[k].as_str().unwrap_or_default().to_owned();
    Ok(SimDevice {
        index,
        device_id: field("device_id"),
        credential: field("device_credential"),
        ..SimDevice::default()
    })
}
