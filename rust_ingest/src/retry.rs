//! What a bulk response means for each item (done, retry, dead-letter). How long to wait is `backoff.rs`.

use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// The fate of one bulk item.
#[derive(Clone, Debug, PartialEq)]
pub enum IngestItemOutcome {
    /// 2xx: Elasticsearch stored the document.
    Indexed,
    /// 409 on `create`: a previous delivery already stored it, which is just as durable. 409 on an externally
    /// versioned `index` (a record): Elasticsearch holds this revision or a newer one, which must stay.
    AlreadyIngested,
    /// 429 or 5xx: try this item again later.
    Retry(String),
    /// Any other 4xx: the document itself is unacceptable; dead-letter its message with this reason.
    DeadLetter(String),
}

/// The fate of a whole bulk request.
#[derive(Clone, Debug, PartialEq)]
pub enum IngestBulkOutcome {
    /// The request as a whole failed (or its answer cannot be matched to its items): resend every item.
    RetryAll { status: Option<u16>, reason: String },
    /// The request as a whole was refused for what it holds (malformed, too large): sent again unchanged it would
    /// be refused again, so it is split, and a message refused on its own is dead-lettered with `reason`.
    Refused { status: u16, reason: String },
    /// One outcome per item, in request order.
    Items(Vec<IngestItemOutcome>),
}

#[derive(Deserialize)]
struct IngestBulkResponse {
    #[serde(default)]
    errors: bool,
    #[serde(default)]
    items: Vec<HashMap<String, IngestBulkItem>>,
}

#[derive(Deserialize)]
struct IngestBulkItem {
    status: u16,
    #[serde(default)]
    error: Option<Value>,
}

pub struct IngestRetryLogic;

impl IngestRetryLogic {
    /// Classifies the HTTP status and body of a `_bulk` response that carried `expected_items` actions.
    pub fn classify(status: u16, body: &[u8], expected_items: usize) -> IngestBulkOutcome {
        if Self::is_refusal_of_content(status) {
            return IngestBulkOutcome::Refused { status, reason: refusal_reason(status, body) };
        }
        if !(200..300).contains(&status) {
            return IngestBulkOutcome::RetryAll { status: Some(status), reason: whole_request_reason(status, body) };
        }
        let response: IngestBulkResponse = match serde_json::from_slice(body) {
            Ok(response) => response,
            Err(error) => return retry_all(status, format!("unreadable bulk response: {error}")),
        };
        if response.items.len() != expected_items {
            let reason = format!("bulk response has {} items for {expected_items} actions", response.items.len());
            return retry_all(status, reason);
        }
        if !response.errors {
            return IngestBulkOutcome::Items(vec![IngestItemOutcome::Indexed; expected_items]);
        }
        IngestBulkOutcome::Items(response.items.iter().map(classify_item).collect())
    }

    /// Whether a status for the whole request is one Elasticsearch uses for "busy or down, try again".
    pub fn is_transient_status(status: u16) -> bool {
        status == 429 || status >= 500
    }

    /// Whether a status for the whole request says its content is unacceptable: malformed (400), too large for
    /// `http.max_content_length` or a proxy (413), unprocessable (422). Other 4xx depend on where and how the
    /// request is sent, the same for every batch (credentials, the URL, a proxy), so they are retried rather than
    /// dead-letter every message; 429 means busy.
    pub fn is_refusal_of_content(status: u16) -> bool {
        matches!(status, 400 | 413 | 422)
    }
}

fn retry_all(status: u16, reason: String) -> IngestBulkOutcome {
    IngestBulkOutcome::RetryAll { status: Some(status), reason }
}

fn classify_item(item: &HashMap<String, IngestBulkItem>) -> IngestItemOutcome {
    let Some((action, result)) = item.iter().next() else {
        return IngestItemOutcome::Retry("empty bulk item".to_owned());
    };
    match result.status {
        200..=299 => IngestItemOutcome::Indexed,
        409 if action == "create" || action == "index" => IngestItemOutcome::AlreadyIngested,
        status if IngestRetryLogic::is_transient_status(status) => {
            IngestItemOutcome::Retry(error_reason(result.error.as_ref(), status))
        }
        status => IngestItemOutcome::DeadLetter(error_reason(result.error.as_ref(), status)),
    }
}

