//! The Android channel through Google's Android Management API (AMAPI): what a device's
//! effective policy becomes there, and what of our policy documents AMAPI cannot express.
//!
//! Google's Android Device Policy enforces an AMAPI `Policy` we patch under
//! `enterprises/{e}/policies/{id}`; devices report back through Pub/Sub STATUS_REPORTs. So:
//! - `policy::policy_of` translates an effective document (schedules already applied, see
//!   `usecases::policy::policies::PolicyDelivery`) into that `Policy`, using only fields the
//!   discovery document does not deprecate;
//! - `policy_name::policy_id` names it by the effective version, so devices whose effective
//!   documents are equal share one AMAPI policy;
//! - `expressible::check_expressible` refuses, for tenants whose Android devices AMAPI manages,
//!   the settings it cannot apply, naming each.
//!
//! What AMAPI cannot do, and so is refused rather than faked: mail accounts (Android has no
//! system mail account to configure; mail apps take managed configuration), installing
//! certificates by policy (only an app holding the CERT_INSTALL scope can), VPN servers (its
//! network configuration takes Wi-Fi only; an always-on VPN app is what it offers), WPA3-Personal
//! networks (no SAE in the ONC subset it accepts), enterprise Wi-Fi as our documents describe it
//! (Android refuses EAP networks without the server's domain and CA, which they do not carry),
//! and the emergency dialer in a kiosk (no such switch).
//!
//! Compliance rules and schedules are not AMAPI settings: compliance stays ours, evaluated from
//! STATUS_REPORTs, and a schedule opening or closing is a new effective version, hence a new
//! policy to patch.

pub mod expressible;
mod onc;
pub mod policy;
pub mod policy_name;

pub use expressible::check_expressible;
pub use policy::policy_of;
pub use policy_name::policy_id;
