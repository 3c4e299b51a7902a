//! Log lines -> bulk NDJSON actions. A log message is NDJSON: one JSON object per line, each with the `log_id` it
//! was given where it was written and its `timestamp` (RFC 3339, UTC). Every line becomes a `create` in the day's
//! index `<prefix>YYYY.MM.DD` under its `log_id`, so a message delivered twice is stored once (409 = done). The line
//! itself is stored byte for byte.

use crate::encoder::{IngestAction, IngestEncoded, IngestEncoder};
use serde::Deserialize;
use serde_json::value::RawValue;

pub const LOG_LINES_TYPE: &str = "LogLines";

/// What one consumed message is: a job event, or a batch of log lines.
#[derive(Clone, Debug)]
pub enum IngestCodec {
    Events(IngestEncoder),
    Logs(IngestLogEncoder),
}

impl IngestCodec {
    /// Refuses a body that cannot be indexed; the error is the reason to dead-letter it with.
    pub fn encode(&self, body: &[u8]) -> Result<IngestEncoded, String> {
        match self {
            Self::Events(encoder) => encoder.encode(body).map_err(|error| error.to_string()),
            Self::Logs(encoder) => encoder.encode(body),
        }
    }
}

#[derive(Clone, Debug)]
pub struct IngestLogEncoder {
    index_prefix: String,
}

#[derive(Deserialize)]
struct IngestLogFields<'a> {
    #[serde(borrow)]
    log_id: Option<&'a RawValue>,
    timestamp: Option<&'a str>,
}

impl IngestLogEncoder {
    pub fn new(index_prefix: &str) -> Self {
        Self { index_prefix: index_prefix.to_owned() }
    }

    pub fn encode(&self, body: &[u8]) -> Result<IngestEncoded, String> {
        let mut actions = Vec::new();
        for (number, line) in body.split(|&byte| byte == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let action =
                self.line_action(line).map_err(|why| format!("invalid_log_line: line {}: {why}", number + 1))?;
            actions.push(action);
        }
        if actions.is_empty() {
            return Err("invalid_log_line: the message holds no log line".to_owned());
        }
        Ok(IngestEncoded { event_id: String::new(), event_type: LOG_LINES_TYPE, job_id: String::new(), actions })
    }

    fn line_action(&self, line: &[u8]) -> Result<IngestAction, String> {
        let fields: IngestLogFields =
            serde_json::from_slice(line).map_err(|error| format!("not a JSON object ({error})"))?;
        let log_id = fields.log_id.ok_or("`log_id` is missing")?;
        let id: &str = serde_json::from_str(log_id.get()).map_err(|_| "`log_id` must be a string")?;
        if id.is_empty() || id.len() > 128 {
            return Err("`log_id` must be 1 to 128 characters".to_owned());
        }
        let day = fields.timestamp.and_then(day_of).ok_or("`timestamp` must be an RFC 3339 time (YYYY-MM-DDT...)")?;
        let mut ndjson =
            format!("{{\"create\":{{\"_index\":\"{}{day}\",\"_id\":{}}}}}\n", self.index_prefix, log_id.get())
                .into_bytes();
        ndjson.extend_from_slice(line);
        ndjson.push(b'\n');
        Ok(IngestAction { ndjson })
    }
}

/// `2026-11-28T10:00:00Z` -> `2026.11.28`: the day of the index the line goes to.
fn day_of(timestamp: &str) -> Option<String> {
    let date = timestamp.get(..10)?;
    let bytes = date.as_bytes();
    let digits = [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&at| bytes[at].is_ascii_digit());
    (digits && bytes[4] == b'-' && bytes[7] == b'-' && timestamp.len() > 10).then(|| date.replace('-', "."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(body: &str) -> Result<IngestEncoded, String> {
        IngestLogEncoder::new("sdg-logs-").encode(body.as_bytes())
    }

    #[test]
    fn each_line_is_created_in_its_days_index_under_its_log_id() {
        let body = "{\"log_id\":\"a1\",\"timestamp\":\"2026-11-28T10:00:00Z\",\"message\":\"hi\"}\n\
                    {\"log_id\":\"a2\",\"timestamp\":\"2026-11-29T00:00:01.5Z\",\"message\":\"there\"}\n";
        let encoded = encode(body).unwrap();
        assert_eq!(encoded.event_type, LOG_LINES_TYPE);
        let texts: Vec<String> = encoded.actions.iter().map(|a| String::from_utf8(a.ndjson.clone()).unwrap()).collect();
        assert_eq!(
            texts[0],
            "{\"create\":{\"_index\":\"sdg-logs-2026.11.28\",\"_id\":\"a1\"}}\n\
             {\"log_id\":\"a1\",\"timestamp\":\"2026-11-28T10:00:00Z\",\"message\":\"hi\"}\n"
        );
        assert!(texts[1].starts_with("{\"create\":{\"_index\":\"sdg-logs-2026.11.29\",\"_id\":\"a2\"}}\n"));
    }

    #[test]
    fn blank_lines_are_skipped_but_an_empty_message_is_refused() {
        assert_eq!(encode("\n{\"log_id\":\"x\",\"timestamp\":\"2026-01-02T03:04:05Z\"}\n\n").unwrap().actions.len(), 1);
        assert!(encode("\n \n").unwrap_err().contains("no log line"));
    }

    #[test]
    fn a_bad_line_refuses_the_message_naming_the_line_and_the_field() {
        let good = "{\"log_id\":\"x\",\"timestamp\":\"2026-01-02T03:04:05Z\"}";
        assert!(encode(&format!("{good}\nnot json")).unwrap_err().starts_with("invalid_log_line: line 2: not a JSON"));
        assert!(encode("{\"timestamp\":\"2026-01-02T03:04:05Z\"}").unwrap_err().contains("`log_id` is missing"));
        assert!(encode("{\"log_id\":7,\"timestamp\":\"2026-01-02T03:04:05Z\"}").unwrap_err().contains("string"));
        assert!(encode("{\"log_id\":\"x\",\"timestamp\":\"yesterday\"}").unwrap_err().contains("RFC 3339"));
        assert!(encode("{\"log_id\":\"x\"}").unwrap_err().contains("`timestamp`"));
    }
}
