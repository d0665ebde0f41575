//! Wake-ups through each tenant's own push provider: the settings an admin stored (FCM, APNs or
//! SNS per platform) pick the provider, the secret store supplies its credentials, and tenants
//! without settings fall back to the backend's default (the local sink, or none on AWS).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use mdm_core::domain::{Platform, TenantId};
use mdm_core::error::{Error, PushError};
use mdm_core::ports::{
    Clock, PushProvider, PushProviders, PushReceipt, PushTarget, Pusher, SecretStore, Table,
};
use mdm_core::usecases::tenancy::push_config::{self, PushConfigRecord};
use mdm_push::{ApnsCredentials, ApnsOptions, ApnsPusher, FcmCredentials, FcmOptions, FcmPusher};
use serde_json::{Map, Value};

use crate::config::{AppConfig, given};

/// How long a tenant's settings are trusted before they are read again: a change made through
/// another instance (another Lambda) takes effect within this.
const SETTINGS_TTL_MS: i64 = 60_000;
/// Tenants whose settings and providers are kept; beyond it the cache starts afresh.
const CACHE_CAP: usize = 10_000;

/// SNS as a push provider, where it exists: the AWS backend (`sns_apps.rs`, feature `aws`).
/// A trait so that a build without the AWS SDK has no SNS code at all.
#[async_trait]
pub trait SnsApps: Send + Sync {
    /// A pusher through the platform application `arn`.
    fn pusher(&self, arn: &str) -> Arc<dyn Pusher>;
    /// Creates (or updates) the tenant's platform application for the platform with these
    /// credentials, checked first; its ARN.
    async fn ensure(
        &self,
        tenant: &TenantId,
        platform: Platform,
        credentials: &str,
    ) -> Result<String, Error>;
    /// Deletes a platform application this created.
    async fn delete(&self, arn: &str) -> Result<(), Error>;
}

/// Builds and checks providers. SNS exists only where SNS was given (AWS).
#[derive(Clone)]
pub struct Providers {
    pub clock: Arc<dyn Clock>,
    pub sns: Option<Arc<dyn SnsApps>>,
    /// Where direct APNs pushes go: Apple's hosts unless configured otherwise.
    pub apns: ApnsEndpoint,
}

/// Where direct APNs pushes go and which roots vouch for the server: Apple's hosts and the
/// system's roots by default; a fake APNs on loopback in tests (`MDM_APNS_URL`,
/// `MDM_APNS_ROOTS_PEM_FILE`). SNS relays to Apple itself and ignores both.
#[derive(Clone, Debug, Default)]
pub struct ApnsEndpoint {
    pub base_url: Option<String>,
    pub trusted_roots_pem: Option<String>,
}

impl ApnsEndpoint {
    /// Reads the settings, refusing at start-up what could never work.
    pub fn from_config(cfg: &AppConfig) -> Result<Self, Error> {
        let base_url = given(&cfg.apns_url).map(str::to_owned);
        if let Some(url) = &base_url
            && !url.starts_with("https://")
        {
            // APNs is HTTP/2 over TLS only; a push certificate is presented in the handshake.
            return Err(Error::Invalid(format!(
                "MDM_APNS_URL {url:?} must be an https:// URL"
            )));
        }
        let trusted_roots_pem = match &cfg.apns_roots_pem_file {
            Some(path) if !path.as_os_str().is_empty() => {
                let pem = std::fs::read_to_string(path).map_err(|e| {
                    Error::Invalid(format!(
                        "MDM_APNS_ROOTS_PEM_FILE {} is unreadable: {e}",
                        path.display()
                    ))
                })?;
                reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                    Error::Invalid(format!(
                        "MDM_APNS_ROOTS_PEM_FILE {} holds no PEM certificates: {e}",
                        path.display()
                    ))
                })?;
                Some(pem)
            }
            _ => None,
        };
        Ok(Self {
            base_url,
            trusted_roots_pem,
        })
    }
}

pub(crate) fn bad_credentials(e: impl std::fmt::Display) -> Error {
    Error::invalid_field("credentials", e.to_string())
}

const SNS_APP_ATTR: &str = "platform_application_arn";

impl Providers {
    fn sns(&self) -> Result<&Arc<dyn SnsApps>, Error> {
        self.sns.as_ref().ok_or_else(|| {
            Error::invalid_field("provider", "sns is available on the AWS backend only")
        })
    }

    /// A ready provider for stored settings and their credentials.
    pub fn build(
        &self,
        record: &PushConfigRecord,
        credentials: &str,
    ) -> Result<Arc<dyn Pusher>, PushError> {
        let rejected = |e: &dyn std::fmt::Display| {
            PushError::Rejected(format!("stored push credentials are unusable: {e}"))
        };
        Ok(match record.provider {
            PushProvider::Fcm => {
                let creds = FcmCredentials::from_json(credentials).map_err(|e| rejected(&e))?;
                let options = FcmOptions {
                    clock: self.clock.clone(),
                    ..FcmOptions::default()
                };
                Arc::new(FcmPusher::new(creds, options).map_err(|e| rejected(&e))?)
            }
            PushProvider::Apns => {
                let creds = ApnsCredentials::from_json(credentials).map_err(|e| rejected(&e))?;
                let options = ApnsOptions {
                    clock: self.clock.clone(),
                    base_url: self.apns.base_url.clone(),
                    trusted_roots_pem: self.apns.trusted_roots_pem.clone(),
                    ..ApnsOptions::default()
                };
                Arc::new(ApnsPusher::new(creds, options).map_err(|e| rejected(&e))?)
            }
            PushProvider::Sns => {
                let sns = self.sns().map_err(|e| rejected(&e))?;
                let arn = record
                    .attrs
                    .get(SNS_APP_ATTR)
                    .and_then(Value::as_str)
                    .ok_or_else(|| rejected(&"no SNS platform application recorded"))?;
                sns.pusher(arn)
            }
        })
    }
}

