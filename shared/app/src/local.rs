//! The embedded backend's wiring: table and queue in one redb file (or in memory) and the
//! local push sink, behind the same use cases and routers as on AWS.

use std::sync::Arc;

use mdm_auth::KeySource;
use mdm_core::Error;
use mdm_core::ports::{Clock, IdGen, Queue, SecretStore};
use mdm_embedded::{LocalSecrets, QueueConfig, RedbTable};
use mdm_push::LocalPusher;

use crate::app::{App, Parts};
use crate::config::AppConfig;
use crate::{dev_key, verifier};

/// The file inside the data directory that holds every table item and queued message.
pub const DB_FILE: &str = "mdm.redb";
pub const WAKE_QUEUE: &str = "wake";
/// The directory inside the data directory that holds tenants' push credentials.
pub const SECRETS_DIR: &str = "secrets";

pub(crate) fn embedded(
    cfg: &AppConfig,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
) -> Result<App, Error> {
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
    let wake_queue: Arc<dyn Queue> = Arc::new(table.queue(
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
            (verifier::hs256(&secret), Some(secret))
        }
    };
    let sink = Arc::new(LocalPusher::new());
    let secrets: Arc<dyn SecretStore> = if cfg.in_memory {
        Arc::new(LocalSecrets::in_memory())
    } else {
        Arc::new(LocalSecrets::in_dir(cfg.data_dir.join(SECRETS_DIR)))
    };
    let services = Parts {
        table: table.clone(),
        wake_queue: wake_queue.clone(),
        secrets,
        sns: None,
        apns: crate::push::ApnsEndpoint::from_config(cfg)?,
        fallback: sink.clone(),
        clock,
        ids,
        verifier: verifier::jwt(cfg, keys)?,
    }
    .services(cfg.settings());
    Ok(App {
        services,
        wake_queue,
        pusher: Some(sink),
        embedded: Some(table),
        dev_jwt_secret,
    })
}
