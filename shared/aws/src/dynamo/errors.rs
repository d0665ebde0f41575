//! DynamoDB failures as the port's `StoreError`: a failed condition is `Precondition`,
//! throttling and transaction conflicts are retryable, bad requests are `Invalid`.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use mdm_ports::error::StoreError;

use crate::sdk_error::{ErrorChain, service_code};

/// Maps any single-item operation's error by its error code.
pub fn store_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    if let Some((code, message)) = service_code(&err) {
        return by_code(code, message);
    }
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(format!("dynamodb unreachable: {}", ErrorChain(&err)))
        }
        _ => StoreError::Unavailable(format!("dynamodb request failed: {}", ErrorChain(&err))),
    }
}

fn by_code(code: &str, message: &str) -> StoreError {
    match code {
        "ConditionalCheckFailedException" => StoreError::Precondition { index: None },
        "ProvisionedThroughputExceededException"
        | "RequestLimitExceeded"
        | "ThrottlingException"
        | "TransactionConflictException"
        | "TransactionInProgressException" => StoreError::Throttled,
        "ValidationException" | "ItemCollectionSizeLimitExceededException" => {
            StoreError::Invalid(format!("dynamodb refused the request: {message}"))
        }
        "ResourceNotFoundException" => {
            StoreError::Unavailable(format!("the table does not exist: {message}"))
        }
        other => StoreError::Unavailable(format!("dynamodb error {other}: {message}")),
    }
}

/// A cancelled transaction names why each op failed; the first failed condition wins, as in
/// the port's contract. Conflicts with a concurrent transaction are retryable.
pub fn transact_error<R: std::fmt::Debug>(err: SdkError<TransactWriteItemsError, R>) -> StoreError {
    if let SdkError::ServiceError(service) = &err
        && let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err()
    {
        let codes: Vec<&str> = cancelled
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().unwrap_or("None"))
            .collect();
        if let Some(index) = codes.iter().position(|c| *c == "ConditionalCheckFailed") {
            return StoreError::Precondition { index: Some(index) };
        }
        if codes.iter().any(|c| {
            matches!(
                *c,
                "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
            )
        }) {
            return StoreError::Throttled;
        }
        return StoreError::Invalid(format!("transaction cancelled: {codes:?}"));
    }
    store_error(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_retryable_and_a_failed_condition_is_a_precondition() {
        assert!(by_code("ThrottlingException", "").is_retryable());
        assert!(by_code("ProvisionedThroughputExceededException", "").is_retryable());
        assert_eq!(
            by_code("ConditionalCheckFailedException", "no"),
            StoreError::Precondition { index: None }
        );
        assert!(!by_code("ValidationException", "bad").is_retryable());
    }
}
