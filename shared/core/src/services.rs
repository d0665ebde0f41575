//! The bundle of ports and settings every use case runs against; built once by a composition
//! root (embedded or AWS) and shared.

use std::sync::Arc;

use crate::domain::webhook::Cidr;
use crate::ports::{
    Clock, IdGen, PushProviders, Pusher, Queue, SecretStore, Table, TokenVerifier, WebhookSender,
};

/// Tunable defaults and limits.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a command waits for its device unless the admin says otherwise.
    pub default_command_ttl_secs: i64,
    pub max_command_ttl_secs: i64,
    pub default_enrollment_ttl_secs: i64,
    pub max_enrollment_ttl_secs: i64,
    pub max_enrollment_uses: i64,
    /// Suggested interval between idle check-ins, returned to devices.
    pub checkin_interval_secs: i64,
    /// Most open commands served by one fetch.
    pub fetch_limit: usize,
    /// Per-process request quotas, enforced at the HTTP edge before any store access.
    pub rate_limits: RateLimits,
    /// How long audit entries are kept (their TTL); readers never see older ones.
    pub audit_retention_days: i64,
    /// Networks exempt from the webhook address rules, which may also take plain http: empty in
    /// production; test stacks (and a local dev server, if asked) put `127.0.0.1/32` here so a
    /// receiver on loopback can be called.
    pub webhook_allow_cidrs: Vec<Cidr>,
    /// Delivery attempts of one event to one endpoint before it is recorded `dead` and dropped.
    pub webhook_max_attempts: u32,
    /// The delay before the second attempt; each further one doubles it (at most 15 minutes).
    pub webhook_backoff_secs: u64,
    /// Webhook endpoints one tenant may have.
    pub max_webhooks: usize,
    /// Where Apple devices reach the check-in and command endpoints, when not at the address
    /// the enrolment profile came from (a mutual-TLS custom domain); scheme and host.
    pub apple_device_url: Option<String>,
}

/// Token buckets: a sustained rate per minute and the burst allowed on top; a rate of 0
/// switches that limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Each device's own calls (check-in, pull, results).
    pub device_per_min: u32,
    pub device_burst: u32,
    /// All of a tenant's users' calls to the tenant routes together.
    pub tenant_per_min: u32,
    pub tenant_burst: u32,
    /// Enrolments with any of a tenant's enrollment tokens.
    pub enroll_per_min: u32,
    pub enroll_burst: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            device_per_min: 60,
            device_burst: 20,
            tenant_per_min: 6000,
            tenant_burst: 600,
            enroll_per_min: 600,
            enroll_burst: 100,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            default_command_ttl_secs: 7 * 86_400,
            max_command_ttl_secs: 30 * 86_400,
            default_enrollment_ttl_secs: 7 * 86_400,
            max_enrollment_ttl_secs: 365 * 86_400,
            max_enrollment_uses: 100_000,
            checkin_interval_secs: 900,
            fetch_limit: 50,
            rate_limits: RateLimits::default(),
            audit_retention_days: 365,
            webhook_allow_cidrs: Vec::new(),
            // 30 s doubling: 30 s, 1, 2, 4, 8, 15, 15 min: a receiver down for about 45 minutes
            // still gets the event.
            webhook_max_attempts: 8,
            webhook_backoff_secs: 30,
            max_webhooks: 10,
            apple_device_url: None,
        }
    }
}

/// Everything a use case needs, as ports.
#[derive(Clone)]
pub struct Services {
    pub table: Arc<dyn Table>,
    /// Carries wake-up work from command queueing to the push consumer.
    pub wake_queue: Arc<dyn Queue>,
    pub pusher: Arc<dyn Pusher>,
    /// Tenants' provider credentials, kept out of the table.
    pub secrets: Arc<dyn SecretStore>,
    /// Checks and prepares provider credentials when an admin configures push.
    pub push_providers: Arc<dyn PushProviders>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    pub verifier: Arc<dyn TokenVerifier>,
    pub settings: Settings,
    /// What this process last read of each tenant's status and limits (at most a minute old).
    pub tenant_states: Arc<crate::cache::TenantStates>,
    /// Resolves receivers' hosts and sends webhook deliveries.
    pub webhooks: Arc<dyn WebhookSender>,
    /// What this process last read of each tenant's webhook subscriptions (at most a minute old).
    pub webhook_subscriptions: Arc<crate::cache::Subscriptions>,
    /// What this process last read of each tenant's Apple certificate authority.
    pub apple_cas: Arc<crate::cache::CaCache>,
}

impl Services {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
