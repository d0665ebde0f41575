//! The end-to-end flow suite against the AWS adapters (DynamoDB and SQS in moto's server), over real
//! HTTP on loopback: the same cases as on the embedded backend.

use mdm_tests::flow::{errors, lifecycle, push, tenancy};
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

flow_tests!(
    lifecycle::a_queued_lock_wakes_the_device_which_pulls_it_and_acknowledges,
    lifecycle::pending_commands_come_oldest_first,
    lifecycle::not_now_comes_back_after_the_next_checkin,
    lifecycle::the_same_result_twice_changes_nothing,
    lifecycle::an_error_result_is_recorded_with_its_reason,
    lifecycle::a_wiped_device_loses_its_credential_at_once,
    lifecycle::a_cancelled_command_is_not_served,
    lifecycle::an_enrollment_token_is_refused_beyond_its_uses,
    tenancy::another_tenants_ids_are_not_found,
    tenancy::a_device_cannot_report_on_another_devices_command,
    tenancy::roles_limit_what_each_user_may_do,
    errors::bad_requests_get_problem_json_with_stable_codes,
    errors::oversized_and_non_json_bodies_are_refused,
    push::an_admin_sets_a_push_provider_and_readers_see_it_without_the_secret,
    push::push_settings_refuse_wrong_roles_platforms_and_credentials,
    push::a_tenant_on_sns_is_woken_through_its_own_platform_application,
);
