//! What the simulated admins and devices know from the answers they got: the only ground truth
//! the invariants may compare the store against. An operation that failed may still have
//! happened (an ambiguous write), so the model records certainties, never guesses.

use std::collections::BTreeMap;

use mdm_core::domain::{DeviceCredential, DeviceId, Role, TenantId};
use mdm_core::ports::Principal;
use serde_json::Value;

pub const TENANTS: [&str; 2] = ["acme", "globex"];

pub fn admin(tenant: &str) -> Principal {
    Principal {
        tenant: TenantId::parse(tenant).expect("tenant id"),
        subject: format!("admin@{tenant}"),
        role: Role::Admin,
    }
}

/// A simulated device and its agent's memory.
pub struct SimDev {
    pub tenant: &'static str,
    pub id: DeviceId,
    pub cred: DeviceCredential,
    /// The server accepted an acknowledged wipe or enterprise wipe: the credential is dead.
    pub revoked: bool,
    /// Commands received and not yet answered, with the result the agent settled on (a retry
    /// sends the very same result).
    pub inbox: BTreeMap<String, Value>,
}

/// What an admin or a device was told about one command.
#[derive(Debug, Default, Clone)]
pub struct Known {
    pub device: usize,
    pub kind: String,
    /// The final result the server accepted (acknowledged or error), as sent.
    pub final_result: Option<Value>,
    /// A cancel returned the command as cancelled.
    pub cancelled: bool,
}

#[derive(Default)]
pub struct Model {
    pub devices: Vec<SimDev>,
    pub commands: BTreeMap<String, Known>,
    /// Enrollment token per tenant and how many uses it has left (as far as we know).
    pub tokens: BTreeMap<&'static str, (String, i64)>,
    pub violations: Vec<String>,
    /// The last operations.
    pub trace: Vec<String>,
    /// The last operations before the first violation, printed with a failure.
    pub trace_at_failure: Option<Vec<String>>,
}

impl Model {
    pub fn violation(&mut self, what: String) {
        if self.trace_at_failure.is_none() {
            self.trace_at_failure = Some(self.trace.clone());
        }
        self.violations.push(what);
    }

    pub fn note(&mut self, what: String) {
        if self.trace.len() == 40 {
            self.trace.remove(0);
        }
        self.trace.push(what);
    }
}
