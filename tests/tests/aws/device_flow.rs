//! The end-to-end flow suite against the AWS adapters (DynamoDB and SQS in moto's server), over real
//! HTTP on loopback: the same cases as on the embedded backend.

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
            let stack = Stack::aws_on_moto().await;
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
            let stack = Stack::aws_on_moto_on_clock().await;
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
            let stack = Stack::aws_on_moto_with_fake_apns().await;
            $module::$name(&stack).await;
            stack.stop().await;
        }
    )*};
}

mdm_tests::every_backend_fake_apns_flow_cases!(fake_apns_flow_tests);

flow_tests!(push::a_tenant_on_sns_is_woken_through_its_own_platform_application);
flow_tests!(push::a_deleted_tenant_on_sns_leaves_no_platform_application);
