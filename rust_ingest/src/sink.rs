//! Drives one batch to durability: send, classify each item, resend only what Elasticsearch asked to have resent,
//! then dead-letter what it refused for good and ack everything else. Nothing is acked before all its items settle.

use crate::acks::IngestAcks;
use crate::backoff::IngestBackoff;
use crate::dead_letter::IngestDeadLetter;
use crate::metrics::IngestMetrics;
use crate::request_builder::{IngestFate, IngestItemRef, IngestMessage, build_bulk_body, pending_items};
use crate::retry::{IngestBulkOutcome, IngestItemOutcome, IngestRetryLogic};
use crate::service::IngestService;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, error, info, warn};

/// Events whose indexing is worth a log line of its own: an operator following one job finds when its life's
/// milestones reached Elasticsearch.
const JOB_MILESTONES: [&str; 6] =
    ["JobSubmitted", "JobStarted", "JobCompleted", "JobFailed", "JobCancelled", "BatchSubmitted"];

pub struct IngestSink {
    service: IngestService,
    metrics: Arc<IngestMetrics>,
    retry_max_backoff: Duration,
    /// The sink of log lines says nothing per batch above debug: its own lines would be shipped, and settling
    /// those would make more, for ever.
    quiet: bool,
}

/// Tallies of one bulk response.
#[derive(Default)]
struct IngestTally {
    indexed: u64,
    already_ingested: u64,
    refused: u64,
}

impl IngestSink {
    pub fn new(service: IngestService, metrics: Arc<IngestMetrics>, retry_max_backoff: Duration) -> Self {
        Self { service, metrics, retry_max_backoff, quiet: false }
    }

    pub fn quiet(self) -> Self {
        Self { quiet: true, ..self }
    }

    /// Dead-letters the refused messages (each confirmed by the broker, else put back), then settles the batch
    /// with the broker through `acks`, and records the batch from `started`.
    pub async fn settle(
        &self,
        messages: &[IngestMessage],
        dead_letter: &IngestDeadLetter,
        acks: &IngestAcks,
        started: Instant,
    ) {
        let mut tags = Vec::with_capacity(messages.len());
        let mut dead_lettered = 0;
        for message in messages {
            let tag = message.delivery.delivery_tag;
            match &message.fate {
                IngestFate::Index => tags.push((tag, true)),
                IngestFate::DeadLetter(reason) => match dead_letter.publish(&message.delivery, reason).await {
                    Ok(()) => {
                        dead_lettered += 1;
                        warn!(event_id = message.event_id(), job_id = message.job_id(), %reason, "message dead-lettered");
                        tags.push((tag, true));
                    }
                    Err(failure) => {
                        error!(event_id = message.event_id(), job_id = message.job_id(), %failure, %reason,
                               "dead-lettering failed; requeueing the message");
                        message.delivery.requeue().await;
                        tags.push((tag, false));
                    }
                },
            }
        }
        let acked = match acks.settle(tags).await {
            Ok(acked) => acked,
            Err(error) => {
                warn!(%error, "ack failed; the channel is gone and the broker will redeliver (409s make that harmless)");
                0
            }
        };
        self.metrics.add_dead_lettered(dead_lettered);
        self.metrics.add_acked(acked);
        let latency = started.elapsed();
        self.metrics.record_batch(latency);
        let (messages_count, docs, latency_ms) =
            (messages.len(), pending_items(messages).len(), latency.as_millis() as u64);
        if self.quiet {
            debug!(messages = messages_count, docs, acked, dead_lettered, latency_ms, "batch settled");
            return;
        }
        info!(messages = messages_count, docs, acked, dead_lettered, latency_ms, "batch settled");
        for message in messages.iter().filter(|message| message.is_owed()) {
            if let Some(encoded) =
                message.encoded.as_ref().filter(|encoded| JOB_MILESTONES.contains(&encoded.event_type))
            {
                info!(job_id = %encoded.job_id, event_id = %encoded.event_id, event_type = encoded.event_type,
                      "job event indexed");
            }
        }
    }

    /// Sends the batch until every item is stored, already present, or refused for good (its message then bound
    /// for the dead-letter exchange).
    pub async fn index(&self, messages: &mut [IngestMessage]) {
        let mut pending = pending_items(messages);
        let mut backoff = IngestBackoff::for_bulk(self.retry_max_backoff);
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
                    messages[item.message].refuse(reason);
                }
            }
        }
        self.metrics.add_docs_indexed(tally.indexed);
        self.metrics.add_docs_already_ingested(tally.already_ingested);
        // A message already bound for the dead-letter exchange needs none of its other items retried.
        again.retain(|item| messages[item.message].is_owed());
        if let Some(reason) = retry_reason.filter(|_| !again.is_empty()) {
            self.metrics.add_retries(again.len() as u64);
            warn!(items = again.len(), indexed = tally.indexed, first_reason = %reason,
                  "Elasticsearch refused some items for now; retrying only those");
        }
        again
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
