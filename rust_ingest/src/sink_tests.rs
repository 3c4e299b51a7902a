//! The sink against a stand-in for Elasticsearch's `_bulk` on a local port: a plain HTTP/1.1 server whose answers
//! are the literal shapes of retry.rs's tests, chosen per request by what the request holds.

use super::*;
use crate::request_builder::fixtures::{event_id, message, record};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type IngestFakeAnswer = dyn Fn(&str) -> (u16, String) + Send + Sync;

const MALFORMED_400: &str = r#"{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]"}],"type":"illegal_argument_exception","reason":"Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]"},"status":400}"#;

/// Serves `answer(body)` for every request, one request per connection; returns the service and a request count.
async fn fake_elasticsearch(
    answer: impl Fn(&str) -> (u16, String) + Send + Sync + 'static,
) -> (IngestService, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/_bulk", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let answer: Arc<IngestFakeAnswer> = Arc::new(answer);
    let counted = requests.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve_one(stream, answer.clone()));
        }
    });
    (IngestService::new(url, 4).unwrap(), requests)
}

async fn serve_one(mut stream: TcpStream, answer: Arc<IngestFakeAnswer>) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let (head_end, length) = loop {
        if let Some(end) = request.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |value| value.trim().parse::<usize>().unwrap());
            break (end + 4, length);
        }
        let read = stream.read(&mut buffer).await.unwrap();
        request.extend_from_slice(&buffer[..read]);
    };
    while request.len() < head_end + length {
        let read = stream.read(&mut buffer).await.unwrap();
        request.extend_from_slice(&buffer[..read]);
    }
    let (status, body) = answer(&String::from_utf8_lossy(&request[head_end..head_end + length]));
    let response = format!(
        "HTTP/1.1 {status} Fake\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await.unwrap();
    let _ = stream.shutdown().await;
}

