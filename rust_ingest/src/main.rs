//! `sdg-ingest`: consumes sdg events from RabbitMQ and bulk-indexes them into Elasticsearch, acking a message only
//! once everything it became is durable there.

mod acks;
mod backoff;
mod config;
mod consumer;
mod dead_letter;
mod encoder;
mod envelope;
mod flights;
mod log_encoder;
mod log_shipper;
mod metrics;
mod queue_depth;
mod request_builder;
mod retry;
mod service;
mod sink;

use backoff::IngestRetryLimits;
use config::IngestConfig;
use consumer::IngestConsumer;
use encoder::IngestEncoder;
use log_encoder::{IngestCodec, IngestLogEncoder};
use log_shipper::IngestLogStats;
use metrics::IngestMetrics;
use service::IngestService;
use sink::IngestSink;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::sync::watch;
use tracing::{error, info, warn};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn main() -> ExitCode {
    let config = match IngestConfig::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("sdg-ingest: {error}");
            return ExitCode::from(2);
        }
    };
    let log_stats = Arc::new(IngestLogStats::default());
    // One JSON line per event on stdout, the same line shipped to Elasticsearch (src/log_shipper.rs).
    let (lines, shipped_lines) = log_shipper::channel(config.log_buffer_lines, config.log_shipping, log_stats.clone());
    tracing_subscriber::registry().with(LevelFilter::from_level(config.log_level)).with(lines).init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime starts");
    runtime.block_on(run(config, shipped_lines, log_stats))
}

async fn run(config: IngestConfig, shipped_lines: mpsc::Receiver<Vec<u8>>, log_stats: Arc<IngestLogStats>) -> ExitCode {
    info!(queue = %config.queue, es_url = %config::redacted(&config.es_url), events_index = %config.events_index,
          records_index = %config.records_index, batch_max_docs = config.batch_max_docs,
          batch_max_bytes = config.batch_max_bytes, batch_max_wait_ms = config.batch_max_wait.as_millis() as u64,
          max_in_flight = config.max_in_flight, "sdg-ingest starting");
    if config.log_shipping {
        tokio::spawn(log_shipper::ship(
            config.amqp_url.clone(),
            config.ops_exchange.clone(),
            shipped_lines,
            log_stats.clone(),
        ));
    }
    let metrics = Arc::new(IngestMetrics::new());
    let logs_metrics = Arc::new(IngestMetrics::for_logs());
    let exposition = {
        let (metrics, logs_metrics) = (metrics.clone(), logs_metrics.clone());
        Arc::new(move || metrics.render() + &logs_metrics.render() + &log_stats.render())
    };
    if let Err(error) = metrics::serve(config.metrics_addr, exposition).await {
        error!(addr = %config.metrics_addr, %error, "cannot serve metrics; set SDG_INGEST_METRICS_ADDR to a free port");
        return ExitCode::FAILURE;
    }
    let service = match IngestService::new(config.bulk_url(), config.max_in_flight) {
        Ok(service) => service,
        Err(error) => {
            error!(%error, "cannot build the HTTP client");
            return ExitCode::FAILURE;
        }
    };
    let shutdown = match watch_signals() {
        Ok(shutdown) => shutdown,
        Err(error) => {
            error!(%error, "cannot install signal handlers");
            return ExitCode::FAILURE;
        }
    };
    let retry_limits = IngestRetryLimits { max_backoff: config.retry_max_backoff, budget: config.retry_budget };
    let sink = Arc::new(IngestSink::new(service.clone(), metrics.clone(), retry_limits));
    let events = IngestCodec::Events(IngestEncoder::new(&config.events_index, &config.records_index));
    let events_consumer = IngestConsumer::new(config.clone(), events, sink, metrics);
    if config.logs_queue.is_empty() {
        events_consumer.run(shutdown).await;
    } else {
        let logs_sink = Arc::new(IngestSink::new(service, logs_metrics.clone(), retry_limits).quiet());
        let logs = IngestCodec::Logs(IngestLogEncoder::new(&config.logs_index_prefix));
        let logs_consumer = IngestConsumer::new(config.for_logs(), logs, logs_sink, logs_metrics);
        tokio::join!(events_consumer.run(shutdown.clone()), logs_consumer.run(shutdown));
    }
    info!("sdg-ingest stopped");
    ExitCode::SUCCESS
}

/// The first SIGTERM/SIGINT asks for a graceful stop; a second one exits at once (whatever is unacked returns to
/// the queue), for when Elasticsearch is down and the batches in flight cannot finish.
fn watch_signals() -> std::io::Result<watch::Receiver<bool>> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        let mut signals = 0;
        loop {
            let name = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            signals += 1;
            if signals > 1 {
                warn!(signal = name, "second signal: exiting now; unacked messages return to the queue");
                std::process::exit(1);
            }
            info!(signal = name, "stopping: no new messages; finishing the batches in flight");
            let _ = stop.send(true);
        }
    });
    Ok(stopped)
}
