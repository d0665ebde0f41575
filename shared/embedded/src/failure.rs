//! Splits what can go wrong inside a write into the caller's own error and a storage failure,
//! because only the latter must roll back the whole group-commit batch.

use std::fmt::Display;

/// A failure inside a request run by the writer.
pub(crate) enum Failure<E> {
    /// The request is refused (failed condition, bad receipt); nothing of it was written.
    Refused(E),
    /// redb failed; the batch is rolled back and every caller in it told so.
    Storage(redb::Error),
}

macro_rules! storage_failure {
    ($($source:ty),*) => {$(
        impl<E> From<$source> for Failure<E> {
            fn from(e: $source) -> Self {
                Failure::Storage(e.into())
            }
        }
    )*};
}

storage_failure!(
    redb::Error,
    redb::StorageError,
    redb::TableError,
    redb::TransactionError
);

/// Turns a request's outcome into what the writer expects: the caller's result, or the
/// storage error that aborts the batch.
pub(crate) fn settle<T, E>(outcome: Result<T, Failure<E>>) -> Result<Result<T, E>, redb::Error> {
    match outcome {
        Ok(v) => Ok(Ok(v)),
        Err(Failure::Refused(e)) => Ok(Err(e)),
        Err(Failure::Storage(e)) => Err(e),
    }
}

pub(crate) fn refuse<T, E>(e: E) -> Result<T, Failure<E>> {
    Err(Failure::Refused(e))
}

pub(crate) fn text(e: impl Display) -> String {
    e.to_string()
}
