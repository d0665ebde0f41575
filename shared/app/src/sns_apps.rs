//! SNS as a tenant's push provider (the AWS backend only): a platform application per tenant and
//! platform, created from the credentials the admin gave, and a pusher through it.

use std::sync::Arc;

use async_trait::async_trait;
use mdm_aws::{
    PlatformCredentials, SnsPlatform, SnsPusher, delete_platform_application,
    ensure_platform_application,
};
use mdm_core::domain::{Platform, TenantId};
use mdm_core::error::{Error, PushError};
use mdm_core::ports::Pusher;
use mdm_push::{ApnsAuth, ApnsCredentials, ApnsEnvironment, FcmCredentials};

use crate::push::{SnsApps, bad_credentials};

/// The SNS client and the prefix of platform application names (`<prefix><tenant>-<platform>`).
pub struct SnsApplications {
    pub client: aws_sdk_sns::Client,
    pub prefix: String,
}

#[async_trait]
impl SnsApps for SnsApplications {
    fn pusher(&self, arn: &str) -> Arc<dyn Pusher> {
        Arc::new(SnsPusher::new(self.client.clone(), arn))
    }

    async fn ensure(
        &self,
        tenant: &TenantId,
        platform: Platform,
        credentials: &str,
    ) -> Result<String, Error> {
        let (sns_platform, creds) = sns_credentials(platform, credentials)?;
        let name = format!("{}{tenant}-{}", self.prefix, platform.as_str());
        ensure_platform_application(&self.client, &name, sns_platform, &creds)
            .await
            .map_err(|e| match e {
                PushError::Rejected(reason) => Error::invalid_field("credentials", reason),
                other => Error::Unavailable(other.to_string()),
            })
    }

    async fn delete(&self, arn: &str) -> Result<(), Error> {
        delete_platform_application(&self.client, arn)
            .await
            .map_err(|e| Error::Unavailable(e.to_string()))
    }
}

fn sns_credentials(
    platform: Platform,
    credentials: &str,
) -> Result<(SnsPlatform, PlatformCredentials), Error> {
    Ok(match platform {
        Platform::Android => {
            FcmCredentials::from_json(credentials).map_err(bad_credentials)?;
            (
                SnsPlatform::Gcm,
                PlatformCredentials::Fcm {
                    service_account_json: credentials.to_owned(),
                },
            )
        }
        Platform::Ios | Platform::Macos => {
            let apns = ApnsCredentials::from_json(credentials).map_err(bad_credentials)?;
            let platform = match apns.environment {
                ApnsEnvironment::Production => SnsPlatform::Apns,
                ApnsEnvironment::Sandbox => SnsPlatform::ApnsSandbox,
            };
            let creds = match apns.auth {
                ApnsAuth::Certificate { cert_pem, key_pem } => {
                    PlatformCredentials::ApnsCertificate {
                        certificate_pem: cert_pem,
                        private_key_pem: key_pem,
                    }
                }
                ApnsAuth::Token {
                    key_p8_pem,
                    key_id,
                    team_id,
                } => PlatformCredentials::ApnsToken {
                    signing_key_p8: key_p8_pem,
                    key_id,
                    team_id,
                    bundle_id: apns.topic,
                },
            };
            (platform, creds)
        }
    })
}
