//! `SecretsManagerStore`: the `SecretStore` port on AWS Secrets Manager, with a short in-process
//! cache so that a warm Lambda that wakes many devices does not pay a Secrets Manager call (and
//! its latency and price) per wake.
//!
//! Secret values never appear in errors, `Debug` output or traces: only names do.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::operation::put_secret_value::PutSecretValueError;
use mdm_ports::error::StoreError;
use mdm_ports::{Clock, Millis, SecretStore};

use crate::sdk_error::{ErrorChain, service_code};

/// How long a read stays fresh. Another process's `put` (the push-config API runs in a different
/// Lambda than the wakes) shows here within this time; a few minutes of a stale credential only
/// delays wakes, and commands are never lost to a failed wake.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(300);

pub struct SecretsManagerStore {
    client: Client,
    prefix: String,
    clock: Arc<dyn Clock>,
    ttl_ms: Millis,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<String, Cached>,
    /// Bumped by every put, so that a read that started before a put cannot store what it read
    /// after the put invalidated the entry.
    generation: u64,
}

/// A read result, including "no such secret": tenants without push credentials are as common
/// as tenants with them, and a miss costs the same call.
struct Cached {
    value: Option<String>,
    expires_at: Millis,
}

impl SecretsManagerStore {
    /// Secrets are named `<prefix><name>`; a prefix like `mdm/prod/` keeps one deployment's
    /// secrets apart from another's and lets IAM grant exactly `<prefix>*`.
    pub fn new(client: Client, prefix: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            prefix: prefix.into(),
            clock,
            ttl_ms: DEFAULT_CACHE_TTL.as_millis() as Millis,
            cache: Mutex::default(),
        }
    }

    /// Overrides how long a read stays fresh (zero turns the cache off).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl_ms = Millis::try_from(ttl.as_millis()).unwrap_or(Millis::MAX);
        self
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn id(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters: every entry is replaced whole.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn fetch(&self, id: &str) -> Result<Option<String>, StoreError> {
        match self.client.get_secret_value().secret_id(id).send().await {
            Ok(out) => match out.secret_string() {
                Some(s) => Ok(Some(s.to_owned())),
                None => Err(StoreError::Corrupt(format!(
                    "secret {id} holds binary data, not text"
                ))),
            },
            Err(err) if is_not_found(&err) => Ok(None),
            Err(err) => Err(secret_error(id, err)),
        }
    }

    async fn put_value(&self, id: &str, value: &str) -> Result<(), SdkError<PutSecretValueError>> {
        self.client
            .put_secret_value()
            .secret_id(id)
            .secret_string(value)
            .send()
            .await
            .map(|_| ())
    }
}

impl std::fmt::Debug for SecretsManagerStore {
    /// Only the shape: the cached values are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManagerStore")
            .field("prefix", &self.prefix)
            .field("ttl_ms", &self.ttl_ms)
            .field("cached", &self.cache().entries.len())
            .finish_non_exhaustive()
    }
}

fn is_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    matches!(service_code(err), Some(("ResourceNotFoundException", _)))
}

fn is_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, code: &str) -> bool {
    service_code(err).is_some_and(|(c, _)| c == code)
}

/// Maps a failure by its error code. Secrets Manager's messages name the secret, never its
/// value, so they are safe to keep.
fn secret_error<E, R>(id: &str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match service_code(&err) {
        Some((code, message)) => by_code(id, code, message),
        None => StoreError::Unavailable(format!(
            "secrets manager unreachable for {id}: {}",
            ErrorChain(&err)
        )),
    }
}

fn by_code(id: &str, code: &str, message: &str) -> StoreError {
    match code {
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" => StoreError::Throttled,
        // Our request was wrong, or the secret is in a state (e.g. scheduled for deletion) that
        // no retry changes.
        "InvalidParameterException"
        | "InvalidRequestException"
        | "ValidationException"
        | "LimitExceededException"
        | "ResourceExistsException"
        | "PreconditionNotMetException" => {
            StoreError::Invalid(format!("secrets manager refused {id}: {code}: {message}"))
        }
        // InternalServiceError, KMS failures, access denied: outside our request, and possibly
        // fixed by the time the caller retries.
        other => {
            StoreError::Unavailable(format!("secrets manager error {other} for {id}: {message}"))
        }
    }
}

#[async_trait]
impl SecretStore for SecretsManagerStore {
    async fn get(&self, name: &str) -> Result<Option<String>, StoreError> {
        let id = self.id(name);
        let now = self.clock.now_ms();
        let generation = {
            let cache = self.cache();
            if let Some(hit) = cache.entries.get(&id)
                && hit.expires_at > now
            {
                return Ok(hit.value.clone());
            }
            cache.generation
        };
        let value = self.fetch(&id).await?;
        if self.ttl_ms > 0 {
            let mut cache = self.cache();
            if cache.generation == generation {
                cache.entries.insert(
                    id,
                    Cached {
                        value: value.clone(),
                        expires_at: now.saturating_add(self.ttl_ms),
                    },
                );
            }
        }
        Ok(value)
    }

    async fn put(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let id = self.id(name);
        {
            let mut cache = self.cache();
            cache.generation += 1;
            cache.entries.remove(&id);
        }
        let result = match self.put_value(&id, value).await {
            Ok(()) => Ok(()),
            Err(err) if is_not_found(&err) => {
                let created = self
                    .client
                    .create_secret()
                    .name(&id)
                    .secret_string(value)
                    .send()
                    .await;
                match created {
                    Ok(_) => Ok(()),
                    // Another writer created it between our two calls: ours is the newer
                    // value, so write it as a new version.
                    Err(err) if is_code(&err, "ResourceExistsException") => self
                        .put_value(&id, value)
                        .await
                        .map_err(|e| secret_error(&id, e)),
                    Err(err) => Err(secret_error(&id, err)),
                }
            }
            Err(err) => Err(secret_error(&id, err)),
        };
        // Invalidate again: a get that read the old value during the put must not keep it.
        let mut cache = self.cache();
        cache.generation += 1;
        cache.entries.remove(&id);
        result
    }

    async fn delete(&self, name: &str) -> Result<(), StoreError> {
        let id = self.id(name);
        // No recovery window: the secret goes with the tenant's other data, now, and the name
        // is free again at once.
        let result = match self
            .client
            .delete_secret()
            .secret_id(&id)
            .force_delete_without_recovery(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if is_not_found(&err) => Ok(()),
            Err(err) => Err(secret_error(&id, err)),
        };
        let mut cache = self.cache();
        cache.generation += 1;
        cache.entries.remove(&id);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_retryable_and_a_bad_request_is_not() {
        assert_eq!(
            by_code("s", "ThrottlingException", ""),
            StoreError::Throttled
        );
        assert!(by_code("s", "InternalServiceError", "boom").is_retryable());
        assert!(by_code("s", "DecryptionFailure", "kms").is_retryable());
        assert!(!by_code("s", "InvalidRequestException", "marked for deletion").is_retryable());
        assert!(!by_code("s", "InvalidParameterException", "bad name").is_retryable());
    }

    #[test]
    fn an_error_names_the_secret_it_concerns() {
        let err = by_code("mdm/dev/t1/fcm", "InternalServiceError", "try later");
        assert!(err.to_string().contains("mdm/dev/t1/fcm"), "{err}");
    }
}
