//! The Lambda handlers driven by API Gateway and SQS event fixtures, on the embedded backend
//! (in memory; no queue consumer runs, the SQS cases hand wake messages to the handler).

use mdm_app::{App, AppConfig};
use mdm_tests::lambda_events;
use mdm_tests::stack::TEST_SECRET;

macro_rules! on_embedded {
    ($($case:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $case() {
            let app = App::build(&AppConfig::for_tests(TEST_SECRET)).expect("build the app");
            lambda_events::$case(app).await;
        }
    )*};
}

mdm_tests::lambda_event_cases!(on_embedded);
