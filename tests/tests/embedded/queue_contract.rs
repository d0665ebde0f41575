//! Runs the `Queue` contract against the embedded queue, in memory and on disk.

use std::sync::Arc;

use mdm_core::ports::{Clock, ManualClock, Queue};
use mdm_embedded::{QueueConfig, RedbTable};
use mdm_tests::contract::queue::{self as contract, Timeline};
use tempfile::TempDir;

const CONFIG: QueueConfig = QueueConfig {
    max_receives: contract::MAX_RECEIVES,
};

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(1_700_000_000_000))
}

fn queue_in(table: &RedbTable, clock: &Arc<ManualClock>) -> Arc<dyn Queue> {
    Arc::new(table.queue("work", CONFIG, Arc::clone(clock) as Arc<dyn Clock>))
}

fn in_memory() -> (Arc<dyn Queue>, Arc<ManualClock>, ()) {
    let clock = clock();
    let table = RedbTable::in_memory().expect("an in-memory table opens");
    // A queue in the same file as a busy neighbour must not see its messages.
    let _neighbour = table.queue("other", CONFIG, Arc::clone(&clock) as Arc<dyn Clock>);
    (queue_in(&table, &clock), clock, ())
}

fn on_disk() -> (Arc<dyn Queue>, Arc<ManualClock>, TempDir) {
    let clock = clock();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let table = RedbTable::open(dir.path().join("mdm.redb")).expect("a table file opens");
    (queue_in(&table, &clock), clock, dir)
}

/// One test per contract case for a backend mode.
macro_rules! contract_cases {
    ($mode:ident, $open:path) => {
        mod $mode {
            use super::*;

            contract_cases!(@cases $open;
                a_sent_message_is_received_once_and_gone_once_acked,
                a_batch_of_25_bodies_is_received_in_full,
                an_unacked_message_is_hidden_until_its_visibility_timeout_passes,
                a_stale_receipt_is_refused_after_redelivery,
                a_receipt_that_was_never_issued_is_refused,
                a_released_message_is_visible_again_after_its_delay,
                a_delayed_message_is_received_only_after_its_delay,
                a_message_received_more_than_max_receives_times_becomes_a_dead_letter,
                messages_are_received_oldest_first,
                a_receive_asks_for_one_to_ten_messages,
                a_long_poll_wakes_when_a_message_is_sent,
                a_long_poll_on_an_empty_queue_returns_nothing_after_the_wait,
            );
        }
    };
    (@cases $open:path; $($case:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let (queue, clock, _keep) = $open();
            contract::$case(queue, Timeline::Manual(clock)).await;
        }
    )*};
}

contract_cases!(in_memory_mode, in_memory);
contract_cases!(disk_mode, on_disk);

#[tokio::test]
async fn on_disk_an_unacked_message_is_redelivered_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mdm.redb");
    let clock = clock();
    let open = || {
        let (path, clock) = (path.clone(), Arc::clone(&clock));
        async move {
            let table = RedbTable::open(path).expect("the table file reopens");
            queue_in(&table, &clock)
        }
    };
    let time = Timeline::Manual(Arc::clone(&clock));
    contract::an_unacked_message_is_redelivered_after_a_restart(open, time).await;
}
