//! The envelope rules a message must meet before it may enter the event log. They restate what the pydantic models
//! in `events/` (envelope.py, models.py) require, so the log never holds an event the Python side cannot read back.
//! Fields are checked on the raw JSON borrowed from the body; nothing is parsed into values and re-serialised.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

/// Every event type there is. Mirrors `EVENT_TYPES` in events/models.py: add a type there, add it here (a test in
/// tests/ingest compares the two).
pub const KNOWN_EVENT_TYPES: [&str; 24] = [
    "JobSubmitted",
    "JobStarted",
    "RecordGenerated",
    "RecordRejected",
    "JobCompleted",
    "JobFailed",
    "JobCancelRequested",
    "JobCancelled",
    "BatchSubmitted",
    "BatchRequestCompleted",
    "BatchRequestFailed",
    "RecordRegenerationRequested",
    "RecordRegenerated",
    "RecordRegenerationFailed",
    "RecordTypeRegistered",
    "ProfileCreated",
    "ProfileChanged",
    "ProfileRetired",
    "JobPlanned",
    "ChunkQueued",
    "ChunkStarted",
    "ChunkCompleted",
    "ChunkCancelled",
    "ChunkFailed",
];
/// Types outside the job's sequence (requests, and a chunk's work item): their `sequence` is always 0
/// (events/models.py, `JobCancelRequested.sequence`; events/chunks.py, `ChunkQueued.sequence`). Every other type
/// counts from 1 on `sdg.events` (workers' facts with sequence 0 travel on `sdg.facts`, never ingested).
const OUTSIDE_SEQUENCE_TYPES: [&str; 5] = [
    "JobCancelRequested",
    "RecordRegenerationRequested",
    "RecordRegenerated",
    "RecordRegenerationFailed",
    "ChunkQueued",
];
pub const RECORD_GENERATED: &str = "RecordGenerated";
pub const RECORD_REGENERATED: &str = "RecordRegenerated";
/// The revision a `RecordGenerated` writes: the original of its record. A `RecordRegenerated` names a later one.
pub const FIRST_REVISION: u64 = 1;

/// How much of an offending value a refusal quotes.
const MAX_QUOTED_CHARS: usize = 80;

/// Why a message cannot be indexed; its `Display` is the dead-letter reason.
#[derive(Debug, PartialEq)]
pub enum IngestEnvelopeError {
    NotJson(String),
    NotAnObject,
    Missing(&'static str),
    Invalid { field: &'static str, expected: &'static str, found: String },
    UnknownType(String),
}

impl fmt::Display for IngestEnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(error) => write!(f, "invalid_event: body is not valid JSON ({error})"),
            Self::NotAnObject => write!(f, "invalid_event: body is not a JSON object"),
            Self::Missing(field) => write!(f, "invalid_event: required field `{field}` is missing"),
            Self::Invalid { field, expected, found } => {
                write!(f, "invalid_event: `{field}` must be {expected}, got {found}")
            }
            Self::UnknownType(found) => write!(
                f,
                "invalid_event: `type` {found} is not a known event type (one of {})",
                KNOWN_EVENT_TYPES.join(", ")
            ),
        }
    }
}

impl std::error::Error for IngestEnvelopeError {}

/// The fields the rules and the encoder read, borrowed as raw JSON. Every other field is left alone.
#[derive(Deserialize)]
struct IngestRawFields<'a> {
    #[serde(borrow)]
    event_id: Option<&'a RawValue>,
    #[serde(rename = "type", borrow)]
    event_type: Option<&'a RawValue>,
    #[serde(borrow)]
    job_id: Option<&'a RawValue>,
    #[serde(borrow)]
    sequence: Option<&'a RawValue>,
    #[serde(borrow)]
    occurred_at: Option<&'a RawValue>,
    #[serde(borrow)]
    correlation_id: Option<&'a RawValue>,
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
    revision: Option<&'a RawValue>,
}

/// An event whose envelope passed every rule. Raw fields keep their exact JSON for the record document.
pub struct IngestEnvelope<'a> {
    pub event_id_raw: &'a RawValue,
    pub event_id: String,
    pub event_type: &'static str,
    pub job_id_raw: &'a RawValue,
    pub job_id: String,
    pub occurred_at_raw: &'a RawValue,
    pub correlation_id_raw: &'a RawValue,
    /// Present exactly when `event_type` is `RecordGenerated` or `RecordRegenerated`.
    pub record: Option<IngestRecordFields<'a>>,
}

