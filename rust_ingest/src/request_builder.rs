//! Gathers encoded messages into batches (closed by document count, bytes or age, whichever comes first) and
//! concatenates the actions still owed into one `_bulk` request body.

use crate::config::ENV_PREFIX;
use crate::consumer::IngestDelivery;
use crate::encoder::IngestEncoded;
use std::time::Duration;
use tokio::time::Instant;

/// What becomes of a consumed message once its batch is done.
#[derive(Clone, Debug, PartialEq)]
pub enum IngestFate {
    /// Its actions are (still) to be stored; acked once they all are.
    Index,
    /// Elasticsearch will never take it: published to the dead-letter exchange with this reason, then acked.
    DeadLetter(String),
    /// It kept failing (for this reason) while Elasticsearch stored other messages: put back in the queue (nack,
    /// requeue) for a later delivery, so it stalls nothing meanwhile; the queue's delivery limit dead-letters it if
    /// that keeps happening.
    Requeue(String),
}

/// One consumed message, what it encodes to, and what becomes of it.
pub struct IngestMessage {
    pub delivery: IngestDelivery,
    pub encoded: Option<IngestEncoded>,
    pub fate: IngestFate,
}

impl IngestMessage {
    /// A message whose body could not be encoded is dead-lettered with the encoder's reason, and so is one with a
    /// bulk action over `max_doc_bytes`, unsent.
    pub fn new(delivery: IngestDelivery, encoded: Result<IngestEncoded, String>, max_doc_bytes: usize) -> Self {
        match encoded {
            Ok(mut encoded) => match oversized_action(&encoded, max_doc_bytes) {
                None => Self { delivery, encoded: Some(encoded), fate: IngestFate::Index },
                Some(reason) => {
                    // Its identity stays for the logs; its actions, never to be sent, need not count in the batch.
                    encoded.actions.clear();
                    Self { delivery, encoded: Some(encoded), fate: IngestFate::DeadLetter(reason) }
                }
            },
            Err(reason) => Self { delivery, encoded: None, fate: IngestFate::DeadLetter(reason) },
        }
    }

    /// Whether its actions are still to be sent.
    pub fn is_owed(&self) -> bool {
        self.fate == IngestFate::Index
    }

    /// Binds the message for the dead-letter exchange; the first reason given is the one kept.
    pub fn refuse(&mut self, reason: String) {
        if self.is_owed() {
            self.fate = IngestFate::DeadLetter(reason);
        }
    }

    /// Binds the message to be put back in the queue, unless it is already bound elsewhere.
    pub fn hand_back(&mut self, reason: String) {
        if self.is_owed() {
            self.fate = IngestFate::Requeue(reason);
        }
    }

    pub fn docs(&self) -> usize {
        self.encoded.as_ref().map_or(0, |encoded| encoded.actions.len())
    }

    pub fn bytes(&self) -> usize {
        self.encoded.as_ref().map_or(0, |encoded| encoded.actions.iter().map(|action| action.ndjson.len()).sum())
    }

    pub fn event_id(&self) -> &str {
        self.encoded.as_ref().map_or("", |encoded| encoded.event_id.as_str())
    }

    pub fn job_id(&self) -> &str {
        self.encoded.as_ref().map_or("", |encoded| encoded.job_id.as_str())
    }
}

/// Why a message may not be sent: an action (action line and document) over `max_doc_bytes`. Elasticsearch refuses
/// a request over `http.max_content_length` (100 MB by default) whole, and a document anywhere near that costs it
/// memory enough to trip its circuit breakers (429, for ever) before that.
fn oversized_action(encoded: &IngestEncoded, max_doc_bytes: usize) -> Option<String> {
    let largest = encoded.actions.iter().map(|action| action.ndjson.len()).max()?;
    (largest > max_doc_bytes).then(|| {
        format!(
            "document_too_large: a bulk action of {largest} bytes, over {ENV_PREFIX}MAX_DOC_BYTES ({max_doc_bytes})"
        )
    })
}

#[derive(Clone, Copy, Debug)]
pub struct IngestBatchLimits {
    pub max_docs: usize,
    pub max_bytes: usize,
    pub max_wait: Duration,
}

pub struct IngestBatch {
    limits: IngestBatchLimits,
    messages: Vec<IngestMessage>,
    docs: usize,
    bytes: usize,
    deadline: Option<Instant>,
}

