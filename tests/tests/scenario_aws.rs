//! The management API's 200-device scenario (`flow::scenario`) on the AWS adapters, DynamoDB
//! and SQS in moto's server; a binary of its own (and so a moto of its own) because the
//! emulator is slow enough that this scenario would starve the flow suite's cases.

use mdm_tests::flow::scenario;
use mdm_tests::stack::Stack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_of_200_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly() {
    let stack = Stack::aws_on_moto().await;
    scenario::a_tenant_of_200_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly(
        &stack,
    )
    .await;
    stack.stop().await;
}
