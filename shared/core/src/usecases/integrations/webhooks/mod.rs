//! Tenants' webhook endpoints and the delivery of events to them: admins register, change, rotate
//! and delete endpoints; admins, operators and auditors read them (never the secret) and their
//! deliveries; the queue consumer delivers each event, signed, and retries it with backoff until
//! it is delivered or dead.
//!
//! **Endpoints.** `POST /v1/webhooks` `{url, events[], description?}` answers `201` with the
//! endpoint and its signing `secret`, shown this once; a tenant has at most 10 (`409
//! webhook_limit_reached`; the cap is checked by counting the endpoints, so two creations racing
//! may end one over it). `PATCH /v1/webhooks/{id}` `{url?, events?, enabled?, description?}`
//! changes one; `POST …/rotate-secret` returns a new secret, shown once, and the old one keeps
//! signing beside it for 24 h (`ROTATION_OVERLAP_MS`; the endpoint shows
//! `previous_secret_expires_at` meanwhile); `DELETE` removes the endpoint, its secret and its
//! delivery records. `GET /v1/webhooks/{id}/deliveries` lists deliveries newest first: event id
//! and type, attempts, last status code or error, `delivered`, `retrying` or `dead`, when (kept
//! 30 days). The event types are listed in `events`.
//!
//! **The request.** Each delivery is a `POST` of `{id, type, occurred_at, tenant, device?, data}`
//! with `Mdm-Event-Id`, `Mdm-Event-Type`, `Mdm-Delivery-Attempt` and `Mdm-Signature: t=<unix
//! secs>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, with two `v1=` during a rotation's overlap:
//! a receiver accepts the request if any matches, and refuses an old `t` to stop replays.
//!
//! **No requests into our network.** At registration and again before every attempt, the host is
//! resolved and every address must be public: loopback, private (RFC 1918), CGNAT (100.64/10),
//! link-local (169.254/16, the cloud metadata service among them), unspecified, multicast,
//! broadcast and reserved, IPv6 loopback, unique-local (fc00::/7) and link-local (fe80::/10),
//! 192.0.0.0/24 and 198.18.0.0/15, and the IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) and
//! 6to4 (2002::/16) forms of them are refused with `400 webhook_target_refused` on `url`, as are
//! non-https URLs, credentials in the URL and fragments. `localhost` and `*.localhost` are
//! loopback without asking DNS (RFC 6761). The request then goes to the address that was checked
//! (reqwest's resolver override, no proxy), so DNS rebinding cannot redirect it.
//! `MDM_WEBHOOK_ALLOW_CIDRS` exempts networks (test receivers on 127.0.0.1), which may then also
//! be called over plain http; it is empty in production.
//!
//! Signing secrets live in the secret store (files locally, Secrets Manager on AWS), like push
//! credentials (the table only names them): HMAC needs the secret itself, so a hash in the table
//! would not do, and the table is read, backed up and exported far more widely than the secret
//! store.
//!
//! **Retries.** Anything but a 2xx within 10 s (redirects are not followed, the answer's body is
//! never read) is a failed attempt. The next attempt is a new queue message sent with a delay
//! (SQS DelaySeconds; the embedded queue's visibility time) and the handler reports success: 30 s
//! (`MDM_WEBHOOK_BACKOFF_SECS`), doubled each time, at most 15 min; after 8 attempts
//! (`MDM_WEBHOOK_MAX_ATTEMPTS`) the delivery is recorded `dead` and dropped. Not
//! ChangeMessageVisibility on the message being handled: on Lambda the event source mapping owns
//! that message and only learns of a failure, the queue's redrive (5 receives, then its DLQ)
//! would cut 8 attempts short, and the receive count would mix our retries with crashes. Carrying
//! the attempt number in the message makes both backends back off alike, keeps the wake queue's
//! redrive for crashes only, and holds no consumer while waiting.
//!
//! Delivery is at least once: an attempt is recorded after the receiver answered, so a crash in
//! between sends it again. Receivers deduplicate on the event id (`Mdm-Event-Id`), which is the
//! same on every attempt. A delivery recorded as delivered (or dead) is never sent again, even on
//! a redelivered message.
//!
//! **Cost.** A publish reads nothing in steady state (see `events`). A subscribed event costs one
//! queue message per endpoint (batched); an attempt reads the endpoint and its delivery record (2
//! RU), the secret (cached 5 min on AWS) and writes the record (1 WU).
//!
//! The code: `endpoints` (what admins manage), `delivery` (sending, retries, delivery records),
//! `stored` (the endpoint's item and its signing secrets) and `target` (the address checks).

mod delivery;
mod endpoints;
mod stored;
mod target;

// Callers keep naming everything `webhooks::X`: the submodules are how the code is filed, not
// part of the paths.
pub(crate) use delivery::delete_deliveries_page;
pub use delivery::{
    DELIVERY_RETENTION_SECS, DeliveryRecord, DeliveryState, DeliveryView, backoff, deliveries,
    handle,
};
pub use endpoints::{
    CreateWebhook, CreatedWebhook, ROTATION_OVERLAP_MS, RotatedSecret, UpdateWebhook, WebhookView,
    create, delete, get, list, rotate_secret, update,
};
pub use stored::{WebhookRecord, secret_name};
