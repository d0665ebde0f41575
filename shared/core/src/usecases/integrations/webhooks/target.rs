//! The check that a webhook target is one we may call: a well-formed URL whose host resolves to
//! public addresses only (or to networks the settings exempt), made at registration and again
//! before every attempt.

use std::net::IpAddr;

use crate::domain::webhook::{Host, WebhookUrl};
use crate::error::Error;
use crate::services::Services;

/// The address to call for a URL, after checking every address its host resolves to.
pub(super) async fn vet(svc: &Services, url: &WebhookUrl) -> Result<IpAddr, Error> {
    let addresses = match (url.special_addresses(), &url.host) {
        (Some(addresses), _) => addresses,
        (None, Host::Name(name)) => svc.webhooks.resolve(name, url.port).await.map_err(|e| {
            Error::WebhookTargetRefused(format!(
                "the host does not resolve: {}",
                e.chars().take(100).collect::<String>()
            ))
        })?,
        (None, Host::Ip(ip)) => vec![*ip],
    };
    url.vet(&addresses, &svc.settings.webhook_allow_cidrs)
}

/// A URL an admin gave: well formed and, resolved now, allowed.
pub(super) async fn checked_url(svc: &Services, raw: &str) -> Result<WebhookUrl, Error> {
    let url = WebhookUrl::parse(raw)?;
    vet(svc, &url).await?;
    Ok(url)
}
