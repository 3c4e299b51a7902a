//! Drives one batch to durability: send, classify each item, resend only what Elasticsearch asked to have resent,
//! split a request it refused for its content until the messages it refuses are alone, then dead-letter what it
//! refused for good and ack everything else. Nothing is acked before all its items settle.

use crate::acks::IngestAcks;
use crate::backoff::IngestBackoff;
use crate::dead_letter::IngestDeadLetter;
use crate::metrics::IngestMetrics;
use crate::request_builder::{
    IngestFate, IngestItemRef, IngestMessage, build_bulk_body, pending_items, split_by_message,
};
use crate::retry::{IngestBulkOutcome, IngestItemOutcome, IngestRetryLogic};
use crate::service::IngestService;
use std::sync::{Arc, Mutex, PoisonError};
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
    /// When Elasticsearch last stored (or already held) a document this sink sent, from any batch.
    last_stored: Mutex<Option<Instant>>,
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
        Self { service, metrics, retry_max_backoff, last_stored: Mutex::default(), quiet: false }
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
    /// for the dead-letter exchange). A request refused for its content is split, so the rest still lands.
    pub async fn index(&self, messages: &mut [IngestMessage]) {
        let mut retries = IngestBatchRetries::new(self.retry_max_backoff);
        let mut chunks = vec![pending_items(messages)];
        while let Some(mut chunk) = chunks.pop() {
            chunk.retain(|item| messages[item.message].is_owed());
            if chunk.is_empty() {
                continue;
            }
            let outcome = self.send(messages, &chunk).await;
            match self.next_step(messages, chunk, outcome, &mut retries) {
                IngestNext::Done => {}
                IngestNext::Split(first, second) => chunks.extend([second, first]),
                IngestNext::Resend(items) => {
                    tokio::time::sleep(retries.backoff.next_delay()).await;
                    chunks.push(items);
                }
            }
        }
    }

    async fn send(&self, messages: &[IngestMessage], chunk: &[IngestItemRef]) -> IngestBulkOutcome {
        let body = build_bulk_body(messages, chunk);
        match self.service.send(body).await {
            Ok(reply) => IngestRetryLogic::classify(reply.status, &reply.body, chunk.len()),
            Err(error) => IngestBulkOutcome::RetryAll { status: None, reason: error.0 },
        }
    }

    fn next_step(
        &self,
        messages: &mut [IngestMessage],
        chunk: Vec<IngestItemRef>,
        outcome: IngestBulkOutcome,
        retries: &mut IngestBatchRetries,
    ) -> IngestNext {
        match outcome {
            IngestBulkOutcome::Items(outcomes) => {
                let again = self.apply_outcomes(messages, chunk, outcomes);
                if again.is_empty() {
                    return IngestNext::Done;
                }
                retries.failed();
                IngestNext::Resend(again)
            }
            IngestBulkOutcome::Refused { status, reason } => self.narrow_down(messages, chunk, status, reason, retries),
            IngestBulkOutcome::RetryAll { status, reason } => {
                retries.failed();
                self.metrics.add_retries(1);
                log_whole_request_failure(status, &reason, chunk.len(), retries.backoff.attempt());
                IngestNext::Resend(chunk)
            }
        }
    }

    /// A request refused for what it holds is split in two, each half sent on its own, until the messages it
    /// refuses are alone; one refused alone is dead-lettered, once Elasticsearch has stored documents of another
    /// request since this batch's refusals began. Until then the refusal may be everyone's (a proxy, a setting)
    /// and dead-lettering would drain the queue into the dead letters, so it is retried.
    fn narrow_down(
        &self,
        messages: &mut [IngestMessage],
        chunk: Vec<IngestItemRef>,
        status: u16,
        reason: String,
        retries: &mut IngestBatchRetries,
    ) -> IngestNext {
        let refused_since = retries.failed();
        if let Some((first, second)) = split_by_message(&chunk) {
            self.metrics.add_retries(1);
            warn!(status, %reason, items = chunk.len(), first_half = first.len(),
                  "Elasticsearch refused the bulk request for its content; sending each half on its own");
            return IngestNext::Split(first, second);
        }
        if self.stored_since(refused_since) {
            messages[chunk[0].message].refuse(reason);
            return IngestNext::Done;
        }
        self.metrics.add_retries(1);
        error!(status, %reason, items = chunk.len(), attempt = retries.backoff.attempt(),
               "Elasticsearch refused a message on its own and has stored nothing else since; retrying");
        IngestNext::Resend(chunk)
    }

    /// Whether Elasticsearch has stored a document this sink sent after `since`: then a refusal or failure that
    /// began at `since` is about what that batch holds, not about Elasticsearch or the way to it. (A 2xx answer
    /// alone proves nothing: every item in it may have failed, as under a read-only block.)
    fn stored_since(&self, since: Instant) -> bool {
        self.last_stored.lock().unwrap_or_else(PoisonError::into_inner).is_some_and(|stored| stored > since)
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
        if tally.indexed + tally.already_ingested > 0 {
            *self.last_stored.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        }
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

/// What is left to do with one chunk of a batch after its bulk request was answered.
enum IngestNext {
    Done,
    /// Send these items again, after a backoff.
    Resend(Vec<IngestItemRef>),
    /// Send each half on its own, the first first, without waiting.
    Split(Vec<IngestItemRef>, Vec<IngestItemRef>),
}

/// One batch's retries: the backoff between them, and when its requests began to fail or be refused.
struct IngestBatchRetries {
    backoff: IngestBackoff,
    failing_since: Option<Instant>,
}

impl IngestBatchRetries {
    fn new(max_backoff: Duration) -> Self {
        Self { backoff: IngestBackoff::for_bulk(max_backoff), failing_since: None }
    }

    /// Notes a failure and returns when the failures began.
    fn failed(&mut self) -> Instant {
        *self.failing_since.get_or_insert_with(Instant::now)
    }
}

fn log_whole_request_failure(status: Option<u16>, reason: &str, items: usize, attempt: u32) {
    let transient = status.is_none_or(IngestRetryLogic::is_transient_status);
    if transient {
        warn!(status, %reason, items, attempt, "bulk request failed; retrying the whole batch");
    } else {
        // A 4xx for the whole request other than a refusal of its content (`Refused`) means misconfiguration
        // (auth, URL, proxy), not a bad document: keep the messages and keep trying rather than dead-letter
        // everything.
        error!(status, %reason, items, attempt, "Elasticsearch rejected the whole bulk request; retrying");
    }
}

#[cfg(test)]
#[path = "sink_tests.rs"]
mod tests;