/// What a record event adds to the envelope, each field already checked.
pub struct IngestRecordFields<'a> {
    pub record_id_raw: &'a RawValue,
    pub tenant_raw: &'a RawValue,
    pub index_raw: &'a RawValue,
    pub record_raw: &'a RawValue,
    pub usage_raw: Option<&'a RawValue>,
    /// The record document's external version: `FIRST_REVISION` for `RecordGenerated`, the event's `revision`
    /// (2 or more) for `RecordRegenerated`.
    pub revision: u64,
}

impl<'a> IngestEnvelope<'a> {
    /// Checks `body` against the envelope rules (and the record ones when it carries a record).
    pub fn parse(body: &'a [u8]) -> Result<Self, IngestEnvelopeError> {
        let fields = parse_object(body)?;
        let event_id_raw = required(fields.event_id, "event_id")?;
        let event_id = uuid_string(event_id_raw, "event_id")?;
        let event_type = known_type(required(fields.event_type, "type")?)?;
        let job_id_raw = required(fields.job_id, "job_id")?;
        let job_id = string(job_id_raw, "job_id", true)?;
        sequence(required(fields.sequence, "sequence")?, event_type)?;
        let occurred_at_raw = required(fields.occurred_at, "occurred_at")?;
        string(occurred_at_raw, "occurred_at", false)?;
        let correlation_id_raw = required(fields.correlation_id, "correlation_id")?;
        string(correlation_id_raw, "correlation_id", false)?;
        let record = match event_type {
            RECORD_GENERATED => Some(record_fields(&fields, FIRST_REVISION)?),
            RECORD_REGENERATED => Some(record_fields(&fields, regenerated_revision(&fields)?)?),
            _ => None,
        };
        Ok(Self { event_id_raw, event_id, event_type, job_id_raw, job_id, occurred_at_raw, correlation_id_raw, record })
    }
}

fn record_fields<'a>(
    fields: &IngestRawFields<'a>,
    revision: u64,
) -> Result<IngestRecordFields<'a>, IngestEnvelopeError> {
    let record_id_raw = required(fields.record_id, "record_id")?;
    string(record_id_raw, "record_id", true)?;
    let tenant_raw = required(fields.tenant, "tenant")?;
    string(tenant_raw, "tenant", false)?;
    let index_raw = required(fields.index, "index")?;
    integer_at_least(index_raw, "index", 0)?;
    let record_raw = required(fields.record, "record")?;
    if !record_raw.get().starts_with('{') {
        return Err(invalid("record", "a JSON object", record_raw));
    }
    Ok(IngestRecordFields { record_id_raw, tenant_raw, index_raw, record_raw, usage_raw: fields.usage, revision })
}

/// A regenerated record replaces the original (revision 1), so its revision counts from 2.
fn regenerated_revision(fields: &IngestRawFields<'_>) -> Result<u64, IngestEnvelopeError> {
    let raw = required(fields.revision, "revision")?;
    match integer(raw) {
        Some(revision) if revision > FIRST_REVISION => Ok(revision),
        _ => Err(invalid("revision", "an integer >= 2", raw)),
    }
}

fn parse_object(body: &[u8]) -> Result<IngestRawFields<'_>, IngestEnvelopeError> {
    // A derived struct would also accept a JSON array positionally; only an object is an event.
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Err(error) => Err(IngestEnvelopeError::NotJson(error.to_string())),
            Ok(_) => Err(IngestEnvelopeError::NotAnObject),
        };
    }
    serde_json::from_slice(body).map_err(|error| IngestEnvelopeError::NotJson(error.to_string()))
}

fn required<'a>(raw: Option<&'a RawValue>, field: &'static str) -> Result<&'a RawValue, IngestEnvelopeError> {
    raw.ok_or(IngestEnvelopeError::Missing(field))
}

fn string(raw: &RawValue, field: &'static str, non_empty: bool) -> Result<String, IngestEnvelopeError> {
    let expected = if non_empty { "a non-empty string" } else { "a string" };
    match serde_json::from_str::<String>(raw.get()) {
        Ok(value) if !(non_empty && value.is_empty()) => Ok(value),
        _ => Err(invalid(field, expected, raw)),
    }
}

