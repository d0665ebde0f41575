//! What every Lambda driver shares: tracing set up for CloudWatch and the app built from the
//! environment.
//!
//! The backend comes from MDM_BACKEND like everywhere else; the SAM template sets `aws`.

use std::sync::Arc;

use clap::Parser;
use mdm_core::Services;

use crate::{App, AppConfig};

#[derive(Parser)]
struct EnvOnly {
    #[command(flatten)]
    config: AppConfig,
}

/// Initialises JSON tracing and builds the services from environment variables only.
pub async fn init() -> Result<Arc<Services>, Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .without_time()
        .with_target(false)
        // CloudWatch shows escape codes as text.
        .with_ansi(false)
        .init();
    let cfg = EnvOnly::try_parse_from(["lambda"])?.config;
    Ok(App::from_config(&cfg).await?.services)
}
