//! Runs the `Queue` contract against `SqsQueue` talking over HTTP to moto's server, on the
//! wall clock (SQS keeps visibility timeouts itself), so never beside a heavy proof
//! (`mdm_tests::heavy`).

use std::sync::Arc;

use mdm_core::ports::Queue;
use mdm_tests::contract::queue::{self as contract, MAX_RECEIVES, Timeline};
use mdm_tests::moto;

/// One test per contract case, each on its own fresh queue. Not here, as SQS does not promise
/// them and no consumer relies on them: receive order, and refusing a superseded receipt.
macro_rules! contract_cases {
    ($($case:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let _timed = mdm_tests::heavy::wall_clock().await;
            let queue: Arc<dyn Queue> = Arc::new(moto::queue(MAX_RECEIVES).await);
            contract::$case(queue, Timeline::Wall).await;
        }
    )*};
}

contract_cases!(
    a_sent_message_is_received_once_and_gone_once_acked,
    a_batch_of_25_bodies_is_received_in_full,
    an_unacked_message_is_hidden_until_its_visibility_timeout_passes,
    a_receipt_that_was_never_issued_is_refused,
    a_released_message_is_visible_again_after_its_delay,
    a_delayed_message_is_received_only_after_its_delay,
    a_message_received_more_than_max_receives_times_becomes_a_dead_letter,
    a_receive_asks_for_one_to_ten_messages,
    a_long_poll_wakes_when_a_message_is_sent,
    a_long_poll_on_an_empty_queue_returns_nothing_after_the_wait,
);

#[tokio::test]
async fn an_unacked_message_is_redelivered_to_a_new_client() {
    let _timed = mdm_tests::heavy::wall_clock().await;
    let first = moto::queue(MAX_RECEIVES).await;
    let url = first.url().to_owned();
    drop(first);
    let open = || {
        let url = url.clone();
        async move {
            let client = aws_sdk_sqs::Client::new(&moto::sdk_config());
            Arc::new(mdm_aws::SqsQueue::new(client, url, None, MAX_RECEIVES)) as Arc<dyn Queue>
        }
    };
    contract::an_unacked_message_is_redelivered_after_a_restart(open, Timeline::Wall).await;
}