fn uuid_string(raw: &RawValue, field: &'static str) -> Result<String, IngestEnvelopeError> {
    let expected = "a UUID string (8-4-4-4-12 hex digits)";
    match serde_json::from_str::<String>(raw.get()) {
        Ok(value) if is_hyphenated_uuid(&value) => Ok(value),
        _ => Err(invalid(field, expected, raw)),
    }
}

/// The form `uuid.UUID` takes in JSON (`str(uuid)`), hex digits in either case.
fn is_hyphenated_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(position, byte)| match position {
            8 | 13 | 18 | 23 => byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

fn known_type(raw: &RawValue) -> Result<&'static str, IngestEnvelopeError> {
    let Ok(name) = serde_json::from_str::<String>(raw.get()) else {
        return Err(invalid("type", "a string", raw));
    };
    KNOWN_EVENT_TYPES
        .iter()
        .find(|known| **known == name)
        .copied()
        .ok_or_else(|| IngestEnvelopeError::UnknownType(quote(raw)))
}

fn sequence(raw: &RawValue, event_type: &str) -> Result<(), IngestEnvelopeError> {
    if !OUTSIDE_SEQUENCE_TYPES.contains(&event_type) {
        return integer_at_least(raw, "sequence", 1);
    }
    match integer(raw) {
        Some(0) => Ok(()),
        _ => Err(invalid("sequence", "0 for this type (it is outside the job's sequence)", raw)),
    }
}

/// An integer literal (no fraction, no exponent) no smaller than `minimum`.
fn integer_at_least(raw: &RawValue, field: &'static str, minimum: u64) -> Result<(), IngestEnvelopeError> {
    let expected = if minimum == 0 { "an integer >= 0" } else { "an integer >= 1" };
    match integer(raw) {
        Some(value) if value >= minimum => Ok(()),
        _ => Err(invalid(field, expected, raw)),
    }
}

/// The value of a non-negative integer literal; `None` for anything else (negative, fractional, not a number).
fn integer(raw: &RawValue) -> Option<u64> {
    serde_json::from_str::<serde_json::Number>(raw.get()).ok()?.as_u64()
}

fn invalid(field: &'static str, expected: &'static str, raw: &RawValue) -> IngestEnvelopeError {
    IngestEnvelopeError::Invalid { field, expected, found: quote(raw) }
}

