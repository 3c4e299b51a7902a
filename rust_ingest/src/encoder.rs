//! Event JSON -> bulk NDJSON actions, for events whose envelope passed the rules in `envelope.rs`. The event
//! document is a `create` of the message body byte for byte. The record document is an `index` under the record's
//! revision as its external version, so a redelivery, or an older revision arriving late, never replaces a newer
//! one; it is assembled from the raw JSON of the event's fields, plus `text`: the record's string and number values
//! for full-text search (the only part that parses the record into values).

use crate::envelope::{IngestEnvelope, IngestEnvelopeError, IngestRecordFields};
use serde_json::Value;

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
        let revision = record.revision.to_string();
        let text = json_string(&record_text(record.record_raw.get()));
        let mut document: Vec<(&str, &str)> = vec![
            ("record_id", record.record_id_raw.get()),
            ("job_id", envelope.job_id_raw.get()),
            ("tenant", record.tenant_raw.get()),
            ("index", record.index_raw.get()),
            ("revision", &revision),
            ("record", record.record_raw.get()),
            ("text", &text),
        ];
        if let Some(usage) = record.usage_raw {
            document.push(("usage", usage.get()));
        }
        document.push(("event_id", envelope.event_id_raw.get()));
        document.push(("correlation_id", envelope.correlation_id_raw.get()));
        document.push(("generated_at", envelope.occurred_at_raw.get()));
        let mut ndjson = versioned_index_line(&self.records_index, record.record_id_raw.get(), record.revision);
        write_object(&mut ndjson, &document);
        ndjson.push(b'\n');
        IngestAction { ndjson }
    }
}

fn create_line(index_json: &str, id_json: &str) -> Vec<u8> {
    format!("{{\"create\":{{\"_index\":{index_json},\"_id\":{id_json}}}}}\n").into_bytes()
}

/// Elasticsearch stores it only when `version` is above the stored one; otherwise it answers 409, which the
/// retry logic counts as already ingested.
fn versioned_index_line(index_json: &str, id_json: &str, version: u64) -> Vec<u8> {
    format!(
        "{{\"index\":{{\"_index\":{index_json},\"_id\":{id_json},\"version\":{version},\"version_type\":\"external\"}}}}\n"
    )
    .into_bytes()
}

/// Every string and number in the record, depth first in document order, joined with spaces. Numbers are in
/// because people search by them (an order number, a year); booleans and nulls are left out, since `true` or
/// `null` as a word would match nearly every record and says nothing about which field held it.
fn record_text(record_json: &str) -> String {
    let mut text = String::new();
    // The envelope rules only pass valid JSON, so the record always parses.
    if let Ok(record) = serde_json::from_str::<Value>(record_json) {
        collect_text(&record, &mut text);
    }
    text
}

fn collect_text(value: &Value, text: &mut String) {
    match value {
        Value::String(string) if !string.trim().is_empty() => push_word(text, string),
        Value::Number(number) => push_word(text, &number.to_string()),
        Value::Array(items) => items.iter().for_each(|item| collect_text(item, text)),
        Value::Object(fields) => fields.values().for_each(|field| collect_text(field, text)),
        Value::String(_) | Value::Bool(_) | Value::Null => {}
    }
}

fn push_word(text: &mut String, word: &str) {
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(word);
}

fn write_object(out: &mut Vec<u8>, fields: &[(&str, &str)]) {
    out.push(b'{');
    for (position, (name, value)) in fields.iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        out.extend_from_slice(value.as_bytes());
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
    fn record_generated_becomes_an_event_create_and_a_record_index_at_revision_one() {
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
                r#"{"index":{"_index":"sdg-records","_id":"job-1/0","version":1,"version_type":"external"}}"#,
                "\n",
                r#"{"record_id":"job-1/0","job_id":"job-1","tenant":"acme","index":0,"revision":1,"#,
                r#""record":{"name":"Ada","age":36},"text":"Ada 36","#,
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
        assert!(text(&encoded.actions[1]).contains(r#""text":"Ada 36","event_id""#));
    }

    #[test]
    fn record_regenerated_becomes_an_event_create_and_a_record_index_at_its_revision() {
        let body = RECORD_GENERATED_BODY
            .replace(r#""sequence":3"#, r#""sequence":0"#)
            .replace(r#""type":"RecordGenerated""#, r#""type":"RecordRegenerated""#)
            .replace(r#""index":0"#, r#""index":0,"revision":3"#)
            .replace(r#""records_generated":1,"#, "")
            .replace(r#"{"name":"Ada","age":36}"#, r#"{"name":"Grace","age":45}"#);
        let encoded = encoder().encode(body.as_bytes()).unwrap();
        assert_eq!(encoded.event_type, "RecordRegenerated");
        assert_eq!(encoded.actions.len(), 2);
        assert!(text(&encoded.actions[0]).starts_with(r#"{"create":{"_index":"sdg-events","#));
        assert_eq!(
            text(&encoded.actions[1]),
            concat!(
                r#"{"index":{"_index":"sdg-records","_id":"job-1/0","version":3,"version_type":"external"}}"#,
                "\n",
                r#"{"record_id":"job-1/0","job_id":"job-1","tenant":"acme","index":0,"revision":3,"#,
                r#""record":{"name":"Grace","age":45},"text":"Grace 45","#,
                r#""usage":{"prompt_tokens":12,"completion_tokens":30,"latency_ms":812.5},"#,
                r#""event_id":"0b7a4c1e-2f4d-5e6a-8b9c-0d1e2f3a4b5c","#,
                r#""correlation_id":"6f1d7d3c-5b0e-4c1e-9a57-2f0c2d1f5e11","generated_at":"2026-11-27T18:00:00.123456Z"}"#,
                "\n"
            )
        );
    }

    #[test]
    fn record_text_holds_every_string_and_number_in_document_order() {
        let record = r#"{"zeta":"first","tags":["a b",["deep"]],"address":{"city":"Zürich","zip":8001},
            "score":-1.5e3,"active":true,"note":null,"blank":"  ","quote":"say \"hi\"\nbye"}"#;
        assert_eq!(record_text(record), "first a b deep Zürich 8001 -1500.0 say \"hi\"\nbye");
        assert_eq!(record_text("{}"), "");
        assert_eq!(record_text(r#"{"ok":false,"none":null}"#), "");
    }

    #[test]
    fn record_text_is_escaped_as_one_json_string_in_the_document() {
        let body = RECORD_GENERATED_BODY.replace(r#"{"name":"Ada","age":36}"#, r#"{"name":"Ada \"the\"\nfirst"}"#);
        let encoded = encoder().encode(body.as_bytes()).unwrap();
        let lines: Vec<&str> = text(&encoded.actions[1]).lines().collect();
        assert_eq!(lines.len(), 2);
        let document: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(document["text"], "Ada \"the\"\nfirst");
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
