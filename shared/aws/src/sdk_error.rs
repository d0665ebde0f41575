//! How every adapter reads an AWS SDK failure: the service's error code and message when the
//! service answered, else the transport failure's whole source chain, because the SDK's own
//! Display of a dispatch failure says only "dispatch failure".

// Every SDK crate re-exports the same smithy `SdkError` and `ProvideErrorMetadata`, so one
// crate's path serves them all.
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};

/// The service's error code (empty when it sent none) and message, when the service answered;
/// None for failures that never got an answer (timeout, connection, unreadable response).
pub(crate) fn service_code<E, R>(err: &SdkError<E, R>) -> Option<(&str, &str)>
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            Some((e.code().unwrap_or(""), e.message().unwrap_or("")))
        }
        _ => None,
    }
}

/// Displays an error followed by each of its sources, `: `-separated.
pub(crate) struct ErrorChain<'a>(pub &'a dyn std::error::Error);

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn the_chain_names_every_source_in_order() {
        let err = Layer(
            "dispatch failure",
            Some(Box::new(Layer(
                "io error",
                Some(Box::new(Layer("connection refused", None))),
            ))),
        );
        assert_eq!(
            ErrorChain(&err).to_string(),
            "dispatch failure: io error: connection refused"
        );
    }
}
