//! Drives one batch to durability: send, classify each item, resend only what Elasticsearch asked to have resent,
//! then dead-letter what it refused for good and ack everything else. Nothing is acked before all its items settle.

use crate::dead_letter::IngestDeadLetter;
use crate::metrics::IngestMetrics;
use crate::request_builder::{IngestItemRef, IngestMessage, build_bulk_body, pending_items};
use crate::retry::{IngestBackoff, IngestBulkOutcome, IngestItemOutcome, IngestRetryLogic};
use crate::service::IngestService;
use std::sync::Arc;
use std::time::Instant;
use tracing::{error, info, warn};

pub struct IngestSink {
    service: IngestService,
    metrics: Arc<IngestMetrics>,
}

/// Tallies of one bulk response.
#[derive(Default)]
struct IngestTally {
    indexed: u64,
    already_ingested: u64,
    refused: u64,
}

impl IngestSink {
    pub fn new(service: IngestService, metrics: Arc<IngestMetrics>) -> Self {
        Self { service, metrics }
    }

    pub async fn process(&self, mut messages: Vec<IngestMessage>, dead_letter: &IngestDeadLetter) {
        let started = Instant::now();
        let docs = pending_items(&messages).len();
        self.index_until_settled(&mut messages).await;
        let (acked, dead_lettered) = self.settle(&messages, dead_letter).await;
        let latency = started.elapsed();
        self.metrics.record_batch(latency);
        info!(
            messages = messages.len(),
            docs,
            acked,
            dead_lettered,
            latency_ms = latency.as_millis() as u64,
            "batch settled"
        );
    }

    /// Returns once every item is indexed, already present, or its message is bound for the dead-letter exchange.
    async fn index_until_settled(&self, messages: &mut [IngestMessage]) {
        let mut pending = pending_items(messages);
        let mut backoff = IngestBackoff::for_bulk();
        while !pending.is_empty() {
            let body = build_bulk_body(messages, &pending);
            let outcome = match self.service.send(body).await {
                Ok(reply) => IngestRetryLogic::classify(reply.status, &reply.body, pending.len()),
                Err(error) => IngestBulkOutcome::RetryAll { status: None, reason: error.0 },
            };
            pending = match outcome {
                IngestBulkOutcome::Items(outcomes) => self.apply_outcomes(messages, pending, outcomes),
                IngestBulkOutcome::RetryAll { status, reason } => {
                    self.metrics.add_retries(1);
                    log_whole_request_failure(status, &reason, pending.len(), backoff.attempt());
                    pending
                }
            };
            if !pending.is_empty() {
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }

    /// Marks refused messages for dead-lettering and returns the items to send again.
    fn apply_outcomes(
        &self,
        messages: &mut [IngestMessage],
        sent: Vec<IngestItemRef>,
        outcomes: Vec<IngestItemOutcome>,
    ) -> Vec<IngestItemRef> {
        let mut tally = IngestTally::default();
        let mut again = Vec::new();
        let mut retry_reason = None;
        for (item, outcome) in sent.into_iter().zip(outcomes) {
            match outcome {
                IngestItemOutcome::Indexed => tally.indexed += 1,
                IngestItemOutcome::AlreadyIngested => tally.already_ingested += 1,
                IngestItemOutcome::Retry(reason) => {
                    again.push(item);
                    retry_reason.get_or_insert(reason);
                }
                IngestItemOutcome::DeadLetter(reason) => {
                    tally.refused += 1;
                    messages[item.message].dead_letter_reason.get_or_insert(reason);
                }
            }
        }
        self.metrics.add_docs_indexed(tally.indexed);
        self.metrics.add_docs_already_ingested(tally.already_ingested);
        // A message already bound for the dead-letter exchange needs none of its other items retried.
        again.retain(|item| messages[item.message].dead_letter_reason.is_none());
        if let Some(reason) = retry_reason.filter(|_| !again.is_empty()) {
            self.metrics.add_retries(again.len() as u64);
            warn!(items = again.len(), indexed = tally.indexed, first_reason = %reason,
                  "Elasticsearch refused some items for now; retrying only those");
        }
        again
    }

    /// Dead-letters (confirmed) then acks each refused message, and acks the rest. Returns (acked, dead-lettered).
    async fn settle(&self, messages: &[IngestMessage], dead_letter: &IngestDeadLetter) -> (u64, u64) {
        let (mut acked, mut dead_lettered) = (0, 0);
        for message in messages {
            if let Some(reason) = &message.dead_letter_reason {
                if let Err(failure) = dead_letter.publish(&message.delivery, reason).await {
                    error!(event_id = message.event_id(), job_id = message.job_id(), %failure, %reason,
                           "dead-lettering failed; requeueing the message");
                    message.delivery.requeue().await;
                    continue;
                }
                dead_lettered += 1;
                warn!(event_id = message.event_id(), job_id = message.job_id(), %reason, "message dead-lettered");
            }
            if message.delivery.ack().await {
                acked += 1;
            }
        }
        self.metrics.add_acked(acked);
        self.metrics.add_dead_lettered(dead_lettered);
        (acked, dead_lettered)
    }
}

fn log_whole_request_failure(status: Option<u16>, reason: &str, items: usize, attempt: u32) {
    let transient = status.is_none_or(IngestRetryLogic::is_transient_status);
    if transient {
        warn!(status, %reason, items, attempt, "bulk request failed; retrying the whole batch");
    } else {
        // A 4xx for the whole request means misconfiguration (auth, URL, proxy), not a bad document: keep the
        // messages and keep trying rather than dead-letter everything.
        error!(status, %reason, items, attempt, "Elasticsearch rejected the whole bulk request; retrying");
    }
}
