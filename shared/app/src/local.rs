//! The composition root for one machine: the embedded backend (durable table and queue in one
//! redb file, local push sink) behind the same use cases and routers as on AWS.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use mdm_core::auth::{JwtConfig, JwtVerifier, KeySource};
use mdm_core::ports::{Clock, IdGen, Queue, SystemClock, UlidIds};
use mdm_core::{Error, Services, Settings};
use mdm_embedded::{EmbeddedQueue, LocalPusher, QueueConfig, RedbTable};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::AppConfig;
use crate::{dev_key, worker};

/// The file inside the data directory that holds every table item and queued message.
pub const DB_FILE: &str = "mdm.redb";
pub const WAKE_QUEUE: &str = "wake";

/// A fully wired local system.
pub struct LocalApp {
    pub services: Arc<Services>,
    pub table: Arc<RedbTable>,
    pub wake_queue: Arc<EmbeddedQueue>,
    pub pusher: Arc<LocalPusher>,
    pub dev_jwt_secret: Option<String>,
}

impl LocalApp {
    /// Wires the system with the wall clock and ULIDs.
    pub fn build(cfg: &AppConfig) -> Result<Self, Error> {
        Self::build_with(cfg, Arc::new(SystemClock), Arc::new(UlidIds::default()))
    }

    /// Wires the system with an injected clock and id generator (tests).
    pub fn build_with(
        cfg: &AppConfig,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
    ) -> Result<Self, Error> {
        let table = if cfg.in_memory {
            RedbTable::in_memory()
        } else {
            std::fs::create_dir_all(&cfg.data_dir).map_err(|e| {
                Error::Invalid(format!("cannot create {}: {e}", cfg.data_dir.display()))
            })?;
            RedbTable::open(cfg.data_dir.join(DB_FILE))
        }
        .map_err(|e| Error::Unavailable(format!("cannot open the embedded store: {e}")))?;
        let table = Arc::new(table);
        let wake_queue = Arc::new(table.queue(
            WAKE_QUEUE,
            QueueConfig {
                max_receives: cfg.queue_max_receives,
            },
            clock.clone(),
        ));
        let (keys, dev_jwt_secret) = match &cfg.jwks_file {
            Some(path) => (KeySource::jwks_file(path)?, None),
            None => {
                let secret = match &cfg.dev_jwt_secret {
                    Some(s) => s.clone(),
                    None => dev_key::load_or_create(&cfg.data_dir)?,
                };
                (
                    KeySource::Hs256 {
                        secret: secret.as_bytes().to_vec(),
                    },
                    Some(secret),
                )
            }
        };
        let verifier = JwtVerifier::new(JwtConfig {
            issuer: cfg.jwt_issuer.clone(),
            audience: cfg.jwt_audience.clone(),
            keys,
            leeway_secs: 30,
        })?;
        let pusher = Arc::new(LocalPusher::new());
        let services = Arc::new(Services {
            table: table.clone(),
            wake_queue: wake_queue.clone(),
            pusher: pusher.clone(),
            clock,
            ids,
            verifier: Arc::new(verifier),
            settings: Settings::default(),
        });
        Ok(Self {
            services,
            table,
            wake_queue,
            pusher,
            dev_jwt_secret,
        })
    }

    /// Every route, ready to serve.
    pub fn router(&self) -> Router {
        mdm_http::all_routes(self.services.clone())
    }

    /// Starts the queue consumer in the background.
    pub fn spawn_worker(&self) -> Worker {
        let (stop, stopped) = watch::channel(false);
        let queue: Arc<dyn Queue> = self.wake_queue.clone();
        let handle = tokio::spawn(worker::run(self.services.clone(), queue, stopped));
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
