//! Runs the `Table` contract against the embedded backend, in memory and on disk.

use std::sync::Arc;

use mdm_core::ports::Table;
use mdm_embedded::RedbTable;
use mdm_tests::contract::table as contract;
use tempfile::TempDir;

fn in_memory() -> Arc<dyn Table> {
    Arc::new(RedbTable::in_memory().expect("an in-memory table opens"))
}

fn on_disk() -> (Arc<dyn Table>, TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let table = RedbTable::open(dir.path().join("mdm.redb")).expect("a table file opens");
    (Arc::new(table), dir)
}

/// One test per contract case, on a fresh in-memory table.
macro_rules! in_memory_mode {
    ($($case:ident),* $(,)?) => {
        mod in_memory_mode {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    contract::$case(in_memory()).await;
                }
            )*
        }
    };
}

/// One test per contract case, on a fresh table file (kept until the case ends).
macro_rules! disk_mode {
    ($($case:ident),* $(,)?) => {
        mod disk_mode {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (table, _dir) = on_disk();
                    contract::$case(table).await;
                }
            )*
        }
    };
}

mdm_tests::table_contract_cases!(in_memory_mode);
mdm_tests::table_contract_cases!(disk_mode);

#[tokio::test]
async fn on_disk_written_data_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mdm.redb");
    contract::written_data_survives_a_reopen(|| {
        let path = path.clone();
        async move { Arc::new(RedbTable::open(path).expect("the table file reopens")) as Arc<dyn Table> }
    })
    .await;
}
