//! `mdm-dev`: runs the whole MDM on one machine (embedded store, queue and push sink), and mints
//! dev tokens for it.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, Subcommand};
use mdm_app::{App, AppConfig};
use mdm_auth::{DevClaims, mint_hs256, mint_platform_hs256};
use mdm_core::domain::{Role, TenantId};
use mdm_core::ports::PLATFORM_OPERATOR;

#[derive(Parser)]
#[command(version, about = "Run the MDM locally, or mint a dev token for it")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: AppConfig,
    /// How to serve when no subcommand is given (`mdm-dev --listen ...` is `mdm-dev serve
    /// --listen ...`).
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API with the queue consumer (the default).
    Serve(ServeArgs),
    /// Print a tenant-user JWT (or, with --role platform_operator and no --tenant, the platform
    /// operator's) signed with this data directory's dev key.
    Token {
        #[arg(long)]
        tenant: Option<String>,
        /// admin, operator, auditor, user, or platform_operator.
        #[arg(long, default_value = "admin")]
        role: String,
        /// The user's subject (defaults to <role>@<tenant>).
        #[arg(long)]
        sub: Option<String>,
        #[arg(long, default_value_t = 12 * 3600)]
        ttl_secs: u64,
    },
}

/// Where and how the server listens.
#[derive(clap::Args)]
struct ServeArgs {
    #[arg(long, env = "MDM_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    tls: TlsArgs,
}

/// An optional second listener over TLS that asks clients for a certificate: Apple devices
/// may then prove who they are by their identity certificate instead of `Mdm-Signature`, as
/// behind API Gateway's mutual TLS.
#[derive(clap::Args, Default)]
struct TlsArgs {
    /// Where to listen with TLS (e.g. 127.0.0.1:8443); needs --tls-cert-file and --tls-key-file.
    #[arg(long, env = "MDM_TLS_LISTEN")]
    tls_listen: Option<SocketAddr>,
    /// The server's certificate chain (PEM).
    #[arg(long, env = "MDM_TLS_CERT_FILE")]
    tls_cert_file: Option<std::path::PathBuf>,
    /// The server's private key (PEM).
    #[arg(long, env = "MDM_TLS_KEY_FILE")]
    tls_key_file: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        // Colour only for a person at a terminal, not in a log file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Token {
            tenant,
            role,
            sub,
            ttl_secs,
        }) => token(&cli.config, tenant.as_deref(), &role, sub, ttl_secs),
        Some(Command::Serve(args)) => serve(&cli.config, &args).await,
        None => serve(&cli.config, &cli.serve).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mdm-dev: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn token(
    cfg: &AppConfig,
    tenant: Option<&str>,
    role: &str,
    sub: Option<String>,
    ttl_secs: u64,
) -> Result<(), String> {
    if cfg.jwks_file.is_some() {
        return Err("tokens for a JWKS issuer come from that issuer, not from mdm-dev".into());
    }
    // The key of the data directory the server uses: never a new one, which the server
    // would not know (a token signed with it is refused with no hint why).
    let secret = match &cfg.dev_jwt_secret {
        Some(s) => s.clone(),
        None => mdm_app::dev_key::load(&cfg.data_dir).map_err(|e| e.to_string())?,
    };
    if role == PLATFORM_OPERATOR {
        if tenant.is_some() {
            return Err("a platform_operator token names no --tenant".into());
        }
        let sub = sub.unwrap_or_else(|| "ops@platform".into());
        let token = mint_platform_hs256(
            secret.as_bytes(),
            &cfg.jwt_issuer,
            &cfg.jwt_audience,
            &sub,
            ttl_secs,
        )
        .map_err(|e| e.to_string())?;
        println!("{token}");
        return Ok(());
    }
    let tenant = TenantId::parse(tenant.ok_or("--tenant is required for tenant roles")?)
        .map_err(|e| format!("--tenant: {e}"))?;
    let role = Role::parse(role)
        .ok_or("--role must be admin, operator, auditor, user or platform_operator")?;
    let claims = DevClaims {
        iss: cfg.jwt_issuer.clone(),
        aud: cfg.jwt_audience.clone(),
        sub: sub.unwrap_or_else(|| format!("{}@{tenant}", role.as_str())),
        tenant,
        role,
        ttl_secs,
    };
    println!(
        "{}",
        mint_hs256(secret.as_bytes(), &claims).map_err(|e| e.to_string())?
    );
    Ok(())
}

async fn serve(cfg: &AppConfig, args: &ServeArgs) -> Result<(), String> {
    let (listen, tls) = (args.listen, &args.tls);
    let app = App::from_config(cfg).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let tls_server = match (&tls.tls_listen, &tls.tls_cert_file, &tls.tls_key_file) {
        (None, _, _) => None,
        (Some(at), Some(cert), Some(key)) => {
            let config = mdm_app::tls::server_config(cert, key)?;
            let tls_listener = tokio::net::TcpListener::bind(at)
                .await
                .map_err(|e| format!("cannot listen on {at}: {e}"))?;
            println!("mdm-dev listening on https://{at}  (client certificates asked for)");
            Some(tokio::spawn(mdm_app::tls::serve(
                tls_listener,
                app.router(),
                config,
                shutdown_signal(),
            )))
        }
        (Some(_), _, _) => {
            return Err("--tls-listen needs --tls-cert-file and --tls-key-file".into());
        }
    };
    let store = if cfg.backend == mdm_app::config::Backend::Aws {
        format!(
            "DynamoDB table {}",
            cfg.table_name.as_deref().unwrap_or_default()
        )
    } else if cfg.in_memory {
        "in memory (lost on exit)".to_owned()
    } else {
        cfg.data_dir
            .join(mdm_app::local::DB_FILE)
            .display()
            .to_string()
    };
    println!("mdm-dev listening on http://{listen}  (store: {store})");
    if app.dev_jwt_secret.is_some() {
        println!(
            "admin token for a first tenant:  cargo run --release --bin mdm-dev -- token --tenant acme --role admin"
        );
    }
    // DynamoDB expires items itself; the embedded store is swept here.
    let housekeeping = app.embedded.clone().map(|table| {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(600));
            loop {
                tick.tick().await;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                if let Err(e) = table.purge_expired(now).await {
                    tracing::warn!(error = %e, "purging expired items failed");
                }
            }
        })
    });
    let result = app.serve(listener, shutdown_signal()).await;
    if let Some(h) = housekeeping {
        h.abort();
    }
    if let Some(h) = tls_server {
        h.abort();
    }
    result.map_err(|e| format!("server failed: {e}"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    println!("mdm-dev: shutting down");
}
