//! The ports: capabilities the use cases need, implemented by the embedded and AWS backends.

pub mod auth;
pub mod clock;
pub mod ids;
pub mod push;
pub mod push_providers;
pub mod queue;
pub mod secrets;
pub mod table;
pub mod webhook;

pub use auth::{Identity, Operator, PLATFORM_OPERATOR, Principal, TokenVerifier};
pub use clock::{Clock, ManualClock, Millis, SystemClock};
pub use ids::{IdGen, SeqIds, UlidIds};
pub use push::{PushReceipt, PushTarget, Pusher};
pub use push_providers::{PushProvider, PushProviders};
pub use queue::{DeadLetter, Delivery, Queue};
pub use secrets::SecretStore;
pub use table::{Cmp, Cond, Item, Key, Page, Query, Table, Update, WriteOp};
pub use webhook::{NoWebhooks, WebhookPost, WebhookResponse, WebhookSender};
