//! Creates or updates a tenant's SNS platform application from the push credentials the tenant
//! uploads (FCM service account, APNs certificate or APNs token key), for the push-config API.
//! The wake path never calls this: it only needs the application's ARN.

use aws_sdk_sns::Client;
use mdm_ports::error::PushError;

use crate::sns::sns_error;

/// Which push service the application talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnsPlatform {
    /// FCM (HTTP v1 with a service-account credential), for Android and for FCM-on-Apple apps.
    Gcm,
    /// APNs production.
    Apns,
    /// APNs development (apps signed with a development profile).
    ApnsSandbox,
}

impl SnsPlatform {
    /// SNS's name for the platform.
    pub fn as_str(self) -> &'static str {
        match self {
            SnsPlatform::Gcm => "GCM",
            SnsPlatform::Apns => "APNS",
            SnsPlatform::ApnsSandbox => "APNS_SANDBOX",
        }
    }
}

/// The provider credentials, as the tenant uploaded them. `Debug` shows only which kind they
/// are and the non-secret identifiers.
#[derive(Clone, PartialEq)]
pub enum PlatformCredentials {
    /// The Firebase service-account JSON file (FCM HTTP v1); SNS recognises v1 by the JSON.
    Fcm { service_account_json: String },
    /// An APNs TLS certificate and its private key, both PEM. Also the form an Apple MDM push
    /// certificate takes.
    ApnsCertificate {
        certificate_pem: String,
        private_key_pem: String,
    },
    /// An APNs token-signing key (.p8) with its key id, the team id and the app's bundle id.
    ApnsToken {
        signing_key_p8: String,
        key_id: String,
        team_id: String,
        bundle_id: String,
    },
}

impl std::fmt::Debug for PlatformCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlatformCredentials::Fcm { .. } => f.write_str("Fcm { .. }"),
            PlatformCredentials::ApnsCertificate { .. } => f.write_str("ApnsCertificate { .. }"),
            PlatformCredentials::ApnsToken {
                key_id,
                team_id,
                bundle_id,
                ..
            } => f
                .debug_struct("ApnsToken")
                .field("key_id", key_id)
                .field("team_id", team_id)
                .field("bundle_id", bundle_id)
                .finish_non_exhaustive(),
        }
    }
}

impl PlatformCredentials {
    /// SNS's attributes for these credentials, or why they do not fit the platform.
    fn attributes(&self, platform: SnsPlatform) -> Result<Vec<(&'static str, &str)>, PushError> {
        match (self, platform) {
            (
                PlatformCredentials::Fcm {
                    service_account_json,
                },
                SnsPlatform::Gcm,
            ) => Ok(vec![("PlatformCredential", service_account_json)]),
            (
                PlatformCredentials::ApnsCertificate {
                    certificate_pem,
                    private_key_pem,
                },
                SnsPlatform::Apns | SnsPlatform::ApnsSandbox,
            ) => Ok(vec![
                ("PlatformPrincipal", certificate_pem),
                ("PlatformCredential", private_key_pem),
            ]),
            (
                PlatformCredentials::ApnsToken {
                    signing_key_p8,
                    key_id,
                    team_id,
                    bundle_id,
                },
                SnsPlatform::Apns | SnsPlatform::ApnsSandbox,
            ) => Ok(vec![
                ("PlatformCredential", signing_key_p8),
                ("PlatformPrincipal", key_id),
                ("ApplePlatformTeamID", team_id),
                ("ApplePlatformBundleID", bundle_id),
            ]),
            (credentials, platform) => Err(PushError::Rejected(format!(
                "{credentials:?} credentials do not fit the {} platform",
                platform.as_str()
            ))),
        }
    }
}

/// Creates the platform application `name` for `platform`, or updates its credentials when it
/// exists, and returns its ARN. Safe to call again with rotated credentials.
///
/// SNS's CreatePlatformApplication answers an existing name with that application's ARN, but
/// it is not documented to replace the credentials, so they are always set again afterwards:
/// one more call on a rare, admin-driven path. Errors: `Rejected` when SNS refuses the
/// credentials or the request, `Retryable` when SNS is throttling or unreachable.
pub async fn ensure_platform_application(
    client: &Client,
    name: &str,
    platform: SnsPlatform,
    credentials: &PlatformCredentials,
) -> Result<String, PushError> {
    let attributes = credentials.attributes(platform)?;
    let mut create = client
        .create_platform_application()
        .name(name)
        .platform(platform.as_str());
    for (key, value) in &attributes {
        create = create.attributes(*key, *value);
    }
    let arn = create
        .send()
        .await
        .map_err(sns_error)?
        .platform_application_arn()
        .map(str::to_owned)
        .ok_or_else(|| PushError::Retryable {
            reason: "sns created a platform application but returned no arn".into(),
            retry_after_secs: None,
        })?;
    let mut update = client
        .set_platform_application_attributes()
        .platform_application_arn(&arn);
    for (key, value) in attributes {
        update = update.attributes(key, value);
    }
    update.send().await.map_err(sns_error)?;
    Ok(arn)
}

/// Deletes a platform application and its endpoints (a deleted tenant's). SNS answers the
/// delete of one that is already gone with success, so a retry goes through.
pub async fn delete_platform_application(client: &Client, arn: &str) -> Result<(), PushError> {
    client
        .delete_platform_application()
        .platform_application_arn(arn)
        .send()
        .await
        .map(|_| ())
        .map_err(sns_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apns_token_credentials_become_snss_four_attributes() {
        let credentials = PlatformCredentials::ApnsToken {
            signing_key_p8: "-----BEGIN PRIVATE KEY-----".into(),
            key_id: "KEY123".into(),
            team_id: "TEAM45".into(),
            bundle_id: "com.example.agent".into(),
        };
        assert_eq!(
            credentials.attributes(SnsPlatform::ApnsSandbox).unwrap(),
            vec![
                ("PlatformCredential", "-----BEGIN PRIVATE KEY-----"),
                ("PlatformPrincipal", "KEY123"),
                ("ApplePlatformTeamID", "TEAM45"),
                ("ApplePlatformBundleID", "com.example.agent"),
            ]
        );
    }

    #[test]
    fn credentials_for_the_wrong_platform_are_rejected_without_showing_them() {
        let credentials = PlatformCredentials::Fcm {
            service_account_json: "{\"private_key\": \"secret\"}".into(),
        };
        let err = credentials.attributes(SnsPlatform::Apns).unwrap_err();
        assert!(matches!(err, PushError::Rejected(_)));
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
