//! The `SecretStore` port: where per-tenant provider credentials (FCM service accounts, APNs
//! certificates and keys) are kept, apart from the table, so that no table read, backup or log
//! ever carries them.

use async_trait::async_trait;

use crate::error::StoreError;

#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The secret's current value, or None when there is no such secret.
    async fn get(&self, name: &str) -> Result<Option<String>, StoreError>;

    /// Creates the secret or replaces its value.
    async fn put(&self, name: &str, value: &str) -> Result<(), StoreError>;

    /// Removes the secret for good (a deleted tenant's credentials must not outlive it);
    /// removing one that does not exist succeeds, so a retried purge does not stop on it.
    async fn delete(&self, name: &str) -> Result<(), StoreError>;
}
