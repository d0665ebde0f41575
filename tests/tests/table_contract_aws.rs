//! Runs the `Table` contract against `DynamoTable` talking over HTTP to moto's server.

use std::sync::Arc;

use mdm_core::ports::Table;
use mdm_tests::contract::table as contract;
use mdm_tests::moto;

/// One test per contract case, each on its own fresh table.
macro_rules! contract_cases {
    ($($case:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $case() {
            let table: Arc<dyn Table> = Arc::new(moto::table().await);
            contract::$case(table).await;
        }
    )*};
}

contract_cases!(
    a_put_item_reads_back_and_is_gone_once_deleted,
    a_put_replaces_the_whole_item,
    a_put_with_not_exists_fails_when_the_item_is_there,
    a_put_with_exists_fails_when_the_item_is_missing,
    equality_conditions_compare_whole_values,
    numeric_conditions_compare_the_attribute_to_the_number,
    absence_and_combined_conditions_hold_as_documented,
    an_update_applies_every_clause_and_returns_the_new_item,
    an_update_of_a_missing_item_creates_it,
    an_update_guarded_by_exists_does_not_create_a_missing_item,
    a_failed_condition_leaves_the_item_unchanged,
    a_query_returns_only_its_partition_and_prefix,
    a_query_reads_in_ascending_or_descending_sort_key_order,
    paging_through_250_items_seven_at_a_time_yields_each_once_in_order,
    a_transaction_applies_all_its_writes,
    a_transaction_with_one_failing_condition_writes_nothing_and_names_the_op,
    a_transaction_naming_a_key_twice_or_over_100_ops_is_refused,
    an_idle_conditional_update_of_a_small_item_costs_one_write_and_no_read,
    reads_failed_writes_and_transactions_are_billed_like_dynamodb,
    concurrent_adds_to_one_counter_are_all_counted,
    of_concurrent_creates_of_one_key_exactly_one_wins,
);

#[tokio::test]
async fn written_data_survives_a_new_client() {
    let first = moto::table().await;
    let name = first.name().to_owned();
    drop(first);
    contract::written_data_survives_a_reopen(|| {
        let name = name.clone();
        async move {
            let client = aws_sdk_dynamodb::Client::new(&moto::sdk_config());
            Arc::new(mdm_aws::DynamoTable::new(client, name)) as Arc<dyn Table>
        }
    })
    .await;
}
