//! Counters and a hand-written Prometheus text exposition at `GET /metrics`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Upper bounds (seconds) of the batch latency histogram's buckets; `+Inf` is implied.
const LATENCY_BUCKETS: [f64; 12] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

#[derive(Default)]
pub struct IngestMetrics {
    messages_received: AtomicU64,
    docs_indexed: AtomicU64,
    docs_already_ingested: AtomicU64,
    batches: AtomicU64,
    batch_latency_micros_sum: AtomicU64,
    /// Batches whose latency fell at or under each bound of `LATENCY_BUCKETS` (not cumulative; summed on render).
    batch_latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    retries: AtomicU64,
    dead_lettered: AtomicU64,
    requeued: AtomicU64,
    messages_acked: AtomicU64,
    /// Messages ready in the consumed queue at the last poll; -1 until the first poll answers.
    queue_messages_ready: AtomicI64,
    /// The log lines' consumer: the same figures, named `sdg_ingest_logs_*`.
    logs: bool,
}

/// What `GET /metrics` answers: every consumer's figures and the log shipper's.
pub type IngestExposition = Arc<dyn Fn() -> String + Send + Sync>;

impl IngestMetrics {
    pub fn new() -> Self {
        let metrics = Self::default();
        metrics.queue_messages_ready.store(-1, Ordering::Relaxed);
        metrics
    }

    pub fn for_logs() -> Self {
        Self { logs: true, ..Self::new() }
    }

    pub fn add_received(&self, count: u64) {
        self.messages_received.fetch_add(count, Ordering::Relaxed);
    }

    pub fn add_docs_indexed(&self, count: u64) {
        self.docs_indexed.fetch_add(count, Ordering::Relaxed);
    }

    pub fn add_docs_already_ingested(&self, count: u64) {
        self.docs_already_ingested.fetch_add(count, Ordering::Relaxed);
    }

    pub fn record_batch(&self, latency: Duration) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.batch_latency_micros_sum.fetch_add(micros, Ordering::Relaxed);
        let seconds = latency.as_secs_f64();
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.batch_latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn add_retries(&self, count: u64) {
        self.retries.fetch_add(count, Ordering::Relaxed);
    }

    pub fn add_dead_lettered(&self, count: u64) {
        self.dead_lettered.fetch_add(count, Ordering::Relaxed);
    }

    pub fn add_requeued(&self, count: u64) {
        self.requeued.fetch_add(count, Ordering::Relaxed);
    }

    pub fn add_acked(&self, count: u64) {
        self.messages_acked.fetch_add(count, Ordering::Relaxed);
    }

    pub fn set_queue_messages_ready(&self, count: u32) {
        self.queue_messages_ready.store(i64::from(count), Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let counters = [
            ("sdg_ingest_messages_received_total", "Messages delivered by RabbitMQ.", get(&self.messages_received)),
            ("sdg_ingest_docs_indexed_total", "Documents Elasticsearch created.", get(&self.docs_indexed)),
            (
                "sdg_ingest_docs_already_ingested_total",
                "Documents Elasticsearch already held, or held newer (409), counted as done.",
                get(&self.docs_already_ingested),
            ),
            ("sdg_ingest_batches_total", "Batches completed (all messages settled).", get(&self.batches)),
            (
                "sdg_ingest_retries_total",
                "Bulk items resent after 429/5xx, plus whole bulk requests resent or split in two.",
                get(&self.retries),
            ),
            ("sdg_ingest_dead_lettered_total", "Messages sent to the dead-letter exchange.", get(&self.dead_lettered)),
            (
                "sdg_ingest_messages_requeued_total",
                "Messages put back in the queue (nack with requeue) for a later delivery.",
                get(&self.requeued),
            ),
            ("sdg_ingest_messages_acked_total", "Messages acknowledged to RabbitMQ.", get(&self.messages_acked)),
        ];
        let mut text = String::new();
        for (name, help, value) in counters {
            text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"));
        }
        let ready = "sdg_ingest_queue_messages_ready";
        text.push_str(&format!(
            "# HELP {ready} Messages waiting in the consumed queue (consumer lag), polled; -1 before the first poll.\n\
             # TYPE {ready} gauge\n{ready} {}\n",
            self.queue_messages_ready.load(Ordering::Relaxed)
        ));
        self.render_latency(&mut text);
        if self.logs { text.replace("sdg_ingest_", "sdg_ingest_logs_") } else { text }
    }

    fn render_latency(&self, text: &mut String) {
        let name = "sdg_ingest_batch_latency_seconds";
        text.push_str(&format!(
            "# HELP {name} Seconds from a batch's first bulk request until all its messages settle.\n\
             # TYPE {name} histogram\n"
        ));
        let mut cumulative = 0;
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.batch_latency_buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            text.push_str(&format!("{name}_bucket{{le=\"{bound}\"}} {cumulative}\n"));
        }
        let batches = self.batches.load(Ordering::Relaxed);
        let sum = self.batch_latency_micros_sum.load(Ordering::Relaxed) as f64 / 1_000_000.0;
        text.push_str(&format!("{name}_bucket{{le=\"+Inf\"}} {batches}\n{name}_sum {sum}\n{name}_count {batches}\n"));
    }
}