/// `type: reason (caused by type: reason)`, the way an operator reading a dead-lettered message wants it.
fn error_reason(error: Option<&Value>, status: u16) -> String {
    let Some(error) = error else {
        return format!("status {status}");
    };
    if let Some(text) = error.as_str() {
        return text.to_owned();
    }
    let mut reason = type_and_reason(error);
    if let Some(cause) = error.get("caused_by") {
        reason.push_str(&format!(" (caused by {})", type_and_reason(cause)));
    }
    reason
}

fn type_and_reason(error: &Value) -> String {
    let kind = error.get("type").and_then(Value::as_str).unwrap_or("unknown_error");
    match error.get("reason").and_then(Value::as_str) {
        Some(reason) => format!("{kind}: {reason}"),
        None => kind.to_owned(),
    }
}

fn whole_request_reason(status: u16, body: &[u8]) -> String {
    whole_request_error(status, body).unwrap_or_else(|| format!("HTTP status {status}"))
}

/// `bulk_request_refused: HTTP 413 Payload Too Large`, then Elasticsearch's error if the body holds one: what an
/// operator reading the dead letter needs to see why.
fn refusal_reason(status: u16, body: &[u8]) -> String {
    let phrase = reqwest::StatusCode::from_u16(status).ok().and_then(|code| code.canonical_reason());
    let mut reason = format!("bulk_request_refused: HTTP {status}");
    if let Some(phrase) = phrase {
        reason.push_str(&format!(" {phrase}"));
    }
    if let Some(error) = whole_request_error(status, body) {
        reason.push_str(&format!(": {error}"));
    }
    reason
}

