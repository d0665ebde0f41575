//! The end-to-end flow suite against the embedded backend, over real HTTP on loopback.

use mdm_tests::flow::{
    apple, apps, audit, catalogue, compliance, devices, errors, geofences, groups, idempotency,
    jobs, jwt_attacks, lifecycle, openapi, policies, push, push_certificates, schedules, security,
    self_service, tenancy, tenants, tokens, webhooks,
};
use mdm_tests::stack::Stack;

macro_rules! flow_tests {
    ($($module:ident :: $name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let stack = Stack::embedded_in_memory().await;
            $module::$name(&stack).await;
            stack.stop().await;
        }
    )*};
}

mdm_tests::every_backend_flow_cases!(flow_tests);

macro_rules! clocked_flow_tests {
    ($($module:ident :: $name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let stack = Stack::embedded_on_clock().await;
            $module::$name(&stack).await;
            stack.stop().await;
        }
    )*};
}

mdm_tests::every_backend_clocked_flow_cases!(clocked_flow_tests);

macro_rules! fake_apns_flow_tests {
    ($($module:ident :: $name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let stack = Stack::embedded_with_fake_apns().await;
            $module::$name(&stack).await;
            stack.stop().await;
        }
    )*};
}

mdm_tests::every_backend_fake_apns_flow_cases!(fake_apns_flow_tests);

flow_tests!(push::sns_is_refused_without_aws);
flow_tests!(geofences::the_501st_geofence_is_refused_and_deleting_one_makes_room);

// The local TLS listener is the embedded server's (on AWS, API Gateway's mutual TLS).
macro_rules! fake_apns_embedded_only {
    ($($module:ident :: $name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let stack = Stack::embedded_with_fake_apns().await;
            $module::$name(&stack).await;
            stack.stop().await;
        }
    )*};
}

fake_apns_embedded_only!(apple::an_iphone_may_prove_itself_with_its_tls_client_certificate);
