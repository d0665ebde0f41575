//! The management API's 200-device scenario (`flow::scenario`) on the embedded backend, over
//! real HTTP on loopback; a binary of its own so its load never slows the flow suite's cases.

use mdm_tests::flow::scenario;
use mdm_tests::stack::Stack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_of_200_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly() {
    let stack = Stack::embedded_in_memory().await;
    scenario::a_tenant_of_n_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly(
        &stack, 200,
    )
    .await;
    stack.stop().await;
}
