//! Configuration of the composition root, from flags or environment variables, with defaults
//! that run everything locally on the embedded backend.

use std::path::PathBuf;

use clap::Args;

/// Which backend and which token issuer to use.
#[derive(Debug, Clone, Args)]
pub struct AppConfig {
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

    /// Deliveries of a queue message before it moves to the dead-letter list.
    #[arg(long, env = "MDM_QUEUE_MAX_RECEIVES", default_value_t = 5)]
    pub queue_max_receives: u32,
}

impl AppConfig {
    /// Settings for tests: in memory, a fixed dev key.
    pub fn for_tests(dev_secret: &str) -> Self {
        Self {
            data_dir: PathBuf::from(".mdm-test-unused"),
            in_memory: true,
            jwt_issuer: "mdm-dev".into(),
            jwt_audience: "mdm".into(),
            jwks_file: None,
            dev_jwt_secret: Some(dev_secret.to_owned()),
            queue_max_receives: 5,
        }
    }
}
