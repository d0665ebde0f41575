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

mdm_tests::table_contract_cases!(contract_cases);

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
