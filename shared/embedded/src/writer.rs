//! Group commit: one thread owns every write transaction, so that all requests waiting at a
//! moment share one durable commit (one fsync) instead of paying one each.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use redb::{Database, Durability};
use tokio::sync::oneshot;

use crate::db::Tables;

/// Most requests in one commit, so that a flood cannot make one commit's latency unbounded.
const MAX_BATCH: usize = 1024;

/// Why a submitted write did not take effect (the batch was rolled back or the writer is gone).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WriteFailed(pub String);

/// A request as the writer thread sees it, whatever its result type.
trait Pending: Send {
    /// Runs the request inside the batch's transaction. An `Err` is a storage failure that
    /// poisons the whole batch; logical failures (a failed condition) are part of the result.
    fn apply(&mut self, tables: &mut Tables<'_>) -> Result<(), redb::Error>;

    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, committed: Result<(), WriteFailed>);
}

struct Request<F, T> {
    op: Option<F>,
    out: Option<T>,
    reply: oneshot::Sender<Result<T, WriteFailed>>,
}

impl<F, T> Pending for Request<F, T>
where
    F: FnOnce(&mut Tables<'_>) -> Result<T, redb::Error> + Send,
    T: Send,
{
    fn apply(&mut self, tables: &mut Tables<'_>) -> Result<(), redb::Error> {
        if let Some(op) = self.op.take() {
            self.out = Some(op(tables)?);
        }
        Ok(())
    }

    fn finish(self: Box<Self>, committed: Result<(), WriteFailed>) {
        let Request { out, reply, .. } = *self;
        let answer = committed
            .and_then(|()| out.ok_or_else(|| WriteFailed("the batch was rolled back".into())));
        // The caller may have stopped waiting (cancelled future); its write stands regardless.
        let _ = reply.send(answer);
    }
}

/// Handle to the writer thread. Dropping it lets the thread finish its batch and joins it.
pub(crate) struct Writer {
    sender: Option<mpsc::Sender<Box<dyn Pending>>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub fn start(database: Arc<Database>) -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("mdm-redb-writer".into())
            .spawn(move || run(&database, &receiver))?;
        Ok(Self {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// Runs `op` in the next batch and resolves once that batch is durably committed.
    ///
    /// `op` sees the effects of the requests before it in the same batch. It must do every
    /// check before its first write: a logical failure is returned in `T` and the batch still
    /// commits, so an op that failed after writing would leave its partial writes behind.
    pub async fn submit<T, F>(&self, op: F) -> Result<T, WriteFailed>
    where
        F: FnOnce(&mut Tables<'_>) -> Result<T, redb::Error> + Send + 'static,
        T: Send + 'static,
    {
        let stopped = || WriteFailed("the store's writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        let request: Box<dyn Pending> = Box::new(Request {
            op: Some(op),
            out: None,
            reply,
        });
        self.sender
            .as_ref()
            .ok_or_else(stopped)?
            .send(request)
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            // A panic there was already reported to every waiting caller as a failed write.
            let _ = thread.join();
        }
    }
}

fn run(database: &Database, receiver: &mpsc::Receiver<Box<dyn Pending>>) {
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        batch.extend(receiver.try_iter().take(MAX_BATCH - 1));
        let committed = commit(database, &mut batch);
        if let Err(WriteFailed(reason)) = &committed {
            tracing::error!(requests = batch.len(), %reason, "embedded store batch rolled back");
        }
        for request in batch {
            request.finish(committed.clone());
        }
    }
}

fn commit(database: &Database, batch: &mut [Box<dyn Pending>]) -> Result<(), WriteFailed> {
    let failed = |e: &dyn std::fmt::Display| WriteFailed(e.to_string());
    let mut txn = database.begin_write().map_err(|e| failed(&e))?;
    // The default already, but this is the promise the whole crate rests on: Ok means on disk.
    txn.set_durability(Durability::Immediate)
        .map_err(|e| failed(&e))?;
    {
        let mut tables = Tables::open(&txn).map_err(|e| failed(&e))?;
        for request in batch.iter_mut() {
            // Dropping `txn` without commit on any early return rolls the whole batch back.
            match catch_unwind(AssertUnwindSafe(|| request.apply(&mut tables))) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(failed(&e)),
                Err(_) => return Err(WriteFailed("a write panicked".into())),
            }
        }
    }
    txn.commit().map_err(|e| failed(&e))
}