impl IngestBatch {
    pub fn new(limits: IngestBatchLimits) -> Self {
        Self { limits, messages: Vec::new(), docs: 0, bytes: 0, deadline: None }
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// False when adding `message` would push a non-empty batch past a limit; the caller sends this batch first.
    pub fn has_room_for(&self, message: &IngestMessage) -> bool {
        self.is_empty()
            || (self.docs + message.docs() <= self.limits.max_docs
                && self.bytes + message.bytes() <= self.limits.max_bytes)
    }

    pub fn push(&mut self, message: IngestMessage) {
        if self.deadline.is_none() {
            self.deadline = Some(Instant::now() + self.limits.max_wait);
        }
        self.docs += message.docs();
        self.bytes += message.bytes();
        self.messages.push(message);
    }

    pub fn is_full(&self) -> bool {
        self.docs >= self.limits.max_docs || self.bytes >= self.limits.max_bytes
    }

    /// When the oldest message in the batch has waited long enough; `None` while the batch is empty.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    pub fn take(&mut self) -> Vec<IngestMessage> {
        self.docs = 0;
        self.bytes = 0;
        self.deadline = None;
        std::mem::take(&mut self.messages)
    }
}

/// Where one bulk action comes from: the message's position in its batch and the action's position in the message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IngestItemRef {
    pub message: usize,
    pub action: usize,
}

/// Every action of every message still owed to Elasticsearch.
pub fn pending_items(messages: &[IngestMessage]) -> Vec<IngestItemRef> {
    let mut items = Vec::new();
    for (position, message) in messages.iter().enumerate() {
        if !message.is_owed() {
            continue;
        }
        items.extend((0..message.docs()).map(|action| IngestItemRef { message: position, action }));
    }
    items
}

/// Splits `items` (in message order, as `pending_items` gives them) into two halves at the message boundary nearest
/// the middle message, so that each message's actions stay together; `None` when they all belong to one message.
pub fn split_by_message(items: &[IngestItemRef]) -> Option<(Vec<IngestItemRef>, Vec<IngestItemRef>)> {
    let starts: Vec<usize> = (0..items.len())
        .filter(|&position| position == 0 || items[position].message != items[position - 1].message)
        .collect();
    if starts.len() < 2 {
        return None;
    }
    let middle = starts[starts.len() / 2];
    Some((items[..middle].to_vec(), items[middle..].to_vec()))
}

/// The NDJSON body for `items`, in order, so the n-th item of the response answers `items[n]`.
pub fn build_bulk_body(messages: &[IngestMessage], items: &[IngestItemRef]) -> Vec<u8> {
    let actions = items.iter().filter_map(|item| {
        let encoded = messages.get(item.message)?.encoded.as_ref()?;
        encoded.actions.get(item.action)
    });
    let size = actions.clone().map(|action| action.ndjson.len()).sum();
    let mut body = Vec::with_capacity(size);
    for action in actions {
        body.extend_from_slice(&action.ndjson);
    }
    body
}

/// Messages for the tests of this module and of the sink.
#[cfg(test)]
pub mod fixtures {
    use super::*;
    use crate::encoder::IngestEncoder;

    /// `body` as consumed, encoded into the indices `events` and `records`.
    pub fn message(body: &str) -> IngestMessage {
        message_within(body, usize::MAX)
    }

    /// `body` as consumed where a bulk action may hold at most `max_doc_bytes`.
    pub fn message_within(body: &str, max_doc_bytes: usize) -> IngestMessage {
        let delivery = IngestDelivery::mock(body.as_bytes().to_vec());
        let encoded =
            IngestEncoder::new("events", "records").encode(body.as_bytes()).map_err(|error| error.to_string());
        IngestMessage::new(delivery, encoded, max_doc_bytes)
    }

    /// A valid `RecordGenerated` whose record id is `id` and whose event id ends in `id` (a hex digit).
    pub fn record(id: &str) -> String {
        format!(
            r#"{{"event_id":"{}","type":"RecordGenerated","job_id":"j","sequence":1,"tenant":"t","record_id":"{id}","index":0,"record":{{}},"correlation_id":"c","occurred_at":"2026-11-27T00:00:00Z"}}"#,
            event_id(id)
        )
    }

