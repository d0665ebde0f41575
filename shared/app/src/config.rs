//! Configuration of the composition root, from flags or environment variables, with defaults
//! that run everything locally on the embedded backend.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use mdm_core::domain::webhook::Cidr;
use mdm_core::{RateLimits, Settings};

/// Where state lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// One redb file (or memory), the in-process queue and the local push sink.
    Embedded,
    /// DynamoDB, SQS and the tenants' push providers; credentials and region from the usual
    /// AWS environment (AWS_REGION, AWS_ENDPOINT_URL for an emulator, ...).
    Aws,
}

/// Which backend and which token issuer to use.
#[derive(Debug, Clone, Args)]
pub struct AppConfig {
    /// Which backend holds the state.
    #[arg(long, env = "MDM_BACKEND", value_enum, default_value_t = Backend::Embedded)]
    pub backend: Backend,

    /// Where the embedded backend keeps its database file.
    #[arg(long, env = "MDM_DATA_DIR", default_value = ".mdm-data")]
    pub data_dir: PathBuf,

    /// Keep everything in memory (lost on exit); for tests and benchmarks.
    #[arg(long, env = "MDM_IN_MEMORY", default_value_t = false)]
    pub in_memory: bool,

    /// The `iss` tenant tokens must carry.
    #[arg(long, env = "MDM_JWT_ISSUER", default_value = "mdm-dev")]
    pub jwt_issuer: String,

    /// The `aud` tenant tokens must carry.
    #[arg(long, env = "MDM_JWT_AUDIENCE", default_value = "mdm")]
    pub jwt_audience: String,

    /// A JWKS document of the production issuer (RS256/ES256). Without it, HS256 tokens signed
    /// with the dev key are accepted.
    #[arg(long, env = "MDM_JWKS_FILE")]
    pub jwks_file: Option<PathBuf>,

    /// The HS256 dev key. Defaults to a random key kept in <data-dir>/dev-jwt.key.
    #[arg(long, env = "MDM_DEV_JWT_SECRET", hide_env_values = true)]
    pub dev_jwt_secret: Option<String>,

    /// Deliveries of a queue message before it moves to the dead-letter list (on AWS: the
    /// wake queue's redrive maxReceiveCount).
    #[arg(long, env = "MDM_QUEUE_MAX_RECEIVES", default_value_t = 5)]
    pub queue_max_receives: u32,

    /// AWS: the DynamoDB table.
    #[arg(long, env = "MDM_TABLE_NAME")]
    pub table_name: Option<String>,

    /// AWS: the SQS queue that carries wake-ups.
    #[arg(long, env = "MDM_WAKE_QUEUE_URL")]
    pub wake_queue_url: Option<String>,

    /// AWS: the wake queue's dead-letter queue.
    #[arg(long, env = "MDM_WAKE_DLQ_URL")]
    pub wake_dlq_url: Option<String>,

    /// AWS: the production issuer's JWKS document, fetched once at start (https).
    #[arg(long, env = "MDM_JWKS_URL")]
    pub jwks_url: Option<String>,

    /// AWS: a Secrets Manager secret holding the HS256 dev key (when there is no JWKS).
    #[arg(long, env = "MDM_DEV_JWT_SECRET_ARN")]
    pub dev_jwt_secret_arn: Option<String>,

    /// AWS: prefix of the Secrets Manager names holding tenants' push credentials.
    #[arg(long, env = "MDM_SECRET_PREFIX", default_value = "mdm/dev/")]
    pub secret_prefix: String,

    /// AWS: prefix of the SNS platform applications created per tenant and platform.
    #[arg(long, env = "MDM_SNS_APP_PREFIX", default_value = "mdm-dev-")]
    pub sns_app_prefix: String,

    /// The APNs server to push to instead of Apple's (api.push.apple.com, or
    /// api.sandbox.push.apple.com by the credentials' environment), for both environments: an
    /// https:// URL, for a fake APNs in tests. Unset in production.
    #[arg(long, env = "MDM_APNS_URL")]
    pub apns_url: Option<String>,

