//! Event JSON -> bulk NDJSON `create` actions. The event document is the message body byte for byte; the record
//! document is assembled from the raw JSON of the event's fields, so nothing is parsed into values and re-serialised.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

const RECORD_GENERATED: &str = "RecordGenerated";

/// One bulk action: the action line and the document line, each ending in `\n`.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestAction {
    pub ndjson: Vec<u8>,
}

/// What one message becomes: its identity (for logs and dead-letter headers) and its bulk actions.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestEncoded {
    pub event_id: String,
    pub event_type: String,
    pub job_id: Option<String>,
    pub actions: Vec<IngestAction>,
}

#[derive(Debug, PartialEq)]
pub enum IngestEncodeError {
    NotJson(String),
    NotAnObject,
    MissingField { event_type: String, field: &'static str },
    NotAString(&'static str),
}

impl fmt::Display for IngestEncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(error) => write!(f, "invalid_event: body is not valid JSON ({error})"),
            Self::NotAnObject => write!(f, "invalid_event: body is not a JSON object"),
            Self::MissingField { event_type, field } => {
                write!(f, "invalid_event: {event_type} event lacks required field `{field}`")
            }
            Self::NotAString(field) => write!(f, "invalid_event: `{field}` must be a non-empty string"),
        }
    }
}

impl std::error::Error for IngestEncodeError {}

/// The fields the encoder reads, borrowed as raw JSON from the body. Every other field is left alone.
#[derive(Deserialize)]
struct IngestEventFields<'a> {
    #[serde(borrow)]
    event_id: Option<&'a RawValue>,
    #[serde(rename = "type", borrow)]
    event_type: Option<&'a RawValue>,
    #[serde(borrow)]
    job_id: Option<&'a RawValue>,
    #[serde(borrow)]
    tenant: Option<&'a RawValue>,
    #[serde(borrow)]
    record_id: Option<&'a RawValue>,
    #[serde(borrow)]
    index: Option<&'a RawValue>,
    #[serde(borrow)]
    record: Option<&'a RawValue>,
    #[serde(borrow)]
    usage: Option<&'a RawValue>,
    #[serde(borrow)]
    correlation_id: Option<&'a RawValue>,
    #[serde(borrow)]
    occurred_at: Option<&'a RawValue>,
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

    pub fn encode(&self, body: &[u8]) -> Result<IngestEncoded, IngestEncodeError> {
        let fields = parse_fields(body)?;
        let (event_id_raw, event_id) = required_string(fields.event_id, "event_id")?;
        let (_, event_type) = required_string(fields.event_type, "type")?;
        let job_id = fields.job_id.and_then(|raw| serde_json::from_str::<String>(raw.get()).ok());
        let mut actions = vec![self.event_action(event_id_raw.get(), body)];
        if event_type == RECORD_GENERATED {
            actions.push(self.record_action(&fields, event_id_raw, &event_type)?);
        }
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

    fn record_action(
        &self,
        fields: &IngestEventFields,
        event_id_raw: &RawValue,
        event_type: &str,
    ) -> Result<IngestAction, IngestEncodeError> {
        let missing = |field| IngestEncodeError::MissingField { event_type: event_type.to_owned(), field };
        let (record_id_raw, _) = required_string(fields.record_id, "record_id")?;
        let mut document: Vec<(&str, &RawValue)> = vec![("record_id", record_id_raw)];
        for (name, value) in
            [("job_id", fields.job_id), ("tenant", fields.tenant), ("index", fields.index), ("record", fields.record)]
        {
            document.push((name, value.ok_or_else(|| missing(name))?));
        }
        if let Some(usage) = fields.usage {
            document.push(("usage", usage));
        }
        document.push(("event_id", event_id_raw));
        document.push(("correlation_id", fields.correlation_id.ok_or_else(|| missing("correlation_id"))?));
        document.push(("generated_at", fields.occurred_at.ok_or_else(|| missing("occurred_at"))?));
        let mut ndjson = create_line(&self.records_index, record_id_raw.get());
        write_object(&mut ndjson, &document);
        ndjson.push(b'\n');
        Ok(IngestAction { ndjson })
    }
}

fn parse_fields(body: &[u8]) -> Result<IngestEventFields<'_>, IngestEncodeError> {
    // A derived struct would also accept a JSON array positionally; only an object is an event.
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Err(error) => Err(IngestEncodeError::NotJson(error.to_string())),
            Ok(_) => Err(IngestEncodeError::NotAnObject),
        };
    }
    serde_json::from_slice(body).map_err(|error| IngestEncodeError::NotJson(error.to_string()))
}

/// The raw JSON of a field that must be a non-empty string, and its decoded value.
fn required_string<'a>(
    raw: Option<&'a RawValue>,
    field: &'static str,
) -> Result<(&'a RawValue, String), IngestEncodeError> {
    let raw = raw.ok_or(IngestEncodeError::NotAString(field))?;
    match serde_json::from_str::<String>(raw.get()) {
        Ok(value) if !value.is_empty() => Ok((raw, value)),
        _ => Err(IngestEncodeError::NotAString(field)),
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
        assert_eq!(encoded.job_id.as_deref(), Some("job-1"));
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
        let body = "{\n  \"event_id\": \"e-1\",\r\n  \"type\": \"JobStarted\"\n}";
        let encoded = encoder().encode(body.as_bytes()).unwrap();
        let lines: Vec<&str> = text(&encoded.actions[0]).lines().collect();
        assert_eq!(lines.len(), 2);
        let document: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(document["type"], "JobStarted");
    }

    #[test]
    fn malformed_input_is_an_error_with_a_reason() {
        let encoder = encoder();
        assert!(matches!(encoder.encode(b"{not json"), Err(IngestEncodeError::NotJson(_))));
        assert!(matches!(encoder.encode(b""), Err(IngestEncodeError::NotJson(_))));
        assert_eq!(encoder.encode(b"[1, 2]"), Err(IngestEncodeError::NotAnObject));
        assert_eq!(encoder.encode(br#"{"type":"JobStarted"}"#), Err(IngestEncodeError::NotAString("event_id")));
        assert_eq!(encoder.encode(br#"{"event_id":"e-1"}"#), Err(IngestEncodeError::NotAString("type")));
        assert_eq!(
            encoder.encode(br#"{"event_id":7,"type":"JobStarted"}"#),
            Err(IngestEncodeError::NotAString("event_id"))
        );
        let error = encoder.encode(br#"{"event_id":"e-1","type":"RecordGenerated","record_id":"r-1"}"#).unwrap_err();
        assert_eq!(error.to_string(), "invalid_event: RecordGenerated event lacks required field `job_id`");
    }
}
