//! The AMQP side: connect (and reconnect) with backoff, wait passively for the queue the Python side declares,
//! consume with manual acks, and hand closed batches to the sink, several in flight at once.

use crate::acks::IngestAcks;
use crate::backoff::IngestBackoff;
use crate::config::IngestConfig;
use crate::dead_letter::IngestDeadLetter;
use crate::flights::{IngestFlights, report_join};
use crate::log_encoder::IngestCodec;
use crate::metrics::IngestMetrics;
use crate::queue_depth::IngestQueueDepth;
use crate::request_builder::{IngestBatch, IngestBatchLimits, IngestFate, IngestMessage};
use crate::sink::IngestSink;
use futures_lite::StreamExt;
use lapin::Acker;
use lapin::message::Delivery;
use lapin::options::{
    BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, ConfirmSelectOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Consumer};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Instant, sleep, sleep_until};
use tracing::{info, warn};

/// What the sink needs of a delivery: its tag (for cumulative acks), how to put it back, and what to dead-letter
/// if it comes to that.
pub struct IngestDelivery {
    pub delivery_tag: u64,
    pub acker: Acker,
    pub routing_key: String,
    pub properties: BasicProperties,
    pub body: Vec<u8>,
}

impl IngestDelivery {
    fn from_delivery(delivery: Delivery) -> Self {
        Self {
            delivery_tag: delivery.delivery_tag,
            acker: delivery.acker,
            routing_key: delivery.routing_key.as_str().to_owned(),
            properties: delivery.properties,
            body: delivery.data,
        }
    }

    /// Puts the message back; the quorum queue's delivery limit dead-letters it if this keeps happening.
    pub async fn requeue(&self) {
        let options = BasicNackOptions { requeue: true, ..BasicNackOptions::default() };
        if let Err(error) = self.acker.nack(options).await {
            warn!(%error, "nack failed; the message will be redelivered");
        }
    }

    #[cfg(test)]
    pub fn mock(body: Vec<u8>) -> Self {
        Self::from_delivery(Delivery::mock(1, "sdg.events".into(), "job.started".into(), false, body))
    }
}

/// A connection with a consuming channel (prefetch set) and a confirm-mode channel for dead letters.
struct IngestBroker {
    connection: Connection,
    consume_channel: Channel,
    publish_channel: Channel,
    depth_channel: Channel,
    consumer: Consumer,
}

enum IngestSessionEnd {
    Shutdown,
    Lost,
}

pub struct IngestConsumer {
    config: IngestConfig,
    sink: Arc<IngestSink>,
    codec: IngestCodec,
    metrics: Arc<IngestMetrics>,
}

impl IngestConsumer {
    /// Consumes `config.queue`, encoding each message with `codec`.
    pub fn new(config: IngestConfig, codec: IngestCodec, sink: Arc<IngestSink>, metrics: Arc<IngestMetrics>) -> Self {
        Self { config, sink, codec, metrics }
    }

