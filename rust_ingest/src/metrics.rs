//! Counters and a hand-written Prometheus text exposition at `GET /metrics`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
pub struct IngestMetrics {
    docs_indexed: AtomicU64,
    docs_already_ingested: AtomicU64,
    batches: AtomicU64,
    batch_latency_micros_sum: AtomicU64,
    retries: AtomicU64,
    dead_lettered: AtomicU64,
    messages_acked: AtomicU64,
}

impl IngestMetrics {
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
    }

    pub fn add_retries(&self, count: u64) {
        self.retries.fetch_add(count, Ordering::Relaxed);
    }

    pub fn add_dead_lettered(&self, count: u64) {
        self.dead_lettered.fetch_add(count, Ordering::Relaxed);
    }

    pub fn add_acked(&self, count: u64) {
        self.messages_acked.fetch_add(count, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let batches = get(&self.batches);
        let latency_sum = get(&self.batch_latency_micros_sum) as f64 / 1_000_000.0;
        let counters = [
            ("sdg_ingest_docs_indexed_total", "Documents Elasticsearch created.", get(&self.docs_indexed)),
            (
                "sdg_ingest_docs_already_ingested_total",
                "Documents Elasticsearch already held (409 on create), counted as done.",
                get(&self.docs_already_ingested),
            ),
            ("sdg_ingest_batches_total", "Batches completed (all messages settled).", batches),
            (
                "sdg_ingest_retries_total",
                "Bulk items resent after 429/5xx, plus whole bulk requests resent.",
                get(&self.retries),
            ),
            ("sdg_ingest_dead_lettered_total", "Messages sent to the dead-letter exchange.", get(&self.dead_lettered)),
            ("sdg_ingest_messages_acked_total", "Messages acknowledged to RabbitMQ.", get(&self.messages_acked)),
        ];
        let mut text = String::new();
        for (name, help, value) in counters {
            text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"));
        }
        let latency = "sdg_ingest_batch_latency_seconds";
        text.push_str(&format!(
            "# HELP {latency} Seconds from a batch's first bulk request until all its messages settle.\n\
             # TYPE {latency} summary\n{latency}_sum {latency_sum}\n{latency}_count {batches}\n"
        ));
        text
    }
}

/// Binds now (so a taken port fails at startup) and serves from a background task.
pub async fn serve(addr: SocketAddr, metrics: std::sync::Arc<IngestMetrics>) -> std::io::Result<()> {
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

async fn answer(mut stream: TcpStream, metrics: std::sync::Arc<IngestMetrics>) {
    let mut request = [0u8; 1024];
    let Ok(read) = stream.read(&mut request).await else {
        return;
    };
    let head = String::from_utf8_lossy(&request[..read]);
    let (status, body) = if head.starts_with("GET /metrics ") || head.starts_with("GET /metrics?") {
        ("200 OK", metrics.render())
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
        let metrics = IngestMetrics::default();
        metrics.add_docs_indexed(3);
        metrics.record_batch(Duration::from_millis(250));
        metrics.add_dead_lettered(1);
        let text = metrics.render();
        assert!(text.contains("# TYPE sdg_ingest_docs_indexed_total counter\nsdg_ingest_docs_indexed_total 3\n"));
        assert!(text.contains("sdg_ingest_batch_latency_seconds_sum 0.25\n"));
        assert!(text.contains("sdg_ingest_batch_latency_seconds_count 1\n"));
        assert!(text.contains("sdg_ingest_dead_lettered_total 1\n"));
        assert!(text.contains("sdg_ingest_retries_total 0\n"));
    }
}
