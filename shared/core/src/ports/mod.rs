//! The ports, re-exported from `mdm-ports` (where adapters find them without depending on the
//! core) under the paths the use cases have always used.

pub use mdm_ports::idgen as ids;
pub use mdm_ports::{auth, clock, push, push_providers, queue, secrets, table, webhook};

pub use auth::{Identity, Operator, PLATFORM_OPERATOR, Principal, TokenVerifier};
pub use clock::{Clock, ManualClock, Millis, SystemClock};
pub use ids::{IdGen, SeqIds, UlidIds};
pub use push::{PushReceipt, PushTarget, Pusher};
pub use push_providers::{PushProvider, PushProviders};
pub use queue::{DeadLetter, Delivery, Queue};
pub use secrets::SecretStore;
pub use table::{Cmp, Cond, Item, Key, Page, Query, Table, Update, WriteOp};
pub use webhook::{NoWebhooks, WebhookPost, WebhookResponse, WebhookSender};
