//! The composed system, whichever backend holds its state: the services the routers and the
//! consumer run on, the wake queue the consumer drains, and the backend's extras (the local push
//! sink, the embedded store's housekeeping).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use mdm_core::ports::{
    Clock, IdGen, Pusher, Queue, SecretStore, SystemClock, Table, TokenVerifier, UlidIds,
};
use mdm_core::{Error, Services, Settings};
#[cfg(feature = "embedded")]
use mdm_embedded::RedbTable;
use mdm_push::LocalPusher;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[cfg(feature = "aws")]
use crate::aws;
use crate::config::{AppConfig, Backend};
#[cfg(feature = "embedded")]
use crate::local;
use crate::push::{Providers, TenantPushers};
use crate::worker;

/// What a backend supplies; the rest of the wiring (each tenant's push provider, settings) is
/// the same for every backend.
pub(crate) struct Parts {
    pub table: Arc<dyn Table>,
    pub wake_queue: Arc<dyn Queue>,
    pub secrets: Arc<dyn SecretStore>,
    /// SNS platform applications, where SNS exists.
    pub sns: Option<Arc<dyn crate::push::SnsApps>>,
    /// Wakes of tenants without push settings.
    pub fallback: Arc<dyn Pusher>,
    /// Where direct APNs pushes go.
    pub apns: crate::push::ApnsEndpoint,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    pub verifier: Arc<dyn TokenVerifier>,
}

impl Parts {
    pub(crate) fn services(self, settings: Settings) -> Arc<Services> {
        let providers = Providers {
            clock: self.clock.clone(),
            sns: self.sns,
            apns: self.apns,
        };
        let pusher = Arc::new(TenantPushers::new(
            self.table.clone(),
            self.secrets.clone(),
            providers.clone(),
            self.fallback,
        ));
        Arc::new(Services {
            table: self.table,
            wake_queue: self.wake_queue,
            pusher,
            secrets: self.secrets,
            push_providers: Arc::new(providers),
            clock: self.clock,
            ids: self.ids,
            verifier: self.verifier,
            settings,
            tenant_states: Default::default(),
            // One sender for every backend: webhooks leave through the same code everywhere.
            webhooks: Arc::new(crate::webhooks::HttpWebhooks),
            webhook_subscriptions: Default::default(),
            apple_cas: Default::default(),
        })
    }
}

/// A fully wired system.
pub struct App {
    pub services: Arc<Services>,
    pub wake_queue: Arc<dyn Queue>,
    /// The local push sink, when wakes go to it (the embedded backend, and tests on AWS).
    pub pusher: Option<Arc<LocalPusher>>,
    /// The embedded store, for housekeeping that DynamoDB does itself (TTL expiry).
    #[cfg(feature = "embedded")]
    pub embedded: Option<Arc<RedbTable>>,
    /// The HS256 dev key tokens are checked with, when there is no JWKS.
    pub dev_jwt_secret: Option<String>,
}

impl App {
    /// The embedded backend with the wall clock and ULIDs.
    #[cfg(feature = "embedded")]
    pub fn build(cfg: &AppConfig) -> Result<Self, Error> {
        Self::build_with(cfg, Arc::new(SystemClock), Arc::new(UlidIds::default()))
    }

    /// The embedded backend with an injected clock and id generator (tests).
    #[cfg(feature = "embedded")]
    pub fn build_with(
        cfg: &AppConfig,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
    ) -> Result<Self, Error> {
        local::embedded(cfg, clock, ids)
    }

    /// The backend the configuration names. On AWS, the SDK reads region, credentials and any
    /// endpoint override from the environment.
    pub async fn from_config(cfg: &AppConfig) -> Result<Self, Error> {
        match cfg.backend {
            #[cfg(feature = "embedded")]
            Backend::Embedded => Self::build(cfg),
            #[cfg(not(feature = "embedded"))]
            Backend::Embedded => Err(Error::Invalid(
                "this build has no embedded backend: build it with the `embedded` feature \
                 (mdm-dev does; the Lambda functions leave it out)"
                    .into(),
            )),
            #[cfg(feature = "aws")]
            Backend::Aws => {
                let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
                aws::build(
                    cfg,
                    &sdk,
                    Arc::new(SystemClock),
                    Arc::new(UlidIds::default()),
                    None,
                )
                .await
            }
            #[cfg(not(feature = "aws"))]
            Backend::Aws => Err(Error::Invalid(
                "this build has no AWS backend: build it with `--features aws` (the Lambda \
                 functions and the tests do)"
                    .into(),
            )),
        }
    }

    /// Every route, ready to serve.
    pub fn router(&self) -> Router {
        mdm_http::all_routes(self.services.clone())
    }

    /// Starts the queue consumer in the background.
    pub fn spawn_worker(&self) -> Worker {
        let (stop, stopped) = watch::channel(false);
        let handle = tokio::spawn(worker::run(
            self.services.clone(),
            self.wake_queue.clone(),
            stopped,
        ));
        Worker { stop, handle }
    }

    /// Serves HTTP on `listener` with the consumer running, until `shutdown` completes; then
    /// stops taking requests, lets in-flight ones finish and stops the consumer.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let worker = self.spawn_worker();
        let result = axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await;
        worker.stop().await;
        result
    }
}

/// A running queue consumer.
pub struct Worker {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl Worker {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}