    /// A PEM file of root certificates trusted for APNs instead of the system's (a fake APNs's
    /// throwaway CA). Unset in production.
    #[arg(long, env = "MDM_APNS_ROOTS_PEM_FILE")]
    pub apns_roots_pem_file: Option<PathBuf>,

    /// Where Apple devices reach the check-in and command endpoints, when not at the address
    /// their enrolment profile was downloaded from: the custom domain of API Gateway's mutual
    /// TLS (`https://mdm-devices.example.com`), which a device can use only once SCEP gave it
    /// a certificate. Unset: the profile's own address.
    #[arg(long, env = "MDM_APPLE_DEVICE_URL")]
    pub apple_device_url: Option<String>,

    /// Requests per minute one device may make (per process; 0: no limit).
    #[arg(long, env = "MDM_RATE_DEVICE_PER_MIN", default_value_t = 60)]
    pub rate_device_per_min: u32,

    /// Requests a device may make at once on top of its rate.
    #[arg(long, env = "MDM_RATE_DEVICE_BURST", default_value_t = 20)]
    pub rate_device_burst: u32,

    /// Requests per minute to the tenant routes, all of a tenant's users together.
    #[arg(long, env = "MDM_RATE_TENANT_PER_MIN", default_value_t = 6000)]
    pub rate_tenant_per_min: u32,

    #[arg(long, env = "MDM_RATE_TENANT_BURST", default_value_t = 600)]
    pub rate_tenant_burst: u32,

    /// Enrolments per minute with any of a tenant's enrollment tokens.
    #[arg(long, env = "MDM_RATE_ENROLL_PER_MIN", default_value_t = 600)]
    pub rate_enroll_per_min: u32,

    #[arg(long, env = "MDM_RATE_ENROLL_BURST", default_value_t = 100)]
    pub rate_enroll_burst: u32,

    /// Days audit entries are kept (1 to 3650); the store's TTL deletes them afterwards.
    #[arg(long, env = "MDM_AUDIT_RETENTION_DAYS", default_value_t = 365,
          value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub audit_retention_days: i64,

    /// Networks (CIDRs, comma-separated) exempt from the webhook address rules, which may also
    /// be called over plain http: for a test receiver on loopback (`127.0.0.1/32`). Empty in
    /// production: never put a network of your own infrastructure here.
    #[arg(long, env = "MDM_WEBHOOK_ALLOW_CIDRS", value_delimiter = ',', value_parser = parse_cidr)]
    pub webhook_allow_cidrs: Vec<Cidr>,

    /// Delivery attempts of one event to one endpoint before it is recorded dead.
    #[arg(long, env = "MDM_WEBHOOK_MAX_ATTEMPTS", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    pub webhook_max_attempts: u32,

    /// Seconds before a failed delivery's second attempt; doubled for each further one (at
    /// most 15 minutes).
    #[arg(long, env = "MDM_WEBHOOK_BACKOFF_SECS", default_value_t = 30)]
    pub webhook_backoff_secs: u64,
}

fn parse_cidr(s: &str) -> Result<Cidr, String> {
    s.parse()
}

/// An unset variable and one set to "" (how SAM passes an empty parameter) mean the same.
pub fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

