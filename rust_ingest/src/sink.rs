//! Drives one batch to durability: send, classify each item, resend only what Elasticsearch asked to have resent,
//! split a request it refused for its content until the messages it refuses are alone, hand back to the broker what
//! kept failing past the retry budget while other batches were stored, then dead-letter what it refused for good and
//! ack everything else. Nothing is acked before all its items settle.

use crate::acks::IngestAcks;
use crate::backoff::{IngestBatchRetries, IngestRetryLimits};
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
    retry_limits: IngestRetryLimits,
    /// When Elasticsearch last stored (or already held) a document this sink sent, from any batch.
    last_stored: Mutex<Option<Instant>>,
    /// The sink of log lines says nothing per batch above debug: its own lines would be shipped, and settling
    /// those would make more, for ever.
    quiet: bool,
}

/// What became of one batch's messages when it settled.
#[derive(Clone, Copy, Default)]
struct IngestSettleCounts {
    acked: u64,
    dead_lettered: u64,
    requeued: u64,
}

/// Tallies of one bulk response.
#[derive(Default)]
struct IngestTally {
    indexed: u64,
    already_ingested: u64,
    refused: u64,
}

impl IngestSink {
    pub fn new(service: IngestService, metrics: Arc<IngestMetrics>, retry_limits: IngestRetryLimits) -> Self {
        Self { service, metrics, retry_limits, last_stored: Mutex::default(), quiet: false }
    }

    pub fn quiet(self) -> Self {
        Self { quiet: true, ..self }
    }

    /// Dead-letters the refused messages (each confirmed by the broker, else put back), puts back those to be
    /// handed back, then settles the batch with the broker through `acks`, and records the batch from `started`.
    pub async fn settle(
        &self,
        messages: &[IngestMessage],
        dead_letter: &IngestDeadLetter,
        acks: &IngestAcks,
        started: Instant,
    ) {
        let mut counts = IngestSettleCounts::default();
        let mut tags = Vec::with_capacity(messages.len());
        for message in messages {
            let ack = self.settle_message(message, dead_letter, &mut counts).await;
            tags.push((message.delivery.delivery_tag, ack));
        }
        counts.acked = match acks.settle(tags).await {
            Ok(acked) => acked,
            Err(error) => {
                warn!(%error, "ack failed; the channel is gone and the broker will redeliver (409s make that harmless)");
                0
            }
        };
        self.metrics.add_dead_lettered(counts.dead_lettered);
        self.metrics.add_requeued(counts.requeued);
        self.metrics.add_acked(counts.acked);
        let latency = started.elapsed();
        self.metrics.record_batch(latency);
        self.log_settled(messages, &counts, latency);
    }

    /// Dead-letters or puts back `message` if its fate says so; whether it is then to be acked.
    async fn settle_message(
        &self,
        message: &IngestMessage,
        dead_letter: &IngestDeadLetter,
        counts: &mut IngestSettleCounts,
    ) -> bool {
        let (event_id, job_id) = (message.event_id(), message.job_id());
        match &message.fate {
            IngestFate::Index => true,
            IngestFate::DeadLetter(reason) => match dead_letter.publish(&message.delivery, reason).await {
                Ok(()) => {
                    counts.dead_lettered += 1;
                    warn!(event_id, job_id, %reason, "message dead-lettered");
                    true
                }
                Err(failure) => {
                    error!(event_id, job_id, %failure, %reason, "dead-lettering failed; requeueing the message");
                    message.delivery.requeue().await;
                    counts.requeued += 1;
                    false
                }
            },
            IngestFate::Requeue(reason) => {
                warn!(event_id, job_id, %reason, "message handed back to the queue for a later delivery");
                message.delivery.requeue().await;
                counts.requeued += 1;
                false
            }
        }
    }

