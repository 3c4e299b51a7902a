//! rust_ingest's own log lines, shipped like every other service's: published to `sdg.ops` as NDJSON batches with
//! routing key `log.rust_ingest`, then indexed by this same process's log consumer.
//!
//! `IngestLogLayer` turns each event into the line the Python services write (log_id, timestamp, level, service,
//! instance, logger, message, fields), prints it on stdout and `try_send`s it into a bounded channel: shipping never
//! waits. A line that finds the channel full is dropped and counted. `ship` publishes from the channel
//! with confirms, holding one batch while RabbitMQ is away, and reports drops in a line of its own once it can.

use crate::backoff::IngestBackoff;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind};
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, timeout_at};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber, warn};
use tracing_subscriber::layer::{Context, Layer};

pub const SERVICE: &str = "rust_ingest";
const ROUTING_KEY: &str = "log.rust_ingest";
const BATCH_LINES: usize = 500;
const FLUSH: Duration = Duration::from_millis(500);
/// Lines about the shipper's own connection stay on stdout: shipped, they would feed themselves while RabbitMQ is
/// down. Drop reports use another target, so they are shipped.
const OWN_TARGET: &str = "sdg_ingest::log_shipper";
const DROPS_TARGET: &str = "sdg_ingest::log_drops";

#[derive(Default)]
pub struct IngestLogStats {
    shipped: AtomicU64,
    dropped: AtomicU64,
}

impl IngestLogStats {
    pub fn render(&self) -> String {
        let mut text = String::new();
        for (name, help, value) in [
            ("sdg_ingest_log_lines_shipped_total", "Own log lines RabbitMQ confirmed.", &self.shipped),
            ("sdg_ingest_log_lines_dropped_total", "Own log lines dropped: buffer full or refused.", &self.dropped),
        ] {
            let value = value.load(Ordering::Relaxed);
            let _ = write!(text, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");
        }
        text
    }
}

pub struct IngestLogLayer {
    shipping: bool,
    lines: mpsc::Sender<Vec<u8>>,
    stats: Arc<IngestLogStats>,
    instance: String,
}

/// The layer and what `ship` needs: the other end of its channel (unused when `shipping` is off).
pub fn channel(
    capacity: usize,
    shipping: bool,
    stats: Arc<IngestLogStats>,
) -> (IngestLogLayer, mpsc::Receiver<Vec<u8>>) {
    let (lines, receiver) = mpsc::channel(capacity);
    let host = std::env::var("HOSTNAME").ok().filter(|name| !name.is_empty()).unwrap_or_else(hostname);
    (IngestLogLayer { shipping, lines, stats, instance: format!("{host}-{}", std::process::id()) }, receiver)
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|name| name.trim().to_owned()).unwrap_or_else(|_| "localhost".into())
}

impl<S: Subscriber> Layer<S> for IngestLogLayer {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        let Some(bytes) = self.line(event) else {
            return;
        };
        {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(&bytes).and_then(|()| stdout.write_all(b"\n"));
        }
        let target = event.metadata().target();
        if !self.shipping || target.starts_with(OWN_TARGET) || target.starts_with("lapin") {
            return;
        }
        if self.lines.try_send(bytes).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl IngestLogLayer {
    fn line(&self, event: &Event<'_>) -> Option<Vec<u8>> {
        let metadata = event.metadata();
        let mut fields = Map::new();
        event.record(&mut IngestLogFields(&mut fields));
        let mut line = Map::new();
        line.insert("log_id".into(), Value::String(format!("{:032x}", rand::random::<u128>())));
        line.insert("timestamp".into(), Value::String(rfc3339_now()));
        line.insert("level".into(), Value::String(level_name(metadata.level()).into()));
        line.insert("service".into(), Value::String(SERVICE.into()));
        line.insert("instance".into(), Value::String(self.instance.clone()));
        line.insert("logger".into(), Value::String(metadata.target().into()));
        line.insert("message".into(), fields.remove("message").unwrap_or(Value::String(String::new())));
        line.extend(fields);
        serde_json::to_vec(&Value::Object(line)).ok()
    }
}

/// The level names structlog writes, so one filter finds a warning from any service.
fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warning",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

struct IngestLogFields<'a>(&'a mut Map<String, Value>);

impl Visit for IngestLogFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::String(value.into()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), Value::String(format!("{value:?}")));
    }
}

