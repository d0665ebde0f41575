//! The simulated server process: the real use cases on a durable store (the embedded database
//! file, or DynamoDB and SQS in moto), with every port behind a fault-injecting wrapper. A crash
//! drops the whole process; a restart opens the same store again, as `mdm-dev` does after a kill
//! and as a new Lambda instance does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mdm_app::push::Providers;
use mdm_app::{AppConfig, verifier};
use mdm_core::ports::{ManualClock, Queue, SeqIds, Table};
use mdm_core::{Services, Settings};
use mdm_embedded::{LocalSecrets, QueueConfig, RedbTable};
use mdm_push::LocalPusher;

use crate::faults::{Faults, FaultyPusher, FaultyQueue, FaultyTable};
use crate::stack::TEST_SECRET;

/// One life of the server process.
pub struct Process {
    pub svc: Arc<Services>,
    pub queue: Arc<dyn Queue>,
}

/// Where the state that outlives a process lives.
pub enum Durable {
    /// The embedded database file.
    Embedded(PathBuf),
    /// A DynamoDB table and an SQS queue (with its dead-letter queue) in moto's server.
    Aws {
        table: String,
        queue_url: String,
        dead_letter_url: String,
    },
}

/// What outlives a crash: the durable store, the clock and the id source (ids stay unique
/// across restarts, as ULIDs do).
pub struct Machine {
    pub durable: Durable,
    pub clock: Arc<ManualClock>,
    pub ids: Arc<SeqIds>,
    pub faults: Arc<Faults>,
}

impl Machine {
    pub fn embedded(dir: &Path, start_ms: i64, faults: Arc<Faults>) -> Self {
        Self::new(Durable::Embedded(dir.join("mdm.redb")), start_ms, faults)
    }

    pub fn new(durable: Durable, start_ms: i64, faults: Arc<Faults>) -> Self {
        Self {
            durable,
            clock: Arc::new(ManualClock::new(start_ms)),
            ids: Arc::new(SeqIds::default()),
            faults,
        }
    }

    fn open(&self) -> (Arc<dyn Table>, Arc<dyn Queue>) {
        match &self.durable {
            Durable::Embedded(file) => {
                let table = RedbTable::open(file).expect("open the embedded store");
                let queue = table.queue(
                    mdm_app::local::WAKE_QUEUE,
                    QueueConfig { max_receives: 5 },
                    self.clock.clone(),
                );
                (Arc::new(table), Arc::new(queue))
            }
            Durable::Aws {
                table,
                queue_url,
                dead_letter_url,
            } => {
                let sdk = crate::moto::sdk_config();
                let table = mdm_aws::DynamoTable::new(aws_sdk_dynamodb::Client::new(&sdk), table);
                let queue = mdm_aws::SqsQueue::new(
                    aws_sdk_sqs::Client::new(&sdk),
                    queue_url,
                    Some(dead_letter_url.clone()),
                    5,
                );
                (Arc::new(table), Arc::new(queue))
            }
        }
    }

    /// Starts a process on the durable store.
    pub fn boot(&self) -> Process {
        let (table, queue) = self.open();
        let queue: Arc<dyn Queue> = Arc::new(FaultyQueue {
            inner: queue,
            faults: self.faults.clone(),
        });
        let cfg = AppConfig::for_tests(TEST_SECRET);
        let svc = Services {
            table: Arc::new(FaultyTable {
                inner: table,
                faults: self.faults.clone(),
            }),
            wake_queue: queue.clone(),
            pusher: Arc::new(FaultyPusher {
                inner: Arc::new(LocalPusher::new()),
                faults: self.faults.clone(),
            }),
            secrets: Arc::new(LocalSecrets::in_memory()),
            push_providers: Arc::new(Providers {
                clock: self.clock.clone(),
                sns: None,
                apns: Default::default(),
            }),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            verifier: verifier::jwt(&cfg, verifier::hs256(TEST_SECRET)).expect("verifier"),
            settings: Settings::default(),
            tenant_states: Default::default(),
            webhooks: std::sync::Arc::new(mdm_core::ports::NoWebhooks),
            webhook_subscriptions: Default::default(),
            apple_cas: Default::default(),
        };
        Process {
            svc: Arc::new(svc),
            queue,
        }
    }

    /// Kills the process (its memory is gone, its committed writes are not) and boots anew.
    pub fn restart(&self, dead: Process) -> Process {
        drop(dead);
        self.faults.revive();
        self.boot()
    }
}
