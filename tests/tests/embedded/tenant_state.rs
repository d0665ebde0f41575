//! The per-process view of a tenant's state, on an injected clock: a suspension is felt at once
//! by the process that made it and within a minute by every other one, which keeps serving
//! from what it read until then (the price of not reading the tenant on every request), except
//! for enrolments, whose own transaction checks the tenant's status.

use mdm_core::Error;
use mdm_core::Services;
use mdm_core::domain::{EnrollRequest, TenantId, TenantStatus};
use mdm_core::ports::Operator;
use mdm_core::usecases::device::enrollment;
use mdm_core::usecases::tenancy::tenants::{self, CreateTenant, STATE_TTL_MS};

const START_MS: i64 = 1_800_000_000_000;

fn operator() -> Operator {
    Operator {
        subject: "ops@platform".into(),
    }
}

#[tokio::test]
async fn a_suspension_takes_effect_at_once_where_it_was_made_and_within_a_minute_elsewhere() {
    let (app, clock) = mdm_tests::direct::app_on_clock(START_MS);
    let here = &app.services;
    // Another process: the same table, its own memory of tenants.
    let elsewhere = Services {
        tenant_states: Default::default(),
        webhooks: std::sync::Arc::new(mdm_core::ports::NoWebhooks),
        webhook_subscriptions: Default::default(),
        apple_cas: Default::default(),
        ..(**here).clone()
    };
    let t = TenantId::parse("initech").unwrap();
    let req = CreateTenant {
        id: t.clone(),
        name: "Initech".into(),
        limits: Default::default(),
    };
    tenants::create(here, &operator(), req).await.unwrap();
    assert!(tenants::admit(&elsewhere, &t).await.is_ok());

    let view = tenants::suspend(here, &operator(), &t).await.unwrap();
    assert_eq!(view.status, TenantStatus::Suspended);
    assert_eq!(tenants::admit(here, &t).await, Err(Error::TenantSuspended));
    assert!(
        tenants::admit(&elsewhere, &t).await.is_ok(),
        "still what it read less than a minute ago"
    );

    clock.advance_secs(STATE_TTL_MS / 1000);
    assert_eq!(
        tenants::admit(&elsewhere, &t).await,
        Err(Error::TenantSuspended)
    );

    tenants::resume(here, &operator(), &t).await.unwrap();
    assert!(tenants::admit(here, &t).await.is_ok());
    clock.advance_secs(STATE_TTL_MS / 1000);
    assert!(tenants::admit(&elsewhere, &t).await.is_ok());
}

#[tokio::test]
async fn a_tenant_that_was_never_registered_is_admitted_without_a_limit() {
    let (app, _clock) = mdm_tests::direct::app_on_clock(START_MS);
    let t = TenantId::parse("legacy").unwrap();
    let state = tenants::admit(&app.services, &t).await.unwrap();
    assert!(!state.registered);
    assert_eq!(state.max_devices, None);
    assert_eq!(state.status, TenantStatus::Active);
}

#[tokio::test]
async fn an_enrolment_in_a_process_that_has_not_seen_the_suspension_is_refused_all_the_same() {
    let (app, _clock) = mdm_tests::direct::app_on_clock(START_MS);
    let here = &app.services;
    let elsewhere = Services {
        tenant_states: Default::default(),
        webhooks: std::sync::Arc::new(mdm_core::ports::NoWebhooks),
        webhook_subscriptions: Default::default(),
        apple_cas: Default::default(),
        ..(**here).clone()
    };
    let t = TenantId::parse("initech").unwrap();
    let req = CreateTenant {
        id: t.clone(),
        name: "Initech".into(),
        limits: Default::default(),
    };
    tenants::create(here, &operator(), req).await.unwrap();
    let admin = mdm_tests::direct::admin_of("initech");
    let token = enrollment::create_token(here, &admin, Default::default())
        .await
        .unwrap()
        .token;
    assert!(tenants::admit(&elsewhere, &t).await.is_ok());
    tenants::suspend(here, &operator(), &t).await.unwrap();

    let body = mdm_devtools::agent::SimDevice::enrollment_body(1, &token, "android", "sink:x");
    let req: EnrollRequest = serde_json::from_value(body).unwrap();
    assert_eq!(
        enrollment::enroll(&elsewhere, req).await.map(|_| ()),
        Err(Error::TenantSuspended)
    );
    // The refusal taught that process the new state.
    assert_eq!(
        tenants::admit(&elsewhere, &t).await,
        Err(Error::TenantSuspended)
    );
    let view = tenants::get(here, &operator(), &t).await.unwrap();
    assert_eq!(view.devices, Some(0), "nothing was enrolled");
}