/// UTC now as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (days to a civil date: Howard Hinnant's algorithm).
fn rfc3339_now() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    rfc3339(since.as_secs(), since.subsec_micros())
}

fn rfc3339(seconds: u64, micros: u32) -> String {
    let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{micros:06}Z")
}

/// Publishes shipped lines until the process ends, reconnecting with backoff; never returns while the layer lives.
pub async fn ship(amqp_url: String, exchange: String, mut lines: mpsc::Receiver<Vec<u8>>, stats: Arc<IngestLogStats>) {
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut backoff = IngestBackoff::for_broker();
    let mut reported = 0;
    loop {
        match open_channel(&amqp_url, &exchange).await {
            Ok((connection, channel)) => {
                backoff.reset();
                let ended = publish_while_open(&channel, &exchange, &mut lines, &mut pending, &stats, &mut reported);
                if let Err(error) = ended.await {
                    warn!(%error, lines = pending.len(), "log shipping lost RabbitMQ; holding the batch");
                }
                let _ = connection.close(200, "log shipper reconnecting".into()).await;
            }
            Err(error) => warn!(%error, attempt = backoff.attempt(), "log shipping cannot reach RabbitMQ; retrying"),
        }
        sleep(backoff.next_delay()).await;
    }
}

async fn open_channel(amqp_url: &str, exchange: &str) -> Result<(Connection, Channel), lapin::Error> {
    let properties = ConnectionProperties::default().with_connection_name("sdg-ingest-logs".into());
    let connection = Connection::connect(amqp_url, properties).await?;
    let channel = connection.create_channel().await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    channel.exchange_declare(exchange.into(), ExchangeKind::Topic, durable, FieldTable::default()).await?;
    Ok((connection, channel))
}

async fn publish_while_open(
    channel: &Channel,
    exchange: &str,
    lines: &mut mpsc::Receiver<Vec<u8>>,
    pending: &mut Vec<Vec<u8>>,
    stats: &IngestLogStats,
    reported: &mut u64,
) -> Result<(), lapin::Error> {
    loop {
        if pending.is_empty() && !next_batch(lines, pending).await {
            return Ok(());
        }
        let properties =
            BasicProperties::default().with_delivery_mode(2).with_content_type("application/x-ndjson".into());
        let body = pending.join(&b'\n');
        let confirm = channel
            .basic_publish(exchange.into(), ROUTING_KEY.into(), BasicPublishOptions::default(), &body, properties)
            .await?
            .await?;
        let counter = if matches!(confirm, Confirmation::Nack(_)) { &stats.dropped } else { &stats.shipped };
        counter.fetch_add(pending.len() as u64, Ordering::Relaxed);
        pending.clear();
        report_drops(stats, reported);
    }
}

/// Waits for a line, then gathers more for up to FLUSH; false once the layer is gone.
async fn next_batch(lines: &mut mpsc::Receiver<Vec<u8>>, pending: &mut Vec<Vec<u8>>) -> bool {
    let Some(first) = lines.recv().await else {
        return false;
    };
    pending.push(first);
    let deadline = Instant::now() + FLUSH;
    while pending.len() < BATCH_LINES {
        match timeout_at(deadline, lines.recv()).await {
            Ok(Some(line)) => pending.push(line),
            Ok(None) | Err(_) => break,
        }
    }
    true
}

fn report_drops(stats: &IngestLogStats, reported: &mut u64) {
    let dropped = stats.dropped.load(Ordering::Relaxed);
    if dropped > *reported {
        warn!(target: DROPS_TARGET, dropped = dropped - *reported, dropped_total = dropped, "log lines dropped");
        *reported = dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.000005Z");
        assert_eq!(rfc3339(1_795_824_000 + 3_723, 250_000), "2026-11-28T01:02:03.250000Z");
    }

    #[test]
    fn levels_are_named_as_structlog_names_them() {
        assert_eq!(level_name(&Level::WARN), "warning");
        assert_eq!(level_name(&Level::ERROR), "error");
    }

    #[test]
    fn stats_render_as_prometheus_counters() {
        let stats = IngestLogStats::default();
        stats.dropped.fetch_add(3, Ordering::Relaxed);
        assert!(stats.render().contains("sdg_ingest_log_lines_dropped_total 3\n"));
    }
}
