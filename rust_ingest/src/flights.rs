//! Batches being indexed, at most `max_in_flight` bulk requests at once. A batch holds its slot while Elasticsearch
//! works on it and frees it before its messages are dead-lettered and acked, so the next bulk request need not wait
//! for the broker.

use crate::acks::IngestAcks;
use crate::dead_letter::IngestDeadLetter;
use crate::request_builder::IngestMessage;
use crate::sink::IngestSink;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinSet};
use tracing::error;

pub struct IngestFlights {
    permits: Arc<Semaphore>,
    pub tasks: JoinSet<()>,
    sink: Arc<IngestSink>,
    dead_letter: Arc<IngestDeadLetter>,
    acks: Arc<IngestAcks>,
}

impl IngestFlights {
    pub fn new(
        max_in_flight: usize,
        sink: Arc<IngestSink>,
        dead_letter: Arc<IngestDeadLetter>,
        acks: Arc<IngestAcks>,
    ) -> Self {
        Self { permits: Arc::new(Semaphore::new(max_in_flight)), tasks: JoinSet::new(), sink, dead_letter, acks }
    }

    /// Waits for a free slot (back-pressure on consumption), then indexes the batch in the background.
    pub async fn launch(&mut self, mut messages: Vec<IngestMessage>) {
        if messages.is_empty() {
            return;
        }
        let Ok(permit) = self.permits.clone().acquire_owned().await else {
            error!("in-flight limiter closed; dropping batch for redelivery");
            return;
        };
        let (sink, dead_letter, acks) = (self.sink.clone(), self.dead_letter.clone(), self.acks.clone());
        self.tasks.spawn(async move {
            let started = Instant::now();
            sink.index(&mut messages).await;
            drop(permit);
            sink.settle(&messages, &dead_letter, &acks, started).await;
        });
    }
}

/// Logs a batch task that did not finish. Err for a panic: its deliveries can never be settled, so cumulative acks
/// would stop at them; the caller ends the session, and closing the channel hands them back to the broker.
pub fn report_join(joined: Result<(), JoinError>) -> Result<(), JoinError> {
    match joined {
        Err(error) if !error.is_cancelled() => {
            error!(%error, "batch task failed; reconnecting so that its messages are redelivered");
            Err(error)
        }
        _ => Ok(()),
    }
}