fn quote(raw: &RawValue) -> String {
    let text = raw.get();
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID_RECORD: &str = r#"{"event_id":"0b7a4c1e-2f4d-5e6a-8b9c-0d1e2f3a4b5c","version":1,"job_id":"job-1","sequence":3,"occurred_at":"2026-11-27T18:00:00Z","correlation_id":"6f1d7d3c-5b0e-4c1e-9a57-2f0c2d1f5e11","causation_id":null,"tenant":"acme","type":"RecordGenerated","record_id":"job-1/0","index":0,"record":{"name":"Ada"},"records_generated":1}"#;

    /// The valid record event with one field's JSON swapped for `value` (or removed when `value` is `None`).
    fn with(field: &str, value: Option<&str>) -> String {
        let mut event: serde_json::Map<String, serde_json::Value> = serde_json::from_str(VALID_RECORD).unwrap();
        match value {
            Some(json) => event.insert(field.to_owned(), serde_json::from_str(json).unwrap()),
            None => event.remove(field),
        };
        serde_json::Value::Object(event).to_string()
    }

    fn refusal(body: &str) -> IngestEnvelopeError {
        match IngestEnvelope::parse(body.as_bytes()) {
            Ok(_) => panic!("accepted {body}"),
            Err(error) => error,
        }
    }

    fn refused_field(body: &str) -> &'static str {
        match refusal(body) {
            IngestEnvelopeError::Missing(field) | IngestEnvelopeError::Invalid { field, .. } => field,
            IngestEnvelopeError::UnknownType(_) => "type",
            other => panic!("expected a field refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_record_generated_passes_with_its_record_fields() {
        let envelope = IngestEnvelope::parse(VALID_RECORD.as_bytes()).unwrap();
        assert_eq!(envelope.event_id, "0b7a4c1e-2f4d-5e6a-8b9c-0d1e2f3a4b5c");
        assert_eq!((envelope.event_type, envelope.job_id.as_str()), ("RecordGenerated", "job-1"));
        let record = envelope.record.unwrap();
        assert_eq!(record.record_raw.get(), r#"{"name":"Ada"}"#);
        assert!(record.usage_raw.is_none());
    }

    /// The valid record event turned into a `RecordRegenerated` of `revision` (raw JSON; `None` leaves it out).
    fn regenerated(revision: Option<&str>) -> String {
        let mut event: serde_json::Map<String, serde_json::Value> = serde_json::from_str(VALID_RECORD).unwrap();
        event.insert("type".to_owned(), RECORD_REGENERATED.into());
        event.insert("sequence".to_owned(), 0.into());
        event.remove("records_generated");
        if let Some(json) = revision {
            event.insert("revision".to_owned(), serde_json::from_str(json).unwrap());
        }
        serde_json::Value::Object(event).to_string()
    }

    #[test]
    fn every_known_type_passes_and_only_record_events_carry_record_fields() {
        for name in KNOWN_EVENT_TYPES {
            let mut body = with("type", Some(&format!("\"{name}\"")));
            if OUTSIDE_SEQUENCE_TYPES.contains(&name) {
                body = body.replace(r#""sequence":3"#, r#""sequence":0"#);
            }
            if name == RECORD_REGENERATED {
                body = body.replace(r#""index":0"#, r#""index":0,"revision":2"#);
            }
            let envelope = IngestEnvelope::parse(body.as_bytes()).unwrap();
            assert_eq!(envelope.event_type, name);
            assert_eq!(envelope.record.is_some(), [RECORD_GENERATED, RECORD_REGENERATED].contains(&name), "{name}");
        }
    }

    #[test]
    fn a_generated_record_is_the_first_revision() {
        let envelope = IngestEnvelope::parse(VALID_RECORD.as_bytes()).unwrap();
        assert_eq!(envelope.record.unwrap().revision, FIRST_REVISION);
    }

    #[test]
    fn a_regenerated_record_carries_its_revision_from_two_outside_the_sequence() {
        let body = regenerated(Some("3"));
        let envelope = IngestEnvelope::parse(body.as_bytes()).unwrap();
        let record = envelope.record.unwrap();
        assert_eq!((record.revision, record.record_raw.get()), (3, r#"{"name":"Ada"}"#));
        for value in ["1", "0", "-2", "2.5", r#""2""#, "null"] {
            assert_eq!(refused_field(&regenerated(Some(value))), "revision", "{value}");
        }
        assert_eq!(refusal(&regenerated(None)), IngestEnvelopeError::Missing("revision"));
        let in_sequence = regenerated(Some("2")).replace(r#""sequence":0"#, r#""sequence":4"#);
        assert_eq!(refused_field(&in_sequence), "sequence");
    }

    #[test]
    fn uppercase_uuid_is_accepted() {
        let body = with("event_id", Some(r#""0B7A4C1E-2F4D-5E6A-8B9C-0D1E2F3A4B5C""#));
        assert!(IngestEnvelope::parse(body.as_bytes()).is_ok());
    }

    #[test]
    fn event_id_that_is_not_a_uuid_string_is_refused() {
        for value in
            [r#""e-1""#, "7", r#""0b7a4c1e2f4d5e6a8b9c0d1e2f3a4b5c""#, r#""0b7a4c1e-2f4d-5e6a-8b9c-0d1e2f3a4b5g""#]
        {
            assert_eq!(refused_field(&with("event_id", Some(value))), "event_id", "{value}");
        }
        assert_eq!(refusal(&with("event_id", None)), IngestEnvelopeError::Missing("event_id"));
    }

    #[test]
    fn unknown_or_non_string_type_is_refused_naming_the_known_types() {
        let error = refusal(&with("type", Some(r#""RecordDeleted""#)));
        assert_eq!(error, IngestEnvelopeError::UnknownType(r#""RecordDeleted""#.to_owned()));
        assert!(error.to_string().contains("one of JobSubmitted, JobStarted, RecordGenerated"));
        assert_eq!(refused_field(&with("type", Some("1"))), "type");
        assert_eq!(refused_field(&with("type", Some(r#""recordgenerated""#))), "type");
        assert_eq!(refusal(&with("type", None)), IngestEnvelopeError::Missing("type"));
    }

    #[test]
    fn job_id_must_be_a_non_empty_string() {
        for value in [r#""""#, "null", "42", r#"["job-1"]"#] {
            assert_eq!(refused_field(&with("job_id", Some(value))), "job_id", "{value}");
        }
        assert_eq!(refusal(&with("job_id", None)), IngestEnvelopeError::Missing("job_id"));
    }

    #[test]
    fn sequence_must_be_an_integer_from_one() {
        for value in ["0", "-3", "1.5", "2.0", "1e3", r#""3""#, "null"] {
            assert_eq!(refused_field(&with("sequence", Some(value))), "sequence", "{value}");
        }
        assert_eq!(refusal(&with("sequence", None)), IngestEnvelopeError::Missing("sequence"));
        assert_eq!(
            refusal(&with("sequence", Some("0"))).to_string(),
            "invalid_event: `sequence` must be an integer >= 1, got 0"
        );
    }

    #[test]
    fn a_cancel_request_sits_outside_the_sequence_at_zero() {
        let request = |sequence: &str| {
            let body = with("type", Some(r#""JobCancelRequested""#));
            let mut event: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&body).unwrap();
            event.insert("sequence".to_owned(), serde_json::from_str(sequence).unwrap());
            serde_json::Value::Object(event).to_string()
        };
        assert!(IngestEnvelope::parse(request("0").as_bytes()).is_ok());
        for value in ["1", "-1", "0.0"] {
            assert_eq!(refused_field(&request(value)), "sequence", "{value}");
        }
    }

    #[test]
    fn occurred_at_and_correlation_id_must_be_strings() {
        for field in ["occurred_at", "correlation_id"] {
            assert_eq!(refused_field(&with(field, Some("1732730400"))), field);
            assert_eq!(refusal(&with(field, None)), IngestEnvelopeError::Missing(field));
        }
    }

    #[test]
    fn record_generated_needs_a_string_record_id() {
        assert_eq!(refused_field(&with("record_id", Some("7"))), "record_id");
        assert_eq!(refused_field(&with("record_id", Some(r#""""#))), "record_id");
        assert_eq!(refusal(&with("record_id", None)), IngestEnvelopeError::Missing("record_id"));
    }

    #[test]
    fn record_generated_needs_an_index_from_zero() {
        for value in ["-1", "0.5", r#""0""#] {
            assert_eq!(refused_field(&with("index", Some(value))), "index", "{value}");
        }
        assert_eq!(refusal(&with("index", None)), IngestEnvelopeError::Missing("index"));
    }

    #[test]
    fn record_generated_needs_a_record_object() {
        for value in ["[1, 2]", r#""{}""#, "null", "3"] {
            assert_eq!(refused_field(&with("record", Some(value))), "record", "{value}");
        }
        assert_eq!(refusal(&with("record", None)), IngestEnvelopeError::Missing("record"));
    }

    #[test]
    fn record_generated_needs_a_tenant_for_the_record_document() {
        assert_eq!(refusal(&with("tenant", None)), IngestEnvelopeError::Missing("tenant"));
        assert_eq!(refused_field(&with("tenant", Some("false"))), "tenant");
    }

    #[test]
    fn other_types_need_no_record_fields() {
        let body = with("type", Some(r#""JobStarted""#));
        let mut event: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&body).unwrap();
        for field in ["record_id", "index", "record", "tenant"] {
            event.remove(field);
        }
        assert!(IngestEnvelope::parse(serde_json::Value::Object(event).to_string().as_bytes()).is_ok());
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_refused() {
        assert!(matches!(refusal("{not json"), IngestEnvelopeError::NotJson(_)));
        assert!(matches!(refusal(""), IngestEnvelopeError::NotJson(_)));
        assert_eq!(refusal("[1, 2]"), IngestEnvelopeError::NotAnObject);
        assert_eq!(refusal("\"event\""), IngestEnvelopeError::NotAnObject);
    }

    #[test]
    fn a_long_offending_value_is_quoted_only_in_part() {
        let long = format!("\"{}\"", "x".repeat(500));
        let reason = refusal(&with("event_id", Some(&long))).to_string();
        assert!(reason.ends_with("...") && reason.len() < 200, "{reason}");
    }
}
