//! The workspace's suites on the AWS adapters, DynamoDB, SQS, SNS and Secrets Manager in moto's
//! server, in one test binary (and so one moto, which the first test to need it starts and
//! which stops when the binary ends; every test works on fresh tables, queues and names).

mod device_flow;
mod lambda_events;
mod push_and_secrets;
mod queue_contract;
mod scenario;
mod simulation;
mod table_contract;
