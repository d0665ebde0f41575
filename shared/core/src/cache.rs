//! What one process remembers of tenants' rarely changing data, so that a request does not
//! read it from the table every time: each tenant's state and limits, its webhook
//! subscriptions, its Apple certificate authority. The caches are plain data structures here;
//! the use cases that own the data decide how old an entry may be and when to forget one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use mdm_pki::{CaVerifier, CertificateAuthority};

use crate::domain::webhook::Subscription;
use crate::domain::{TenantId, TenantState};

/// Tenants one cache keeps; beyond it the cache starts afresh (a cheap bound on memory that
/// costs at most one read per tenant).
const CACHE_CAP: usize = 10_000;

/// A value per tenant with the time it was read.
pub struct TenantCache<V> {
    inner: Mutex<Entries<V>>,
}

struct Entries<V> {
    map: HashMap<TenantId, (i64, V)>,
    /// Bumped by every `forget`, so a read that started before a local change cannot store
    /// what it read after the change invalidated it.
    generation: u64,
}

impl<V> Default for TenantCache<V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Entries {
                map: HashMap::new(),
                generation: 0,
            }),
        }
    }
}

impl<V> std::fmt::Debug for TenantCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantCache")
            .field("tenants", &self.lock().map.len())
            .finish()
    }
}

impl<V> TenantCache<V> {
    fn lock(&self) -> MutexGuard<'_, Entries<V>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<V: Clone> TenantCache<V> {
    /// The tenant's value if it was read less than `max_age_ms` before `now`; otherwise the
    /// generation to hand to `remember_unless_forgotten` with what is read instead.
    pub fn fresh(&self, tenant: &TenantId, now: i64, max_age_ms: i64) -> Result<V, u64> {
        let entries = self.lock();
        entries
            .map
            .get(tenant)
            .filter(|(at, _)| (0..max_age_ms).contains(&(now - at)))
            .map(|(_, v)| v.clone())
            .ok_or(entries.generation)
    }

    /// The tenant's value however old, for data that never changes once written.
    pub fn get(&self, tenant: &TenantId) -> Option<V> {
        self.lock().map.get(tenant).map(|(_, v)| v.clone())
    }

    /// Keeps what was read (or written) at `now`.
    pub fn remember(&self, tenant: &TenantId, now: i64, value: V) {
        let mut entries = self.lock();
        if entries.map.len() >= CACHE_CAP && !entries.map.contains_key(tenant) {
            entries.map.clear();
        }
        entries.map.insert(tenant.clone(), (now, value));
    }

    /// Keeps what was read at `now`, unless something was forgotten since `generation` (which
    /// `fresh` gave before the read).
    pub fn remember_unless_forgotten(
        &self,
        tenant: &TenantId,
        now: i64,
        generation: u64,
        value: V,
    ) {
        if self.lock().generation == generation {
            self.remember(tenant, now, value);
        }
    }

    /// Forgets the tenant's value after this process changed the data behind it.
    pub fn forget(&self, tenant: &TenantId) {
        let mut entries = self.lock();
        entries.generation += 1;
        entries.map.remove(tenant);
    }
}

/// Each tenant's status and limits (`usecases::tenants::state`).
pub type TenantStates = TenantCache<TenantState>;

/// Each tenant's enabled webhook subscriptions (`usecases::events::subscriptions`).
pub type Subscriptions = TenantCache<Arc<Vec<Subscription>>>;

/// Each tenant's Apple device CA (`apple::ca`): the certificate identities are checked against,
/// and the authority with its key that issues them. Neither changes once created.
#[derive(Debug, Default)]
pub struct CaCache {
    pub verifiers: TenantCache<Arc<CaVerifier>>,
    pub authorities: TenantCache<Arc<CertificateAuthority>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    #[test]
    fn a_value_is_fresh_until_it_is_as_old_as_the_caller_allows() {
        let cache = TenantCache::<u32>::default();
        cache.remember(&acme(), 1_000, 7);
        assert_eq!(cache.fresh(&acme(), 1_000, 60_000), Ok(7));
        assert_eq!(cache.fresh(&acme(), 60_999, 60_000), Ok(7));
        assert!(cache.fresh(&acme(), 61_000, 60_000).is_err());
        assert_eq!(cache.get(&acme()), Some(7));
    }

    #[test]
    fn a_read_that_started_before_a_forget_is_not_kept() {
        let cache = TenantCache::<u32>::default();
        let generation = cache.fresh(&acme(), 0, 60_000).unwrap_err();
        cache.forget(&acme());
        cache.remember_unless_forgotten(&acme(), 0, generation, 1);
        assert_eq!(cache.get(&acme()), None);
        let generation = cache.fresh(&acme(), 0, 60_000).unwrap_err();
        cache.remember_unless_forgotten(&acme(), 0, generation, 2);
        assert_eq!(cache.get(&acme()), Some(2));
    }
}
