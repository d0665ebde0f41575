//! `SqsQueue`: the `Queue` port on an SQS standard queue whose redrive policy moves a message
//! to its dead-letter queue after `max_receives` deliveries. Sends go in batches of ten; a
//! receipt is SQS's receipt handle, so a later delivery's handle supersedes it.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};
use mdm_ports::error::QueueError;
use mdm_ports::queue::{MAX_BATCH, MAX_DELAY, check_receive_max};
use mdm_ports::{DeadLetter, Delivery, Queue};

use crate::sdk_error::{ErrorChain, service_code};

/// SQS's longest long poll.
const MAX_WAIT_SECS: u64 = 20;
/// SQS's longest visibility timeout (12 hours).
const MAX_VISIBILITY_SECS: u64 = 43_200;
/// Tries per batch entry that SQS reports as failed on its side before giving up.
const SEND_TRIES: usize = 3;

pub struct SqsQueue {
    client: Client,
    url: String,
    dead_letter_url: Option<String>,
    max_receives: u32,
}

impl SqsQueue {
    /// `max_receives` must match the queue's redrive policy; it is what a dead letter reports
    /// as its deliveries.
    pub fn new(
        client: Client,
        url: impl Into<String>,
        dead_letter_url: Option<String>,
        max_receives: u32,
    ) -> Self {
        Self {
            client,
            url: url.into(),
            dead_letter_url,
            max_receives,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

fn queue_error<E, R>(err: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let Some((code, message)) = service_code(&err) else {
        return QueueError::Unavailable(format!("sqs unreachable: {}", ErrorChain(&err)));
    };
    match code {
        "ReceiptHandleIsInvalid" | "InvalidReceiptHandle" | "MessageNotInflight" => {
            QueueError::UnknownReceipt
        }
        "RequestThrottled" | "ThrottlingException" | "KmsThrottled" => QueueError::Throttled,
        "InvalidParameterValue"
        | "InvalidParameterCombination"
        | "MissingParameter"
        | "BatchRequestTooLong"
        | "InvalidMessageContents" => {
            QueueError::Invalid(format!("sqs refused the request: {message}"))
        }
        code => QueueError::Unavailable(format!("sqs error {code}: {message}")),
    }
}

/// Whole seconds, rounded up, within SQS's bounds.
fn secs(d: Duration, max: u64) -> i32 {
    let whole = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    i32::try_from(whole.min(max)).unwrap_or(i32::MAX)
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send_batch(&self, bodies: Vec<String>) -> Result<(), QueueError> {
        for chunk in bodies.chunks(MAX_BATCH) {
            let mut pending: Vec<(usize, &String)> = chunk.iter().enumerate().collect();
            for attempt in 1..=SEND_TRIES {
                let entries = pending
                    .iter()
                    .map(|(i, body)| {
                        SendMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .message_body(body.as_str())
                            .build()
                            .map_err(|e| QueueError::Invalid(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let out = self
                    .client
                    .send_message_batch()
                    .queue_url(&self.url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(queue_error)?;
                if let Some(refused) = out.failed().iter().find(|f| f.sender_fault()) {
                    return Err(QueueError::Invalid(format!(
                        "sqs refused a message: {} {}",
                        refused.code(),
                        refused.message().unwrap_or("")
                    )));
                }
                let failed: Vec<&str> = out.failed().iter().map(|f| f.id()).collect();
                pending.retain(|(i, _)| failed.contains(&i.to_string().as_str()));
                if pending.is_empty() {
                    break;
                }
                if attempt == SEND_TRIES {
                    return Err(QueueError::Unavailable(format!(
                        "sqs did not accept {} of {} messages",
                        pending.len(),
                        chunk.len()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
        }
        Ok(())
    }

    async fn send_delayed(&self, body: String, delay: Duration) -> Result<(), QueueError> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(secs(delay, MAX_DELAY.as_secs()))
            .send()
            .await
            .map_err(queue_error)?;
        Ok(())
    }

    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        check_receive_max(max)?;
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max as i32)
            .visibility_timeout(secs(visibility, MAX_VISIBILITY_SECS))
            .wait_time_seconds(secs(wait, MAX_WAIT_SECS))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(out
            .messages()
            .iter()
            .map(|m| Delivery {
                message_id: m.message_id().unwrap_or_default().to_owned(),
                receipt: m.receipt_handle().unwrap_or_default().to_owned(),
                body: m.body().unwrap_or_default().to_owned(),
                receive_count: m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
            })
            .collect())
    }

    async fn ack(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(())
    }

    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(secs(delay, MAX_VISIBILITY_SECS))
            .send()
            .await
            .map_err(queue_error)?;
        Ok(())
    }

    /// Reads the dead-letter queue without consuming it (a zero visibility timeout leaves each
    /// message where it is). Each dead letter had exactly the deliveries the redrive allows.
    async fn dead_letters(&self, max: usize) -> Result<Vec<DeadLetter>, QueueError> {
        let Some(url) = &self.dead_letter_url else {
            return Ok(Vec::new());
        };
        let out = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, MAX_BATCH) as i32)
            .visibility_timeout(0)
            .wait_time_seconds(0)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(out
            .messages()
            .iter()
            .map(|m| DeadLetter {
                message_id: m.message_id().unwrap_or_default().to_owned(),
                body: m.body().unwrap_or_default().to_owned(),
                receive_count: self.max_receives,
            })
            .collect())
    }
}
