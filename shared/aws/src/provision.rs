//! Creates the table and queues the adapters expect, with the production shape (the SAM
//! template declares the same for AWS). Used by the emulator tests and by local runs against
//! an emulator; a deployed stack never calls it.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use mdm_ports::table::TTL_ATTR;

use crate::dynamo::{PK, SK};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An on-demand table keyed by pk + sk (strings), with TTL on `ttl`.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<(), BoxError> {
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .attribute_definitions(attr(PK)?)
        .attribute_definitions(attr(SK)?)
        .send()
        .await?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTR)
                .build()?,
        )
        .send()
        .await?;
    Ok(())
}

/// URLs of a work queue and its dead-letter queue.
#[derive(Debug, Clone)]
pub struct QueueUrls {
    pub queue: String,
    pub dead_letters: String,
}

/// A standard queue that moves a message to its dead-letter queue after `max_receives`
/// deliveries, as the template's redrive policy does.
pub async fn create_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    max_receives: u32,
) -> Result<QueueUrls, BoxError> {
    let dlq = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await?;
    let dlq_url = dlq
        .queue_url()
        .ok_or("no dead-letter queue url")?
        .to_owned();
    let arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or("no dead-letter queue arn")?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": arn,
        "maxReceiveCount": max_receives,
    });
    let queue = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await?;
    Ok(QueueUrls {
        queue: queue.queue_url().ok_or("no queue url")?.to_owned(),
        dead_letters: dlq_url,
    })
}
