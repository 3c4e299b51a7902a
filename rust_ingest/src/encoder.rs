//! Event JSON -> bulk NDJSON `create` actions, for events whose envelope passed the rules in `envelope.rs`. The
//! event document is the message body byte for byte; the record document is assembled from the raw JSON of the
//! event's fields, so nothing is parsed into values and re-serialised.

use crate::envelope::{IngestEnvelope, IngestEnvelopeError, IngestRecordFields};
use serde_json::value::RawValue;

/// One bulk action: the action line and the document line, each ending in `\n`.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestAction {
    pub ndjson: Vec<u8>,
}

/// What one message becomes: its identity (for logs and dead-letter headers) and its bulk actions.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestEncoded {
    pub event_id: String,
    pub event_type: &'static str,
    pub job_id: String,
    pub actions: Vec<IngestAction>,
}

#[derive(Clone, Debug)]
pub struct IngestEncoder {
    events_index: String,
    records_index: String,
}

impl IngestEncoder {
    pub fn new(events_index: &str, records_index: &str) -> Self {
        Self { events_index: json_string(events_index), records_index: json_string(records_index) }
    }

    /// Refuses a body whose envelope breaks a rule; the error is the reason to dead-letter it with.
    pub fn encode(&self, body: &[u8]) -> Result<IngestEncoded, IngestEnvelopeError> {
        let envelope = IngestEnvelope::parse(body)?;
        let mut actions = vec![self.event_action(envelope.event_id_raw.get(), body)];
        if let Some(record) = &envelope.record {
            actions.push(self.record_action(&envelope, record));
        }
        let IngestEnvelope { event_id, event_type, job_id, .. } = envelope;
        Ok(IngestEncoded { event_id, event_type, job_id, actions })
    }

    fn event_action(&self, event_id_raw: &str, body: &[u8]) -> IngestAction {
        let mut ndjson = create_line(&self.events_index, event_id_raw);
        ndjson.reserve(body.len() + 1);
        // Valid JSON can only hold a raw line break as whitespace between tokens, so blanking it keeps the
        // document identical while keeping it on one NDJSON line.
        ndjson.extend(body.iter().map(|&byte| if byte == b'\n' || byte == b'\r' { b' ' } else { byte }));
        ndjson.push(b'\n');
        IngestAction { ndjson }
    }

    fn record_action(&self, envelope: &IngestEnvelope, record: &IngestRecordFields) -> IngestAction {
        let mut document: Vec<(&str, &RawValue)> = vec![
            ("record_id", record.record_id_raw),
            ("job_id", envelope.job_id_raw),
            ("tenant", record.tenant_raw),
            ("index", record.index_raw),
            ("record", record.record_raw),
        ];
        if let Some(usage) = record.usage_raw {
            document.push(("usage", usage));
        }
        document.push(("event_id", envelope.event_id_raw));
        document.push(("correlation_id", envelope.correlation_id_raw));
        document.push(("generated_at", envelope.occurred_at_raw));
        let mut ndjson = create_line(&self.records_index, record.record_id_raw.get());
        write_object(&mut ndjson, &document);
        ndjson.push(b'\n');
        IngestAction { ndjson }
    }
}

fn create_line(index_json: &str, id_json: &str) -> Vec<u8> {
    format!("{{\"create\":{{\"_index\":{index_json},\"_id\":{id_json}}}}}\n").into_bytes()
}

fn write_object(out: &mut Vec<u8>, fields: &[(&str, &RawValue)]) {
    out.push(b'{');
    for (position, (name, value)) in fields.iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        out.extend_from_slice(value.get().as_bytes());
    }
    out.push(b'}');
}

