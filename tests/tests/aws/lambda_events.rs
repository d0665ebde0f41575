//! The Lambda handlers driven by API Gateway and SQS event fixtures, on the AWS adapters
//! (DynamoDB and SQS in moto's server; wakes to the local push sink).

use mdm_tests::{lambda_events, moto};

macro_rules! on_aws {
    ($($case:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            lambda_events::$case(moto::aws_app().await).await;
        }
    )*};
}

mdm_tests::lambda_event_cases!(on_aws);