/// Elasticsearch's `error` (type and reason), or the start of whatever else the body is (a proxy's page), if any.
fn whole_request_error(status: u16, body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) if value.get("error").is_some() => Some(error_reason(value.get("error"), status)),
        _ if body.iter().all(u8::is_ascii_whitespace) => None,
        _ => Some(String::from_utf8_lossy(&body[..body.len().min(300)]).trim().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Literal bodies: the first five as Elasticsearch 9.5.4 returned them here (two with the `filter_path` the
    // service sends); the 429/503 shapes as Elasticsearch documents them for rejected executions and unavailable
    // shards; the mapper_parsing_exception shape as Elasticsearch 8 returns it.
    const ALL_OK: &str = r#"{"errors":false,"took":200,"items":[{"create":{"_index":"sdg-events","_id":"a","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}},{"create":{"_index":"sdg-events","_id":"b","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":1,"_primary_term":1,"status":201}}]}"#;
    const FILTERED_OK: &str = r#"{"errors":false,"items":[{"create":{"status":201}}]}"#;
    const CONFLICT_PARSE_AND_CREATED: &str = r#"{"errors":true,"took":0,"items":[{"create":{"_index":"sdg-events","_id":"a","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[a]: version conflict, document already exists (current version [1])","index_uuid":"axHGkgSmTaCyo8GpxO6tdw","shard":"0","index":"sdg-events"}}},{"create":{"_index":"sdg-events","_id":"c","status":400,"error":{"type":"document_parsing_exception","reason":"[1:6] failed to parse field [n] of type [integer] in document with id 'c'. Preview of field's value: 'not a number'","caused_by":{"type":"number_format_exception","reason":"For input string: \"not a number\""}}}},{"create":{"_index":"sdg-events","_id":"d","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":2,"_primary_term":1,"status":201}}]}"#;
    const FILTERED_CONFLICT: &str = r#"{"errors":true,"items":[{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"[a]: version conflict, document already exists (current version [1])","index_uuid":"axHGkgSmTaCyo8GpxO6tdw","shard":"0","index":"sdg-events"}}}]}"#;
    const FILTERED_STALE_REVISIONS: &str = r#"{"errors":true,"items":[{"index":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"[r]: version conflict, current version [1] is higher or equal to the one provided [1]","index_uuid":"Y8WXPvFsQCC_6bqySPfGpg","shard":"0","index":"itest-b-version-1263"}}},{"index":{"status":200}},{"index":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"[r]: version conflict, current version [2] is higher or equal to the one provided [1]","index_uuid":"Y8WXPvFsQCC_6bqySPfGpg","shard":"0","index":"itest-b-version-1263"}}}]}"#;
    const ONE_429_ONE_201: &str = r#"{"took":3,"errors":true,"items":[{"create":{"_index":"sdg-events","_id":"a","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=108, max_coordinating_and_primary_bytes=0]"}}},{"create":{"_index":"sdg-events","_id":"b","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":5,"_primary_term":1,"status":201}}]}"#;
    const MAPPER_PARSING_400: &str = r#"{"took":1,"errors":true,"items":[{"create":{"_index":"sdg-records","_id":"job-1/0","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [record.age] of type [long] in document with id 'job-1/0'. Preview of field's value: 'old'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"old\""}}}}]}"#;
    const WHOLE_503: &str = r#"{"error":{"root_cause":[{"type":"unavailable_shards_exception","reason":"[sdg-events][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[sdg-events][0]] containing [2] requests]"}],"type":"unavailable_shards_exception","reason":"[sdg-events][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[sdg-events][0]] containing [2] requests]"},"status":503}"#;
    // Whole-request refusals: the 400 as Elasticsearch 9.5.4 answered a malformed action line here; its 413 for a
    // body over `http.max_content_length` has an empty body (elastic/elasticsearch#2902, #76705); nginx's page for
    // a body over `client_max_body_size`; the 401 and 429 shapes as Elasticsearch documents them.
    const MALFORMED_400: &str = r#"{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]"}],"type":"illegal_argument_exception","reason":"Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]"},"status":400}"#;
    const NGINX_413: &str = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    const UNAUTHENTICATED_401: &str = r#"{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials for REST request [/_bulk]"}],"type":"security_exception","reason":"missing authentication credentials for REST request [/_bulk]"},"status":401}"#;
    const CIRCUIT_BREAKER_429: &str = r#"{"error":{"root_cause":[{"type":"circuit_breaking_exception","reason":"[parent] Data too large, data for [<http_request>] would be [1024/1kb], which is larger than the limit of [1023/1023b]","bytes_wanted":1024,"bytes_limit":1023,"durability":"TRANSIENT"}],"type":"circuit_breaking_exception","reason":"[parent] Data too large, data for [<http_request>] would be [1024/1kb], which is larger than the limit of [1023/1023b]","bytes_wanted":1024,"bytes_limit":1023,"durability":"TRANSIENT"},"status":429}"#;
    const ITEM_503: &str = r#"{"took":60001,"errors":true,"items":[{"create":{"_index":"sdg-events","_id":"a","status":503,"error":{"type":"unavailable_shards_exception","reason":"[sdg-events][0] primary shard is not active"}}}]}"#;

    fn items(outcome: IngestBulkOutcome) -> Vec<IngestItemOutcome> {
        match outcome {
            IngestBulkOutcome::Items(items) => items,
            other => panic!("expected per-item outcomes, got {other:?}"),
        }
    }

    #[test]
    fn all_ok_response_marks_every_item_indexed() {
        let outcome = IngestRetryLogic::classify(200, ALL_OK.as_bytes(), 2);
        assert_eq!(items(outcome), vec![IngestItemOutcome::Indexed, IngestItemOutcome::Indexed]);
        assert_eq!(items(IngestRetryLogic::classify(200, FILTERED_OK.as_bytes(), 1)), vec![IngestItemOutcome::Indexed]);
    }

    #[test]
    fn handles_partial_error_response_by_retrying_only_429_items() {
        let outcome = items(IngestRetryLogic::classify(200, ONE_429_ONE_201.as_bytes(), 2));
        assert!(
            matches!(&outcome[0], IngestItemOutcome::Retry(reason) if reason.starts_with("es_rejected_execution_exception: rejected execution"))
        );
        assert_eq!(outcome[1], IngestItemOutcome::Indexed);
    }

    #[test]
    fn version_conflict_on_create_counts_as_already_ingested() {
        let outcome = items(IngestRetryLogic::classify(200, FILTERED_CONFLICT.as_bytes(), 1));
        assert_eq!(outcome, vec![IngestItemOutcome::AlreadyIngested]);
        let outcome = items(IngestRetryLogic::classify(200, CONFLICT_PARSE_AND_CREATED.as_bytes(), 3));
        assert_eq!(outcome[0], IngestItemOutcome::AlreadyIngested);
        assert_eq!(outcome[2], IngestItemOutcome::Indexed);
    }

    #[test]
    fn version_conflict_on_an_external_version_index_counts_as_already_ingested() {
        // Revision 1 over a created revision 1, then revision 2, then revision 1 again over revision 2.
        let outcome = items(IngestRetryLogic::classify(200, FILTERED_STALE_REVISIONS.as_bytes(), 3));
        assert_eq!(
            outcome,
            vec![IngestItemOutcome::AlreadyIngested, IngestItemOutcome::Indexed, IngestItemOutcome::AlreadyIngested]
        );
    }

    #[test]
    fn mapping_errors_dead_letter_with_type_and_reason() {
        let outcome = items(IngestRetryLogic::classify(200, MAPPER_PARSING_400.as_bytes(), 1));
        assert_eq!(
            outcome,
            vec![IngestItemOutcome::DeadLetter(
                "mapper_parsing_exception: failed to parse field [record.age] of type [long] in document with id \
                 'job-1/0'. Preview of field's value: 'old' (caused by illegal_argument_exception: For input \
                 string: \"old\")"
                    .to_owned()
            )]
        );
        let outcome = items(IngestRetryLogic::classify(200, CONFLICT_PARSE_AND_CREATED.as_bytes(), 3));
        assert!(
            matches!(&outcome[1], IngestItemOutcome::DeadLetter(reason) if reason.starts_with("document_parsing_exception: [1:6] failed to parse field [n]"))
        );
    }

    #[test]
    fn whole_response_503_retries_everything() {
        let outcome = IngestRetryLogic::classify(503, WHOLE_503.as_bytes(), 2);
        assert_eq!(
            outcome,
            IngestBulkOutcome::RetryAll {
                status: Some(503),
                reason: "unavailable_shards_exception: [sdg-events][0] primary shard is not active Timeout: [1m], \
                         request: [BulkShardRequest [[sdg-events][0]] containing [2] requests]"
                    .to_owned()
            }
        );
    }

    #[test]
    fn a_request_too_large_for_elasticsearch_is_refused_naming_the_status() {
        let outcome = IngestRetryLogic::classify(413, b"", 1000);
        let reason = "bulk_request_refused: HTTP 413 Payload Too Large".to_owned();
        assert_eq!(outcome, IngestBulkOutcome::Refused { status: 413, reason });
    }

    #[test]
    fn a_request_too_large_for_a_proxy_is_refused_with_the_start_of_its_page() {
        let outcome = IngestRetryLogic::classify(413, NGINX_413.as_bytes(), 2);
        assert!(
            matches!(&outcome, IngestBulkOutcome::Refused { status: 413, reason }
                if reason.starts_with("bulk_request_refused: HTTP 413 Payload Too Large: <html>")
                    && reason.contains("<center>nginx</center>")),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_malformed_request_is_refused_with_elasticsearchs_type_and_reason() {
        let outcome = IngestRetryLogic::classify(400, MALFORMED_400.as_bytes(), 3);
        let reason = "bulk_request_refused: HTTP 400 Bad Request: illegal_argument_exception: Malformed \
                      action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]"
            .to_owned();
        assert_eq!(outcome, IngestBulkOutcome::Refused { status: 400, reason });
    }

    #[test]
    fn whole_request_statuses_about_credentials_or_load_are_retried_not_refused() {
        for (status, body) in [(401, UNAUTHENTICATED_401), (429, CIRCUIT_BREAKER_429), (404, ""), (403, "")] {
            let outcome = IngestRetryLogic::classify(status, body.as_bytes(), 1);
            assert!(
                matches!(&outcome, IngestBulkOutcome::RetryAll { status: Some(got), .. } if *got == status),
                "{status}: {outcome:?}"
            );
        }
        let outcome = IngestRetryLogic::classify(429, CIRCUIT_BREAKER_429.as_bytes(), 1);
        assert!(
            matches!(&outcome, IngestBulkOutcome::RetryAll { reason, .. }
                if reason.starts_with("circuit_breaking_exception: [parent] Data too large")),
            "{outcome:?}"
        );
    }

    #[test]
    fn item_503_is_retried() {
        let outcome = items(IngestRetryLogic::classify(200, ITEM_503.as_bytes(), 1));
        assert!(matches!(&outcome[0], IngestItemOutcome::Retry(_)));
    }

    #[test]
    fn a_response_that_cannot_be_matched_to_its_items_retries_everything() {
        assert!(matches!(IngestRetryLogic::classify(200, ALL_OK.as_bytes(), 3), IngestBulkOutcome::RetryAll { .. }));
        assert!(matches!(
            IngestRetryLogic::classify(200, b"<html>proxy</html>", 1),
            IngestBulkOutcome::RetryAll { .. }
        ));
    }
}
