//! How AMAPI writes values that JSON has no type for: int64 as decimal strings, durations as
//! `"3.5s"`, timestamps as RFC 3339, and enums as SCREAMING_CASE strings.

mod duration;
pub(crate) mod int64;
mod timestamp;
#[macro_use]
mod wire_enum;

pub use duration::{DurationError, GoogleDuration};
pub use timestamp::GoogleTimestamp;
pub use wire_enum::WireEnum;
