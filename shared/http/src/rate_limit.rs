//! Per-process token buckets per device, per tenant and per tenant's enrolments, checked before a
//! request touches the store so that a flood costs no request units.
//!
//! - Per device (its credential's device id): `MDM_RATE_DEVICE_PER_MIN` 60 a minute, burst
//!   `MDM_RATE_DEVICE_BURST` 20.
//! - Per tenant, all users of a tenant together on the tenant routes: `MDM_RATE_TENANT_PER_MIN`
//!   6,000 a minute, burst 600.
//! - Per tenant for enrolments (the enrollment token's tenant): `MDM_RATE_ENROLL_PER_MIN` 600 a
//!   minute, burst 100.
//!
//! A rate of 0 turns a limit off. Past a limit: `429 rate_limited` with `Retry-After` (seconds,
//! rounded up), before any store access; one device's or tenant's flood does not limit another
//! (`tests/tests/rate_limits_embedded.rs`). The buckets hold per process: on AWS per Lambda
//! instance, so N warm instances allow up to N times the quota (SAM parameters
//! `DeviceRatePerMinute`, `TenantRatePerMinute`, `EnrollRatePerMinute`); the account-wide ceiling
//! is API Gateway's stage throttling (`ApiThrottleRate`, `ApiThrottleBurst` in
//! `infra/template.yaml`). Tracked keys are pruned above 100,000, so a stream of distinct (even
//! forged) device ids cannot grow memory without bound.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use mdm_core::domain::{DeviceCredential, TenantId};
use mdm_core::{Error, RateLimits};

/// Above this many tracked keys, keys whose bucket is full again are dropped, so a stream of
/// distinct (even forged) device ids cannot grow memory without bound.
const MAX_KEYS: usize = 100_000;
/// Counting keys walks every shard: do it once per this many checks.
const PRUNE_EVERY: u64 = 1024;

/// The three limits of one process.
pub struct Limiter {
    device: Option<Bucket>,
    tenant: Option<Bucket>,
    enroll: Option<Bucket>,
}

impl Limiter {
    pub fn new(limits: &RateLimits) -> Self {
        Self {
            device: Bucket::new(limits.device_per_min, limits.device_burst),
            tenant: Bucket::new(limits.tenant_per_min, limits.tenant_burst),
            enroll: Bucket::new(limits.enroll_per_min, limits.enroll_burst),
        }
    }

    pub fn device(&self, cred: &DeviceCredential) -> Result<(), Error> {
        Bucket::check(&self.device, || format!("{}/{}", cred.tenant, cred.device))
    }

    pub fn tenant(&self, tenant: &TenantId) -> Result<(), Error> {
        Bucket::check(&self.tenant, || tenant.to_string())
    }

    pub fn enroll(&self, tenant: &TenantId) -> Result<(), Error> {
        Bucket::check(&self.enroll, || tenant.to_string())
    }
}

struct Bucket {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl Bucket {
    fn new(per_min: u32, burst: u32) -> Option<Self> {
        let quota = Quota::per_minute(NonZeroU32::new(per_min)?)
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        Some(Self {
            limiter: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        })
    }

    fn check(bucket: &Option<Self>, key: impl FnOnce() -> String) -> Result<(), Error> {
        let Some(b) = bucket else {
            return Ok(());
        };
        if b.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1
            && b.limiter.len() > MAX_KEYS
        {
            b.limiter.retain_recent();
            b.limiter.shrink_to_fit();
        }
        b.limiter.check_key(&key()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::RateLimited {
                retry_after_secs: wait.as_millis().div_ceil(1000).max(1) as u64,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(t: &str) -> TenantId {
        TenantId::parse(t).unwrap()
    }

    #[test]
    fn a_tenant_past_its_burst_is_limited_with_a_wait_and_another_tenant_is_not() {
        let l = Limiter::new(&RateLimits {
            tenant_per_min: 1,
            tenant_burst: 2,
            ..RateLimits::default()
        });
        assert!(l.tenant(&tenant("acme")).is_ok());
        assert!(l.tenant(&tenant("acme")).is_ok());
        match l.tenant(&tenant("acme")) {
            Err(Error::RateLimited { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("{other:?}"),
        }
        assert!(l.tenant(&tenant("globex")).is_ok());
    }

    #[test]
    fn a_rate_of_zero_switches_the_limit_off() {
        let l = Limiter::new(&RateLimits {
            enroll_per_min: 0,
            enroll_burst: 0,
            ..RateLimits::default()
        });
        for _ in 0..1000 {
            assert!(l.enroll(&tenant("acme")).is_ok());
        }
    }
}
