//! The management API's 200-device scenario (`flow::scenario`) on the embedded backend, over
//! real HTTP on loopback; a heavy proof, so no other one runs beside it (`mdm_tests::heavy`).

use mdm_tests::flow::scenario;
use mdm_tests::stack::Stack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_of_200_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly() {
    let _alone = mdm_tests::heavy::proof().await;
    let stack = Stack::embedded_in_memory().await;
    scenario::a_tenant_of_n_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly(
        &stack, 200,
    )
    .await;
    stack.stop().await;
}
