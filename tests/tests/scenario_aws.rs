//! The management API's scenario (`flow::scenario`) on the AWS adapters, DynamoDB and SQS in
//! moto's server, in a binary of its own (and so a moto of its own). With 40 devices, not the
//! embedded run's 200: moto copies the whole table for every transaction, so at 200 devices
//! its memory grew past 8 GB and each call slowed to seconds; the scenario's code and every
//! expectation are the same, derived from the fleet's size.

use mdm_tests::flow::scenario;
use mdm_tests::stack::Stack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_of_40_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly() {
    let stack = Stack::aws_on_moto().await;
    scenario::a_tenant_of_n_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly(
        &stack, 40,
    )
    .await;
    stack.stop().await;
}
