//! The end-to-end flow suite, over HTTP, written once and run against every backend: what a
//! tenant admin and a device see through the API.

pub mod errors;
pub mod lifecycle;
pub mod push;
pub mod tenancy;

/// Calls `$m!` with every flow case that holds on every backend, so each backend's test file
/// runs the same list (and a case added here runs everywhere).
#[macro_export]
macro_rules! every_backend_flow_cases {
    ($m:ident) => {
        $m!(
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
        );
    };
}