/// Binds now (so a taken port fails at startup) and serves from a background task.
pub async fn serve(addr: SocketAddr, metrics: IngestExposition) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(%addr, "serving metrics at /metrics");
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(answer(stream, metrics.clone()));
                }
                Err(error) => tracing::warn!(%error, "metrics listener failed to accept"),
            }
        }
    });
    Ok(())
}

async fn answer(mut stream: TcpStream, metrics: IngestExposition) {
    let mut request = [0u8; 1024];
    let Ok(read) = stream.read(&mut request).await else {
        return;
    };
    let head = String::from_utf8_lossy(&request[..read]);
    let (status, body) = if head.starts_with("GET /metrics ") || head.starts_with("GET /metrics?") {
        ("200 OK", metrics())
    } else {
        ("404 Not Found", "only /metrics lives here\n".to_owned())
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_lists_every_counter_with_its_type() {
        let metrics = IngestMetrics::new();
        metrics.add_docs_indexed(3);
        metrics.record_batch(Duration::from_millis(250));
        metrics.add_dead_lettered(1);
        metrics.add_requeued(2);
        let text = metrics.render();
        assert!(text.contains("# TYPE sdg_ingest_docs_indexed_total counter\nsdg_ingest_docs_indexed_total 3\n"));
        assert!(text.contains("sdg_ingest_batch_latency_seconds_sum 0.25\n"));
        assert!(text.contains("sdg_ingest_batch_latency_seconds_count 1\n"));
        assert!(text.contains("sdg_ingest_dead_lettered_total 1\n"));
        assert!(
            text.contains("# TYPE sdg_ingest_messages_requeued_total counter\nsdg_ingest_messages_requeued_total 2\n")
        );
        assert!(text.contains("sdg_ingest_retries_total 0\n"));
        assert!(text.contains("# TYPE sdg_ingest_queue_messages_ready gauge\nsdg_ingest_queue_messages_ready -1\n"));
    }

    #[test]
    fn batch_latency_is_a_cumulative_histogram() {
        let metrics = IngestMetrics::new();
        for millis in [5, 30, 30, 700, 120_000] {
            metrics.record_batch(Duration::from_millis(millis));
        }
        metrics.set_queue_messages_ready(42);
        let text = metrics.render();
        assert!(text.contains("# TYPE sdg_ingest_batch_latency_seconds histogram\n"));
        assert!(text.contains("sdg_ingest_batch_latency_seconds_bucket{le=\"0.01\"} 1\n"));
        assert!(text.contains("sdg_ingest_batch_latency_seconds_bucket{le=\"0.05\"} 3\n"));
        assert!(text.contains("sdg_ingest_batch_latency_seconds_bucket{le=\"1\"} 4\n"));
        assert!(text.contains("sdg_ingest_batch_latency_seconds_bucket{le=\"60\"} 4\n"));
        assert!(text.contains("sdg_ingest_batch_latency_seconds_bucket{le=\"+Inf\"} 5\n"));
        assert!(text.contains("sdg_ingest_batch_latency_seconds_count 5\n"));
        assert!(text.contains("sdg_ingest_queue_messages_ready 42\n"));
    }

    #[test]
    fn the_log_consumers_figures_have_names_of_their_own() {
        let metrics = IngestMetrics::for_logs();
        metrics.add_docs_indexed(2);
        let text = metrics.render();
        assert!(text.contains("sdg_ingest_logs_docs_indexed_total 2\n"));
        assert!(!text.contains("\nsdg_ingest_docs_indexed_total"));
    }
}