/// A 200 answering every action of `body` with the status `status_of(document line)`.
fn bulk_answer(body: &str, status_of: impl Fn(&str) -> u16) -> (u16, String) {
    let lines: Vec<&str> = body.lines().collect();
    let items: Vec<String> = lines
        .chunks(2)
        .map(|pair| match status_of(pair[1]) {
            status @ 200..=299 => format!(r#"{{"create":{{"status":{status}}}}}"#),
            status => format!(
                r#"{{"create":{{"status":{status},"error":{{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}}}}}"#
            ),
        })
        .collect();
    let errors = items.iter().any(|item| item.contains("error"));
    (200, format!(r#"{{"errors":{errors},"items":[{}]}}"#, items.join(",")))
}

fn created(body: &str) -> (u16, String) {
    bulk_answer(body, |_| 201)
}

/// Backoff capped at 5 ms; a budget of an hour, unless a test gives one.
fn sink(service: IngestService) -> IngestSink {
    sink_with_budget(service, Duration::from_secs(3600))
}

fn sink_with_budget(service: IngestService, budget: Duration) -> IngestSink {
    let limits = IngestRetryLimits { max_backoff: Duration::from_millis(5), budget };
    IngestSink::new(service, Arc::new(IngestMetrics::new()), limits)
}

fn records(ids: &[&str]) -> Vec<IngestMessage> {
    ids.iter().map(|id| message(&record(id))).collect()
}

fn fates(messages: &[IngestMessage]) -> Vec<IngestFate> {
    messages.iter().map(|message| message.fate.clone()).collect()
}

fn rendered(sink: &IngestSink, metric: &str) -> String {
    let text = sink.metrics.render();
    let line = text.lines().find(|line| line.starts_with(&format!("{metric} "))).unwrap_or_default();
    line.rsplit(' ').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_batch_refused_as_too_large_is_split_until_only_the_offending_message_is_dead_lettered() {
    let poison = event_id("3");
    let (service, requests) =
        fake_elasticsearch(move |body| if body.contains(&poison) { (413, String::new()) } else { created(body) }).await;
    let sink = sink(service);
    let mut messages = records(&["1", "2", "3", "4", "5"]);
    sink.index(&mut messages).await;
    let refused = IngestFate::DeadLetter("bulk_request_refused: HTTP 413 Payload Too Large".to_owned());
    let index = IngestFate::Index;
    assert_eq!(fates(&messages), vec![index.clone(), index.clone(), refused, index.clone(), index]);
    assert_eq!(rendered(&sink, "sdg_ingest_docs_indexed_total"), "8");
    // All five, then [1 2] taken, [3 4 5] refused, [3] refused alone, [4 5] taken.
    assert_eq!(requests.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn a_message_refused_alone_is_dead_lettered_with_elasticsearchs_reason_once_another_request_is_taken() {
    let poison = event_id("7");
    let (service, requests) =
        fake_elasticsearch(
            move |body| {
                if body.contains(&poison) { (400, MALFORMED_400.to_owned()) } else { created(body) }
            },
        )
        .await;
    let sink = sink(service);
    let (mut alone, mut others) = (records(&["7"]), records(&["1", "2"]));
    let later = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        sink.index(&mut others).await;
    };
    tokio::join!(sink.index(&mut alone), later);
    let reason = "bulk_request_refused: HTTP 400 Bad Request: illegal_argument_exception: Malformed action/metadata \
                  line [1], expected START_OBJECT but found [VALUE_STRING]";
    assert_eq!(fates(&alone), vec![IngestFate::DeadLetter(reason.to_owned())]);
    assert_eq!(fates(&others), vec![IngestFate::Index, IngestFate::Index]);
    assert!(requests.load(Ordering::SeqCst) >= 3, "the lone message was sent again until the other batch landed");
}

#[tokio::test]
async fn when_elasticsearch_refuses_every_request_nothing_is_dead_lettered() {
    let (service, requests) = fake_elasticsearch(|_| (400, MALFORMED_400.to_owned())).await;
    let sink = sink(service);
    let mut messages = records(&["1", "2", "3"]);
    let indexed = tokio::time::timeout(Duration::from_millis(300), sink.index(&mut messages)).await;
    assert!(indexed.is_err(), "still retrying");
    assert!(messages.iter().all(IngestMessage::is_owed));
    assert!(requests.load(Ordering::SeqCst) > 5, "split down to single messages, then retried");
}

#[tokio::test]
async fn items_refused_for_now_are_resent_alone_until_taken() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let (poison, counted) = (event_id("2"), attempts.clone());
    let (service, _) = fake_elasticsearch(move |body| {
        let refuse = body.contains(&poison) && counted.fetch_add(1, Ordering::SeqCst) < 2;
        bulk_answer(body, |document| if refuse && document.contains(&poison) { 503 } else { 201 })
    })
    .await;
    let sink = sink(service);
    let mut messages = records(&["1", "2"]);
    sink.index(&mut messages).await;
    assert_eq!(fates(&messages), vec![IngestFate::Index, IngestFate::Index]);
    assert_eq!(rendered(&sink, "sdg_ingest_docs_indexed_total"), "4");
    assert_eq!(rendered(&sink, "sdg_ingest_retries_total"), "4", "two items resent twice");
}

#[tokio::test]
async fn answers_that_stored_nothing_do_not_make_a_refusal_the_messages_fault() {
    let poison = event_id("7");
    let (service, _) = fake_elasticsearch(move |body| {
        if body.contains(&poison) { (400, MALFORMED_400.to_owned()) } else { bulk_answer(body, |_| 503) }
    })
    .await;
    let sink = sink(service);
    let (mut alone, mut others) = (records(&["7"]), records(&["1", "2"]));
    let both = async { tokio::join!(sink.index(&mut alone), sink.index(&mut others)) };
    assert!(tokio::time::timeout(Duration::from_millis(300), both).await.is_err(), "still retrying");
    assert_eq!(fates(&alone), vec![IngestFate::Index], "a 200 whose every item failed is no proof");
}

const WHOLE_503: &str = r#"{"error":{"root_cause":[{"type":"unavailable_shards_exception","reason":"[sdg-events][0] primary shard is not active"}],"type":"unavailable_shards_exception","reason":"[sdg-events][0] primary shard is not active"},"status":503}"#;

/// Indexes `failing` and, after 80 ms, `others` (which Elasticsearch stores) with the same sink.
async fn index_beside_others(sink: &IngestSink, failing: &mut [IngestMessage], others: &mut [IngestMessage]) {
    let later = async {
        tokio::time::sleep(Duration::from_millis(80)).await;
        sink.index(others).await;
    };
    tokio::join!(sink.index(failing), later);
}

fn handed_back(fate: &IngestFate, cause: &str) -> bool {
    matches!(fate, IngestFate::Requeue(reason)
        if reason.starts_with("retry_budget_spent: still failing after 50ms of retries: ") && reason.contains(cause))
}

#[tokio::test]
async fn items_failing_past_the_budget_while_other_batches_are_stored_are_handed_back() {
    let poison = event_id("2");
    let (service, _) = fake_elasticsearch(move |body| {
        bulk_answer(body, |document| if document.contains(&poison) { 503 } else { 201 })
    })
    .await;
    let sink = sink_with_budget(service, Duration::from_millis(50));
    let (mut failing, mut others) = (records(&["1", "2", "3"]), records(&["4"]));
    index_beside_others(&sink, &mut failing, &mut others).await;
    let fates = fates(&failing);
    assert_eq!((&fates[0], &fates[2]), (&IngestFate::Index, &IngestFate::Index));
    assert!(handed_back(&fates[1], "unavailable_shards_exception: primary shard is not active"), "{fates:?}");
}

#[tokio::test]
async fn a_request_failing_whole_past_the_budget_is_split_and_only_its_failing_message_handed_back() {
    let poison = event_id("2");
    let (service, _) =
        fake_elasticsearch(
            move |body| if body.contains(&poison) { (503, WHOLE_503.to_owned()) } else { created(body) },
        )
        .await;
    let sink = sink_with_budget(service, Duration::from_millis(50));
    let (mut failing, mut others) = (records(&["1", "2", "3"]), records(&["4"]));
    index_beside_others(&sink, &mut failing, &mut others).await;
    let fates = fates(&failing);
    assert_eq!((&fates[0], &fates[2]), (&IngestFate::Index, &IngestFate::Index));
    assert!(handed_back(&fates[1], "unavailable_shards_exception: [sdg-events][0] primary shard"), "{fates:?}");
    assert_eq!(rendered(&sink, "sdg_ingest_docs_indexed_total"), "6", "1, 3 and 4, two documents each");
}

#[tokio::test]
async fn while_elasticsearch_stores_nothing_a_failing_batch_is_never_handed_back() {
    let (service, requests) = fake_elasticsearch(|_| (503, WHOLE_503.to_owned())).await;
    let sink = sink_with_budget(service, Duration::from_millis(20));
    let mut messages = records(&["1", "2", "3"]);
    let indexed = tokio::time::timeout(Duration::from_millis(300), sink.index(&mut messages)).await;
    assert!(indexed.is_err(), "still retrying");
    assert!(messages.iter().all(IngestMessage::is_owed), "nothing handed back or dead-lettered");
    assert!(requests.load(Ordering::SeqCst) > 3);
}
