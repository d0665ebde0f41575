//! A running MDM reachable over HTTP on loopback, whatever backend it is wired to, plus the
//! clients the flow suite drives it with.

use std::sync::Arc;

use mdm_auth::{DevClaims, mint_hs256, mint_platform_hs256};
use mdm_core::domain::{Role, TenantId};
use mdm_core::ports::{Clock, ManualClock, SystemClock, UlidIds};
use mdm_devtools::agent::{Api, CallError};
use mdm_push::LocalPusher;
use mdm_push::fake_apns::FakeApns;
use reqwest::Method;
use serde_json::{Value, json};

/// The HS256 key the test stacks trust.
pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// A server under test.
pub struct Stack {
    /// "embedded" or "aws", for the figures the suites report.
    pub backend: &'static str,
    pub base: String,
    pub api: Api,
    /// The local push sink, where the backend has one.
    pub pusher: Option<Arc<LocalPusher>>,
    /// The app's services, for what a timer or a schedule runs (the compliance sweep).
    pub services: Arc<mdm_core::Services>,
    /// The injected clock, on stacks built on one (`*_on_clock`).
    pub clock: Option<Arc<ManualClock>>,
    /// The fake APNs direct APNs pushes go to, on stacks built with one (`*_with_fake_apns`):
    /// what it received is in `pushes()`.
    pub apns: Option<Arc<FakeApns>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Stack {
    /// Serves a local app on an ephemeral loopback port with its queue consumer running.
    pub async fn serve(app: mdm_app::App) -> Self {
        Self::serve_as("embedded", app).await
    }

    async fn serve_as(backend: &'static str, app: mdm_app::App) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let pusher = app.pusher.clone();
        let services = app.services.clone();
        let server = tokio::spawn(async move {
            let _ = app
                .serve(listener, async {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            backend,
            // Generous: DynamoDB in moto slows down as a table grows (each transaction copies
            // the whole table), and a big scenario's calls must not be cut off for it.
            api: Api::with_timeout(&base, std::time::Duration::from_secs(120)),
            base,
            pusher,
            services,
            clock: None,
            apns: None,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// An in-memory embedded stack.
    pub async fn embedded_in_memory() -> Self {
        let cfg = mdm_app::AppConfig::for_tests(TEST_SECRET);
        Self::serve(mdm_app::App::build(&cfg).expect("build app")).await
    }

    /// An in-memory embedded stack whose clock starts now and moves only when the test says.
    /// Its APNs pushes go to a fake APNs on loopback, as on `embedded_with_fake_apns`, so an
    /// Apple device can live through months of the clock.
    pub async fn embedded_on_clock() -> Self {
        let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
        let fake = FakeApns::start_mdm().await;
        let (cfg, _roots) = config_for_fake_apns(&fake);
        let app = mdm_app::App::build_with(&cfg, clock.clone(), Arc::new(UlidIds::default()))
            .expect("build app");
        let mut s = Self::serve(app).await;
        s.clock = Some(clock);
        s.apns = Some(fake);
        s
    }

    /// The AWS adapters on moto, on a clock that starts now and moves only when told (and a
    /// fake APNs, as `embedded_on_clock`).
    pub async fn aws_on_moto_on_clock() -> Self {
        let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
        let fake = FakeApns::start_mdm().await;
        let (cfg, _roots) = config_for_fake_apns(&fake);
        let app = crate::moto::aws_app_with(clock.clone(), cfg).await;
        let mut s = Self::serve_as("aws", app).await;
        s.clock = Some(clock);
        s.apns = Some(fake);
        s
    }

    /// An in-memory embedded stack whose APNs pushes go to a fake APNs on loopback (never to
    /// Apple): a tenant set up with `set_apns_certificate` is woken through it.
    pub async fn embedded_with_fake_apns() -> Self {
        let fake = FakeApns::start_mdm().await;
        let (cfg, _roots) = config_for_fake_apns(&fake);
        let mut s = Self::serve(mdm_app::App::build(&cfg).expect("build app")).await;
        s.apns = Some(fake);
        s
    }

    /// The AWS adapters on moto, with APNs pushes going to a fake APNs on loopback.
    pub async fn aws_on_moto_with_fake_apns() -> Self {
        let fake = FakeApns::start_mdm().await;
        let (cfg, _roots) = config_for_fake_apns(&fake);
        let app = crate::moto::aws_app_with(Arc::new(SystemClock), cfg).await;
        let mut s = Self::serve_as("aws", app).await;
        s.apns = Some(fake);
        s
    }

    /// The server's time now: the injected clock's on a stack built on one.
    pub fn now_ms(&self) -> i64 {
        match &self.clock {
            Some(clock) => clock.now_ms(),
            None => SystemClock.now_ms(),
        }
    }

    /// Sets `tenant`'s push settings for `ios` to APNs certificate mode with a fresh MDM push
    /// certificate for a fresh topic (`com.apple.mgmt.External.<uuid>`, the subject's UID),
    /// valid from a day ago until `valid_days` from now on the server's clock. On a stack with
    /// a fake APNs the certificate comes from the CA the fake demands; elsewhere from a
    /// throwaway one. Returns the certificate and the settings as the admin was answered.
    pub async fn set_apns_certificate(&self, tenant: &str, valid_days: i64) -> ApnsCertificate {
        let topic = format!("com.apple.mgmt.External.{}", uuid_like());
        let now_secs = self.now_ms().div_euclid(1000);
        let (from, until) = (now_secs - 86_400, now_secs + valid_days * 86_400);
        let issued = match &self.apns {
            Some(fake) => fake.push_certificate(&topic, from, until),
            None => mdm_push::fake_apns::TestCa::new("throwaway apple push ca")
                .push_certificate(&topic, from, until),
        };
        let cert = ApnsCertificate {
            topic,
            cert_pem: issued.cert_pem,
            key_pem: issued.key_pem,
            expires_at_ms: until * 1000,
            settings: Value::Null,
        };
        let admin = self.token(tenant, Role::Admin);
        let (status, settings) = self
            .raw(
                Method::PUT,
                "/v1/push-config/ios",
                Some(&admin),
                Some(cert.settings_body()),
            )
            .await;
        assert_eq!(status, 200, "APNs certificate settings refused: {settings}");
        ApnsCertificate { settings, ..cert }
    }

    /// Makes `tenant` ready to wake Apple devices through APNs: `set_apns_certificate` with a
    /// certificate valid for `valid_days`; returns its topic.
    pub async fn configure_apns_mdm(&self, tenant: &str, valid_days: i64) -> String {
        self.set_apns_certificate(tenant, valid_days).await.topic
    }

    /// Every push the stack's fake APNs received, oldest first.
    pub fn apns_pushes(&self) -> Vec<mdm_push::fake_apns::Received> {
        self.apns
            .as_ref()
            .expect("a stack with a fake APNs (*_with_fake_apns)")
            .pushes()
    }

    /// Moves the injected clock on.
    pub fn advance_secs(&self, secs: i64) {
        self.clock
            .as_ref()
            .expect("a stack built on a clock")
            .advance_secs(secs);
    }

    /// Sets the injected clock to an RFC 3339 time (backwards too: only the server's clock
    /// moves; tokens are checked against the real one).
    pub fn set_clock(&self, rfc3339: &str) {
        let clock = self.clock.as_ref().expect("a stack built on a clock");
        let at = mdm_core::domain::time::parse_rfc3339("at", rfc3339).expect("an RFC 3339 time");
        clock.advance_ms(at - clock.now_ms());
    }

    /// Runs the compliance sweep now, as its timer or schedule would.
    pub async fn sweep(&self) -> mdm_core::usecases::posture::compliance_sweep::Swept {
        mdm_core::usecases::posture::compliance_sweep::sweep(&self.services)
            .await
            .expect("sweep")
    }

    /// A stack on the AWS adapters: a fresh DynamoDB table and SQS wake queue (with its
    /// dead-letter queue) in moto's server, wakes going to the local push sink.
    pub async fn aws_on_moto() -> Self {
        Self::serve_as("aws", crate::moto::aws_app().await).await
    }

    /// Stops serving and waits for the consumer to stop.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
    }

    /// A tenant user's token.
    pub fn token(&self, tenant: &str, role: Role) -> String {
        self.token_of(tenant, role, &format!("{}@{tenant}", role.as_str()))
    }

    /// A tenant user's token with a subject of one's choosing (several users of one role).
    pub fn token_of(&self, tenant: &str, role: Role, subject: &str) -> String {
        mint_hs256(
            TEST_SECRET.as_bytes(),
            &DevClaims {
                iss: "mdm-dev".into(),
                aud: "mdm".into(),
                sub: subject.to_owned(),
                tenant: TenantId::parse(tenant).expect("valid tenant"),
                role,
                ttl_secs: 600,
            },
        )
        .expect("mint token")
    }

    /// The platform operator's token (role `platform_operator`, no tenant claim).
    pub fn platform_token(&self) -> String {
        mint_platform_hs256(
            TEST_SECRET.as_bytes(),
            "mdm-dev",
            "mdm",
            "ops@platform",
            600,
        )
        .expect("mint platform token")
    }

    /// A raw call returning status and JSON body, for asserting on errors.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        match self
            .api
            .call::<Value>(method, path, bearer, body.as_ref())
            .await
        {
            Ok(v) => (200, v),
            Err(CallError {
                status,
                code,
                detail,
            }) => (status, json!({"code": code, "detail": detail})),
        }
    }

    /// Creates an enrollment token as an admin of `tenant`.
    pub async fn enrollment_token(&self, tenant: &str, max_uses: i64) -> String {
        let admin = self.token(tenant, Role::Admin);
        let v: Value = self
            .api
            .call(
                Method::POST,
                "/v1/enrollment-tokens",
                Some(&admin),
                Some(&json!({"max_uses": max_uses})),
            )
            .await
            .expect("create enrollment token");
        v["token"].as_str().expect("token").to_owned()
    }

    /// Enrolls a device whose pushes only land in the sink; returns (device id, credential).
    pub async fn enroll_sink_device(&self, tenant: &str, n: u64) -> (String, String) {
        let token = self.enrollment_token(tenant, 1).await;
        let body = mdm_devtools::agent::SimDevice::enrollment_body(
            n,
            &token,
            "android",
            &format!("sink:{n}"),
        );
        let v = self.api.enroll(&body).await.expect("enroll");
        (
            v["device_id"].as_str().expect("device id").to_owned(),
            v["device_credential"]
                .as_str()
                .expect("credential")
                .to_owned(),
        )
    }

    /// Queues a command as an admin and returns its id.
    pub async fn queue(&self, tenant: &str, device: &str, command: Value) -> String {
        let admin = self.token(tenant, Role::Admin);
        let v: Value = self
            .api
            .call(
                Method::POST,
                &format!("/v1/devices/{device}/commands"),
                Some(&admin),
                Some(&json!({ "command": command })),
            )
            .await
            .expect("queue command");
        v["id"].as_str().expect("command id").to_owned()
    }

    /// Reads a command as an admin.
    pub async fn command(&self, tenant: &str, device: &str, id: &str) -> Value {
        let admin = self.token(tenant, Role::Admin);
        self.api
            .call(
                Method::GET,
                &format!("/v1/devices/{device}/commands/{id}"),
                Some(&admin),
                None::<&()>,
            )
            .await
            .expect("read command")
    }

    /// Reads a device as an admin.
    pub async fn device(&self, tenant: &str, device: &str) -> Value {
        let admin = self.token(tenant, Role::Admin);
        self.api
            .call(
                Method::GET,
                &format!("/v1/devices/{device}"),
                Some(&admin),
                None::<&()>,
            )
            .await
            .expect("read device")
    }

    /// Waits (bounded) until the command reaches `status`; returns it.
    pub async fn wait_for_status(
        &self,
        tenant: &str,
        device: &str,
        id: &str,
        status: &str,
    ) -> Value {
        for _ in 0..200 {
            let c = self.command(tenant, device, id).await;
            if c["status"] == status {
                return c;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!(
            "command {id} never reached {status}: {}",
            self.command(tenant, device, id).await
        );
    }
}

/// An MDM push certificate a test set for a tenant (`Stack::set_apns_certificate`).
#[derive(Debug, Clone)]
pub struct ApnsCertificate {
    pub topic: String,
    pub cert_pem: String,
    pub key_pem: String,
    /// notAfter, epoch milliseconds (whole seconds).
    pub expires_at_ms: i64,
    /// The push settings the server answered with.
    pub settings: Value,
}

impl ApnsCertificate {
    /// The body of `PUT /v1/push-config/ios` for this certificate.
    pub fn settings_body(&self) -> Value {
        self.settings_body_with_topic(&self.topic)
    }

    /// The same naming another topic than the certificate's.
    pub fn settings_body_with_topic(&self, topic: &str) -> Value {
        json!({
            "provider": "apns",
            "credentials": {
                "auth": {"mode": "certificate", "cert_pem": self.cert_pem, "key_pem": self.key_pem},
                "topic": topic,
                "environment": "production",
            },
        })
    }
}

/// Settings for tests whose APNs is `fake`, and the file holding the fake's root (read when the
/// app is built; removed when dropped).
fn config_for_fake_apns(fake: &FakeApns) -> (mdm_app::AppConfig, tempfile::NamedTempFile) {
    let roots = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(roots.path(), &fake.roots_pem).expect("write the fake's root");
    let mut cfg = mdm_app::AppConfig::for_tests(TEST_SECRET);
    cfg.apns_url = Some(fake.base_url.clone());
    cfg.apns_roots_pem_file = Some(roots.path().to_owned());
    (cfg, roots)
}

/// A random UUID-shaped string, as Apple's topics end with.
fn uuid_like() -> String {
    let hex = format!("{:032x}", rand::random::<u128>());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