    fn log_settled(&self, messages: &[IngestMessage], counts: &IngestSettleCounts, latency: Duration) {
        let (messages_count, docs, latency_ms) =
            (messages.len(), pending_items(messages).len(), latency.as_millis() as u64);
        let IngestSettleCounts { acked, dead_lettered, requeued } = *counts;
        if self.quiet {
            debug!(messages = messages_count, docs, acked, dead_lettered, requeued, latency_ms, "batch settled");
            return;
        }
        info!(messages = messages_count, docs, acked, dead_lettered, requeued, latency_ms, "batch settled");
        for message in messages.iter().filter(|message| message.is_owed()) {
            if let Some(encoded) =
                message.encoded.as_ref().filter(|encoded| JOB_MILESTONES.contains(&encoded.event_type))
            {
                info!(job_id = %encoded.job_id, event_id = %encoded.event_id, event_type = encoded.event_type,
                      "job event indexed");
            }
        }
    }

    /// Sends the batch until every item is stored, already present, refused for good (its message then bound for
    /// the dead-letter exchange) or failing past the retry budget (its message then to be handed back). A request
    /// refused for its content is split, so the rest still lands.
    pub async fn index(&self, messages: &mut [IngestMessage]) {
        let mut retries = IngestBatchRetries::new(self.retry_limits);
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
                let (again, reason) = self.apply_outcomes(messages, chunk, outcomes);
                if again.is_empty() {
                    return IngestNext::Done;
                }
                retries.failed(Instant::now());
                if self.budget_spent(retries) {
                    self.hand_back(messages, &again, &reason);
                    return IngestNext::Done;
                }
                self.metrics.add_retries(again.len() as u64);
                warn!(items = again.len(), first_reason = %reason,
                      "Elasticsearch refused some items for now; retrying only those");
                IngestNext::Resend(again)
            }
            IngestBulkOutcome::Refused { status, reason } => self.narrow_down(messages, chunk, status, reason, retries),
            IngestBulkOutcome::RetryAll { status, reason } => {
                retries.failed(Instant::now());
                if self.budget_spent(retries) {
                    return self.give_up_on(messages, chunk, &reason);
                }
                self.metrics.add_retries(1);
                log_whole_request_failure(status, &reason, chunk.len(), retries.backoff.attempt());
                IngestNext::Resend(chunk)
            }
        }
    }

    /// Whether the batch has been failing for its whole budget while Elasticsearch stored other documents of this
    /// sink: then what fails is in the batch, and retrying it any longer would stall everyone behind it (acks are
    /// cumulative, so no later delivery can be acked before it). While Elasticsearch stores nothing at all (it is
    /// down, or refuses everyone) the budget never runs out: there is nothing to stall, and nothing is handed back.
    fn budget_spent(&self, retries: &IngestBatchRetries) -> bool {
        retries.spent_since(Instant::now()).is_some_and(|since| self.stored_since(since))
    }

    /// A request that keeps failing as a whole is split, each half sent at once, until its messages that fail are
    /// alone; those are handed back.
    fn give_up_on(&self, messages: &mut [IngestMessage], chunk: Vec<IngestItemRef>, reason: &str) -> IngestNext {
        if let Some((first, second)) = split_by_message(&chunk) {
            self.metrics.add_retries(1);
            warn!(%reason, items = chunk.len(), first_half = first.len(),
                  "bulk request still failing while other batches are stored; sending each half on its own");
            return IngestNext::Split(first, second);
        }
        self.hand_back(messages, &chunk, reason);
        IngestNext::Done
    }

    fn hand_back(&self, messages: &mut [IngestMessage], items: &[IngestItemRef], reason: &str) {
        let budget = self.retry_limits.budget;
        let reason = format!("retry_budget_spent: still failing after {budget:?} of retries: {reason}");
        for item in items {
            messages[item.message].hand_back(reason.clone());
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
        let refused_since = retries.failed(Instant::now());
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

    /// Marks refused messages for dead-lettering and returns the items to send again, with the first reason given.
    fn apply_outcomes(
        &self,
        messages: &mut [IngestMessage],
        sent: Vec<IngestItemRef>,
        outcomes: Vec<IngestItemOutcome>,
    ) -> (Vec<IngestItemRef>, String) {
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
        (again, retry_reason.unwrap_or_default())
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
