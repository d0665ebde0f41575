//! The end-to-end flow suite, over HTTP, written once and run against every backend: what a
//! tenant admin and a device see through the API.

pub mod apple;
pub mod apps;
pub mod audit;
pub mod catalogue;
pub mod compliance;
pub mod devices;
pub mod errors;
pub mod geofences;
pub mod groups;
pub mod idempotency;
pub mod jobs;
pub mod jwt_attacks;
pub mod lifecycle;
pub mod openapi;
pub mod policies;
pub mod push;
pub mod push_certificates;
pub mod scenario;
pub mod schedules;
pub mod security;
pub mod self_service;
pub mod tenancy;
pub mod tenants;
pub mod tokens;
pub mod webhooks;

/// Calls `$m!` with every flow case that runs on an injected clock (`Stack::*_on_clock`), on
/// every backend.
#[macro_export]
macro_rules! every_backend_clocked_flow_cases {
    ($m:ident) => {
        $m!(
            compliance::an_os_downgrade_notifies_at_once_blocks_after_the_delay_and_compliance_lifts_the_block,
            compliance::a_sim_swap_locks_the_device_within_one_check_in_and_alerts_the_admins,
            compliance::a_data_cap_raises_each_threshold_once_per_month_and_acts_at_the_cap,
            compliance::a_device_that_stops_checking_in_is_found_by_the_sweep,
            compliance::alerts_and_compliance_are_confined_to_their_tenant,
            compliance::a_bad_rule_names_its_field_and_changes_nothing,
            compliance::a_device_reported_lost_gets_lost_mode_locate_and_lock,
            compliance::leaving_the_geofence_alerts_once_and_coming_back_makes_the_device_compliant,
            compliance::compliance_events_reach_the_tenant_s_webhook_once_each_and_signed,
            schedules::a_schedule_window_opens_and_closes_at_local_time_on_both_sides_of_a_dst_change,
            schedules::a_bad_schedule_names_its_field,
            schedules::a_schedule_in_the_device_s_zone_follows_the_zone_the_device_reports,
            apple::an_expired_identity_certificate_is_refused,
            push_certificates::the_push_certificate_warns_30_7_and_1_days_before_it_expires_once_each,
            push_certificates::replacing_the_push_certificate_cancels_the_old_one_s_pending_warnings,
        );
    };
}