    /// Consumes until shutdown is requested, reconnecting whenever RabbitMQ goes away.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = IngestBackoff::for_broker();
        loop {
            let broker = match self.connect(&mut shutdown).await {
                Ok(Some(broker)) => broker,
                Ok(None) => return,
                Err(error) => {
                    let delay = backoff.next_delay();
                    warn!(%error, attempt = backoff.attempt(), delay_ms = delay.as_millis() as u64,
                          "cannot reach RabbitMQ; retrying");
                    if !sleep_unless_shutdown(delay, &mut shutdown).await {
                        return;
                    }
                    continue;
                }
            };
            backoff.reset();
            if let IngestSessionEnd::Shutdown = self.run_session(broker, &mut shutdown).await {
                return;
            }
            warn!("lost the RabbitMQ connection or consumer; reconnecting");
        }
    }

    /// `Ok(None)` when shutdown was requested while waiting for the queue.
    async fn connect(&self, shutdown: &mut watch::Receiver<bool>) -> Result<Option<IngestBroker>, lapin::Error> {
        let properties = ConnectionProperties::default().with_connection_name("sdg-ingest".into());
        let connection = Connection::connect(&self.config.amqp_url, properties).await?;
        let Some(consume_channel) = self.wait_for_queue(&connection, shutdown).await? else {
            return Ok(None);
        };
        consume_channel.basic_qos(self.config.prefetch, BasicQosOptions::default()).await?;
        let publish_channel = connection.create_channel().await?;
        publish_channel.confirm_select(ConfirmSelectOptions::default()).await?;
        let depth_channel = connection.create_channel().await?;
        let consumer = consume_channel
            .basic_consume(
                self.config.queue.as_str().into(),
                format!("sdg-ingest-{}-{}", self.config.queue, std::process::id()).into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        info!(queue = %self.config.queue, prefetch = self.config.prefetch, "consuming");
        Ok(Some(IngestBroker { connection, consume_channel, publish_channel, depth_channel, consumer }))
    }

    /// Declares the queue passively (it belongs to the Python side, arguments and all) until it exists. A failed
    /// passive declare closes its channel, so each attempt gets a fresh one.
    async fn wait_for_queue(
        &self,
        connection: &Connection,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Option<Channel>, lapin::Error> {
        let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        let mut backoff = IngestBackoff::for_broker();
        loop {
            let channel = connection.create_channel().await?;
            let declared = channel.queue_declare(self.config.queue.as_str().into(), passive, FieldTable::default());
            match declared.await {
                Ok(queue) => {
                    info!(queue = %self.config.queue, messages = queue.message_count(), "queue found");
                    return Ok(Some(channel));
                }
                Err(error) if connection.status().connected() => {
                    let delay = backoff.next_delay();
                    warn!(queue = %self.config.queue, %error, attempt = backoff.attempt(),
                          delay_ms = delay.as_millis() as u64, "queue does not exist yet; waiting for it");
                    if !sleep_unless_shutdown(delay, shutdown).await {
                        return Ok(None);
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn run_session(&self, mut broker: IngestBroker, shutdown: &mut watch::Receiver<bool>) -> IngestSessionEnd {
        let dead_letter =
            Arc::new(IngestDeadLetter::new(broker.publish_channel.clone(), self.config.dead_letter_exchange.clone()));
        let acks = Arc::new(IngestAcks::new(broker.consume_channel.clone()));
        let mut flights = IngestFlights::new(self.config.max_in_flight, self.sink.clone(), dead_letter, acks);
        let queue_depth = IngestQueueDepth::new(
            broker.depth_channel.clone(),
            self.config.queue.clone(),
            self.config.queue_depth_poll,
            self.metrics.clone(),
        )
        .spawn();
        let mut batch = IngestBatch::new(IngestBatchLimits {
            max_docs: self.config.batch_max_docs,
            max_bytes: self.config.batch_max_bytes,
            max_wait: self.config.batch_max_wait,
        });
        let end = loop {
            let deadline = batch.deadline();
            tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => break IngestSessionEnd::Shutdown,
                next = broker.consumer.next() => match next {
                    Some(Ok(delivery)) => self.take_in(delivery, &mut batch, &mut flights).await,
                    Some(Err(error)) => {
                        warn!(%error, "consumer failed");
                        break IngestSessionEnd::Lost;
                    }
                    None => break IngestSessionEnd::Lost,
                },
                _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    flights.launch(batch.take()).await;
                }
                Some(joined) = flights.tasks.join_next(), if !flights.tasks.is_empty() => {
                    if report_join(joined).is_err() {
                        break IngestSessionEnd::Lost;
                    }
                }
            }
        };
        queue_depth.abort();
        self.finish_session(broker, batch, flights, &end).await;
        end
    }

    async fn take_in(&self, delivery: Delivery, batch: &mut IngestBatch, flights: &mut IngestFlights) {
        self.metrics.add_received(1);
        let delivery = IngestDelivery::from_delivery(delivery);
        let encoded = self.codec.encode(&delivery.body);
        let message = IngestMessage::new(delivery, encoded, self.config.max_doc_bytes);
        if let IngestFate::DeadLetter(reason) = &message.fate {
            warn!(%reason, queue = %self.config.queue, bytes = message.delivery.body.len(),
                  "message cannot be indexed; dead-lettering it");
        }
        if !batch.has_room_for(&message) {
            flights.launch(batch.take()).await;
        }
        batch.push(message);
        if batch.is_full() {
            flights.launch(batch.take()).await;
        }
    }

    /// On shutdown (or a consumer the broker cancelled on a live channel) the batches in flight finish and are
    /// acked before the channels close; on a dead connection nothing can be acked, so they are dropped and the
    /// broker redelivers them.
    async fn finish_session(
        &self,
        broker: IngestBroker,
        mut batch: IngestBatch,
        mut flights: IngestFlights,
        end: &IngestSessionEnd,
    ) {
        let graceful = matches!(end, IngestSessionEnd::Shutdown) || broker.consume_channel.status().connected();
        if !graceful {
            flights.tasks.abort_all();
            let _ = broker.connection.close(200, "sdg-ingest reconnecting".into()).await;
            return;
        }
        if broker.consume_channel.status().connected() {
            let tag = broker.consumer.tag();
            if let Err(error) = broker.consume_channel.basic_cancel(tag, BasicCancelOptions::default()).await {
                warn!(%error, "cancelling the consumer failed");
            }
        }
        flights.launch(batch.take()).await;
        info!(queue = %self.config.queue, in_flight = flights.tasks.len(), "finishing batches in flight");
        while let Some(joined) = flights.tasks.join_next().await {
            let _ = report_join(joined);
        }
        for channel in [&broker.depth_channel, &broker.publish_channel, &broker.consume_channel] {
            let _ = channel.close(200, "sdg-ingest stopping".into()).await;
        }
        let _ = broker.connection.close(200, "sdg-ingest stopping".into()).await;
        info!("channels closed");
    }
}

/// Sleeps for `delay`; false if shutdown was requested first.
async fn sleep_unless_shutdown(delay: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = shutdown.wait_for(|stop| *stop) => false,
        _ = sleep(delay) => true,
    }
}
