//! The management API's scenario (`flow::scenario`) on the AWS adapters, DynamoDB and SQS in
//! moto's server, with the same 200 devices as the embedded run; a heavy proof, so no other one
//! and no wall-clock test runs beside it (`mdm_tests::heavy`). It needs the item-level
//! transaction backups of tests/moto/serve.py: moto itself copies the whole table for every
//! item of every transaction, and at 200 devices grew past 8 GB.

use mdm_tests::flow::scenario;
use mdm_tests::stack::Stack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_of_200_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly() {
    let _alone = mdm_tests::heavy::proof().await;
    let stack = Stack::aws_on_moto().await;
    scenario::a_tenant_of_n_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly(
        &stack, 200,
    )
    .await;
    stack.stop().await;
}
