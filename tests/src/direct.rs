//! For tests that call the use cases directly on the embedded backend: an app on an injected
//! clock with sequential ids, and the principals they act as.

use std::sync::Arc;

use mdm_app::{App, AppConfig};
use mdm_core::domain::{Role, TenantId};
use mdm_core::ports::{ManualClock, Principal, SeqIds};

use crate::stack::TEST_SECRET;

/// An in-memory app whose clock starts at `start_ms` and moves only when the test says.
pub fn app_on_clock(start_ms: i64) -> (App, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(start_ms));
    let app = App::build_with(
        &AppConfig::for_tests(TEST_SECRET),
        clock.clone(),
        Arc::new(SeqIds::default()),
    )
    .expect("app");
    (app, clock)
}

/// `admin@<tenant>`, an admin of the tenant.
pub fn admin_of(tenant: &str) -> Principal {
    Principal {
        tenant: TenantId::parse(tenant).expect("tenant"),
        subject: format!("admin@{tenant}"),
        role: Role::Admin,
    }
}
