//! Consumer lag: how many messages wait in the consumed queue. A passive `queue.declare` answers with the count
//! of ready messages without changing anything, so a poll on its own channel costs the broker next to nothing.

use crate::metrics::IngestMetrics;
use lapin::Channel;
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tracing::warn;

pub struct IngestQueueDepth {
    channel: Channel,
    queue: String,
    interval: Duration,
    metrics: Arc<IngestMetrics>,
}

impl IngestQueueDepth {
    /// `channel` is used for nothing else: a failed passive declare closes it.
    pub fn new(channel: Channel, queue: String, interval: Duration, metrics: Arc<IngestMetrics>) -> Self {
        Self { channel, queue, interval, metrics }
    }

    /// Polls until the task is aborted (the session ends) or the channel closes. A queue that vanished ends the
    /// consumer too, and the next session starts a new poll.
    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(async move { self.poll_while_open().await })
    }

    async fn poll_while_open(self) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        while self.channel.status().connected() {
            ticks.tick().await;
            match self.channel.queue_declare(self.queue.as_str().into(), passive, FieldTable::default()).await {
                Ok(queue) => self.metrics.set_queue_messages_ready(queue.message_count()),
                Err(error) => warn!(%error, queue = %self.queue, "queue depth poll failed; lag is stale"),
            }
        }
    }
}