/// Calls `$m!` with every flow case that needs a stack whose APNs pushes go to a fake APNs
/// (`Stack::*_with_fake_apns`), on every backend.
#[macro_export]
macro_rules! every_backend_fake_apns_flow_cases {
    ($m:ident) => {
        $m!(
            push_certificates::an_ios_device_with_push_magic_is_woken_through_apns_with_the_certificate_s_topic,
            apple::an_iphone_enrols_by_profile_and_scep_and_a_lock_reaches_it_through_apns,
            apple::an_iphone_s_answers_fill_its_inventory_and_its_commands_carry_what_apple_needs,
            apple::a_policy_reaches_an_iphone_as_a_profile_and_unassigning_it_removes_it,
            apple::a_tenant_wide_job_reaches_apple_and_android_devices_together,
            apple::an_os_version_rule_locks_an_iphone_that_reports_an_old_ios,
            apple::check_out_unenrols_an_iphone_and_cancels_its_open_commands,
            apple::bad_apple_requests_get_clear_refusals_and_change_nothing,
            apple::an_apple_device_is_confined_to_its_tenant,
            apple::a_signing_identity_signs_enrolment_profiles_and_never_shows_its_key,
            apple::an_iphone_calling_in_a_loop_is_rate_limited_and_its_neighbour_is_not,
            apple::a_mac_enrols_as_macos_and_locks_only_with_a_pin,
            apple::a_sim_swap_on_an_iphone_alerts_and_locks_it,
        );
    };
}

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
            catalogue::every_kind_is_queued_pulled_and_acknowledged_on_each_platform_that_supports_it,
            catalogue::a_kind_the_devices_platform_cannot_run_is_refused_and_nothing_is_queued,
            catalogue::clearing_a_queue_cancels_exactly_the_open_commands_and_leaves_closed_ones_untouched,
            catalogue::a_cleared_command_is_never_served,
            catalogue::the_clear_route_and_the_command_routes_do_not_shadow_each_other,
            tenancy::another_tenants_ids_are_not_found,
            tenancy::a_device_cannot_report_on_another_devices_command,
            tenancy::roles_limit_what_each_user_may_do,
            errors::bad_requests_get_problem_json_with_stable_codes,
            errors::oversized_and_non_json_bodies_are_refused,
            errors::every_route_refuses_a_body_over_its_own_cap,
            errors::a_device_calling_in_a_loop_is_rate_limited_and_its_neighbour_is_not,
            push::an_admin_sets_a_push_provider_and_readers_see_it_without_the_secret,
            push::push_settings_refuse_wrong_roles_platforms_and_credentials,
            push_certificates::push_settings_show_the_certificate_s_topic_and_expiry_and_refuse_a_topic_it_is_not_for,
            jwt_attacks::every_jwt_attack_is_refused_and_writes_nothing,
            security::no_caller_reaches_anything_the_route_table_does_not_grant,
            idempotency::a_retried_queue_returns_the_same_command_and_queues_it_once,
            idempotency::a_retried_enrolment_returns_the_same_device_and_credential_and_enrols_once,
            idempotency::the_same_key_with_another_request_is_refused_as_reused,
            idempotency::a_key_used_by_one_tenant_gives_another_tenant_nothing_of_its_response,
            idempotency::a_malformed_idempotency_key_is_refused_with_400,
            openapi::the_served_openapi_document_lists_exactly_the_operations_the_server_answers,
            tokens::an_admin_lists_tokens_with_their_state_and_uses_and_never_their_secrets,
            tokens::a_revoked_token_enrolls_no_device_and_revoking_again_changes_nothing,
            tokens::a_new_token_comes_with_a_qr_payload_the_device_app_can_enroll_with,
            tokens::token_labels_are_checked,
            audit::the_audit_log_filters_by_actor_action_device_and_time,
            devices::listing_pages_through_65_devices_with_a_small_limit_and_returns_each_once,
            devices::each_filter_returns_exactly_the_matching_devices,
            devices::a_garbled_or_forged_cursor_is_a_400_on_the_cursor_field,
            devices::another_tenants_devices_never_appear_in_listings_or_lookups,
            devices::each_lookup_finds_the_device_and_follows_a_sim_swap,
            devices::a_full_inventory_report_is_read_back_and_bad_values_name_their_field,
            devices::unenroll_revokes_at_once_and_cancels_open_commands,
            devices::retire_refuses_an_enrolled_device_and_hides_a_retired_one,
            groups::a_group_gathers_devices_and_the_fleet_listing_filters_by_it,
            groups::a_group_with_members_cannot_be_deleted_and_an_empty_one_can,
            groups::a_deleted_group_takes_its_policy_assignment_with_it,
            groups::a_retired_device_leaves_its_groups,
            groups::group_names_and_member_lists_are_checked,
            jobs::a_group_job_reaches_each_member_and_counts_how_each_command_ended,
            jobs::a_tenant_wide_job_reaches_every_enrolled_device_exactly_once,
            jobs::a_cancelled_job_command_counts_as_cancelled_not_failed,
            jobs::jobs_are_listed_newest_first_and_audited_once,
            jobs::a_job_with_a_bad_target_is_refused_before_anything_is_queued,
            policies::a_device_s_policy_is_its_own_then_its_groups_by_priority_then_the_tenant_default,
            policies::a_device_gets_its_policy_on_check_in_until_it_reports_applying_it,
            policies::a_policy_in_use_cannot_be_deleted_and_a_bad_document_names_its_field,
            policies::apply_policy_makes_the_agent_check_in_and_apply_at_once,
            policies::old_policy_versions_stay_readable_newest_first,
            policies::a_policy_s_assignments_name_its_devices_its_groups_and_the_tenant_default,
            policies::a_policy_assigned_to_a_list_of_devices_reaches_each_of_them,
            policies::assigning_a_policy_to_a_list_refuses_bad_lists_unknown_policies_and_other_tenants,
            self_service::a_user_enrolls_their_own_device_as_personal_and_sees_only_theirs,
            self_service::a_user_may_lock_locate_reset_or_wipe_their_own_device_and_nothing_else,
            self_service::an_admin_token_enrolls_a_corporate_device_to_a_user_into_a_group_under_a_policy,
            apps::the_catalogue_refuses_a_duplicate_app_and_lists_by_platform,
            apps::installing_a_catalogue_app_on_a_group_queues_it_for_members_of_its_platform_only,
            apps::a_new_device_gets_the_required_apps_of_its_platform_at_enrolment,
            apps::a_bad_app_entry_names_its_field,
            apps::operators_install_apps_and_only_admins_change_the_catalogue,
            tenants::a_platform_operator_registers_lists_reads_and_limits_tenants,
            tenants::a_suspended_tenant_s_devices_and_users_are_refused_with_tenant_suspended,
            tenants::a_tenant_at_its_device_limit_refuses_another_enrolment,
            tenants::tenant_roles_cannot_manage_tenants,
            tenants::a_tenant_that_was_never_registered_is_served_without_limits,
            tenants::an_admin_sets_the_tenant_settings_and_a_bad_time_zone_names_its_field,
            tenants::a_deleted_tenant_is_refused_at_once_and_ends_deleted_for_good,
            geofences::an_admin_creates_pages_reads_replaces_and_deletes_geofences,
            geofences::bad_geofence_shapes_get_invalid_field_naming_the_field,
            geofences::another_tenants_geofences_are_not_found_and_never_listed,
            geofences::only_admins_change_geofences_and_operators_and_auditors_read_them,
            webhooks::every_subscribed_event_is_delivered_once_signed_and_no_other,
            webhooks::a_receiver_that_fails_twice_gets_the_event_again_and_it_ends_delivered,
            webhooks::a_receiver_that_always_fails_ends_dead_after_the_attempt_limit,
            webhooks::during_a_rotation_s_overlap_both_the_old_and_the_new_secret_sign,
            webhooks::internal_targets_and_bad_input_are_refused_with_problem_codes,
            webhooks::another_tenant_cannot_see_or_touch_a_webhook_and_roles_are_enforced,
        );
    };
}