impl AppConfig {
    /// Settings for tests: in memory, a fixed dev key.
    pub fn for_tests(dev_secret: &str) -> Self {
        let defaults = RateLimits::default();
        Self {
            backend: Backend::Embedded,
            data_dir: PathBuf::from(".mdm-test-unused"),
            in_memory: true,
            jwt_issuer: "mdm-dev".into(),
            jwt_audience: "mdm".into(),
            jwks_file: None,
            dev_jwt_secret: Some(dev_secret.to_owned()),
            queue_max_receives: 5,
            table_name: None,
            wake_queue_url: None,
            wake_dlq_url: None,
            jwks_url: None,
            dev_jwt_secret_arn: None,
            secret_prefix: "mdm/test/".into(),
            sns_app_prefix: "mdm-test-".into(),
            apns_url: None,
            apple_device_url: None,
            apns_roots_pem_file: None,
            rate_device_per_min: defaults.device_per_min,
            rate_device_burst: defaults.device_burst,
            rate_tenant_per_min: defaults.tenant_per_min,
            rate_tenant_burst: defaults.tenant_burst,
            rate_enroll_per_min: defaults.enroll_per_min,
            rate_enroll_burst: defaults.enroll_burst,
            audit_retention_days: Settings::default().audit_retention_days,
            // The flow suite's receivers listen on 127.0.0.1 over plain http; 127.0.0.2 and
            // every other internal address stay refused. Retries are fast so a dead delivery
            // ends within seconds: 1, 2, 4 s between 4 attempts.
            webhook_allow_cidrs: vec!["127.0.0.1/32".parse().expect("a CIDR")],
            webhook_max_attempts: 4,
            webhook_backoff_secs: 1,
        }
    }

    /// The use cases' settings: defaults, with the configured rate limits.
    pub fn settings(&self) -> Settings {
        Settings {
            rate_limits: RateLimits {
                device_per_min: self.rate_device_per_min,
                device_burst: self.rate_device_burst,
                tenant_per_min: self.rate_tenant_per_min,
                tenant_burst: self.rate_tenant_burst,
                enroll_per_min: self.rate_enroll_per_min,
                enroll_burst: self.rate_enroll_burst,
            },
            audit_retention_days: self.audit_retention_days,
            webhook_allow_cidrs: self.webhook_allow_cidrs.clone(),
            webhook_max_attempts: self.webhook_max_attempts,
            webhook_backoff_secs: self.webhook_backoff_secs,
            apple_device_url: self
                .apple_device_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_owned()),
            ..Settings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: AppConfig,
    }

    #[test]
    fn webhook_settings_default_to_no_exemption_and_parse_a_list_of_cidrs() {
        let defaults = Cli::try_parse_from(["mdm"]).unwrap().config.settings();
        assert!(defaults.webhook_allow_cidrs.is_empty());
        assert_eq!(
            (defaults.webhook_max_attempts, defaults.webhook_backoff_secs),
            (8, 30)
        );
        let cli = Cli::try_parse_from([
            "mdm",
            "--webhook-allow-cidrs",
            "127.0.0.1/32,fd00::/8",
            "--webhook-max-attempts",
            "3",
        ])
        .unwrap();
        let settings = cli.config.settings();
        assert_eq!(
            settings
                .webhook_allow_cidrs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["127.0.0.1/32", "fd00::/8"]
        );
        assert_eq!(settings.webhook_max_attempts, 3);
        assert!(Cli::try_parse_from(["mdm", "--webhook-allow-cidrs", "10.0.0.1"]).is_err());
        assert!(Cli::try_parse_from(["mdm", "--webhook-max-attempts", "0"]).is_err());
    }

    #[test]
    fn apns_goes_to_apple_unless_an_https_url_and_a_readable_root_file_are_given() {
        let defaults = Cli::try_parse_from(["mdm"]).unwrap().config;
        let apple = crate::push::ApnsEndpoint::from_config(&defaults).unwrap();
        assert_eq!((apple.base_url, apple.trusted_roots_pem), (None, None));

        let plain = Cli::try_parse_from(["mdm", "--apns-url", "http://127.0.0.1:9"])
            .unwrap()
            .config;
        let error = crate::push::ApnsEndpoint::from_config(&plain).unwrap_err();
        assert!(error.to_string().contains("https://"), "{error}");

        let missing = Cli::try_parse_from([
            "mdm",
            "--apns-url",
            "https://127.0.0.1:9",
            "--apns-roots-pem-file",
            "/nonexistent/roots.pem",
        ])
        .unwrap()
        .config;
        let error = crate::push::ApnsEndpoint::from_config(&missing).unwrap_err();
        assert!(
            error.to_string().contains("MDM_APNS_ROOTS_PEM_FILE"),
            "{error}"
        );
    }
}
