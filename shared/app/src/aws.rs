//! The AWS backend's wiring: DynamoDB table, SQS wake queue and the tenants' push providers,
//! behind the same use cases and routers as the embedded backend. Lambda functions and a local
//! server pointed at AWS (or at an emulator) both come through here.

use std::sync::Arc;

use aws_config::SdkConfig;
use mdm_auth::KeySource;
use mdm_aws::{DynamoTable, SecretsManagerStore, SqsQueue};
use mdm_core::Error;
use mdm_core::error::PushError;
use mdm_core::ports::{Clock, IdGen, PushReceipt, PushTarget, Pusher, Queue, SecretStore};
use mdm_push::LocalPusher;

use crate::app::{App, Parts};
use crate::config::{AppConfig, given};
use crate::verifier;

fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, Error> {
    given(value).ok_or_else(|| {
        Error::Invalid(format!(
            "{name} must be set for the AWS backend (MDM_BACKEND=aws)"
        ))
    })
}

/// Wires the AWS backend. `sink` sends every wake to the local push sink instead of the
/// tenants' providers (tests on an emulator, where no provider is reachable).
pub async fn build(
    cfg: &AppConfig,
    sdk: &SdkConfig,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    sink: Option<Arc<LocalPusher>>,
) -> Result<App, Error> {
    let table_name = required(&cfg.table_name, "MDM_TABLE_NAME")?;
    let queue_url = required(&cfg.wake_queue_url, "MDM_WAKE_QUEUE_URL")?;
    let table = Arc::new(DynamoTable::new(
        aws_sdk_dynamodb::Client::new(sdk),
        table_name,
    ));
    let wake_queue: Arc<dyn Queue> = Arc::new(SqsQueue::new(
        aws_sdk_sqs::Client::new(sdk),
        queue_url,
        given(&cfg.wake_dlq_url).map(str::to_owned),
        cfg.queue_max_receives,
    ));
    let (keys, dev_jwt_secret) = token_keys(cfg, sdk).await?;
    let fallback: Arc<dyn Pusher> = match &sink {
        Some(sink) => sink.clone(),
        None => Arc::new(NoProvider),
    };
    let secrets: Arc<dyn SecretStore> = Arc::new(SecretsManagerStore::new(
        aws_sdk_secretsmanager::Client::new(sdk),
        cfg.secret_prefix.clone(),
        clock.clone(),
    ));
    let services = Parts {
        table,
        wake_queue: wake_queue.clone(),
        secrets,
        sns: Some(Arc::new(crate::sns_apps::SnsApplications {
            client: aws_sdk_sns::Client::new(sdk),
            prefix: cfg.sns_app_prefix.clone(),
        })),
        apns: crate::push::ApnsEndpoint::from_config(cfg)?,
        fallback,
        clock,
        ids,
        verifier: verifier::jwt(cfg, keys)?,
    }
    .services(cfg.settings());
    Ok(App {
        services,
        wake_queue,
        pusher: sink,
        #[cfg(feature = "embedded")]
        embedded: None,
        dev_jwt_secret,
    })
}

/// The issuer's JWKS (URL, else file), else the HS256 dev key (given, else read from Secrets
/// Manager). A deployment with none of them refuses to start rather than accept any token.
async fn token_keys(
    cfg: &AppConfig,
    sdk: &SdkConfig,
) -> Result<(KeySource, Option<String>), Error> {
    if let Some(url) = given(&cfg.jwks_url) {
        return Ok((verifier::fetch_jwks(url).await?, None));
    }
    if let Some(path) = &cfg.jwks_file {
        return Ok((KeySource::jwks_file(path)?, None));
    }
    let secret = match (given(&cfg.dev_jwt_secret), given(&cfg.dev_jwt_secret_arn)) {
        (Some(secret), _) => secret.to_owned(),
        (None, Some(arn)) => aws_sdk_secretsmanager::Client::new(sdk)
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| {
                Error::Unavailable(format!(
                    "cannot read the dev JWT key {arn}: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                ))
            })?
            .secret_string()
            .ok_or_else(|| Error::Invalid(format!("the secret {arn} holds no string")))?
            .to_owned(),
        (None, None) => {
            return Err(Error::Invalid(
                "the AWS backend needs MDM_JWKS_URL, MDM_JWKS_FILE, MDM_DEV_JWT_SECRET or \
                 MDM_DEV_JWT_SECRET_ARN to verify tenant tokens"
                    .into(),
            ));
        }
    };
    Ok((verifier::hs256(&secret), Some(secret)))
}

/// For tenants that configured no push provider: the wake is refused, logged by the consumer,
/// and the device gets its command at its next check-in.
struct NoProvider;

#[async_trait::async_trait]
impl Pusher for NoProvider {
    async fn wake(&self, target: &PushTarget) -> Result<PushReceipt, PushError> {
        Err(PushError::Rejected(format!(
            "tenant {} has no push provider for {}",
            target.tenant,
            target.platform.as_str()
        )))
    }
}