    pub fn event_id(id: &str) -> String {
        format!("00000000-0000-4000-8000-00000000000{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{message, message_within, record};
    use super::*;

    fn limits(max_docs: usize, max_bytes: usize) -> IngestBatchLimits {
        IngestBatchLimits { max_docs, max_bytes, max_wait: Duration::from_millis(200) }
    }

    #[test]
    fn batch_closes_on_document_count() {
        let mut batch = IngestBatch::new(limits(4, usize::MAX));
        batch.push(message(&record("1")));
        assert!(!batch.is_full());
        assert!(batch.deadline().is_some());
        batch.push(message(&record("2")));
        assert!(batch.is_full());
        let taken = batch.take();
        assert_eq!(taken.len(), 2);
        assert!(batch.is_empty() && batch.deadline().is_none());
    }

    #[test]
    fn batch_refuses_a_message_that_would_exceed_its_bytes() {
        let first = message(&record("1"));
        let mut batch = IngestBatch::new(limits(100, first.bytes() + 10));
        assert!(batch.has_room_for(&first));
        batch.push(first);
        assert!(!batch.has_room_for(&message(&record("2"))));
    }

    #[test]
    fn a_message_with_an_action_over_the_document_limit_is_dead_lettered_unsent() {
        let whole = message(&record("1"));
        let largest = whole.encoded.as_ref().unwrap().actions.iter().map(|action| action.ndjson.len()).max().unwrap();
        assert!(message_within(&record("1"), largest).is_owed(), "an action of exactly the limit is sent");
        let refused = message_within(&record("1"), largest - 1);
        let reason = format!(
            "document_too_large: a bulk action of {largest} bytes, over SDG_INGEST_MAX_DOC_BYTES ({})",
            largest - 1
        );
        assert_eq!(refused.fate, IngestFate::DeadLetter(reason));
        assert_eq!(refused.event_id(), "00000000-0000-4000-8000-000000000001", "its identity stays for the logs");
        assert_eq!((refused.docs(), refused.bytes()), (0, 0));
        assert!(pending_items(&[refused]).is_empty());
    }

    fn item(message: usize, action: usize) -> IngestItemRef {
        IngestItemRef { message, action }
    }

    #[test]
    fn a_request_is_split_in_two_at_a_message_boundary_keeping_each_messages_actions_together() {
        let items = [item(0, 0), item(0, 1), item(1, 0), item(3, 0), item(3, 1), item(4, 0), item(4, 1)];
        let (first, second) = split_by_message(&items).unwrap();
        assert_eq!(first, items[..3].to_vec());
        assert_eq!(second, items[3..].to_vec());
        let (first, second) = split_by_message(&items[..3]).unwrap();
        assert_eq!((first, second), (vec![item(0, 0), item(0, 1)], vec![item(1, 0)]));
    }

    #[test]
    fn repeated_splitting_ends_at_single_messages() {
        let items: Vec<IngestItemRef> = (0..5).flat_map(|message| [item(message, 0), item(message, 1)]).collect();
        let (mut chunks, mut singles) = (vec![items], Vec::new());
        while let Some(chunk) = chunks.pop() {
            match split_by_message(&chunk) {
                Some((first, second)) => chunks.extend([first, second]),
                None => singles.push(chunk),
            }
        }
        singles.sort_by_key(|chunk| chunk[0].message);
        let expected: Vec<Vec<IngestItemRef>> =
            (0..5).map(|message| vec![item(message, 0), item(message, 1)]).collect();
        assert_eq!(singles, expected);
    }

    #[test]
    fn one_messages_actions_are_not_split() {
        assert_eq!(split_by_message(&[item(2, 0), item(2, 1)]), None);
        assert_eq!(split_by_message(&[item(2, 1)]), None);
        assert_eq!(split_by_message(&[]), None);
    }

    #[test]
    fn bulk_body_holds_only_the_requested_items_in_order() {
        let messages = vec![message(&record("1")), message("not json"), message(&record("2"))];
        let items = pending_items(&messages);
        assert_eq!(items.len(), 4);
        assert_eq!(items[2], IngestItemRef { message: 2, action: 0 });
        let body = String::from_utf8(build_bulk_body(&messages, &[items[3], items[0]])).unwrap();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], r#"{"index":{"_index":"records","_id":"2","version":1,"version_type":"external"}}"#);
        assert_eq!(lines[2], r#"{"create":{"_index":"events","_id":"00000000-0000-4000-8000-000000000001"}}"#);
        assert!(body.ends_with('\n'));
    }
}
