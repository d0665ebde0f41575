//! The ports: the capabilities the use cases need, as traits that the embedded and AWS backends
//! (and the push, webhook and token-verifier adapters) implement, with the errors, request units
//! and identifier types that cross them.
//!
//! This crate is the boundary the compiler enforces: an adapter depends on `mdm-ports` and never
//! on `mdm-core`, so it cannot reach into a use case, and the use cases see only these traits.

pub mod auth;
pub mod clock;
pub mod error;
pub mod idgen;
pub mod ids;
pub mod push;
pub mod push_providers;
pub mod queue;
pub mod secrets;
pub mod table;
pub mod time;
pub mod units;
pub mod webhook;

pub use auth::{Identity, Operator, PLATFORM_OPERATOR, Principal, TokenVerifier};
pub use clock::{Clock, ManualClock, Millis, SystemClock};
pub use error::{Error, PushError, QueueError, Result, StoreError};
pub use idgen::{IdGen, SeqIds, UlidIds};
pub use push::{PushReceipt, PushTarget, Pusher};
pub use push_providers::{PushProvider, PushProviders};
pub use queue::{DeadLetter, Delivery, Queue};
pub use secrets::SecretStore;
pub use table::{Cmp, Cond, Item, Key, Page, Query, Table, Update, WriteOp};
pub use webhook::{NoWebhooks, WebhookPost, WebhookResponse, WebhookSender};
