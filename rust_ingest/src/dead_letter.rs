//! Publishes a message Elasticsearch will never accept to the dead-letter exchange, with the reason in a header,
//! and waits for the broker's confirm before the caller may ack the original.

use crate::consumer::IngestDelivery;
use lapin::options::BasicPublishOptions;
use lapin::types::{AMQPValue, LongString};
use lapin::{BasicProperties, Channel, Confirmation};

pub const REASON_HEADER: &str = "x-sdg-reason";
pub const SOURCE_HEADER: &str = "x-sdg-source";
pub const SOURCE: &str = "rust_ingest";
const PERSISTENT: u8 = 2;
/// Elasticsearch reasons can quote whole field values; the header only needs enough to diagnose.
const MAX_REASON_BYTES: usize = 2048;

pub struct IngestDeadLetter {
    channel: Channel,
    exchange: String,
}

impl IngestDeadLetter {
    /// `channel` must be in confirm mode.
    pub fn new(channel: Channel, exchange: String) -> Self {
        Self { channel, exchange }
    }

    /// Publishes the original body, properties and routing key; `Ok` only once the broker has confirmed it and
    /// routed it somewhere (published as mandatory, so an exchange with no queue bound is an error, not a loss).
    pub async fn publish(&self, delivery: &IngestDelivery, reason: &str) -> Result<(), String> {
        let properties = dead_letter_properties(&delivery.properties, reason);
        let options = BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() };
        let confirm = self
            .channel
            .basic_publish(
                self.exchange.as_str().into(),
                delivery.routing_key.as_str().into(),
                options,
                &delivery.body,
                properties,
            )
            .await
            .map_err(|error| format!("publish to {} failed: {error}", self.exchange))?;
        match confirm.await.map_err(|error| format!("no confirm from {}: {error}", self.exchange))? {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(returned)) => {
                Err(format!("{} returned the message: {}", self.exchange, returned.reply_text.as_str()))
            }
            Confirmation::Nack(_) => Err(format!("{} nacked the message", self.exchange)),
            Confirmation::NotRequested => Err("dead-letter channel is not in confirm mode".to_owned()),
        }
    }
}

/// The original properties (message id, content type, ...) plus the two headers, persistent.
pub fn dead_letter_properties(original: &BasicProperties, reason: &str) -> BasicProperties {
    let mut headers = original.headers().clone().unwrap_or_default();
    headers.insert(REASON_HEADER.into(), long_string(truncate(reason, MAX_REASON_BYTES)));
    headers.insert(SOURCE_HEADER.into(), long_string(SOURCE));
    original.clone().with_headers(headers).with_delivery_mode(PERSISTENT)
}

fn truncate(text: &str, max_bytes: usize) -> &str {
    let mut end = text.len().min(max_bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn long_string(text: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapin::types::FieldTable;

    fn header_text(headers: &FieldTable, name: &str) -> Option<String> {
        match headers.inner().get(name)? {
            AMQPValue::LongString(text) => Some(text.to_string()),
            AMQPValue::ShortString(text) => Some(text.as_str().to_owned()),
            _ => None,
        }
    }

    #[test]
    fn dead_letter_keeps_original_properties_and_adds_reason_and_source() {
        let mut original_headers = FieldTable::default();
        original_headers.insert("x-trace".into(), long_string("abc"));
        let original = BasicProperties::default()
            .with_message_id("e-1".into())
            .with_content_type("application/json".into())
            .with_headers(original_headers);
        let properties = dead_letter_properties(&original, "mapper_parsing_exception: bad");
        let headers = properties.headers().clone().unwrap_or_default();
        assert_eq!(header_text(&headers, REASON_HEADER).as_deref(), Some("mapper_parsing_exception: bad"));
        assert_eq!(header_text(&headers, SOURCE_HEADER).as_deref(), Some("rust_ingest"));
        assert_eq!(header_text(&headers, "x-trace").as_deref(), Some("abc"));
        assert_eq!(properties.message_id().as_ref().map(|id| id.as_str()), Some("e-1"));
        assert_eq!(*properties.delivery_mode(), Some(PERSISTENT));
    }
}
