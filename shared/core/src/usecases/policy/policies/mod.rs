//! Policies: versioned documents assigned to devices, groups or the whole tenant, and the
//! effective policy each device receives. A device's effective policy is computed when one of its
//! inputs changes (never on check-in) and stored beside it with its version on the device's item,
//! so a check-in knows without a read whether the device must be sent it.
//!
//! **The document.** A policy (`POST /v1/policies` `{"name", "document"}`, admins,
//! Idempotency-Key) is a typed document with a version: 1 at creation, +1 at each update (`PUT`),
//! every version kept. Its sections: `passcode` (min_length 4–16, complexity
//! any/numeric/alphanumeric/complex, max_failed_attempts 3–20 before a wipe, auto_lock_seconds),
//! `restrictions` (camera, screen capture, USB file transfer, debugging, NFC, Bluetooth, roaming,
//! factory reset, unknown sources, clipboard to personal apps, each `…_disabled: true|false`),
//! `wifi` (≤ 20 networks: open, WPA2/WPA3 personal with a password, WPA2 enterprise naming a
//! certificate of the policy), `vpn` (IKEv2 or WireGuard with a server, or a VPN app; always-on),
//! `email` (≤ 10 Exchange, IMAP or POP accounts), `certificates` (≤ 20 root or PKCS#12, base64),
//! `apps` (an allow-list or deny-list of up to 500 app ids), `kiosk` (1–20 apps, emergency dialer
//! allowed or not), `app_config` (managed configuration, a JSON object of ≤ 4 KiB per app),
//! `compliance` (the rules, see `compliance`) and `schedules` (below). A document is at most 64
//! KiB; a bad field is `400 invalid_field` naming its path (`wifi[1].password`). A policy still
//! assigned anywhere cannot be deleted (`409 policy_in_use`).
//!
//! **Precedence**, highest first: the policy assigned to the device itself (`PUT
//! /v1/devices/{id}/policy`); then its groups' policies by descending `priority` (−1000…1000,
//! default 0; equal priorities by group id; `PUT /v1/groups/{gid}/policy`); then the tenant's
//! default (`PUT /v1/default-policy`). Each section of the document comes whole from the
//! highest-precedence policy that sets it, so a group policy's `restrictions` replace the
//! default's while the default's `passcode` still applies. `GET /v1/devices/{id}/policy` shows
//! the result, its sources (`via: device|group:<id>|tenant`), the version applied and whether it
//! is up to date.
//!
//! **Delivery.** The effective policy is recomputed when an assignment, a new version, joining or
//! leaving a group with a policy, or enrolment under a default changes it, and stored with its
//! version (a fingerprint of the merged document: equal documents, equal versions), copied onto
//! the device's small item. A check-in whose item says the device has not applied that version
//! carries `policy: {version, document}` in its reply (one extra read, only then); the device
//! reports `policy_version` in a later check-in once applied, and the policy is not sent again.
//! Only a change to one device (its own policy, its enrolment) recomputes in the request; a
//! change reaching many (a new version, a group's policy or members, the default) is handed to
//! the queue, 25 devices per step, so no API call grows with the number of devices. The
//! `apply_policy` command makes the agent check in at once.
//!
//! **History and assignments.** Every version stays readable as it was written: name, document,
//! when and by whom (`GET /v1/policies/{pid}/versions`, newest first, one query of the policy's
//! own partition; the cursor is a version number, `{version}` a whole number 1–999999; versions
//! written before names were kept show none). The same partition indexes where the policy is
//! assigned, so `GET /v1/policies/{pid}/assignments` (devices, then groups, then the tenant
//! default; cursor `device:<id>`, `group:<id>` or `tenant`) is one query a page; a group's
//! priority is copied onto its assignment when set (assignments made before that show none). Both
//! answer 404 for a deleted policy, whose items outlive it. `POST /v1/policies/{pid}/devices`
//! assigns a policy to up to 100 devices in one call: each found device gets it as its own,
//! replacing its previous one, in its own transaction with its own audit entry, exactly as `PUT
//! /v1/devices/{id}/policy` does; devices the tenant does not have come back in `not_found`.
//! Their effective policies are refreshed through the queue (a list of one is recomputed at once,
//! as the PUT is).
//!
//! **Scheduled restrictions.** A policy's `schedules` (up to 10) each hold `windows` (1–14 weekly
//! windows: days plus `HH:MM` start and end; an end not after the start runs overnight), a
//! `time_zone` (`tenant`, the default; `device`, the zone the device reports in a check-in's
//! `time_zone`, else the tenant's; or an IANA name) and `restrictions` that apply while a window
//! is open, on top of the policy's own `restrictions` (the first open schedule wins where two set
//! the same one). When the clocks spring forward, a start or end in the skipped hour takes effect
//! at the first instant after it; a time repeated when they fall back takes its first occurrence;
//! a 09:00–17:00 window opens at 09:00 local on both sides of a change (`domain::schedule`). The
//! version a device is sent names which schedules are open (`<fingerprint>w<mask>`), and its
//! small item keeps when that next changes: the first check-in after a window opens or closes
//! reads the effective policy once and receives the restrictions for now. A change therefore
//! reaches the device within one check-in interval of the window's edge (`apply_policy` or a
//! shorter interval brings it sooner). Changing the tenant's time zone (`settings`) takes effect
//! for a device at its next window edge or policy change.
//!
//! The code follows the same seams: `documents` (the documents and their versions),
//! `listings` (a policy's versions and assignments, read from its own partition),
//! `assignments` (assigning a policy anywhere), `effective` (computing and delivering a
//! device's effective policy) and `refresh` (recomputing many devices through the queue).

mod assignments;
mod documents;
mod effective;
mod listings;
mod refresh;

// Callers keep naming everything `policies::X`: the submodules are how the code is filed, not
// part of the paths.
pub(crate) use assignments::assign_at_enrolment;
pub use assignments::{
    AssignGroupRequest, AssignRequest, DefaultPolicyView, DevicesAssigned, assign_default,
    assign_device, assign_devices, assign_group, get_default,
};
pub use documents::{PolicyRequest, PolicyView, create, delete, get, list, update};
pub use effective::{
    EffectivePolicyView, PolicyDelivery, current_delivery, delivery, effective, recompute,
    schedule_changed,
};
pub use listings::{
    AssignmentTarget, AssignmentView, PolicyVersionView, assignments, version, versions,
};
pub(crate) use refresh::refresh_devices;
pub use refresh::{RefreshStep, refresh_step};