fn json_string(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD_GENERATED_BODY: &str = r#"{"event_id":"0b7a4c1e-2f4d-5e6a-8b9c-0d1e2f3a4b5c","version":1,"job_id":"job-1","sequence":3,"occurred_at":"2026-11-27T18:00:00.123456Z","correlation_id":"6f1d7d3c-5b0e-4c1e-9a57-2f0c2d1f5e11","causation_id":null,"tenant":"acme","type":"RecordGenerated","record_id":"job-1/0","index":0,"record":{"name":"Ada","age":36},"records_generated":1,"usage":{"prompt_tokens":12,"completion_tokens":30,"latency_ms":812.5}}"#;
    const JOB_SUBMITTED_BODY: &str = r#"{"event_id":"9e1f0a2b-3c4d-5e6f-7a8b-9c0d1e2f3a4b","version":1,"job_id":"job-1","sequence":1,"occurred_at":"2026-11-27T17:59:59Z","correlation_id":"6f1d7d3c-5b0e-4c1e-9a57-2f0c2d1f5e11","causation_id":null,"tenant":"acme","type":"JobSubmitted","spec":{"schema":{"type":"object"},"count":2,"instructions":"","examples":[],"seed":0}}"#;

    fn encoder() -> IngestEncoder {
        IngestEncoder::new("sdg-events", "sdg-records")
    }

    fn text(action: &IngestAction) -> &str {
        std::str::from_utf8(&action.ndjson).unwrap()
    }

    #[test]
    fn record_generated_becomes_an_event_create_and_a_record_create() {
        let encoded = encoder().encode(RECORD_GENERATED_BODY.as_bytes()).unwrap();
        assert_eq!(encoded.event_id, "0b7a4c1e-2f4d-5e6a-8b9c-0d1e2f3a4b5c");
        assert_eq!(encoded.event_type, "RecordGenerated");
        assert_eq!(encoded.job_id, "job-1");
        assert_eq!(encoded.actions.len(), 2);
        assert_eq!(
            text(&encoded.actions[0]),
            format!(
                "{{\"create\":{{\"_index\":\"sdg-events\",\"_id\":\"0b7a4c1e-2f4d-5e6a-8b9c-0d1e2f3a4b5c\"}}}}\n{}\n",
                RECORD_GENERATED_BODY
            )
        );
        assert_eq!(
            text(&encoded.actions[1]),
            concat!(
                r#"{"create":{"_index":"sdg-records","_id":"job-1/0"}}"#,
                "\n",
                r#"{"record_id":"job-1/0","job_id":"job-1","tenant":"acme","index":0,"record":{"name":"Ada","age":36},"#,
                r#""usage":{"prompt_tokens":12,"completion_tokens":30,"latency_ms":812.5},"#,
                r#""event_id":"0b7a4c1e-2f4d-5e6a-8b9c-0d1e2f3a4b5c","#,
                r#""correlation_id":"6f1d7d3c-5b0e-4c1e-9a57-2f0c2d1f5e11","generated_at":"2026-11-27T18:00:00.123456Z"}"#,
                "\n"
            )
        );
    }

    #[test]
    fn job_submitted_becomes_one_event_create_with_the_body_unchanged() {
        let encoded = encoder().encode(JOB_SUBMITTED_BODY.as_bytes()).unwrap();
        assert_eq!(encoded.event_type, "JobSubmitted");
        assert_eq!(encoded.actions.len(), 1);
        assert_eq!(
            text(&encoded.actions[0]),
            format!(
                "{}\n{}\n",
                r#"{"create":{"_index":"sdg-events","_id":"9e1f0a2b-3c4d-5e6f-7a8b-9c0d1e2f3a4b"}}"#,
                JOB_SUBMITTED_BODY
            )
        );
    }

    #[test]
    fn record_without_usage_omits_it() {
        let body = RECORD_GENERATED_BODY
            .replace(r#","usage":{"prompt_tokens":12,"completion_tokens":30,"latency_ms":812.5}"#, "");
        let encoded = encoder().encode(body.as_bytes()).unwrap();
        assert!(!text(&encoded.actions[1]).contains("usage"));
        assert!(text(&encoded.actions[1]).contains(r#""record":{"name":"Ada","age":36},"event_id""#));
    }

    #[test]
    fn pretty_printed_body_stays_on_one_ndjson_line() {
        let body = JOB_SUBMITTED_BODY.replace(",", ",\n  ").replacen("{", "{\r\n", 1);
        let encoded = encoder().encode(body.as_bytes()).unwrap();
        let lines: Vec<&str> = text(&encoded.actions[0]).lines().collect();
        assert_eq!(lines.len(), 2);
        let document: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(document["type"], "JobSubmitted");
        assert_eq!(document["spec"]["count"], 2);
    }

    #[test]
    fn a_refused_envelope_is_an_error_whose_text_is_the_dead_letter_reason() {
        let body = JOB_SUBMITTED_BODY.replace(r#""sequence":1"#, r#""sequence":0"#);
        let error = encoder().encode(body.as_bytes()).unwrap_err();
        assert_eq!(error.to_string(), "invalid_event: `sequence` must be an integer >= 1, got 0");
        let error = encoder().encode(b"{not json").unwrap_err();
        assert!(error.to_string().starts_with("invalid_event: body is not valid JSON"));
    }
}