#[async_trait]
impl PushProviders for Providers {
    async fn prepare(
        &self,
        tenant: &TenantId,
        platform: Platform,
        provider: PushProvider,
        credentials: &str,
    ) -> Result<Map<String, Value>, Error> {
        match provider {
            PushProvider::Fcm => {
                FcmCredentials::from_json(credentials).map_err(bad_credentials)?;
            }
            PushProvider::Apns => {
                ApnsCredentials::from_json(credentials).map_err(bad_credentials)?;
            }
            PushProvider::Sns => {
                let arn = self.sns()?.ensure(tenant, platform, credentials).await?;
                return Ok(Map::from_iter([(
                    SNS_APP_ATTR.to_owned(),
                    Value::from(arn),
                )]));
            }
        }
        Ok(Map::new())
    }

    async fn release(
        &self,
        provider: PushProvider,
        attrs: &Map<String, Value>,
    ) -> Result<(), Error> {
        let arn = attrs.get(SNS_APP_ATTR).and_then(Value::as_str);
        let (PushProvider::Sns, Some(arn)) = (provider, arn) else {
            return Ok(());
        };
        self.sns()?.delete(arn).await
    }
}

#[derive(Clone)]
struct Cached {
    record: Option<PushConfigRecord>,
    read_at: i64,
    pusher: Option<Arc<dyn Pusher>>,
}

/// The `Pusher` the wake consumer uses: routes each wake to its tenant's provider.
pub struct TenantPushers {
    table: Arc<dyn Table>,
    secrets: Arc<dyn SecretStore>,
    providers: Providers,
    fallback: Arc<dyn Pusher>,
    cache: Mutex<HashMap<(String, Platform), Cached>>,
}

impl TenantPushers {
    pub fn new(
        table: Arc<dyn Table>,
        secrets: Arc<dyn SecretStore>,
        providers: Providers,
        fallback: Arc<dyn Pusher>,
    ) -> Self {
        Self {
            table,
            secrets,
            providers,
            fallback,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The cache entry of any age: a stale one still holds a provider worth keeping.
    fn entry(&self, key: &(String, Platform)) -> Option<Cached> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.get(key).cloned()
    }

    fn remember(&self, key: (String, Platform), cached: Cached) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= CACHE_CAP {
            cache.clear();
        }
        cache.insert(key, cached);
    }

    async fn provider_for(&self, target: &PushTarget) -> Result<Arc<dyn Pusher>, PushError> {
        let now = self.providers.clock.now_ms();
        // Macs are woken with the ios settings (one APNs MDM certificate for all Apple devices).
        let key = (target.tenant.clone(), target.platform.push_settings());
        let previous = self.entry(&key);
        if let Some(Cached {
            record,
            pusher,
            read_at,
        }) = previous.clone()
            && now - read_at < SETTINGS_TTL_MS
        {
            return match (record, pusher) {
                (None, _) => Ok(self.fallback.clone()),
                (Some(_), Some(pusher)) => Ok(pusher),
                (Some(record), None) => self.build(key, record, now).await,
            };
        }
        let tenant = TenantId::parse(&target.tenant)
            .map_err(|_| PushError::Rejected("wake for an invalid tenant id".into()))?;
        let record = push_config::load(self.table.as_ref(), &tenant, key.1)
            .await
            .map_err(retryable)?;
        match (record, previous) {
            (None, _) => {
                self.remember(
                    key,
                    Cached {
                        record: None,
                        read_at: now,
                        pusher: None,
                    },
                );
                Ok(self.fallback.clone())
            }
            // Unchanged settings keep their provider, and with it the OAuth access token or
            // APNs provider token it holds (re-minting them every minute would be waste, and
            // Apple refuses provider tokens renewed that often).
            (
                Some(record),
                Some(Cached {
                    record: Some(old),
                    pusher: Some(pusher),
                    ..
                }),
            ) if old == record => {
                self.remember(
                    key,
                    Cached {
                        record: Some(record),
                        read_at: now,
                        pusher: Some(pusher.clone()),
                    },
                );
                Ok(pusher)
            }
            (Some(record), _) => self.build(key, record, now).await,
        }
    }

    async fn build(
        &self,
        key: (String, Platform),
        record: PushConfigRecord,
        now: i64,
    ) -> Result<Arc<dyn Pusher>, PushError> {
        let credentials = self
            .secrets
            .get(&record.secret)
            .await
            .map_err(retryable)?
            .ok_or_else(|| PushError::Rejected("the push credentials are missing".into()))?;
        if push_config::fingerprint(&credentials) != record.fingerprint {
            // A secret cache still holds the credentials an admin just replaced.
            return Err(PushError::Retryable {
                reason: "push credentials are being replaced".into(),
                retry_after_secs: Some(60),
            });
        }
        let pusher = self.providers.build(&record, &credentials)?;
        self.remember(
            key,
            Cached {
                record: Some(record),
                read_at: now,
                pusher: Some(pusher.clone()),
            },
        );
        Ok(pusher)
    }
}

fn retryable(e: mdm_core::error::StoreError) -> PushError {
    PushError::Retryable {
        reason: format!("cannot read push settings: {e}"),
        retry_after_secs: None,
    }
}

#[async_trait]
impl Pusher for TenantPushers {
    async fn wake(&self, target: &PushTarget) -> Result<PushReceipt, PushError> {
        self.provider_for(target).await?.wake(target).await
    }
}
