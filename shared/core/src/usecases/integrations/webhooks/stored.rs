//! What is kept for a webhook endpoint: its item in the table, and its signing secrets in the
//! secret store (the item only names them).

use serde::{Deserialize, Serialize};

use crate::domain::{TenantId, WebhookId};
use crate::usecases::integrations::events::EventKind;

/// A stored endpoint. The signing secret is in the secret store under `secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookRecord {
    pub url: String,
    pub events: Vec<EventKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enabled: bool,
    pub secret: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub created_by: String,
    /// Until when the secret rotated out keeps signing too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<i64>,
}

/// What the secret store holds for one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SigningSecrets {
    pub(super) current: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) previous: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) previous_until: Option<i64>,
}

impl SigningSecrets {
    /// The secrets that sign now: the current one, and the previous one during its overlap.
    pub(super) fn live(&self, now: i64) -> Vec<&str> {
        let mut out = vec![self.current.as_str()];
        if let (Some(prev), Some(until)) = (&self.previous, self.previous_until)
            && now < until
        {
            out.push(prev);
        }
        out
    }
}

/// The secret store name of an endpoint's signing secrets.
pub fn secret_name(tenant: &TenantId, webhook: &WebhookId) -> String {
    format!("tenants/{tenant}/webhooks/{webhook}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_secret_signs_only_during_its_overlap() {
        let s = SigningSecrets {
            current: "new".into(),
            previous: Some("old".into()),
            previous_until: Some(1_000),
        };
        assert_eq!(s.live(999), ["new", "old"]);
        assert_eq!(s.live(1_000), ["new"]);
    }
}
